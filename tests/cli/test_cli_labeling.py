"""CLI: evaluator next / auto-accept / round-progress / agreement."""
from __future__ import annotations

import json

import pytest

from evaluator import labeling
from evaluator.demo import build_demo
from evaluator.store import load_records
from evaluator.models import train_round
from evaluator.workspace import open_workspace


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli-news") / "ws"
    build_demo(path, task="textcat")
    ws = open_workspace(path)
    train_round(ws, 1)
    return ws


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_next_uncertainty_json_least_confident_first(news, cli_runner):
    data = _json(cli_runner("next", "--round", 4, "--strategy", "uncertainty", "--model", "round-1-sklearn-textcat",
                            "--n", 12, "--json", "--workspace", news.path))
    items = data["items"]
    assert len(items) == 12 and set(items[0]) >= {"example_id", "text", "confidence", "suggestion", "scores"}
    conf = [it["confidence"] for it in items]
    assert conf == sorted(conf)
    for it in items:  # confidence = the top probability; suggestion = its class
        assert it["confidence"] == pytest.approx(max(it["scores"].values()))
        assert it["suggestion"] == max(it["scores"], key=it["scores"].get)
    pool = {r.id: r.text for r in load_records(news, "pool", answers=None)}
    assert all(pool[it["example_id"]] == it["text"] for it in items)
    # every pool text not shown is at least as confident as the last one shown
    every = _json(cli_runner("next", "--round", 4, "--strategy", "uncertainty", "--model", "round-1-sklearn-textcat",
                             "--n", 1000, "--json", "--workspace", news.path))["items"]
    assert len(every) == len(pool) and min(it["confidence"] for it in every[12:]) >= conf[-1]


def test_next_random_is_seeded_and_gold_refuses_a_model(news, cli_runner):
    a = _json(cli_runner("next", "--round", 4, "--strategy", "random", "--seed", 5, "--json", "--workspace", news.path))
    b = _json(cli_runner("next", "--round", 4, "--strategy", "random", "--seed", 5, "--json", "--workspace", news.path))
    assert a["items"] == b["items"] and a["seed"] == 5
    r = cli_runner("next", "--gold", "fresh", "--strategy", "uncertainty", "--model", "round-1-sklearn-textcat",
                   "--workspace", news.path)
    assert r.exit_code == 2 and "random" in r.stderr and "Traceback" not in r.output
    r = cli_runner("next", "--round", 4, "--gold", "x", "--workspace", news.path)
    assert r.exit_code == 2 and "--round N or --gold NAME" in r.stderr
    gold = _json(cli_runner("next", "--gold", "fresh", "--strategy", "random", "--n", 3, "--json",
                            "--workspace", news.path))
    assert all(it["suggestion"] is None and it["confidence"] is None for it in gold["items"])


def test_auto_accept_progress_and_agreement_commands(news, cli_runner):
    res = _json(cli_runner("auto-accept", "--round", 5, "--model", "round-1-sklearn-textcat", "--threshold", 0.5,
                           "--json", "--workspace", news.path))
    assert res["accepted"] > 0 and res["threshold"] == 0.5
    prog = _json(cli_runner("round-progress", "--round", 5, "--json", "--workspace", news.path))
    assert prog["auto_accepted"] == res["accepted"] == prog["answers"]["accept"]
    assert sum(prog["per_label_auto"].values()) == res["accepted"] and prog["per_label"] == {}
    human = cli_runner("round-progress", "--round", 5, "--workspace", news.path)
    assert f"({res['accepted']} automatically)" in human.stdout
    [it] = labeling.next_items(news, target="round:5", n=1)
    labeling.save_answer(news, it.example_id, target="round:5", answer="accept", annotator="ann", label="sport")
    labeling.save_answer(news, it.example_id, target="round:5", answer="accept", annotator="bob", label="tech")
    agr = _json(cli_runner("agreement", "--round", 5, "--json", "--workspace", news.path))
    assert agr["items"] == 1 and len(agr["disagreements"]) == 1
    assert "1 disagreement(s)" in cli_runner("agreement", "--round", 5, "--workspace", news.path).stdout


def test_importing_the_batch_itself_never_turns_suggestions_into_answers(news, cli_runner, tmp_path):
    out = tmp_path / "batch.jsonl"
    data = _json(cli_runner("next", "--round", 6, "--strategy", "uncertainty", "--model", "round-1-sklearn-textcat",
                            "--n", 3, "--out", out, "--json", "--workspace", news.path))
    tasks = [json.loads(line) for line in out.read_text().splitlines()]
    assert [t["accept"] for t in tasks] == [[it["suggestion"]] for it in data["items"]]
    assert all(t["meta"]["suggested_by"] == "round-1-sklearn-textcat" and "answer" not in t for t in tasks)
    rep = _json(cli_runner("import", out, "--into", "round:6", "--json", "--workspace", news.path))
    assert rep["examples"] == 3 and rep["annotations"] == 0 and rep["answers"] == {"unlabeled": 3}
    assert load_records(news, "round:6") == []  # nothing accepted: the texts wait, unlabeled, in round 6
    # and the Label page offers them for round 6
    offered = {it.example_id for it in labeling.next_items(news, target="round:6", n=500)}
    assert {r.id for r in load_records(news, "round:6", answers=None)} <= offered
