"""Is model B really better than model A on a gold set? Paired tests, plain-words verdicts, example diffs.

The Evaluate page and the CLI (``compare-models``, ``diff``) call these functions. Everything is computed from
the models' stored predictions on a hash-checked gold-set version (missing predictions are computed first),
per-document counts from the metrics engine and :func:`evaluator.stats.compare_counts`, resampling whole
documents where the gold set has them.

* :func:`compare_models` — the paired comparison of two models (stored in the results table, kind
  ``comparison``, keyed by the gold content hash, both artifact hashes and the settings).
* :func:`compare_to_previous` — each model against the one before it (round k vs k-1), Holm-corrected.
* :func:`example_diff` — per gold example, what changed from A to B (flat rows, :mod:`evaluator.metrics.diff`).

>>> res = compare_models(ws, "test", "round-1-spacy-ner", "round-2-spacy-ner")   # doctest: +SKIP
>>> res["sentences"][0]                                                          # doctest: +SKIP
'round-2-spacy-ner (B) is better than round-1-spacy-ner (A) by +3.1 F1 points (95% CI +1.2 to +5.0); ...'
"""
from __future__ import annotations

from typing import Any, Sequence

from evaluator.errors import ConfigError, NotFoundError
from evaluator.progress import Progress, report
from evaluator.records import Record
from evaluator.report.verdict import (ALPHA, _point_key, describe, format_p, headline_p, holm_sentence,
                                      verdict_of)
from evaluator.results import get_result, put_result, result_key
from evaluator.scoring.evaluate import counts_for, resampling_groups, scoring_settings
from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from evaluator.workspace import Workspace


def _gold(ws: Workspace, gold: str, version: int | None) -> tuple[dict, list[Record], str]:
    from evaluator.gold import gold_records

    info, recs = gold_records(ws, gold, version=version)
    if not recs:
        raise NotFoundError(f"gold:{gold} version {info['version']} has no accepted examples.",
                            hint="import or accept examples into the gold set first")
    return info, recs, f"gold:{gold}@{info['version']}"


def compare_models(ws: Workspace, gold: str, model_a: str, model_b: str, *, version: int | None = None,
                   mode: str = "default", scheme: str | None = None, resamples: int = DEFAULT_RESAMPLES,
                   seed: int = DEFAULT_SEED, metric: str | None = None, unit: str = "auto",
                   reuse: bool = True) -> dict[str, Any]:
    """Paired comparison of ``model_b`` against ``model_a`` on a gold-set version (``delta = B - A``).

    Returns the shape of ``evaluator compare --json`` (``metric``, ``a``, ``b``, ``delta``, ``ci95``,
    ``p_bootstrap``, ``p_randomization``, ``resamples``, ``seed``, ``metrics``, ``per_label``; text
    classification adds ``accuracy_delta`` and ``p_mcnemar``) plus ``gold``, ``gold_version``, ``gold_hash``,
    ``model_a``, ``model_b``, ``settings``, ``unit`` (what was resampled: ``document`` or ``sentence``),
    ``verdict`` (see :func:`verdict_of`), ``sentences`` (plain words) and ``reused`` (True when the stored result
    was returned).
    """
    from evaluator.models import get_model
    from evaluator.predictions import predictions_for
    from evaluator.stats import compare_counts

    settings = {**scoring_settings(ws, mode=mode, scheme=scheme, resamples=resamples, seed=seed, unit=unit),
                "metric": metric}
    info, gold_recs, target = _gold(ws, gold, version)
    ma, mb = get_model(ws, model_a), get_model(ws, model_b)
    key = result_key({"kind": "comparison", "gold_hash": info["gold_hash"], "a": ma["artifact_hash"],
                      "b": mb["artifact_hash"], "settings": settings})
    hit = get_result(ws, "comparison", key) if reuse else None
    res = hit.payload if hit is not None else None
    reused = res is not None
    if res is None:
        groups, unit_used = resampling_groups(gold_recs, settings["unit"])
        ca = counts_for(ws.task, gold_recs, predictions_for(ws, model_a, target, gold_recs), labels=ws.labels,
                        mode=settings["mode"], scheme=settings["scheme"], lang=ws.lang)
        cb = counts_for(ws.task, gold_recs, predictions_for(ws, model_b, target, gold_recs), labels=ws.labels,
                        mode=settings["mode"], scheme=settings["scheme"], lang=ws.lang)
        res = compare_counts(ca, cb, resamples=settings["resamples"], seed=settings["seed"], metric=metric,
                             groups=groups)
        res.update({"gold": gold, "gold_version": info["version"], "gold_hash": info["gold_hash"],
                    "mode": settings["mode"], "scheme": settings["scheme"], "settings": settings, "unit": unit_used,
                    "artifacts": {"a": ma["artifact_hash"], "b": mb["artifact_hash"]}})
        res = put_result(ws, "comparison", key, res, settings=settings, collection_id=info["id"],
                         gold_hash=info["gold_hash"], artifacts=res["artifacts"])
    res = dict(res)
    # names are not part of the key (a renamed model keeps its results): fill them in now
    res.update({"model_a": model_a, "model_b": model_b, "reused": reused, "verdict": verdict_of(res),
                "sentences": describe(res, name_a=model_a, name_b=model_b)})
    if hit is not None and hit.refused:
        res["note"] = hit.refused
    same_data = bool(ma.get("train_hash")) and ma.get("train_hash") == mb.get("train_hash")
    res["same_training_data"] = same_data
    if same_data:
        res["sentences"].insert(0, f"{model_a} and {model_b} were trained on the same data (training-data hash "
                                   f"{ma['train_hash'][:12]}): whatever the numbers below say, their difference is "
                                   "training noise (seed, order), not data.")
    overlap = {n: int((m.get("gold_overlap") or {}).get(gold, 0)) for n, m in ((model_a, ma), (model_b, mb))}
    res["gold_overlap"] = overlap
    for n, k in overlap.items():
        if k:
            res["sentences"].append(f"Warning: {n} was trained on {k} example(s) that are now in gold:{gold}; its "
                                    "score on this gold set is not a fair estimate.")
    return res


