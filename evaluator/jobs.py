"""Background jobs for long work (training, learning curves, predictions), so a page stays usable meanwhile.

A job runs ``fn(*args, progress=..., cancel=..., **kwargs)`` in a daemon thread. ``progress(frac, msg)`` sets
the job's progress fraction (0..1, or ``None`` to keep it) and last message and appends the message to a bounded
log; ``cancel`` is a :class:`threading.Event` that :func:`cancel_job` sets (the trainers check it between steps
and raise :class:`~evaluator.training.TrainingCancelled`). Jobs live in a process-wide registry (a module-level
dict guarded by a lock), so every browser session of one app server sees the same jobs.

A user error (:class:`~evaluator.errors.EvaluatorError`) ends the job as ``failed`` with the error's message and
hint, never a traceback; any other exception is logged with its traceback and shown as one line saying it is
a bug.

>>> job = start_job("demo", lambda n, *, progress, cancel: n * 2, 21)      # doctest: +SKIP
>>> wait_job(job.id).result                                                   # doctest: +SKIP
42

The second half of the module holds ready-made job bodies for the Train page (:func:`train_job`,
:func:`curve_job`, :func:`predict_job`): they adapt the training registry's progress callbacks to
``progress(frac, msg)`` and keep the log short.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from evaluator.errors import EvaluatorError

log = logging.getLogger("evaluator.jobs")

STATES = ("running", "done", "failed", "cancelled")
#: lines kept in a job's log (older lines are dropped)
LOG_LINES = 200
#: jobs kept in the registry; the oldest finished ones are forgotten first
MAX_JOBS = 100

#: ``progress(frac, msg, *, log=True)``: ``frac`` in [0, 1] or None (unchanged); ``log=False`` updates the last
#: message without adding a log line
Progress = Callable[..., None]


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
    def _report(self, frac: float | None = None, msg: str | None = None, *, log: bool = True) -> None:
        with self._lock:
            if frac is not None:
                self.progress = min(1.0, max(0.0, float(frac)))
            if msg:
                self.message = str(msg)
                if log:
                    self.log.append(f"{time.strftime('%H:%M:%S')}  {msg}")

    def _finish(self, state: str, *, result: Any = None, error: str | None = None, hint: str | None = None,
                code: str | None = None) -> None:
        with self._lock:
            self.state = state
            self.result = result
            self.error, self.hint, self.error_code = error, hint, code
            self.finished = time.time()
            if state == "done":
                self.progress = 1.0
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
    job._report(0.0, f"started: {job.title}")
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
    job._report(None, "cancel requested; stopping at the next step")
    return True


def wait_job(job_id: str, timeout: float | None = None) -> Job:
    """Wait until the job has finished (or ``timeout`` seconds) and return it."""
    job = get_job(job_id)
    if job is None:
        raise KeyError(job_id)
    job.wait(timeout)
    return job


def forget_job(job_id: str) -> bool:
    """Remove a finished job from the registry (running jobs stay). True when removed."""
    with _LOCK:
        job = _JOBS.get(job_id)
        if job is None or job.running:
            return False
        del _JOBS[job_id]
        return True


# ------------------------------------------------------------------------------------------ job bodies

class _StepLog:
    """Adapts the trainers' ``progress(step, total, loss, score)`` to ``progress(frac, msg)``.

    Every call updates the fraction and the last message; a log line is written about every 5% of the steps,
    whenever the dev score changes and at the last step, so the log stays short.
    """

    def __init__(self, progress: Progress, *, prefix: str = "", span: tuple[float, float] = (0.0, 1.0)) -> None:
        self.progress = progress
        self.prefix = prefix
        self.lo, self.hi = span
        self.last_step = -1
        self.last_score: float | None = None
        self.pending: str | None = None

    def __call__(self, step: int, total: int, loss: float | None, score: float | None) -> None:
        frac = min(1.0, step / total) if total else 0.0
        msg = f"{self.prefix}step {step}/{total}" + (f" · loss {loss:.3f}" if loss is not None else "") + \
              (f" · dev score {score:.3f}" if score is not None else "")
        every = max(1, total // 20) if total else 1
        write = (step >= total or score != self.last_score or self.last_step < 0
                 or step - self.last_step >= every)
        if write:
            self.last_step = step
        self.last_score = score
        self.pending = None if write else msg
        self.progress(self.lo + (self.hi - self.lo) * frac, msg, log=write)

    def flush(self) -> None:
        """Log the last step when it was not logged (training stopped early, before ``total``)."""
        if self.pending:
            self.progress(None, self.pending)
            self.pending = None


def train_job(ws: Any, round: int, *, trainer: str | None = None, seed: int = 0, cumulative: bool = True,
              config: dict[str, Any] | None = None, name: str | None = None, progress: Progress,
              cancel: threading.Event) -> dict[str, Any]:
    """Job body: :func:`evaluator.training.registry.train_round` with progress and cancel wired in."""
    from evaluator.training.registry import train_round

    progress(0.0, f"reading the accepted annotations of round{'s 1..' if cumulative else ' '}{round}")
    steps = _StepLog(progress)
    from evaluator.housekeeping import training_guard

    with training_guard(ws):  # leftovers are cleaned only while nothing trains
        res = train_round(ws, round, trainer=trainer, seed=seed, cumulative=cumulative, config=config, name=name,
                          progress=steps, cancel=cancel)
    steps.flush()
    for w in (res.get("warnings") or [])[:10]:
        progress(None, f"note: {w}")
    progress(1.0, f"saved model {res['name']}: {res['counts']['examples']} examples, {res['seconds']:.1f} s")
    return res


def curve_job(ws: Any, *, trainer: str | None = None, round: int | None = None,
              fractions: Sequence[float] | None = None, seeds: Sequence[int] | None = None, gold: str | None = None,
              config: dict[str, Any] | None = None, progress: Progress, cancel: threading.Event) -> dict[str, Any]:
    """Job body: :func:`evaluator.training.registry.learning_curve` (train and score every fraction x seed)."""
    from evaluator.training import registry
    from evaluator.training.curve import DEFAULT_FRACTIONS, DEFAULT_SEEDS

    def step(done: int, total: int, what: str) -> None:
        if what:
            progress(done / total if total else 0.0, f"run {done + 1}/{total}: training on {what}")
        else:
            progress(1.0, "scoring the curve")

    from evaluator.housekeeping import training_guard

    with training_guard(ws):
        res = registry.learning_curve(ws, trainer=trainer, round=round,
                                      fractions=tuple(fractions or DEFAULT_FRACTIONS),
                                      seeds=tuple(DEFAULT_SEEDS if seeds is None else seeds), gold=gold,
                                      config=config, progress=step, cancel=cancel)
    progress(1.0, ("reused the stored curve: " if res.get("reused") else "") + f"{res['verdict']}")
    return res


def predict_job(ws: Any, model: str, target: str, *, progress: Progress, cancel: threading.Event) -> dict[str, Any]:
    """Job body: :func:`evaluator.training.registry.predict` (stored predictions are reused)."""
    from evaluator.training.registry import predict

    last = [-1.0]

    def step(done: int, total: int) -> None:
        frac = done / total if total else 1.0
        write = frac - last[0] >= 0.1 or done >= total
        if write:
            last[0] = frac
        progress(frac, f"{done}/{total} examples predicted", log=write)

    progress(0.0, f"predicting {target} with {model}")
    res = predict(ws, model, target, progress=step)
    progress(1.0, f"{res['computed']} predicted, {res['reused']} reused, {res['seconds']:.1f} s")
    return res


__all__ = ["Job", "LOG_LINES", "MAX_JOBS", "STATES", "cancel_job", "curve_job", "forget_job", "get_job",
           "list_jobs", "predict_job", "start_job", "train_job", "wait_job"]
