"""Deliberate caching of workspace reads.

Keys include the workspace folder, the database URL and a fingerprint of the SQLite files (size and mtime of
``workspace.db`` and its WAL), so a write from the CLI shows up on the next rerun; the app clears these caches
itself after every write it makes (:func:`clear`). For a server database (PostgreSQL) nothing is cached.
Cached values are never mutated by the pages.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from evaluator.workspace import Workspace, open_workspace


def fingerprint(ws: Workspace) -> tuple | None:
    """(size, mtime_ns) of the SQLite files, or None for a server database."""
    if not ws.url.startswith("sqlite:///"):
        return None
    db = Path(ws.url[len("sqlite:///"):])
    out = []
    for p in (db, db.with_name(db.name + "-wal")):
        try:
            st_ = p.stat()
            out.append((st_.st_size, st_.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _status(path: str, url: str, fp: tuple) -> dict:
    from evaluator.store import status
    return status(open_workspace(path, db_url=url))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _preview(path: str, url: str, fp: tuple, target: str, limit: int) -> tuple[int, list]:
    from evaluator.store import load_records
    records = load_records(open_workspace(path, db_url=url), target, answers=None)
    return len(records), records[:limit]


def workspace_status(ws: Workspace) -> dict:
    """``evaluator.store.status(ws)``, cached."""
    fp = fingerprint(ws)
    if fp is None:
        from evaluator.store import status
        return status(ws)
    return _status(str(ws.path), ws.url, fp)


def preview(ws: Workspace, target: str, *, limit: int = 50) -> tuple[int, list]:
    """(number of examples, first ``limit`` records with their latest annotation) of a target, cached."""
    fp = fingerprint(ws)
    if fp is None:
        from evaluator.store import load_records
        records = load_records(ws, target, answers=None)
        return len(records), records[:limit]
    return _preview(str(ws.path), ws.url, fp, target, limit)


# ------------------------------------------------------------------------------- models, scores, comparisons
# (Train and Evaluate pages). Results are also stored in the workspace by the library; this layer only saves the
# database read on every rerun.

@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _models(path: str, url: str, fp: tuple) -> list[dict]:
    from evaluator.models import list_models
    return list_models(open_workspace(path, db_url=url))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _scores(path: str, url: str, fp: tuple) -> list[dict]:
    from evaluator.scoring.evaluate import stored_scores
    return stored_scores(open_workspace(path, db_url=url))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _curves(path: str, url: str, fp: tuple, trainer: str | None) -> list[dict]:
    from evaluator.scoring.curves import stored_curves
    return stored_curves(open_workspace(path, db_url=url), trainer=trainer)


@st.cache_data(max_entries=64, ttl=3600, show_spinner="Comparing the two models (paired bootstrap and randomization test) ...")
def _comparison(path: str, url: str, fp: tuple, gold: str, a: str, b: str, settings: tuple) -> dict:
    from evaluator.scoring.compare import compare_models
    return compare_models(open_workspace(path, db_url=url), gold, a, b, **dict(settings))


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _diff(path: str, url: str, fp: tuple, gold: str, a: str, b: str, version: int | None) -> list[dict]:
    from evaluator.scoring.compare import example_diff
    return example_diff(open_workspace(path, db_url=url), gold, a, b, version=version)


def _cached(ws: Workspace, cached, direct, *args):
    fp = fingerprint(ws)
    if fp is None:
        return direct(ws, *args)
    return cached(str(ws.path), ws.url, fp, *args)


def models(ws: Workspace) -> list[dict]:
    """``evaluator.models.list_models(ws)``, cached."""
    from evaluator.models import list_models
    return _cached(ws, _models, list_models)


def scores(ws: Workspace) -> list[dict]:
    """``evaluator.scoring.evaluate.stored_scores(ws)`` (stored evaluations, nothing computed), cached."""
    from evaluator.scoring.evaluate import stored_scores
    return _cached(ws, _scores, stored_scores)


def curves(ws: Workspace, *, trainer: str | None = None) -> list[dict]:
    """``evaluator.scoring.curves.stored_curves(ws, trainer=...)``, cached."""
    from evaluator.scoring.curves import stored_curves
    return _cached(ws, _curves, lambda w, t: stored_curves(w, trainer=t), trainer)


def comparison(ws: Workspace, gold: str, model_a: str, model_b: str, **settings) -> dict:
    """``evaluator.scoring.compare.compare_models(ws, gold, a, b, **settings)``, cached (and stored in the
    workspace)."""
    from evaluator.scoring.compare import compare_models
    return _cached(ws, _comparison, lambda w, g, a, b, s: compare_models(w, g, a, b, **dict(s)),
                   gold, model_a, model_b, tuple(sorted(settings.items())))


def example_diff(ws: Workspace, gold: str, model_a: str, model_b: str, *, version: int | None = None) -> list[dict]:
    """``evaluator.scoring.compare.example_diff`` over every label (pages filter the rows), cached."""
    from evaluator.scoring.compare import example_diff as diff
    return _cached(ws, _diff, lambda w, g, a, b, v: diff(w, g, a, b, version=v), gold, model_a, model_b, version)


def clear() -> None:
    """Forget every cached read (call after the app writes to a workspace)."""
    for fn in (_status, _preview, _models, _scores, _curves, _comparison, _diff):
        fn.clear()
