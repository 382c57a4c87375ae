"""compare-rounds on the real drugs data: round 3 (400 examples) improved on round 1 (50) over 3 seeds each; seeds
of one round against each other are never called an improvement."""
from __future__ import annotations

import json

import pytest

from evaluator.errors import ConfigError, NotFoundError
from tests.training.helpers import SMALL_SPACY, drugs_workspace


@pytest.fixture(scope="module")
def ws(tmp_path_factory, shared_data):
    from evaluator.models import train_runs

    ws = drugs_workspace(tmp_path_factory.mktemp("rounds"), shared_data)
    for k in (1, 3):
        train_runs(ws, k, seeds=[0, 1, 2], trainer="spacy-ner", config=SMALL_SPACY)
    return ws


def test_round_3_improved_on_round_1_over_three_seeds(ws):
    from evaluator.scoring.iterations import compare_rounds

    res = compare_rounds(ws, "drugs", trainer="spacy-ner", config=SMALL_SPACY, resamples=2000)
    assert res["candidates"] == {1: ["round-1-spacy-ner", "round-1-spacy-ner-s1", "round-1-spacy-ner-s2"],
                                 3: ["round-3-spacy-ner", "round-3-spacy-ner-s1", "round-3-spacy-ner-s2"]}
    [step] = res["steps"]
    assert step["kind"] == "runs" and step["verdict"] == "improved", step["sentences"]
    assert step["delta"] == pytest.approx(step["mean_b"] - step["mean_a"]) and step["ci95"][0] > 0
    assert step["p_holm"] == step["p"] < 0.05 and len(step["runs"]["a"]) == len(step["runs"]["b"]) == 3
    assert step["aso"]["eps_min_b_better"] < step["aso"]["threshold"]
    assert step["sentences"][0].startswith("round 3 (B) improved: round 3 (B) is better than round 1 (A) by +")
    # stored and reused
    again = compare_rounds(ws, "drugs", trainer="spacy-ner", config=SMALL_SPACY, resamples=2000)
    assert again["steps"][0]["reused"] and again["steps"][0]["delta"] == step["delta"]


def test_seeds_of_one_round_are_training_noise_and_never_an_improvement(ws):
    from evaluator.gold import gold_records
    from evaluator.predictions import predictions_for
    from evaluator.scoring.compare import compare_models
    from evaluator.scoring.evaluate import counts_for
    from evaluator.stats.iteration import compare_runs

    res = compare_models(ws, "drugs", "round-1-spacy-ner", "round-1-spacy-ner-s1", resamples=2000)
    assert res["same_training_data"] and "training noise" in res["sentences"][0]
    info, recs = gold_records(ws, "drugs")
    counts = {n: counts_for("ner", recs, predictions_for(ws, n, "gold:drugs", recs), labels=["DRUG"])
              for n in ("round-1-spacy-ner", "round-1-spacy-ner-s1", "round-1-spacy-ner-s2")}
    one_vs_two = compare_runs([counts["round-1-spacy-ner"]],
                              [counts["round-1-spacy-ner-s1"], counts["round-1-spacy-ner-s2"]], resamples=2000)
    assert one_vs_two["verdict"] == "inconclusive"


def test_the_cli_gives_every_figure_per_step(cli_runner, ws):
    r = cli_runner("compare-rounds", "--gold", "drugs", "--trainer", "spacy-ner", "--config", json.dumps(SMALL_SPACY),
                   "--rounds", "1,3", "--resamples", "2000", "--workspace", ws.path, "--json")
    assert r.exit_code == 0, r.output
    [step] = json.loads(r.stdout)["steps"]
    for key in ("runs_a", "runs_b", "mean_a", "mean_b", "delta", "ci95", "p", "p_holm", "aso", "verdict"):
        assert key in step, key
    assert step["verdict"] == "improved" and step["aso"]["eps_min_b_better"] is not None
    human = cli_runner("compare-rounds", "--gold", "drugs", "--trainer", "spacy-ner", "--config",
                       json.dumps(SMALL_SPACY), "--resamples", "2000", "--workspace", ws.path)
    assert "round 3 vs round 1: IMPROVED" in human.output


def test_missing_runs_are_clear_errors(ws):
    from evaluator.scoring.iterations import compare_rounds

    with pytest.raises(NotFoundError, match="round"):
        compare_rounds(ws, "drugs", trainer="spacy-ner", config=SMALL_SPACY, rounds=[1, 2])
    with pytest.raises(ConfigError, match="runs exist for: spacy-ner"):
        compare_rounds(ws, "drugs", trainer="crf-ner")
