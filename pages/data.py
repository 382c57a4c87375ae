"""Data: import a file into a gold set, a round or the pool; preview any of them; export to any format."""
import pandas as pd
import streamlit as st

import ui
from evaluator import limits
from evaluator.formats import ReadOptions, list_formats, parse_label_map
from ui import cache, render
from ui.files import export_bytes, saved_upload
from ui.progress import ProgressBar

st.title("📥 Data")
ws = ui.require_workspace()
status = ui.call(cache.workspace_status, ws)
if status is None:
    st.stop()
formats = [f for f in list_formats() if f.task in (ws.task, "both")]

# ---------------------------------------------------------------------------------------------- import
st.header("Import a file")
upload = st.file_uploader("File to import (all-or-nothing: a file with errors imports nothing)", key="data.upload",
                          max_upload_size=limits.UPLOAD.mib(),
                          help=f"Prodigy/doccano/Label Studio JSON(L), CoNLL, .spacy, CSV, up to "
                               f"{limits.UPLOAD.mib():,} MB ({limits.UPLOAD.env}; larger files: use the CLI). For a "
                               "folder of .txt files per class use the CLI: evaluator import DIR --into ...")
c1, c2, c3 = st.columns([2, 2, 1])
fmt = c1.selectbox("Format", ["auto"] + [f.name for f in formats], key="data.format",
                   help="auto: detected from the extension and the first line")
kind = c2.radio("Into", ["round", "gold", "pool"], horizontal=True, key="data.kind",
                format_func={"round": "annotation round", "gold": "gold set", "pool": "pool (unlabeled)"}.get)
if kind == "round":
    next_round = max([r["round"] for r in status["rounds"]], default=0) + 1
    number = c3.number_input("Round", min_value=1, value=next_round, step=1, key="data.round")
    target = f"round:{int(number)}"
elif kind == "gold":
    name = c3.text_input("Gold set name", value="test", key="data.gold_name").strip()
    target = f"gold:{name}"
else:
    target = "pool"

with st.expander("Options"):
    o1, o2, o3 = st.columns(3)
    encoding = o1.text_input("Encoding", value="utf-8", key="data.encoding",
                             help="e.g. latin-1, or 'utf-8,latin-1' to try UTF-8 first")
    scheme = o1.selectbox("CoNLL tag scheme", ["auto", "IOB1", "IOB2", "IOBES", "BILOU"], key="data.scheme")
    text_column = o2.text_input("CSV/JSONL text column", value="text", key="data.text_column")
    label_column = o2.text_input("CSV/JSONL label column", value="label", key="data.label_column")
    no_header = o2.checkbox("CSV has no header row (columns are positions)", key="data.no_header")
    label_map = o2.text_input("Rename labels", key="data.label_map", placeholder="1=World,2=Sports",
                              help="RAW=NAME pairs, e.g. AG News' numeric classes")
    extend = o3.checkbox("Add labels that are not in the label set", key="data.extend_labels")
    skip = o3.checkbox("Leave out texts that are in a gold set (or, for gold, in a round)", key="data.skip_overlap")
    snap = o3.checkbox("Snap span offsets to token boundaries", key="data.snap")

