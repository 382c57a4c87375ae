"""Learning curves: will more data help? Train on nested subsets of the rounds with several seeds, score each
run on the gold set, and say whether the curve still rises.

:func:`learning_curve` does the work in a workspace (the result is stored in the results table, kind ``curve``);
the rest of the module is pure: nested training subsets and the verdict.

The training records are permuted once per seed; the subset for fraction ``f`` is the first ``ceil(f * n)``
records of that permutation (kept in their original order), so the 25% subset is inside the 50% one, and so on.
Each (fraction, seed) is trained with that seed and scored on the same gold set.

Verdict rule (stored with the curve): **"more data still helps"** only when both

1. the lower bound of the 95% paired-bootstrap interval of ``F1(100%) - F1(75%)`` is above 0 (the runs of
   each fraction are pooled over the seeds and the gold documents are resampled, all seeds of a document
   together and the same draw for both fractions, by :func:`evaluator.stats.compare_counts`), and
2. the gain (mean F1 over seeds at 100% minus mean at 75%) is larger than the spread between seeds
   (the larger of the max-min F1 ranges at 100% and at 75%);

otherwise the curve **has flattened**.
"""
from __future__ import annotations

import contextlib
import math
import random
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from evaluator.errors import ConfigError, NotFoundError
from evaluator.progress import Progress, check_cancel, report
from evaluator.workspace import Workspace

DEFAULT_FRACTIONS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2)
HELPS = "more data still helps"
FLAT = "flattened"

#: ``compare(full_counts, prev_counts) -> {"delta", "low", "high", ...}``: paired interval of F1(full) - F1(prev),
#: given the per-seed counts of the 100% and the 75% runs
Compare = Callable[[Sequence[Any], Sequence[Any]], dict[str, Any]]


def check_plan(fractions: Sequence[float], seeds: Sequence[int]) -> tuple[list[float], list[int]]:
    """Validate and sort a curve plan; the verdict needs 1.0 and 0.75 and at least 3 seeds."""
    fr = sorted({float(f) for f in fractions})
    if not fr or fr[0] <= 0 or fr[-1] > 1:
        raise ConfigError(f"Bad learning-curve fractions {list(fractions)}.", hint="use values in (0, 1], e.g. 0.25,0.5,0.75,1")
    if 1.0 not in fr or 0.75 not in fr:
        raise ConfigError("The learning-curve verdict compares 75% and 100% of the data.",
                          hint="include 0.75 and 1.0 in the fractions")
    sd = list(dict.fromkeys(int(s) for s in seeds))
    if len(sd) < 3:
        raise ConfigError(f"A learning curve needs at least 3 seeds (got {len(sd)}).", hint="e.g. seeds 0,1,2")
    return fr, sd


def nested_subsets(n: int, fractions: Sequence[float] = DEFAULT_FRACTIONS, *, seed: int) -> dict[float, list[int]]:
    """Indices of ``range(n)`` for each fraction; nested (smaller subsets inside larger ones), seeded.

    >>> s = nested_subsets(8, (0.25, 0.5, 1.0), seed=0)
    >>> set(s[0.25]) <= set(s[0.5]) <= set(s[1.0]), len(s[0.25]), s[1.0] == list(range(8))
    (True, 2, True)
    """
    perm = list(range(n))
    random.Random(seed).shuffle(perm)
    out: dict[float, list[int]] = {}
    for f in sorted(float(x) for x in fractions):
        k = n if f >= 1.0 else max(1, min(n, math.ceil(f * n)))
        out[f] = sorted(perm[:k])
    return out


@dataclass
class CurveRun:
    """One trained-and-scored point of a curve."""

    fraction: float
    seed: int
    examples: int
    #: micro F1 on the gold set (accuracy for single-label text classification)
    f1: float | None
    #: per-document counts on the gold set: the metrics engine's NerCounts / TextcatCounts, or a plain
    #: ``[documents, labels, 3]`` TP/FP/FN array
    counts: Any = field(repr=False)
    model: str | None = None


