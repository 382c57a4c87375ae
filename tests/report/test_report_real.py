"""The report and the gate on the real drugs data (gold = drugs_eval.jsonl; rounds of 50 / 150 / 400 examples and a
round 4 of 10): round 3 against round 1 is improved, a model against itself is inconclusive, a model trained on 10
examples regressed and fails the gate; the JSON holds every setting needed to compute the same numbers again; the
buckets, per-label figures and candidate gold errors agree with independent computations.

CRF models (deterministic, a few seconds each) keep this module to about half a minute.
"""
from __future__ import annotations

import json

import pytest

from tests.training.helpers import micro_f1, write_slice

RESAMPLES = 2000


@pytest.fixture(scope="module")
def ws(tmp_path_factory, shared_data):
    from evaluator.importer import import_file
    from evaluator.models import train_runs
    from tests.training.helpers import drugs_workspace

    root = tmp_path_factory.mktemp("report-drugs")
    ws = drugs_workspace(root, shared_data)
    lines = (shared_data / "prodigy-drugs" / "drugs_training.jsonl").read_text(encoding="utf-8").splitlines()
    import_file(ws, write_slice(lines, 400, 410, root / "round4.jsonl"), into="round:4")
    for k in (1, 3):
        train_runs(ws, k, seeds=[0, 1], trainer="crf-ner")          # deterministic: trained once each
    for k in (3, 4):  # round 3 alone (250 examples), then round 4 alone (10 examples): the worse iteration
        train_runs(ws, k, seeds=[0, 1], trainer="crf-ner", cumulative=False)
    return ws


@pytest.fixture(scope="module")
def rep(ws):
    from evaluator.report.engine import build_report

    return build_report(ws, "drugs", resamples=RESAMPLES)


def _step(rep, family, a, b, against="previous"):
    fam = next(f for f in rep["families"] if f["title"] == family)
    return next(s for s in fam["steps"] if (s["round_a"], s["round_b"], s["against"]) == (a, b, against))


def _preds(ws, name):
    from evaluator.gold import gold_records
    from evaluator.predictions import predictions_for

    info, recs = gold_records(ws, "drugs")
    return recs, predictions_for(ws, name, f"gold:drugs@{info['version']}", recs)


def test_round_3_improved_on_round_1(ws, rep):
    step = _step(rep, "crf-ner", 1, 3)
    assert step["verdict"] == "improved", step["sentences"]
    assert step["runs_a"] == ["round-1-crf-ner"] and step["runs_b"] == ["round-3-crf-ner"]
    # the means are the models' F1, written out independently of the metrics engine
    for name, mean in (("round-1-crf-ner", step["mean_a"]), ("round-3-crf-ner", step["mean_b"])):
        gold, preds = _preds(ws, name)
        assert mean == pytest.approx(micro_f1(gold, preds), abs=1e-12)
    assert step["delta"] == pytest.approx(step["mean_b"] - step["mean_a"]) and step["ci95"][0] > 0
    assert step["p"] <= step["p_holm"] < 0.05
    row = next(r for r in rep["table"] if r["family"] == "crf-ner")
    assert (row["iteration"], row["compared_with"], row["verdict"]) == ("round 3", "round 1 (previous)", "improved")
    assert any(s.startswith("crf-ner: round 3 improved on round 1 (+") for s in rep["headline"])
    # the learning curve points: training examples and F1 of each iteration
    its = next(f for f in rep["families"] if f["title"] == "crf-ner")["iterations"]
    assert [(it["round"], it["examples"]) for it in its] == [(1, 50), (3, 400)]
    assert all(it["ci95"][0] < it["f1"] < it["ci95"][1] for it in its)


