"""Timing helpers for the benchmarks: run a command as a process, measure what a user waits for.

Every figure is a whole process (interpreter start, imports, reading, computing, printing): CPU seconds
(user + system of the child), wall seconds and peak resident memory, taken from ``wait4``'s resource usage of
that one child. :func:`measure` runs a command ``runs`` times and keeps the medians; benchmarks call it with
the same ``runs`` for the reference and for ours.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
EVALUATOR = [PYTHON, "-m", "evaluator"]


@dataclass
class Run:
    cpu: float
    wall: float
    peak_mib: float
    stdout: bytes = field(repr=False, default=b"")


@dataclass
class Measured:
    runs: list[Run]

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def peak_mib(self) -> float:
        return statistics.median(r.peak_mib for r in self.runs)

    @property
    def stdout(self) -> bytes:
        return self.runs[-1].stdout


def _run_rusage(cmd: Sequence[str], env: dict | None, cwd: Path | None) -> Run:
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as devnull, _TempOut() as tmp:
        proc = subprocess.Popen([str(c) for c in cmd], stdout=tmp.fh, stderr=subprocess.PIPE,
                                env={**os.environ, **(env or {})}, cwd=cwd, stdin=devnull)
        err = proc.stderr.read() if proc.stderr else b""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out = tmp.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{err.decode(errors='replace')}")
    # ru_maxrss is in KiB on Linux
    return Run(cpu=usage.ru_utime + usage.ru_stime, wall=wall, peak_mib=usage.ru_maxrss / 1024, stdout=out)


class _TempOut:
    """A temporary file for a child's stdout (a pipe could fill up while we wait in wait4)."""

    def __enter__(self) -> "_TempOut":
        import tempfile

        self.fh = tempfile.TemporaryFile()
        return self

    def read(self) -> bytes:
        self.fh.seek(0)
        return self.fh.read()

    def __exit__(self, *exc) -> None:
        self.fh.close()


def measure(cmd: Sequence[str], *, runs: int, env: dict | None = None, cwd: Path | None = None,
            label: str = "") -> Measured:
    """Run ``cmd`` ``runs`` times (CPU, wall, peak memory of each run); medians via the properties."""
    done = []
    for k in range(runs):
        r = _run_rusage(cmd, env, cwd)
        done.append(r)
        print(f"  {label or cmd[-1]}: run {k + 1}/{runs}: {r.cpu:.2f} s CPU, {r.wall:.2f} s wall, "
              f"{r.peak_mib:.0f} MiB", file=sys.stderr)
    return Measured(done)


def machine() -> str:
    import platform

    return f"Python {platform.python_version()}, {os.cpu_count()} CPU(s), {platform.machine()}"