def _as_counts(c: Any):
    """NerCounts/TextcatCounts as they are; a plain ``[documents, labels, 3]`` array as NerCounts."""
    if not isinstance(c, np.ndarray):
        return c
    from evaluator.metrics.ner import NerCounts

    n, k = c.shape[0], c.shape[1]
    zeros = np.zeros(n, dtype=np.int64)
    return NerCounts(labels=[f"label{i}" for i in range(k)], counts=c.astype(np.int64), tokens=zeros,
                     correct=zeros, misaligned=zeros, mode="default", scheme=None,
                     gold_entities=np.zeros((0, 4), dtype=np.int64), pred_entities=np.zeros((0, 6), dtype=np.int64))


def concat_counts(items: Sequence[Any]):
    """Several runs' counts on the same gold documents, stacked along the document axis (labels unified)."""
    items = [_as_counts(c) for c in items]
    labels = sorted(set().union(*(c.labels for c in items)))
    items = [c.with_labels(labels) for c in items]
    first = items[0]
    if first.task == "textcat":
        from evaluator.metrics.textcat import TextcatCounts

        return TextcatCounts(labels, np.concatenate([c.gold for c in items]), np.concatenate([c.pred for c in items]))
    from evaluator.metrics.ner import NerCounts

    cat = lambda name: np.concatenate([getattr(c, name) for c in items])  # noqa: E731
    return NerCounts(labels=labels, counts=cat("counts"), tokens=cat("tokens"), correct=cat("correct"),
                     misaligned=cat("misaligned"), mode=first.mode, scheme=first.scheme,
                     gold_entities=np.zeros((0, 4), dtype=np.int64), pred_entities=np.zeros((0, 6), dtype=np.int64))


def paired_compare(full: Sequence[Any], prev: Sequence[Any], *, resamples: int, seed: int) -> dict[str, Any]:
    """Paired bootstrap of micro F1(full runs) - micro F1(prev runs), pooled over seeds.

    The runs of each fraction are stacked (seed x document) and resampled by *document* (all seeds of a
    document together, the same draw for both fractions) with :func:`evaluator.stats.compare_counts`.
    """
    from evaluator.stats import compare_counts

    a, b = concat_counts(prev), concat_counts(full)
    if a.documents != b.documents:
        raise ConfigError("The 75% and 100% points of the curve need the same number of seeds.",
                          hint="train every fraction with the same seeds")
    n_docs = a.documents // len(prev)
    groups = np.tile(np.arange(n_docs), len(prev))
    res = compare_counts(a, b, resamples=resamples, seed=seed, groups=groups, metric="micro_f1",
                         randomization=False)
    low, high = res["ci95"]
    return {"delta": res["delta"], "low": low, "high": high, "p_bootstrap": res["p_bootstrap"],
            "resamples": res["resamples"], "seed": res["seed"], "method": "paired bootstrap (documents)"}


