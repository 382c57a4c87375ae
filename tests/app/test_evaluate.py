"""AppTest: the Evaluate page (scores table, per-label chart, paired comparison in numbers, chart and words,
example-level diff with filters, Holm chain) on a demo workspace with CRF models trained once per module."""
from __future__ import annotations

import json

import pytest

from evaluator.scoring.compare import compare_models, example_diff
from evaluator.stats import DEFAULT_SEED
from evaluator.scoring.evaluate import evaluate_models
from tests.app.conftest import no_exception, texts

GOLD = "demo-test"
MODELS = ["round-1-crf-ner", "round-2-crf-ner", "round-3-crf-ner"]


@pytest.fixture(scope="module")
def trained_path(tmp_path_factory):
    """The NER demo workspace with crf-ner models of rounds 1, 2 and 3 (about 1 s of training)."""
    from tests.training.helpers import demo_with_models

    return demo_with_models(tmp_path_factory.mktemp("evaluate") / "demo")


@pytest.fixture
def trained(trained_path, monkeypatch):
    from evaluator.workspace import open_workspace

    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(trained_path))
    return open_workspace(trained_path)


def _fast(at, resamples: int = 1000):
    at.number_input(key="eval.resamples").set_value(resamples)
    at.run()
    no_exception(at)
    return at


def test_scores_table_and_per_label_chart(app, trained):
    at = _fast(app("pages/evaluate.py"))
    ref = evaluate_models(trained, GOLD, resamples=1000, seed=DEFAULT_SEED)
    table = at.dataframe[0].value
    assert list(table["model"]) == MODELS
    assert list(table["micro F1"]) == [e["micro"]["f1"] for e in ref]
    assert list(table["macro F1"]) == [e["macro"]["f1"] for e in ref]
    assert list(table["docs"]) == [e["documents"] for e in ref] and all(e["reused"] for e in ref)
    caption = " ".join(texts(at, "caption"))
    assert f"gold:{GOLD} v1" in caption and "1,000 resamples" in caption and f"seed {DEFAULT_SEED}" in caption
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    bars = [s for s in specs if s.get("mark", {}).get("type") == "bar"]
    assert len(bars) == 1 and bars[0]["encoding"]["xOffset"]["field"] == "model"


def test_comparison_in_numbers_chart_and_words(app, trained):
    at = _fast(app("pages/evaluate.py"))
    # defaults: the last two models
    assert at.selectbox(key="eval.model_a").value == MODELS[1] and at.selectbox(key="eval.model_b").value == MODELS[2]
    at.selectbox(key="eval.model_a").set_value(MODELS[0])
    at.run()
    no_exception(at)
    res = compare_models(trained, GOLD, MODELS[0], MODELS[2], resamples=1000)
    assert res["reused"]  # the page stored it
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["A: micro F1"] == f"{res['a']['f1']:.3f}" and metrics["B: micro F1"] == f"{res['b']['f1']:.3f}"
    assert metrics["B − A (points)"] == f"{100 * res['delta']:+.1f}"
    shown = " ".join(texts(at, "success") + texts(at, "info") + texts(at, "error") + texts(at, "markdown"))
    for sentence in res["sentences"]:  # every sentence, markdown escapes aside
        assert sentence in shown.replace("\\", "")
    rules = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    layered = [s for s in rules if "layer" in s]
    assert len(layered) == 2  # overall and per label: interval + point + zero rule
    assert all(len(s["layer"]) == 3 for s in layered)


def test_same_model_is_refused_and_settings_change_the_result(app, trained):
    at = _fast(app("pages/evaluate.py"))
    at.selectbox(key="eval.model_a").set_value(MODELS[2])
    at.run()
    assert any("Pick two different models" in t for t in texts(at, "info"))
    at.selectbox(key="eval.model_a").set_value(MODELS[1])
    at.number_input(key="eval.seed").set_value(99)
    at.run()
    no_exception(at)
    res = compare_models(trained, GOLD, MODELS[1], MODELS[2], resamples=1000, seed=99)
    assert res["reused"] and res["seed"] == 99
    assert any("seed 99" in c for c in texts(at, "caption"))


