"""Streamlit entry point: navigation over pages/ and the shared sidebar (workspace, annotator). Nothing else.

Run with ``make run`` or ``streamlit run app.py``. Pages are registered in PAGES: adding a page is one line here
plus its file.
"""

import streamlit as st

import ui
from evaluator.workspace import default_workspace_path


#: (file, title, emoji icon) in menu order; emoji only (material icons need a font download)
PAGES = [
    ("pages/home.py", "Home", "🏠"),
    ("pages/data.py", "Data", "📥"),
    ("pages/gold.py", "Gold sets", "🥇"),
    ("pages/train.py", "Train", "🏋️"),
    ("pages/evaluate.py", "Evaluate", "📊"),
]

st.set_page_config(page_title="evaluator", page_icon="⚖️", layout="wide")

page = st.navigation([st.Page(file, title=title, icon=icon, default=(i == 0))
                      for i, (file, title, icon) in enumerate(PAGES)])

with st.sidebar:
    ui.kept_text_input("Workspace folder", ui.WORKSPACE, default=str(default_workspace_path()),
                       help="A folder with workspace.db. Default: $EVALUATOR_WORKSPACE or data/workspace.")
    ws, _ = ui.open_current_workspace()
    st.caption(f"🟢 {ws.task} workspace · {len(ws.labels)} labels" if ws else "⚪ no workspace in this folder yet")
    ui.kept_text_input("Annotator", ui.ANNOTATOR, placeholder="your name",
                       help="Stored with the annotations and A/B judgements you make in this app.")

ui.run_signals()  # "Running…" while the page computes; a marker of this run for browser tests (ui/run.py)
page.run()
