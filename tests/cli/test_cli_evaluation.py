"""compare-models and diff: the CLI twins of the Evaluate page, on the demo workspace with cheap CRF models."""
import json

import pytest


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    from evaluator.demo import build_demo
    from evaluator.models import train_round
    from evaluator.workspace import open_workspace
    path = tmp_path_factory.mktemp("cmp") / "ws"
    build_demo(path)
    ws = open_workspace(path)
    for k in (1, 3):
        train_round(ws, k, trainer="crf-ner", seed=0)
    return path


def test_compare_models_json_and_words(cli_runner, demo_ws):
    r = cli_runner("compare-models", "round-1-crf-ner", "round-3-crf-ner", "--gold", "demo-test",
                   "--resamples", "2000", "--workspace", demo_ws, "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res["model_a"] == "round-1-crf-ner" and res["resamples"] == 2000 and res["seed"] == 12345
    assert res["delta"] == pytest.approx(res["b"]["f1"] - res["a"]["f1"])
    lo, hi = res["ci95"]
    assert lo <= res["delta"] <= hi
    human = cli_runner("compare-models", "round-1-crf-ner", "round-3-crf-ner", "--gold", "demo-test",
                       "--resamples", "2000", "--workspace", demo_ws)
    assert human.exit_code == 0 and res["sentences"][0] in human.output


def test_compare_a_model_with_itself_is_no_difference(cli_runner, demo_ws):
    r = cli_runner("compare-models", "round-3-crf-ner", "round-3-crf-ner", "--gold", "demo-test",
                   "--resamples", "500", "--workspace", demo_ws, "--json")
    res = json.loads(r.output)
    assert res["delta"] == 0 and res["p_randomization"] == 1 and res["verdict"] == "no_difference"


def test_diff_lists_gained_and_lost_entities(cli_runner, demo_ws):
    r = cli_runner("diff", "round-1-crf-ner", "round-3-crf-ner", "--gold", "demo-test", "--workspace", demo_ws,
                   "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert rows, "two models trained on 20 vs 150 examples must differ somewhere"
    assert {r["kind"] for r in rows} >= {"gained"}
    for row in rows:
        gold = {(s["start"], s["end"], s["label"]) for s in row["gold"]}
        if row["kind"] in ("gained", "lost"):
            s = row["b"] if row["kind"] == "gained" else row["a"]
            assert (s["start"], s["end"], s["label"]) in gold
            assert row["text"][s["start"]:s["end"]] == s["text"]
    lost = json.loads(cli_runner("diff", "round-1-crf-ner", "round-3-crf-ner", "--gold", "demo-test",
                                 "--kind", "lost", "--workspace", demo_ws, "--json").output)
    assert lost == [r for r in rows if r["kind"] == "lost"]
    r = cli_runner("diff", "round-1-crf-ner", "nope", "--gold", "demo-test", "--workspace", demo_ws)
    assert r.exit_code == 2 and "nope" in r.output


def test_diff_kind_filter_prints_only_that_kind(cli_runner, demo_ws):
    rows = json.loads(cli_runner("diff", "round-1-crf-ner", "round-3-crf-ner", "--gold", "demo-test",
                                 "--workspace", demo_ws, "--json").output)
    lost_docs = {r["document"] for r in rows if r["kind"] == "lost"}
    assert any(r["document"] in lost_docs and r["kind"] != "lost" for r in rows), \
        "the demo diff has examples with lost and other kinds"
    r = cli_runner("diff", "round-1-crf-ner", "round-3-crf-ner", "--gold", "demo-test", "--kind", "lost",
                   "--limit", "1000", "--workspace", demo_ws)
    assert r.exit_code == 0
    shown = {line.split()[0] for line in r.stdout.splitlines() if line.startswith("    ")}
    assert shown == {"lost"}
    assert "(kind lost)" in r.stdout.splitlines()[0]


def test_diff_with_a_label_nobody_uses_is_an_error(cli_runner, demo_ws):
    r = cli_runner("diff", "round-1-crf-ner", "round-3-crf-ner", "--gold", "demo-test", "--label", "PERSNO",
                   "--workspace", demo_ws)
    assert r.exit_code == 2 and "PERSNO" in r.output and "PERSON" in r.output


def test_diff_says_how_many_examples_the_limit_hides(cli_runner, demo_ws):
    rows = json.loads(cli_runner("diff", "round-1-crf-ner", "round-3-crf-ner", "--gold", "demo-test",
                                 "--workspace", demo_ws, "--json").output)
    r = cli_runner("diff", "round-1-crf-ner", "round-3-crf-ner", "--gold", "demo-test", "--limit", "1",
                   "--workspace", demo_ws)
    docs = {row["document"] for row in rows}
    assert len(docs) > 1 and f"and {len(docs) - 1} more example(s)" in r.output
