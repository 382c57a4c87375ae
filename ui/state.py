"""Session-state key names and the current workspace (the database is the source of truth; state holds only
UI selections: the workspace folder and the annotator name)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from evaluator.errors import EvaluatorError
from evaluator.workspace import Workspace, default_workspace_path, open_workspace

#: workspace folder chosen in the sidebar (a plain state key, kept across pages)
WORKSPACE = "evaluator.workspace_path"
#: annotator name from the sidebar (stored with annotations and A/B answers; kept across pages)
ANNOTATOR = "evaluator.annotator"
#: suffix of the widget key that edits a kept value (widget state alone is dropped on page switches)
_INPUT = ".input"
#: the URL query parameter holding the workspace folder (``/evaluate?workspace=PATH``)
URL_WORKSPACE = "workspace"


def _keep(store: str) -> None:
    st.session_state[store] = st.session_state[store + _INPUT]


def kept_text_input(label: str, store: str, *, default: str = "", **kwargs) -> str:
    """A text input whose value lives under ``store`` in session state, so it survives page switches.

    (Streamlit drops a widget's own state when a run does not draw it; copying it to a plain key on change and
    back before drawing is the documented way to keep it.)
    """
    st.session_state.setdefault(store, default)
    st.session_state[store + _INPUT] = st.session_state[store]
    return st.text_input(label, key=store + _INPUT, on_change=_keep, args=(store,), **kwargs)


def workspace_from_url() -> None:
    """At the start of a session (a reload, a bookmark, a shared link), take the workspace folder from the URL's
    ``?workspace=PATH``; later the sidebar box is the truth. Call before the sidebar box is drawn."""
    if WORKSPACE not in st.session_state:
        value = str(st.query_params.get(URL_WORKSPACE) or "").strip()
        if value:
            st.session_state[WORKSPACE] = value


def workspace_to_url() -> None:
    """Keep ``?workspace=PATH`` in the URL in step with the chosen folder (a page switch drops query parameters,
    so every run puts it back), so that reloading or bookmarking any page opens the same workspace."""
    value = str(st.session_state.get(WORKSPACE) or "").strip()
    if value and st.query_params.get(URL_WORKSPACE) != value:
        st.query_params[URL_WORKSPACE] = value


def workspace_path() -> Path:
    """The workspace folder chosen in the sidebar, else ``$EVALUATOR_WORKSPACE`` / ``data/workspace``."""
    value = str(st.session_state.get(WORKSPACE) or "").strip()
    return Path(value).expanduser() if value else default_workspace_path()


def annotator(default: str = "") -> str:
    """The annotator name from the sidebar (stripped), or ``default``."""
    return str(st.session_state.get(ANNOTATOR) or "").strip() or default


def use_app_router() -> None:
    """Make a page opened by its own URL go through app.py.

    Streamlit starts in its legacy ``pages/`` mode, in which ``/train`` runs ``pages/train.py`` on its own (no
    sidebar, no workspace box, lower-case file names as menu), until some session has called ``st.navigation``.
    So a bookmarked or reloaded page URL on a freshly started server would show a half app. When a page finds
    itself in that mode before app.py ever ran in this session (app.py's sidebar keeps the workspace key), it
    switches the server to ``st.navigation`` and reruns, and app.py draws the page. (Later runs are left alone:
    a rerun there would swallow the click that started them.)
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy mode
        return
    if getattr(PagesManager, "uses_pages_directory", False) and WORKSPACE not in st.session_state:
        PagesManager.uses_pages_directory = False
        st.rerun()


def open_current_workspace() -> tuple[Workspace | None, EvaluatorError | None]:
    """(workspace, None) when the chosen folder holds a workspace, else (None, the error saying why)."""
    use_app_router()
    try:
        return open_workspace(workspace_path()), None
    except EvaluatorError as err:
        return None, err


def require_workspace() -> Workspace:
    """The current workspace; when there is none, say how to get one and stop the page."""
    ws, err = open_current_workspace()
    if ws is None:
        st.info(f"No workspace at `{workspace_path()}` yet. Create one on the **Home** page (the demo workspace "
                "is one click), or choose another folder in the sidebar.")
        st.stop()
    return ws
