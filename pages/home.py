"""Home: what the workspace holds (task, labels, rounds, gold sets) and what to do next."""
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from evaluator.workspace import default_workspace_path
from ui import cache, render
from ui.progress import running

st.title("⚖️ evaluator")
st.caption("Is the newest model iteration really better? Frozen gold sets, exact scores, paired tests.")

ws, err = ui.open_current_workspace()
if ws is None:
    where = ui.workspace_path().resolve()
    st.info(f"No workspace at {render.code_md(str(where))} yet. Build the demo workspace to look around, or "
            "create an empty one for your own data. (Or choose another folder in the sidebar.)")
    allowed = True
    # a typed folder outside the current one (a typo such as a/../../x) is created only when confirmed
    if where != default_workspace_path().resolve() and not render.inside(where, Path.cwd()):
        allowed = st.checkbox(f"Create the workspace at {render.code_md(str(where))}, outside the current "
                              f"folder {render.code_md(str(Path.cwd()))}", key="home.confirm_outside")
    left, right = st.columns(2)
    with left.container(border=True):
        st.subheader("🎁 Demo workspace")
        st.write("News sentences with PERSON, ORG, LOCATION and PRODUCT entities (or news categories): a frozen "
                 "gold set, three annotation rounds and an unlabeled pool, written for this project.")
        task = st.radio("Demo task", ["ner", "textcat"], horizontal=True, key="home.demo_task",
                        format_func={"ner": "named entities", "textcat": "news categories"}.get)
        if st.button("Create the demo workspace", type="primary", key="home.create_demo", disabled=not allowed):
            from evaluator.demo import build_demo
            with running(f"building the demo workspace in {ui.workspace_path()}", show_now=True) as progress:
                result = ui.call(build_demo, ui.workspace_path(), task=task, progress=progress)
            if result:
                cache.clear()
                st.rerun()
    with right.container(border=True):
        st.subheader("🆕 Empty workspace")
        new_task = st.radio("Task", ["ner", "textcat"], horizontal=True, key="home.new_task",
                            format_func={"ner": "named entities", "textcat": "text classification"}.get)
        labels = st.text_input("Labels (comma-separated, can grow on import)", key="home.new_labels",
                               placeholder="PER, ORG, LOC")
        if st.button("Create workspace", key="home.create_empty", disabled=not allowed):
            from evaluator.workspace import init_workspace
            made = ui.call(init_workspace, ui.workspace_path(), task=new_task,
                           labels=[x.strip() for x in labels.split(",") if x.strip()])
            if made:
                cache.clear()
                st.rerun()
    st.caption("From a terminal: `evaluator demo --workspace DIR` or `evaluator init --workspace DIR --task ner`.")
    st.stop()

status = ui.call(cache.workspace_status, ws)
if status is None:
    st.stop()

st.markdown(f"Workspace {render.code_md(status['workspace'])}")
cols = st.columns(4)
cols[0].metric("Task", {"ner": "NER", "textcat": "text categories"}.get(status["task"], status["task"]))
cols[1].metric("Examples", f"{status['examples']:,}")
cols[2].metric("Annotation rounds", len(status["rounds"]))
cols[3].metric("Gold sets", len({g["name"] for g in status["gold_sets"]}))
colors = render.label_colors(status["labels"])
st.markdown("**Labels** " + (" ".join(f":{colors[lab]}-badge[{render.escape_md(lab)}]" for lab in status["labels"])
                              or "none yet"))

pages_here = {title for title, file in (("Label", "label.py"), ("Train", "train.py"), ("Evaluate", "evaluate.py"))
              if (Path(__file__).resolve().parent / file).exists()}
hints = render.next_steps(status, pages=pages_here)
if hints:
    st.subheader("Next steps")
    for hint in hints:
        st.markdown(f"- {hint}")

left, right = st.columns([3, 2])
with left:
    st.subheader("Annotation rounds")
    if status["rounds"]:
        st.altair_chart(render.round_chart(status), width="stretch")
        st.dataframe(pd.DataFrame(render.round_rows(status)), hide_index=True, width="stretch")
    else:
        st.write("No rounds yet.")
    if status["pool"]:
        st.caption(f"Pool: {status['pool']['examples']:,} examples waiting for annotation.")
with right:
    st.subheader("Gold sets")
    if status["gold_sets"]:
        gold = pd.DataFrame(render.gold_rows(status["gold_sets"]))
        st.dataframe(gold[["gold set", "version", "status", "content hash", "examples"]], hide_index=True,
                     width="stretch")
    else:
        st.write("No gold set yet.")