def test_a_worse_model_regressed_and_fails_the_gate(ws, rep, cli_runner):
    step = _step(rep, "crf-ner (round only)", 3, 4)
    assert step["verdict"] == "regressed" and step["ci95"][1] < 0, step["sentences"]
    assert step["runs_b"] == ["round-4-only-crf-ner"]
    r = cli_runner("gate", "--gold", "drugs", "--baseline", "round-3-crf-ner", "--candidate", "round-4-only-crf-ner",
                   "--resamples", RESAMPLES, "--workspace", ws.path)
    assert r.exit_code == 1 and r.stdout.startswith("FAIL: round-4-only-crf-ner is significantly worse than "
                                                    "round-3-crf-ner on gold:drugs"), r.output
    assert len(r.stdout.strip().splitlines()) == 1 and "artifact comparison" in r.stdout
    ok = cli_runner("gate", "--gold", "drugs", "--baseline", "round-1-crf-ner", "--candidate", "round-3-crf-ner",
                    "--resamples", RESAMPLES, "--min-delta", "0.05", "--workspace", ws.path, "--json")
    assert ok.exit_code == 0, ok.output
    res = json.loads(ok.stdout)
    assert res["passed"] and res["delta"] >= 0.05 and res["ci95"][0] > 0 and res["basis"] == "artifacts"


def test_a_model_against_itself_is_inconclusive(ws, cli_runner):
    from evaluator.models import runs_of
    from evaluator.scoring.iterations import compare_candidates

    runs = runs_of(ws, "round-3-crf-ner")
    res = compare_candidates(ws, "drugs", runs, runs, resamples=RESAMPLES)
    assert res["verdict"] == "inconclusive" and res["delta"] == 0
    same = cli_runner("gate", "--gold", "drugs", "--baseline", "round-3-crf-ner", "--candidate", "round-3-crf-ner",
                      "--resamples", RESAMPLES, "--workspace", ws.path)
    assert same.exit_code == 0 and same.stdout.startswith("PASS: ") and "not significantly worse" in same.output
    strict = cli_runner("gate", "--gold", "drugs", "--baseline", "round-3-crf-ner", "--candidate", "round-3-crf-ner",
                        "--resamples", RESAMPLES, "--min-delta", "0.01", "--workspace", ws.path)
    assert strict.exit_code == 1 and "did not improve" in strict.output


def test_gate_user_errors_exit_2(ws, cli_runner):
    r = cli_runner("gate", "--gold", "drugs", "--baseline", "nope", "--candidate", "round-3-crf-ner",
                   "--workspace", ws.path)
    assert r.exit_code == 2 and "No model named 'nope'" in r.output


def test_json_holds_every_setting_to_reproduce_the_numbers(ws, rep, tmp_path, cli_runner):
    from evaluator.gold import gold_records
    from evaluator.models import list_models
    from evaluator.report.engine import build_report

    r = cli_runner("report", "--gold", "drugs", "--resamples", RESAMPLES, "--out", tmp_path / "r.html",
                   "--json", tmp_path / "r.json", "--markdown", tmp_path / "md", "--workspace", ws.path)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.html").stat().st_size > 10_000 and (tmp_path / "md" / "report.md").is_file()
    assert sorted(p.name for p in (tmp_path / "md" / "charts").iterdir()) == sorted(
        f"{k}.png" for k in ("learning_curve", "deltas", "per_label", "buckets_entity_length",
                             "buckets_training_data", "buckets_label", "buckets_text_length"))
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    info, _ = gold_records(ws, "drugs")
    assert data["gold"]["hash"] == info["gold_hash"] and data["gold"]["version"] == info["version"]
    st = data["settings"]
    assert (st["mode"], st["resamples"], st["seed"], st["unit"], st["alpha"]) == ("default", RESAMPLES, 12345,
                                                                                 "auto", 0.05)
    by_name = {m["name"]: m for m in list_models(ws)}
    assert {m["name"] for m in data["models"]} == set(by_name)
    for m in data["models"]:
        ref = by_name[m["name"]]
        assert (m["train_hash"], m["artifact_hash"], m["seed"], m["round"], m["parent"], m["examples"]) == (
            ref["train_hash"], ref["artifact_hash"], ref["seed"], ref["round"], ref["lineage"]["parent"],
            ref["counts"]["examples"])
    # the settings in the file are enough to compute the same numbers again, from scratch
    again = build_report(ws, data["gold"]["name"], version=data["gold"]["version"], mode=st["mode"],
                         resamples=st["resamples"], seed=st["seed"], unit=st["unit"], alpha=st["alpha"],
                         trainer=st["trainer"], reuse=False)
    assert not again["reused"]
    assert [(x["delta"], x["ci95"], x["p_holm"], x["verdict"]) for x in again["table"]] == [
        (x["delta"], x["ci95"], x["p_holm"], x["verdict"]) for x in data["table"]]


