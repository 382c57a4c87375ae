"""Data: import a file into a gold set, a round (or several, by size) or the pool; preview any of them; move or
delete rounds; export to any format."""
import pandas as pd
import streamlit as st

import ui
from evaluator import limits
from evaluator.formats import ReadOptions, list_formats, parse_label_map
from evaluator.store import list_imports, next_round, rounds_in_use
from ui import cache, render
from ui.files import export_bytes, saved_upload
from ui.progress import running

#: what the last action left for the next run: a message, the import report, the round box and preview to set
AFTER = "data.after"
#: how many imports succeeded in this session: the uploader's key changes with it, which empties the uploader
#: (with the Round box moved on, a second click on Import would put the same file into the next round too)
IMPORTS = "data.imports"

st.title("📥 Data")
ws = ui.require_workspace()
status = ui.call(cache.workspace_status, ws)
if status is None:
    st.stop()
formats = [f for f in list_formats() if f.task in (ws.task, "both")]
targets = render.targets(status)
after = st.session_state.pop(AFTER, {})
for key in ("data.round", "data.move_to"):  # the next free round, so the next file does not land in the same one
    if "round" in after or key not in st.session_state:
        st.session_state[key] = after.get("round") or next_round(ws)
if after.get("preview") in targets:  # Preview shows what was just imported
    st.session_state["data.preview_target"] = after["preview"]


def done(message: str, **more) -> None:
    """After a write: forget cached reads, keep the message (and what else the next run should set), rerun."""
    cache.clear()
    st.session_state[AFTER] = {"message": message, "round": next_round(ws), **more}
    st.rerun()


# ---------------------------------------------------------------------------------------------- import
st.header("Import a file")
n_imports = st.session_state.get(IMPORTS, 0)
upload = st.file_uploader("File to import (all-or-nothing: a file with errors imports nothing)",
                          key="data.upload" + (f".{n_imports}" if n_imports else ""),
                          max_upload_size=limits.UPLOAD.mib(),
                          help=f"Prodigy/doccano/Label Studio JSON(L), CoNLL, .spacy, CSV, up to "
                               f"{limits.UPLOAD.mib():,} MB ({limits.UPLOAD.env}; larger files: use the CLI). For a "
                               "folder of .txt files per class use the CLI: evaluator import DIR --into ...")
c1, c2, c3 = st.columns([2, 2, 1])
fmt = c1.selectbox("Format", ["auto"] + [f.name for f in formats], key="data.format",
                   help="auto: detected from the extension and the first lines")
kind = c2.radio("Into", ["round", "gold", "pool"], horizontal=True, key="data.kind",
                format_func={"round": "annotation round", "gold": "gold set", "pool": "pool (unlabeled)"}.get)
sizes, shuffle, split_seed = "", False, 0
if kind == "round":
    number = c3.number_input("Round", min_value=1, step=1, key="data.round",
                             help="Moves on to the next free round after every import.")
    target = f"round:{int(number)}"
    s1, s2, s3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    sizes = s1.text_input("Split into rounds of these sizes (optional)", key="data.sizes",
                          placeholder="e.g. 50,100,250",
                          help=f"Fills round {int(number)}, {int(number) + 1}, ... with consecutive slices of the "
                               "file; the examples beyond the sizes are not imported.").strip()
    shuffle = s2.checkbox("Shuffle first", key="data.shuffle", disabled=not sizes,
                          help="Fill the rounds in a seeded random order instead of file order.")
    split_seed = int(s3.number_input("Seed", min_value=0, value=0, step=1, key="data.split_seed",
                                     disabled=not (sizes and shuffle)))
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
    skip = o3.checkbox("Leave out overlapping texts", key="data.skip_overlap",
                       help="Import the rest when some texts are where the leakage guard forbids them: gold texts "
                            "going into a round or the pool, or round texts going into a gold set.")
    snap = o3.checkbox("Snap span offsets to token boundaries", key="data.snap")

if st.button("Import", type="primary", disabled=upload is None, key="data.import"):
    from evaluator.importer import import_file
    mapping = ui.call(parse_label_map, label_map)
    if mapping is None:
        st.stop()  # the error is shown
    options = ReadOptions(encoding=encoding.strip() or "utf-8", scheme=scheme, text_column=text_column,
                          label_column=label_column, has_header=not no_header, label_map=mapping, snap_spans=snap,
                          lang=ws.lang)
    with running(f"importing {upload.name} into {target}", show_now=True) as progress:
        with saved_upload(upload.name, upload.getvalue()) as path:
            report = ui.call(import_file, ws, path, into=target, format=None if fmt == "auto" else fmt,
                             options=options, skip_gold_overlap=skip, extend_labels=extend,
                             annotator=ui.annotator("import"), sizes=sizes or None, shuffle=shuffle,
                             seed=split_seed, progress=progress)
    if report is not None:
        first = (report.get("rounds") or [{"target": report["target"]}])[0]["target"]
        preview = None
        if not report.get("already_imported"):
            st.session_state[IMPORTS] = n_imports + 1
            preview = next((t for t in reversed(render.targets(cache.workspace_status(ws)))
                            if t == first or t.startswith(first + "@")), None)
        done(report.get("message") or "", report={**report, "upload": upload.name}, preview=preview)



