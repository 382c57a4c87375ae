"""Scoring and comparing files: the library functions behind ``evaluator score`` and ``evaluator compare``."""
from __future__ import annotations

import re

import numpy as np
import pytest

import evaluator.formats.conll_stream as conll_stream
from evaluator.errors import ConfigError, InputFormatError
from evaluator.metrics import conlleval, format_conlleval, ner_counts, ner_counts_ids
from evaluator.report.verdict import describe, verdict_of
from evaluator.scoring import compare_files, conlleval_file, file_counts, score_files
from evaluator.stats import compare_counts
from tests.metrics.perturb import perturb, read_conll_tags
from tests.metrics.seqeval_ref import assert_same, reference


def write_conll(path, sentences, tags, *, docs_every=None, sep=" "):
    lines = []
    for k, (words, ts) in enumerate(zip(sentences, tags)):
        if docs_every and k % docs_every == 0:
            lines += ["-DOCSTART- -X- O", ""]
        lines += [f"{w}{sep}X{sep}{t}" for w, t in zip(words, ts)] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def records_path(monkeypatch):
    """Force every file through the formats' readers (the path files the block reader hands back take)."""
    def refuse(self, *args, **kwargs):
        raise conll_stream.NotStreamable("test")

    monkeypatch.setattr(conll_stream.ConllTags, "__init__", refuse)


@pytest.fixture
def testb_files(shared_data, tmp_path):
    src = shared_data / "conll2003" / "eng.testb"
    gold = read_conll_tags(src)
    preds = []
    for seed in (3, 4):
        flat = iter(t for s in perturb(gold, seed=seed) for t in s)
        lines = []
        for line in src.read_text(encoding="utf-8").split("\n"):
            cols = line.split(" ")
            lines.append(" ".join(cols[:-1] + [next(flat)]) if line.strip() and cols[0] != "-DOCSTART-" else line)
        path = tmp_path / f"pred{seed}.testb"
        path.write_text("\n".join(lines), encoding="utf-8")
        preds.append(path)
    return src, preds, gold


def test_score_files_equals_seqeval_on_real_data(testb_files):
    src, (pred, _), gold = testb_files
    rep = score_files(src, pred)
    assert_same(rep, reference(gold, read_conll_tags(pred)))
    strict = score_files(src, pred, mode="strict")
    assert strict["scheme"] == "IOB1"  # the reader's detection: CoNLL-2003 is IOB1
    assert_same(strict, reference(gold, read_conll_tags(pred), mode="strict", scheme="IOB1"))


def test_both_paths_give_identical_results(testb_files, monkeypatch):
    src, (a, b), _ = testb_files
    fast = [score_files(src, a), score_files(src, a, mode="strict", scheme="IOB2", partial=True),
            compare_files(src, a, b, resamples=300)]
    (ca, cb), docs = file_counts(src, [a, b])

    def refuse(self, *args, **kwargs):
        raise conll_stream.NotStreamable("test")

    monkeypatch.setattr(conll_stream.ConllTags, "__init__", refuse)
    slow = [score_files(src, a), score_files(src, a, mode="strict", scheme="IOB2", partial=True),
            compare_files(src, a, b, resamples=300)]
    (sa, sb), sdocs = file_counts(src, [a, b])
    assert fast == slow
    assert np.array_equal(docs, sdocs) and len(np.unique(docs)) == 231
    for x, y in ((ca, sa), (cb, sb)):
        assert x.labels == y.labels and np.array_equal(x.counts, y.counts)
        assert np.array_equal(x.gold_entities, y.gold_entities) and np.array_equal(x.pred_entities, y.pred_entities)


GOLD = [["John", "Smith", "visited", "Paris"], ["The", "UN", "met"], ["Berlin", "and", "Rome"]]
TAGS = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "O"], ["B-LOC", "O", "B-LOC"]]


