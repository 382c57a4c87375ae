"""Background jobs for long work (training, learning curves, predictions), so a page stays usable meanwhile.

A job runs ``fn(*args, progress=..., cancel=..., **kwargs)`` in a daemon thread, where ``fn`` is any library
function that follows :mod:`evaluator.progress` (``train_round``, ``learning_curve``, ``predict``, ...).
The job only records what it receives: ``progress(done, total, message)`` sets its progress fraction and current
message and adds the message to a bounded log (about one line per 5% of the work, so a 500-step training does not
flood it); ``cancel`` is a :class:`threading.Event` that :func:`cancel_job` sets. Jobs live in a process-wide
registry (a module-level dict guarded by a lock), so every browser session of one app server sees the same jobs.

A user error (:class:`~evaluator.errors.EvaluatorError`) ends the job as ``failed`` with the error's message and
hint, never a traceback; any other exception is logged with its traceback and shown as one line saying it is
a bug.

>>> job = start_job("demo", lambda n, *, progress, cancel: n * 2, 21)      # doctest: +SKIP
>>> wait_job(job.id).result                                                   # doctest: +SKIP
42
"""
from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from evaluator.errors import EvaluatorError
from evaluator.progress import fraction

log = logging.getLogger("evaluator.jobs")

STATES = ("running", "done", "failed", "cancelled")
#: lines kept in a job's log (older lines are dropped)
LOG_LINES = 200
#: jobs kept in the registry; the oldest finished ones are forgotten first
MAX_JOBS = 100

#: a new log line is written when the work has advanced by this fraction since the last one (or it is done)
LOG_EVERY = 0.05


