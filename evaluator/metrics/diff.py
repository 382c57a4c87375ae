"""Example-level difference between two systems on the same gold records: one flat row per change.

The CLI (``evaluator diff``), the Evaluate page and the reports all read these rows. Kinds:

* NER (character spans): ``gained`` — a gold entity B finds exactly and A does not; ``lost`` — the reverse;
  ``changed`` — A and B predict overlapping but different entities (boundaries and/or type); ``new_error`` — a
  wrong prediction only B makes that overlaps nothing only A predicts; ``fixed_error`` — the reverse. A boundary
  fix shows up twice on purpose: as a gained entity and as the changed pair that explains it.
* Text classification: ``gained`` — only B is right; ``lost`` — only A is right; ``changed`` — both wrong, with
  different labels.

>>> from evaluator.records import Record, Span
>>> gold = [Record("Ada met Bob", spans=[Span(0, 3, "PER"), Span(8, 11, "PER")])]
>>> rows = example_diff(gold, [[Span(0, 3, "PER")]], [[Span(8, 11, "PER")]], task="ner")
>>> [(r["kind"], r["b"] or r["a"]) for r in rows]
[('gained', {'start': 8, 'end': 11, 'label': 'PER', 'text': 'Bob'}), ('lost', {'start': 0, 'end': 3, 'label': 'PER', 'text': 'Ada'})]
"""
from __future__ import annotations

from typing import Any, Sequence

from evaluator.records import Record, Span

NER_KINDS = ("gained", "lost", "changed", "new_error", "fixed_error")
TEXTCAT_KINDS = ("gained", "lost", "changed")


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _span(text: str, s: Span | None) -> dict[str, Any] | None:
    return None if s is None else {"start": s.start, "end": s.end, "label": s.label, "text": text[s.start:s.end]}


def _change_kind(a: Span, b: Span) -> str:
    if (a.start, a.end) == (b.start, b.end):
        return "type"
    return "boundaries" if a.label == b.label else "boundaries and type"


def _row(i: int, rec: Record, kind: str, labels: Sequence[str], gold: Any, a: Any, b: Any,
         change: str | None = None) -> dict[str, Any]:
    labels = list(dict.fromkeys(x for x in labels if x is not None))
    return {"document": i, "id": rec.id, "kind": kind, "label": " → ".join(labels), "labels": labels,
            "gold": gold, "a": a, "b": b, "change": change, "text": rec.text}


def _ner_rows(i: int, rec: Record, pa: Sequence[Span], pb: Sequence[Span]) -> list[dict[str, Any]]:
    G, A, B = set(rec.spans), set(pa), set(pb)
    t = rec.text

    def gold_over(*spans: Span) -> list[dict[str, Any]]:
        return [_span(t, g) for g in sorted(G) if any(_overlap(g, s) for s in spans)]

    only_a, only_b = A - B, B - A
    changed = [(a, b) for a in sorted(only_a) for b in sorted(only_b) if _overlap(a, b)]
    paired_a = {a for a, _ in changed}
    paired_b = {b for _, b in changed}
    rows = [_row(i, rec, "gained", [s.label], [_span(t, s)], None, _span(t, s)) for s in sorted((B & G) - A)]
    rows += [_row(i, rec, "lost", [s.label], [_span(t, s)], _span(t, s), None) for s in sorted((A & G) - B)]
    rows += [_row(i, rec, "changed", [a.label, b.label], gold_over(a, b), _span(t, a), _span(t, b),
                  _change_kind(a, b)) for a, b in changed]
    rows += [_row(i, rec, "new_error", [s.label], gold_over(s), None, _span(t, s))
             for s in sorted(only_b - G) if s not in paired_b]
    rows += [_row(i, rec, "fixed_error", [s.label], gold_over(s), _span(t, s), None)
             for s in sorted(only_a - G) if s not in paired_a]
    return rows


def example_diff(gold: Sequence[Record], a: Sequence, b: Sequence, *, task: str,
                 label: str | None = None) -> list[dict[str, Any]]:
    """Flat rows ``{"document", "id", "kind", "label", "labels", "gold", "a", "b", "change", "text"}``, in
    document order, for every change between systems A and B on ``gold``.

    NER: ``a``/``b`` are per-record sequences of :class:`~evaluator.records.Span` (or objects with ``.spans``);
    each row's ``a``/``b`` is the span involved (a dict with its text) or None, ``gold`` the gold entities it
    overlaps. Text classification: ``a``/``b`` are per-record labels (or objects with ``.label``); the row holds
    the labels. ``label`` keeps rows involving that label.
    """
    if not (len(gold) == len(a) == len(b)):
        raise ValueError("gold, a and b must have one entry per record")
    rows: list[dict[str, Any]] = []
    for i, (g, pa, pb) in enumerate(zip(gold, a, b)):
        if task == "ner":
            rows += _ner_rows(i, g, getattr(pa, "spans", pa), getattr(pb, "spans", pb))
            continue
        la, lb = getattr(pa, "label", pa), getattr(pb, "label", pb)
        ra, rb = la == g.label, lb == g.label
        if ra == rb and (ra or la == lb):
            continue
        kind = "gained" if rb and not ra else "lost" if ra and not rb else "changed"
        row = _row(i, g, kind, [g.label, la, lb], g.label, la, lb)
        row["label"] = g.label
        rows.append(row)
    if label is not None:
        rows = [r for r in rows if label in r["labels"]]
    return rows


def show(item, *, sep: str = "/", quote: bool = True, none: str = "-") -> str:
    """A row's ``a``/``b``/``gold`` in words: a span as ``'text'{sep}LABEL`` (unquoted with ``quote=False``), a
    list joined by commas, a category as it is, nothing as ``none``.

    >>> show([{"start": 0, "end": 3, "label": "PER", "text": "Ada"}]), show("sport"), show(None)
    ("'Ada'/PER", 'sport', '-')
    """
    if item is None or item == []:
        return none
    if isinstance(item, list):
        return ", ".join(show(x, sep=sep, quote=quote, none=none) for x in item)
    if isinstance(item, dict):
        return f"{item['text']!r}{sep}{item['label']}" if quote else f"{item['text']}{sep}{item['label']}"
    return str(item)


def count_kinds(rows: Sequence[dict[str, Any]], task: str) -> dict[str, int]:
    """How many rows of each kind (every kind of the task, zeros included)."""
    out = {k: 0 for k in (NER_KINDS if task == "ner" else TEXTCAT_KINDS)}
    for r in rows:
        out[r["kind"]] = out.get(r["kind"], 0) + 1
    return out


__all__ = ["NER_KINDS", "TEXTCAT_KINDS", "count_kinds", "example_diff", "show"]