def compare_to_previous(ws: Workspace, gold: str, models: Sequence[str], *, version: int | None = None,
                        mode: str = "default", scheme: str | None = None, resamples: int = DEFAULT_RESAMPLES,
                        seed: int = DEFAULT_SEED, unit: str = "auto", alpha: float = ALPHA,
                        progress: Progress | None = None) -> list[dict[str, Any]]:
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
        report(progress, k, len(pairs), f"{b} against {a}")
        results.append(compare_models(ws, gold, a, b, version=version, mode=mode, scheme=scheme,
                                      resamples=resamples, seed=seed, unit=unit))
    report(progress, len(pairs), len(pairs), "done")
    adjusted = holm([headline_p(r) for r in results])
    out = []
    for r, ph in zip(results, adjusted):
        key = _point_key(r["metric"])
        lo, hi = r["ci95"]
        sig = ph is not None and ph < alpha and lo is not None and (lo > 0 or hi < 0)
        corrected = {**r, "p_bootstrap": ph, "p_randomization": ph}
        sentence = holm_sentence(r, ph, tests=len(results), alpha=alpha)
        verdict = verdict_of(corrected, alpha=alpha) if sig else "no_difference"
        out.append({"model_a": r["model_a"], "model_b": r["model_b"], "metric": r["metric"],
                    "a": r["a"].get(key), "b": r["b"].get(key), "delta": r["delta"], "ci95": r["ci95"],
                    "p": headline_p(r), "p_holm": ph, "significant": bool(sig), "verdict": verdict,
                    "sentence": sentence, "unit": r.get("unit"), "resamples": r["resamples"], "seed": r["seed"]})
    return out


def example_diff(ws: Workspace, gold: str, model_a: str, model_b: str, *, label: str | None = None,
                 version: int | None = None) -> list[dict[str, Any]]:
    """Per gold example, what changed from ``model_a`` to ``model_b``: flat rows of
    :func:`evaluator.metrics.diff.example_diff`; missing predictions are computed first."""
    from evaluator.metrics.diff import example_diff as diff_rows
    from evaluator.predictions import predictions_for

    info, gold_recs, target = _gold(ws, gold, version)
    pa = predictions_for(ws, model_a, target, gold_recs)
    pb = predictions_for(ws, model_b, target, gold_recs)
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
    return diff_rows(gold_recs, pa, pb, task=ws.task, label=label)


__all__ = ["ALPHA", "compare_models", "compare_to_previous", "describe", "example_diff", "format_p", "headline_p",
           "verdict_of"]