@dataclass
class Job:
    """One background job. Read its fields freely; :meth:`snapshot` gives a consistent copy."""

    id: str
    kind: str
    title: str
    #: free-form labels for filtering, e.g. ``{"workspace": "/path"}``
    meta: dict[str, Any]
    state: str = "running"
    progress: float = 0.0
    message: str = ""
    log: deque = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    result: Any = None
    #: the EvaluatorError message (or one line for a bug); None unless failed/cancelled
    error: str | None = None
    hint: str | None = None
    #: the error's code (``cancelled``, ``exists``, ``leakage``, ... or ``bug``)
    error_code: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _logged: float | None = field(default=None, repr=False)
    #: the latest message that got no log line (written when the job ends, e.g. a training that stopped early)
    _pending: str | None = field(default=None, repr=False)
    _total: float | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def seconds(self) -> float:
        """Run time so far (or in total once finished)."""
        return (self.finished or time.time()) - self.started

    @property
    def lines(self) -> list[str]:
        with self._lock:
            return list(self.log)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (True) or ``timeout`` seconds passed (False)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of the public fields as plain data (``result`` is not copied deeply)."""
        with self._lock:
            return {"id": self.id, "kind": self.kind, "title": self.title, "meta": dict(self.meta),
                    "state": self.state, "progress": self.progress, "message": self.message, "log": list(self.log),
                    "result": self.result, "error": self.error, "hint": self.hint, "error_code": self.error_code,
                    "started": self.started, "finished": self.finished, "seconds": self.seconds}

    # -- called from the worker thread ----------------------------------------------------------------
    def _report(self, done: float, total: float | None = None, message: str = "") -> None:
        """The :mod:`evaluator.progress` receiver: record the fraction, the message and (throttled) a log line."""
        frac = fraction(done, total)
        with self._lock:
            if frac is not None:
                self.progress = frac
            if message:
                self.message = str(message)
                new_phase = total != self._total
                self._total = total
                if new_phase and self._pending:  # the last message of the previous phase (e.g. an early stop)
                    self.log.append(self._pending)
                if (new_phase or self._logged is None or frac is None or frac >= 1.0
                        or abs(frac - self._logged) >= LOG_EVERY):
                    self._logged = frac
                    self.log.append(f"{time.strftime('%H:%M:%S')}  {message}")
                    self._pending = None
                else:
                    self._pending = f"{time.strftime('%H:%M:%S')}  {message}"

    def _finish(self, state: str, *, result: Any = None, error: str | None = None, hint: str | None = None,
                code: str | None = None) -> None:
        with self._lock:
            self.state = state
            self.result = result
            self.error, self.hint, self.error_code = error, hint, code
            self.finished = time.time()
            if state == "done":
                self.progress = 1.0
            if self._pending:
                self.log.append(self._pending)
                self._pending = None
            line = {"done": "finished", "failed": f"failed: {error}", "cancelled": "cancelled"}[state]
            self.log.append(f"{time.strftime('%H:%M:%S')}  {line} after {self.seconds:.1f} s")


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()


def _run(job: Job, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        result = fn(*args, progress=job._report, cancel=job.cancel_event, **kwargs)
    except EvaluatorError as err:
        cancelled = err.code == "cancelled" or job.cancel_event.is_set()
        job._finish("cancelled" if cancelled else "failed", error=err.message, hint=err.hint,
                    code="cancelled" if cancelled else err.code)
    except Exception as err:  # a bug: one line for the user, the traceback for the server log
        if job.cancel_event.is_set():
            job._finish("cancelled", error="Cancelled.", code="cancelled")
        else:
            log.exception("job %s (%s) failed", job.id, job.kind)
            msg = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
            job._finish("failed", error=f"Something went wrong ({type(err).__name__}: {msg}). This is a bug; the "
                                        "details are in the server log.", code="bug")
    else:
        job._finish("done", result=result)


def _evict() -> None:
    """Forget the oldest finished jobs beyond MAX_JOBS (call with _LOCK held)."""
    finished = sorted((j for j in _JOBS.values() if not j.running), key=lambda j: j.started)
    while len(_JOBS) > MAX_JOBS and finished:
        _JOBS.pop(finished.pop(0).id, None)


def start_job(kind: str, fn: Callable[..., Any], /, *args: Any, title: str | None = None,
              meta: dict[str, Any] | None = None, **kwargs: Any) -> Job:
    """Run ``fn(*args, progress=..., cancel=..., **kwargs)`` in a background thread and return its :class:`Job`.

    ``kind`` groups jobs (``train``, ``curve``, ``predict``, ...); ``title`` is what a page shows (default:
    ``kind``); ``meta`` holds labels for :func:`list_jobs` filters (``fn`` therefore cannot take keyword
    arguments named ``title`` or ``meta``: wrap it in a ``functools.partial``).
    """
    job = Job(id=uuid.uuid4().hex[:12], kind=kind, title=title or kind, meta=dict(meta or {}))
    job._report(0, None, f"started: {job.title}")
    thread = threading.Thread(target=_run, args=(job, fn, args, kwargs), name=f"evaluator-job-{job.id}",
                              daemon=True)
    job._thread = thread
    with _LOCK:
        _JOBS[job.id] = job
        _evict()
    thread.start()
    return job


def get_job(job_id: str) -> Job | None:
    """The job with this id, or None when unknown (or forgotten)."""
    with _LOCK:
        return _JOBS.get(job_id)


def list_jobs(*, kind: str | None = None, state: str | None = None,
              meta: dict[str, Any] | None = None) -> list[Job]:
    """Jobs, newest first; ``kind``, ``state`` and ``meta`` (every item must match) filter."""
    with _LOCK:
        jobs = list(_JOBS.values())
    out = [j for j in jobs
           if (kind is None or j.kind == kind) and (state is None or j.state == state)
           and all(j.meta.get(k) == v for k, v in (meta or {}).items())]
    return sorted(out, key=lambda j: j.started, reverse=True)


def cancel_job(job_id: str) -> bool:
    """Ask a running job to stop (sets its ``cancel`` event). True when the job exists and was running."""
    job = get_job(job_id)
    if job is None or not job.running:
        return False
    job.cancel_event.set()
    with job._lock:
        job.message = "cancel requested; stopping at the next step"
        job.log.append(f"{time.strftime('%H:%M:%S')}  {job.message}")
    return True


def wait_job(job_id: str, timeout: float | None = None) -> Job:
    """Wait until the job has finished (or ``timeout`` seconds) and return it."""
    job = get_job(job_id)
    if job is None:
        raise KeyError(job_id)
    job.wait(timeout)
    return job


def in_own_process(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` to be run by a job in a fresh Python process (:func:`evaluator.isolated.run_isolated`), its progress
    and cancel relayed: ``start_job("train", in_own_process(train_round), ws, 3)``.

    Training draws from the process-wide random states (spaCy shuffles batches with ``random``, thinc's dropout
    uses ``numpy.random``), and so do the app server's other threads (the websocket keep-alive pings call
    ``random.getrandbits``): in a thread of the server the same round, seed and data gave a different model than
    ``evaluator train``. In a process of its own the job trains exactly the CLI's model (same artifact hash).
    ``fn`` must be a module-level function; its arguments (a workspace pickles as its folder and URL) and result
    must pickle.
    """
    from evaluator.isolated import run_isolated

    return functools.partial(run_isolated, fn)


def forget_job(job_id: str) -> bool:
    """Remove a finished job from the registry (running jobs stay). True when removed."""
    with _LOCK:
        job = _JOBS.get(job_id)
        if job is None or job.running:
            return False
        del _JOBS[job_id]
        return True


__all__ = ["Job", "LOG_EVERY", "LOG_LINES", "MAX_JOBS", "STATES", "cancel_job", "forget_job", "get_job",
           "in_own_process", "list_jobs", "start_job", "wait_job"]
