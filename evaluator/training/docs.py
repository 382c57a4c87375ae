"""Records <-> spaCy ``Doc`` objects, keeping the record's own tokenization when it has one.

Training and prediction both go through :func:`record_to_doc`, so a model sees the same tokens when it learns and
when it predicts, and predicted character offsets refer to the record's text.
"""
from __future__ import annotations

from typing import Sequence

from spacy.tokens import Doc
from spacy.util import filter_spans
from spacy.vocab import Vocab

from evaluator.records import Record


def words_from_tokens(text: str, tokens: Sequence) -> tuple[list[str], list[bool]] | None:
    """spaCy ``words``/``spaces`` that reproduce ``text`` exactly from character tokens, or None.

    Whitespace between tokens becomes ``spaces`` (one space) plus whitespace tokens (the rest), as spaCy's own
    tokenizer does; text not covered by any token (other than whitespace) makes this return None.
    """
    words: list[str] = []
    spaces: list[bool] = []
    pos = 0
    for t in tokens:
        if t.start < pos or t.end <= t.start or t.end > len(text):
            return None
        gap = text[pos:t.start]
        if gap:
            if not gap.isspace():
                return None
            if words and gap.startswith(" ") and not spaces[-1]:
                spaces[-1] = True
                gap = gap[1:]
            if gap:
                words.append(gap)
                spaces.append(False)
        words.append(text[t.start:t.end])
        spaces.append(False)
        pos = t.end
    tail = text[pos:]
    if tail:
        if not tail.isspace():
            return None
        if words and tail.startswith(" ") and not spaces[-1]:
            spaces[-1] = True
            tail = tail[1:]
        if tail:
            words.append(tail)
            spaces.append(False)
    return words, spaces


def record_to_doc(record: Record, nlp) -> Doc:
    """A ``Doc`` with exactly ``record.text``: from the record's tokens when they cover the text, else ``nlp``'s
    tokenizer."""
    if record.tokens:
        ws = words_from_tokens(record.text, record.tokens)
        if ws is not None:
            doc = Doc(nlp.vocab if not isinstance(nlp, Vocab) else nlp, words=ws[0], spaces=ws[1])
            if doc.text == record.text:
                return doc
    return nlp.make_doc(record.text)


def set_entities(doc: Doc, record: Record, warnings: list[str]) -> Doc:
    """Put the record's spans on ``doc.ents`` (other tokens become "outside").

    Spans that do not sit on token boundaries are expanded to the enclosing tokens; overlapping spans keep the
    longest. Both are reported in ``warnings`` (one line per record, with its line number when known).
    """
    where = f"line {record.line}" if record.line else f"text {record.text[:40]!r}"
    ents = []
    for s in record.spans:
        span = doc.char_span(s.start, s.end, label=s.label)
        if span is None:
            span = doc.char_span(s.start, s.end, label=s.label, alignment_mode="expand")
            if span is None or len(span) == 0:
                warnings.append(f"{where}: span {s.start}-{s.end} {s.label} covers no token; skipped")
                continue
            warnings.append(f"{where}: span {s.start}-{s.end} {s.label} expanded to token boundaries "
                            f"{span.start_char}-{span.end_char}")
        ents.append(span)
    kept = filter_spans(ents)
    if len(kept) < len(ents):
        warnings.append(f"{where}: {len(ents) - len(kept)} overlapping span(s) dropped (kept the longest)")
    doc.ents = kept
    return doc
