"""Comparisons shared by the format tests."""
from __future__ import annotations

from collections import Counter

from evaluator.records import Record


def span_counts(records: list[Record]) -> Counter:
    return Counter(s.label for r in records for s in r.spans)


def span_keys(records: list[Record]) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Text and sorted spans of every record: equal when offsets survive a round trip."""
    return [(r.text, sorted((s.start, s.end, s.label) for s in r.spans)) for r in records]


def span_words(records: list[Record]) -> list[list[tuple[tuple[str, ...], str]]]:
    """Spans as the words they cover: equal when a format re-joins tokens with single spaces (CoNLL)."""
    out = []
    for r in records:
        out.append([(tuple(r.text[s.start:s.end].split()), s.label) for s in sorted(r.spans)])
    return out
