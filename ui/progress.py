"""Draw :mod:`evaluator.progress` reports as an ``st.progress`` bar with the current message."""
from __future__ import annotations

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
