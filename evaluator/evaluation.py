"""Workspace-level comparisons of models on a gold set: the paired test, plain-words verdicts, example diffs.

The Evaluate page and the CLI call these functions. Everything is computed from the models' stored
predictions on a hash-checked gold-set version (missing predictions are computed first), per-document counts
from the metrics engine and :func:`evaluator.stats.compare_counts`.

* :func:`compare_models` — is B really better than A? The same JSON shape as ``evaluator compare --json`` plus
  the gold set, the models, the settings and plain-words ``sentences``. Results are stored as JSON under
  ``ws.reports_dir / "comparisons"`` keyed by the settings, the gold content hash and both models' artifact
  hashes, and reused.
* :func:`compare_to_previous` — each model against the one before it (round k vs k-1), Holm-corrected.
* :func:`example_diff` — per gold example: entities gained, lost and changed between A and B.
* :func:`stored_scores` — the stored evaluations of every model (for tables), without computing anything.

>>> res = compare_models(ws, "test", "round-1-spacy-ner", "round-2-spacy-ner")   # doctest: +SKIP
>>> res["sentences"][0]                                                          # doctest: +SKIP
'round-2-spacy-ner (B) is better than round-1-spacy-ner (A) by +3.1 F1 points (95% CI +1.2 to +5.0); ...'
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

import sqlalchemy as sa

from evaluator import db
from evaluator.errors import ConfigError, NotFoundError
from evaluator.records import Record, Span
from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from evaluator.report.verdict import (ALPHA, METRIC_NAMES, _point_key, _pts, describe, format_p, headline_p,
                                      verdict_of)
from evaluator.workspace import Workspace

#: bump when the stored comparison layout or its computation changes (old files are then ignored)
COMPARISON_VERSION = 1
KINDS = ("gained", "lost", "changed", "new_error", "fixed_error")


# ------------------------------------------------------------------------------------------------ inputs

def _settings(ws: Workspace, *, mode: str, scheme: str | None, resamples: int, seed: int,
              metric: str | None) -> dict[str, Any]:
    from evaluator.metrics.ner import normalize_mode, normalize_scheme

    mode = normalize_mode(mode)
    if resamples < 1:
        raise ConfigError(f"resamples must be at least 1 (got {resamples}).", hint="e.g. 10000")
    return {"mode": mode, "scheme": normalize_scheme(scheme) if mode == "strict" else None,
            "resamples": int(resamples), "seed": int(seed), "metric": metric, "task": ws.task,
            "labels": sorted(ws.labels), "version": COMPARISON_VERSION}


def _gold(ws: Workspace, gold: str, version: int | None) -> tuple[dict, list[Record], str]:
    from evaluator.gold import gold_records

    info, recs = gold_records(ws, gold, version=version)
    if not recs:
        raise NotFoundError(f"gold:{gold} version {info['version']} has no accepted examples.",
                            hint="import or accept examples into the gold set first")
    return info, recs, f"gold:{gold}@{info['version']}"


def _predictions(ws: Workspace, model: str, target: str, records: Sequence[Record]) -> list:
    """Stored predictions of ``model`` on ``records`` (computing the missing ones first)."""
    from evaluator.training.registry import predict, stored_predictions

    predict(ws, model, target)
    return stored_predictions(ws, model, records)


def _counts(ws: Workspace, gold_recs: Sequence[Record], preds: Sequence, settings: dict[str, Any]):
    from evaluator.training.registry import counts_for

    return counts_for(ws.task, gold_recs, preds, labels=ws.labels, mode=settings["mode"], scheme=settings["scheme"],
                      lang=ws.lang)


def _key(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _cache_dir(ws: Workspace) -> Path:
    p = ws.reports_dir / "comparisons"
    p.mkdir(parents=True, exist_ok=True)
    return p


def _write_json(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, default=float)
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------------ compare

def compare_models(ws: Workspace, gold: str, model_a: str, model_b: str, *, version: int | None = None,
                   mode: str = "default", scheme: str | None = None, resamples: int = DEFAULT_RESAMPLES,
                   seed: int = DEFAULT_SEED, metric: str | None = None, reuse: bool = True) -> dict[str, Any]:
    """Paired comparison of ``model_b`` against ``model_a`` on a gold-set version (``delta = B - A``).

    Returns the shape of ``evaluator compare --json`` (``metric``, ``a``, ``b``, ``delta``, ``ci95``,
    ``p_bootstrap``, ``p_randomization``, ``resamples``, ``seed``, ``metrics``, ``per_label``; text
    classification adds ``accuracy_delta`` and ``p_mcnemar``) plus ``gold``, ``gold_version``, ``gold_hash``,
    ``model_a``, ``model_b``, ``settings``, ``verdict`` (see :func:`verdict_of`), ``sentences`` (plain words)
    and ``reused`` (True when the stored result was returned).
    """
    from evaluator.stats import compare_counts
    from evaluator.training.registry import get_model

    settings = _settings(ws, mode=mode, scheme=scheme, resamples=resamples, seed=seed, metric=metric)
    info, gold_recs, target = _gold(ws, gold, version)
    ma, mb = get_model(ws, model_a), get_model(ws, model_b)
    key = _key({"settings": settings, "gold_hash": info["gold_hash"],
                "a": ma["artifact_hash"], "b": mb["artifact_hash"]})
    path = _cache_dir(ws) / f"{key[:40]}.json"
    res: dict[str, Any] | None = None
    if reuse and path.is_file():
        try:
            res = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            res = None
        if res is not None and res.get("key") != key:
            res = None
    reused = res is not None
    if res is None:
        ca = _counts(ws, gold_recs, _predictions(ws, model_a, target, gold_recs), settings)
        cb = _counts(ws, gold_recs, _predictions(ws, model_b, target, gold_recs), settings)
        res = compare_counts(ca, cb, resamples=settings["resamples"], seed=settings["seed"], metric=metric)
        res.update({"key": key, "gold": gold, "gold_version": info["version"], "gold_hash": info["gold_hash"],
                    "mode": settings["mode"], "scheme": settings["scheme"], "settings": settings,
                    "artifacts": {"a": ma["artifact_hash"], "b": mb["artifact_hash"]}, "created_at": db.utcnow()})
        res = json.loads(json.dumps(res, default=float))  # plain JSON types, as stored
        _write_json(path, res)
    # names are not part of the key (a renamed model keeps its results): fill them in now
    res.update({"model_a": model_a, "model_b": model_b, "reused": reused, "verdict": verdict_of(res),
                "sentences": describe(res, name_a=model_a, name_b=model_b)})
    return res


def compare_to_previous(ws: Workspace, gold: str, models: Sequence[str], *, version: int | None = None,
                        mode: str = "default", scheme: str | None = None, resamples: int = DEFAULT_RESAMPLES,
                        seed: int = DEFAULT_SEED, alpha: float = ALPHA,
                        progress: Callable[[float, float | None, str], None] | None = None) -> list[dict[str, Any]]:
    """Each model against the previous one in ``models`` (k vs k-1), with Holm-corrected p-values.

    ``progress(done, total, message)`` is called before each comparison (stored comparisons are reused).

    One dict per consecutive pair: ``model_a`` (previous), ``model_b``, ``a``, ``b`` (their headline scores),
    ``delta``, ``ci95``, ``p`` (the larger of the bootstrap and randomization p-values), ``p_holm``,
    ``significant`` (``p_holm < alpha`` and the interval excludes 0), ``verdict`` (``b_better``, ``a_better`` or
    ``no_difference`` after the correction: a significant *drop* is ``a_better``) and ``sentence``.
    """
    from evaluator.stats import holm

    models = list(models)
    if len(models) < 2:
        raise ConfigError("Comparing with the previous model needs at least two models.",
                          hint="train a model on another round first")
    pairs = list(zip(models, models[1:]))
    results = []
    for k, (a, b) in enumerate(pairs):
        if progress is not None:
            progress(k, len(pairs), f"{b} against {a}")
        results.append(compare_models(ws, gold, a, b, version=version, mode=mode, scheme=scheme,
                                      resamples=resamples, seed=seed))
    adjusted = holm([headline_p(r) for r in results])
    out = []
    for r, ph in zip(results, adjusted):
        key = _point_key(r["metric"])
        lo, hi = r["ci95"]
        sig = ph is not None and ph < alpha and lo is not None and (lo > 0 or hi < 0)
        corrected = {**r, "p_bootstrap": ph, "p_randomization": ph}
        if sig:
            sentence = describe(corrected, name_a=r["model_a"], name_b=r["model_b"], alpha=alpha)[0]
        else:
            sentence = (f"No evidence of a difference between {r['model_b']} and {r['model_a']} after Holm "
                        f"correction ({_pts(r['delta'])} {METRIC_NAMES.get(r['metric'], r['metric'])} points, "
                        f"p = {format_p(ph)}).")
        verdict = verdict_of(corrected, alpha=alpha) if sig else "no_difference"
        out.append({"model_a": r["model_a"], "model_b": r["model_b"], "metric": r["metric"],
                    "a": r["a"].get(key), "b": r["b"].get(key), "delta": r["delta"], "ci95": r["ci95"],
                    "p": headline_p(r), "p_holm": ph, "significant": bool(sig), "verdict": verdict,
                    "sentence": sentence,
                    "resamples": r["resamples"], "seed": r["seed"]})
    return out


# ------------------------------------------------------------------------------------------------ example diff

def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _span_json(rec_text: str, s: Span) -> dict[str, Any]:
    return {"start": s.start, "end": s.end, "label": s.label, "text": rec_text[s.start:s.end]}


def _change_kind(a: Span, b: Span) -> str:
    same_bounds = (a.start, a.end) == (b.start, b.end)
    if same_bounds:
        return "type"
    return "boundaries" if a.label == b.label else "boundaries and type"


def ner_example_diff(gold: Sequence[Record], pred_a: Sequence[Sequence[Span]], pred_b: Sequence[Sequence[Span]], *,
                     label: str | None = None) -> list[dict[str, Any]]:
    """Entity-level differences between systems A and B on the same gold records (pure; character spans).

    Per example with at least one difference: ``index`` (position in ``gold``), ``id``, ``text``, ``gold``
    (its entities), ``gained`` (gold entities B finds exactly and A does not), ``lost`` (the reverse),
    ``changed`` (pairs ``{"a", "b", "change"}`` of a prediction only A makes and an overlapping one only B makes:
    same region, different boundaries and/or type), ``new_error`` (a wrong prediction only B makes that overlaps
    nothing only A predicts) and ``fixed_error`` (the reverse). A boundary fix shows up twice on purpose: as a
    gained entity and as the changed pair that explains it. ``label`` keeps the items of that label (a changed
    pair when either side has it) and the examples that still have one.
    """
    out = []
    for i, (g, pa, pb) in enumerate(zip(gold, pred_a, pred_b)):
        G, A, B = set(g.spans), set(pa), set(pb)
        only_a, only_b = A - B, B - A
        gained = sorted((B & G) - A)
        lost = sorted((A & G) - B)
        changed = [(a, b) for a in sorted(only_a) for b in sorted(only_b) if _overlap(a, b)]
        paired_a = {a for a, _ in changed}
        paired_b = {b for _, b in changed}
        new_error = sorted(s for s in only_b - G if s not in paired_b)
        fixed_error = sorted(s for s in only_a - G if s not in paired_a)
        if label is not None:
            gained = [s for s in gained if s.label == label]
            lost = [s for s in lost if s.label == label]
            changed = [(a, b) for a, b in changed if label in (a.label, b.label)]
            new_error = [s for s in new_error if s.label == label]
            fixed_error = [s for s in fixed_error if s.label == label]
        if not (gained or lost or changed or new_error or fixed_error):
            continue
        t = g.text
        out.append({
            "index": i, "id": g.id, "text": t,
            "gold": [_span_json(t, s) for s in sorted(G)],
            "gained": [_span_json(t, s) for s in gained],
            "lost": [_span_json(t, s) for s in lost],
            "changed": [{"a": _span_json(t, a), "b": _span_json(t, b), "change": _change_kind(a, b)}
                        for a, b in changed],
            "new_error": [_span_json(t, s) for s in new_error],
            "fixed_error": [_span_json(t, s) for s in fixed_error],
        })
    return out


def textcat_example_diff(gold: Sequence[Record], label_a: Sequence[str | None], label_b: Sequence[str | None], *,
                         label: str | None = None) -> list[dict[str, Any]]:
    """Texts whose outcome differs between A and B: ``kind`` is ``gained`` (only B right), ``lost`` (only A
    right) or ``changed`` (both wrong, with different labels). ``label`` keeps texts where the gold or either
    prediction has it."""
    out = []
    for i, (g, a, b) in enumerate(zip(gold, label_a, label_b)):
        ra, rb = a == g.label, b == g.label
        if ra == rb and (ra or a == b):
            continue
        kind = "gained" if rb and not ra else "lost" if ra and not rb else "changed"
        if label is not None and label not in (g.label, a, b):
            continue
        out.append({"index": i, "id": g.id, "text": g.text, "gold": g.label, "a": a, "b": b, "kind": kind})
    return out


def example_diff(ws: Workspace, gold: str, model_a: str, model_b: str, *, label: str | None = None,
                 version: int | None = None) -> list[dict[str, Any]]:
    """Per gold example, what changed from ``model_a`` to ``model_b`` (see :func:`ner_example_diff` and
    :func:`textcat_example_diff`); missing predictions are computed first."""
    info, gold_recs, target = _gold(ws, gold, version)
    pa = _predictions(ws, model_a, target, gold_recs)
    pb = _predictions(ws, model_b, target, gold_recs)
    if label is not None:
        known = set(ws.labels)
        for r in gold_recs:
            known.update(s.label for s in r.spans)
            known.add(r.label)
        for p in (*pa, *pb):
            known.update(s.label for s in p.spans)
            known.add(p.label)
        known.discard(None)
        if label not in known:
            raise ConfigError(f"No label {label!r} in gold:{info['name']} or the two models' predictions.",
                              hint=f"use one of: {', '.join(sorted(known)) or '(no labels)'}")
    if ws.task == "ner":
        return ner_example_diff(gold_recs, [p.spans for p in pa], [p.spans for p in pb], label=label)
    return textcat_example_diff(gold_recs, [p.label for p in pa], [p.label for p in pb], label=label)


# ------------------------------------------------------------------------------------------------ stored scores

def stored_scores(ws: Workspace, *, mode: str | None = "default") -> list[dict[str, Any]]:
    """Stored evaluations, newest per (model, gold-set version): ``model``, ``gold``, ``version``, ``f1``,
    ``macro_f1``, ``accuracy``, ``settings``, ``current`` (False when the gold set changed since).

    Nothing is computed; ``mode`` keeps evaluations made in that scoring mode (None: any).
    """
    e, m, c = db.evaluations, db.models, db.collections
    q = (sa.select(m.c.name, c.c.name.label("gold"), c.c.version, c.c.frozen_at, c.c.content_hash, e.c.gold_hash,
                   e.c.settings, e.c.result, e.c.created_at, e.c.id)
         .select_from(e.join(m, m.c.id == e.c.model_id).join(c, c.c.id == e.c.collection_id))
         .order_by(e.c.created_at.desc(), e.c.id.desc()))
    seen: set[tuple[str, str, int]] = set()
    out = []
    with ws.engine.connect() as conn:
        for row in conn.execute(q).mappings():
            settings = row["settings"] or {}
            if mode is not None and settings.get("mode", "default") != mode:
                continue
            k = (row["name"], row["gold"], row["version"])
            if k in seen:
                continue
            seen.add(k)
            res = row["result"] or {}
            current = not row["frozen_at"] or row["content_hash"] == row["gold_hash"]
            out.append({"model": row["name"], "gold": row["gold"], "version": row["version"],
                        "f1": (res.get("micro") or {}).get("f1"), "macro_f1": (res.get("macro") or {}).get("f1"),
                        "accuracy": res.get("accuracy"), "settings": settings, "current": current,
                        "created_at": row["created_at"]})
    return out


__all__ = ["ALPHA", "COMPARISON_VERSION", "KINDS", "compare_models", "compare_to_previous", "describe",
           "example_diff", "format_p", "headline_p", "ner_example_diff", "stored_scores", "textcat_example_diff",
           "verdict_of"]
