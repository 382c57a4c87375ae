"""CLI: train, models, model add/rename/delete, predict, evaluate, curve, trainers (crf-ner keeps it fast)."""
from __future__ import annotations

import json

import pytest

from evaluator.formats import get_format

from .helpers import drugs_workspace


@pytest.fixture(scope="module")
def ws(shared_data, tmp_path_factory):
    return drugs_workspace(tmp_path_factory.mktemp("cli"), shared_data, rounds=((0, 40), (40, 120)))


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_train_models_predict_evaluate(cli_runner, ws):
    W = ("--workspace", ws.path)
    r1 = _json(cli_runner("train", "--round", 1, "--trainer", "crf-ner", "--json", *W))
    assert r1["name"] == "round-1-crf-ner" and r1["lineage"]["parent"] is None
    assert r1["counts"]["examples"] == 40 and len(r1["train_hash"]) == 64 and r1["seconds"] > 0
    r2 = _json(cli_runner("train", "--round", 2, "--trainer", "crf-ner", "--seed", 3, "--json", *W))
    assert r2["lineage"] == {"round": 2, "parent": "round-1-crf-ner", "rounds": [1, 2], "cumulative": True}
    assert r2["seed"] == 3 and r2["name"] == "round-2-crf-ner-s3"  # a run of seed k > 0 is named -s<k>
    cli_runner("model", "rename", "round-2-crf-ner-s3", "round-2-crf-ner", *W)

    listed = _json(cli_runner("models", "--json", *W))
    assert [m["name"] for m in listed][:2] == ["round-1-crf-ner", "round-2-crf-ner"]
    text = cli_runner("models", *W)
    assert "round-2-crf-ner" in text.output and "round-1-crf-ner" in text.output

    p = _json(cli_runner("predict", "--model", "round-2-crf-ner", "--on", "round:1", "--json", *W))
    assert p == {**p, "examples": 40, "computed": 40, "reused": 0}
    p = _json(cli_runner("predict", "--model", "round-2-crf-ner", "--on", "round:1", "--json", *W))
    assert p["computed"] == 0 and p["reused"] == 40

    ev = _json(cli_runner("evaluate", "--gold", "drugs", "--models", "round-1-crf-ner,round-2-crf-ner",
                          "--resamples", 100, "--json", *W))
    assert [e["model"] for e in ev] == ["round-1-crf-ner", "round-2-crf-ner"]
    for e in ev:
        assert {"micro", "macro", "per_label"} <= set(e) and set(e["per_label"]) == {"DRUG"}
        assert 0 <= e["micro"]["f1"] <= 1
    human = cli_runner("evaluate", "--gold", "drugs", *W)
    assert "round-2-crf-ner" in human.output and "95% CI" in human.output


def test_model_add_rename_delete(cli_runner, ws, tmp_path):
    from evaluator.gold import gold_records

    W = ("--workspace", ws.path)
    _, gold = gold_records(ws, "drugs")
    path = tmp_path / "perfect.jsonl"
    get_format("prodigy-jsonl").write(gold, path, task="ner")
    added = _json(cli_runner("model", "add", path, "--name", "perfect", "--json", *W))
    assert added["kind"] == "predictions"
    ev = _json(cli_runner("evaluate", "--gold", "drugs", "--models", "perfect", "--json", *W))
    assert ev[0]["micro"]["f1"] == 1.0
    _json(cli_runner("model", "rename", "perfect", "oracle", "--json", *W))
    out = _json(cli_runner("model", "delete", "oracle", "--json", *W))
    assert out["deleted"] and out["artifact_removed"]


def test_errors_are_one_line_with_exit_2(cli_runner, ws):
    r = cli_runner("predict", "--model", "nope", "--on", "pool", "--workspace", ws.path)
    assert r.exit_code == 2 and "No model named 'nope'" in r.stderr and "Traceback" not in r.output
    r = cli_runner("train", "--round", 1, "--trainer", "bert", "--workspace", ws.path)
    assert r.exit_code == 2 and "crf-ner" in r.stderr
    r = cli_runner("train", "--round", 1, "--config", "{not json", "--workspace", ws.path)
    assert r.exit_code == 2 and "--config" in r.stderr
    r = cli_runner("train", "--round", 1, "--trainer", "crf-ner", "--name", "crf-base", "--base-model", ws.path,
                   "--workspace", ws.path)
    assert r.exit_code == 2 and "base_model" in r.stderr


def test_curve_and_trainers(cli_runner, ws):
    cfg = ("--config", '{"max_iterations": 50}')
    res = _json(cli_runner("curve", "--trainer", "crf-ner", *cfg, "--json", "--workspace", ws.path))
    assert [p["examples"] for p in res["points"]] == [30, 60, 90, 120]
    assert res["verdict"] in ("more data still helps", "flattened") and res["reason"]
    text = cli_runner("curve", "--trainer", "crf-ner", *cfg, "--workspace", ws.path)  # reused, not retrained
    assert "verdict:" in text.output
    names = [t["name"] for t in _json(cli_runner("trainers", "--json"))]
    assert names == ["crf-ner", "sklearn-textcat", "spacy-ner", "spacy-textcat"]


