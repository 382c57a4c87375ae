"""Prodigy JSONL against the real explosion/projects exports."""
from __future__ import annotations

import json

import pytest

from evaluator.errors import InputFormatError
from evaluator.formats import ReadOptions, get_format

from .helpers import span_counts, span_keys

PRODIGY = get_format("prodigy-jsonl")


@pytest.fixture(scope="module")
def fashion(shared_data):
    return PRODIGY.read(shared_data / "prodigy-fashion-brands" / "fashion_brands_eval.jsonl", ReadOptions())


def test_fashion_eval_counts(fashion, shared_data):
    assert len(fashion) == 500
    assert span_counts(fashion) == {"FASHION_BRAND": 238}
    assert sum(1 for r in fashion if r.spans) == 129
    assert sum(len(r.tokens) for r in fashion) == 23114
    assert {r.answer for r in fashion} == {"accept"}
    first = json.loads((shared_data / "prodigy-fashion-brands" / "fashion_brands_eval.jsonl")
                       .read_text(encoding="utf-8").split("\n")[0])
    assert fashion[0].meta["section"] == first["meta"]["section"]
    assert fashion[0].meta["_input_hash"] == first["_input_hash"]
    assert fashion[0].line == 1


def test_drugs_eval_counts(shared_data):
    recs = PRODIGY.read(shared_data / "prodigy-drugs" / "drugs_eval.jsonl", ReadOptions())
    assert len(recs) == 500
    assert span_counts(recs) == {"DRUG": 362}
    assert sum(1 for r in recs if r.spans) == 143


def test_export_and_reimport_gives_identical_spans(fashion, tmp_path, shared_data):
    path = tmp_path / "out.jsonl"
    PRODIGY.write(fashion, path, task="ner")
    back = PRODIGY.read(path, ReadOptions())
    assert span_keys(back) == span_keys(fashion)
    assert [r.tokens for r in back] == [r.tokens for r in fashion]
    # token_start/token_end written as Prodigy does (token_end inclusive), hashes kept
    src = [json.loads(x) for x in (shared_data / "prodigy-fashion-brands" / "fashion_brands_eval.jsonl")
           .read_text(encoding="utf-8").splitlines()]
    out = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    for a, b in zip(src, out):
        assert [(s["start"], s["end"], s["token_start"], s["token_end"]) for s in sorted(
            a["spans"], key=lambda s: s["start"])] == \
            [(s["start"], s["end"], s["token_start"], s["token_end"]) for s in b["spans"]]
        assert a["_input_hash"] == b["_input_hash"] and a["answer"] == b["answer"] and a["meta"] == b["meta"]


def test_reject_and_ignore_are_kept_with_their_answer(tmp_path):
    path = tmp_path / "x.jsonl"
    rows = [{"text": "Nike shoes", "spans": [{"start": 0, "end": 4, "label": "BRAND"}], "answer": a}
            for a in ("accept", "reject", "ignore")]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recs = PRODIGY.read(path, ReadOptions())
    assert [r.answer for r in recs] == ["accept", "reject", "ignore"]
    assert all(r.spans and r.tokens for r in recs)


def test_textcat_label_and_choice_forms(tmp_path):
    path = tmp_path / "x.jsonl"
    rows = [
        {"text": "great match", "label": "SPORTS", "answer": "accept"},
        {"text": "shares fell", "label": "SPORTS", "answer": "reject"},
        {"text": "new phone", "options": [{"id": "TECH", "text": "Tech"}, {"id": "SPORTS", "text": "Sports"}],
         "accept": ["TECH"], "answer": "accept"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recs = PRODIGY.read(path, ReadOptions())
    assert [(r.label, r.answer) for r in recs] == [("SPORTS", "accept"), ("SPORTS", "reject"), ("TECH", "accept")]
    out = tmp_path / "out.jsonl"
    PRODIGY.write(recs, out, task="textcat")
    written = [json.loads(x) for x in out.read_text().splitlines()]
    assert written[2]["accept"] == ["TECH"] and {o["id"] for o in written[2]["options"]} == {"SPORTS", "TECH"}
    assert [(r.label, r.answer) for r in PRODIGY.read(out, ReadOptions())] == \
        [(r.label, r.answer) for r in recs]


def test_two_accepted_options_are_an_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"text": "a", "options": [{"id": "A"}, {"id": "B"}], "accept": ["A", "B"]}) + "\n")
    with pytest.raises(InputFormatError, match="line 1.*2 options accepted"):
        PRODIGY.read(path, ReadOptions())


def test_unknown_answer_is_an_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"text": "a b", "answer": "maybe"}) + "\n")
    with pytest.raises(InputFormatError, match="unknown answer 'maybe'"):
        PRODIGY.read(path, ReadOptions())


def test_token_indices_that_disagree_with_offsets_are_reported(tmp_path):
    path = tmp_path / "x.jsonl"
    tokens = [{"text": "Nike", "start": 0, "end": 4, "id": 0}, {"text": "shoes", "start": 5, "end": 10, "id": 1}]
    row = {"text": "Nike shoes", "tokens": tokens,
           "spans": [{"start": 0, "end": 4, "label": "B", "token_start": 1, "token_end": 1}]}
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(InputFormatError, match="token_start/token_end"):
        PRODIGY.read(path, ReadOptions())


def test_raw_input_tasks_are_unlabeled_and_written_without_answer(tmp_path):
    path = tmp_path / "x.jsonl"
    rows = [{"text": "just a text", "meta": {"source": "web"}},
            {"text": "Nike shoes", "spans": [{"start": 0, "end": 4, "label": "BRAND"}]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recs = PRODIGY.read(path, ReadOptions())
    assert [r.answer for r in recs] == ["unlabeled", "accept"]
    out = tmp_path / "out.jsonl"
    PRODIGY.write(recs, out, task="ner")
    written = [json.loads(x) for x in out.read_text().splitlines()]
    assert "answer" not in written[0] and written[1]["answer"] == "accept"
    assert [r.answer for r in PRODIGY.read(out, ReadOptions())] == ["unlabeled", "accept"]
