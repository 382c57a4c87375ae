"""CoNLL reader/writer against the real CoNLL-2003 and WNUT-17 files, seqeval and the SOURCE.md counts."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings, strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from evaluator.errors import InputFormatError, ValidationError
from evaluator.formats import ReadOptions, get_format
from evaluator.formats.conll import detect_scheme, spans_to_tags, tags_to_spans
from evaluator.records import Span, text_from_tokens

from .helpers import span_counts, span_keys

CONLL = get_format("conll")


@pytest.fixture(scope="module")
def testb(shared_data):
    return CONLL.read(shared_data / "conll2003" / "eng.testb", ReadOptions())


@pytest.fixture(scope="module")
def wnut_train(shared_data):
    return CONLL.read(shared_data / "wnut17" / "wnut17train.conll", ReadOptions())


def test_conll2003_testb_counts_match_the_shared_task(testb):
    assert len(testb) == 3453
    assert span_counts(testb) == {"LOC": 1668, "MISC": 702, "ORG": 1661, "PER": 1617}
    assert sum(len(r.tokens) for r in testb) == 46435
    # -DOCSTART- lines are document boundaries, never sentences
    assert not any(r.text.startswith("-DOCSTART-") for r in testb)
    assert len({r.meta["doc"] for r in testb}) == 231
    assert {r.meta["scheme"] for r in testb} == {"IOB1"}


def test_conll2003_spans_equal_seqeval_entities(testb):
    for rec in testb:
        ents = get_entities(rec.tags)
        expected = [Span(rec.tokens[i].start, rec.tokens[j].end, label) for label, i, j in ents]
        assert rec.spans == expected, rec.text


def test_conll2003_keeps_the_raw_tag_column(shared_data, testb):
    raw = Counter(line.split()[-1] for line in
                  (shared_data / "conll2003" / "eng.testb").read_text().split("\n")
                  if line.strip() and not line.startswith("-DOCSTART-"))
    assert Counter(t for r in testb for t in r.tags) == raw
    assert all(len(r.tags) == len(r.tokens) for r in testb)


def test_conll2003_train_sentences(shared_data):
    recs = CONLL.read(shared_data / "conll2003" / "eng.train", ReadOptions())
    assert len(recs) == 14041
    assert span_counts(recs) == {"LOC": 7140, "MISC": 3438, "ORG": 6321, "PER": 6600}
    assert len({r.meta["doc"] for r in recs}) == 946


def test_wnut_train_tab_only_lines_separate_sentences(wnut_train):
    assert len(wnut_train) == 3394
    assert sum(len(r.tokens) for r in wnut_train) == 62730
    assert span_counts(wnut_train) == {"person": 660, "location": 548, "group": 264, "corporation": 221,
                                       "product": 142, "creative-work": 140}
    assert {r.meta["scheme"] for r in wnut_train} == {"IOB2"}
    assert all("doc" not in r.meta for r in wnut_train)


@pytest.mark.parametrize("name,counts", [
    ("emerging.dev.conll", {"person": 470, "location": 74, "group": 39, "corporation": 34, "product": 114,
                            "creative-work": 105}),
    ("emerging.test.annotated", {"person": 429, "location": 150, "group": 165, "corporation": 66,
                                 "product": 127, "creative-work": 142}),
])
def test_wnut_dev_and_test_counts(shared_data, name, counts):
    recs = CONLL.read(shared_data / "wnut17" / name, ReadOptions())
    assert span_counts(recs) == counts


@pytest.mark.parametrize("scheme", ["IOB1", "IOB2", "IOBES", "BILOU"])
def test_write_each_scheme_and_read_back(testb, tmp_path, scheme):
    path = tmp_path / f"testb.{scheme}.conll"
    CONLL.write(testb, path, task="ner", scheme=scheme)
    back = CONLL.read(path, ReadOptions())
    assert span_keys(back) == span_keys(testb)
    assert {r.meta["scheme"] for r in back} == {scheme}
    assert [r.meta["doc"] for r in back] == [r.meta["doc"] for r in testb]
    given_scheme = CONLL.read(path, ReadOptions(scheme=scheme))
    assert span_keys(given_scheme) == span_keys(testb)


def test_written_iobes_matches_seqeval_decoding(testb, tmp_path):
    path = tmp_path / "x.conll"
    CONLL.write(testb[:300], path, task="ner", scheme="IOBES")
    for rec in CONLL.read(path, ReadOptions()):
        assert [(rec.tokens[i].start, rec.tokens[j].end, lab) for lab, i, j in get_entities(rec.tags)] == \
            [(s.start, s.end, s.label) for s in rec.spans]


def test_default_write_is_iob2_token_space_tag(tmp_path):
    text, tokens = text_from_tokens(["EU", "rejects", "German", "call"])
    from evaluator.records import Record
    rec = Record(text, tokens=tokens, spans=[Span(0, 2, "ORG"), Span(11, 17, "MISC")])
    path = tmp_path / "a.conll"
    CONLL.write([rec, rec], path, task="ner")
    assert path.read_text() == "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n\n" * 2


def test_space_separated_and_both_docstart_forms(tmp_path):
    path = tmp_path / "mini.conll"
    path.write_text("-DOCSTART- -X- O O\n\nEU NNP B-NP I-ORG\nrejects VBZ B-VP O\n \n"
                    "-DOCSTART- -X- -X- O\n\nPeter NNP B-NP I-PER\nBlackburn NNP I-NP I-PER\n\n\n")
    recs = CONLL.read(path, ReadOptions())
    assert [r.text for r in recs] == ["EU rejects", "Peter Blackburn"]
    assert [r.meta["doc"] for r in recs] == [0, 1]
    assert [r.spans for r in recs] == [[Span(0, 2, "ORG")], [Span(0, 15, "PER")]]
    assert recs[0].line == 3


def test_invalid_tags_name_their_lines(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_text("a O\nb X-FOO\n\nc B-PER\nd I-\n")
    with pytest.raises(ValidationError) as err:
        CONLL.read(path, ReadOptions())
    lines = sorted(p.line for p in err.value.problems)
    assert lines == [2, 5]
    assert "X-FOO" in str(err.value)


def test_single_invalid_tag_is_one_input_format_error(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_text("a O\nb X-FOO\n")
    with pytest.raises(InputFormatError, match="line 2"):
        CONLL.read(path, ReadOptions())


def test_given_scheme_rejects_foreign_prefixes(tmp_path):
    path = tmp_path / "x.conll"
    path.write_text("a S-PER\nb O\n")
    with pytest.raises(InputFormatError, match="IOB2"):
        CONLL.read(path, ReadOptions(scheme="IOB2"))
    assert CONLL.read(path, ReadOptions())[0].meta["scheme"] == "IOBES"


def test_tag_column_option(tmp_path):
    path = tmp_path / "x.conll"
    path.write_text("EU I-ORG NNP\nsays O VBZ\n")
    recs = CONLL.read(path, ReadOptions(tag_column=1))
    assert recs[0].spans == [Span(0, 2, "ORG")]


def test_detect_scheme_rules():
    assert detect_scheme([["B-PER", "I-PER", "O", "B-LOC"]]) == "IOB2"
    assert detect_scheme([["O", "I-PER"]]) == "IOB1"
    assert detect_scheme([["I-PER", "B-PER"]]) == "IOB1"
    assert detect_scheme([["B-PER", "E-PER", "S-LOC"]]) == "IOBES"
    assert detect_scheme([["U-PER", "B-LOC", "L-LOC"]]) == "BILOU"
    assert detect_scheme([["O", "O"]]) == "IOB2"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["PER", "LOC"])), max_size=12),
       st.sampled_from(["IOB1", "IOB2", "IOBES", "BILOU"]))
def test_tags_round_trip_in_every_scheme(pieces, scheme):
    # pieces: (length, label); length 0 is an O token, so adjacent same-type entities occur
    words, spans = [], []
    for length, label in pieces:
        if length == 0:
            words.append("o")
            continue
        words.extend(["w"] * length)
    text, tokens = text_from_tokens(words)
    i = 0
    for length, label in pieces:
        if length == 0:
            i += 1
            continue
        spans.append(Span(tokens[i].start, tokens[i + length - 1].end, label))
        i += length
    tags = spans_to_tags(tokens, spans, scheme=scheme)
    assert tags_to_spans(tokens, tags) == spans
    if scheme == "IOB2":
        assert [(tokens[a].start, tokens[b].end, lab) for lab, a, b in get_entities(tags)] == \
            [(s.start, s.end, s.label) for s in spans]


def test_a_line_with_a_different_number_of_columns_is_refused(tmp_path):
    # three columns on most lines, four on one: the last column of that line is not the tag column of the others
    path = tmp_path / "mixed.conll"
    path.write_text("EU NNP B-ORG\nrejects VBZ O\n\nGerman JJ B-MISC\ncall NN O O\nit PRP O\n")
    with pytest.raises(InputFormatError, match=r"line 5: line has 4 columns but the other token lines have 3"):
        CONLL.read(path, ReadOptions())


def test_real_files_have_one_width_and_still_read(shared_data):
    # WNUT-17 (2 tab-separated columns, tab-only breaks) and CoNLL-2003 (4 columns, -DOCSTART- lines) pass the check
    assert len(CONLL.read(shared_data / "wnut17" / "emerging.dev.conll", ReadOptions())) > 1000
    assert len(CONLL.read(shared_data / "conll2003" / "eng.testa", ReadOptions())) == 3250