def test_example_diff_filters(app, trained):
    at = _fast(app("pages/evaluate.py"))
    at.selectbox(key="eval.model_a").set_value(MODELS[0])
    at.run()
    diff = example_diff(trained, GOLD, MODELS[0], MODELS[2])
    gained = sum(r["kind"] == "gained" for r in diff)
    lost = sum(r["kind"] == "lost" for r in diff)
    table = at.dataframe[-1].value
    assert (table["kind"] == "gained").sum() == gained and (table["kind"] == "lost").sum() == lost
    [kind] = [m for m in at.multiselect if m.label == "Kind"]
    kind.set_value(["gained"])
    at.selectbox(key="eval.diff_label").set_value("ORG")
    at.run()
    no_exception(at)
    table = at.dataframe[-1].value
    org = [r["b"] for r in diff if r["kind"] == "gained" and r["label"] == "ORG"]
    assert set(table["kind"]) == {"gained"} and set(table["label"]) == {"ORG"} and len(table) == len(org)
    assert sorted(table["B"]) == sorted(f"{s['text']} · ORG" for s in org)


def test_holm_chain(app, trained):
    at = _fast(app("pages/evaluate.py"))
    at.toggle(key="eval.holm").set_value(True)
    at.run()
    no_exception(at)
    chain = at.dataframe[-1].value
    assert list(zip(chain["A"], chain["B"])) == list(zip(MODELS, MODELS[1:]))
    assert (chain["p (Holm)"] >= chain["p"]).all()


def test_pages_without_models_or_with_one(app, demo_ws):
    at = app("pages/evaluate.py")
    no_exception(at)
    assert any("No models yet" in t for t in texts(at, "info"))
    from evaluator.models import train_round
    train_round(demo_ws, 1, trainer="crf-ner")
    at = _fast(app("pages/evaluate.py"), resamples=200)
    assert list(at.dataframe[0].value["model"]) == ["round-1-crf-ner"]
    assert any("Train a second model" in t for t in texts(at, "info"))


# ------------------------------------------------------------------------------ the pure helpers behind the page

def test_render_helpers_for_the_page():

    from evaluator.metrics.diff import example_diff as diff_rows
    from evaluator.records import Record, Span
    from ui import render

    text = "Ada Lovelace met Bob in Rome"
    gold = [Record(text, spans=[Span(0, 12, "PER"), Span(17, 20, "PER"), Span(24, 28, "LOC")])]
    diff = diff_rows(gold, [[Span(0, 3, "PER"), Span(17, 20, "PER")]], [[Span(0, 12, "PER"), Span(24, 28, "ORG")]],
                     task="ner")
    rows = render.diff_rows(diff, "ner")
    assert [(r["kind"], r["label"], r["A"], r["B"]) for r in rows] == [
        ("gained", "PER", "—", "Ada Lovelace · PER"),
        ("lost", "PER", "Bob · PER", "—"),
        ("changed", "PER", "Ada · PER", "Ada Lovelace · PER (boundaries)"),
        ("new error", "ORG", "—", "Rome · ORG"),
    ]
    assert rows[-1]["gold"] == "Rome · LOC" and all(r["#"] == 1 for r in rows)
    assert [r["kind"] for r in render.diff_rows(diff, "ner", label="ORG")] == ["new error"]
    assert [r["kind"] for r in render.diff_rows(diff, "ner", kinds=["lost", "changed"])] == ["lost", "changed"]
    assert render.diff_counts(diff, "ner") == {"gained": 1, "lost": 1, "changed": 1, "new_error": 1,
                                               "fixed_error": 0}
    # the counts next to the kinds follow the label filter
    assert render.diff_counts(diff, "ner", label="ORG") == {"gained": 0, "lost": 0, "changed": 0, "new_error": 1,
                                                            "fixed_error": 0}
    assert render.CHAIN_VERDICTS["a_better"].startswith("A better")

    assert render.f1_interval({"ci95": {"micro_f1": [0.5, 0.7]}}) == (0.5, 0.7)
    assert render.f1_interval({"f1_ci": {"low": 0.4, "high": 0.6}}) == (0.4, 0.6)
    assert render.f1_interval({}) == (None, None)
    res = {"metrics": {"micro_f1": {"delta": 0.1, "ci95": [0.02, 0.2]}, "macro_f1": {"delta": 0.0, "ci95": [-0.1, 0.1]}},
           "per_label": {"X": {"delta": None, "ci95": [None, None]}}}
    assert render.delta_rows(res) == [
        {"name": "micro F1", "delta": 10.0, "low": 2.0, "high": 20.0, "clear": "interval excludes 0"},
        {"name": "macro F1", "delta": 0.0, "low": -10.0, "high": 10.0, "clear": "interval includes 0"}]
    assert render.delta_rows(res, per_label=True) == []


