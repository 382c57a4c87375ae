"""Paired significance of the difference between two systems scored on the same gold documents.

Both tests work on the per-document count arrays (``[documents, labels, 3]`` TP/FP/FN) and are vectorized:
a chunk of resamples is one (sparse) matrix product ``draws @ counts`` (no Python loop over documents or
resamples), with chunks sized to keep memory bounded.

* **Paired bootstrap** (Koehn 2004; Berg-Kirkpatrick et al. 2012): draw documents with replacement, the *same*
  draw for both systems; sum their counts and recompute micro and macro F1. The 95% interval of the difference
  ``B - A`` is the 2.5th and 97.5th percentile of the resampled differences. The bootstrap p-value is two-sided
  and tests "no difference" by centring the bootstrap distribution on zero (the shift method)::

      p_bootstrap = (1 + #{ |d*_i - d| >= |d| }) / (1 + resamples)

  where ``d`` is the observed difference and ``d*_i`` the resampled ones.
* **Approximate randomization** (Noreen 1989; Riezler & Maxwell 2005): swap the two systems' count vectors of
  each document with probability 1/2, recompute both scores, count how often ``|d'| >= |d|``;
  ``p = (c + 1) / (R + 1)``. Documents on which both systems have the same counts are left out of the
  swapping, since swapping them changes nothing.

Defaults: 10,000 resamples, seed :data:`DEFAULT_SEED`; both are returned with every result so a stored result
can be reproduced.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from scipy import sparse

from evaluator.errors import InputFormatError
from evaluator.metrics.aggregate import FN, TP, micro_macro_f1, prf

DEFAULT_RESAMPLES = 10_000
DEFAULT_SEED = 12345
#: drawn indices per chunk (resamples x documents); bounds working memory to about 20 MB
CHUNK_ELEMENTS = 2_000_000
#: ties within this tolerance count as "at least as extreme"
_EPS = 1e-12


# --------------------------------------------------------------------------------------------- the engine

@dataclass
class _Design:
    """Two systems as ``[units, columns]`` matrices plus how to turn column sums into metrics."""

    a: np.ndarray
    b: np.ndarray
    metrics: Callable[[np.ndarray], dict[str, np.ndarray]]


def _dtype_for(*mats: np.ndarray) -> type:
    """float32 when every sum of ``units`` draws stays an exact integer in float32, else float64."""
    n = max(m.shape[0] for m in mats)
    bound = max((float(np.abs(m).max(initial=0)) for m in mats), default=0.0) * max(n, 1)
    return np.float32 if bound < 2 ** 24 else np.float64


def _chunk_size(units: int, resamples: int) -> int:
    return int(max(1, min(resamples, CHUNK_ELEMENTS // max(units, 1))))


def draw_matrix(rng: np.random.Generator, m: int, n: int, dtype: type) -> sparse.csr_matrix:
    """``m`` bootstrap draws of ``n`` units with replacement, as a sparse ``[m, n]`` count matrix.

    One row of ``n`` drawn unit indices per resample, as a sparse 0/1 matrix whose product with a ``[n, columns]``
    count matrix sums each resample's units (repeated indices add up).
    """
    idx = rng.integers(0, n, size=m * n, dtype=np.int32)
    return sparse.csr_matrix((np.ones(m * n, dtype=dtype), idx, np.arange(0, m * n + 1, n, dtype=np.int32)),
                             shape=(m, n))


def _bootstrap(design: _Design, resamples: int, rng: np.random.Generator) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Resampled metric values of A and B: name -> (values_a, values_b), each ``[resamples, ...]``."""
    n = design.a.shape[0]
    both = np.concatenate([design.a, design.b], axis=1)
    dtype = _dtype_for(both)
    both = both.astype(dtype)
    k = design.a.shape[1]
    parts: dict[str, tuple[list, list]] = {}
    done = 0
    chunk = _chunk_size(n, resamples)
    while done < resamples:
        m = min(chunk, resamples - done)
        sums = np.asarray(draw_matrix(rng, m, n, dtype) @ both, dtype=np.float64)
        ma, mb = design.metrics(sums[:, :k]), design.metrics(sums[:, k:])
        for name in ma:
            pa, pb = parts.setdefault(name, ([], []))
            pa.append(ma[name])
            pb.append(mb[name])
        done += m
    return {name: (np.concatenate(pa), np.concatenate(pb)) for name, (pa, pb) in parts.items()}


