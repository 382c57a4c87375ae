"""Gold sets: versions and their status, split from a round, freeze, new version, verify, leakage report."""
import pandas as pd
import streamlit as st

import ui
from evaluator.gold import freeze, list_gold, new_version, split, verify
from ui import cache, render
from ui.progress import progress_bar

st.title("🥇 Gold sets")
st.caption("A frozen gold-set version is immutable and hash-checked whenever it is read; editing means a new "
           "version. Texts in any gold set can never enter a training round.")
ws = ui.require_workspace()

versions = ui.call(list_gold, ws)
if versions is None:
    st.stop()
if versions:
    st.dataframe(pd.DataFrame(render.gold_rows(versions)), hide_index=True, width="stretch")
else:
    st.info("No gold set yet: import one on the **Data** page (into `gold:NAME`) or split one off a round below.")
names = sorted({v["name"] for v in versions})


def done(message: str) -> None:
    cache.clear()
    st.session_state["gold.flash"] = message
    st.rerun()


if "gold.flash" in st.session_state:
    st.success(st.session_state.pop("gold.flash"))
if "gold.flash_warning" in st.session_state:
    st.warning(render.escape_md(st.session_state.pop("gold.flash_warning")))

tab_manage, tab_split, tab_leak = st.tabs(["🔒 Freeze, versions, verify", "✂️ Split from a round",
                                           "🔍 Leakage report"])

with tab_manage:
    if not names:
        st.write("Nothing to manage yet.")
    else:
        name = st.selectbox("Gold set", names, key="gold.name")
        latest = max((v for v in versions if v["name"] == name), key=lambda v: v["version"])
        st.write(f"Latest version: **v{latest['version']}**, "
                 + ("frozen, hash `" + latest["content_hash"][:12] + "`" if latest["frozen"] else "open (not frozen)"))
        b1, b2 = st.columns(2)
        if b1.button("🔒 Freeze latest version", type="primary", disabled=latest["frozen"], key="gold.freeze",
                     width="stretch"):
            r = ui.call(freeze, ws, name)
            if r:
                done(f"gold:{name} v{r['version']} is frozen: {r['content_hash']}")
        if b2.button("🧾 Verify hash", key="gold.verify", width="stretch"):
            r = ui.call(verify, ws, name)
            if r:
                if r["frozen"]:
                    st.success(f"gold:{name} v{r['version']}: content hash OK (`{r['content_hash'][:12]}`).")
                else:
                    st.info(f"gold:{name} v{r['version']} is not frozen; its current hash is "
                            f"`{r['content_hash'][:12]}`.")
        n1, n2 = st.columns([3, 1], vertical_alignment="bottom")
        note = n1.text_input("Note for a new version", key="gold.note", placeholder="what changes, e.g. fix ORG spans")
        if n2.button("New version", key="gold.new_version", width="stretch"):
            r = ui.call(new_version, ws, name, note=note or None)
            if r:
                done(f"gold:{name} v{r['version']} created ({r['examples']} examples), open for edits")

with tab_split:
    status = ui.call(cache.workspace_status, ws)
    sources = [t for t in render.targets(status) if t.startswith("round:")] if status else []
    if not sources:
        st.write("No annotation round to split from yet.")
    else:
        s1, s2, s3, s4 = st.columns(4)
        source = s1.selectbox("From", sources, key="gold.split_from")
        fraction = s2.slider("Fraction", 0.05, 0.5, 0.2, step=0.05, key="gold.fraction")
        seed = s3.number_input("Seed", min_value=0, value=13, step=1, key="gold.seed")
        new_name = s4.text_input("New gold set", value="test", key="gold.split_name").strip()
        st.caption("Moves a seeded, label-stratified sample of the accepted examples out of the round into a new "
                   "gold set (every copy of a chosen text moves, so none stays behind in training).")
        if st.button("Split", type="primary", key="gold.split"):
            r = ui.call(split, ws, source=source, fraction=fraction, seed=int(seed), name=new_name)
            if r:
                if r.get("warning"):
                    st.session_state["gold.flash_warning"] = r["warning"]
                done(f"gold:{r['name']}: moved {r['examples']} examples from {r['from']} (seed {r['seed']}). "
                     "Freeze it before you evaluate on it.")

with tab_leak:
    st.caption("Exact overlaps: the same text after Unicode normalization (NFKC, invisible characters dropped, "
               "look-alike letters folded), or the same letters and digits. Near-duplicates: character 3-gram "
               "Jaccard similarity at or above the threshold (MinHash search on large workspaces).")
    t1, t2 = st.columns([3, 1], vertical_alignment="bottom")
    threshold = t1.slider("Near-duplicate threshold (character 3-gram Jaccard)", 0.5, 1.0, 0.9, step=0.01,
                          key="gold.threshold")
    asked = (ws.url, float(threshold))
    if t2.button("🔍 Run the leakage report", key="gold.leakage", width="stretch"):
        from evaluator.gold import leakage_report

        bar = progress_bar("reading texts")
        result = ui.call(leakage_report, ws, threshold=threshold, progress=bar)
        bar.clear()
        if result is not None:
            st.session_state["gold.leakage_report"] = (asked, result)
    kept = st.session_state.get("gold.leakage_report")
    report = kept[1] if kept and kept[0] == asked else None
    if report is None:
        st.info("Press **Run the leakage report** to compare every gold text with the rounds and the pool "
                "(it reads every text, so it runs only when asked).")
    else:
        (st.success if report["ok"] else st.error)(render.escape_md(report["message"]))
        m1, m2 = st.columns(2)
        m1.metric("Exact overlaps", report["exact_overlaps"])
        m2.metric(f"Near-duplicates (≥ {threshold:.2f})", report["near_duplicates"])
        search = report["search"]
        st.caption(f"{report['gold_examples']:,} gold × {report['other_examples']:,} other texts; "
                   + ("every pair compared." if search["method"] == "all pairs" else
                      f"MinHash LSH ({search['bands']} bands × {search['rows']} rows, seed {search['seed']}): a pair "
                      f"exactly at the threshold is missed with probability {search['miss_at_threshold']:.3g}; "
                      "similarities shown are exact."))
        if report["exact"]:
            st.subheader("Exact overlaps")
            st.dataframe(pd.DataFrame(report["exact"]), hide_index=True, width="stretch")
        if report["near"]:
            st.subheader("Near-duplicates")
            st.caption("Warnings, not errors: check whether these are the same story.")
            st.dataframe(pd.DataFrame(report["near"]), hide_index=True, width="stretch",
                         column_config={"similarity": st.column_config.NumberColumn(format="%.3f", width="small"),
                                        "gold_text": st.column_config.TextColumn("gold text", width="large"),
                                        "other_text": st.column_config.TextColumn("other text", width="large")})