def test_a_model_that_cannot_be_scored_is_named_and_the_others_are_shown(app, demo_ws, tmp_path):
    # a predictions file covering half the gold set used to blank the whole page with one error
    from evaluator.importer import export_records
    from evaluator.models import add_model, train_round

    train_round(demo_ws, 1, trainer="crf-ner")
    full = tmp_path / "gold.jsonl"
    export_records(demo_ws, f"gold:{GOLD}", format="prodigy-jsonl", out=full)
    half = tmp_path / "half.jsonl"
    lines = full.read_text(encoding="utf-8").splitlines()
    half.write_text("\n".join(lines[: len(lines) // 2]) + "\n", encoding="utf-8")
    add_model(demo_ws, half, name="half-llm")
    at = _fast(app("pages/evaluate.py"), resamples=200)
    assert list(at.dataframe[0].value["model"]) == ["round-1-crf-ner"]
    warnings = texts(at, "warning")
    assert any("half-llm" in w and "no prediction for" in w for w in warnings)


def test_models_are_ordered_and_paired_by_round_not_by_creation(app, demo_ws):
    """Training round 1, then 3, then 2 used to open the page with A = round 3, B = round 2 and a red box."""
    from evaluator.models import list_models, train_round

    for k in (1, 3, 2):
        train_round(demo_ws, k, trainer="crf-ner")
    listed = list_models(demo_ws)
    assert [m["name"] for m in listed] == MODELS
    assert [m["lineage"]["parent"] for m in listed] == [None, "round-1-crf-ner", "round-2-crf-ner"]
    at = _fast(app("pages/evaluate.py"), resamples=300)
    assert at.selectbox(key="eval.model_a").value == "round-2-crf-ner"
    assert at.selectbox(key="eval.model_b").value == "round-3-crf-ner"
    assert at.multiselect(key="eval.holm_models").value == MODELS


def test_iteration_verdict_over_runs_above_the_artifact_comparison(app, tmp_path, monkeypatch):
    """Rounds 1 and 3 with two seeds each: the page gives the round verdict (over all runs, with the runs as dots)
    before the comparison of the two model files."""
    from evaluator.demo import build_demo
    from evaluator.models import train_runs
    from evaluator.scoring.iterations import compare_rounds
    from evaluator.workspace import open_workspace

    build_demo(tmp_path / "news", task="textcat")
    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(tmp_path / "news"))
    ws = open_workspace(tmp_path / "news")
    quick = {"training.max_steps": 30, "training.eval_frequency": 10}
    for k in (1, 3):
        train_runs(ws, k, seeds=[0, 1], trainer="spacy-textcat", config=quick)
    at = _fast(app("pages/evaluate.py"), resamples=500)
    assert at.selectbox(key="eval.model_a").value == "round-1-spacy-textcat"
    assert at.selectbox(key="eval.model_b").value == "round-3-spacy-textcat"
    ref = compare_rounds(ws, GOLD, trainer="spacy-textcat", config=quick, pairs=[(1, 3)], resamples=500)["steps"][0]
    boxes = {"improved": "success", "regressed": "error"}.get(ref["verdict"], "info")
    assert any(t.replace("\\", "") == ref["sentences"][0] for t in texts(at, boxes))  # escaped Markdown
    md = texts(at, "markdown")
    i_round = next(i for i, t in enumerate(md) if t.startswith("**Did round 3 make `spacy-textcat` better"))
    i_files = next(i for i, t in enumerate(md) if t.startswith("**About these two model files**"))
    assert i_round < i_files
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    runs = [s for s in specs if any(layer.get("mark", {}).get("type") == "tick" for layer in s.get("layer", []))]
    assert runs, "the runs are drawn as dots with their mean"
    from evaluator.models import list_models
    from evaluator.scoring.evaluate import evaluate_models
    from ui import render

    rows = render.run_rows(evaluate_models(ws, GOLD, resamples=500), list_models(ws), trainer="spacy-textcat",
                           overrides=quick, cumulative=True)
    assert sorted((r["round"], r["model"]) for r in rows) == [
        (1, "round-1-spacy-textcat"), (1, "round-1-spacy-textcat-s1"), (3, "round-3-spacy-textcat"),
        (3, "round-3-spacy-textcat-s1")]
    assert [r["f1"] for r in rows if r["round"] == 3] == [100 * x for x in ref["runs"]["b"]]