def _randomization(design: _Design, resamples: int, rng: np.random.Generator,
                   observed: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """name -> (count of |d'| >= |d|, number of defined permutations); scalars, or arrays for vector metrics
    (``label_f1``: one count per label)."""
    diff = design.b - design.a
    # swapping a document on which both systems have the same counts changes nothing: leave those out
    diff = diff[np.any(diff != 0, axis=1)]
    n = diff.shape[0]
    dtype = _dtype_for(design.a, design.b, diff)
    diff_t = diff.astype(dtype)
    sum_a = design.a.sum(axis=0).astype(np.float64)
    sum_b = design.b.sum(axis=0).astype(np.float64)
    out: dict[str, list[Any]] = {}
    done = 0
    chunk = _chunk_size(n, resamples)
    while done < resamples:
        m = min(chunk, resamples - done)
        if n == 0:  # identical systems: every permutation is the observed one
            moved = np.zeros((m, sum_a.shape[0]))
        else:
            # one random bit per (permutation, document): 1 = swap the two systems' counts of that document
            bits = rng.integers(0, 256, size=(m * n + 7) // 8, dtype=np.uint8)
            swaps = np.unpackbits(bits)[: m * n].reshape(m, n).astype(dtype)
            moved = (swaps @ diff_t).astype(np.float64)
        ma = design.metrics(sum_a[None, :] + moved)
        mb = design.metrics(sum_b[None, :] - moved)
        for name, obs in observed.items():
            d = mb[name] - ma[name]
            ok = ~np.isnan(d)
            hit = ok & (np.abs(np.where(ok, d, 0.0)) >= np.abs(obs) - _EPS)
            c = out.setdefault(name, [0, 0])
            c[0] = c[0] + hit.sum(axis=0)
            c[1] = c[1] + ok.sum(axis=0)
        done += m
    return {name: (c[0], c[1]) for name, c in out.items()}


def _percentiles(values: np.ndarray, *, tail: float = 2.5) -> list[float | None]:
    """The ``tail`` and ``100 - tail`` percentiles of the finite values (``[None, None]`` when there are none)."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return [None, None]
    lo, hi = np.percentile(finite, [tail, 100.0 - tail])
    return [float(lo), float(hi)]


def _p_bootstrap(deltas: np.ndarray, observed: float) -> float | None:
    finite = deltas[~np.isnan(deltas)]
    if finite.size == 0 or np.isnan(observed):
        return None
    c = int(np.sum(np.abs(finite - observed) >= abs(observed) - _EPS))
    return (c + 1) / (finite.size + 1)


def _p_perm(count: int, total: int, observed: float) -> float | None:
    return (count + 1) / (total + 1) if total >= 0 and not np.isnan(observed) else None


def _per_label(labels: Sequence[str], rep_a: dict, rep_b: dict, boot: tuple[np.ndarray, np.ndarray],
               perm: tuple[np.ndarray, np.ndarray] | None, observed: np.ndarray) -> dict[str, Any]:
    """label -> ``a``, ``b``, ``delta``, ``ci95``, p-values, ``p_holm`` and the simultaneous interval."""
    from evaluator.stats.proportions import holm

    la, lb = boot
    out: dict[str, Any] = {}
    for k, lab in enumerate(labels):
        fa = rep_a["per_label"].get(lab, {}).get("f1")
        fb = rep_b["per_label"].get(lab, {}).get("f1")
        delta = None if fa is None or fb is None else fb - fa
        p_boot = _p_bootstrap(lb[:, k] - la[:, k], float(observed[k])) if delta is not None else None
        p_rand = _p_perm(int(perm[0][k]), int(perm[1][k]), float(observed[k])) \
            if perm is not None and delta is not None else None
        ps = [p for p in (p_boot, p_rand) if p is not None]
        out[lab] = {"a": fa, "b": fb, "delta": delta, "ci95": _percentiles(lb[:, k] - la[:, k]),
                    "p_bootstrap": p_boot, "p_randomization": p_rand, "p": max(ps) if ps else None}
    tested = [lab for lab in labels if out[lab]["p"] is not None]
    for lab, ph in zip(tested, holm([out[lab]["p"] for lab in tested])):
        out[lab]["p_holm"] = ph
    tail = 2.5 / max(len(tested), 1)
    for k, lab in enumerate(labels):
        out[lab].setdefault("p_holm", None)
        out[lab]["ci95_simultaneous"] = _percentiles(lb[:, k] - la[:, k], tail=tail)
    return out


# ------------------------------------------------------------------------------------------- the designs

def _ner_metrics(n_labels: int, formula: str, extra: Sequence[str] = ()) -> Callable[[np.ndarray], dict]:
    def metrics(sums: np.ndarray) -> dict[str, np.ndarray]:
        table = sums[:, : 3 * n_labels].reshape(-1, n_labels, 3)
        micro, macro = micro_macro_f1(table, formula=formula)
        _, _, per = prf(table[..., TP], table[..., 1], table[..., FN], formula=formula)
        out = {"micro_f1": micro, "macro_f1": macro, "label_f1": per}
        if "accuracy" in extra:
            correct, docs = sums[:, 3 * n_labels], sums[:, 3 * n_labels + 1]
            with np.errstate(invalid="ignore", divide="ignore"):
                out["accuracy"] = np.where(docs > 0, correct / np.where(docs > 0, docs, 1), np.nan)
        return out

    return metrics


def count_matrix(c: Any) -> tuple[np.ndarray, tuple[str, ...]]:
    """One system's counts as a ``[documents, columns]`` int matrix (``3 * labels`` TP/FP/FN columns; text
    classification adds ``correct`` and a column of ones for accuracy) and the extra metric names."""
    m = c.counts.reshape(c.documents, 3 * len(c.labels)).astype(np.int64)
    if c.task != "textcat":
        return m, ()
    ones = np.ones((c.documents, 1), dtype=np.int64)
    return np.concatenate([m, np.asarray(c.correct)[:, None], ones], axis=1), ("accuracy",)


def check_groups(groups: Sequence[Any] | np.ndarray | None, documents: int) -> np.ndarray | None:
    """``groups`` as an array of one id per document (``None`` stays ``None``)."""
    if groups is None:
        return None
    groups = np.asarray(groups)
    if len(groups) != documents:
        raise ValueError(f"groups has {len(groups)} entries for {documents} documents")
    return groups


def _group(mat: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    if groups is None:
        return mat
    _, inv = np.unique(np.asarray(groups), return_inverse=True)
    out = np.zeros((int(inv.max()) + 1 if len(inv) else 0, mat.shape[1]), dtype=mat.dtype)
    np.add.at(out, inv.ravel(), mat)
    return out


def _aligned(counts_a: Any, counts_b: Any) -> tuple[Any, Any]:
    if counts_a.task != counts_b.task:
        raise InputFormatError(f"cannot compare a {counts_a.task} result with a {counts_b.task} result")
    if counts_a.documents != counts_b.documents:
        raise InputFormatError(f"system A was scored on {counts_a.documents} documents but system B on "
                               f"{counts_b.documents}", hint="compare two systems on the same gold documents")
    labels = sorted(set(counts_a.labels) | set(counts_b.labels))
    a, b = counts_a.with_labels(labels), counts_b.with_labels(labels)
    if a.task == "ner":
        same = (np.array_equal(a.tokens, b.tokens)
                and np.array_equal(a.counts[..., TP] + a.counts[..., FN], b.counts[..., TP] + b.counts[..., FN]))
    else:
        same = np.array_equal(a.gold, b.gold)
    if not same:
        raise InputFormatError("the two systems were not scored against the same gold documents",
                               hint="score both prediction sets against one gold file / gold-set version")
    return a, b


def compare_counts(counts_a: Any, counts_b: Any, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                   groups: Sequence[Any] | np.ndarray | None = None, metric: str | None = None,
                   randomization: bool = True, unit: str | None = None) -> dict[str, Any]:
    """Paired comparison of system B against system A (``delta = B - A``) on the same gold documents.

    ``counts_a``/``counts_b``: :class:`~evaluator.metrics.NerCounts` or
    :class:`~evaluator.metrics.TextcatCounts`. ``groups`` (one id per document, e.g. the CoNLL document of
    each sentence) resamples whole groups instead of single documents. ``randomization=False`` skips the
    randomization test (its p-values are then ``None``). ``metric`` picks the headline figure:
    ``micro_f1`` (NER default), ``macro_f1`` (text-classification default) or ``accuracy`` (text
    classification).

    Returns plain data: ``metric``, ``a``, ``b`` (their scores), ``delta``, ``ci95``, ``p_bootstrap``,
    ``p_randomization`` (for ``metric``), ``metrics`` (the same for every metric), ``per_label`` (label ->
    ``a``, ``b``, ``delta``, ``ci95``, ``p_bootstrap``, ``p_randomization``, ``p`` (the larger of the two),
    ``p_holm`` and ``ci95_simultaneous``), ``per_label_correction``, ``resamples``, ``seed``, ``documents``,
    ``units``, ``unit`` (what was resampled: ``unit`` when given, else ``"group"`` when ``groups`` joined rows
    and ``"row"`` when not); text classification adds ``accuracy_delta``, ``p_mcnemar`` and ``mcnemar``
    (discordant counts).

    **Per label, corrected for multiplicity.** Testing every label at 5% finds "a difference" in some label far
    more often than 5% of the time when there is none. Each label's p-value (the larger of its bootstrap and
    randomization p-values) is adjusted with Holm's step-down method across the labels whose difference is
    defined (``p_holm``; family-wise error rate <= alpha), and ``ci95_simultaneous`` is the Bonferroni
    percentile interval (level ``1 - 0.05 / labels``), which covers all labels' differences at once with
    probability >= 95%. A label differs only when ``p_holm < alpha`` and its simultaneous interval excludes 0.
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    a, b = _aligned(counts_a, counts_b)
    task = a.task
    labels = a.labels
    n_lab = len(labels)
    formula = "seqeval" if task == "ner" else "sklearn"
    metric = metric or ("micro_f1" if task == "ner" else "macro_f1")
    names = ["micro_f1", "macro_f1"] + (["accuracy"] if task == "textcat" else [])
    if metric not in names:
        raise ValueError(f"metric must be one of {names}")

    (ma, extra), (mb, _) = count_matrix(a), count_matrix(b)
    groups = check_groups(groups, a.documents)
    ma, mb = _group(ma, groups), _group(mb, groups)
    design = _Design(ma, mb, _ner_metrics(n_lab, formula, extra))

    rep_a, rep_b = a.report(), b.report()
    obs_a = design.metrics(ma.sum(axis=0, keepdims=True).astype(np.float64))
    obs_b = design.metrics(mb.sum(axis=0, keepdims=True).astype(np.float64))
    observed = {name: float(obs_b[name][0] - obs_a[name][0]) for name in names}
    observed_labels = obs_b["label_f1"][0] - obs_a["label_f1"][0]

    ss = np.random.SeedSequence(seed)
    rng_boot, rng_perm = (np.random.default_rng(s) for s in ss.spawn(2))
    units = ma.shape[0]
    if units == 0:
        raise InputFormatError("no documents to compare")
    boot = _bootstrap(design, resamples, rng_boot)
    perm = (_randomization(design, resamples, rng_perm, {**observed, "label_f1": observed_labels})
            if randomization else {})

    def point(rep: dict) -> dict[str, Any]:
        out = {"precision": rep["micro"]["precision"], "recall": rep["micro"]["recall"],
               "f1": rep["micro"]["f1"], "macro_f1": rep["macro"]["f1"]}
        if task == "textcat":
            out["accuracy"] = rep["accuracy"]
        return out

    pa, pb = point(rep_a), point(rep_b)
    shown = {"micro_f1": ("f1",), "macro_f1": ("macro_f1",), "accuracy": ("accuracy",)}
    metrics: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in names:
            va, vb = pa[shown[name][0]], pb[shown[name][0]]
            deltas = boot[name][1] - boot[name][0]
            c, total = perm.get(name, (0, -1))
            metrics[name] = {
                "a": va, "b": vb,
                "delta": None if va is None or vb is None else vb - va,
                "ci95": _percentiles(deltas),
                "p_bootstrap": _p_bootstrap(deltas, observed[name]),
                "p_randomization": _p_perm(int(c), int(total), observed[name]),
            }
        per_label = _per_label(labels, rep_a, rep_b, boot["label_f1"], perm.get("label_f1"), observed_labels)

    head = metrics[metric]
    out: dict[str, Any] = {
        "task": task,
        "metric": metric,
        "a": pa,
        "b": pb,
        "delta": head["delta"],
        "ci95": head["ci95"],
        "p_bootstrap": head["p_bootstrap"],
        "p_randomization": head["p_randomization"],
        "resamples": int(resamples),
        "seed": int(seed),
        "documents": int(a.documents),
        "units": int(units),
        "unit": unit or ("group" if units < a.documents else "row"),
        "metrics": metrics,
        "per_label": per_label,
        "per_label_correction": {"method": "holm", "labels": sum(v["p"] is not None for v in per_label.values()),
                                 "interval": "bonferroni percentile (simultaneous 95%)"},
    }
    if task == "textcat":
        from evaluator.stats.proportions import mcnemar_exact

        ca, cb = a.correct.astype(bool), b.correct.astype(bool)
        a_only, b_only = int(np.sum(ca & ~cb)), int(np.sum(~ca & cb))
        out["accuracy_delta"] = metrics["accuracy"]["delta"]
        out["p_mcnemar"] = mcnemar_exact(a_only, b_only)
        out["mcnemar"] = {"a_only": a_only, "b_only": b_only}
    return out


def bootstrap_interval(counts: Any, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                       groups: Sequence[Any] | np.ndarray | None = None) -> dict[str, list[float | None]]:
    """95% percentile bootstrap intervals of one system's ``micro_f1``, ``macro_f1`` (and ``accuracy``)."""
    n_lab = len(counts.labels)
    formula = "seqeval" if counts.task == "ner" else "sklearn"
    m, extra = count_matrix(counts)
    m = _group(m, check_groups(groups, counts.documents))
    if m.shape[0] == 0:
        raise InputFormatError("no documents to resample")
    design = _Design(m, m, _ner_metrics(n_lab, formula, extra))
    boot = _bootstrap(design, resamples, np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {name: _percentiles(vals[0]) for name, vals in boot.items() if name != "label_f1"}


__all__ = ["DEFAULT_RESAMPLES", "DEFAULT_SEED", "bootstrap_interval", "compare_counts"]