@pytest.mark.parametrize("path_kind", ["stream", "records"])
def test_mismatches_are_named_alike_on_both_paths(tmp_path, request, path_kind):
    if path_kind == "records":
        request.getfixturevalue("records_path")
    gold = write_conll(tmp_path / "gold.conll", GOLD, TAGS)
    with pytest.raises(InputFormatError, match=r"gold.conll has 3 sentences but .*short.conll has 2"):
        score_files(gold, write_conll(tmp_path / "short.conll", GOLD[:2], TAGS[:2]))
    other = [list(s) for s in GOLD]
    other[1][1] = "EU"
    with pytest.raises(InputFormatError, match=r"sentence 2 \(.*gold.conll, line 6\): token 2 is 'UN' in the gold "
                                               r"file but 'EU' in the predictions \(sentence 2 \(.*other.conll, "
                                               r"line 6\)\)"):
        score_files(gold, write_conll(tmp_path / "other.conll", other, TAGS))
    moved = [GOLD[0] + ["The"], GOLD[1][1:], GOLD[2]]  # one token moved across a sentence boundary
    moved_tags = [TAGS[0] + ["O"], TAGS[1][1:], TAGS[2]]
    with pytest.raises(InputFormatError, match=r"sentence 1 \(.*gold.conll, line 1\) has 4 tokens in the gold file "
                                               r"but 5 in the predictions"):
        score_files(gold, write_conll(tmp_path / "moved.conll", moved, moved_tags))


