"""Size limits (evaluator/limits.py): a huge or hostile file is refused early, with the limit and how to raise it
named in the error, and the memory of the refusal stays small."""
from __future__ import annotations

import json
import zlib

import pytest

from evaluator import limits
from evaluator.errors import InputFormatError
from evaluator.formats import ReadOptions, get_format
from evaluator.formats._common import Problems, decode_bytes, iter_jsonl
from evaluator.importer import import_file


def _rows(n, text="a b c"):
    return "".join(json.dumps({"text": f"{text} {i}", "label": "x"}) + "\n" for i in range(n))


def test_a_line_over_the_limit_is_refused_with_its_number(tmp_path, monkeypatch, tmp_workspace):
    ws = tmp_workspace(task="textcat")
    path = tmp_path / "long.jsonl"
    path.write_text(_rows(3) + json.dumps({"text": "w " * 3000, "label": "x"}) + "\n" + _rows(2), encoding="utf-8")
    monkeypatch.setenv("EVALUATOR_MAX_LINE_MB", str(4096 / 2 ** 20))  # 4 KiB
    with pytest.raises(InputFormatError) as err:
        import_file(ws, path, into="round:1", format="textcat-jsonl")
    msg = str(err.value)
    assert "long.jsonl: line 4 is over the line length limit of 4.0 KiB" in msg and "EVALUATOR_MAX_LINE_MB=1" in msg
    monkeypatch.setenv("EVALUATOR_MAX_LINE_MB", "1")
    assert import_file(ws, path, into="round:1", format="textcat-jsonl")["examples"] == 6


@pytest.mark.parametrize("fmt, body", [
    ("csv", "text,label\n" + "".join(f"t{i},x\n" for i in range(5)) + "y" * 5000 + ",x\n"),
    ("conll", "".join(f"w{i} O\n" for i in range(5)) + "z" * 5000 + " O\n"),
])
def test_whole_file_readers_check_line_lengths_too(tmp_path, monkeypatch, fmt, body):
    path = tmp_path / f"f.{fmt}"
    path.write_text(body, encoding="utf-8")
    monkeypatch.setenv("EVALUATOR_MAX_LINE_MB", str(4096 / 2 ** 20))
    with pytest.raises(InputFormatError, match="line 7 is 4.9 KiB, over the line length limit of 4.0 KiB"
                       if fmt == "csv" else "line 6 is 4.9 KiB, over the line length limit of 4.0 KiB"):
        get_format(fmt).read(path, ReadOptions())


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch, tmp_workspace):
    ws = tmp_workspace(task="textcat")
    path = tmp_path / "big.jsonl"
    path.write_text(_rows(2000), encoding="utf-8")
    monkeypatch.setenv("EVALUATOR_MAX_FILE_MB", str(10_000 / 2 ** 20))
    with pytest.raises(InputFormatError, match=r"big.jsonl: the file is \d+\.\d KiB, over the file size limit of "
                                               r"9\.8 KiB.*EVALUATOR_MAX_FILE_MB"):
        import_file(ws, path, into="round:1", format="textcat-jsonl")


def test_a_zlib_bomb_docbin_is_refused_without_expanding_it(tmp_path, monkeypatch):
    bomb = tmp_path / "bomb.spacy"
    bomb.write_bytes(zlib.compress(b"\0" * (64 * 2 ** 20), 9))  # 64 KiB that expand to 64 MiB
    monkeypatch.setenv("EVALUATOR_MAX_UNZIP_MB", "8")
    with pytest.raises(InputFormatError, match="decompressed DocBin is over the decompressed size limit of 8.0 MiB"
                                               ".*EVALUATOR_MAX_UNZIP_MB"):
        get_format("spacy-docbin").read(bomb, ReadOptions())


def test_a_docbin_under_the_limit_reads(tmp_path, monkeypatch):
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    doc = nlp("Ada visited Leeds")
    doc.ents = [doc.char_span(12, 17, label="LOC")]
    path = tmp_path / "ok.spacy"
    DocBin(docs=[doc]).to_disk(path)
    monkeypatch.setenv("EVALUATOR_MAX_UNZIP_MB", "1")
    [rec] = get_format("spacy-docbin").read(path, ReadOptions())
    assert rec.text == "Ada visited Leeds" and [(s.start, s.end, s.label) for s in rec.spans] == [(12, 17, "LOC")]


def test_line_by_line_decoding_reports_what_whole_file_decoding_reports(tmp_path):
    data = ("\ufeff" + _rows(3)).encode("utf-8") + b'{"text": "caf\xe9", "label": "x"}\n'
    path = tmp_path / "bad.jsonl"
    path.write_bytes(data)
    with pytest.raises(InputFormatError) as whole:
        decode_bytes(data, "utf-8", path=path)
    with pytest.raises(InputFormatError) as streamed:
        list(iter_jsonl(path, "utf-8", Problems(path)))
    assert str(streamed.value) == str(whole.value) and "line 4" in str(whole.value)


def test_scoring_a_conll_file_with_a_huge_line_is_refused(tmp_path, monkeypatch):
    from evaluator.scoring import score_files

    gold = tmp_path / "g.conll"
    gold.write_text("a O\nb B-PER\n\n" + "c" * 9000 + " O\n", encoding="utf-8")
    monkeypatch.setenv("EVALUATOR_MAX_LINE_MB", str(4096 / 2 ** 20))
    monkeypatch.setattr("evaluator.formats.conll_stream.BLOCK_BYTES", 1024)
    with pytest.raises(InputFormatError, match="g.conll: line 4 is over the line length limit"):
        score_files(gold, gold)


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("EVALUATOR_MAX_UPLOAD_MB", "64")
    assert limits.UPLOAD.bytes() == 64 * 2 ** 20 and limits.UPLOAD.mib() == 64
    monkeypatch.setenv("EVALUATOR_MAX_UPLOAD_MB", "lots")  # not a number: the default
    assert limits.UPLOAD.mib() == 200