def summarize_curve(runs: Sequence[CurveRun], *, compare: Compare | None = None, resamples: int = 10_000,
                    seed: int = 12345) -> dict[str, Any]:
    """Points (mean/min/max F1 per fraction, examples) and the verdict with its reason.

    ``compare`` computes the paired interval of F1(100%) - F1(75%) from the runs' counts; the default is
    :func:`paired_compare` (``resamples``, ``seed``).
    """
    by_frac: dict[float, list[CurveRun]] = {}
    for r in runs:
        by_frac.setdefault(float(r.fraction), []).append(r)
    points = []
    for f in sorted(by_frac):
        rs = sorted(by_frac[f], key=lambda r: r.seed)
        f1s = [r.f1 for r in rs if r.f1 is not None]
        points.append({
            "fraction": f,
            "examples": int(round(float(np.mean([r.examples for r in rs])))),
            "seeds": [r.seed for r in rs],
            "f1": [r.f1 for r in rs],
            # clipped: the float mean of equal values can land a rounding error outside [min, max]
            "mean": min(max(float(np.mean(f1s)), min(f1s)), max(f1s)) if f1s else None,
            "min": float(min(f1s)) if f1s else None,
            "max": float(max(f1s)) if f1s else None,
            "models": [r.model for r in rs],
        })
    out: dict[str, Any] = {"points": points, "verdict": None, "reason": None, "comparison": None,
                           "rule": "more data still helps iff the paired-bootstrap lower bound of F1(100%)-F1(75%) "
                                   "> 0 and the gain exceeds the spread between seeds"}
    full = by_frac.get(1.0)
    prev = by_frac.get(0.75)
    if not full or not prev:
        out["verdict"] = FLAT
        out["reason"] = "no 75% and 100% points to compare"
        return out
    full = sorted(full, key=lambda r: r.seed)
    prev = sorted(prev, key=lambda r: r.seed)
    if compare is None:
        cmp = paired_compare([r.counts for r in full], [r.counts for r in prev], resamples=resamples, seed=seed)
    else:
        cmp = compare([r.counts for r in full], [r.counts for r in prev])
    p_full = next(p for p in points if p["fraction"] == 1.0)
    p_prev = next(p for p in points if p["fraction"] == 0.75)
    gain = (p_full["mean"] or 0.0) - (p_prev["mean"] or 0.0)
    spread = max((p_full["max"] or 0.0) - (p_full["min"] or 0.0), (p_prev["max"] or 0.0) - (p_prev["min"] or 0.0))
    low = cmp["low"]
    helps = low is not None and low > 0 and gain > spread
    out["comparison"] = {**cmp, "gain": gain, "spread": spread}
    out["verdict"] = HELPS if helps else FLAT
    if helps:
        out["reason"] = (f"F1 rose by {gain:+.3f} from 75% to 100% of the data; the 95% interval of the gain "
                         f"[{low:+.3f}, {cmp['high']:+.3f}] is above 0 and the gain exceeds the seed spread "
                         f"({spread:.3f})")
    elif low is None or low <= 0:
        out["reason"] = (f"the 95% interval of F1(100%)-F1(75%) [{(low or 0):+.3f}, {cmp['high']:+.3f}] includes 0 "
                         f"(gain {gain:+.3f})")
    else:
        out["reason"] = (f"the gain {gain:+.3f} is not larger than the spread between seeds ({spread:.3f}), "
                         f"although its interval [{low:+.3f}, {cmp['high']:+.3f}] is above 0")
    return out


# ------------------------------------------------------------------------------------------------ in a workspace

def _single_gold(ws: Workspace, gold: str | None) -> str:
    from evaluator.gold import list_gold

    if gold:
        return gold
    names = sorted({g["name"] for g in list_gold(ws)})
    if len(names) == 1:
        return names[0]
    raise ConfigError("Which gold set should the learning curve be scored on?" if names else
                      "There is no gold set to score the learning curve on.",
                      hint=f"pass --gold NAME (gold sets: {', '.join(names)})" if names else
                      "import one: evaluator import FILE --into gold:test")


