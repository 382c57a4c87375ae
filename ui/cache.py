"""Deliberate caching of workspace reads, keyed on the content they depend on.

Every cached read is keyed on the workspace and on the *content versions* of what it reads
(:func:`evaluator.store.content_versions`: a counter per collection, per model and for the settings, bumped by
database triggers on every write, whoever writes: this app, the CLI, another user of a PostgreSQL workspace).
So a write shows up on the next rerun, and it throws away only the cached results that depend on what it
changed: importing into a round keeps the gold set's scores, scoring a model keeps the Data page's previews.
Reading the versions is one small query per page run. Databases without the triggers (neither SQLite nor
PostgreSQL) are not cached. Cached values are never mutated by the pages.
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from evaluator.workspace import Workspace, open_workspace

#: collections, models, settings, learning curves (results without a model): what a cached read depends on
COLLECTIONS, MODELS, SETTINGS, CURVES = "collection:", "model:", "settings", "results:curve"


def versions(ws: Workspace) -> dict[str, int] | None:
    """The workspace's content versions, or None where there are no version triggers (nothing is cached)."""
    if ws.engine.dialect.name not in ("sqlite", "postgresql"):
        return None
    from evaluator.store import content_versions

    return content_versions(ws)


def everything(v: dict[str, int]) -> tuple:
    """Every content version: the key of reads that depend on much of the workspace (A/B sessions, labeling
    progress and agreement)."""
    return tuple(sorted(v.items()))


def _key(v: dict[str, int], *parts: str) -> tuple:
    """The versions whose names start with one of ``parts`` (``"collection:"``, ``"model:3"``, ...), sorted."""
    return tuple(sorted((name, n) for name, n in v.items() if name.startswith(parts)))


def read(ws: Workspace, depends: Callable[[dict[str, int]], tuple], cached: Callable, direct: Callable,
            *args: Any) -> Any:
    """``cached(path, url, key, *args)`` under the versions ``depends`` picks; ``direct(ws, *args)`` uncached."""
    v = versions(ws)
    if v is None:
        return direct(ws, *args)
    return cached(str(ws.path), ws.url, depends(v), *args)


# ------------------------------------------------------------------------------------------- data and gold sets

@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _status(path: str, url: str, key: tuple) -> dict:
    from evaluator.store import status
    return status(open_workspace(path, db_url=url))


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _preview(path: str, url: str, key: tuple, target: str, offset: int, limit: int) -> tuple[int, list]:
    from evaluator.store import preview_records
    return preview_records(open_workspace(path, db_url=url), target, offset=offset, limit=limit)


def workspace_status(ws: Workspace) -> dict:
    """``evaluator.store.status(ws)``, cached on the collections and the settings (labels)."""
    from evaluator.store import status
    return read(ws, lambda v: _key(v, COLLECTIONS, SETTINGS), _status, status)


def preview(ws: Workspace, target: str, *, offset: int = 0, limit: int = 50) -> tuple[int, list]:
    """(number of examples, ``limit`` records from ``offset``) of a target (one page, read with SQL
    ``OFFSET``/``LIMIT``), cached on that collection."""
    from evaluator.store import get_collection, preview_records

    row = get_collection(ws, target)
    return read(ws, lambda v: (v.get(f"{COLLECTIONS}{row['id']}", 0), row["id"]), _preview,
                   lambda w, t, o, n: preview_records(w, t, offset=o, limit=n), target, int(offset), int(limit))


# ------------------------------------------------------------------------------- models, scores, comparisons
# (Train and Evaluate pages). Results are also stored in the workspace by the library; this layer saves reading
# the gold set and the stored result again on every rerun.

@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _models(path: str, url: str, key: tuple) -> list[dict]:
    from evaluator.models import list_models
    return list_models(open_workspace(path, db_url=url))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _scores(path: str, url: str, key: tuple) -> list[dict]:
    from evaluator.scoring.evaluate import stored_scores
    return stored_scores(open_workspace(path, db_url=url))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _curves(path: str, url: str, key: tuple, trainer: str | None) -> list[dict]:
    from evaluator.scoring.curves import stored_curves
    return stored_curves(open_workspace(path, db_url=url), trainer=trainer)


@st.cache_data(max_entries=64, ttl=3600,
               show_spinner="Comparing the two models (paired bootstrap and randomization test) ...")
def _comparison(path: str, url: str, key: tuple, gold: str, a: str, b: str, settings: tuple) -> dict:
    from evaluator.scoring.compare import compare_models
    return compare_models(open_workspace(path, db_url=url), gold, a, b, **dict(settings))


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _diff(path: str, url: str, key: tuple, gold: str, a: str, b: str, version: int | None) -> list[dict]:
    from evaluator.scoring.compare import example_diff
    return example_diff(open_workspace(path, db_url=url), gold, a, b, version=version)


def _on_models(ws: Workspace, gold: str, *names: str) -> Callable[[dict[str, int]], tuple]:
    """What a result on gold set ``gold`` and models ``names`` depends on: those collections and models."""
    from evaluator.store import version_names

    parts = tuple(version_names(ws, gold=gold, models=names))
    # the key holds the ids as well as the names: a rename, or a new model under an old name, is a new key
    return lambda v: (tuple((p, v.get(p, 0)) for p in parts), names)


def models(ws: Workspace) -> list[dict]:
    """``evaluator.models.list_models(ws)``, cached on the models."""
    from evaluator.models import list_models
    return read(ws, lambda v: _key(v, MODELS), _models, list_models)


def scores(ws: Workspace) -> list[dict]:
    """``evaluator.scoring.evaluate.stored_scores(ws)`` (stored evaluations, nothing computed), cached on the
    models and the collections (a gold set's hash decides whether a score is current)."""
    from evaluator.scoring.evaluate import stored_scores
    return read(ws, lambda v: _key(v, MODELS, COLLECTIONS), _scores, stored_scores)


def curves(ws: Workspace, *, trainer: str | None = None) -> list[dict]:
    """``evaluator.scoring.curves.stored_curves(ws, trainer=...)``, cached on the stored curves."""
    from evaluator.scoring.curves import stored_curves
    return read(ws, lambda v: _key(v, CURVES), _curves, lambda w, t: stored_curves(w, trainer=t), trainer)


def comparison(ws: Workspace, gold: str, model_a: str, model_b: str, **settings) -> dict:
    """``evaluator.scoring.compare.compare_models(ws, gold, a, b, **settings)``, cached on the gold set and the two
    models (and stored in the workspace by the library)."""
    from evaluator.scoring.compare import compare_models
    return read(ws, _on_models(ws, gold, model_a, model_b), _comparison,
                   lambda w, g, a, b, s: compare_models(w, g, a, b, **dict(s)),
                   gold, model_a, model_b, tuple(sorted(settings.items())))


def example_diff(ws: Workspace, gold: str, model_a: str, model_b: str, *, version: int | None = None) -> list[dict]:
    """``evaluator.scoring.compare.example_diff`` over every label (pages filter the rows), cached on the gold set and
    the two models."""
    from evaluator.scoring.compare import example_diff as diff
    return read(ws, _on_models(ws, gold, model_a, model_b), _diff,
                   lambda w, g, a, b, v: diff(w, g, a, b, version=v), gold, model_a, model_b, version)


def clear() -> None:
    """Forget every cached read (the app calls it after its own writes; the content versions would also tell)."""
    for fn in (_status, _preview, _models, _scores, _curves, _comparison, _diff):
        fn.clear()
