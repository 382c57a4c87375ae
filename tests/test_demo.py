"""The demo data (data/demo) and build_demo / `evaluator demo`."""
from __future__ import annotations

import csv
import importlib.util
import json
from collections import Counter

import pytest

from evaluator.demo import DEMO_DIR, DEMOS, GOLD_NAME, build_demo
from evaluator.errors import ConfigError
from evaluator.records import input_hash, normalize_text
from evaluator.store import status
from evaluator.workspace import open_workspace


def _jsonl(name: str) -> list[dict]:
    with open(DEMO_DIR / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _csv(name: str) -> list[dict]:
    with open(DEMO_DIR / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _rows(name: str) -> list[dict]:
    return _jsonl(name) if name.endswith(".jsonl") else _csv(name)


def _files(task: str) -> tuple[str, list[str]]:
    spec = DEMOS[task]
    others = list(spec["rounds"]) + ([spec["pool"]] if spec["pool"] else [])
    return spec["gold"], others


def _grams(text: str) -> set[str]:
    t = normalize_text(text)
    return {t[i:i + 3] for i in range(len(t) - 2)}


@pytest.mark.parametrize("task", ["ner", "textcat"])
def test_gold_texts_never_appear_in_rounds_or_pool(task):
    gold, others = _files(task)
    gold_hashes = {input_hash(r["text"]) for r in _rows(gold)}
    for name in others:
        shared = [r["text"] for r in _rows(name) if input_hash(r["text"]) in gold_hashes]
        assert shared == [], f"{name} repeats gold texts: {shared[:3]}"
    # and no text repeats anywhere (within or across files)
    every = [input_hash(r["text"]) for name in [gold, *others] for r in _rows(name)]
    assert len(every) == len(set(every))


def test_sizes_labels_and_budget():
    assert [len(_jsonl(f)) for f in ("ner_gold.jsonl", "ner_round1.jsonl", "ner_round2.jsonl",
                                     "ner_round3.jsonl", "ner_pool.jsonl")] == [80, 20, 50, 80, 150]
    assert [len(_csv(f)) for f in ("news_gold.csv", "news_round1.csv", "news_round2.csv",
                                   "news_round3.csv", "news_pool.csv")] == [100, 20, 50, 80, 150]
    ner_labels = {s["label"] for f in DEMOS["ner"]["rounds"] + [DEMOS["ner"]["gold"]] for r in _jsonl(f)
                  for s in r["spans"]}
    assert ner_labels == set(DEMOS["ner"]["labels"])
    assert {r["label"] for r in _csv("news_gold.csv")} == set(DEMOS["textcat"]["labels"])
    # textcat: every file balanced (the gold set exactly 25 per label, rounds within one of each other)
    assert Counter(r["label"] for r in _csv("news_gold.csv")) == {lab: 25 for lab in DEMOS["textcat"]["labels"]}
    for name in DEMOS["textcat"]["rounds"]:
        per_label = Counter(r["label"] for r in _csv(name))
        assert set(per_label) == set(DEMOS["textcat"]["labels"])
        assert max(per_label.values()) - min(per_label.values()) <= 1, (name, per_label)
    assert all(set(r) == {"text"} for r in _jsonl("ner_pool.jsonl"))
    total = sum(p.stat().st_size for p in DEMO_DIR.iterdir() if p.suffix in (".jsonl", ".csv"))
    assert total < 300_000


def test_textcat_texts_are_not_near_duplicates():
    # the README promises no two texts with character 3-gram Jaccard >= 0.75 (only NER plants exceptions)
    gold, others = _files("textcat")
    grams = [_grams(r["text"]) for name in [gold, *others] for r in _csv(name)]
    worst = max(len(a & b) / len(a | b) for i, a in enumerate(grams) for b in grams[i + 1:])
    assert worst < 0.75


def test_textcat_demo_round_3_beats_round_1(tmp_path):
    """The Evaluate page must have something to show: more rounds give a clearly better classifier."""
    from sklearn.metrics import accuracy_score

    from evaluator.scoring.compare import compare_models
    from evaluator.records import Record
    from evaluator.scoring.evaluate import evaluate_models
    from evaluator.models import load_model, train_round

    build_demo(tmp_path / "news", task="textcat")
    ws = open_workspace(tmp_path / "news")
    first = train_round(ws, 1, trainer="sklearn-textcat")["name"]
    third = train_round(ws, 3, trainer="sklearn-textcat")["name"]
    gold = _csv(DEMOS["textcat"]["gold"])
    # reference: the models' own predictions on the gold file, scored by scikit-learn
    reference = {}
    for name in (first, third):
        preds = load_model(ws, name).predict([Record(text=r["text"]) for r in gold])
        reference[name] = accuracy_score([r["label"] for r in gold], [p.label for p in preds])
    scored = {r["model"]: r["accuracy"] for r in evaluate_models(ws, GOLD_NAME, models=[first, third],
                                                                 resamples=200)}
    assert scored == pytest.approx(reference)
    assert scored[third] > scored[first]
    res = compare_models(ws, GOLD_NAME, first, third, resamples=1000)
    assert res["accuracy_delta"] == pytest.approx(scored[third] - scored[first])
    assert res["p_mcnemar"] < 0.05 and res["verdict"] == "b_better"


def test_spans_match_their_text():
    for name in ["ner_gold.jsonl", *DEMOS["ner"]["rounds"]]:
        for r in _jsonl(name):
            for s in r["spans"]:
                piece = r["text"][s["start"]:s["end"]]
                assert piece and piece == piece.strip(), (name, r["text"], s)


def test_generator_reproduces_the_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_demo", DEMO_DIR / "make_demo.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    counts = mod.main(tmp_path)
    assert set(counts) == {p.name for p in tmp_path.iterdir()}
    for name in counts:
        assert (tmp_path / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name


def test_build_demo_counts_match_files_and_is_idempotent(tmp_path):
    first = build_demo(tmp_path / "ws")
    gold_rows = _jsonl(DEMOS["ner"]["gold"])
    round_rows = [_jsonl(f) for f in DEMOS["ner"]["rounds"]]
    pool_rows = _jsonl(DEMOS["ner"]["pool"])
    assert first["added"] == len(gold_rows) + sum(map(len, round_rows)) + len(pool_rows)

    ws = open_workspace(tmp_path / "ws")
    before = status(ws)
    assert before["task"] == "ner" and before["labels"] == sorted(DEMOS["ner"]["labels"])
    assert [r["examples"] for r in before["rounds"]] == [len(r) for r in round_rows]
    for info, rows in zip(before["rounds"], round_rows):
        assert info["per_label"] == dict(sorted(Counter(s["label"] for r in rows for s in r["spans"]).items()))
    [gold] = before["gold_sets"]
    assert gold["name"] == GOLD_NAME and gold["frozen"] and gold["content_hash"] == first["gold_hash"]
    assert gold["examples"] == len(gold_rows)
    assert before["pool"]["examples"] == len(pool_rows)

    second = build_demo(tmp_path / "ws")
    assert second["added"] == 0
    assert all(s.get("skipped") for s in second["steps"])
    assert second["gold_hash"] == first["gold_hash"]
    after = status(ws)
    assert after == before


def test_demo_leakage_report_shows_only_the_planted_near_duplicates(tmp_path):
    from evaluator.gold import leakage_report

    build_demo(tmp_path / "ws")
    report = leakage_report(open_workspace(tmp_path / "ws"), threshold=0.9)
    assert report["exact_overlaps"] == 0
    # reference: plain-Python 3-gram Jaccard between every gold and every pool/round text
    gold = [_grams(r["text"]) for r in _jsonl(DEMOS["ner"]["gold"])]
    others = [r["text"] for f in DEMOS["ner"]["rounds"] + [DEMOS["ner"]["pool"]] for r in _jsonl(f)]
    expected = sum(1 for t in others for g in gold
                   if len(g & _grams(t)) / len(g | _grams(t)) >= 0.9)
    assert expected >= 1  # the README promises something to show
    assert report["near_duplicates"] == expected


def test_textcat_demo_counts_per_label(tmp_path):
    result = build_demo(tmp_path / "news", task="textcat")
    s = status(open_workspace(tmp_path / "news"))
    pool = _csv(DEMOS["textcat"]["pool"])
    assert s["task"] == "textcat" and s["pool"] == {"examples": len(pool), "accepted": 0, "unlabeled": len(pool),
                                                    "per_label": {}}
    assert all(r["label"] == "" for r in pool)  # unlabeled: the Label page's textcat demo labels them
    for info, name in zip(s["rounds"], DEMOS["textcat"]["rounds"]):
        assert info["per_label"] == dict(sorted(Counter(r["label"] for r in _csv(name)).items()))
    [gold] = s["gold_sets"]
    assert gold["frozen"] and gold["examples"] == len(_csv(DEMOS["textcat"]["gold"]))
    assert result["added"] == s["examples"]
    # the NER demo cannot go into a textcat workspace
    with pytest.raises(ConfigError, match="textcat"):
        build_demo(tmp_path / "news", task="ner")


def test_missing_demo_data_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="Demo data missing"):
        build_demo(tmp_path / "ws", data_dir=tmp_path / "nowhere")


def test_cli_demo_json_and_second_run(tmp_path, cli_runner):
    ws = tmp_path / "ws"
    first = cli_runner("demo", "--workspace", ws, "--task", "textcat", "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    gold, rounds = _files("textcat")
    assert data["added"] == sum(len(_csv(f)) for f in [gold, *rounds]) and data["task"] == "textcat"
    again = cli_runner("demo", "--workspace", ws, "--task", "textcat")
    assert again.exit_code == 0
    assert "nothing added" in again.stdout