def learning_curve(ws: Workspace, *, trainer: str | None = None, round: int | None = None,
                   fractions: Sequence[float] = DEFAULT_FRACTIONS, seeds: Sequence[int] = DEFAULT_SEEDS,
                   gold: str | None = None, config: dict[str, Any] | None = None,
                   resamples: int = 10_000, seed: int = 12345, progress: Progress | None = None,
                   cancel: threading.Event | None = None) -> dict[str, Any]:
    """Train on nested subsets of rounds 1..``round`` (default: the latest) with several seeds, score each on
    the gold set and say whether more data still helps (see the module docstring for the rule).

    The curve models are not registered (their folders are removed); the result is stored (kind ``curve``) and
    reused for the same training data, gold content, trainer, config and plan. ``progress(done, total, what)``
    counts training runs.
    """
    from evaluator.gold import gold_records
    from evaluator.predictions import predictions_for
    from evaluator.results import get_result, put_result, result_key
    from evaluator.scoring.evaluate import counts_for
    from evaluator.store import rounds as list_rounds, training_records
    from evaluator.training.base import trainer_for, training_hash

    task = ws.task
    tr = trainer_for(task, trainer)
    trainer = tr.name
    fr, sd = check_plan(fractions, seeds)
    if round is None:
        with ws.engine.connect() as conn:
            available = list_rounds(conn)
        if not available:
            raise NotFoundError("There are no rounds to train on.", hint="import one: evaluator import FILE --into round:1")
        round = available[-1]
    gold = _single_gold(ws, gold)
    records = training_records(ws, round=round, cumulative=True)
    info, gold_recs = gold_records(ws, gold)
    plan = {"trainer": trainer, "round": round, "fractions": fr, "seeds": sd, "config": config or {},
            "train_hash": training_hash(records), "gold": gold, "gold_version": info["version"],
            "gold_hash": info["gold_hash"], "resamples": resamples, "bootstrap_seed": seed}
    key = result_key(plan)
    hit = get_result(ws, "curve", key)
    if hit.payload is not None:
        return {**hit.payload, "reused": True}

    labels = sorted(set(ws.labels) | ({s.label for r in gold_recs for s in r.spans} if task == "ner"
                                      else {r.label for r in gold_recs if r.label}))
    # the 100% point of a seed is the registered run of the same candidate, when there is one: reuse it
    registered = _registered_runs(ws, trainer=trainer, round=round, config=config, train_hash=plan["train_hash"])
    total = len(fr) * len(sd)
    runs: list[CurveRun] = []
    done = 0
    started = time.perf_counter()
    from evaluator.housekeeping import training_guard

    guard = contextlib.ExitStack()  # held while training: the cleaner leaves the scratch folder of a running curve alone
    guard.enter_context(training_guard(ws))
    scratch = Path(tempfile.mkdtemp(prefix=".curve-", dir=ws.models_dir))
    try:
        for s in sd:
            subsets = nested_subsets(len(records), fr, seed=s)
            for f in fr:
                check_cancel(cancel, "The learning curve")
                sub = [records[i] for i in subsets[f]]
                model = registered.get(s) if f >= 1.0 else None
                if model is not None:
                    report(progress, done, total, f"run {done + 1}/{total}: 100% of the data, seed {s}: the "
                                                  f"registered model {model}")
                    preds = predictions_for(ws, model, f"gold:{gold}@{info['version']}", gold_recs)
                else:
                    report(progress, done, total, f"run {done + 1}/{total}: training on {int(f * 100)}% of the "
                                                  f"data, seed {s}")
                    out_dir = scratch / f"f{f}-s{s}"
                    res = tr.train(sub, labels=ws.labels or None, lang=ws.lang, config=config, seed=s,
                                   out_dir=out_dir, cancel=cancel)
                    preds = tr.load(out_dir, expected_hash=res.artifact_hash).predict(gold_recs)
                    shutil.rmtree(out_dir, ignore_errors=True)
                counts = counts_for(task, gold_recs, preds, labels=labels, lang=ws.lang)
                f1 = counts.report()["micro"]["f1"]
                runs.append(CurveRun(fraction=f, seed=s, examples=len(sub), f1=f1, counts=counts, model=model))
                done += 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        guard.close()
    report(progress, total, total, "scoring the curve")
    result = summarize_curve(runs, resamples=resamples, seed=seed)
    result.update({"trainer": trainer, "round": round, "gold": gold, "gold_version": info["version"],
                   "examples": len(records), "metric": "micro F1" if task == "ner" else "accuracy (micro F1)",
                   "plan": plan, "seconds": float(f"{time.perf_counter() - started:.3f}"),
                   "created_at": _now()})
    result = put_result(ws, "curve", key, result, settings=plan, collection_id=info["id"],
                        gold_hash=info["gold_hash"])
    return {**result, "reused": False}


def _registered_runs(ws: Workspace, *, trainer: str, round: int, config: dict[str, Any] | None,
                     train_hash: str) -> dict[int, str]:
    """seed -> name of a registered model trained by ``trainer`` with ``config`` on exactly these records."""
    import json

    from evaluator.models import list_models

    want = json.dumps(config or {}, sort_keys=True, default=str)
    out: dict[int, str] = {}
    for m in list_models(ws):
        cfg = m.get("config") or {}
        if (m["kind"] == "trained" and m["trainer"] == trainer and m["round"] == round
                and m["train_hash"] == train_hash and m["seed"] is not None
                and json.dumps(cfg.get("overrides") or {}, sort_keys=True, default=str) == want):
            out.setdefault(int(m["seed"]), m["name"])
    return out


def _now() -> str:
    from evaluator.db import utcnow

    return utcnow()


def stored_curves(ws: Workspace, *, trainer: str | None = None) -> list[dict[str, Any]]:
    """Learning curves stored in the workspace (newest first), optionally for one trainer."""
    from evaluator.results import find_results

    curves = [r["payload"] for r in find_results(ws, "curve")]
    curves = [c for c in curves if trainer is None or c.get("trainer") == trainer]
    return sorted(curves, key=lambda c: c.get("created_at") or "", reverse=True)
