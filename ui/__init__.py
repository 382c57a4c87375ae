"""Streamlit helpers shared by app.py and pages/: session-state keys, cached reads, error display, rendering.

This package is the only place with ``st.cache_*`` wrappers and session-state key names. The library
(``evaluator/``) never imports streamlit; pages call it through :func:`call`, which shows an
:class:`~evaluator.errors.EvaluatorError` with ``st.error`` and never a traceback.
"""
from ui.errors import call, error_markdown
from ui.run import run_signals
from ui.state import (ANNOTATOR, WORKSPACE, annotator, kept_text_input, open_current_workspace, require_workspace,
                      workspace_from_url, workspace_path, workspace_to_url)

__all__ = ["ANNOTATOR", "WORKSPACE", "annotator", "call", "error_markdown", "kept_text_input",
           "open_current_workspace", "require_workspace", "run_signals", "workspace_from_url", "workspace_path",
           "workspace_to_url"]
