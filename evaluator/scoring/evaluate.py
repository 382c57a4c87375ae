"""Every model's scores on a gold-set version: computed from stored predictions, stored in the results table.

>>> evaluate_models(ws, "test")[0]["micro"]["f1"]           # doctest: +SKIP
0.61
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Sequence

import numpy as np
import sqlalchemy as sa

from evaluator import db
from evaluator.errors import ConfigError, EvaluatorError, NotFoundError
from evaluator.progress import Progress, check_cancel, part, report
from evaluator.records import Record
from evaluator.results import find_results, get_result, put_result, result_key
from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from evaluator.training.base import Prediction
from evaluator.workspace import Workspace

#: resampling units: whole documents (CoNLL ``-DOCSTART-``, ``meta["doc"]``) or single examples (sentences)
UNITS = ("auto", "document", "sentence")


def resampling_groups(records: Sequence[Record], unit: str = "auto") -> tuple[np.ndarray | None, str]:
    """(groups for the bootstrap, the unit's name) for gold records.

    Errors of real taggers cluster within documents, so whole documents are resampled wherever they are known
    (``meta["doc"]``, set by the CoNLL reader from ``-DOCSTART-``): ``unit="auto"`` gives ``"document"`` then,
    ``"sentence"`` otherwise (each example on its own). ``unit="document"`` without documents is an error.

    >>> recs = [Record("a", meta={"doc": 1}), Record("b", meta={"doc": 1}), Record("c", meta={"doc": 2})]
    >>> groups, unit = resampling_groups(recs)
    >>> unit, groups.tolist()
    ('document', [0, 0, 1])
    >>> resampling_groups(recs, "sentence")
    (None, 'sentence')
    """
    if unit not in UNITS:
        raise ConfigError(f"Unknown resampling unit {unit!r}.", hint="use document or sentence")
    docs = [(r.meta or {}).get("doc") for r in records]
    known = any(d is not None for d in docs)
    if unit == "sentence" or (unit == "auto" and not known):
        return None, "sentence"
    if not known:
        raise ConfigError("The gold set has no documents to resample (no -DOCSTART- lines, no meta.doc).",
                          hint="use --unit sentence, or import the gold set from CoNLL with its -DOCSTART- lines")
    ids: dict[Any, int] = {}
    out = []
    for i, d in enumerate(docs):
        key = ("doc", str(d)) if d is not None else ("example", i)
        out.append(ids.setdefault(key, len(ids)))
    return np.asarray(out, dtype=np.int64), "document"


def counts_for(task: str, gold: Sequence[Record], preds: Sequence[Prediction], *, labels: Sequence[str] = (),
               mode: str = "default", scheme: str | None = None, lang: str = "en"):
    """Per-document counts (the metrics engine's NerCounts / TextcatCounts) of predictions vs gold records.

    Uses :func:`evaluator.metrics.evaluate.evaluate_records` (predicted character spans are mapped onto the
    gold tokens); ``labels`` (the workspace labels) are added so that every model's counts share one label list.
    """
    from evaluator.metrics.evaluate import evaluate_records

    pred_recs = [Record(g.text, spans=list(p.spans), label=p.label) for g, p in zip(gold, preds)]
    if task == "textcat":
        every = sorted(set(labels) | {g.label for g in gold if g.label} | {p.label for p in preds if p.label})
        return evaluate_records(gold, pred_recs, task="textcat", labels=every)
    c = evaluate_records(gold, pred_recs, task="ner", mode=mode, scheme=scheme, lang=lang)
    if labels:
        c = c.with_labels(sorted(set(labels) | set(c.labels)))
    return c


def score_counts(counts, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                 groups: np.ndarray | None = None) -> dict[str, Any]:
    """The scoring report of one model's counts plus ``ci95``: 95% bootstrap intervals of its micro F1, macro
    F1 (and accuracy) from :func:`evaluator.stats.bootstrap_interval` (resampling ``groups`` when given)."""
    from evaluator.stats import bootstrap_interval

    rep = counts.report()
    rep["ci95"] = bootstrap_interval(counts, resamples=resamples, seed=seed, groups=groups) if counts.documents else {}
    rep["resamples"], rep["seed"] = int(resamples), int(seed)
    return rep


def scoring_settings(ws: Workspace, *, mode: str, scheme: str | None, resamples: int, seed: int,
                     unit: str = "auto") -> dict[str, Any]:
    """The settings every stored score depends on, normalized (they are part of the results key)."""
    from evaluator.metrics.ner import normalize_mode, normalize_scheme

    mode = normalize_mode(mode)
    if resamples < 1:
        raise ConfigError(f"resamples must be at least 1 (got {resamples}).", hint="e.g. 10000")
    if unit not in UNITS:
        raise ConfigError(f"Unknown resampling unit {unit!r}.", hint="use document or sentence")
    return {"mode": mode, "scheme": normalize_scheme(scheme) if mode == "strict" else None,
            "resamples": int(resamples), "seed": int(seed), "unit": unit, "task": ws.task,
            "labels": sorted(ws.labels)}


def model_names(ws: Workspace, models: str | Sequence[str] | None) -> list[str]:
    """``"all"``/None: every model in iteration order; a comma-separated string or a list: those."""
    from evaluator.models import list_models

    if models == "all" or models is None:
        names = [m["name"] for m in list_models(ws)]
    else:
        names = [m.strip() for m in (models.split(",") if isinstance(models, str) else models) if m.strip()]
    if not names:
        raise NotFoundError("There are no models to evaluate.", hint="train one: evaluator train --round 1")
    return names


def evaluate_models(ws: Workspace, gold: str, *, models: str | Sequence[str] = "all", mode: str = "default",
                    scheme: str | None = None, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                    version: int | None = None, unit: str = "auto", progress: Progress | None = None,
                    cancel: threading.Event | None = None,
                    skipped: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Score models on a gold set; one dict per model: ``{"model", "micro", "macro", "per_label", "ci95", ...}``.

    Missing predictions on the gold set are computed first. Results are stored (kind ``evaluation``) keyed by the
    gold content hash, the model's artifact hash and the settings, and reused; ``reused`` says which. A model
    whose training data shares texts with this gold set has ``gold_overlap`` > 0. With a ``skipped`` list, a
    model that cannot be scored (e.g. a predictions file that does not cover the gold set) is left out and
    described there as ``{"model", "error", "hint"}`` instead of stopping the others.
    ``progress(done, total, message)`` counts models (and, inside one, its predictions).
    """
    from evaluator.gold import gold_records
    from evaluator.models import get_model
    from evaluator.predictions import predictions_for

    settings = scoring_settings(ws, mode=mode, scheme=scheme, resamples=resamples, seed=seed, unit=unit)
    info, gold_recs = gold_records(ws, gold, version=version)
    target = f"gold:{gold}@{info['version']}"
    groups, unit_used = resampling_groups(gold_recs, settings["unit"])
    names = model_names(ws, models)
    out: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        check_cancel(cancel, "Scoring")
        report(progress, i, len(names), f"scoring {name} ({i + 1}/{len(names)})")
        m = get_model(ws, name)
        key = result_key({"kind": "evaluation", "gold_hash": info["gold_hash"], "artifact": m["artifact_hash"],
                          "settings": settings})
        overlap = int((m.get("gold_overlap") or {}).get(gold, 0))
        hit = get_result(ws, "evaluation", key)
        if hit.payload is not None:
            out.append({**hit.payload, "model": name, "reused": True, "gold_overlap": overlap})
            continue
        try:
            preds = predictions_for(ws, name, target, gold_recs,
                                    progress=part(progress, start=i, size=1, total=len(names)), cancel=cancel)
        except EvaluatorError as err:
            if skipped is None or err.code == "cancelled":
                raise
            skipped.append({"model": name, "error": err.message, "hint": err.hint})
            continue
        counts = counts_for(ws.task, gold_recs, preds, labels=ws.labels, mode=settings["mode"],
                            scheme=settings["scheme"], lang=ws.lang)
        result = score_counts(counts, resamples=resamples, seed=seed, groups=groups)
        result.update({"gold": gold, "gold_version": info["version"], "gold_hash": info["gold_hash"],
                       "settings": settings, "unit": unit_used, "artifact_hash": m["artifact_hash"]})
        result = put_result(ws, "evaluation", key, result, settings=settings, model_id=m["id"],
                            collection_id=info["id"], gold_hash=info["gold_hash"],
                            artifacts={"model": m["artifact_hash"]})
        out.append({**result, "model": name, "reused": False, "gold_overlap": overlap,
                    **({"note": hit.refused} if hit.refused else {})})
    report(progress, len(names), len(names), "scored")
    return out


def stored_scores(ws: Workspace, *, mode: str | None = "default") -> list[dict[str, Any]]:
    """Stored evaluations, newest per (model, gold-set version): ``model``, ``gold``, ``version``, ``f1``,
    ``macro_f1``, ``accuracy``, ``settings``, ``current`` (False when the gold set changed since).

    Nothing is computed; ``mode`` keeps evaluations made in that scoring mode (None: any).
    """
    m, c = db.models, db.collections
    with ws.engine.connect() as conn:
        names = dict(conn.execute(sa.select(m.c.id, m.c.name)).all())
        cols = {r["id"]: r for r in conn.execute(sa.select(c.c.id, c.c.name, c.c.version, c.c.frozen_at,
                                                           c.c.content_hash).where(c.c.kind == "gold")).mappings()}
    seen: set[tuple] = set()
    out = []
    for row in find_results(ws, "evaluation"):
        settings = row["settings"] or {}
        col = cols.get(row["collection_id"])
        name = names.get(row["model_id"])
        if col is None or name is None or (mode is not None and settings.get("mode", "default") != mode):
            continue
        k = (name, col["name"], col["version"])
        if k in seen:
            continue
        seen.add(k)
        res = row["payload"]
        current = not col["frozen_at"] or col["content_hash"] == row["gold_hash"]
        out.append({"model": name, "gold": col["name"], "version": col["version"],
                    "f1": (res.get("micro") or {}).get("f1"), "macro_f1": (res.get("macro") or {}).get("f1"),
                    "accuracy": res.get("accuracy"), "settings": settings, "current": current,
                    "created_at": row["created_at"]})
    return out


__all__ = ["UNITS", "counts_for", "evaluate_models", "model_names", "resampling_groups", "score_counts",
           "scoring_settings", "stored_scores"]
