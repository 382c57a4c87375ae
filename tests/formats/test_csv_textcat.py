"""CSV and textcat JSONL against AG News (headerless) and the Kaggle BBC CSV."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from evaluator.errors import InputFormatError, ValidationError
from evaluator.formats import ReadOptions, get_format
from evaluator.records import Record

CSV = get_format("csv")
TJSONL = get_format("textcat-jsonl")
AG_MAP = {"1": "World", "2": "Sports", "3": "Business", "4": "Sci/Tech"}


def test_ag_news_headerless_with_label_map(shared_data):
    recs = CSV.read(shared_data / "ag-news" / "test.csv", ReadOptions(has_header=False, label_map=AG_MAP))
    assert len(recs) == 7600
    assert Counter(r.label for r in recs) == {"World": 1900, "Sports": 1900, "Business": 1900, "Sci/Tech": 1900}
    # text = title + " " + description
    assert recs[0].text.startswith("Fears for T N pension after talks Unions representing workers")
    assert sum(len(r.text.split()) for r in recs) == 286690
    assert recs[-1].line == 7600


def test_ag_news_positions_can_be_given(shared_data):
    recs = CSV.read(shared_data / "ag-news" / "test.csv",
                    ReadOptions(has_header=False, text_column="1", label_column="0"))
    assert recs[0].text == "Fears for T N pension after talks" and recs[0].label == "3"


def test_bbc_kaggle_named_columns(shared_data):
    recs = CSV.read(shared_data / "bbc-news" / "kaggle" / "BBC News Train.csv",
                    ReadOptions(text_column="Text", label_column="Category"))
    assert len(recs) == 1490
    assert Counter(r.label for r in recs) == {"sport": 346, "business": 336, "politics": 274,
                                              "entertainment": 273, "tech": 261}
    assert len({r.meta["ArticleId"] for r in recs}) == 1490


def test_missing_column_lists_the_available_ones(shared_data):
    with pytest.raises(InputFormatError) as err:
        CSV.read(shared_data / "bbc-news" / "kaggle" / "BBC News Train.csv", ReadOptions())
    assert "'ArticleId', 'Text', 'Category'" in str(err.value)


def test_unmapped_label_and_short_row(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('"1","a title","a body"\n"9","t","b"\n"2","only two"\n')
    with pytest.raises(ValidationError) as err:
        CSV.read(path, ReadOptions(has_header=False, label_map=AG_MAP, text_column="1,2"))
    assert sorted(p.line for p in err.value.problems) == [2, 3]


def test_csv_and_jsonl_round_trip(tmp_path):
    recs = [Record('He said "hi", then left\nlater', label="World"), Record("Goal!", label="Sports")]
    CSV.write(recs, tmp_path / "x.csv", task="textcat")
    back = CSV.read(tmp_path / "x.csv", ReadOptions())
    assert [(r.text, r.label) for r in back] == [(r.text, r.label) for r in recs]
    TJSONL.write(recs, tmp_path / "x.jsonl", task="textcat")
    back = TJSONL.read(tmp_path / "x.jsonl", ReadOptions())
    assert [(r.text, r.label) for r in back] == [(r.text, r.label) for r in recs]


def test_textcat_jsonl_configurable_keys(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"sentence": "great", "y": 1, "source": "web"}) + "\n")
    [rec] = TJSONL.read(path, ReadOptions(text_column="sentence", label_column="y", label_map={"1": "pos"}))
    assert (rec.text, rec.label, rec.meta) == ("great", "pos", {"source": "web"})


def test_headerless_needs_positions(tmp_path):
    from evaluator.errors import ConfigError
    path = tmp_path / "x.csv"
    path.write_text("1,a\n")
    with pytest.raises(ConfigError, match="position"):
        CSV.read(path, ReadOptions(has_header=False, text_column="title"))


def test_rows_without_label_are_unlabeled(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("text,label\nhello,greeting\nno label here,\n")
    recs = CSV.read(path, ReadOptions())
    assert [(r.label, r.answer) for r in recs] == [("greeting", "accept"), (None, "unlabeled")]
    pool = CSV.read(path, ReadOptions(label_column=""))
    assert {r.answer for r in pool} == {"unlabeled"}
    TJSONL.write(recs, tmp_path / "x.jsonl", task="textcat")
    assert [(r.label, r.answer) for r in TJSONL.read(tmp_path / "x.jsonl", ReadOptions())] == \
        [("greeting", "accept"), (None, "unlabeled")]
