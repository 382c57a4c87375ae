"""Signals of a script run, for people and for browser tests (``app.py`` calls :func:`run_signals` once per run).

* **People**: with ``toolbarMode = "minimal"`` (``.streamlit/config.toml``) Streamlit shows no "running"
  indicator. A style rule shows "⏳ Running…" in the top right corner while the script runs, once it has run for
  half a second (fast reruns do not flash). It keys on the run state Streamlit keeps on its root element
  (``data-test-script-state``), so it also disappears when a page ends with ``st.stop()``, after which a page
  can draw nothing more.
* **Tests**: a hidden marker at the start of every run carries an id of that run. A browser test waits until
  the marker shows a new id (its interaction started a run), Streamlit says the script is not running and no
  element is stale (see ``tests/browser/conftest.py``).
"""
from __future__ import annotations

import uuid

import streamlit as st

#: ``data-testid`` of the run marker; its ``data-run`` attribute holds the run's id
MARKER = "evaluator-run"

_RUNNING_STYLE = """<style>
@keyframes evaluator-running { to { opacity: 1; } }
[data-testid="stApp"][data-test-script-state="running"]::after {
  content: "⏳ Running…"; position: fixed; top: 0.6rem; right: 1rem; z-index: 1000000;
  padding: 0.15rem 0.6rem; border-radius: 0.5rem; font-size: 0.85rem;
  background: rgba(250, 250, 250, 0.95); color: rgb(49, 51, 63); box-shadow: 0 1px 4px rgba(0, 0, 0, 0.15);
  opacity: 0; animation: evaluator-running 0s linear 0.5s forwards; pointer-events: none;
}
</style>"""


def run_signals() -> str:
    """Draw the "Running…" rule and this run's marker (in the sidebar, hidden); returns the run's id."""
    run = uuid.uuid4().hex
    st.html(_RUNNING_STYLE)
    st.sidebar.html(f'<div data-testid="{MARKER}" data-run="{run}" style="display:none"></div>')
    return run
