"""Token/tag JSONL: read, write, and agreement with the CoNLL reader on real data."""
from __future__ import annotations

import json

import pytest

from evaluator.errors import ValidationError
from evaluator.formats import ReadOptions, get_format

from .helpers import span_keys

TOK = get_format("token-jsonl")


def test_round_trip_from_wnut(shared_data, tmp_path):
    wnut = get_format("conll").read(shared_data / "wnut17" / "emerging.dev.conll", ReadOptions())
    path = tmp_path / "x.jsonl"
    TOK.write(wnut, path, task="ner")
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert first["tokens"] == wnut[0].token_texts() and first["tags"] == wnut[0].tags
    back = TOK.read(path, ReadOptions())
    assert span_keys(back) == span_keys(wnut)
    assert [r.tags for r in back] == [r.tags for r in wnut]


def test_bad_rows(tmp_path):
    path = tmp_path / "x.jsonl"
    rows = [{"tokens": ["a", "b"], "tags": ["O"]}, {"tokens": ["a"], "tags": ["Q-X"]},
            {"tokens": ["a"], "tags": ["B-X"]}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with pytest.raises(ValidationError) as err:
        TOK.read(path, ReadOptions())
    assert sorted(p.line for p in err.value.problems) == [1, 2]
