"""One progress protocol for long work: ``progress(done, total, message)`` plus a cancel check.

Every long-running library function (import, training, prediction, evaluation, learning curves, A/B statistics,
leakage search, ...) takes two keyword arguments:

* ``progress``: ``None`` or a callable ``progress(done, total, message)``. ``done`` and ``total`` are numbers of
  the same unit (steps, examples, models); ``total`` may be 0 or ``None`` when unknown. ``message`` says what is
  being done, in a few words. Calls are cheap and may come often; receivers throttle what they show.
* ``cancel``: ``None`` or a :class:`threading.Event`; the function calls :func:`check_cancel` between steps and
  stops with :class:`Cancelled` once it is set (keeping nothing half-written).

The CLI draws a bar on stderr from these calls (:mod:`evaluator.cli`), the app's background jobs record them
(:mod:`evaluator.jobs`), pages draw ``st.progress`` from them. Nothing else adapts progress.

>>> seen = []
>>> def progress(done, total, message): seen.append((done, total, message))
>>> inner = part(progress, start=10, size=10, total=40)
>>> inner(1, 2, "half of the second quarter")
>>> seen
[(15.0, 40, 'half of the second quarter')]
>>> fraction(15, 40), fraction(3, 0), fraction(2, None)
(0.375, 1.0, None)
"""
from __future__ import annotations

import threading
from typing import Callable, Optional

from evaluator.errors import EvaluatorError

#: ``progress(done, total, message)``; see the module docstring
Progress = Callable[[float, Optional[float], str], None]


class Cancelled(EvaluatorError):
    """Long work stopped because its cancel event was set; nothing was kept."""

    code = "cancelled"


def report(progress: Progress | None, done: float, total: float | None, message: str = "") -> None:
    """Call ``progress(done, total, message)`` when there is a receiver."""
    if progress is not None:
        progress(done, total, message)


def check_cancel(cancel: threading.Event | None, what: str = "The work") -> None:
    """Raise :class:`Cancelled` when ``cancel`` is set (call it between steps)."""
    if cancel is not None and cancel.is_set():
        raise Cancelled(f"{what} was cancelled; nothing was kept.")


def fraction(done: float, total: float | None) -> float | None:
    """``done / total`` clipped to [0, 1]; 1.0 for an empty task (``total == 0``), None when unknown."""
    if total is None:
        return None
    if total <= 0:
        return 1.0
    return min(1.0, max(0.0, float(done) / float(total)))


def part(progress: Progress | None, *, start: float, size: float, total: float) -> Progress | None:
    """A receiver for a sub-task that fills ``[start, start + size]`` of the parent's ``total``.

    The sub-task reports in its own units (``done`` of its own ``total``); the parent's receiver sees
    ``start + size * done / sub_total`` of ``total``.
    """
    if progress is None:
        return None

    def _inner(done: float, sub_total: float | None, message: str = "") -> None:
        frac = fraction(done, sub_total)
        progress(start + size * (frac if frac is not None else 0.0), total, message)

    return _inner


__all__ = ["Cancelled", "Progress", "check_cancel", "fraction", "part", "report"]
