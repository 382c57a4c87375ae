"""`evaluator score` and `evaluator compare` on plain files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evaluator.formats import ReadOptions

from evaluator.metrics import ner_counts, ner_report
from tests.metrics.perturb import perturb, read_conll_tags
from tests.metrics.seqeval_ref import assert_same, reference

REPORT_KEYS = ["task", "mode", "scheme", "documents", "tokens", "token_accuracy", "micro", "macro", "weighted",
               "per_label", "misaligned"]
AVG_KEYS = {"precision", "recall", "f1", "tp", "fp", "fn", "support"}
LABEL_KEYS = {"precision", "recall", "f1", "support", "tp", "fp", "fn"}
COMPARE_KEYS = {"metric", "a", "b", "delta", "ci95", "p_bootstrap", "p_randomization", "resamples", "seed", "unit",
                "verdict",
                "per_label"}

GOLD = [
    [("John", "B-PER"), ("Smith", "I-PER"), ("visited", "O"), ("Paris", "B-LOC")],
    [("The", "O"), ("UN", "B-ORG"), ("met", "O")],
    [("Berlin", "B-LOC"), ("and", "O"), ("Rome", "B-LOC")],
]


def _write_conll(path: Path, sents, tags=None) -> Path:
    lines = ["-DOCSTART- -X- O O", ""]
    for k, s in enumerate(sents):
        for i, (w, t) in enumerate(s):
            lines.append(f"{w} X {tags[k][i] if tags else t}")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _pred_tags():
    return [["B-PER", "O", "O", "B-LOC"], ["O", "I-ORG", "O"], ["B-LOC", "O", "B-PER"]]


def test_score_conll_json_shape_and_seqeval_figures(cli_runner, tmp_path):
    gold = _write_conll(tmp_path / "gold.conll", GOLD)
    pred = _write_conll(tmp_path / "pred.conll", GOLD, _pred_tags())
    r = cli_runner("score", gold, pred, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert list(rep) == REPORT_KEYS
    assert all(set(rep[k]) == AVG_KEYS for k in ("micro", "macro", "weighted"))
    assert all(set(v) == LABEL_KEYS for v in rep["per_label"].values())
    assert rep["task"] == "ner" and rep["mode"] == "default" and rep["scheme"] is None and rep["misaligned"] == 0
    assert rep["documents"] == 3 and rep["tokens"] == 10
    gold_tags = [[t for _, t in s] for s in GOLD]
    assert_same(rep, reference(gold_tags, _pred_tags()))

    r = cli_runner("score", gold, pred)
    assert r.exit_code == 0
    assert "micro avg" in r.stdout and "weighted avg" in r.stdout and "token accuracy" in r.stdout


def test_score_strict_mode_uses_the_scheme(cli_runner, tmp_path):
    gold = _write_conll(tmp_path / "gold.conll", GOLD)
    pred = _write_conll(tmp_path / "pred.conll", GOLD, _pred_tags())
    rep = json.loads(cli_runner("score", gold, pred, "--mode", "strict", "--scheme", "iob2", "--json").stdout)
    assert rep["mode"] == "strict" and rep["scheme"] == "IOB2"
    assert rep["per_label"]["ORG"]["tp"] == 0  # "I-ORG" after "O" is no entity in strict IOB2
    gold_tags = [[t for _, t in s] for s in GOLD]
    assert_same(rep, reference(gold_tags, _pred_tags(), mode="strict", scheme="IOB2"))


def test_score_real_conll_file(cli_runner, shared_data, tmp_path):
    src = shared_data / "conll2003" / "eng.testb"
    gold_tags = read_conll_tags(src)
    pred_tags = perturb(gold_tags, seed=11)
    flat = iter(t for s in pred_tags for t in s)
    lines = []
    for line in src.read_text(encoding="utf-8").split("\n"):
        cols = line.split(" ")
        lines.append(" ".join(cols[:-1] + [next(flat)]) if line.strip() and cols[0] != "-DOCSTART-" else line)
    pred = tmp_path / "pred.testb"
    pred.write_text("\n".join(lines), encoding="utf-8")
    r = cli_runner("score", src, pred, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep == json.loads(json.dumps(ner_report(ner_counts(gold_tags, pred_tags))))
    assert_same(rep, reference(gold_tags, pred_tags))
    strict = json.loads(cli_runner("score", src, pred, "--mode", "strict", "--json").stdout)
    assert strict["scheme"] == "IOB1" and strict["micro"]["support"] == 5648  # the file's own scheme


def test_mismatch_is_one_line_and_exit_2(cli_runner, tmp_path):
    gold = _write_conll(tmp_path / "gold.conll", GOLD)
    short = _write_conll(tmp_path / "short.conll", GOLD[:2])
    r = cli_runner("score", gold, short)
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.output
    assert "gold.conll has 3 sentences but" in r.stderr and "short.conll has 2" in r.stderr
    other = [list(s) for s in GOLD]
    other[1] = [("The", "O"), ("EU", "B-ORG"), ("met", "O")]
    r = cli_runner("score", gold, _write_conll(tmp_path / "other.conll", other))
    assert r.exit_code == 2 and r.stderr.strip().count("\n") == 0
    assert "sentence 2" in r.stderr and "'UN'" in r.stderr and "'EU'" in r.stderr and "other.conll" in r.stderr
    r = cli_runner("score", gold, gold, "--scheme", "IOBES")
    assert r.exit_code == 2 and "--mode strict" in r.stderr


def test_score_prodigy_jsonl_matched_by_text(cli_runner, tmp_path):
    def rec(text, spans):
        return json.dumps({"text": text, "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans],
                           "answer": "accept"})

    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join([rec("Ada Lovelace wrote code.", [(0, 12, "PER")]),
                               rec("Paris is big.", [(0, 5, "LOC")])]) + "\n", encoding="utf-8")
    pred = tmp_path / "pred.jsonl"
    pred.write_text("\n".join([rec("Paris is big.", [(0, 5, "LOC")]),
                               rec("Ada Lovelace wrote code.", [(0, 7, "PER")])]) + "\n", encoding="utf-8")
    r = cli_runner("score", gold, pred, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["misaligned"] == 1 and rep["micro"]["tp"] == 1 and rep["micro"]["fp"] == 1
    assert rep["micro"]["fn"] == 1


def test_score_textcat_csv(cli_runner, tmp_path):
    gold = tmp_path / "gold.csv"
    gold.write_text("text,label\ngood film,pos\nbad film,neg\nok film,pos\n", encoding="utf-8")
    pred = tmp_path / "pred.csv"
    pred.write_text("text,label\nbad film,pos\ngood film,pos\nok film,neg\n", encoding="utf-8")
    rep = json.loads(cli_runner("score", gold, pred, "--json").stdout)
    assert rep["task"] == "textcat" and rep["accuracy"] == 1 / 3
    assert rep["confusion"] == {"labels": ["neg", "pos"], "matrix": [[0, 1], [1, 1]]}


def test_score_conlleval_output(cli_runner, tmp_path):
    cases = json.loads((Path(__file__).parents[1] / "metrics" / "data" / "conlleval_cases.json").read_text("utf-8"))
    case = cases["docstart_and_sentences"]
    f = tmp_path / "out.txt"
    f.write_text(case["input"], encoding="utf-8")
    r = cli_runner("score", "--conlleval", f)
    assert r.exit_code == 0 and r.stdout == case["output"]
    rep = json.loads(cli_runner("score", "--conlleval", f, "--json").stdout)
    assert rep["tokens"] == 7 and rep["per_type"]["LOC"]["fb1"] == 100.0
    assert cli_runner("score", "--conlleval", f, f).exit_code == 2


def test_compare_json_shape(cli_runner, tmp_path):
    gold_tags = [[t for _, t in s] for s in GOLD] * 10
    sents = GOLD * 10
    gold = _write_conll(tmp_path / "gold.conll", sents)
    a = _write_conll(tmp_path / "a.conll", sents, perturb(gold_tags, seed=1, rate=0.5))
    b = _write_conll(tmp_path / "b.conll", sents)
    r = cli_runner("compare", gold, a, b, "--resamples", 500, "--seed", 3, "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert COMPARE_KEYS <= set(res)
    assert res["metric"] == "micro_f1" and res["resamples"] == 500 and res["seed"] == 3
    assert res["b"]["f1"] == 1.0 and res["delta"] > 0 and len(res["ci95"]) == 2
    assert all(set(v) >= {"delta", "ci95"} for v in res["per_label"].values())
    human = cli_runner("compare", gold, a, b, "--resamples", 500)
    assert human.exit_code == 0 and "95% interval" in human.stdout and "delta = B - A" in human.stdout


def test_compare_textcat_adds_mcnemar(cli_runner, tmp_path):
    rng = np.random.default_rng(0)
    texts = [f"text {i}" for i in range(60)]
    labels = [["pos", "neg"][int(x)] for x in rng.integers(0, 2, size=60)]
    flip = {"pos": "neg", "neg": "pos"}

    def write(name, labs):
        p = tmp_path / name
        p.write_text("text,label\n" + "".join(f"{t},{lab}\n" for t, lab in zip(texts, labs)), encoding="utf-8")
        return p

    gold = write("gold.csv", labels)
    a = write("a.csv", [lab if i % 3 else flip[lab] for i, lab in enumerate(labels)])
    b = write("b.csv", labels)
    res = json.loads(cli_runner("compare", gold, a, b, "--resamples", 300, "--json").stdout)
    assert res["metric"] == "macro_f1" and res["accuracy_delta"] == pytest.approx(20 / 60)
    assert res["mcnemar"] == {"a_only": 0, "b_only": 20} and res["p_mcnemar"] < 0.001
