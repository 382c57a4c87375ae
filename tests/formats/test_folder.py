"""Folder-per-class layout against the raw BBC News dataset."""
from __future__ import annotations

from collections import Counter

import pytest

from evaluator.errors import InputFormatError
from evaluator.formats import ReadOptions, get_format
from evaluator.records import Record

FOLDER = get_format("folder")
BBC_COUNTS = {"business": 510, "entertainment": 386, "politics": 417, "sport": 511, "tech": 401}


def test_utf8_alone_fails_on_sport_199_naming_the_offset(shared_data):
    with pytest.raises(InputFormatError) as err:
        FOLDER.read(shared_data / "bbc-news" / "bbc", ReadOptions())
    msg = str(err.value)
    assert "bbc/sport/199.txt" in msg and "0xA3" in msg and "offset 257" in msg
    assert "--encoding" in msg


def test_fallback_reads_all_2225(shared_data):
    recs = FOLDER.read(shared_data / "bbc-news" / "bbc", ReadOptions(encoding="utf-8,latin-1"))
    assert len(recs) == 2225
    assert Counter(r.label for r in recs) == BBC_COUNTS
    fell_back = [r.meta["file"] for r in recs if "encoding" in r.meta]
    assert fell_back == ["sport/199.txt"]
    rec = next(r for r in recs if r.meta["file"] == "sport/199.txt")
    raw = (shared_data / "bbc-news" / "bbc" / "sport" / "199.txt").read_bytes()
    assert rec.text == raw.decode("latin-1").strip() and "\u00a3" in rec.text
    assert sum(len(r.text.split()) for r in recs) == 854490


def test_replace_mode(shared_data):
    recs = FOLDER.read(shared_data / "bbc-news" / "bbc", ReadOptions(encoding="utf-8-replace"))
    assert len(recs) == 2225
    assert "\ufffd" in next(r for r in recs if r.meta["file"] == "sport/199.txt").text


def test_round_trip(tmp_path):
    recs = [Record("Goal in the last minute.", label="sport"), Record("Shares fell.", label="business"),
            Record("Another match\n\nwith paragraphs.", label="sport")]
    FOLDER.write(recs, tmp_path / "out", task="textcat")
    back = FOLDER.read(tmp_path / "out", ReadOptions())
    assert sorted((r.label, r.text) for r in back) == sorted((r.label, r.text) for r in recs)
    assert {r.meta["file"] for r in back} == {"business/001.txt", "sport/001.txt", "sport/002.txt"}
