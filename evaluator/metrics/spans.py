"""NER counts from character spans (Prodigy, doccano, spaCy, the workspace), mapped onto the gold tokens.

A predicted span whose start and end sit on gold token boundaries becomes the token range it covers; it is a
true positive when a gold entity has the same range and label. A predicted span that does *not* sit on the gold
token boundaries can never match: it is a false positive for its label and is counted in ``misaligned`` (spaCy's
scorer drops such spans, which can hide missed entities). Nothing is dropped.

Entities are explicit here, so the default and strict modes give the same numbers; the mode is only recorded.
"""
from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np

from evaluator.errors import InputFormatError
from evaluator.metrics.aggregate import FN, FP, TP
from evaluator.metrics.ner import NerCounts, normalize_mode, normalize_scheme
from evaluator.records import Record


def _where(rec: Record, n: int, what: str) -> str:
    return f"{what} record {n}" + (f" (line {rec.line})" if rec.line is not None else "")


def ner_counts_from_spans(gold: Sequence[Record], pred: Sequence[Record], *, mode: str = "default",
                          scheme: str | None = None, lang: str = "en") -> NerCounts:
    """Per-document counts of predicted character spans against gold records, paired by position.

    Gold records need tokens (records without are tokenized with spaCy's rule-based tokenizer for ``lang``)
    and spans on those tokens. ``pred[d]`` must have the same text as ``gold[d]``; its own tokens are ignored.

    >>> from evaluator.records import Span, text_from_tokens
    >>> text, toks = text_from_tokens(["Ada", "Lovelace", "wrote"])
    >>> g = Record(text, tokens=toks, spans=[Span(0, 12, "PER")])
    >>> p = Record(text, spans=[Span(0, 7, "PER")])          # ends inside "Lovelace"
    >>> c = ner_counts_from_spans([g], [p])
    >>> c.counts.sum(axis=0).tolist(), int(c.misaligned.sum())
    ([[0, 1, 1]], 1)
    """
    mode = normalize_mode(mode)
    scheme = normalize_scheme(scheme) if mode == "strict" else None
    if len(gold) != len(pred):
        raise InputFormatError(f"{len(gold)} gold records but {len(pred)} predictions",
                               hint="predict on exactly the gold texts")
    missing = [g for g in gold if g.tokens is None]
    if missing:
        from evaluator.tokenize import ensure_tokens

        ensure_tokens(missing, lang=lang)

    n_docs = len(gold)
    gold_rows: list[tuple[int, str, int, int]] = []
    pred_rows: list[tuple[int, str, int, int, int, int]] = []
    tokens = np.zeros(n_docs, dtype=np.int64)
    correct = np.zeros(n_docs, dtype=np.int64)
    misaligned = np.zeros(n_docs, dtype=np.int64)
    for d, (g, p) in enumerate(zip(gold, pred)):
        if p.text != g.text:
            raise InputFormatError(
                f"{_where(p, d + 1, 'predicted')} has a different text than {_where(g, d + 1, 'gold')}: "
                f"{p.text[:40]!r} vs {g.text[:40]!r}",
                hint="predict on exactly the gold texts, in the same order (or matched by text)")
        toks = g.tokens
        starts = {t.start: i for i, t in enumerate(toks)}
        ends = {t.end: i for i, t in enumerate(toks)}
        tok_starts = [t.start for t in toks]
        tok_ends = [t.end for t in toks]
        gold_set: set[tuple[str, int, int]] = set()
        gold_tags = ["O"] * len(toks)
        for s in sorted(g.spans):
            i, j = starts.get(s.start), ends.get(s.end)
            if i is None or j is None or j < i:
                raise InputFormatError(
                    f"{_where(g, d + 1, 'gold')}: span {s.start}-{s.end} {s.label!r} is not on token boundaries",
                    hint="fix the gold offsets, or import the gold set with --snap-spans")
            if (s.label, i, j + 1) not in gold_set:
                gold_set.add((s.label, i, j + 1))
                gold_rows.append((d, s.label, i, j + 1))
                gold_tags[i:j + 1] = [f"B-{s.label}"] + [f"I-{s.label}"] * (j - i)
        pred_tags = ["O"] * len(toks)
        used: set[tuple[str, int, int]] = set()
        for s in sorted(p.spans):
            i, j = starts.get(s.start), ends.get(s.end)
            aligned = i is not None and j is not None and j >= i
            # bit 1: the start is on a token start, bit 2: the end is on a token end (3 = aligned)
            flags = 3 if aligned else (1 if i is not None else 0) | (2 if j is not None else 0)
            if aligned:
                first, stop = i, j + 1
            else:
                # tokens the span overlaps (for token accuracy and the partial-match view)
                first = bisect.bisect_right(tok_ends, s.start)
                stop = max(bisect.bisect_left(tok_starts, s.end), first)
                misaligned[d] += 1
            key = (s.label, first, stop)
            hit = aligned and key in gold_set and key not in used
            if hit:
                used.add(key)
            pred_rows.append((d, s.label, first, stop, int(hit), flags))
            if stop > first:
                pred_tags[first:stop] = [f"B-{s.label}"] + [f"I-{s.label}"] * (stop - first - 1)
        tokens[d] = len(toks)
        correct[d] = sum(a == b for a, b in zip(gold_tags, pred_tags))

    labels = sorted({r[1] for r in gold_rows} | {r[1] for r in pred_rows})
    lab_id = {lab: k for k, lab in enumerate(labels)}
    counts = np.zeros((n_docs, len(labels), 3), dtype=np.int64)
    for d, lab, _, _ in gold_rows:
        counts[d, lab_id[lab], FN] += 1
    for d, lab, _, _, hit, _ in pred_rows:
        if hit:
            counts[d, lab_id[lab], TP] += 1
            counts[d, lab_id[lab], FN] -= 1
        else:
            counts[d, lab_id[lab], FP] += 1
    gold_entities = (np.array([(d, lab_id[lab], a, b) for d, lab, a, b in gold_rows], dtype=np.int64)
                     if gold_rows else np.zeros((0, 4), dtype=np.int64))
    pred_entities = (np.array([(d, lab_id[lab], a, b, h, al) for d, lab, a, b, h, al in pred_rows], dtype=np.int64)
                     if pred_rows else np.zeros((0, 6), dtype=np.int64))
    return NerCounts(labels=labels, counts=counts, tokens=tokens, correct=correct, misaligned=misaligned,
                     mode=mode, scheme=scheme, gold_entities=gold_entities, pred_entities=pred_entities)
