"""A visible "Running…" box for work a page does while the user waits: what is computed and how far it is.

Streamlit's own running indicator sits in the toolbar, which ``client.toolbarMode = "minimal"`` keeps quiet; a
cold Evaluate page (predicting and scoring several models) took ~20 s with only a thin bar. Pages therefore wrap
such work in :func:`running`::

    with running("Scoring 6 models on gold:test v1") as progress:
        evaluate_models(ws, "test", progress=progress)

The box appears when the work has run for :data:`SHOW_AFTER` seconds (so a rerun that only reads stored results
does not flash it; ``show_now=True`` draws it at once), shows the title, the current step ("predicting
round-3-spacy-ner, model 2 of 6") and a progress bar, and is removed when the work ends. ``progress`` follows
the library's protocol ``progress(done, total, message)`` (:mod:`evaluator.progress`); ``progress.frac(f, msg)``
takes a fraction for the older ``progress(frac, msg)`` callbacks.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from evaluator.progress import fraction

#: seconds of work before the box is drawn (as Streamlit's own spinner waits); ``$EVALUATOR_RUNNING_DELAY``
#: changes it (the browser tests draw every box)
SHOW_AFTER = float(os.environ.get("EVALUATOR_RUNNING_DELAY", "0.4"))
#: the label every box starts with (browser tests look for it)
PREFIX = "⏳ Running:"


class Progress:
    """The callback :func:`running` yields; draws and updates the box."""

    def __init__(self, title: str, *, show_now: bool) -> None:
        self.title = title
        self.slot = st.empty()
        self.box = None
        self.bar = None
        self.closed = False
        self.state: tuple[float, str] = (0.0, "starting")
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        if show_now:
            self._draw()
        else:  # drawn from a timer thread when the work is still running then (like st.spinner)
            from streamlit.runtime.scriptrunner import add_script_run_ctx

            self.timer = threading.Timer(SHOW_AFTER, self._draw)
            add_script_run_ctx(self.timer)
            self.timer.daemon = True
            self.timer.start()

    def _label(self, message: str) -> str:
        return f"{PREFIX} {self.title}" + (f" · {message}" if message else "")

    def _draw(self) -> None:
        with self.lock:
            if self.closed:
                return
            frac, message = self.state
            if self.box is None:
                # (not `with box:`, which would mark the box complete when the block ends)
                self.box = self.slot.status(self._label(message), expanded=True, state="running")
                self.bar = self.box.progress(frac, text=message or "working")
            else:
                self.box.update(label=self._label(message), state="running")
                self.bar.progress(frac, text=message or "working")

    def __call__(self, done: float, total: float | None = None, message: str = "") -> None:
        frac = fraction(done, total)
        step = f"{message} ({int(done) + 1 if done < (total or 0) else int(done)}/{int(total)})" \
            if total and message else message
        self.state = (self.state[0] if frac is None else frac, step)
        if self.box is not None:
            self._draw()

    def frac(self, frac: float, message: str = "") -> None:
        """For ``progress(fraction, message)`` callbacks."""
        self.state = (min(max(float(frac), 0.0), 1.0), message)
        if self.box is not None:
            self._draw()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            self.closed = True
            self.slot.empty()


@contextmanager
def running(title: str, *, show_now: bool = False) -> Iterator[Progress]:
    """Show a "⏳ Running: title" box with a progress bar while the body runs (see the module docstring)."""
    progress = Progress(title, show_now=show_now)
    try:
        yield progress
    finally:
        progress.close()
