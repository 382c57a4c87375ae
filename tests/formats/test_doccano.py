"""doccano JSONL: the official export example, the object forms, textcat, round trip."""
from __future__ import annotations

import json

import pytest

from evaluator.errors import InputFormatError
from evaluator.formats import ReadOptions, get_format
from evaluator.records import Span

from .helpers import span_counts, span_keys

DOCCANO = get_format("doccano-jsonl")


def test_official_example(shared_data):
    recs = DOCCANO.read(shared_data / "doccano-example" / "sequence_labeling_example.jsonl", ReadOptions())
    assert len(recs) == 3
    assert span_counts(recs) == {"ORG": 1, "MISC": 1, "PERSON": 2}
    assert [r.text[s.start:s.end] for r in recs for s in r.spans] == ["EU", "German", "Peter Blackburn", "Obama"]
    # spans were checked against spaCy tokens, which the records keep
    assert recs[0].token_texts()[:3] == ["EU", "rejects", "German"]


def test_round_trip(shared_data, tmp_path):
    recs = DOCCANO.read(shared_data / "doccano-example" / "sequence_labeling_example.jsonl", ReadOptions())
    path = tmp_path / "out.jsonl"
    DOCCANO.write(recs, path, task="ner")
    assert json.loads(path.read_text().splitlines()[0])["label"] == [[0, 2, "ORG"], [11, 17, "MISC"]]
    assert span_keys(DOCCANO.read(path, ReadOptions())) == span_keys(recs)


def test_object_forms_and_textcat(tmp_path):
    path = tmp_path / "x.jsonl"
    rows = [
        {"id": 7, "text": "Peter lives in Paris",
         "entities": [{"id": 1, "start_offset": 0, "end_offset": 5, "label": "PER"},
                      {"id": 2, "start_offset": 15, "end_offset": 20, "label": "LOC"}]},
        {"text": "Peter", "labels": [{"start_offset": 0, "end_offset": 5, "label": "PER"}]},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recs = DOCCANO.read(path, ReadOptions())
    assert recs[0].spans == [Span(0, 5, "PER"), Span(15, 20, "LOC")] and recs[0].meta == {"id": 7}
    assert recs[1].spans == [Span(0, 5, "PER")]

    cat = tmp_path / "cat.jsonl"
    cat.write_text('{"text": "great match", "label": ["sport"]}\n{"text": "stocks", "label": ["business"]}\n')
    recs = DOCCANO.read(cat, ReadOptions())
    assert [r.label for r in recs] == ["sport", "business"]
    out = tmp_path / "cat-out.jsonl"
    DOCCANO.write(recs, out, task="textcat")
    assert [r.label for r in DOCCANO.read(out, ReadOptions())] == ["sport", "business"]


def test_multi_label_textcat_is_an_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a", "label": ["x", "y"]}\n')
    with pytest.raises(InputFormatError, match="2 categories"):
        DOCCANO.read(path, ReadOptions())
