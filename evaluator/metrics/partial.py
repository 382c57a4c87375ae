"""Partial-match view: the four schemas of nervaluate (SemEval-2013 task 9.1), from the same entity lists.

* ``strict`` — exact boundaries and the same type;
* ``exact`` — exact boundaries, any type;
* ``partial`` — overlapping boundaries count half, any type;
* ``type`` — some overlap and the same type (nervaluate's ``ent_type``).

Each schema counts ``correct``, ``incorrect``, ``partial``, ``missed`` and ``spurious`` per document with the
greedy matching of nervaluate 1.x (predictions in order; a gold entity is matched at most once; overlap is the
share of the gold entity covered, at least ``min_overlap_percentage``), then ``possible``, ``actual``,
precision, recall and F1 (``None`` when undefined, where nervaluate gives 0).
"""
from __future__ import annotations

from typing import Any

from evaluator.metrics.ner import NerCounts

SCHEMAS = ("strict", "exact", "partial", "type")
_FIELDS = ("correct", "incorrect", "partial", "missed", "spurious")

Ent = tuple[str, int, int]  # label, start, end (inclusive, as nervaluate)


def _overlap_ok(p: Ent, t: Ent, min_overlap: float) -> bool:
    if p[1] > t[2] or p[2] < t[1]:
        return False
    span = min(p[2], t[2]) - max(p[1], t[1]) + 1
    return (span / (t[2] - t[1] + 1)) * 100.0 >= min_overlap


def _match(schema: str, true: list[Ent], pred: list[Ent], min_overlap: float) -> dict[str, int]:
    res = dict.fromkeys(_FIELDS, 0)
    matched: set[int] = set()
    for p in pred:
        hit = other = None
        best = None
        for k, t in enumerate(true):
            if k in matched:
                continue
            if schema == "type":
                if _overlap_ok(p, t, min_overlap):
                    if p[0] == t[0]:
                        dist = abs(p[1] - t[1]) + abs(p[2] - t[2])
                        if best is None or dist < best:
                            hit, best = k, dist
                    elif other is None:
                        other = k
                continue
            same_bounds = p[1] == t[1] and p[2] == t[2]
            if schema == "strict" and same_bounds and p[0] == t[0]:
                hit = k
                break
            if schema == "exact" and same_bounds:
                hit = k
                break
            if schema == "partial":
                if _overlap_ok(p, t, min_overlap):
                    if same_bounds:
                        hit = k
                        break
                    if other is None:
                        other = k
                continue
            if other is None and _overlap_ok(p, t, min_overlap):
                other = k
        if hit is not None:
            res["correct"] += 1
            matched.add(hit)
        elif other is not None:
            res["partial" if schema == "partial" else "incorrect"] += 1
            matched.add(other)
        else:
            res["spurious"] += 1
    res["missed"] += len(true) - len(matched)
    return res


def _finish(res: dict[str, int], schema: str) -> dict[str, Any]:
    actual = res["correct"] + res["incorrect"] + res["partial"] + res["spurious"]
    possible = res["correct"] + res["incorrect"] + res["partial"] + res["missed"]
    hits = res["correct"] + (0.5 * res["partial"] if schema in ("partial", "type") else 0)
    p = hits / actual if actual else None
    r = hits / possible if possible else None
    f = None
    if p is not None or r is not None:
        p0, r0 = p or 0, r or 0
        f = 2 * (p0 * r0) / (p0 + r0) if (p0 + r0) > 0 else 0.0
    return {**res, "possible": possible, "actual": actual, "precision": p, "recall": r, "f1": f}


def entity_lists(counts: NerCounts) -> tuple[list[list[Ent]], list[list[Ent]]]:
    """Gold and predicted entities per document as ``(label, start, end)`` with an inclusive end, in
    coordinates of three positions per token (``3k`` its start, ``3k + 1`` its inside, ``3k + 2`` its end).

    Aligned entities cover ``[3 * first, 3 * last + 2]``, so every overlap ratio is the token-level one; a
    predicted span that starts or ends inside a token starts or ends at that token's inside position, so it can
    overlap gold entities but never has their exact boundaries (it is never "correct" in strict or exact).
    """
    n_docs = counts.documents
    labels = counts.labels
    gold: list[list[Ent]] = [[] for _ in range(n_docs)]
    pred: list[list[Ent]] = [[] for _ in range(n_docs)]
    for d, k, s, e in sorted(map(tuple, counts.gold_entities.tolist()), key=lambda r: (r[0], r[2], r[3])):
        gold[d].append((labels[k], 3 * s, 3 * e - 1))
    for row in sorted(map(tuple, counts.pred_entities.tolist()), key=lambda r: (r[0], r[2], r[3])):
        d, k, s, e, _, flags = row
        if e <= s:  # covers no token (whitespace only): overlaps nothing
            pred[d].append((labels[k], 3 * s, 3 * s - 1))
            continue
        start = 3 * s if flags & 1 else 3 * s + 1
        end = 3 * e - 1 if flags & 2 else 3 * (e - 1) + 1
        pred[d].append((labels[k], start, end))
    return gold, pred


def partial_match_report(counts: NerCounts, *, min_overlap_percentage: float = 1.0) -> dict[str, Any]:
    """nervaluate's four schemas, overall and per label: ``{"overall": {schema: {...}}, "per_label": {label:
    {schema: {...}}}}`` with ``correct, incorrect, partial, missed, spurious, possible, actual, precision,
    recall, f1``."""
    labels = counts.labels
    g_by_doc, p_by_doc = entity_lists(counts)
    overall = {sc: dict.fromkeys(_FIELDS, 0) for sc in SCHEMAS}
    per = {lab: {sc: dict.fromkeys(_FIELDS, 0) for sc in SCHEMAS} for lab in labels}
    for true, pred in zip(g_by_doc, p_by_doc):
        if not true and not pred:
            continue
        for sc in SCHEMAS:
            r = _match(sc, true, pred, min_overlap_percentage)
            for f in _FIELDS:
                overall[sc][f] += r[f]
            for lab in {e[0] for e in true} | {e[0] for e in pred}:
                r = _match(sc, [e for e in true if e[0] == lab], [e for e in pred if e[0] == lab],
                           min_overlap_percentage)
                for f in _FIELDS:
                    per[lab][sc][f] += r[f]
    return {"overall": {sc: _finish(overall[sc], sc) for sc in SCHEMAS},
            "per_label": {lab: {sc: _finish(per[lab][sc], sc) for sc in SCHEMAS} for lab in labels},
            "min_overlap_percentage": min_overlap_percentage}
