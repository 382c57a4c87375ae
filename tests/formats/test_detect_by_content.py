"""Formats told from the first lines when the extension says nothing (issue 7, item 10)."""
from __future__ import annotations

import json
import shutil

import pytest

from evaluator.errors import ConfigError
from evaluator.formats import ReadOptions, detect_format, get_format
from evaluator.records import Record, Span


def _records() -> list[Record]:
    from evaluator.tokenize import ensure_tokens

    recs = [Record("John Smith visited Paris .", spans=[Span(0, 10, "PER"), Span(19, 24, "LOC")]),
            Record("The UN met in Rome .", spans=[Span(4, 6, "ORG"), Span(14, 18, "LOC")])]
    ensure_tokens(recs)
    return recs


@pytest.fixture
def written(tmp_path):
    """Every writable NER format written once, with its own extension: {format name: path}."""
    out = {}
    for name in ("conll", "prodigy-jsonl", "doccano-jsonl", "labelstudio", "token-jsonl", "spacy-docbin"):
        fmt = get_format(name)
        path = tmp_path / f"{name}{fmt.extensions[0]}"
        fmt.write(_records(), path, task="ner")
        out[name] = path
    return out


@pytest.mark.parametrize("name", ["conll", "prodigy-jsonl", "doccano-jsonl", "labelstudio", "token-jsonl",
                                  "spacy-docbin"])
@pytest.mark.parametrize("new_suffix", [".iob2", ".bioes", ".dat", ""])
def test_format_told_from_content_when_the_extension_says_nothing(written, tmp_path, name, new_suffix):
    renamed = tmp_path / f"renamed-{name}{new_suffix}"
    shutil.copy(written[name], renamed)
    fmt = detect_format(renamed)
    assert fmt.name == name
    spans = [[(s.start, s.end, s.label) for s in r.spans] for r in fmt.read(renamed, ReadOptions())]
    assert spans == [[(s.start, s.end, s.label) for s in r.spans] for r in _records()]


def test_csv_and_conll_with_tabs_and_a_txt_name(tmp_path):
    csv_file = tmp_path / "news.data"
    csv_file.write_text("text,label\nStocks fell,business\nThe match ended 2-1,sport\n", encoding="utf-8")
    assert detect_format(csv_file).name == "csv"
    tsv = tmp_path / "wnut.txt"
    tsv.write_text("@paulwalk\tO\nIt\tO\nNew\tB-location\nYork\tI-location\n\nok\tO\n", encoding="utf-8")
    assert detect_format(tsv).name == "conll"
    iobes = tmp_path / "x.bioes"
    iobes.write_text("EU S-ORG\nrejects O\nGerman S-MISC\ncall O\n", encoding="utf-8")
    assert detect_format(iobes).name == "conll"


def test_a_file_that_looks_like_nothing_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nSome prose that is no annotation format.\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Cannot tell the format") as err:
        detect_format(path)
    assert "--format" in err.value.hint and "conll" in err.value.hint


def test_score_cli_reads_conll_named_iob2_without_format(cli_runner, tmp_path):
    gold = tmp_path / "gold.iob2"
    pred = tmp_path / "pred.iob2"
    gold.write_text("John B-PER\nSmith I-PER\nvisited O\nParis B-LOC\n\nRome B-LOC\n", encoding="utf-8")
    pred.write_text("John B-PER\nSmith I-PER\nvisited O\nParis O\n\nRome B-LOC\n", encoding="utf-8")
    r = cli_runner("score", gold, pred, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["micro"]["tp"] == 2 and rep["micro"]["fn"] == 1 and rep["micro"]["fp"] == 0
