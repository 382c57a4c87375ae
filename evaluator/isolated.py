"""Run long work in a fresh Python process, with its progress calls and the cancel flag relayed.

Why: spaCy's training loop draws from the process-wide ``random`` and ``numpy.random`` states (batch shuffling,
dropout). In the app a job trains in a thread of the server process, where other threads draw from the same
states while it runs (the web server's websocket keep-alive pings call ``random.getrandbits``), so the same round,
seed and data gave a different model than ``evaluator train`` did. A process of its own has those states to
itself, exactly as the CLI has, so both front doors give the same artifact hash.

The child is ``python -m evaluator.isolated`` (not :mod:`multiprocessing`, whose spawn start method would import
the parent's ``__main__``: under Streamlit that is the page script). ``fn`` must be importable by name (a
module-level function); its arguments and its result must pickle. It is called as ``fn(*args, progress=relay,
cancel=event, **kwargs)``: each ``relay(...)`` call in the child becomes the same call of the parent's
``progress``; setting the parent's ``cancel`` event sets the child's. An
:class:`~evaluator.errors.EvaluatorError` raised in the child is raised again in the parent (same class, message,
hint and code); anything else becomes an :class:`IsolatedError` (the child's traceback goes to the log). When the
parent goes away, the child's stdin closes and the child cancels itself.

Protocol: the parent writes two pickles on the child's stdin (``sys.path``, then ``(fn, args, kwargs)``), then
``cancel`` lines; the child writes pickled messages on its original stdout (its own prints go to stderr).
"""
from __future__ import annotations

import importlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
from typing import Any, Callable

from evaluator.errors import EvaluatorError

log = logging.getLogger("evaluator.isolated")

#: seconds between checks of the cancel flag while waiting for the child
POLL = 0.2


class IsolatedError(RuntimeError):
    """The child process failed with something other than an EvaluatorError (a bug), or died."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


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


def run_isolated(fn: Callable[..., Any], /, *args: Any, progress: Callable[..., None] | None = None,
                 cancel: threading.Event | None = None, **kwargs: Any) -> Any:
    """``fn(*args, progress=..., cancel=..., **kwargs)`` in a fresh Python process; returns its result."""
    payload = pickle.dumps((fn, args, kwargs))
    proc = subprocess.Popen([sys.executable, "-m", "evaluator.isolated"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    inbox: queue.Queue = queue.Queue()

    def read() -> None:
        try:
            while True:
                inbox.put(pickle.load(proc.stdout))
        except (EOFError, pickle.UnpicklingError, OSError):
            inbox.put(("eof",))

    reader = threading.Thread(target=read, name="evaluator-isolated-reader", daemon=True)
    reader.start()
    cancelled = False
    try:
        pickle.dump(list(sys.path), proc.stdin)
        proc.stdin.write(payload)
        proc.stdin.flush()
        while True:
            if cancel is not None and cancel.is_set() and not cancelled:
                cancelled = True
                _tell(proc, b"cancel\n")
            try:
                msg = inbox.get(timeout=POLL)
            except queue.Empty:
                continue
            kind = msg[0]
            if kind == "progress":
                if progress is not None:
                    progress(*msg[1], **msg[2])
            elif kind == "done":
                return msg[1]
            elif kind == "error":
                raise _rebuild(*msg[1:])
            elif kind == "bug":
                log.error("worker process for %s failed:\n%s", getattr(fn, "__name__", fn), msg[2])
                raise IsolatedError(msg[1], details=msg[2])
            else:
                code = proc.wait()
                raise IsolatedError(f"The worker process stopped unexpectedly (exit code {code}).")
    finally:
        try:
            proc.stdin.close()  # EOF: a child still running cancels itself
        except OSError:
            pass
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # pragma: no cover - a child that ignores cancel
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        proc.stdout.close()


def _tell(proc: subprocess.Popen, line: bytes) -> None:
    try:
        proc.stdin.write(line)
        proc.stdin.flush()
    except OSError:  # the child has finished already
        pass


def _child() -> None:
    """``python -m evaluator.isolated``: read the work from stdin, run it, answer on the original stdout."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything the work prints goes to stderr, never into the answers
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer
    sys.path[:0] = [p for p in pickle.load(stdin) if p not in sys.path]
    lock = threading.Lock()

    def send(msg: tuple) -> None:
        with lock:
            pickle.dump(msg, out)
            out.flush()

    try:
        fn, args, kwargs = pickle.load(stdin)
    except Exception as err:  # noqa: BLE001 - e.g. the function's module cannot be imported here
        send(("bug", f"{type(err).__name__}: {err}", traceback.format_exc()))
        return
    cancel = threading.Event()

    def watch() -> None:
        for line in stdin:
            if line.strip() == b"cancel":
                cancel.set()
        cancel.set()  # the parent went away

    threading.Thread(target=watch, daemon=True).start()
    try:
        result = fn(*args, progress=lambda *a, **kw: send(("progress", a, kw)), cancel=cancel, **kwargs)
    except EvaluatorError as err:
        send(("error", type(err).__module__, type(err).__qualname__, err.message, err.hint, err.code))
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which decides
        send(("bug", f"{type(err).__name__}: {err}", traceback.format_exc()))
    else:
        send(("done", result))


if __name__ == "__main__":
    _child()
    sys.stderr.flush()
    os._exit(0)  # the stdin watcher may still be reading: skip the interpreter's shutdown, which would wait on it


__all__ = ["IsolatedError", "run_isolated"]
