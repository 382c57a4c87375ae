"""Text classification scores from per-document arrays (gold index, predicted index).

Figures equal scikit-learn's ``accuracy_score``, ``precision_recall_fscore_support`` (per class, macro,
weighted; undefined values are ``None`` here where scikit-learn gives 0 with a warning) and
``confusion_matrix`` (rows gold, columns predicted, in ``labels`` order).

>>> c = textcat_counts(["pos", "neg", "pos"], ["pos", "pos", "pos"])
>>> r = textcat_report(c)
>>> r["accuracy"], r["per_label"]["neg"]["precision"], r["confusion"]["matrix"]
(0.6666666666666666, None, [[0, 1], [0, 2]])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from evaluator.errors import InputFormatError
from evaluator.metrics.aggregate import FN, FP, TP, summarize


@dataclass
class TextcatCounts:
    """Gold and predicted label index per document; ``counts`` is the ``[documents, labels, 3]`` TP/FP/FN view."""

    labels: list[str]
    gold: np.ndarray
    pred: np.ndarray
    task: str = "textcat"

    @property
    def documents(self) -> int:
        return int(len(self.gold))

    @property
    def correct(self) -> np.ndarray:
        return (self.gold == self.pred).astype(np.int64)

    @property
    def counts(self) -> np.ndarray:
        n, k = len(self.gold), len(self.labels)
        out = np.zeros((n, k, 3), dtype=np.int64)
        rows = np.arange(n)
        hit = self.gold == self.pred
        out[rows[hit], self.gold[hit], TP] = 1
        out[rows[~hit], self.pred[~hit], FP] = 1
        out[rows[~hit], self.gold[~hit], FN] = 1
        return out

    def report(self, *, doc_index: Sequence[int] | np.ndarray | None = None) -> dict[str, Any]:
        return textcat_report(self, doc_index=doc_index)

    def with_labels(self, labels: Sequence[str]) -> "TextcatCounts":
        """The same predictions indexed on a larger label list."""
        labels = list(labels)
        pos = {lab: i for i, lab in enumerate(labels)}
        remap = np.array([pos[lab] for lab in self.labels], dtype=np.int64)
        return TextcatCounts(labels, remap[self.gold] if len(self.gold) else self.gold,
                             remap[self.pred] if len(self.pred) else self.pred)


def textcat_counts(gold: Sequence[str], pred: Sequence[str], *,
                   labels: Sequence[str] | None = None) -> TextcatCounts:
    """Index gold and predicted labels (paired by position).

    ``labels`` fixes the label order (confusion matrix rows and columns); by default the sorted union of the
    gold and predicted labels, as scikit-learn does. A label outside ``labels`` is an error.
    """
    if len(gold) != len(pred):
        raise InputFormatError(f"{len(gold)} gold labels but {len(pred)} predictions",
                               hint="predict on exactly the gold texts")
    for n, (g, p) in enumerate(zip(gold, pred), 1):
        if g is None or p is None:
            which = "gold" if g is None else "predicted"
            raise InputFormatError(f"document {n} has no {which} label",
                                   hint="every document needs exactly one gold and one predicted label")
    if labels is None:
        labels = sorted(set(gold) | set(pred))
    labels = list(labels)
    pos = {lab: i for i, lab in enumerate(labels)}
    unknown = sorted((set(gold) | set(pred)) - set(pos))
    if unknown:
        raise InputFormatError(f"label(s) {', '.join(map(repr, unknown[:5]))} are not in the label list "
                               f"({', '.join(labels)})", hint="add them to the workspace labels or fix the data")
    g = np.fromiter((pos[x] for x in gold), dtype=np.int64, count=len(gold))
    p = np.fromiter((pos[x] for x in pred), dtype=np.int64, count=len(pred))
    return TextcatCounts(labels, g, p)


def confusion_matrix(counts: TextcatCounts, *, doc_index: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """``[labels, labels]`` matrix, rows gold, columns predicted."""
    g, p = counts.gold, counts.pred
    if doc_index is not None:
        idx = np.asarray(doc_index, dtype=np.int64)
        g, p = g[idx], p[idx]
    k = len(counts.labels)
    return np.bincount(g * k + p, minlength=k * k).reshape(k, k)


def textcat_report(counts: TextcatCounts, *,
                   doc_index: Sequence[int] | np.ndarray | None = None) -> dict[str, Any]:
    """Accuracy, micro/macro/weighted and per-class precision/recall/F1/support, and the confusion matrix.

    Keys: ``task``, ``documents``, ``accuracy``, ``micro``, ``macro``, ``weighted``, ``per_label``, ``confusion``
    (``labels``, ``matrix``). Undefined figures are ``None``.
    """
    cm = confusion_matrix(counts, doc_index=doc_index)
    n = int(cm.sum())
    tp = np.diag(cm)
    summed = np.stack([tp, cm.sum(axis=0) - tp, cm.sum(axis=1) - tp], axis=1)
    out: dict[str, Any] = {
        "task": "textcat",
        "documents": n,
        "accuracy": (int(tp.sum()) / n) if n else None,
    }
    out.update(summarize(summed, counts.labels, formula="sklearn"))
    out["confusion"] = {"labels": list(counts.labels), "matrix": cm.tolist()}
    return out
