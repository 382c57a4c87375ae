"""Format registry and detection by path and first line."""
from __future__ import annotations

import json

import pytest

from evaluator.errors import ConfigError
from evaluator.formats import ReadOptions, detect_format, get_format, list_formats

NAMES = {"prodigy-jsonl", "conll", "spacy-docbin", "doccano-jsonl", "labelstudio", "csv", "textcat-jsonl",
         "folder", "token-jsonl"}


def test_all_formats_registered_with_descriptions():
    formats = list_formats()
    assert {f.name for f in formats} == NAMES
    for f in formats:
        assert f.task in ("ner", "textcat", "both") and f.description


def test_unknown_format_lists_the_known_ones():
    with pytest.raises(ConfigError, match="prodigy-jsonl"):
        get_format("brat")


def test_detect_real_files(shared_data):
    assert detect_format(shared_data / "conll2003" / "eng.testb").name == "conll"
    assert detect_format(shared_data / "wnut17" / "wnut17train.conll").name == "conll"
    assert detect_format(shared_data / "wnut17" / "emerging.test.annotated").name == "conll"
    assert detect_format(shared_data / "prodigy-drugs" / "drugs_eval.jsonl").name == "prodigy-jsonl"
    assert detect_format(shared_data / "doccano-example" / "sequence_labeling_example.jsonl").name == "doccano-jsonl"
    assert detect_format(shared_data / "bbc-news" / "bbc").name == "folder"
    assert detect_format(shared_data / "ag-news" / "test.csv").name == "csv"


@pytest.mark.parametrize("row,name", [
    ({"tokens": ["a"], "tags": ["O"]}, "token-jsonl"),
    ({"text": "a", "label": "x"}, "textcat-jsonl"),
    ({"text": "a", "label": "x", "answer": "accept"}, "prodigy-jsonl"),
    ({"text": "a", "options": [{"id": "x"}], "accept": ["x"]}, "prodigy-jsonl"),
    ({"text": "a", "labels": [{"start_offset": 0, "end_offset": 1, "label": "X"}]}, "doccano-jsonl"),
    ({"text": "a", "label": [[0, 1, "X"]]}, "doccano-jsonl"),
])
def test_detect_jsonl_by_first_line(tmp_path, row, name):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(row).encode() + b"\n")
    fmt = detect_format(path)
    assert fmt.name == name
    assert len(fmt.read(path, ReadOptions())) == 1


def test_parse_label_map():
    from evaluator.errors import ConfigError
    from evaluator.formats import parse_label_map

    assert parse_label_map("1=World, 2=Sports,4=Sci/Tech,") == {"1": "World", "2": "Sports", "4": "Sci/Tech"}
    assert parse_label_map("") == {}
    for bad in ("1:World", "=World", "1=", "1=World 2=Sports"):  # the last one misses a comma
        with pytest.raises(ConfigError, match="label map"):
            parse_label_map(bad)
