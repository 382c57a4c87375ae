"""Where did an iteration improve? F1 by bucket and its change between iterations, with intervals.

The idea is ExplainaBoard's bucketed NER analysis (Fu, Liu & Neubig 2020): split the entities by an attribute
and score each bucket on its own. An entity is put in a bucket by its own attributes, so a gold entity counts
towards its bucket's recall and a predicted one towards its bucket's precision; an exact match has the same
attributes on both sides. Attributes (NER):

* ``entity_length`` — the entity's length in (gold) tokens: 1, 2, 3, 4+.
* ``training_data`` — the first annotation round whose accepted annotations hold the same entity (text,
  case-folded and whitespace-collapsed, and label): "round 1", "first in round 2", ..., or "in no round".
  Iteration k has seen the buckets of rounds <= k: a gain there is memorization, a gain on later rounds' entities
  and on "in no round" is generalization.
* ``label`` — the entity type (the per-label scores).
* ``text_length`` — the length of the gold text in tokens, in quartiles of the gold set (every entity of a text
  goes to that text's bucket).

Text classification has ``label`` and ``text_length`` (a text right or wrong; F1 of a bucket of texts is its
accuracy).

Every bucket is a column of a ``[documents, buckets, 3]`` TP/FP/FN array, the same layout as the metrics engine's
labels, so a bucket is scored and compared with the engine's own functions: :func:`bucket_scores` gives each
iteration's mean F1 over its runs with a two-level bootstrap interval (runs and gold units), and
:func:`bucket_changes` compares two iterations bucket by bucket with :func:`evaluator.stats.iteration.compare_runs`,
Holm-corrected across the buckets of an attribute.

>>> import numpy as np
>>> gold = np.array([[0, 0, 0, 1], [0, 0, 3, 5]])            # (doc, label, start, end)
>>> pred = np.array([[0, 0, 0, 1, 1, 3], [0, 0, 3, 4, 0, 3]])  # (doc, label, start, end, matched, aligned)
>>> bucket_table(gold, pred, 1, np.array([0, 1]), np.array([0, 0]), 2)[0].tolist()
[[1, 1, 0], [0, 0, 1]]
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from evaluator.metrics.aggregate import FN, FP, TP, prf
from evaluator.records import Record, normalize_text

ATTRIBUTES = {"entity_length": "entity length", "training_data": "entity in the training data",
              "label": "label", "text_length": "text length"}
LENGTHS = ("1 token", "2 tokens", "3 tokens", "4+ tokens")
NO_ROUND = "in no round"


@dataclass
class BucketPlan:
    """What bucketing needs from the gold set and the training rounds (see :func:`make_plan`)."""

    task: str
    labels: list[str]
    #: per gold document: its text and token character offsets (NER)
    texts: list[str]
    offsets: list[list[tuple[int, int]]]
    #: upper bounds (inclusive) of the text-length quartiles, in tokens
    text_edges: list[int]
    #: (normalized entity text, label) -> the first round whose annotations hold it
    first_round: dict[tuple[str, str], int] = field(default_factory=dict)
    rounds: list[int] = field(default_factory=list)

    @property
    def attributes(self) -> list[str]:
        return list(ATTRIBUTES) if self.task == "ner" else ["label", "text_length"]


def text_edges(lengths: Sequence[int], k: int = 4) -> list[int]:
    """Upper bounds of ``k`` text-length buckets: the quantiles of ``lengths`` (distinct, the last one = max).

    >>> text_edges([1, 2, 3, 4, 5, 6, 7, 8])
    [2, 4, 6, 8]
    """
    arr = np.asarray(lengths, dtype=np.float64)
    if arr.size == 0:
        return [0]
    qs = np.quantile(arr, [i / k for i in range(1, k)], method="lower").astype(int).tolist()
    return sorted(set(qs) | {int(arr.max())})


def text_names(edges: Sequence[int]) -> list[str]:
    """Bucket names for :func:`text_edges`: ``["≤ 2 tokens", "3–4 tokens", ...]``.

    >>> text_names([2, 4, 8])
    ['≤ 2 tokens', '3–4 tokens', '5–8 tokens']
    """
    out, low = [], None
    for e in edges:
        out.append(f"≤ {e} tokens" if low is None else (f"{low} tokens" if low == e else f"{low}–{e} tokens"))
        low = e + 1
    return out


def round_names(rounds: Sequence[int]) -> list[str]:
    """Bucket names of the ``training_data`` attribute.

    >>> round_names([1, 2, 3])
    ['round 1', 'first in round 2', 'first in round 3', 'in no round']
    """
    return [f"round {r}" if i == 0 else f"first in round {r}" for i, r in enumerate(rounds)] + [NO_ROUND]


def _entity_key(text: str, label: str) -> tuple[str, str]:
    return normalize_text(text), label


def make_plan(gold: Sequence[Record], *, task: str, labels: Sequence[str],
              training: dict[int, Sequence[Record]] | None = None, tokens: Sequence[int] | None = None) -> BucketPlan:
    """A :class:`BucketPlan` from the gold records (with tokens, for NER) and each round's accepted records.

    ``tokens`` (the gold texts' lengths in tokens) defaults to the records' token counts (or whitespace words).
    """
    texts = [r.text for r in gold]
    offsets = [[(t.start, t.end) for t in (r.tokens or [])] for r in gold]
    lengths = list(tokens) if tokens is not None else [len(r.tokens) if r.tokens is not None else len(r.text.split())
                                                      for r in gold]
    first: dict[tuple[str, str], int] = {}
    for rnd in sorted(training or {}):
        for rec in training[rnd]:
            for s in rec.spans:
                first.setdefault(_entity_key(rec.text[s.start:s.end], s.label), rnd)
    return BucketPlan(task=task, labels=list(labels), texts=texts, offsets=offsets, text_edges=text_edges(lengths),
                      first_round=first, rounds=sorted(training or {}))


def bucket_table(gold_entities: np.ndarray, pred_entities: np.ndarray, documents: int, gold_bucket: np.ndarray,
                 pred_bucket: np.ndarray, buckets: int) -> np.ndarray:
    """``[documents, buckets, 3]`` TP/FP/FN from the engine's entity rows and a bucket per row.

    ``gold_entities`` rows are ``(doc, label, start, end)``, ``pred_entities`` rows ``(doc, label, start, end,
    matched, aligned)``; a gold entity is found when a matched prediction has its (doc, label, start, end).
    """
    out = np.zeros((documents, buckets, 3), dtype=np.int64)
    if len(pred_entities):
        matched = pred_entities[:, 4].astype(bool)
        np.add.at(out, (pred_entities[matched, 0], pred_bucket[matched], TP), 1)
        np.add.at(out, (pred_entities[~matched, 0], pred_bucket[~matched], FP), 1)
        found = {tuple(r) for r in pred_entities[matched, :4].tolist()}
    else:
        found = set()
    if len(gold_entities):
        missed = np.array([tuple(r) not in found for r in gold_entities[:, :4].tolist()], dtype=bool)
        np.add.at(out, (gold_entities[missed, 0], gold_bucket[missed], FN), 1)
    return out


def _text_bucket(plan: BucketPlan, lengths: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(plan.text_edges), lengths, side="left").clip(0, len(plan.text_edges) - 1)


def _surface(plan: BucketPlan, doc: int, start: int, end: int) -> str:
    offs = plan.offsets[doc]
    if not offs or end <= start:
        return ""
    return plan.texts[doc][offs[start][0]:offs[min(end, len(offs)) - 1][1]]


def bucket_counts(plan: BucketPlan, counts: Any) -> dict[str, tuple[list[str], np.ndarray]]:
    """attribute -> (bucket names, ``[documents, buckets, 3]`` counts) of one run's counts on the gold set.

    ``counts``: :class:`~evaluator.metrics.NerCounts` or :class:`~evaluator.metrics.TextcatCounts`. Every bucket
    array sums (over buckets) to the run's micro TP/FP/FN.
    """
    docs = counts.documents
    labels = list(counts.labels)
    out: dict[str, tuple[list[str], np.ndarray]] = {}
    if plan.task != "ner":
        c = counts.counts
        out["label"] = (labels, c)
        lengths = np.array([len(t.split()) if not o else len(o) for t, o in zip(plan.texts, plan.offsets)])
        tb = _text_bucket(plan, lengths)
        table = np.zeros((docs, len(plan.text_edges), 3), dtype=np.int64)
        right = counts.correct.astype(bool)
        table[np.arange(docs)[right], tb[right], TP] = 1
        table[np.arange(docs)[~right], tb[~right], FP] = 1
        table[np.arange(docs)[~right], tb[~right], FN] = 1
        out["text_length"] = (text_names(plan.text_edges), table)
        return out
    g, p = counts.gold_entities, counts.pred_entities
    out["label"] = (labels, counts.counts)
    length = lambda rows: (np.maximum(rows[:, 3] - rows[:, 2], 1) - 1).clip(0, 3)  # noqa: E731
    out["entity_length"] = (list(LENGTHS), bucket_table(g, p, docs, length(g), length(p), len(LENGTHS)))
    names = round_names(plan.rounds)
    pos = {r: i for i, r in enumerate(plan.rounds)}

    def seen(rows: np.ndarray) -> np.ndarray:
        return np.array([pos.get(plan.first_round.get(_entity_key(_surface(plan, d, a, b), labels[lab]), -1),
                                 len(plan.rounds)) for d, lab, a, b in rows[:, :4].tolist()], dtype=np.int64)

    out["training_data"] = (names, bucket_table(g, p, docs, seen(g), seen(p), len(names)))
    tb = _text_bucket(plan, np.asarray(counts.tokens))
    out["text_length"] = (text_names(plan.text_edges),
                          bucket_table(g, p, docs, tb[g[:, 0]] if len(g) else g[:, 0],
                                       tb[p[:, 0]] if len(p) else p[:, 0], len(plan.text_edges)))
    return out


def as_counts(table: np.ndarray, names: Sequence[str]):
    """A ``[documents, buckets, 3]`` array as engine counts whose labels are the buckets (for the paired tests)."""
    from evaluator.metrics.ner import NerCounts

    n = table.shape[0]
    zeros = np.zeros(n, dtype=np.int64)
    return NerCounts(labels=list(names), counts=table.astype(np.int64), tokens=zeros, correct=zeros,
                     misaligned=zeros, mode="default", scheme=None, gold_entities=np.zeros((0, 4), dtype=np.int64),
                     pred_entities=np.zeros((0, 6), dtype=np.int64))


def _group(table: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """``[documents, buckets, 3]`` summed per group (``[groups, buckets, 3]``)."""
    from evaluator.stats.paired import _group as group_rows

    n, b, k = table.shape
    out = group_rows(table.reshape(n, b * k), groups)
    return out.reshape(out.shape[0], b, k)


def _f1(sums: np.ndarray) -> np.ndarray:
    _, _, f = prf(sums[..., TP], sums[..., FP], sums[..., FN])
    return f


def mean_f1(tables: Sequence[np.ndarray], *, resamples: int = 2000, seed: int = 0,
            groups: Sequence[Any] | np.ndarray | None = None) -> dict[str, Any]:
    """Mean F1 over runs of each bucket with a 95% two-level bootstrap interval.

    ``tables``: one ``[documents, buckets, 3]`` array per run (same gold documents). Each resample draws the
    gold units (documents, or ``groups``) with replacement, the same draw for every run, re-scores every run, and
    draws the runs with replacement; as in :mod:`evaluator.stats.iteration`, the runs' part is scaled by
    ``sqrt(R / (R - 1))`` for few runs. Returns ``f1`` (per bucket, mean over runs; ``None`` when undefined),
    ``runs`` (``[runs][buckets]``), ``ci95`` (``[buckets][2]``), ``resamples`` and ``seed``.

    >>> t = np.array([[[1, 0, 0]], [[0, 1, 1]]])                  # 2 documents, 1 bucket: F1 = 0.5
    >>> r = mean_f1([t, t], resamples=200)
    >>> r["f1"], r["runs"]
    ([0.5], [[0.5], [0.5]])
    """
    from evaluator.stats.paired import draw_matrix

    runs = [_group(np.asarray(t, dtype=np.int64), None if groups is None else np.asarray(groups)) for t in tables]
    n_runs = len(runs)
    units, buckets = runs[0].shape[0], runs[0].shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        observed = np.stack([_f1(r.sum(axis=0)) for r in runs])                   # [runs, buckets]
        mean = np.nanmean(observed, axis=0) if n_runs else np.full(buckets, np.nan)
        rng_units, rng_runs = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
        flat = np.concatenate([r.reshape(units, -1) for r in runs], axis=1).astype(np.float64)
        draws = np.asarray(draw_matrix(rng_units, resamples, units, np.float64) @ flat)
        f = _f1(draws.reshape(resamples, n_runs, buckets, 3))                   # [resamples, runs, buckets]
        everyone = np.nanmean(f, axis=1)
        pick = rng_runs.integers(0, n_runs, size=(resamples, n_runs))
        drawn = np.nanmean(np.take_along_axis(f, pick[:, :, None], axis=1), axis=1)
        scale = math.sqrt(n_runs / (n_runs - 1)) if n_runs > 1 else 0.0
        total = everyone + scale * (drawn - everyone)
    ci = []
    for b in range(buckets):
        vals = total[:, b][np.isfinite(total[:, b])]
        ci.append([None, None] if vals.size == 0 else [float(x) for x in np.percentile(vals, [2.5, 97.5])])
    return {"f1": [_opt(x) for x in mean], "runs": [[_opt(x) for x in row] for row in observed], "ci95": ci,
            "resamples": int(resamples), "seed": int(seed)}


def bucket_scores(plan: BucketPlan, runs: Sequence[Any], *, resamples: int = 2000, seed: int = 0,
                  groups: Sequence[Any] | np.ndarray | None = None) -> dict[str, list[dict[str, Any]]]:
    """attribute -> one row per bucket for an iteration: ``bucket``, ``f1`` (mean over its runs), ``ci95``,
    ``support`` (gold entities, or texts), ``predicted``."""
    per_run = [bucket_counts(plan, c) for c in runs]
    out: dict[str, list[dict[str, Any]]] = {}
    for attr in plan.attributes:
        names = per_run[0][attr][0]
        tables = [r[attr][1] for r in per_run]
        res = mean_f1(tables, resamples=resamples, seed=seed, groups=groups)
        sums = tables[0].sum(axis=0)
        out[attr] = [{"bucket": name, "f1": res["f1"][b], "ci95": res["ci95"][b],
                      "support": int(sums[b, TP] + sums[b, FN]),
                      "predicted": int(np.mean([t[:, b, TP].sum() + t[:, b, FP].sum() for t in tables]))}
                     for b, name in enumerate(names)]
    return out


def bucket_changes(plan: BucketPlan, runs_a: Sequence[Any], runs_b: Sequence[Any], *, resamples: int = 2000,
                   seed: int = 0, groups: Sequence[Any] | np.ndarray | None = None, alpha: float = 0.05,
                   stochastic: bool = True, unit: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """attribute -> one row per bucket: B − A over all runs (:func:`evaluator.stats.iteration.compare_runs` on
    that bucket's counts): ``bucket``, ``a``, ``b`` (mean F1), ``delta``, ``ci95``, ``p``, ``p_holm`` (across the
    buckets of the attribute), ``support``, ``verdict`` (``improved``/``regressed`` only when ``p_holm < alpha``
    and the interval excludes 0; ``inconclusive``; ``undefined`` for a bucket with nothing to score)."""
    from evaluator.stats import holm
    from evaluator.stats.iteration import compare_runs

    ca = [bucket_counts(plan, c) for c in runs_a]
    cb = [bucket_counts(plan, c) for c in runs_b]
    out: dict[str, list[dict[str, Any]]] = {}
    for attr in plan.attributes:
        names = ca[0][attr][0]
        rows = []
        for b, name in enumerate(names):
            side_a = [as_counts(r[attr][1][:, [b], :], [name]) for r in ca]
            side_b = [as_counts(r[attr][1][:, [b], :], [name]) for r in cb]
            support = int(side_a[0].counts[..., TP].sum() + side_a[0].counts[..., FN].sum())
            if not any(s.counts.sum() for s in side_a + side_b):
                rows.append({"bucket": name, "a": None, "b": None, "delta": None, "ci95": [None, None], "p": None,
                             "support": support, "verdict": "undefined"})
                continue
            res = compare_runs(side_a, side_b, resamples=resamples, seed=seed, groups=groups, alpha=alpha,
                               stochastic=stochastic, unit=unit)
            rows.append({"bucket": name, "a": res["mean"]["a"], "b": res["mean"]["b"], "delta": res["delta"],
                         "ci95": res["ci95"], "p": res["p"], "support": support, "kind": res["kind"],
                         "verdict": res["verdict"]})
        for row, ph in zip(rows, holm([r["p"] for r in rows])):
            row["p_holm"] = ph
            lo, hi = row["ci95"]
            if row["verdict"] in ("improved", "regressed") and not (
                    ph is not None and ph < alpha and lo is not None and (lo > 0 or hi < 0)):
                row["verdict"] = "inconclusive"
        out[attr] = rows
    return out


def _opt(x: Any) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


__all__ = ["ATTRIBUTES", "BucketPlan", "LENGTHS", "NO_ROUND", "as_counts", "bucket_changes", "bucket_counts",
           "bucket_scores", "bucket_table", "make_plan", "mean_f1", "round_names", "text_edges", "text_names"]
