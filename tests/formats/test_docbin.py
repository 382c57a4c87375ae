"""spaCy DocBin: write from real Prodigy data and CoNLL, read back, compare with spaCy's own view."""
from __future__ import annotations

import pytest

from evaluator.errors import InputFormatError
from evaluator.formats import ReadOptions, get_format
from evaluator.records import Record, Token

from .helpers import span_keys

DOCBIN = get_format("spacy-docbin")


def test_ner_round_trip_keeps_tokens_and_spans(shared_data, tmp_path):
    fashion = get_format("prodigy-jsonl").read(
        shared_data / "prodigy-fashion-brands" / "fashion_brands_eval.jsonl", ReadOptions())
    path = tmp_path / "x.spacy"
    DOCBIN.write(fashion, path, task="ner")
    back = DOCBIN.read(path, ReadOptions())
    assert span_keys(back) == span_keys(fashion)
    assert [r.tokens for r in back] == [r.tokens for r in fashion]
    assert [r.meta["section"] for r in back] == [r.meta["section"] for r in fashion]

    import spacy
    from spacy.tokens import DocBin
    docs = list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))
    assert sum(len(d.ents) for d in docs) == 238


def test_odd_whitespace_between_tokens_survives(tmp_path):
    text = "  Nike\n\nshoes  rock "
    rec = Record(text, tokens=[Token(2, 6), Token(8, 13), Token(15, 19)])
    from evaluator.records import Span
    rec.spans = [Span(2, 6, "BRAND")]
    path = tmp_path / "x.spacy"
    DOCBIN.write([rec], path, task="ner")
    [back] = DOCBIN.read(path, ReadOptions())
    assert back.text == text and back.spans == rec.spans
    assert {(t.start, t.end) for t in rec.tokens} <= {(t.start, t.end) for t in back.tokens}


def test_textcat_one_hot_cats(tmp_path):
    recs = [Record("great match", label="sport"), Record("stocks fell", label="business"), Record("goal", label="sport")]
    path = tmp_path / "cats.spacy"
    DOCBIN.write(recs, path, task="textcat")
    import spacy
    from spacy.tokens import DocBin
    docs = list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))
    assert docs[1].cats == {"business": 1.0, "sport": 0.0}
    assert [r.label for r in DOCBIN.read(path, ReadOptions())] == ["sport", "business", "sport"]


def test_not_a_docbin(tmp_path):
    path = tmp_path / "x.spacy"
    path.write_bytes(b"this is not msgpack")
    with pytest.raises(InputFormatError, match="not a spaCy DocBin"):
        DOCBIN.read(path, ReadOptions())


def test_textcat_unlabeled_text_reads_back_without_a_category(tmp_path):
    fmt = get_format("spacy-docbin")
    recs = [Record("Stocks fell today .", label="business"), Record("Nobody labeled this .", answer="unlabeled")]
    fmt.write(recs, tmp_path / "t.spacy", task="textcat")
    back = fmt.read(tmp_path / "t.spacy", ReadOptions())
    assert [(r.label, r.answer) for r in back] == [("business", "accept"), (None, "unlabeled")]
