"""Run long work in a fresh process, with its progress calls and the cancel flag relayed.

Why: spaCy's training loop draws from the process-wide ``random`` and ``numpy.random`` states (batch shuffling,
dropout). In the app a job trains in a thread of the server process, where other threads draw from the same
states while it runs (the web server's websocket keep-alive pings call ``random.getrandbits``), so the same round,
seed and data gave a different model than ``evaluator train`` did. A spawned process has those states to itself,
exactly as the CLI has, so both front doors give the same artifact hash.

``fn`` must be importable by name (a module-level function); its arguments and its result must pickle. It is
called as ``fn(*args, progress=relay, cancel=event, **kwargs)``: each ``relay(...)`` call in the child becomes
the same call of the parent's ``progress``; the parent's ``cancel`` event is passed on to the child's. An
:class:`~evaluator.errors.EvaluatorError` raised in the child is raised again in the parent (same class, message,
hint and code); anything else becomes an :class:`IsolatedError` with the child's traceback in its ``details``.
"""
from __future__ import annotations

import importlib
import logging
import multiprocessing as mp
import threading
import traceback
from typing import Any, Callable

from evaluator.errors import EvaluatorError

log = logging.getLogger("evaluator.isolated")

#: seconds between checks of the cancel flag and of the child's health while waiting for messages
POLL = 0.2


class IsolatedError(RuntimeError):
    """The child process failed with something other than an EvaluatorError (a bug), or died."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


def _child(conn, fn: Callable[..., Any], args: tuple, kwargs: dict, cancel) -> None:
    def relay(*a: Any, **kw: Any) -> None:
        conn.send(("progress", a, kw))

    try:
        result = fn(*args, progress=relay, cancel=cancel, **kwargs)
    except EvaluatorError as err:
        conn.send(("error", type(err).__module__, type(err).__qualname__, err.message, err.hint, err.code))
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which decides
        conn.send(("bug", f"{type(err).__name__}: {err}", traceback.format_exc()))
    else:
        conn.send(("done", result))
    finally:
        conn.close()


def _rebuild(module: str, name: str, message: str, hint: str | None, code: str) -> EvaluatorError:
    """The child's error as an instance of the same EvaluatorError subclass (its own __init__ arguments are not
    needed: the message is already written)."""
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        cls = EvaluatorError
    if not (isinstance(cls, type) and issubclass(cls, EvaluatorError)):
        cls = EvaluatorError
    err = cls.__new__(cls)
    EvaluatorError.__init__(err, message, hint=hint)
    err.code = code
    return err


def in_workspace(target: str, path: str, url: str, /, *args: Any, **kwargs: Any) -> Any:
    """Child side: open the workspace at ``path``/``url`` and call ``target`` (``"module:function"``) with it
    first: ``run_isolated(in_workspace, "evaluator.training.registry:train_round", path, url, 3, ...)``."""
    from evaluator.workspace import open_workspace

    module, _, name = target.partition(":")
    fn = getattr(importlib.import_module(module), name)
    return fn(open_workspace(path, db_url=url), *args, **kwargs)


def run_isolated(fn: Callable[..., Any], /, *args: Any, progress: Callable[..., None] | None = None,
                 cancel: threading.Event | None = None, **kwargs: Any) -> Any:
    """``fn(*args, progress=..., cancel=..., **kwargs)`` in a freshly spawned process; returns its result."""
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    child_cancel = ctx.Event()
    proc = ctx.Process(target=_child, args=(send, fn, args, kwargs, child_cancel), daemon=True,
                       name=f"evaluator-{getattr(fn, '__name__', 'work')}")
    proc.start()
    send.close()  # the child holds the only writing end: EOF once it exits
    try:
        while True:
            if cancel is not None and cancel.is_set() and not child_cancel.is_set():
                child_cancel.set()
            if not recv.poll(POLL):
                if not proc.is_alive() and not recv.poll(0):
                    raise IsolatedError(f"The worker process stopped unexpectedly (exit code {proc.exitcode}).")
                continue
            try:
                msg = recv.recv()
            except EOFError:
                raise IsolatedError(f"The worker process stopped unexpectedly (exit code {proc.exitcode}).") from None
            kind = msg[0]
            if kind == "progress":
                if progress is not None:
                    progress(*msg[1], **msg[2])
            elif kind == "done":
                return msg[1]
            elif kind == "error":
                raise _rebuild(*msg[1:])
            else:
                log.error("worker process %s failed:\n%s", proc.name, msg[2])
                raise IsolatedError(msg[1], details=msg[2])
    finally:
        recv.close()
        proc.join(timeout=30)
        if proc.is_alive():  # pragma: no cover - a child that does not stop after it answered
            proc.terminate()
            proc.join()


__all__ = ["IsolatedError", "in_workspace", "run_isolated"]
