"""Text-classification figures equal scikit-learn's."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from evaluator.errors import InputFormatError
from evaluator.metrics import textcat_counts, textcat_report


def _z(x):
    return 0.0 if x is None else x


def _assert_same_as_sklearn(gold, pred):
    rep = textcat_report(textcat_counts(gold, pred))
    labels = sorted(set(gold) | set(pred))
    assert rep["confusion"]["labels"] == labels
    assert rep["confusion"]["matrix"] == confusion_matrix(gold, pred, labels=labels).tolist()
    assert rep["accuracy"] == accuracy_score(gold, pred)
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    for k, lab in enumerate(labels):
        row = rep["per_label"][lab]
        assert (_z(row["precision"]), _z(row["recall"]), row["f1"], row["support"]) == (p[k], r[k], f[k], s[k])
    for avg in ("micro", "macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(gold, pred, labels=labels, average=avg, zero_division=0)
        assert (_z(rep[avg]["precision"]), _z(rep[avg]["recall"]), _z(rep[avg]["f1"])) == (p, r, f), avg


@pytest.mark.parametrize("seed", range(5))
def test_random_labels_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    names = ["World", "Sports", "Business", "Sci/Tech", "rare"]
    gold = [names[i] for i in rng.integers(0, 4, size=300)]  # "rare" is never gold
    pred = [g if rng.random() < 0.6 else names[int(rng.integers(0, 5))] for g in gold]
    _assert_same_as_sklearn(gold, pred)


def test_ag_news_labels_equal_sklearn(shared_data):
    import csv

    with open(shared_data / "ag-news" / "test.csv", newline="", encoding="utf-8") as fh:
        gold = [row[0] for row in csv.reader(fh)]
    assert len(gold) == 7600
    rng = np.random.default_rng(1)
    pred = [g if rng.random() < 0.8 else str(rng.integers(1, 5)) for g in gold]
    _assert_same_as_sklearn(gold, pred)


def test_undefined_is_none_and_label_order_is_kept():
    c = textcat_counts(["a", "a"], ["a", "a"], labels=["b", "a"])
    rep = textcat_report(c)
    assert rep["confusion"] == {"labels": ["b", "a"], "matrix": [[0, 0], [0, 2]]}
    assert list(rep["per_label"]) == ["a"]  # b has no gold and no prediction: no F1
    assert rep["macro"]["f1"] == 1.0
    assert c.counts.sum(axis=0).tolist() == [[0, 0, 0], [2, 0, 0]]


def test_errors():
    with pytest.raises(InputFormatError, match="not in the label list"):
        textcat_counts(["a"], ["c"], labels=["a", "b"])
    with pytest.raises(InputFormatError, match="document 2 has no predicted label"):
        textcat_counts(["a", "b"], ["a", None])
    with pytest.raises(InputFormatError, match="2 gold labels but 1"):
        textcat_counts(["a", "b"], ["a"])
