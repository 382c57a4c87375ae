"""Precision, recall and F1 from count arrays, with the exact float operations of the reference tools.

Every figure of a report is arithmetic on per-document ``[documents, labels, 3]`` count arrays (TP, FP, FN),
so the same functions serve a report, a subset of documents and every bootstrap resample.

Two F1 formulas give the same number up to the last bit or two; each task uses its reference tool's formula so
that figures are *identical*, not just close:

* ``"seqeval"`` (NER): ``2 * p * r / (p + r)`` with ``p = tp / (tp + fp)``, ``r = tp / (tp + fn)``.
* ``"sklearn"`` (text classification): ``2 * tp / (support + predicted)``.

Undefined values (a division by zero) are ``NaN`` in arrays and ``None`` in reports. Averages follow seqeval and
scikit-learn: an undefined per-label precision or recall counts as 0 in the macro and weighted averages, over
the labels that occur (in the gold or the predictions); a label that occurs in neither has no F1 and is left out.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

TP, FP, FN = 0, 1, 2
FORMULAS = ("seqeval", "sklearn")


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as float64 with NaN where ``den == 0`` (no warning)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def prf(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, *,
        formula: str = "seqeval") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Element-wise precision, recall and F1 (float arrays, NaN where undefined).

    F1 is defined whenever ``tp + fp + fn > 0``; it is 0 when precision or recall is undefined there, as in
    seqeval and scikit-learn.

    >>> p, r, f = prf(np.array([1, 0]), np.array([1, 0]), np.array([0, 2]))
    >>> p.tolist(), r.tolist(), f.tolist()
    ([0.5, nan], [1.0, 0.0], [0.6666666666666666, 0.0])
    """
    tp = np.asarray(tp)
    fp = np.asarray(fp)
    fn = np.asarray(fn)
    p = _div(tp, tp + fp)
    r = _div(tp, tp + fn)
    defined = (tp + fp + fn) > 0
    if formula == "seqeval":
        p0 = np.nan_to_num(p, nan=0.0)
        r0 = np.nan_to_num(r, nan=0.0)
        denom = 1.0 * p0 + r0
        denom = np.where(denom == 0.0, 1.0, denom)
        f = 2.0 * p0 * r0 / denom
    elif formula == "sklearn":
        pred = np.asarray(tp + fp, dtype=np.float64)
        true = np.asarray(tp + fn, dtype=np.float64)
        den = 1.0 * true + pred
        f = np.zeros(np.broadcast(tp, den).shape)
        np.divide(2.0 * np.asarray(tp, dtype=np.float64), den, out=f, where=den != 0)
    else:
        raise ValueError(f"unknown formula {formula!r}; use one of {FORMULAS}")
    f = np.where(defined, f, np.nan)
    return p, r, f


def opt(x: Any) -> float | None:
    """A float, or ``None`` for NaN / None (the report's "undefined")."""
    if x is None:
        return None
    x = float(x)
    return None if np.isnan(x) else x


def summarize(counts: np.ndarray, labels: Sequence[str], *, formula: str = "seqeval") -> dict[str, Any]:
    """Micro, macro and weighted averages and the per-label table from summed ``[labels, 3]`` counts.

    Only labels with ``tp + fp + fn > 0`` are listed and averaged (seqeval lists the types found in the gold or
    the predictions). Keys: ``micro``, ``macro``, ``weighted``, ``per_label``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    present = counts.sum(axis=1) > 0
    counts = counts[present]
    labels = [lab for lab, keep in zip(labels, present) if keep]
    tp, fp, fn = counts[:, TP], counts[:, FP], counts[:, FN]
    support = tp + fn
    p, r, f = prf(tp, fp, fn, formula=formula)

    per_label = {
        lab: {"precision": opt(p[i]), "recall": opt(r[i]), "f1": opt(f[i]), "support": int(support[i]),
              "tp": int(tp[i]), "fp": int(fp[i]), "fn": int(fn[i])}
        for i, lab in enumerate(labels)
    }
    totals = {"tp": int(tp.sum()), "fp": int(fp.sum()), "fn": int(fn.sum()), "support": int(support.sum())}

    mp, mr, mf = prf(np.array([tp.sum()]), np.array([fp.sum()]), np.array([fn.sum()]), formula=formula)
    micro = {"precision": opt(mp[0]), "recall": opt(mr[0]), "f1": opt(mf[0]), **totals}

    if labels:
        # the references average with undefined per-label values set to 0
        p0, r0, f0 = (np.nan_to_num(a, nan=0.0) for a in (p, r, f))
        macro = {"precision": float(np.average(p0)), "recall": float(np.average(r0)),
                 "f1": float(np.average(f0)), **totals}
    else:
        macro = {"precision": None, "recall": None, "f1": None, **totals}

    if support.sum() > 0:
        p0, r0, f0 = (np.nan_to_num(a, nan=0.0) for a in (p, r, f))
        weighted = {"precision": float(np.average(p0, weights=support)),
                    "recall": float(np.average(r0, weights=support)),
                    "f1": float(np.average(f0, weights=support)), **totals}
    else:
        weighted = {"precision": None, "recall": None, "f1": None, **totals}
    return {"micro": micro, "macro": macro, "weighted": weighted, "per_label": per_label}


def micro_macro_f1(sums: np.ndarray, *, formula: str = "seqeval") -> tuple[np.ndarray, np.ndarray]:
    """Micro and macro F1 of many count tables at once.

    ``sums`` has shape ``[..., labels, 3]``; returns two arrays of shape ``[...]`` (NaN where undefined). The
    macro F1 averages over the labels whose F1 is defined in that table, which equals seqeval's macro F1 of
    the corresponding corpus.
    """
    sums = np.asarray(sums)
    tot = sums.sum(axis=-2)
    _, _, micro = prf(tot[..., TP], tot[..., FP], tot[..., FN], formula=formula)
    _, _, per = prf(sums[..., TP], sums[..., FP], sums[..., FN], formula=formula)
    n = np.sum(~np.isnan(per), axis=-1)
    macro = _div(np.nansum(per, axis=-1), n)
    return micro, macro
