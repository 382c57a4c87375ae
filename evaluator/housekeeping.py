"""Leftovers of interrupted work, cleaned when a workspace opens (and said so).

A training run writes its artifact into ``models/.tmp-*`` and renames it into place; a learning curve works in
``models/.curve-*``. A process killed in between leaves a temporary folder behind, or, killed right after the
rename, a complete artifact folder ``models/NAME`` that no model row points at. :func:`clean_interrupted` removes
both kinds when no training is running in any process: the library functions that write into ``models/``
(:func:`evaluator.models.train_round`, :func:`~evaluator.models.add_model`,
:func:`evaluator.scoring.curves.learning_curve`), whichever door calls them, hold :func:`training_guard` (a shared
``flock`` on ``.training.lock`` in the workspace folder) while they work, and the cleaner only proceeds when it can
take that lock exclusively.
The operating system drops the lock of a killed process, so its leftovers are cleaned at the next start.
"""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import sqlalchemy as sa

try:
    import fcntl
except ImportError:  # (Windows: no flock; nothing is cleaned there)
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from evaluator.workspace import Workspace

LOCK_FILE = ".training.lock"
TEMP_PREFIXES = (".tmp-", ".curve-")
#: files every finished artifact folder holds (evaluator.training.base writes them)
ARTIFACT_FILES = ("config.json", "meta.json")


@contextmanager
def training_guard(ws: "Workspace") -> Iterator[None]:
    """Hold a shared lock on the workspace while training: the cleaner leaves ``models/`` alone meanwhile."""
    if fcntl is None:
        yield
        return
    ws.path.mkdir(parents=True, exist_ok=True)
    with open(ws.path / LOCK_FILE, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def clean_interrupted(ws: "Workspace") -> list[dict]:
    """Remove the temporary folders and unregistered complete artifact folders that interrupted training left in
    ``models/``; returns what was removed (``path`` relative to the workspace, ``kind``, ``bytes``). Does nothing
    while any process trains in this workspace."""
    models = ws.path / "models"
    if fcntl is None or not models.is_dir():
        return []
    temps = [p for p in models.iterdir() if p.is_dir() and p.name.startswith(TEMP_PREFIXES)]
    complete = [p for p in models.iterdir() if p.is_dir() and not p.name.startswith(".") and not p.is_symlink()
                and all((p / f).is_file() for f in ARTIFACT_FILES)]
    if not temps and not complete:
        return []
    removed: list[dict] = []
    with open(ws.path / LOCK_FILE, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a training runs somewhere: its folders are not leftovers
            return []
        try:
            if complete:
                from evaluator import db

                with ws.engine.connect() as conn:
                    paths = {r[0] for r in conn.execute(sa.select(db.models.c.artifact_path)) if r[0]}
                registered = {(ws.path / p).resolve() if not Path(p).is_absolute() else Path(p).resolve()
                              for p in paths}
                complete = [p for p in complete if p.resolve() not in registered]
            for path, kind in [(p, "temporary folder") for p in temps] + [(p, "unregistered model") for p in complete]:
                size = _size(path)
                shutil.rmtree(path, ignore_errors=True)
                if not path.exists():
                    removed.append({"path": path.relative_to(ws.path).as_posix(), "kind": kind, "bytes": size})
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return removed


def describe(removed: list[dict]) -> str:
    """One sentence for the user about what :func:`clean_interrupted` removed.

    >>> describe([{"path": "models/.tmp-x", "kind": "temporary folder", "bytes": 13_000_000}])
    'Removed 1 leftover of interrupted training (13.0 MB): models/.tmp-x (temporary folder).'
    """
    total = sum(r["bytes"] for r in removed) / 1e6
    shown = ", ".join(f"{r['path']} ({r['kind']})" for r in removed[:5])
    more = f" and {len(removed) - 5} more" if len(removed) > 5 else ""
    return (f"Removed {len(removed)} leftover{'s' if len(removed) != 1 else ''} of interrupted training "
            f"({total:.1f} MB): {shown}{more}.")
