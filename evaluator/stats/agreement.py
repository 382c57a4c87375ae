"""Agreement between two annotators on the same items' entity spans (exact span F1). For categories, Cohen's
kappa and Krippendorff's alpha are in :mod:`evaluator.stats.preference` (shared with the A/B sessions).

Pure functions on plain lists; undefined values are ``None`` (never a silent 0).

>>> s = span_agreement([[(0, 5, "PER")], [(3, 9, "ORG")]], [[(0, 5, "PER")], [(3, 7, "ORG")]])
>>> s["tp"], s["fp"], s["fn"], s["f1"], s["same_items"]
(1, 1, 1, 0.5, 0.5)
"""
from __future__ import annotations

from typing import Iterable, Sequence


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


__all__ = ["span_agreement"]
