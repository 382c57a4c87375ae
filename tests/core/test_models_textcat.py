"""Model registry on AG News (text classification): gold = first 600 rows, rounds of 50, 150 and 550 rows."""
from __future__ import annotations

import csv

import pytest

from evaluator.records import Record
from evaluator.models import add_model, get_model, train_round
from evaluator.predictions import predict, predictions_for, stored_predictions
from evaluator.scoring.evaluate import evaluate_models
from tests.training.helpers import AG_LABELS, ag_workspace


@pytest.fixture(scope="module")
def ws(shared_data, tmp_path_factory):
    return ag_workspace(tmp_path_factory.mktemp("ag"), shared_data)


@pytest.mark.parametrize("trainer", ["sklearn-textcat", "spacy-textcat"])
def test_accuracy_rises_from_the_smallest_to_the_largest_round(ws, trainer):
    for k in (1, 3):
        train_round(ws, k, trainer=trainer)
    res = {r["model"]: r for r in evaluate_models(ws, "news", models=[f"round-1-{trainer}", f"round-3-{trainer}"],
                                                     resamples=200)}
    small, large = res[f"round-1-{trainer}"], res[f"round-3-{trainer}"]
    assert large["accuracy"] > small["accuracy"] + 0.05, (small["accuracy"], large["accuracy"])
    assert large["documents"] == 600 and large["micro"]["f1"] == pytest.approx(large["accuracy"])
    assert get_model(ws, f"round-3-{trainer}")["counts"]["examples"] == 750


def test_probabilities_are_stored_for_active_learning(ws):
    predict(ws, "round-3-sklearn-textcat", "round:2")
    from evaluator.store import load_records

    recs = load_records(ws, "round:2")
    preds = stored_predictions(ws, "round-3-sklearn-textcat", recs)
    assert all(set(p.scores) == set(AG_LABELS.values()) for p in preds)
    assert all(p.label == max(p.scores, key=p.scores.get) for p in preds)


def test_same_round_trainer_and_seed_give_the_same_predictions(ws):
    train_round(ws, 1, trainer="sklearn-textcat", name="again-sklearn", seed=0)
    train_round(ws, 1, trainer="sklearn-textcat", name="seed-1-sklearn", seed=1)
    a, b = (evaluate_models(ws, "news", models=[m], resamples=50)[0] for m in ("round-1-sklearn-textcat", "again-sklearn"))
    assert a["confusion"] == b["confusion"]
    from evaluator.gold import gold_records

    info, gold = gold_records(ws, "news")
    # (the same inputs give the same artifact, so the stored evaluation of one serves the other: the predictions of
    # the second are computed here)
    pa = predictions_for(ws, "round-1-sklearn-textcat", f"gold:news@{info['version']}", gold)
    pb = predictions_for(ws, "again-sklearn", f"gold:news@{info['version']}", gold)
    assert [(p.label, p.scores) for p in pa] == [(p.label, p.scores) for p in pb]
    assert get_model(ws, "again-sklearn")["train_hash"] == get_model(ws, "round-1-sklearn-textcat")["train_hash"]
    assert get_model(ws, "again-sklearn")["artifact_hash"] == get_model(ws, "round-1-sklearn-textcat")["artifact_hash"]


def test_external_csv_predictions_are_scored(ws, tmp_path):
    from evaluator.gold import gold_records

    _, gold = gold_records(ws, "news")
    # a "system" that is right on every other example and says World otherwise
    path = tmp_path / "llm.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        for i, g in enumerate(gold):
            w.writerow([g.text, g.label if i % 2 == 0 else "World"])
    add_model(ws, path, name="llm-csv", format="csv")
    res = evaluate_models(ws, "news", models="llm-csv", resamples=50)[0]
    expected = sum(g.label == (g.label if i % 2 == 0 else "World") for i, g in enumerate(gold)) / len(gold)
    assert res["accuracy"] == pytest.approx(expected)
