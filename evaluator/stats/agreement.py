"""Agreement between two annotators on the same items: Cohen's kappa for categories, span F1 for entities.

Pure functions on plain lists; undefined values are ``None`` (never a silent 0).

>>> r = cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"])
>>> r["kappa"], r["observed"], r["expected"], r["items"]
(0.5, 0.75, 0.5, 4)
>>> cohen_kappa(["x", "x"], ["x", "x"])["kappa"] is None      # one category only: chance agreement is 1
True
>>> s = span_agreement([[(0, 5, "PER")], [(3, 9, "ORG")]], [[(0, 5, "PER")], [(3, 7, "ORG")]])
>>> s["tp"], s["fp"], s["fn"], s["f1"], s["same_items"]
(1, 1, 1, 0.5, 0.5)
"""
from __future__ import annotations

from typing import Hashable, Iterable, Sequence

import numpy as np


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable], *,
                labels: Sequence[Hashable] | None = None) -> dict:
    """Cohen's kappa of two annotators' categories for the same items (``a[i]`` and ``b[i]`` label item i).

    Returns ``{"kappa", "observed", "expected", "items"}``: observed and chance-expected agreement (from each
    annotator's own category frequencies). ``kappa`` is None when there are no items or when chance agreement is
    1 (both annotators used one and the same category for everything), as scikit-learn's ``cohen_kappa_score``
    gives nan there.
    """
    if len(a) != len(b):
        raise ValueError(f"both annotators must label the same items ({len(a)} vs {len(b)})")
    n = len(a)
    if n == 0:
        return {"kappa": None, "observed": None, "expected": None, "items": 0}
    cats = list(labels) if labels is not None else sorted(set(a) | set(b), key=str)
    index = {c: i for i, c in enumerate(cats)}
    missing = sorted({str(x) for x in (*a, *b) if x not in index})
    if missing:
        raise ValueError(f"categories not in labels: {', '.join(missing)}")
    m = np.zeros((len(cats), len(cats)), dtype=np.int64)
    for x, y in zip(a, b):
        m[index[x], index[y]] += 1
    observed = float(np.trace(m)) / n
    expected = float(m.sum(axis=1) @ m.sum(axis=0)) / (n * n)
    kappa = None if expected >= 1.0 else (observed - expected) / (1.0 - expected)
    return {"kappa": kappa, "observed": observed, "expected": expected, "items": n}


def span_agreement(a: Sequence[Iterable[tuple]], b: Sequence[Iterable[tuple]]) -> dict:
    """Exact span agreement of two annotators over the same items (``a[i]``: item i's spans as
    ``(start, end, label)`` tuples).

    Taking ``a`` as the reference: ``tp`` spans both marked, ``fn`` only in ``a``, ``fp`` only in ``b``; F1 is
    symmetric in ``a`` and ``b``. ``same_items`` is the share of items with identical span sets. Precision,
    recall and F1 are None when undefined (no spans on either side).
    """
    if len(a) != len(b):
        raise ValueError(f"both annotators must label the same items ({len(a)} vs {len(b)})")
    tp = fp = fn = same = 0
    for x, y in zip(a, b):
        sx, sy = {tuple(s) for s in x}, {tuple(s) for s in y}
        tp += len(sx & sy)
        fn += len(sx - sy)
        fp += len(sy - sx)
        same += sx == sy
    n = len(a)
    return {
        "tp": tp, "fp": fp, "fn": fn, "items": n,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
        "same_items": same / n if n else None,
    }


__all__ = ["cohen_kappa", "span_agreement"]
