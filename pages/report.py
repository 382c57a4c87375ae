"""Report: which iteration actually improved, and why. The verdict table on top, the charts below, the evidence
per step (per label, by bucket, entities gained and lost, A/B beside it), candidate gold-set errors, and the
report as HTML, Markdown and JSON downloads."""
import pandas as pd
import streamlit as st

import ui
from evaluator.report.charts import report_charts
from evaluator.report.engine import build_report
from evaluator.report.export import blocks
from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from ui import cache, render
from ui import report as ui_report
from ui.progress import progress_bar

st.title("📄 Report")
st.caption("Each round's candidate against the previous round and the best one so far, over all its runs, on one "
           "frozen gold set; Holm-corrected across every comparison; blind A/B results beside it. Computed once "
           "and stored; download it as one HTML file that opens offline.")
ws, status = ui_report.workspace_with_gold()
models = ui.call(cache.models, ws) or []
trainers = sorted({m["trainer"] for m in models if m["kind"] == "trained" and m["round"] is not None})
if not trainers:
    st.info("No trained models yet: train a model per round (several seeds each) on the **Train** page.")
    st.stop()

g1, g2, g3 = st.columns([3, 1, 2])
gold = g1.selectbox("Gold set", sorted({g["name"] for g in status["gold_sets"]}), key="report.gold")
versions = sorted((g for g in status["gold_sets"] if g["name"] == gold), key=lambda g: g["version"])
info = g2.selectbox("Version", versions, index=len(versions) - 1, key="report.version",
                    format_func=lambda g: f"v{g['version']}" + ("" if g["frozen"] else " (open)"))
trainer = g3.selectbox("Trainer", ["every trainer"] + trainers, key="report.trainer")
if not info["frozen"]:
    st.warning(f"gold:{render.escape_md(gold)} v{info['version']} is not frozen: the report may change when it is "
               "edited. Freeze it on the **Gold sets** page.")
with st.expander("⚙️ Settings"):
    s1, s2, s3 = st.columns(3)
    resamples = int(s1.number_input("Resamples", min_value=100, max_value=100_000, value=DEFAULT_RESAMPLES, step=1000,
                                    key="report.resamples", help="Two-level bootstrap resamples (runs and gold "
                                                                 "documents), per comparison and per bucket."))
    seed = int(s2.number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="report.seed"))
    alpha = float(s3.number_input("Alpha", min_value=0.001, max_value=0.2, value=0.05, step=0.01, format="%.3f",
                                  key="report.alpha", help="Significance level, Holm-corrected across the steps."))

bar = progress_bar("computing the report (predictions and scores are stored and reused)")
rep = ui.call(build_report, ws, gold, version=info["version"], trainer=None if trainer == "every trainer" else trainer,
              resamples=resamples, seed=seed, alpha=alpha, progress=bar)
bar.clear()
if rep is None:
    st.stop()

# ------------------------------------------------------------------------------------------------ verdict
st.subheader("Which iteration improved?")
for sentence in rep["headline"]:
    box = st.warning if sentence.startswith("Conflicting") else st.success if " improved on " in sentence \
        else st.error if " regressed from " in sentence else st.info
    box(render.escape_md(sentence))
table = pd.DataFrame([{
    "family": r["family"], "iteration": r["iteration"], "compared with": r["compared_with"], "runs A vs B": r["runs"],
    "F1 A": r["f1_a"], "F1 B": r["f1_b"], "B − A (points)": None if r["delta"] is None else 100 * r["delta"],
    "95% CI": "–" if not r["ci95"] or r["ci95"][0] is None else f"{100 * r['ci95'][0]:+.1f} to {100 * r['ci95'][1]:+.1f}",
    "p (Holm)": r["p_holm"], "verdict": r["verdict"] + (" (single run)" if r["single_run"] else ""),
    "A/B": r["ab"] or "–", "signals": r["signals"]} for r in rep["table"]])
if len(table):
    st.dataframe(table, hide_index=True, width="stretch", key="report.table",
                 column_config={"F1 A": st.column_config.NumberColumn(format="%.3f"),
                                "F1 B": st.column_config.NumberColumn(format="%.3f"),
                                "B − A (points)": st.column_config.NumberColumn(format="%+.1f"),
                                "p (Holm)": st.column_config.NumberColumn(format="%.4f")})
else:
    st.info("Only one iteration per trainer so far: train another round to compare.")
st.caption(f"gold:{render.escape_md(gold)} v{rep['gold']['version']} (hash `{rep['gold']['hash'][:12]}`) · "
           f"{rep['settings']['resamples']:,} resamples of {rep['gold']['unit']}s · seed {rep['settings']['seed']} · "
           f"alpha {rep['settings']['alpha']}" + (" · stored report reused" if rep.get("reused") else ""))

d1, d2, d3 = st.columns(3)
stem = f"report-{gold}-v{rep['gold']['version']}"
# the files are made when a button is clicked (rendering the charts takes a few seconds), not on every rerun
d1.download_button("⬇️ HTML (one file, opens offline)", lambda: ui_report.html_bytes(rep), file_name=f"{stem}.html",
                   mime="text/html", key="report.dl_html", on_click="ignore")
d2.download_button("⬇️ Markdown + PNG charts (zip)", lambda: ui_report.markdown_zip(rep),
                   file_name=f"{stem}-markdown.zip", mime="application/zip", key="report.dl_md", on_click="ignore")
d3.download_button("⬇️ JSON (every number and setting)", lambda: ui_report.json_bytes(rep), file_name=f"{stem}.json",
                   mime="application/json", key="report.dl_json", on_click="ignore")

# ------------------------------------------------------------------------------------------------ charts
st.subheader("Charts")
charts = report_charts(rep)
for left, right in zip(charts[::2], charts[1::2] + [None]):
    cols = st.columns(2)
    for col, c in zip(cols, (left, right)):
        if c is not None:
            with col:
                st.markdown(f"**{render.escape_md(c['title'])}**")
                st.altair_chart(c["chart"], width="stretch")
                st.caption(render.escape_md(c["caption"]))

# ------------------------------------------------------------------------------------------------ evidence
layout = blocks(rep)
sections: list[tuple[str, list]] = []
for b in layout:
    if b[0] == "h" and b[1] == 2:
        sections.append((b[2], []))
    elif sections:
        sections[-1][1].append(b)
for title, body in sections:
    if title in ("Verdict", "Charts"):
        continue
    with st.expander(title, expanded=title.startswith("Iterations")):
        ui_report.show_blocks(body)
