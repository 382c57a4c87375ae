"""Draw :mod:`evaluator.progress` reports: an ``st.progress`` bar with the current message, or a visible
"⏳ Running: …" box (:func:`running`) that says what is computed and how far it is."""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from evaluator.progress import Progress, fraction


class ProgressBar:
    """A receiver ``progress(done, total, message)`` that draws a bar (an unknown total keeps the bar where it
    is and updates the text). ``clear()`` removes it."""

    def __init__(self, text: str = "starting") -> None:
        self._slot = st.empty()
        self._value = 0.0
        self._bar = self._slot.progress(0.0, text=text)

    def __call__(self, done: float, total: float | None, message: str = "") -> None:
        frac = fraction(done, total)
        if frac is not None:
            self._value = frac
        self._bar.progress(self._value, text=message or None)

    def clear(self) -> None:
        self._slot.empty()


def progress_bar(text: str = "starting") -> Progress:
    """A new :class:`ProgressBar` at this place on the page."""
    return ProgressBar(text)


# ---------------------------------------------------------------------------------------------- Running box
# Streamlit's own running indicator sits in the toolbar, which ``client.toolbarMode = "minimal"`` keeps quiet; a
# cold Evaluate page (predicting and scoring several models) took ~20 s with only a thin bar. Pages wrap such work
# in :func:`running`::
#
#     with running("scoring 6 models on gold:test v1") as progress:
#         evaluate_models(ws, "test", progress=progress)
#
# The box appears when the work has run for SHOW_AFTER seconds (so a rerun that only reads stored results does not
# flash it; ``show_now=True`` draws it at once), shows the title, the current step and a progress bar, and is
# removed when the work ends.

#: seconds of work before the box is drawn (as Streamlit's own spinner waits); ``$EVALUATOR_RUNNING_DELAY``
#: changes it (the browser tests draw every box)
SHOW_AFTER = float(os.environ.get("EVALUATOR_RUNNING_DELAY", "0.4"))
#: the label every box starts with (browser tests look for it)
PREFIX = "⏳ Running:"


class Running:
    """The receiver :func:`running` yields (``progress(done, total, message)``); draws and updates the box."""

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
        self.state = (self.state[0] if frac is None else frac, message or self.state[1])
        if self.box is not None:
            self._draw()

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        with self.lock:
            self.closed = True
            self.slot.empty()


@contextmanager
def running(title: str, *, show_now: bool = False) -> Iterator[Running]:
    """Show a "⏳ Running: title" box with a progress bar while the body runs (see the module docstring)."""
    progress = Running(title, show_now=show_now)
    try:
        yield progress
    finally:
        progress.close()
