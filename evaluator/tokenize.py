"""Rule-based tokenization for records that come without tokens.

Uses ``spacy.blank(lang).tokenizer`` (no model download needed), cached per language. Tokens are character
offsets into the text, exactly as spaCy's ``Doc`` has them (whitespace tokens included), so that spans that sit
on these tokens also sit on the tokens of a ``Doc`` built from the same text.

>>> from evaluator.records import Record
>>> [r] = ensure_tokens([Record("Hello world!")])
>>> r.token_texts()
['Hello', 'world', '!']
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable, Sequence

from evaluator.errors import ConfigError
from evaluator.records import Record, Token

__all__ = ["ensure_tokens", "nlp_for", "tokenize_texts", "tokenizer", "tokens_from_doc"]


@lru_cache(maxsize=None)
def nlp_for(lang: str = "en") -> Any:
    """A blank spaCy pipeline for ``lang`` (cached; do not add pipes to it)."""
    import spacy

    try:
        return spacy.blank(lang)
    except (ImportError, KeyError, ValueError) as err:  # spaCy raises ImportError for unknown languages
        raise ConfigError(f"spaCy has no tokenizer for language {lang!r} ({err}).",
                          hint="use an ISO code spaCy supports, e.g. en, de, fr, es, nl, xx") from None


def tokenizer(lang: str = "en") -> Any:
    """spaCy's rule-based tokenizer for ``lang`` (cached per language)."""
    return nlp_for(lang).tokenizer


def tokens_from_doc(doc: Any) -> list[Token]:
    """Character offsets of a spaCy ``Doc``'s tokens."""
    return [Token(t.idx, t.idx + len(t)) for t in doc]


def tokenize_texts(texts: Iterable[str], *, lang: str = "en", batch_size: int = 1000) -> list[list[Token]]:
    """Tokens of each text, in order."""
    tok = tokenizer(lang)
    return [tokens_from_doc(doc) for doc in tok.pipe(texts, batch_size=batch_size)]


def ensure_tokens(records: Sequence[Record], *, lang: str = "en") -> Sequence[Record]:
    """Fill ``tokens`` of the records that have none (in place); returns ``records``."""
    todo = [r for r in records if r.tokens is None]
    if todo:
        for rec, toks in zip(todo, tokenize_texts((r.text for r in todo), lang=lang)):
            rec.tokens = toks
    return records
