"""Test oracle: the entity diff computed from the metrics engine's token-level entity arrays.

`evaluator.metrics.diff.example_diff` (character spans, flat rows) must agree with it on gold/lost/gained and
on false positives; it is kept here, independent of the code under test.

>>> from evaluator.metrics import ner_counts
>>> gold = [["B-PER", "O", "B-LOC"]]
>>> a = ner_counts(gold, [["B-PER", "O", "O"]])
>>> b = ner_counts(gold, [["O", "O", "B-LOC"]])
>>> [(r["change"], r["label"]) for r in entity_diff(a, b)]
[('lost', 'PER'), ('gained', 'LOC')]
"""
from __future__ import annotations

from typing import Any

from evaluator.metrics.ner import NerCounts

CHANGES = ("gained", "lost", "new_false_positive", "fixed_false_positive")


def _keyset(rows, labels) -> set[tuple[int, str, int, int]]:
    return {(int(r[0]), labels[int(r[1])], int(r[2]), int(r[3])) for r in rows}


def entity_diff(counts_a: NerCounts, counts_b: NerCounts, *, label: str | None = None) -> list[dict[str, Any]]:
    """Entities whose outcome differs between system A and system B, in document order.

    ``gained``: a gold entity B finds and A misses; ``lost``: the reverse; ``new_false_positive``: a wrong
    prediction only B makes; ``fixed_false_positive``: a wrong prediction only A makes. Each row: ``doc``,
    ``label``, ``start``, ``end`` (token offsets, end exclusive) and ``change``. ``label`` filters.
    """
    if counts_a.documents != counts_b.documents:
        raise ValueError("the two systems were scored on different documents")
    gold = _keyset(counts_a.gold_entities, counts_a.labels)
    hit_a = _keyset(counts_a.pred_entities[counts_a.pred_entities[:, 4] == 1], counts_a.labels)
    hit_b = _keyset(counts_b.pred_entities[counts_b.pred_entities[:, 4] == 1], counts_b.labels)
    fp_a = _keyset(counts_a.pred_entities[counts_a.pred_entities[:, 4] == 0], counts_a.labels)
    fp_b = _keyset(counts_b.pred_entities[counts_b.pred_entities[:, 4] == 0], counts_b.labels)
    rows = []
    for key in gold:
        if (key in hit_b) != (key in hit_a):
            rows.append((key, "gained" if key in hit_b else "lost"))
    for key in fp_b - fp_a:
        rows.append((key, "new_false_positive"))
    for key in fp_a - fp_b:
        rows.append((key, "fixed_false_positive"))
    rows.sort(key=lambda r: (r[0][0], r[0][2], r[0][3], r[0][1], r[1]))
    return [{"doc": d, "label": lab, "start": s, "end": e, "change": ch} for (d, lab, s, e), ch in rows
            if label is None or lab == label]