def test_buckets_and_labels_agree_with_independent_counts(ws, rep):
    from evaluator.gold import gold_records
    from evaluator.records import normalize_text
    from evaluator.store import load_records

    step = _step(rep, "crf-ner", 1, 3)
    it3 = next(f for f in rep["families"] if f["title"] == "crf-ner")["iterations"][1]
    gold, preds = _preds(ws, "round-3-crf-ner")
    # per label = the micro F1 here (one label), written out independently
    assert it3["buckets"]["label"][0]["f1"] == pytest.approx(micro_f1(gold, preds), abs=1e-12)
    assert step["per_label"][0]["delta"] == pytest.approx(step["delta"], abs=1e-12)

    def tokens_in(rec, s):
        return sum(1 for t in rec.tokens if t.start >= s.start and t.end <= s.end)

    first_round: dict = {}
    for k in (1, 2, 3, 4):
        for r in load_records(ws, f"round:{k}"):
            for s in r.spans:
                first_round.setdefault((normalize_text(r.text[s.start:s.end]), s.label), k)

    def bucket_f1(key):
        tp, fp, fn = {}, {}, {}
        for g, p in zip(gold, preds):
            G, P = set(g.spans), set(p.spans)
            for s in G & P:
                tp[key(g, s)] = tp.get(key(g, s), 0) + 1
            for s in P - G:
                fp[key(g, s)] = fp.get(key(g, s), 0) + 1
            for s in G - P:
                fn[key(g, s)] = fn.get(key(g, s), 0) + 1
        return {b: 2 * tp.get(b, 0) / (2 * tp.get(b, 0) + fp.get(b, 0) + fn.get(b, 0))
                for b in set(tp) | set(fp) | set(fn)}

    lengths = bucket_f1(lambda g, s: min(tokens_in(g, s), 4))
    ours = {i + 1: b["f1"] for i, b in enumerate(it3["buckets"]["entity_length"]) if b["f1"] is not None}
    assert ours == pytest.approx(lengths, abs=1e-12)
    names = {1: "round 1", 2: "first in round 2", 3: "first in round 3", 4: "first in round 4", None: "in no round"}
    seen = bucket_f1(lambda g, s: names[first_round.get((normalize_text(g.text[s.start:s.end]), s.label))])
    ours = {b["bucket"]: b["f1"] for b in it3["buckets"]["training_data"] if b["f1"] is not None}
    assert ours == pytest.approx(seen, abs=1e-12)
    # every bucket of an attribute adds up to all gold entities
    n_gold = sum(len(g.spans) for g in gold)
    for attr, rows in it3["buckets"].items():
        assert sum(b["support"] for b in rows) == n_gold, attr
    assert {"entity_length", "training_data", "label", "text_length"} == set(step["buckets"])
    assert all(b["p_holm"] is None or b["p_holm"] >= b["p"] for b in step["buckets"]["training_data"])


def test_candidate_gold_errors_agree_with_the_predictions(ws, rep):
    from evaluator.models import list_models

    names = [m["name"] for m in list_models(ws)]
    gold, _ = _preds(ws, names[0])
    every = [_preds(ws, n)[1] for n in names]
    agreed = 0
    missed = 0
    for d, g in enumerate(gold):
        G = set(g.spans)
        common = set.intersection(*(set(p[d].spans) for p in every)) - G
        agreed += len(common)
        missed += len(G - set().union(*(set(p[d].spans) for p in every)))
    ge = rep["gold_errors"]
    assert ge["models"] == len(names)
    assert ge["predicted_by_all"]["total"] == agreed and ge["missed_by_all"]["total"] == missed
    assert missed > 0 and ge["missed_by_all"]["rows"]
    for row in ge["missed_by_all"]["rows"] + ge["predicted_by_all"]["rows"]:
        text = gold[row["document"] - 1].text
        assert row["left"].lstrip("…") + row["entity"] + row["right"].rstrip("…") in text
