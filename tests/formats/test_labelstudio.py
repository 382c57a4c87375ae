"""Label Studio JSON export: NER regions, choices, cancelled annotations, record numbers in errors."""
from __future__ import annotations

import json

import pytest

from evaluator.errors import InputFormatError, ValidationError
from evaluator.formats import ReadOptions, get_format
from evaluator.records import Record, Span

from .helpers import span_keys

LS = get_format("labelstudio")


def _task(text, regions=(), *, cancelled=False, choices=None):
    result = [{"id": f"r{i}", "from_name": "label", "to_name": "text", "type": "labels",
               "value": {"start": s, "end": e, "text": text[s:e], "labels": [lab]}}
              for i, (s, e, lab) in enumerate(regions)]
    if choices:
        result.append({"type": "choices", "from_name": "c", "to_name": "text", "value": {"choices": choices}})
    return {"id": 1, "data": {"text": text}, "annotations": [{"result": result, "was_cancelled": cancelled}]}


def test_reads_regions_choices_and_first_non_cancelled(tmp_path):
    tasks = [
        _task("Peter lives in Paris", [(0, 5, "PER"), (15, 20, "LOC")]),
        {"data": {"text": "Anna"}, "annotations": [
            {"result": [], "was_cancelled": True},
            {"result": [{"type": "labels", "value": {"start": 0, "end": 4, "text": "Anna", "labels": ["PER"]}}]}]},
        _task("skipped", cancelled=True),
        {"data": {"text": "not yet labelled"}},
        _task("great match", choices=["sport"]),
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    recs = LS.read(path, ReadOptions())
    assert recs[0].spans == [Span(0, 5, "PER"), Span(15, 20, "LOC")]
    assert recs[1].spans == [Span(0, 4, "PER")] and recs[1].answer == "accept"
    assert recs[2].answer == "ignore" and recs[3].answer == "unlabeled"
    assert recs[4].label == "sport"
    assert [r.line for r in recs] == [1, 2, 3, 4, 5]


def test_round_trip_ner_and_textcat(shared_data, tmp_path):
    fashion = get_format("prodigy-jsonl").read(
        shared_data / "prodigy-fashion-brands" / "fashion_brands_eval.jsonl", ReadOptions())
    path = tmp_path / "ls.json"
    LS.write(fashion, path, task="ner")
    back = LS.read(path, ReadOptions())
    assert span_keys(back) == span_keys(fashion)

    cats = [Record("great match", label="sport"), Record("stocks fell", label="business"),
            Record("no label yet", answer="unlabeled")]
    LS.write(cats, path, task="textcat")
    assert [(r.label, r.answer) for r in LS.read(path, ReadOptions())] == \
        [("sport", "accept"), ("business", "accept"), (None, "unlabeled")]


def test_utf16_offsets_are_converted(tmp_path):
    text = "\U0001F600 Peter"  # an emoji counts 2 in JavaScript (UTF-16) offsets
    task = {"data": {"text": text}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": 3, "end": 8, "text": "Peter", "labels": ["PER"]}}]}]}
    path = tmp_path / "x.json"
    path.write_text(json.dumps([task]))
    [rec] = LS.read(path, ReadOptions())
    assert rec.spans == [Span(2, 7, "PER")] and rec.meta["_utf16_offsets"] == 1


def test_errors_name_the_record_number(tmp_path):
    tasks = [_task("Peter", [(0, 5, "PER")]), _task("Anna", [(0, 9, "PER")]), {"data": {}}]
    tasks[1]["annotations"][0]["result"][0]["value"]["text"] = "Anna"
    path = tmp_path / "x.json"
    path.write_text(json.dumps(tasks))
    with pytest.raises(ValidationError) as err:
        LS.read(path, ReadOptions())
    messages = [str(p) for p in err.value.problems]
    assert any("record 2" in m for m in messages) and any("record 3" in m for m in messages)


def test_malformed_json_names_the_line(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('[\n{"data": {"text": "a"}},\n{"data": \n')
    with pytest.raises(InputFormatError, match="line 4"):
        LS.read(path, ReadOptions())
