"""Records -> spaCy Docs keep the record's text and tokens exactly."""
from __future__ import annotations

import spacy
from hypothesis import given, settings, strategies as st

from evaluator.records import Record, Span, Token
from evaluator.training.docs import record_to_doc, set_entities, words_from_tokens

NLP = spacy.blank("en")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text("abcXY.'", min_size=1, max_size=5), st.sampled_from(["", " ", "  ", "\n", " \t "])),
                min_size=1, max_size=12), st.sampled_from(["", " ", "\n "]))
def test_doc_text_and_tokens_match_the_record(parts, lead):
    text, tokens, pos = lead, [], len(lead)
    for word, gap in parts:
        tokens.append(Token(pos, pos + len(word)))
        text += word + gap
        pos += len(word) + len(gap)
    doc = record_to_doc(Record(text, tokens=tokens), NLP)
    assert doc.text == text
    # every record token is a doc token with the same offsets (extra tokens are whitespace only)
    doc_tokens = {(t.idx, t.idx + len(t)) for t in doc}
    assert {(t.start, t.end) for t in tokens} <= doc_tokens
    assert all(t.is_space for t in doc if (t.idx, t.idx + len(t)) not in {(x.start, x.end) for x in tokens})


def test_uncovered_text_falls_back_to_the_tokenizer():
    assert words_from_tokens("ab cd", [Token(0, 2)]) is None
    doc = record_to_doc(Record("ab cd", tokens=[Token(0, 2)]), NLP)
    assert [t.text for t in doc] == ["ab", "cd"]


def test_entities_expand_and_overlaps_are_reported():
    rec = Record("New York City is big", spans=[Span(0, 8, "LOC"), Span(4, 16, "LOC"), Span(18, 19, "X")], line=7)
    warnings: list[str] = []
    doc = set_entities(NLP.make_doc(rec.text), rec, warnings)
    assert [(e.text, e.label_) for e in doc.ents] == [("York City is", "LOC"), ("big", "X")]
    assert any("line 7" in w and "expanded" in w for w in warnings)
    assert any("overlapping" in w for w in warnings)
    # tokens outside entities are explicitly outside (negative evidence), not missing
    assert doc[0].ent_iob_ == "O"