def test_a_file_with_problems_is_reported_by_the_full_reader(tmp_path):
    gold = write_conll(tmp_path / "gold.conll", GOLD, TAGS)
    bad = tmp_path / "bad.conll"
    bad.write_text("John B-PER\nSmith\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"bad.conll, line 2: line has one column"):
        score_files(gold, bad)


def test_tab_separated_and_crlf_files_score_like_space_separated(tmp_path):
    pred = perturb(TAGS * 20, seed=5, rate=0.4)
    spaced = score_files(write_conll(tmp_path / "g1.conll", GOLD * 20, TAGS * 20),
                         write_conll(tmp_path / "p1.conll", GOLD * 20, pred))
    tabbed = score_files(write_conll(tmp_path / "g2.conll", GOLD * 20, TAGS * 20, sep="\t"),
                         write_conll(tmp_path / "p2.conll", GOLD * 20, pred, sep=" \t "))
    crlf = tmp_path / "g3.conll"
    crlf.write_bytes((tmp_path / "g1.conll").read_bytes().replace(b"\n", b"\r\n"))
    assert spaced == tabbed == score_files(crlf, tmp_path / "p1.conll")
    assert_same(spaced, reference(TAGS * 20, pred))


def test_compare_resamples_documents_when_the_gold_file_has_them(tmp_path):
    words, gold = GOLD * 30, TAGS * 30
    g = write_conll(tmp_path / "gold.conll", words, gold, docs_every=6)
    a = write_conll(tmp_path / "a.conll", words, perturb(gold, seed=1, rate=0.3), docs_every=6)
    b = write_conll(tmp_path / "b.conll", words, perturb(gold, seed=2, rate=0.1), docs_every=6)
    res = compare_files(g, a, b, resamples=500, seed=7)
    assert res["unit"] == "document" and res["units"] == 15 and res["documents"] == 90
    (ca, cb), docs = file_counts(g, [a, b])
    expected = compare_counts(ca, cb, resamples=500, seed=7, groups=np.arange(90) // 6, unit="document")
    assert {k: v for k, v in res.items() if k != "verdict"} == expected
    assert res["verdict"] == verdict_of(res)
    assert "resamples of documents" in " ".join(describe(res))

    by_sentence = compare_files(g, a, b, resamples=500, seed=7, unit="sentence")
    assert by_sentence["unit"] == "sentence" and by_sentence["units"] == 90
    assert by_sentence == {**compare_counts(ca, cb, resamples=500, seed=7, unit="sentence"),
                           "verdict": verdict_of(by_sentence)}
    assert by_sentence["ci95"] != res["ci95"]  # a different unit is a different test


def test_compare_without_documents_resamples_sentences(tmp_path):
    g = write_conll(tmp_path / "gold.conll", GOLD * 10, TAGS * 10)
    a = write_conll(tmp_path / "a.conll", GOLD * 10, perturb(TAGS * 10, seed=1, rate=0.5))
    res = compare_files(g, a, g, resamples=200)
    assert res["unit"] == "sentence" and res["units"] == 30
    assert res["verdict"] == verdict_of(res) and res["b"]["f1"] == 1.0
    with pytest.raises(ConfigError, match="no documents"):
        compare_files(g, a, g, resamples=200, unit="document")


def test_conlleval_figures_are_none_where_undefined(tmp_path):
    lines = ["a x B-PER B-PER", "b x I-PER I-PER", "c x O B-LOC", "", "d x B-ORG O", "e x O O"]
    path = tmp_path / "out.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rep = conlleval_file(path)
    assert rep["per_type"]["LOC"]["precision"] == 0.0 and rep["per_type"]["LOC"]["recall"] is None
    assert rep["per_type"]["ORG"]["precision"] is None and rep["per_type"]["ORG"]["recall"] == 0.0
    assert rep["per_type"]["LOC"]["fb1"] == 0.0 and rep["per_type"]["PER"]["fb1"] == 100.0
    # every defined figure is what conlleval.pl prints (to its two decimals)
    printed = format_conlleval(conlleval(lines))
    for typ, p, r, f in re.findall(r"(\w+): precision: +([\d.]+)%; recall: +([\d.]+)%; FB1: +([\d.]+)", printed):
        for key, shown in (("precision", p), ("recall", r), ("fb1", f)):
            value = rep["per_type"][typ][key]
            assert value is None or f"{value:.2f}" == shown, (typ, key)
    overall = re.search(r"accuracy: +([\d.]+)%; precision: +([\d.]+)%; recall: +([\d.]+)%; FB1: +([\d.]+)", printed)
    assert [f"{rep[k]:.2f}" for k in ("accuracy", "precision", "recall", "fb1")] == list(overall.groups())


def test_nothing_to_score_has_no_fb1(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("a x O O\nb x O O\n", encoding="utf-8")
    rep = conlleval_file(path)
    assert rep["precision"] is None and rep["recall"] is None and rep["fb1"] is None and rep["accuracy"] == 100.0


def test_a_scheme_without_strict_mode_is_refused(tmp_path):
    g = write_conll(tmp_path / "gold.conll", GOLD, TAGS)
    with pytest.raises(ConfigError, match="--mode strict"):
        score_files(g, g, scheme="IOB2")


def test_kernel_on_ids_equals_kernel_on_tags():
    tags = perturb(TAGS * 50, seed=9, rate=0.5)
    direct = ner_counts(TAGS * 50, tags)
    vocab = ["O"] + sorted({t for s in TAGS * 50 + tags for t in s} - {"O"})
    ids = {t: i for i, t in enumerate(vocab)}
    flat = lambda seqs: np.array([ids[t] for s in seqs for t in s])  # noqa: E731
    via_ids = ner_counts_ids(vocab, flat(TAGS * 50), flat(tags), np.array([len(s) for s in tags]))
    assert via_ids.labels == direct.labels and np.array_equal(via_ids.counts, direct.counts)
    with pytest.raises(ValueError, match="vocab\\[0\\]"):
        ner_counts_ids(["B-PER", "O"], np.array([0]), np.array([0]), np.array([1]))


def test_score_and_compare_start_without_heavy_libraries(tmp_path):
    """`evaluator score` / `compare` on CoNLL files import neither spaCy, SQLAlchemy, pandas nor streamlit
    (each costs a noticeable part of a second at start-up)."""
    import subprocess
    import sys

    g = write_conll(tmp_path / "gold.conll", GOLD * 4, TAGS * 4, docs_every=3)
    a = write_conll(tmp_path / "a.conll", GOLD * 4, perturb(TAGS * 4, seed=1, rate=0.4), docs_every=3)
    code = ("import sys; from evaluator.cli import main\n"
            "for args in (['score', sys.argv[1], sys.argv[2], '--json'],\n"
            "             ['compare', sys.argv[1], sys.argv[2], sys.argv[1], '--resamples', '50', '--json']):\n"
            "    main(args, standalone_mode=False)\n"
            "heavy = {'spacy', 'sqlalchemy', 'pandas', 'streamlit', 'sklearn', 'torch'}\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))")
    out = subprocess.run([sys.executable, "-c", code, str(g), str(a)], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout[-500:]


def test_records_with_named_documents_are_resampled_by_document(tmp_path):
    """Prodigy records carrying ``meta.doc`` (any name) are grouped like CoNLL documents."""
    import json

    def rec(i, spans):
        text = f"Ada met Bob in Rome number {i} ."
        return json.dumps({"text": text, "answer": "accept", "meta": {"doc": f"article-{i // 4}"},
                           "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans]})

    gold = [rec(i, [(0, 3, "PER"), (8, 11, "PER"), (15, 19, "LOC")]) for i in range(12)]
    a = [rec(i, [(0, 3, "PER")] if i % 2 else [(0, 3, "PER"), (15, 19, "LOC")]) for i in range(12)]
    paths = []
    for name, rows in (("gold", gold), ("a", a)):
        paths.append(tmp_path / f"{name}.jsonl")
        paths[-1].write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = compare_files(paths[0], paths[1], paths[0], resamples=200)
    assert res["unit"] == "document" and res["units"] == 3 and res["documents"] == 12
