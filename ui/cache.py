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


@st.cache_data(max_entries=32, ttl=3600, show_spinner="Comparing gold texts with rounds and pool ...")
def _leakage(path: str, url: str, fp: tuple, threshold: float) -> dict:
    from evaluator.gold import leakage_report
    return leakage_report(open_workspace(path, db_url=url), threshold=threshold)


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


def leakage(ws: Workspace, *, threshold: float) -> dict:
    """``evaluator.gold.leakage_report(ws, threshold=...)``, cached."""
    fp = fingerprint(ws)
    if fp is None:
        from evaluator.gold import leakage_report
        return leakage_report(ws, threshold=threshold)
    return _leakage(str(ws.path), ws.url, fp, float(threshold))


def preview(ws: Workspace, target: str, *, limit: int = 50) -> tuple[int, list]:
    """(number of examples, first ``limit`` records with their latest annotation) of a target, cached."""
    fp = fingerprint(ws)
    if fp is None:
        from evaluator.store import load_records
        records = load_records(ws, target, answers=None)
        return len(records), records[:limit]
    return _preview(str(ws.path), ws.url, fp, target, limit)


def clear() -> None:
    """Forget every cached read (call after the app writes to a workspace)."""
    for fn in (_status, _leakage, _preview):
        fn.clear()
