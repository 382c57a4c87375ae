"""evaluator.tokenize: spaCy's rule-based tokenizer, cached per language."""
from __future__ import annotations

import spacy

from evaluator.records import Record, Token
from evaluator.tokenize import ensure_tokens, tokenizer


def test_ensure_tokens_matches_spacy_and_keeps_existing_tokens():
    texts = ["EU rejects German call to boycott British lamb.", "Don't  stop\n\nnow!", ""]
    recs = [Record(t) for t in texts] + [Record("keep me", tokens=[Token(0, 7)])]
    assert ensure_tokens(recs, lang="en") is recs
    nlp = spacy.blank("en")
    for rec, text in zip(recs, texts):
        assert [(t.start, t.end) for t in rec.tokens] == [(t.idx, t.idx + len(t)) for t in nlp.make_doc(text)]
    assert recs[3].tokens == [Token(0, 7)]


def test_tokenizer_is_cached_per_language():
    assert tokenizer("en") is tokenizer("en")
    assert tokenizer("de") is not tokenizer("en")
