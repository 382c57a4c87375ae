"""Streamlit entry point: navigation over pages/ and the shared sidebar (workspace, annotator). Nothing else.

Run with ``make run`` or ``streamlit run app.py``. Pages are registered in PAGES: adding a page is one line here
plus its file.
"""

import streamlit as st

import ui
from ui import render
from evaluator.workspace import default_workspace_path


#: (file, title, emoji icon) in menu order; emoji only (material icons need a font download)
PAGES = [
    ("pages/home.py", "Home", "🏠"),
    ("pages/data.py", "Data", "📥"),
    ("pages/gold.py", "Gold sets", "🥇"),
    ("pages/label.py", "Label", "✍️"),
    ("pages/train.py", "Train", "🏋️"),
    ("pages/evaluate.py", "Evaluate", "📊"),
    ("pages/report.py", "Report", "📄"),
    ("pages/ab.py", "A/B", "🆚"),
]

st.set_page_config(page_title="evaluator", page_icon="⚖️", layout="wide")

page = st.navigation([st.Page(file, title=title, icon=icon, default=(i == 0))
                      for i, (file, title, icon) in enumerate(PAGES)])

with st.sidebar:
    ui.workspace_from_url()
    ui.kept_text_input("Workspace folder", ui.WORKSPACE, default=str(default_workspace_path()),
                       help="A folder with workspace.db. Default: $EVALUATOR_WORKSPACE or data/workspace. Kept in "
                            "the page address (?workspace=...), so a reload or a bookmark opens the same one.")
    ui.workspace_to_url()
    ws, _ = ui.open_current_workspace()
    if ws is not None and ws.cleaned:  # leftovers of an interrupted training were removed when it opened
        from evaluator.housekeeping import describe
        st.info(describe(ws.cleaned))
    n_labels = len(ws.labels) if ws else 0
    st.caption(f"🟢 {ws.task} workspace · {n_labels} label{'' if n_labels == 1 else 's'}" if ws else
               f"⚪ no workspace at {render.code_md(str(ui.workspace_path().resolve()))} yet")
    ui.kept_text_input("Annotator", ui.ANNOTATOR, placeholder="your name",
                       help="Stored with the annotations and A/B judgements you make in this app.")

ui.run_signals()  # "Running…" while the page computes; a marker of this run for browser tests (ui/run.py)
page.run()