def test_evaluate_all_reports_a_model_it_cannot_score_and_scores_the_rest(cli_runner, ws, tmp_path):
    import json as _json

    from evaluator.importer import export_records
    from evaluator.models import add_model, list_models, train_round

    train_round(ws, 1, trainer="crf-ner", name="crf-for-skip-test", config={"max_iterations": 20})
    gold_name = _json.loads(cli_runner("gold", "list", "--workspace", ws.path, "--json").output)[0]["name"]
    full = tmp_path / "g.jsonl"
    export_records(ws, f"gold:{gold_name}", format="prodigy-jsonl", out=full)
    lines = full.read_text(encoding="utf-8").splitlines()
    (tmp_path / "half.jsonl").write_text("\n".join(lines[:10]) + "\n", encoding="utf-8")
    add_model(ws, tmp_path / "half.jsonl", name="half-file")
    try:
        r = cli_runner("evaluate", "--gold", gold_name, "--resamples", "100", "--workspace", ws.path, "--json")
        assert r.exit_code == 0
        out, err = r.stdout, r.stderr
        scored = [row["model"] for row in _json.loads(out)]
        assert "half-file" not in scored and len(scored) == len(list_models(ws)) - 1
        assert "warning: model half-file was not scored" in err
        one = cli_runner("evaluate", "--gold", gold_name, "--models", "half-file", "--workspace", ws.path)
        assert one.exit_code == 2 and "no prediction for" in one.output
    finally:
        for name in ("half-file", "crf-for-skip-test"):
            cli_runner("model", "delete", name, "--yes", "--workspace", ws.path)


def test_train_several_seeds_and_a_deterministic_trainer(cli_runner, tmp_path):
    """--seeds N trains one model per seed; runs that exist are kept; CRF ignores the seed and is trained once."""
    from evaluator.demo import build_demo
    from evaluator.models import list_models, runs_of

    build_demo(tmp_path / "ws", task="textcat")
    ws = str(tmp_path / "ws")
    quick = '{"training.max_steps": 40, "training.eval_frequency": 20}'
    r = cli_runner("train", "--round", "1", "--trainer", "spacy-textcat", "--seeds", "2", "--config", quick,
                   "--workspace", ws, "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    names = [m["name"] for m in res["runs"]]
    assert res["deterministic"] is False and names == ["round-1-spacy-textcat", "round-1-spacy-textcat-s1"]
    assert len({m["artifact_hash"] for m in res["runs"]}) == 2
    again = json.loads(cli_runner("train", "--round", "1", "--trainer", "spacy-textcat", "--seeds", "0,1,2",
                                  "--config", quick, "--workspace", ws, "--json").stdout)
    assert again["reused"] == names and again["trained"] == ["round-1-spacy-textcat-s2"]
    from evaluator.workspace import open_workspace
    w = open_workspace(ws)
    assert [m["name"] for m in runs_of(w, "round-1-spacy-textcat-s1")] == names + ["round-1-spacy-textcat-s2"]
    # another config is another candidate
    other = json.loads(cli_runner("train", "--round", "1", "--trainer", "spacy-textcat", "--seeds", "1",
                                  "--workspace", ws, "--json", "--name", "other").stdout)
    assert other["trained"] == ["other"] and len(runs_of(w, "other")) == 1

    build_demo(tmp_path / "ner")
    crf = json.loads(cli_runner("train", "--round", "1", "--trainer", "crf-ner", "--seeds", "3",
                                "--workspace", str(tmp_path / "ner"), "--json").stdout)
    assert crf["deterministic"] is True and [m["name"] for m in crf["runs"]] == ["round-1-crf-ner"]
    assert "deterministic" in crf["message"]
    assert [m["name"] for m in list_models(open_workspace(tmp_path / "ner"))] == ["round-1-crf-ner"]


def test_runs_of_a_round_whose_data_changed_are_not_reused(cli_runner, tmp_path):
    """Labeling grows a round: an old run of it must not be taken as a run of the new data."""
    from evaluator.demo import build_demo

    build_demo(tmp_path / "ws")
    ws = str(tmp_path / "ws")
    first = json.loads(cli_runner("train", "--round", "1", "--trainer", "crf-ner", "--seeds", "1",
                                  "--workspace", ws, "--json").stdout)
    assert first["trained"] == ["round-1-crf-ner"]
    extra = tmp_path / "more.jsonl"
    extra.write_text(json.dumps({"text": "Nora Quist visited Lisbon on Monday.", "answer": "accept",
                                 "spans": [{"start": 0, "end": 10, "label": "PERSON"}]}) + "\n", encoding="utf-8")
    assert cli_runner("import", extra, "--into", "round:1", "--workspace", ws).exit_code == 0
    r = cli_runner("train", "--round", "1", "--trainer", "crf-ner", "--seeds", "1", "--workspace", ws)
    assert r.exit_code == 2 and "training data has changed" in r.stderr
