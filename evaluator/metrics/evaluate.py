"""Score records: pair gold and predicted records, pick the NER or text-classification path, return counts.

:func:`evaluate_records` is what the CLI, the workspace and the pages call; :func:`report` turns its counts into
the report dict; :func:`pair_records` matches two record lists by position (CoNLL) or by text (JSONL, CSV).
"""
from __future__ import annotations

from collections import defaultdict, deque
from typing import Any, Sequence

from evaluator.errors import InputFormatError
from evaluator.metrics.ner import NerCounts, ner_counts
from evaluator.metrics.spans import ner_counts_from_spans
from evaluator.metrics.textcat import TextcatCounts, textcat_counts
from evaluator.records import Record

Counts = NerCounts | TextcatCounts


def detect_task(gold: Sequence[Record]) -> str:
    """``"textcat"`` when the gold records carry a category and no entities, else ``"ner"``."""
    has_label = any(r.label is not None for r in gold)
    has_ents = any(r.spans or r.tags for r in gold)
    return "textcat" if has_label and not has_ents else "ner"


def _loc(rec: Record, n: int, name: str | None, unit: str) -> str:
    where = f"{name}" if name else ""
    if rec.line is not None:
        where += (", " if where else "") + f"line {rec.line}"
    return f"{unit} {n}" + (f" ({where})" if where else "")


def sentence_count_error(gold_name: str, n_gold: int, pred_name: str, n_pred: int) -> InputFormatError:
    """The error for two token-tag files (paired by position) with different numbers of sentences."""
    return InputFormatError(f"{gold_name} has {n_gold} sentences but {pred_name} has {n_pred}",
                            hint="both files must hold the same sentences in the same order")


def check_same_tokens(g: Record, p: Record, n: int, gold_name: str | None, pred_name: str | None) -> None:
    """Raise an error naming both files and lines unless sentence ``n`` has the same tokens in both records."""
    if g.text == p.text and (g.tags is None or p.tags is None or len(g.tags) == len(p.tags)):
        return
    gw = g.token_texts() if g.tokens is not None else g.text.split()
    pw = p.token_texts() if p.tokens is not None else p.text.split()
    for k, (a, b) in enumerate(zip(gw, pw)):
        if a != b:
            raise InputFormatError(
                f"{_loc(g, n, gold_name, 'sentence')}: token {k + 1} is {a!r} in the gold file but {b!r} in the "
                f"predictions ({_loc(p, n, pred_name, 'sentence')})",
                hint="both files must hold the same sentences with the same tokens, in the same order")
    raise InputFormatError(
        f"{_loc(g, n, gold_name, 'sentence')} has {len(gw)} tokens in the gold file but {len(pw)} in the "
        f"predictions ({_loc(p, n, pred_name, 'sentence')})",
        hint="both files must hold the same sentences with the same tokens, in the same order")


def evaluate_records(gold: Sequence[Record], pred: Sequence[Record], *, mode: str = "default",
                     scheme: str | None = None, task: str | None = None, labels: Sequence[str] | None = None,
                     lang: str = "en", gold_name: str | None = None, pred_name: str | None = None) -> Counts:
    """Counts of predicted records against gold records paired by position.

    * NER with token tags on both sides (CoNLL): seqeval-exact on the raw tags in ``mode``/``scheme``; the
      sentences must have the same tokens.
    * NER otherwise: character spans mapped onto the gold tokens (:func:`ner_counts_from_spans`).
    * Text classification: the records' ``label`` (``labels`` fixes the order).

    Use :func:`pair_records` first when the two lists are not in the same order. ``gold_name``/``pred_name``
    (file names) only go into error messages. Returns :class:`NerCounts` or :class:`TextcatCounts`; call
    ``.report()`` for the figures.
    """
    if len(gold) != len(pred):
        raise InputFormatError(f"{gold_name or 'the gold set'} has {len(gold)} records but "
                               f"{pred_name or 'the predictions'} have {len(pred)}",
                               hint="predict on exactly the gold texts")
    task = task or detect_task(gold)
    if task == "textcat":
        return textcat_counts([g.label for g in gold], [p.label for p in pred], labels=labels)
    if gold and all(g.tags is not None for g in gold) and all(p.tags is not None for p in pred):
        for n, (g, p) in enumerate(zip(gold, pred), 1):
            check_same_tokens(g, p, n, gold_name, pred_name)
        return ner_counts([g.tags for g in gold], [p.tags for p in pred], mode=mode, scheme=scheme)
    return ner_counts_from_spans(gold, pred, mode=mode, scheme=scheme, lang=lang)


def report(counts: Counts, *, doc_index: Any = None) -> dict[str, Any]:
    """The report dict of NER or text-classification counts."""
    return counts.report(doc_index=doc_index)


def pair_records(gold: Sequence[Record], pred: Sequence[Record], *, by: str = "auto",
                 gold_name: str | None = None, pred_name: str | None = None
                 ) -> tuple[list[Record], list[Record]]:
    """Pair gold and predicted records.

    ``by="order"``: same position (CoNLL sentences); ``by="text"``: same normalized text (Prodigy
    ``_input_hash`` style; repeated texts pair in order); ``"auto"``: order when both sides carry token tags,
    text otherwise. Gold records whose ``answer`` is not ``accept`` are not gold and are left out. A gold record
    without prediction, or a prediction without gold record, is an error naming the file and line.
    """
    gold = [g for g in gold if g.answer == "accept"]
    pred = list(pred)
    if by == "auto":
        by = "order" if (gold and pred and all(r.tags is not None for r in gold)
                         and all(r.tags is not None for r in pred)) else "text"
    gname, pname = gold_name or "gold", pred_name or "predictions"
    if by == "order":
        if len(gold) != len(pred):
            raise sentence_count_error(gname, len(gold), pname, len(pred))
        return gold, pred
    if by != "text":
        raise ValueError(f"unknown pairing {by!r}")
    queues: dict[str, deque[Record]] = defaultdict(deque)
    for p in pred:
        queues[p.input_hash].append(p)
    out: list[Record] = []
    for n, g in enumerate(gold, 1):
        q = queues.get(g.input_hash)
        if not q:
            raise InputFormatError(f"{_loc(g, n, gname, 'record')} has no prediction in {pname} "
                                   f"(text {g.text[:50]!r})",
                                   hint="predict on exactly the gold texts; records are matched by text")
        out.append(q.popleft())
    left = {id(p) for q in queues.values() for p in q}
    if left:
        k, p = next((k, p) for k, p in enumerate(pred, 1) if id(p) in left)
        raise InputFormatError(f"{len(left)} prediction(s) in {pname} have no gold record, e.g. "
                               f"{_loc(p, k, pname, 'record')} (text {p.text[:50]!r})",
                               hint="predict on exactly the gold texts; records are matched by text")
    return gold, out