def show_import(report: dict) -> None:
    """What the last import did: counts, per-label numbers, repeats, what was left out, warnings."""
    if report.get("already_imported"):
        st.info(render.escape_md(report["message"]))
        return
    n = report["examples"]
    into = ", ".join(f"{render.code_md(r['target'])} ({r['examples']:,})" for r in report["rounds"]) \
        if report.get("rounds") else render.code_md(report["target"])
    st.success(f"Imported {n:,} example{'' if n == 1 else 's'} ({report['annotations']:,} accepted) from "
               f"{render.code_md(report['upload'])} [{report['format']}] into {into}. Next free round: "
               f"{next_round(ws)}.")
    for warning in report.get("warnings") or []:
        st.warning(render.escape_md(warning))
    m = st.columns(4)
    m[0].metric("Examples", report["examples"])
    m[1].metric("Accepted", report["annotations"])
    m[2].metric("Repeated texts in file", report.get("duplicates_in_file", 0))
    m[3].metric("Spans snapped", report.get("snapped", 0))
    per = report.get("spans_per_label") or report.get("labels") or {}
    if per:
        st.dataframe(pd.DataFrame([{"label": k, "count": v} for k, v in per.items()]), hide_index=True)
    if report.get("left_out"):
        st.caption(f"Not imported: the last {report['left_out']:,} example(s), beyond the round sizes.")
    if report.get("duplicate_examples"):
        st.caption("Repeated texts (kept as separate examples): "
                   + "; ".join(render.escape_md(t) for t in report["duplicate_examples"]))
    if report.get("skipped_gold_overlap"):
        st.warning(f"Left out {report['skipped_gold_overlap']} example(s) because "
                   f"{report.get('skipped_because', 'of the leakage guard')}, e.g. "
                   + "; ".join(render.escape_md(t) for t in report["skipped_examples"]))
    if report.get("labels_added"):
        st.caption("Labels added to the workspace: "
                   + ", ".join(render.escape_md(lab) for lab in report["labels_added"]))
    if report.get("warning"):  # near-duplicates of the other side of the leakage guard
        st.warning(render.escape_md(report["warning"]))
        for x in report.get("near_duplicate_examples", []):
            st.caption(f"{x['similarity']:.2f}: {render.escape_md(x['text'])} ~ "
                       f"{render.escape_md(x.get('gold_text', x.get('round_text', '')))}")
    for note in report.get("notes", []):
        st.info(render.escape_md(note))


if after.get("report"):
    show_import(after["report"])
elif after.get("message"):
    st.success(after["message"])

# ---------------------------------------------------------------------------------------------- preview
st.header("Preview")
if not targets:
    st.write("Nothing imported yet.")
    st.stop()
p1, p2 = st.columns([4, 1])
source = p1.selectbox("Dataset", targets, key="data.preview_target")
PAGE = 50
page_no = int(p2.number_input("Page", min_value=1, value=1, step=1, key="data.preview_page",
                              help=f"{PAGE} examples per page"))
with running(f"reading {source}"):
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
    with running(f"writing {export_source} as {export_format}"):
        result = ui.call(export_bytes, ws, export_source, format=export_format)
    if result is not None:
        st.download_button(f"⬇️ Download {result['file_name']} ({result['examples']:,} examples)",
                           data=result["data"], file_name=result["file_name"], mime=result["mime"],
                           key="data.download", on_click="ignore")

# ---------------------------------------------------------------------------------------------- rounds
st.header("Rounds")
st.caption("Move a whole import or a round into another round (a file that went into the wrong round), or delete a "
           "round. Rounds a trained model used are left as they are (delete the model on the **Train** page "
           "first); gold sets are never moved.")
imports = ui.call(list_imports, ws) or []
in_use = ui.call(rounds_in_use, ws) or {}
if status["rounds"]:
    st.dataframe(pd.DataFrame(render.round_admin_rows(status, imports, in_use)), hide_index=True, width="stretch")
sources = render.move_sources(status, imports)
if sources:
    m1, m2, m3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    what = m1.selectbox("Move", list(sources), key="data.move_source", format_func=sources.get)
    to = m2.number_input("to round", min_value=1, step=1, key="data.move_to")
    if m3.button("Move", key="data.move", width="stretch"):
        from evaluator.importer import move_data
        moved = ui.call(move_data, ws, what, to=f"round:{int(to)}")
        if moved:
            done(f"Moved {moved['moved']:,} example{'' if moved['moved'] == 1 else 's'} of {moved['source']} to "
                 f"{moved['to']}.", preview=moved["to"])
if status["rounds"]:
    d1, d2, d3 = st.columns([1, 3, 1], vertical_alignment="bottom")
    doomed = d1.selectbox("Delete round", [r["round"] for r in status["rounds"]], key="data.delete_round")
    users = in_use.get(doomed, [])
    size = next(r["examples"] for r in status["rounds"] if r["round"] == doomed)
    sure = d2.checkbox(f"Delete round {doomed} and its {size:,} example{'' if size == 1 else 's'}",
                       key="data.delete_sure", disabled=bool(users))
    if d3.button("🗑 Delete", key="data.delete", disabled=not sure or bool(users), width="stretch"):
        from evaluator.importer import delete_round
        gone = ui.call(delete_round, ws, doomed)
        if gone:
            done(f"Deleted round {gone['round']} ({gone['examples']:,} examples).")
    if users:
        st.caption(f"{', '.join(f'`{u}`' for u in users)} {'was' if len(users) == 1 else 'were'} trained on round "
                   f"{doomed}: delete {'that model' if len(users) == 1 else 'those models'} on the **Train** page "
                   "first to delete the round.")