if st.button("Import", type="primary", disabled=upload is None, key="data.import"):
    from evaluator.importer import import_file
    mapping = ui.call(parse_label_map, label_map)
    if mapping is None:
        st.stop()  # the error is shown
    options = ReadOptions(encoding=encoding.strip() or "utf-8", scheme=scheme, text_column=text_column,
                          label_column=label_column, has_header=not no_header, label_map=mapping, snap_spans=snap,
                          lang=ws.lang)
    bar = ProgressBar(f"reading {upload.name}")
    with saved_upload(upload.name, upload.getvalue()) as path:
        report = ui.call(import_file, ws, path, into=target, format=None if fmt == "auto" else fmt,
                         options=options, skip_gold_overlap=skip, extend_labels=extend,
                         annotator=ui.annotator("import"), progress=bar)
    bar.clear()
    if report is not None:
        cache.clear()
        if report.get("already_imported"):
            st.info(report["message"])
        else:
            n = report["examples"]
            st.success(f"Imported {n:,} example{'' if n == 1 else 's'} ({report['annotations']:,} accepted) from "
                       f"`{upload.name}` [{report['format']}] into `{report['target']}`.")
            m = st.columns(4)
            m[0].metric("Examples", report["examples"])
            m[1].metric("Accepted", report["annotations"])
            m[2].metric("Repeated texts in file", report.get("duplicates_in_file", 0))
            m[3].metric("Spans snapped", report.get("snapped", 0))
            per = report.get("spans_per_label") or report.get("labels") or {}
            if per:
                st.dataframe(pd.DataFrame([{"label": k, "count": v} for k, v in per.items()]), hide_index=True)
            if report.get("duplicate_examples"):
                st.caption("Repeated texts (kept as separate examples): "
                           + "; ".join(render.escape_md(t) for t in report["duplicate_examples"]))
            if report.get("skipped_gold_overlap"):
                st.warning(f"Left out {report['skipped_gold_overlap']} example(s) because "
                           f"{report.get('skipped_because', 'of the leakage guard')}, e.g. "
                           + "; ".join(render.escape_md(t) for t in report["skipped_examples"]))
            if report.get("labels_added"):
                st.caption("Labels added to the workspace: " + ", ".join(report["labels_added"]))

# ---------------------------------------------------------------------------------------------- preview
st.header("Preview")
targets = render.targets(status)
if not targets:
    st.write("Nothing imported yet.")
    st.stop()
p1, p2 = st.columns([4, 1])
source = p1.selectbox("Dataset", targets, key="data.preview_target")
PAGE = 50
page_no = int(p2.number_input("Page", min_value=1, value=1, step=1, key="data.preview_page",
                              help=f"{PAGE} examples per page"))
preview = ui.call(cache.preview, ws, source, offset=(page_no - 1) * PAGE, limit=PAGE)
if preview is not None:
    total, records = preview
    first = (page_no - 1) * PAGE
    pages = max(1, -(-total // PAGE))
    st.caption(f"Examples {first + 1:,}–{first + len(records):,} of {total:,} in `{source}` (page {page_no:,} of "
               f"{pages:,})." if records else f"Page {page_no:,} is past the end: `{source}` has {total:,} examples "
                                               f"({pages:,} pages).")
    st.dataframe(pd.DataFrame(render.preview_rows(records, ws.task, start=first + 1)), hide_index=True,
                 width="stretch", column_config={"#": st.column_config.NumberColumn(width=40),
                                "text": st.column_config.TextColumn(width=700),
                                "spans": st.column_config.NumberColumn(width=60),
                                "label": st.column_config.TextColumn(width=100),
                                "answer": st.column_config.TextColumn(width=70)})
    if ws.task == "ner" and records:
        with st.expander("Highlighted"):
            colors = render.label_colors(ws.labels)
            st.markdown("\n\n".join(f"**{i}.** {render.spans_markdown(r, colors)}"
                                    for i, r in enumerate(records[:15], first + 1)))

# ---------------------------------------------------------------------------------------------- export
st.header("Export")
e1, e2 = st.columns(2)
export_source = e1.selectbox("Dataset to export", targets, key="data.export_source")
export_format = e2.selectbox("Format", [f.name for f in formats], key="data.export_format",
                             format_func=lambda n: next(f"{f.name}: {f.description}" for f in formats if f.name == n))
if st.button("Prepare download", key="data.export"):
    result = ui.call(export_bytes, ws, export_source, format=export_format)
    if result is not None:
        st.download_button(f"⬇️ Download {result['file_name']} ({result['examples']:,} examples)",
                           data=result["data"], file_name=result["file_name"], mime=result["mime"],
                           key="data.download", on_click="ignore")
