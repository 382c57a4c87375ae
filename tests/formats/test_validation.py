"""Malformed input: every problem of a file is reported with its line, nothing is dropped silently."""
from __future__ import annotations

import json

import pytest

from evaluator.errors import InputFormatError, ValidationError
from evaluator.formats import ReadOptions, get_format
from evaluator.formats._common import snapped_count
from evaluator.records import Span

JSONL_FORMATS = ["prodigy-jsonl", "doccano-jsonl"]


def _ner_row(fmt: str, text: str, spans: list[tuple[int, int, str]]) -> dict:
    if fmt == "doccano-jsonl":
        return {"text": text, "label": [list(s) for s in spans]}
    return {"text": text, "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans]}


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt,row", [
    ("prodigy-jsonl", {"text": "a b", "spans": []}),
    ("doccano-jsonl", {"text": "a b", "label": []}),
    ("textcat-jsonl", {"text": "a b", "label": "x"}),
    ("token-jsonl", {"tokens": ["a"], "tags": ["O"]}),
])
def test_bad_json_on_line_3_names_line_3(tmp_path, fmt, row):
    good = json.dumps(row)
    path = _write(tmp_path / "x.jsonl", [good, good, '{"text": "broken", ', good])
    with pytest.raises(InputFormatError) as err:
        get_format(fmt).read(path, ReadOptions())
    assert err.value.line == 3 and "line 3" in str(err.value) and "malformed JSON" in str(err.value)
    assert err.value.hint


@pytest.mark.parametrize("fmt", JSONL_FORMATS)
def test_span_past_the_end_names_its_line(tmp_path, fmt):
    path = _write(tmp_path / "x.jsonl", [json.dumps(_ner_row(fmt, "Peter Blackburn", [(0, 5, "PER")])),
                                         json.dumps(_ner_row(fmt, "Obama", [(0, 9, "PER")]))])
    with pytest.raises(InputFormatError, match=r"line 2: span 0-9 PER is outside the text \(length 5\)"):
        get_format(fmt).read(path, ReadOptions())


@pytest.mark.parametrize("fmt", JSONL_FORMATS)
def test_overlapping_spans(tmp_path, fmt):
    path = _write(tmp_path / "x.jsonl", [json.dumps(_ner_row(fmt, "New York City", [(0, 8, "LOC"), (4, 13, "LOC")]))])
    with pytest.raises(InputFormatError, match="overlap"):
        get_format(fmt).read(path, ReadOptions())


@pytest.mark.parametrize("fmt", JSONL_FORMATS)
def test_misaligned_span_is_an_error_unless_snapped(tmp_path, fmt):
    # "Blackbur" stops inside a token; " Obama" starts on whitespace
    path = _write(tmp_path / "x.jsonl", [json.dumps(_ner_row(fmt, "Peter Blackburn", [(6, 14, "PER")])),
                                         json.dumps(_ner_row(fmt, "President Obama", [(9, 15, "PER")])),
                                         json.dumps(_ner_row(fmt, "EU rejects", [(0, 2, "ORG")]))])
    with pytest.raises(ValidationError) as err:
        get_format(fmt).read(path, ReadOptions())
    assert [p.line for p in err.value.problems] == [1, 2]
    assert "not on token boundaries" in str(err.value) and "--snap-spans" in str(err.value)

    recs = get_format(fmt).read(path, ReadOptions(snap_spans=True))
    assert [r.spans for r in recs] == [[Span(6, 15, "PER")], [Span(10, 15, "PER")], [Span(0, 2, "ORG")]]
    assert [r.meta.get("_snapped", 0) for r in recs] == [1, 1, 0]
    assert snapped_count(recs) == 2


def test_snapped_spans_use_the_given_prodigy_tokens(tmp_path):
    row = {"text": "New York-based", "tokens": [{"text": "New", "start": 0, "end": 3, "id": 0},
                                                 {"text": "York-based", "start": 4, "end": 14, "id": 1}],
           "spans": [{"start": 0, "end": 8, "label": "LOC"}]}
    path = _write(tmp_path / "x.jsonl", [json.dumps(row)])
    with pytest.raises(InputFormatError, match="enclosing tokens: 0-14"):
        get_format("prodigy-jsonl").read(path, ReadOptions())
    [rec] = get_format("prodigy-jsonl").read(path, ReadOptions(snap_spans=True))
    assert rec.spans == [Span(0, 14, "LOC")] and rec.meta["_snapped"] == 1


def test_all_problems_of_a_file_are_collected(tmp_path):
    lines = [json.dumps({"text": "", "spans": []}),
             json.dumps({"text": "ok", "answer": "maybe"}),
             "not json",
             json.dumps({"txt": "no text key"}),
             json.dumps({"text": "Peter", "spans": [{"start": "0", "end": 5, "label": "PER"}]})]
    path = _write(tmp_path / "x.jsonl", lines)
    with pytest.raises(ValidationError) as err:
        get_format("prodigy-jsonl").read(path, ReadOptions())
    assert sorted(p.line for p in err.value.problems) == [1, 2, 3, 4, 5]
    text = str(err.value)
    assert "empty text" in text and "unknown answer" in text and "no 'text' key" in text
    assert "must be integers" in text


def test_undecodable_bytes_name_the_offset_and_encoding_option_helps(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"text": "ok"}\n{"text": "caf\xe9"}\n')
    with pytest.raises(InputFormatError, match=r"0xE9 at offset 28 is not valid utf-8 \(line 2\)"):
        get_format("prodigy-jsonl").read(path, ReadOptions())
    recs = get_format("prodigy-jsonl").read(path, ReadOptions(encoding="latin-1"))
    assert recs[1].text == "caf\u00e9"


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("\ufefftext,label\nhello,greeting\n".encode("utf-8"))
    [rec] = get_format("csv").read(path, ReadOptions())
    assert (rec.text, rec.label) == ("hello", "greeting")
