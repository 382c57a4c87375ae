"""evaluator.scoring.compare: workspace comparisons (paired tests, words, stored results) and example diffs."""
from __future__ import annotations

import numpy as np
import pytest

from evaluator.metrics.diff import example_diff as diff_rows
from evaluator.report.verdict import describe, format_p, headline_p, verdict_of
from evaluator.scoring.compare import compare_models, compare_to_previous, example_diff
from evaluator.scoring.evaluate import stored_scores
from evaluator.records import Record, Span
from evaluator.stats import DEFAULT_SEED, compare_counts, holm

CLI_KEYS = {"metric", "a", "b", "delta", "ci95", "p_bootstrap", "p_randomization", "resamples", "seed", "per_label"}
GOLD = "demo-test"
A, B = "round-1-crf-ner", "round-3-crf-ner"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The NER demo workspace with CRF models of round 1 and round 3 (trained once for the module)."""
    from evaluator.demo import build_demo
    from evaluator.models import train_round
    from evaluator.workspace import open_workspace

    path = tmp_path_factory.mktemp("evaluation") / "demo"
    build_demo(path)
    ws = open_workspace(path)
    train_round(ws, 1, trainer="crf-ner")
    train_round(ws, 3, trainer="crf-ner")
    return ws


def _counts(ws, model):
    """Reference counts, computed here from the stored predictions with the scoring engine."""
    from evaluator.gold import gold_records
    from evaluator.scoring.evaluate import counts_for
    from evaluator.predictions import predict, stored_predictions

    info, recs = gold_records(ws, GOLD)
    predict(ws, model, f"gold:{GOLD}@{info['version']}")
    return counts_for(ws.task, recs, stored_predictions(ws, model, recs), labels=ws.labels, lang=ws.lang), recs


def test_a_model_compared_with_itself(trained):
    res = compare_models(trained, GOLD, A, A, resamples=2000)
    assert CLI_KEYS <= set(res)
    assert res["delta"] == 0 and res["ci95"] == [0.0, 0.0]
    assert res["p_bootstrap"] == 1 and res["p_randomization"] == 1
    assert res["verdict"] == "no_difference"
    # a model against itself has the same training data: that sentence comes first, then the test's
    assert res["same_training_data"] and "training noise" in res["sentences"][0]
    assert res["sentences"][1].startswith("No evidence of a difference") and "(p = 1)" in res["sentences"][1]
    assert all(v["delta"] in (0, None) for v in res["per_label"].values())


def test_comparison_equals_the_stats_engine_on_the_same_counts(trained):
    res = compare_models(trained, GOLD, A, B, resamples=3000, seed=7, reuse=False)
    (ca, _), (cb, _) = _counts(trained, A), _counts(trained, B)
    ref = compare_counts(ca, cb, resamples=3000, seed=7)
    for k in ("metric", "delta", "ci95", "p_bootstrap", "p_randomization", "resamples", "seed", "documents"):
        assert res[k] == ref[k], k
    assert res["a"] == ref["a"] and res["b"] == ref["b"]
    assert {lab: (v["delta"], v["ci95"]) for lab, v in res["per_label"].items()} == \
        {lab: (v["delta"], v["ci95"]) for lab, v in ref["per_label"].items()}
    assert res["model_a"] == A and res["model_b"] == B and res["gold"] == GOLD and res["mode"] == "default"
    # the words agree with the numbers
    lo, hi = res["ci95"]
    p = max(ref["p_bootstrap"], ref["p_randomization"])
    expected = ("b_better" if p < 0.05 and lo > 0 else "a_better" if p < 0.05 and hi < 0 else "no_difference")
    assert res["verdict"] == expected
    if expected == "b_better":
        assert res["sentences"][0].startswith(f"{B} (B) is better than {A} (A) by +{100 * ref['delta']:.1f} F1 points")
        assert f"95% CI {100 * lo:+.1f} to {100 * hi:+.1f}" in res["sentences"][0]


def test_comparisons_are_stored_and_reused(trained):
    from evaluator.models import rename_model

    first = compare_models(trained, GOLD, A, B, resamples=500, seed=3)
    again = compare_models(trained, GOLD, A, B, resamples=500, seed=3)
    other_seed = compare_models(trained, GOLD, A, B, resamples=500, seed=4)
    assert again["reused"] and not other_seed["reused"]
    assert again["delta"] == first["delta"] and again["ci95"] == first["ci95"]
    from evaluator.results import find_results
    stored = find_results(trained, "comparison")
    assert any(r["payload"]["delta"] == first["delta"] and r["settings"]["seed"] == 3 for r in stored)
    assert not (trained.reports_dir / "comparisons").exists()  # one results store: no JSON files
    # a rename keeps the artifact, hence the stored result, under the new name
    rename_model(trained, B, "r3")
    try:
        renamed = compare_models(trained, GOLD, A, "r3", resamples=500, seed=3)
        assert renamed["reused"] and renamed["model_b"] == "r3" and renamed["delta"] == first["delta"]
        assert renamed["sentences"][0].count("r3") == 1
    finally:
        rename_model(trained, "r3", B)


def test_compare_to_previous_applies_holm(trained):
    from evaluator.models import train_round

    train_round(trained, 2, trainer="crf-ner")
    order = [A, "round-2-crf-ner", B]
    chain = compare_to_previous(trained, GOLD, order, resamples=1000)
    assert [(c["model_a"], c["model_b"]) for c in chain] == [(A, "round-2-crf-ner"), ("round-2-crf-ner", B)]
    raw = [headline_p(compare_models(trained, GOLD, a, b, resamples=1000)) for a, b in zip(order, order[1:])]
    assert [c["p"] for c in chain] == raw and [c["p_holm"] for c in chain] == holm(raw)
    for c in chain:
        assert c["significant"] == (c["p_holm"] < 0.05 and (c["ci95"][0] > 0 or c["ci95"][1] < 0))
    from evaluator.errors import ConfigError
    with pytest.raises(ConfigError, match="at least two"):
        compare_to_previous(trained, GOLD, [A])


def test_example_diff_agrees_with_the_token_level_oracle(trained):
    from tests.metrics.diff_oracle import entity_diff

    (ca, recs), (cb, _) = _counts(trained, A), _counts(trained, B)
    diff = example_diff(trained, GOLD, A, B)
    ref = entity_diff(ca, cb)
    assert ref, "the two models should differ somewhere"

    def tok(rec, s):  # character span -> token offsets, as the engine keeps them
        starts = [t.start for t in rec.tokens]
        ends = [t.end for t in rec.tokens]
        return starts.index(s["start"]), ends.index(s["end"]) + 1

    for kind in ("gained", "lost"):
        mine = {(r["document"], r["label"], *tok(recs[r["document"]], r["b"] or r["a"]))
                for r in diff if r["kind"] == kind}
        theirs = {(r["doc"], r["label"], r["start"], r["end"]) for r in ref if r["change"] == kind}
        assert mine == theirs, kind
    # every wrong prediction only B makes is a new error or the B side of a changed pair (and vice versa for A)
    new_fp = {(r["doc"], r["label"], r["start"], r["end"]) for r in ref if r["change"] == "new_false_positive"}
    mine_b = {(r["document"], r["b"]["label"], *tok(recs[r["document"]], r["b"])) for r in diff
              if r["kind"] in ("new_error", "changed") and r["b"] is not None
              and not any(g == r["b"] for g in r["gold"])}
    assert mine_b == new_fp
    assert all(r["text"] == recs[r["document"]].text for r in diff)
    only_org = example_diff(trained, GOLD, A, B, label="ORG")
    assert only_org and all("ORG" in r["labels"] for r in only_org)
    assert {r["document"] for r in only_org} <= {r["document"] for r in diff}


def test_example_diff_rows_on_hand_made_predictions():
    text = "Alice Smith met Bob at Acme Corp in Paris and Rome."
    #       0    5     11  15  19 22   27   32 35    41  45
    alice, bob, acme, paris, rome = Span(0, 11, "PER"), Span(16, 19, "PER"), Span(23, 32, "ORG"), \
        Span(36, 41, "LOC"), Span(46, 50, "LOC")
    gold = [Record(text, spans=[alice, bob, acme, paris, rome])]
    pred_a = [[alice, Span(23, 27, "ORG"), Span(36, 41, "ORG"), Span(42, 45, "MISC"), rome]]
    pred_b = [[Span(0, 5, "PER"), bob, acme, Span(36, 41, "ORG"), rome, Span(12, 15, "ORG")]]
    rows = diff_rows(gold, pred_a, pred_b, task="ner")
    s = lambda d: None if d is None else (d["start"], d["end"], d["label"])  # noqa: E731
    assert [(r["kind"], s(r["a"]), s(r["b"]), r["change"]) for r in rows] == [
        ("gained", None, (16, 19, "PER"), None),
        ("gained", None, (23, 32, "ORG"), None),
        ("lost", (0, 11, "PER"), None, None),
        ("changed", (0, 11, "PER"), (0, 5, "PER"), "boundaries"),
        ("changed", (23, 27, "ORG"), (23, 32, "ORG"), "boundaries"),
        ("new_error", None, (12, 15, "ORG"), None),        # "met" as ORG, only B
        ("fixed_error", (42, 45, "MISC"), None, None),     # "and" as MISC, only A
    ]
    # Paris is ORG for both (same wrong prediction) and Rome right for both: no change
    assert rows[3]["gold"] == [{"start": 0, "end": 11, "label": "PER", "text": "Alice Smith"}]
    assert rows[1]["b"]["text"] == "Acme Corp" and all(r["document"] == 0 and r["text"] == text for r in rows)
    per = diff_rows(gold, pred_a, pred_b, task="ner", label="PER")
    assert [r["kind"] for r in per] == ["gained", "lost", "changed"]
    assert diff_rows(gold, pred_a, pred_b, task="ner", label="LOC") == []
    assert diff_rows(gold, pred_a, pred_a, task="ner") == []


def test_example_diff_type_change():
    text = "Visit Rome now"
    gold = [Record(text, spans=[Span(6, 10, "LOC")])]
    [row] = diff_rows(gold, [[Span(6, 10, "ORG")]], [[Span(6, 10, "PER")]], task="ner")
    assert (row["kind"], row["change"], row["label"]) == ("changed", "type", "ORG → PER")
    [row] = diff_rows(gold, [[Span(6, 10, "ORG")]], [[Span(6, 14, "PER")]], task="ner")
    assert row["change"] == "boundaries and type"


def test_textcat_example_diff_on_hand_made_predictions():
    gold = [Record(t, label=lab) for t, lab in [("a", "x"), ("b", "y"), ("c", "z"), ("d", "x"), ("e", "y")]]
    a = ["x", "x", "x", "y", "y"]
    b = ["x", "y", "y", "z", "x"]
    rows = diff_rows(gold, a, b, task="textcat")
    assert [(r["text"], r["kind"], r["gold"], r["a"], r["b"]) for r in rows] == [
        ("b", "gained", "y", "x", "y"), ("c", "changed", "z", "x", "y"), ("d", "changed", "x", "y", "z"),
        ("e", "lost", "y", "y", "x")]
    assert [r["text"] for r in diff_rows(gold, a, b, task="textcat", label="z")] == ["c", "d"]


def test_describe_in_words():
    base = {"metric": "micro_f1", "a": {"f1": 0.5}, "b": {"f1": 0.52}, "resamples": 1000, "seed": 1,
            "per_label": {"ORG": {"delta": 0.1, "ci95": [0.02, 0.2], "ci95_simultaneous": [0.01, 0.21],
                                  "p_holm": 0.01},
                          "PER": {"delta": 0.0, "ci95": [-0.1, 0.1], "ci95_simultaneous": [-0.11, 0.11],
                                  "p_holm": 1.0}}}
    weak = describe({**base, "delta": 0.02, "ci95": [-0.004, 0.045], "p_bootstrap": 0.07,
                     "p_randomization": 0.06}, name_a="old", name_b="new")
    assert weak[0] == ("No evidence of a difference: new (B) minus old (A) is +2.0 F1 points (95% CI -0.4 to +4.5); "
                       "weak evidence at most; it could be chance (p = 0.070).")
    assert weak[-1] == ("Per label, after Holm correction across 2 labels: new (B) is better than old (A) on ORG by "
                        "+10.0 F1 points (simultaneous 95% CI +1.0 to +21.0; p = 0.010).")
    worse = describe({**base, "delta": -0.03, "ci95": [-0.05, -0.01], "p_bootstrap": 0.004,
                      "p_randomization": 0.002})
    # A - B and the interval of A - B (issue 7: the interval used to be B - A)
    assert worse[0].startswith("A is better than B by +3.0 F1 points (95% CI +1.0 to +5.0)")
    assert verdict_of({**base, "delta": 0.03, "ci95": [-0.01, 0.05], "p_bootstrap": 0.01,
                          "p_randomization": 0.01}) == "no_difference"  # p small but interval contains 0
    assert verdict_of({**base, "delta": None, "ci95": [None, None], "p_bootstrap": None,
                          "p_randomization": None}) == "undefined"
    assert format_p(1.0) == "1" and format_p(0.0001) == "0.0001" and format_p(0.0321) == "0.032"


def test_textcat_comparison_has_mcnemar(tmp_path):
    from evaluator.demo import build_demo
    from evaluator.models import train_round
    from evaluator.workspace import open_workspace

    build_demo(tmp_path / "news", task="textcat")
    ws = open_workspace(tmp_path / "news")
    train_round(ws, 1, trainer="sklearn-textcat")
    train_round(ws, 3, trainer="sklearn-textcat")
    res = compare_models(ws, GOLD, "round-1-sklearn-textcat", "round-3-sklearn-textcat", resamples=1000)
    assert CLI_KEYS | {"accuracy_delta", "p_mcnemar"} <= set(res)
    assert res["metric"] == "macro_f1" and any(s.startswith("Accuracy: B − A") for s in res["sentences"])
    diff = example_diff(ws, GOLD, "round-1-sklearn-textcat", "round-3-sklearn-textcat")
    gained = sum(r["kind"] == "gained" for r in diff)
    lost = sum(r["kind"] == "lost" for r in diff)
    assert (gained, lost) == (res["mcnemar"]["b_only"], res["mcnemar"]["a_only"])


def test_stored_scores_follow_evaluate_models(trained):
    from evaluator.scoring.evaluate import evaluate_models

    assert all(s["gold"] == GOLD for s in stored_scores(trained))
    evals = evaluate_models(trained, GOLD, models=[A, B], resamples=200, seed=DEFAULT_SEED)
    got = {(s["model"], s["gold"], s["version"]): s for s in stored_scores(trained)}
    for e in evals:
        s = got[(e["model"], GOLD, e["gold_version"])]
        assert s["f1"] == e["micro"]["f1"] and s["macro_f1"] == e["macro"]["f1"] and s["current"]
    assert stored_scores(trained, mode="strict") == []
    assert np.isfinite([s["f1"] for s in got.values()]).all()


def test_compare_to_previous_calls_a_significant_drop_a_better(trained):
    # round 3 then round 1: B is clearly worse; the chain used to show that row only as "significant"
    chain = compare_to_previous(trained, GOLD, [B, A], resamples=1000)
    (row,) = chain
    assert row["delta"] < 0 and row["significant"]
    assert row["verdict"] == "a_better"
    # the words and every number point the same way: A (round 3) minus B (round 1), with its interval
    lo, hi = row["ci95"]
    assert row["sentence"].startswith(f"{B} (A) is better than {A} (B) by {-100 * row['delta']:+.1f} F1 points "
                                      f"(95% CI {-100 * hi:+.1f} to {-100 * lo:+.1f})")
    assert "after Holm correction across 1 comparison" in row["sentence"]
    same = compare_to_previous(trained, GOLD, [B, B], resamples=200)[0]
    assert same["verdict"] == "no_difference"


def test_two_seeds_of_the_same_round_are_training_noise_not_data(tmp_path):
    """Two spaCy runs on the same round differ by seed alone: the comparison says so, whatever its p-value."""
    from evaluator.demo import build_demo
    from evaluator.models import train_runs
    from evaluator.workspace import open_workspace

    build_demo(tmp_path / "news", task="textcat")
    ws = open_workspace(tmp_path / "news")
    quick = {"training.max_steps": 30, "training.eval_frequency": 10}
    a, b = train_runs(ws, 1, seeds=[0, 1], trainer="spacy-textcat", config=quick)["runs"]
    res = compare_models(ws, GOLD, a["name"], b["name"], resamples=300)
    assert res["same_training_data"] is True
    assert res["sentences"][0].startswith(f"{a['name']} and {b['name']} were trained on the same data")
    assert "training noise" in res["sentences"][0]
