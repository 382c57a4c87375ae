"""In-memory records shared by formats, the database layer, metrics and trainers.

A :class:`Record` is one example as read from a file or the database: its text, optional tokens (character
offsets into the text), character spans (NER) or a category (text classification), the Prodigy-style ``answer``
and free-form ``meta``. Offsets are characters, ``end`` exclusive.
"""
from __future__ import annotations

import gc
import hashlib
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Iterator

from evaluator.unicode_keys import fold

ANSWERS = ("accept", "reject", "ignore")


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    label: str

    def as_list(self) -> list:
        return [self.start, self.end, self.label]


@dataclass(slots=True, unsafe_hash=True)
class Token:
    """A token's character offsets into its text, end exclusive (treat it as immutable).

    Slotted: records hold millions of tokens, and a slotted instance is built 3-4 times faster than a frozen
    dataclass (whose ``__init__`` goes through ``object.__setattr__``) and takes 48 bytes instead of ~150.
    """

    start: int
    end: int


@dataclass
class Record:
    """One example.

    ``tokens`` may be ``None`` when the source has no tokenization; :func:`evaluator.tokenize.ensure_tokens`
    fills them with spaCy's rule-based tokenizer for the workspace language.
    ``line`` is where the record came from in its file (1-based), for error messages.
    """

    text: str
    tokens: list[Token] | None = None
    spans: list[Span] = field(default_factory=list)
    label: str | None = None
    answer: str = "accept"
    meta: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    #: raw token tags as found in a token-tag file (CoNLL, token JSONL), kept for exact scoring; not stored
    tags: list[str] | None = None
    #: database id of the example, when the record was loaded from a workspace
    id: int | None = None

    @cached_property
    def input_hash(self) -> str:
        """:func:`input_hash` of the text, computed once (an import asks for it several times per record)."""
        return input_hash(self.text)

    @cached_property
    def loose_hash(self) -> str:
        """:func:`loose_hash` of the text, computed once."""
        return loose_hash(self.text)

    def token_texts(self) -> list[str]:
        assert self.tokens is not None
        return [self.text[t.start:t.end] for t in self.tokens]


@contextmanager
def bulk_objects() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while millions of small objects (records, tokens, spans) are built.

    Those objects hold no reference cycles, but every 700 new containers start a collection that walks all of
    them again: reading 30,000 records spent three quarters of its time there. Reference counting still frees
    everything as usual; the collector resumes afterwards (it stays off if it was off).
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


_NOT_ALNUM = re.compile(r"[\W_]+")
_ASCII_NOT_ALNUM = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isalnum()))


def _alnum(norm: str) -> str:
    # the ASCII case through str.translate's fast path; the regex for the rest
    return (norm.translate(_ASCII_NOT_ALNUM) if norm.isascii() else _NOT_ALNUM.sub("", norm)) or norm


def normalize_text(text: str) -> str:
    """The text as the leakage guard compares it: NFKC, format characters (zero-width space/joiner, word
    joiner, soft hyphen, BOM, variation selectors) dropped, case-folded, confusable letters folded to Unicode's
    confusable skeleton (UTS #39: a Cyrillic 'а' reads as a Latin 'a'), whitespace collapsed and stripped.

    >>> normalize_text("  Hello\tWORLD ")
    'hello world'
    >>> normalize_text("Ｐ\u0435ter\u200b Parker") == normalize_text("Peter Parker")
    True
    """
    return " ".join(fold(text).split())


def loose_text(text: str) -> str:
    """Letters and digits of the normalized text only, so spacing around punctuation and the punctuation itself
    do not matter (``"Peter , who"`` and ``"Peter, who"`` agree); the normalized text when it has none.

    >>> loose_text("Peter , who left.") == loose_text("Peter, who left")
    True
    """
    return _alnum(normalize_text(text))


def input_hash(text: str) -> str:
    """Stable hash of the normalized text (hex, 16 chars). Used by the leakage guard and to pair records."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()[:16]


def loose_hash(text: str) -> str:
    """Stable hash of :func:`loose_text` (hex, 16 chars): the leakage guard's second key."""
    return hashlib.sha256(loose_text(text).encode("utf-8")).hexdigest()[:16]


def guard_keys(text: str) -> tuple[str, str]:
    """``(input_hash, loose_hash)`` of a text in one pass (the leakage guard compares both)."""
    norm = normalize_text(text)
    loose = _alnum(norm)
    return (hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16],
            hashlib.sha256(loose.encode("utf-8")).hexdigest()[:16])


def text_from_tokens(words: Iterable[str]) -> tuple[str, list[Token]]:
    """Join token strings with single spaces; return the text and the tokens' offsets."""
    parts: list[str] = []
    tokens: list[Token] = []
    pos = 0
    for i, w in enumerate(words):
        if i:
            parts.append(" ")
            pos += 1
        parts.append(w)
        tokens.append(Token(pos, pos + len(w)))
        pos += len(w)
    return "".join(parts), tokens


def spans_to_iob2(tokens: list[Token], spans: Iterable[Span]) -> list[str]:
    """Token-level IOB2 tags for character spans that sit on token boundaries.

    Raises ``ValueError`` naming the span when it does not align.
    """
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    tags = ["O"] * len(tokens)
    for s in sorted(spans):
        i, j = starts.get(s.start), ends.get(s.end)
        if i is None or j is None or j < i:
            raise ValueError(f"span {s.start}-{s.end} {s.label} is not on token boundaries")
        tags[i] = f"B-{s.label}"
        for k in range(i + 1, j + 1):
            tags[k] = f"I-{s.label}"
    return tags


def align_span(tokens: list[Token], span: Span) -> tuple[int, int] | None:
    """Token index range (first, last inclusive) of a span that sits exactly on token boundaries, else None."""
    first = last = None
    for i, t in enumerate(tokens):
        if t.start == span.start:
            first = i
        if t.end == span.end:
            last = i
            break
    if first is None or last is None or last < first:
        return None
    return first, last


def iob2_to_spans(tokens: list[Token], tags: list[str]) -> list[Span]:
    """Character spans from strict IOB2 tags (``I-X`` after ``O`` starts an entity, as conlleval does)."""
    spans: list[Span] = []
    start = label = None
    end = 0
    for tok, tag in zip(tokens, tags):
        prefix, _, lab = tag.partition("-")
        if prefix == "B" or (prefix == "I" and lab != label) or prefix not in ("B", "I"):
            if label is not None:
                spans.append(Span(start, end, label))
                start = label = None
            if prefix in ("B", "I"):
                start, label = tok.start, lab
        end = tok.end
        if prefix in ("B", "I") and start is None:
            start, label = tok.start, lab
    if label is not None:
        spans.append(Span(start, end, label))
    return spans
