"""The report of a text-classification workspace (the news demo, sklearn-textcat rounds 1-3): the confusion matrix
equals scikit-learn's, the candidate gold errors equal cleanlab's label issues on the same probabilities, and the
text-length buckets score each text right or wrong (their F1 is the bucket's accuracy)."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    from evaluator.demo import build_demo
    from evaluator.models import train_round
    from evaluator.report.engine import build_report
    from evaluator.workspace import open_workspace

    path = tmp_path_factory.mktemp("report-news") / "news"
    build_demo(path, task="textcat")
    ws = open_workspace(path)
    for k in (1, 2, 3):
        train_round(ws, k, trainer="sklearn-textcat")
    return ws, build_report(ws, "demo-test", resamples=500)


def _preds(ws, name):
    from evaluator.gold import gold_records
    from evaluator.predictions import predictions_for

    info, recs = gold_records(ws, "demo-test")
    return recs, predictions_for(ws, name, f"gold:demo-test@{info['version']}", recs)


def test_confusion_matrix_equals_sklearn(news):
    from sklearn.metrics import confusion_matrix

    ws, rep = news
    cm = rep["confusion"]
    gold, preds = _preds(ws, cm["model"])
    ref = confusion_matrix([g.label for g in gold], [p.label for p in preds], labels=cm["labels"])
    assert cm["model"] == "round-3-sklearn-textcat" and cm["matrix"] == ref.tolist()
    from evaluator.report.charts import report_charts
    assert "confusion" in [c["key"] for c in report_charts(rep)]


def test_gold_errors_are_cleanlabs_label_issues(news):
    from cleanlab.filter import find_label_issues

    ws, rep = news
    gold, preds = _preds(ws, "round-3-sklearn-textcat")
    labels = sorted(ws.labels)
    probs = np.array([[p.scores[lab] for lab in labels] for p in preds])
    probs = probs / probs.sum(axis=1, keepdims=True)
    y = np.array([labels.index(g.label) for g in gold])
    ref = find_label_issues(labels=y, pred_probs=probs, return_indices_ranked_by="self_confidence")
    cl = rep["gold_errors"]["cleanlab"]
    assert cl["total"] == len(ref) and [r["document"] - 1 for r in cl["rows"]] == list(ref[:len(cl["rows"])])
    every = [_preds(ws, f"round-{k}-sklearn-textcat")[1] for k in (1, 2, 3)]
    agreed = [d for d, g in enumerate(gold) if len({p[d].label for p in every}) == 1 and every[0][d].label != g.label]
    assert [r["document"] - 1 for r in rep["gold_errors"]["predicted_by_all"]["rows"]] == agreed[:25]


def test_text_length_buckets_are_accuracy_per_bucket(news):
    ws, rep = news
    gold, preds = _preds(ws, "round-3-sklearn-textcat")
    it = rep["families"][0]["iterations"][-1]
    edges = rep["settings"]["buckets"]["text_length_edges"]
    lengths = np.array([len(g.tokens) if g.tokens else len(g.text.split()) for g in gold])
    right = np.array([p.label == g.label for g, p in zip(gold, preds)])
    bucket = np.searchsorted(edges, lengths)
    for b, row in enumerate(it["buckets"]["text_length"]):
        assert row["support"] == int((bucket == b).sum())
        if row["support"]:
            assert row["f1"] == pytest.approx(right[bucket == b].mean(), abs=1e-12)
