"""Candidate gold-set errors: where every model disagrees with the gold annotation in the same way.

A gold annotation that no model finds, or a different answer that every model gives, is often a mistake in the
gold set rather than in the models (Reiss et al. 2020 found hundreds of label errors in CoNLL-2003 this way).
These are *candidates to review*, not errors:

* NER — ``missed_by_all``: gold entities that no model predicts exactly (those that every model predicts
  differently, with other boundaries or another type, first); ``predicted_by_all``: one entity (same tokens
  and label) that every model predicts and the gold set does not have.
* Text classification — ``predicted_by_all``: texts that every model puts in the same other class; and, when
  the models' class probabilities are known, ``cleanlab``: the label issues cleanlab's confident learning finds
  (``cleanlab.filter.find_label_issues`` on the probabilities averaged over the last iteration's runs; the
  models never trained on gold texts, so the probabilities are out of sample), ranked by self-confidence.

>>> from evaluator.records import Record
>>> from evaluator.metrics.textcat import textcat_counts
>>> gold = [Record("a", label="pos"), Record("b", label="neg")]
>>> runs = {"m1": textcat_counts(["pos", "neg"], ["pos", "pos"]), "m2": textcat_counts(["pos", "neg"], ["pos", "pos"])}
>>> [(r["document"], r["gold"], r["predicted"]) for r in gold_errors("textcat", gold, runs)["predicted_by_all"]["rows"]]
[(2, 'neg', 'pos')]
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np

from evaluator.records import Record


def _char_span(rec: Record, start: int, end: int) -> tuple[int, int]:
    toks = rec.tokens or []
    if not toks or end <= start:
        return 0, 0
    return toks[start].start, toks[min(end, len(toks)) - 1].end


def _row(rec: Record, doc: int, label: str, start: int, end: int, **extra: Any) -> dict[str, Any]:
    from evaluator.report.engine import context

    a, b = _char_span(rec, start, end)
    return {"document": doc + 1, "label": label, **context(rec.text, a, b), **extra}


def _ner(gold: Sequence[Record], scored: dict[str, Any], limit: int) -> dict[str, Any]:
    found: set[tuple] = set()
    wrong: list[set[tuple]] = []
    overlapping: dict[tuple, Counter] = {}
    first = next(iter(scored.values()))
    gold_keys = {(d, first.labels[k], a, b) for d, k, a, b in first.gold_entities[:, :4].tolist()}
    by_doc: dict[int, list[tuple]] = {}
    for g in gold_keys:
        by_doc.setdefault(g[0], []).append(g)
    for counts in scored.values():
        lab = counts.labels
        mine = set()
        for d, k, a, b, hit, aligned in counts.pred_entities.tolist():
            key = (d, lab[k], a, b)
            if hit:
                found.add(key)
            elif aligned == 3:
                mine.add(key)
        wrong.append(mine)
        for key in mine:  # which gold entity a wrong prediction overlaps
            for g in by_doc.get(key[0], ()):
                if g[2] < key[3] and key[2] < g[3]:
                    overlapping.setdefault(g, Counter())[key] += 1
    missed = sorted(gold_keys - found)
    n = len(scored)
    rows = []
    for d, label, a, b in missed:
        alt = overlapping.get((d, label, a, b), Counter())
        other, times = alt.most_common(1)[0] if alt else (None, 0)
        extra = {"models_instead": times, "instead": None}
        if other is not None:
            x, y = _char_span(gold[d], other[2], other[3])
            extra["instead"] = {"label": other[1], "text": gold[d].text[x:y]}
        rows.append(_row(gold[d], d, label, a, b, **extra))
    rows.sort(key=lambda r: (-r["models_instead"], r["document"]))
    agreed = sorted(set.intersection(*wrong)) if wrong else []
    agreed_rows = []
    for d, label, a, b in agreed:
        under = sorted(g for g in by_doc.get(d, ()) if g[2] < b and a < g[3])
        gold_there = []
        for g in under:
            x, y = _char_span(gold[d], g[2], g[3])
            gold_there.append({"label": g[1], "text": gold[d].text[x:y]})
        agreed_rows.append(_row(gold[d], d, label, a, b, gold_there=gold_there))
    return {"models": n, "missed_by_all": {"total": len(rows), "rows": rows[:limit]},
            "predicted_by_all": {"total": len(agreed_rows), "rows": agreed_rows[:limit]},
            "method": "exact entities (tokens and label) of every run in the report"}


def _textcat(gold: Sequence[Record], scored: dict[str, Any], probabilities: dict[str, Any] | None,
             limit: int) -> dict[str, Any]:
    preds = [np.asarray(c.labels, dtype=object)[c.pred] for c in scored.values()]
    rows = []
    for d, rec in enumerate(gold):
        got = {str(p[d]) for p in preds}
        if len(got) == 1 and rec.label not in got:
            rows.append({"document": d + 1, "gold": rec.label, "predicted": got.pop(), "text": rec.text[:300]})
    out: dict[str, Any] = {"models": len(scored), "predicted_by_all": {"total": len(rows), "rows": rows[:limit]},
                           "cleanlab": None, "method": "the predicted class of every run in the report"}
    if probabilities is not None:
        out["cleanlab"] = cleanlab_issues(gold, probabilities["labels"], probabilities["matrix"], limit=limit)
    return out


def cleanlab_issues(gold: Sequence[Record], labels: Sequence[str], probs: np.ndarray, *,
                    limit: int = 25) -> dict[str, Any]:
    """cleanlab's label issues of the gold texts given out-of-sample class probabilities ``probs``
    (``[texts, classes]`` in ``labels`` order), ranked by self-confidence (lowest first)."""
    from cleanlab.filter import find_label_issues

    pos = {lab: i for i, lab in enumerate(labels)}
    keep = [i for i, r in enumerate(gold) if r.label in pos]
    y = np.array([pos[gold[i].label] for i in keep], dtype=np.int64)
    p = np.asarray(probs, dtype=np.float64)[keep]
    try:
        ranked = find_label_issues(labels=y, pred_probs=p, return_indices_ranked_by="self_confidence")
    except (ValueError, AssertionError) as err:  # e.g. a class absent from the gold set
        return {"total": 0, "rows": [], "error": f"cleanlab could not rank these labels: {err}"}
    rows = [{"document": keep[i] + 1, "gold": labels[y[i]], "suggested": labels[int(np.argmax(p[i]))],
             "self_confidence": float(p[i, y[i]]), "text": gold[keep[i]].text[:300]} for i in ranked]
    return {"total": len(rows), "rows": rows[:limit], "method": "cleanlab.filter.find_label_issues, ranked by "
                                                                "self_confidence"}


def gold_errors(task: str, gold: Sequence[Record], scored: dict[str, Any], *,
                probabilities: dict[str, Any] | None = None, limit: int = 25) -> dict[str, Any]:
    """Candidate gold-set errors from every run's counts on the gold records (``scored``: name -> counts).

    NER counts must carry their entity rows (:class:`~evaluator.metrics.NerCounts` from the metrics engine) and
    the gold records their tokens. ``probabilities`` (text classification): ``{"labels", "matrix"}``.
    """
    if not scored:
        return {"models": 0}
    if task == "ner":
        return _ner(gold, scored, limit)
    return _textcat(gold, scored, probabilities, limit)


__all__ = ["cleanlab_issues", "gold_errors"]
