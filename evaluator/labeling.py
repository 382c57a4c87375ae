"""Labeling in rounds and gold sets: one small recipe per mode (a stream of items, how to save an answer, what
to show), as Prodigy's recipes are built.

* **round** (``round:N``): texts come from the pool (and unlabeled texts already in the round), in order, at
  random (seeded) or least-confident first by a chosen model (:mod:`evaluator.active`); the model can pre-fill
  its prediction for correction; answers at or above a per-round confidence threshold can be accepted
  automatically (:func:`auto_accept`), marked as such and counted separately.
* **gold** (``gold:NAME``): texts are drawn at random from the pool with a seed, never by a model's confidence,
  never pre-filled, never auto-accepted, so the gold set stays a representative sample the model had no say in.

Every answer (accept / reject / ignore) is an annotation with the annotator's name; saving it moves the example
out of the pool into the round or gold set, through the leakage guard (no gold text in a round, no training
text in a gold set) and the frozen check. Undo removes the annotator's latest answer and moves the example back.
NER spans always sit on the example's tokens. An annotator never sees another annotator's answer; examples
answered by several annotators are compared by :func:`agreement` and settled by :func:`settle`.

>>> toks = [(0, 5), (6, 11), (12, 18), (19, 25)]           # "Maria Okafor joined Globex"
>>> add_span(toks, [], 1, 0, "PERSON")                     # tokens 0..1, in any click order
[Span(start=0, end=11, label='PERSON')]
>>> add_span(toks, [Span(0, 11, "PERSON")], 1, 3, "ORG")   # overlapping spans are replaced
[Span(start=6, end=25, label='ORG')]
"""
from __future__ import annotations

import datetime as _dt
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from evaluator import active, db
from evaluator.errors import ConfigError, NotFoundError
from evaluator.progress import Progress
from evaluator.records import ANSWERS, Span
from evaluator.stats.agreement import span_agreement
from evaluator.stats.preference import cohen_kappa, krippendorff_alpha
from evaluator.store import (Target, assert_writable, collection_row, gold_hashes, get_collection, leakage_check,
                             parse_target, records_by_ids, round_settings, set_round_settings, train_hashes)
from evaluator.workspace import Workspace

MODES = ("round", "gold")
#: where an answer came from: a person in the app, a model above the auto-accept threshold, a review
SOURCES = ("manual", "auto", "review")
#: gaps between two answers longer than this count as a break, not as labeling time (answers per hour)
BREAK_SECONDS = 300


@dataclass
class Item:
    """One example to label: its text and tokens, and (correct mode) the model's suggestion and confidence."""

    example_id: int
    text: str
    tokens: list[tuple[int, int]]
    #: NER: predicted spans; textcat: the predicted category; None without a model
    suggestion: list[Span] | str | None = None
    #: textcat: the model's probability per category
    scores: dict[str, float] | None = None
    #: the model's confidence in [0, 1] (higher = surer) under the chosen measure, or None
    confidence: float | None = None
    #: ``pool`` or ``target`` (already in the round / gold set, answered by someone else or not at all)
    where: str = "pool"

    def to_json(self) -> dict[str, Any]:
        sug = self.suggestion
        if isinstance(sug, list):
            sug = [{"start": s.start, "end": s.end, "label": s.label, "text": self.text[s.start:s.end]} for s in sug]
        out = {"example_id": self.example_id, "text": self.text, "confidence": self.confidence, "suggestion": sug}
        if self.scores is not None:
            out["scores"] = self.scores
        return out


# ------------------------------------------------------------------------------------------------ spans (pure)

def add_span(tokens: Sequence[tuple[int, int]], spans: Iterable[Span], first: int, last: int,
             label: str) -> list[Span]:
    """The spans after adding tokens ``first..last`` (either order, inclusive) as ``label``; spans that overlap
    the new one are replaced. Offsets come from the token boundaries, so the span always sits on tokens."""
    i, j = sorted((int(first), int(last)))
    if i < 0 or j >= len(tokens):
        raise ConfigError(f"Token range {i}..{j} is outside the text ({len(tokens)} tokens).")
    new = Span(int(tokens[i][0]), int(tokens[j][1]), label)
    kept = [s for s in spans if s.end <= new.start or s.start >= new.end]
    return sorted(kept + [new])


def span_tokens(tokens: Sequence[tuple[int, int]], span: Span) -> tuple[int, int] | None:
    """Index of the first and last token of a span that sits on token boundaries, else None."""
    starts = {int(s): i for i, (s, _) in enumerate(tokens)}
    ends = {int(e): i for i, (_, e) in enumerate(tokens)}
    i, j = starts.get(span.start), ends.get(span.end)
    return (i, j) if i is not None and j is not None and i <= j else None


def _as_span(x) -> Span:
    if isinstance(x, Span):
        return x
    if isinstance(x, dict):
        return Span(int(x["start"]), int(x["end"]), str(x["label"]))
    s, e, lab = x
    return Span(int(s), int(e), str(lab))


# ------------------------------------------------------------------------------------------------ modes

def _target(target: str | Target) -> Target:
    t = parse_target(target) if isinstance(target, str) else target
    if t.kind not in MODES:
        raise ConfigError(f"Label into a round or a gold set, not {t}.", hint="e.g. round:4 or gold:test")
    if t.kind == "gold" and t.version is not None:
        raise ConfigError(f"Label into the latest version of a gold set ({t} names version {t.version}).",
                          hint=f"use gold:{t.name}; older versions are kept as they were")
    return t


def check_mode(target: Target, *, strategy: str, model: str | None = None, committee: Sequence[str] = (),
               suggest: bool = False) -> None:
    """Refuse what would let a model choose or shape gold data: a gold set is labeled from a seeded random
    sample of the pool, without model suggestions."""
    active.check_strategy(strategy)
    if target.kind != "gold":
        return
    if strategy != "random":
        raise ConfigError(f"A gold set is drawn at random from the pool (with a seed); the {strategy!r} order "
                          "would make it unrepresentative" + (" and tie it to the model under evaluation"
                                                               if strategy == "uncertainty" else "") + ".",
                          hint="use the random order for gold sets; uncertainty sampling is for training rounds")
    if model or committee or suggest:
        raise ConfigError("Gold sets are labeled without a model's suggestions (they would pull the gold answers "
                          "towards the model being evaluated).", hint="leave the model empty for gold sets")


# ------------------------------------------------------------------------------------------------ the stream

def _pool_collections(conn) -> list[int]:
    c = db.collections
    return [r[0] for r in conn.execute(sa.select(c.c.id).where(c.c.kind == "pool"))]


def _candidates(conn, target: Target, *, annotator: str | None, overlap: bool) -> list[tuple[int, int, int]]:
    """``(example id, 0 for the target / 1 for the pool, position)`` of every example this annotator could
    label next: pool texts that pass the leakage guard, the target's unlabeled examples and (``overlap``)
    the target's examples other people answered in the app and this annotator did not (for agreement)."""
    e, a = db.examples, db.annotations
    answered = sa.exists().where(a.c.example_id == e.c.id)
    guard = gold_hashes(conn) if target.kind == "round" else (train_hashes(conn) | gold_hashes(conn))
    out = [(i, 1, pos) for i, h, loose, pos in conn.execute(
        sa.select(e.c.id, e.c.input_hash, e.c.loose_hash, e.c.position)
        .where(e.c.collection_id.in_(_pool_collections(conn)), ~answered)) if h not in guard and loose not in guard]
    tgt = collection_row(conn, target)
    if tgt is not None:
        cond = ~answered
        if overlap and annotator:
            manual = sa.exists().where(a.c.example_id == e.c.id, a.c.source == "manual")
            mine = sa.exists().where(a.c.example_id == e.c.id, a.c.annotator == annotator)
            settled = sa.exists().where(a.c.example_id == e.c.id, a.c.source == "review")
            cond = cond | (manual & ~mine & ~settled)
        out += [(i, 0, pos) for i, pos in conn.execute(
            sa.select(e.c.id, e.c.position).where(e.c.collection_id == tgt["id"], cond))]
    return out


def _check_open(conn, target: Target) -> None:
    """A frozen gold version takes no more answers: say so before anyone labels for nothing."""
    row = collection_row(conn, target)
    if row is not None and target.kind == "gold":
        assert_writable(row)


def _items(ws: Workspace, ids: Sequence[int], *, model: str | None, suggest: bool, method: str,
           committee: Sequence[str] = (), confidence: dict[int, float] | None = None,
           where: dict[int, int] | None = None) -> list[Item]:
    e, c = db.examples, db.collections
    with ws.engine.connect() as conn:
        recs = records_by_ids(conn, ids)
        if where is None:  # 0: already in a round or gold set, 1: in the pool
            where = {i: int(kind == "pool") for i, kind in conn.execute(
                sa.select(e.c.id, c.c.kind).join(c, c.c.id == e.c.collection_id).where(e.c.id.in_(list(ids))))}
    preds: dict = {}
    if model and suggest:
        preds = active.predictions_for(ws, model, ids)
    if confidence is None and len(committee) > 1:
        confidence = active.confidences(ws, ids, committee=committee)
    elif confidence is None and model and active.confidence_source(ws, model):
        confidence = active.confidences(ws, ids, model=model, method=method)
    out = []
    for r in recs:
        p = preds.get(r.id)
        sug = None if p is None else (list(p.spans) if ws.task == "ner" else p.label)
        out.append(Item(example_id=r.id, text=r.text, tokens=[(t.start, t.end) for t in (r.tokens or [])],
                        suggestion=sug, scores=p.scores if p is not None else None,
                        confidence=None if confidence is None else confidence.get(r.id),
                        where="target" if where.get(r.id) == 0 else "pool"))
    return out


def next_items(ws: Workspace, *, target: str | Target, annotator: str | None = None, strategy: str = "in-order",
               method: str = "least-confident", model: str | None = None, committee: Sequence[str] = (),
               n: int = 10, seed: int = 0, overlap: bool = False, suggest: bool = False,
               progress: Progress | None = None, cancel: threading.Event | None = None) -> list[Item]:
    """The next ``n`` examples to label into ``target`` (``round:N`` or ``gold:NAME``), best first.

    ``strategy``: ``in-order`` (as imported), ``random`` (seeded, stable while examples come and go) or
    ``uncertainty`` (least confident first by ``model`` under ``method``, or by the disagreement of the
    ``committee`` models; confidences are computed where missing, in batches, with ``progress``). Gold sets
    accept only ``random`` (see :func:`check_mode`). With ``overlap``, examples of the target that other people
    answered (and ``annotator`` did not) come first, for inter-annotator agreement. ``suggest`` adds ``model``'s
    prediction to each item (correct mode).
    """
    t = _target(target)
    check_mode(t, strategy=strategy, model=model, committee=committee, suggest=suggest)
    active.check_method(method)
    if n < 1:
        raise ConfigError(f"n must be at least 1, got {n}.")
    with ws.engine.connect() as conn:
        _check_open(conn, t)
        cands = _candidates(conn, t, annotator=annotator, overlap=overlap)
    where = {i: w for i, w, _ in cands}
    conf: dict[int, float] | None = None
    if strategy == "in-order":
        order = [i for i, w, pos in sorted(cands, key=lambda c: (c[1], c[2], c[0]))]
    elif strategy == "random":
        order = [i for i, w, _ in sorted(cands, key=lambda c: (c[1], active.random_key(seed, c[0])))]
    else:
        conf = active.confidences(ws, list(where), model=model, committee=committee, method=method,
                                  progress=progress, cancel=cancel)
        unscored = [i for i in where if i not in conf]
        if unscored:  # a committee member without a prediction for them cannot happen; a model row deleted can
            raise NotFoundError(f"{len(unscored)} example(s) have no confidence.", hint="try again")
        order = [i for i, w, _ in sorted(cands, key=lambda c: (c[1], conf[c[0]], c[0]))]
    chosen = order[:n]
    suggester = model or (committee[0] if committee else None)
    return _items(ws, chosen, model=suggester if suggest else model, suggest=suggest, method=method,
                  confidence=None if conf is None else {i: conf[i] for i in chosen}, where=where)


def get_item(ws: Workspace, example_id: int, *, model: str | None = None, committee: Sequence[str] = (),
             suggest: bool = False, method: str = "least-confident") -> Item:
    """One example as an :class:`Item` (the page keeps showing it until it is answered); never carries other
    annotators' answers."""
    items = _items(ws, [example_id], model=model, committee=committee, suggest=suggest, method=method)
    if not items:
        raise NotFoundError(f"No example with id {example_id}.", hint="it may have been deleted; reload the page")
    return items[0]


def remaining(ws: Workspace, *, target: str | Target, annotator: str | None = None, overlap: bool = False) -> int:
    """How many examples this annotator could still label into ``target``."""
    with ws.engine.connect() as conn:
        return len(_candidates(conn, _target(target), annotator=annotator, overlap=overlap))


# ------------------------------------------------------------------------------------------------ saving

def _check_annotator(annotator: str | None) -> str:
    name = (annotator or "").strip()
    if not name:
        raise ConfigError("No annotator name: every answer is stored with the name of who gave it.",
                          hint="type your name in the sidebar (Annotator) before labeling")
    if len(name) > 100:
        raise ConfigError("The annotator name is longer than 100 characters.", hint="use a shorter name")
    return name


def _clean(task: str, labels: set[str], text: str, tokens: Sequence[tuple[int, int]] | None, answer: str,
           spans: Iterable | None, label: str | None, example_id: int) -> tuple[list[Span] | None, str | None]:
    if answer not in ANSWERS:
        raise ConfigError(f"Unknown answer {answer!r}.", hint=f"use one of: {', '.join(ANSWERS)}")
    if not labels:
        raise ConfigError("The workspace has no labels to annotate with.",
                          hint="add them with: evaluator init --workspace DIR --task TASK --labels A,B")
    if task == "textcat":
        if spans:
            raise ConfigError("This workspace is for text classification; an answer has a category, not spans.")
        if answer == "accept" and not label:
            raise ConfigError(f"Example {example_id}: an accepted answer needs a category.",
                              hint=f"choose one of: {', '.join(sorted(labels))}")
        if label is not None and label not in labels:
            raise ConfigError(f"Unknown category {label!r}.", hint=f"use one of: {', '.join(sorted(labels))}")
        return None, label
    if label:
        raise ConfigError("This workspace is for NER; an answer has spans, not a category.")
    if tokens is None:
        from evaluator.tokenize import tokenize_texts
        tokens = [(t.start, t.end) for t in tokenize_texts([text])[0]]
    out = sorted(_as_span(s) for s in (spans or []))
    for s in out:
        if s.label not in labels:
            raise ConfigError(f"Unknown label {s.label!r}.", hint=f"use one of: {', '.join(sorted(labels))}")
        if span_tokens(tokens, s) is None:
            raise ConfigError(f"Example {example_id}: span {s.start}-{s.end} {s.label} ({text[s.start:s.end]!r}) "
                              "does not sit on token boundaries.",
                              hint="build spans from token ranges (evaluator.labeling.add_span)")
    for x, y in zip(out, out[1:]):
        if y.start < x.end:
            raise ConfigError(f"Example {example_id}: spans {x.start}-{x.end} and {y.start}-{y.end} overlap.",
                              hint="keep one of them")
    return out, None


def _where(conn, collection_id: int) -> str:
    row = conn.execute(sa.select(db.collections).where(db.collections.c.id == collection_id)).mappings().first()
    if row is None:
        return "an unknown collection"
    return {"pool": "the pool", "round": f"round:{row['name']}"}.get(row["kind"], f"gold:{row['name']}@{row['version']}")


def write_answers(ws: Workspace, target: str | Target, answers: Sequence[dict]) -> list[dict]:
    """Store answers (dicts with ``example_id``, ``answer``, ``annotator``, optional ``spans``/``label``,
    ``source`` and ``confidence``) in one transaction; examples still in the pool move into ``target``.

    All or nothing: unknown examples, bad spans or labels, gold texts entering a round (or training texts a
    gold set), a frozen gold version, or an auto-accepted answer for a gold set raise before anything is written.
    """
    t = _target(target)
    task, labels = ws.task, set(ws.labels)
    e, a = db.examples, db.annotations
    cleaned = []
    for ans in answers:
        source = ans.get("source", "manual")
        if source not in SOURCES:
            raise ConfigError(f"Unknown answer source {source!r}.", hint=f"use one of: {', '.join(SOURCES)}")
        if source == "auto" and t.kind == "gold":
            raise ConfigError("Auto-accepted answers never enter a gold set: every gold answer is given by a "
                              "person.", hint="label the gold set by hand (auto-accept is for training rounds)")
        cleaned.append({**ans, "source": source, "annotator": _check_annotator(ans.get("annotator"))})
    ids = [int(x["example_id"]) for x in cleaned]
    out: list[dict] = []
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        rows = {r.id: r for r in conn.execute(sa.select(e.c.id, e.c.collection_id, e.c.text, e.c.input_hash,
                                                        e.c.tokens).where(e.c.id.in_(ids)))}
        unknown = [i for i in ids if i not in rows]
        if unknown:
            raise NotFoundError(f"No example with id {', '.join(map(str, unknown[:5]))}.",
                                hint="it may have been deleted; ask for the next items again")
        tgt = collection_row(conn, t)
        if tgt is not None and t.kind == "gold":
            assert_writable(tgt)
        pool = set(_pool_collections(conn))
        move = [i for i in dict.fromkeys(ids) if tgt is None or rows[i].collection_id != tgt["id"]]
        elsewhere = [i for i in move if rows[i].collection_id not in pool]
        if elsewhere:
            raise ConfigError(f"Example {elsewhere[0]} is in {_where(conn, rows[elsewhere[0]].collection_id)}, "
                              f"neither in the pool nor in {t}.", hint="ask for the next items again")
        leakage_check(conn, [rows[i] for i in move], against="gold" if t.kind == "round" else "rounds",
                      where=f"being labeled into {t}",
                      hint="leave them in the pool" if t.kind == "round" else
                      "a text that is in a training round can never become gold; label another one")
        for ans in cleaned:
            r = rows[int(ans["example_id"])]
            spans, label = _clean(task, labels, r.text, r.tokens, ans["answer"], ans.get("spans"),
                                  ans.get("label"), r.id)
            ans["spans"], ans["label"] = spans, label
        if move:
            tgt = get_collection(ws, t, create=True, conn=conn)
            if t.kind == "gold":
                assert_writable(tgt)
            conn.execute(e.update().where(e.c.id.in_(move)).values(collection_id=tgt["id"]))
        moved_from = {i: rows[i].collection_id for i in move}
        now = db.utcnow()
        for ans in cleaned:
            i = int(ans["example_id"])
            ann_id = conn.execute(a.insert().values(
                example_id=i, answer=ans["answer"],
                spans=[s.as_list() for s in ans["spans"]] if task == "ner" else None,
                label=ans["label"] if task == "textcat" else None, annotator=ans["annotator"],
                source=ans["source"], moved_from=moved_from.pop(i, None), confidence=ans.get("confidence"),
                created_at=now)).inserted_primary_key[0]
            out.append({"annotation_id": ann_id, "example_id": i, "answer": ans["answer"], "target": str(t),
                        "source": ans["source"]})
    return out


def save_answer(ws: Workspace, example_id: int, *, target: str | Target, answer: str, annotator: str,
                spans: Iterable | None = None, label: str | None = None) -> dict:
    """Store one person's answer (``accept``/``reject``/``ignore``; NER ``spans`` on token boundaries or a
    textcat ``label``) and move the example from the pool into ``target``. See :func:`write_answers`."""
    return write_answers(ws, target, [{"example_id": example_id, "answer": answer, "annotator": annotator,
                                       "spans": spans, "label": label}])[0]


def undo_answer(ws: Workspace, *, target: str | Target, annotator: str) -> dict | None:
    """Remove ``annotator``'s latest answer in ``target`` (given in the app); an example it had moved out of
    the pool goes back there unless someone else has answered it since. None when there is nothing to undo."""
    t = _target(target)
    name = _check_annotator(annotator)
    e, a = db.examples, db.annotations
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        tgt = collection_row(conn, t)
        if tgt is None:
            return None
        last = conn.execute(sa.select(a).join(e, e.c.id == a.c.example_id).where(
            e.c.collection_id == tgt["id"], a.c.annotator == name, a.c.source == "manual")
            .order_by(a.c.id.desc()).limit(1)).mappings().first()
        if last is None:
            return None
        if t.kind == "gold":
            assert_writable(tgt)
        conn.execute(a.delete().where(a.c.id == last["id"]))
        left = conn.execute(sa.select(sa.func.count()).select_from(a)
                            .where(a.c.example_id == last["example_id"])).scalar_one()
        back = last["moved_from"] is not None and not left and conn.execute(
            sa.select(db.collections.c.id).where(db.collections.c.id == last["moved_from"])).first() is not None
        if back:
            conn.execute(e.update().where(e.c.id == last["example_id"]).values(collection_id=last["moved_from"]))
    return {"example_id": last["example_id"], "answer": last["answer"], "target": str(t), "moved_back": back}


_ORDERS = "labeling-orders:{}"


def note_order(ws: Workspace, target: str | Target, order: dict[str, Any]) -> list[dict]:
    """Remember an order (strategy, seed, measure, model) that chose items for ``target``; returns them all.
    A gold set's seeds are thereby stored with it (see :func:`target_progress`)."""
    key = _ORDERS.format(_target(target))
    orders = list(ws.get_setting(key) or [])
    if order not in orders:
        orders.append(order)
        ws.set_setting(key, orders)
    return orders


def settle(ws: Workspace, example_id: int, *, target: str | Target, annotator: str, answer: str,
           spans: Iterable | None = None, label: str | None = None) -> dict:
    """Settle a disagreement: store the reviewed answer (source ``review``), which becomes the example's
    answer for training and evaluation."""
    return write_answers(ws, target, [{"example_id": example_id, "answer": answer, "annotator": annotator,
                                       "spans": spans, "label": label, "source": "review"}])[0]


def auto_accept(ws: Workspace, *, round: int, model: str | None = None, threshold: float | None = None,
                method: str = "least-confident", progress: Progress | None = None,
                cancel: threading.Event | None = None) -> dict:
    """Accept, without review, the pool predictions of ``model`` whose confidence under ``method`` is at or
    above ``threshold`` into ``round:N``; they are stored with source ``auto``, the annotator
    ``model:<name>`` and their confidence. ``model``/``threshold`` default to the round's settings, and the
    ones used are saved as the round's settings.
    """
    settings = round_settings(ws, round)
    model = model or settings["auto_model"]
    threshold = settings["auto_accept"] if threshold is None else threshold
    if not model or threshold is None:
        raise ConfigError(f"Round {round} has no auto-accept threshold or model.",
                          hint="give a model and a threshold, e.g. --model round-2-crf-ner --threshold 0.9")
    set_round_settings(ws, round, auto_accept=float(threshold), auto_model=model)
    t = Target("round", str(int(round)))
    with ws.engine.connect() as conn:
        pool_ids = [i for i, w, _ in _candidates(conn, t, annotator=None, overlap=False) if w == 1]
    conf = active.confidences(ws, pool_ids, model=model, method=method, progress=progress, cancel=cancel)
    sure = [i for i in pool_ids if conf.get(i, -1.0) >= float(threshold)]
    preds = active.predictions_for(ws, model, sure)
    rows = [{"example_id": i, "answer": "accept", "annotator": f"model:{model}"[:100], "source": "auto",
             "confidence": conf[i], "spans": list(preds[i].spans) if ws.task == "ner" else None,
             "label": preds[i].label if ws.task == "textcat" else None} for i in sure]
    if rows:
        write_answers(ws, t, rows)
    return {"round": int(round), "model": model, "threshold": float(threshold), "method": method,
            "pool": len(pool_ids), "accepted": len(rows)}


# ------------------------------------------------------------------------------------------------ progress

def _seconds(stamp: str) -> float:
    return _dt.datetime.fromisoformat(stamp).timestamp()


def answers_per_hour(stamps: Iterable[str], *, break_seconds: int = BREAK_SECONDS) -> float | None:
    """Answers per hour of labeling time: (answers - 1) / the sum of the gaps between consecutive answers,
    where a gap longer than ``break_seconds`` counts as a break (``break_seconds``, not its length). None with
    fewer than two answers or no measurable time (timestamps have one-second resolution).

    >>> answers_per_hour(["2025-01-01T10:00:00+00:00", "2025-01-01T10:00:30+00:00", "2025-01-01T10:01:00+00:00"])
    120.0
    >>> answers_per_hour(["2025-01-01T10:00:00+00:00", "2025-01-01T10:01:00+00:00", "2025-01-01T12:00:00+00:00"])
    20.0
    """
    times = sorted(_seconds(s) for s in stamps)
    if len(times) < 2:
        return None
    spent = sum(min(b - a, break_seconds) for a, b in zip(times, times[1:]))
    return None if spent <= 0 else (len(times) - 1) * 3600.0 / spent


def round_progress(ws: Workspace, round: int) -> dict:
    """Where a round stands: examples, answers (latest per example) with the auto-accepted ones counted apart,
    accepted spans/categories per label, answers and answers per hour per annotator, the pool left to label
    and the round's labeling settings (see :func:`target_progress`)."""
    return {"round": int(round), **target_progress(ws, Target("round", str(int(round))))}


def target_progress(ws: Workspace, target: str | Target) -> dict:
    """Where a round or gold set stands (``settings`` only for rounds); see :func:`round_progress`."""
    t = _target(target)
    e, a = db.examples, db.annotations
    with ws.engine.connect() as conn:
        tgt = collection_row(conn, t)
        rows = [] if tgt is None else conn.execute(
            sa.select(a.c.example_id, a.c.answer, a.c.spans, a.c.label, a.c.annotator, a.c.source, a.c.created_at)
            .join(e, e.c.id == a.c.example_id).where(e.c.collection_id == tgt["id"]).order_by(a.c.id)).all()
        examples = 0 if tgt is None else conn.execute(
            sa.select(sa.func.count()).select_from(e).where(e.c.collection_id == tgt["id"])).scalar_one()
        pool_left = sum(w == 1 for _, w, _ in _candidates(conn, t, annotator=None, overlap=False))
    latest = {r.example_id: r for r in rows}
    answers = Counter(r.answer for r in latest.values())
    auto = [r for r in latest.values() if r.source == "auto"]
    per_label: Counter = Counter()
    per_label_auto: Counter = Counter()
    for r in latest.values():
        if r.answer != "accept":
            continue
        names = [s[2] for s in (r.spans or [])] if ws.task == "ner" else [r.label] if r.label else []
        (per_label_auto if r.source == "auto" else per_label).update(names)
    people: dict[str, list] = defaultdict(list)
    for r in rows:
        people[r.annotator].append(r)
    per_annotator = []
    for name, rs in sorted(people.items()):
        counts = Counter(r.answer for r in rs)
        timed = [r.created_at for r in rs if r.source in ("manual", "review")]
        per_annotator.append({"annotator": name, "answers": len(rs), **{k: counts.get(k, 0) for k in ANSWERS},
                              "auto": sum(r.source == "auto" for r in rs), "per_hour": answers_per_hour(timed),
                              "last": max(r.created_at for r in rs)})
    manual = [r.created_at for r in rows if r.source in ("manual", "review")]
    return {"target": str(t), "exists": tgt is not None, "examples": examples,
            "answers": {k: answers.get(k, 0) for k in ANSWERS}, "unlabeled": examples - len(latest),
            "auto_accepted": len(auto), "manual_answers": len(manual),
            "per_label": dict(sorted(per_label.items())), "per_label_auto": dict(sorted(per_label_auto.items())),
            "per_annotator": per_annotator, "per_hour": answers_per_hour(manual), "pool_left": pool_left,
            "settings": round_settings(ws, int(t.name)) if t.kind == "round" else None,
            "orders": list(ws.get_setting(_ORDERS.format(t)) or [])}


# ------------------------------------------------------------------------------------------------ agreement

def _answer_key(task: str, ann) -> tuple:
    if task == "ner":
        return ann["answer"], tuple(sorted(tuple(s) for s in (ann["spans"] or [])))
    return ann["answer"], ann["label"]


def _category(ann) -> str:
    """A text-classification answer as one code: the category, or ``(reject)`` / ``(ignore)``."""
    return ann["label"] if ann["answer"] == "accept" else f"({ann['answer']})"


def agreement(ws: Workspace, target: str | Target) -> dict:
    """Inter-annotator agreement on the examples of ``target`` answered by more than one person (each person's
    latest answer; auto-accepted answers and reviews are not people's independent answers and are left out).

    Per pair of annotators: the items both answered, how often their answers were identical, and Cohen's kappa
    of the categories (text classification; reject/ignore count as categories of their own) or exact span F1
    over the items both accepted (NER). Overall: the mean pairwise kappa (Light's kappa) and Krippendorff's alpha
    over every annotator, or the F1 pooled over pairs. ``disagreements`` lists the examples whose answers differ and that no review has settled since.
    """
    t = _target(target)
    e, a = db.examples, db.annotations
    task = ws.task
    with ws.engine.connect() as conn:
        tgt = collection_row(conn, t)
        rows = [] if tgt is None else conn.execute(
            sa.select(a).join(e, e.c.id == a.c.example_id).where(e.c.collection_id == tgt["id"])
            .order_by(a.c.id)).mappings().all()
    by_example: dict[int, dict[str, dict]] = defaultdict(dict)
    reviewed: dict[int, int] = {}
    for r in rows:
        if r["source"] == "review":
            reviewed[r["example_id"]] = r["id"]
        elif r["source"] != "auto":
            by_example[r["example_id"]][r["annotator"]] = dict(r)
    multi = {i: anns for i, anns in by_example.items() if len(anns) > 1}
    names = sorted({n for anns in multi.values() for n in anns})
    pairs = []
    pooled = {"tp": 0, "fp": 0, "fn": 0}
    for x, y in combinations(names, 2):
        both = [i for i, anns in sorted(multi.items()) if x in anns and y in anns]
        if not both:
            continue
        same = sum(_answer_key(task, multi[i][x]) == _answer_key(task, multi[i][y]) for i in both)
        pair = {"a": x, "b": y, "items": len(both), "same": same, "observed": same / len(both)}
        if task == "textcat":
            pair.update(kappa=cohen_kappa([_category(multi[i][x]) for i in both],
                                          [_category(multi[i][y]) for i in both]))
        else:
            acc = [i for i in both if multi[i][x]["answer"] == multi[i][y]["answer"] == "accept"]
            sa_ = span_agreement([multi[i][x]["spans"] or [] for i in acc], [multi[i][y]["spans"] or [] for i in acc])
            pair.update(f1=sa_["f1"], accepted_items=len(acc), tp=sa_["tp"], fp=sa_["fp"], fn=sa_["fn"])
            for k in pooled:
                pooled[k] += sa_[k]
        pairs.append(pair)
    overall: dict[str, Any] = {"items": len(multi), "annotators": names, "pairs": pairs}
    if task == "textcat":
        kappas = [p["kappa"] for p in pairs if p["kappa"] is not None]
        overall["kappa"] = sum(kappas) / len(kappas) if kappas else None
        overall["alpha"] = krippendorff_alpha([{n: _category(ann) for n, ann in anns.items()}
                                               for anns in multi.values()])
    else:
        d = 2 * pooled["tp"] + pooled["fp"] + pooled["fn"]
        overall["f1"] = 2 * pooled["tp"] / d if d else None
    with ws.engine.connect() as conn:
        recs = {r.id: r for r in records_by_ids(conn, list(multi))}
    disagreements = []
    for i, anns in sorted(multi.items()):
        if len({_answer_key(task, ann) for ann in anns.values()}) < 2:
            continue
        if reviewed.get(i, -1) > max(ann["id"] for ann in anns.values()):
            continue
        rec = recs.get(i)
        disagreements.append({
            "example_id": i, "text": rec.text if rec else "",
            "tokens": [(tk.start, tk.end) for tk in (rec.tokens or [])] if rec else [],
            "answers": [{"annotator": n, "answer": ann["answer"], "label": ann["label"],
                         "spans": [Span(*s) for s in (ann["spans"] or [])]} for n, ann in sorted(anns.items())]})
    overall.update(target=str(t), task=task, disagreements=disagreements, settled=sum(
        1 for i, anns in multi.items() if reviewed.get(i, -1) > max(ann["id"] for ann in anns.values())))
    return overall


# ------------------------------------------------------------------------------------------------ the recipe

@dataclass(frozen=True)
class Recipe:
    """A labeling session's parts, rebuilt from its settings whenever needed (nothing lives in memory):
    :meth:`stream` (the next items), :meth:`save` and :meth:`undo`, and :attr:`view` (what to show)."""

    ws: Workspace = field(repr=False)
    target: Target
    annotator: str
    strategy: str = "in-order"
    method: str = "least-confident"
    model: str | None = None
    committee: tuple[str, ...] = ()
    seed: int = 0
    overlap: bool = False
    suggest: bool = False

    @property
    def mode(self) -> str:
        return self.target.kind

    @property
    def view(self) -> dict[str, Any]:
        """``task``, ``labels``, ``mode``, whether items carry suggestions, and ``blind`` (always True: other
        annotators' answers are never shown while labeling)."""
        return {"task": self.ws.task, "labels": self.ws.labels, "mode": self.mode, "target": str(self.target),
                "suggestions": bool(self.suggest and (self.model or self.committee)), "blind": True}

    def stream(self, n: int = 1, *, progress: Progress | None = None,
               cancel: threading.Event | None = None) -> list[Item]:
        return next_items(self.ws, target=self.target, annotator=self.annotator, strategy=self.strategy,
                          method=self.method, model=self.model, committee=self.committee, n=n, seed=self.seed,
                          overlap=self.overlap, suggest=self.suggest, progress=progress, cancel=cancel)

    def item(self, example_id: int) -> Item:
        return get_item(self.ws, example_id, model=self.model or (self.committee[0] if self.committee else None),
                        committee=self.committee if self.strategy == "uncertainty" else (),
                        suggest=self.suggest, method=self.method)

    @property
    def order(self) -> dict[str, Any]:
        """The settings that chose the items (stored with the target by :meth:`save`)."""
        out: dict[str, Any] = {"strategy": self.strategy}
        if self.strategy == "random":
            out["seed"] = self.seed
        if self.strategy == "uncertainty":
            out.update(method=self.method, model=self.model, committee=list(self.committee) or None)
        if self.suggest:
            out["suggestions"] = self.model or (self.committee[0] if self.committee else None)
        return out

    def save(self, example_id: int, answer: str, *, spans: Iterable | None = None, label: str | None = None) -> dict:
        res = save_answer(self.ws, example_id, target=self.target, answer=answer, annotator=self.annotator,
                          spans=spans, label=label)
        note_order(self.ws, self.target, self.order)
        return res

    def undo(self) -> dict | None:
        return undo_answer(self.ws, target=self.target, annotator=self.annotator)

    def remaining(self) -> int:
        return remaining(self.ws, target=self.target, annotator=self.annotator, overlap=self.overlap)


def recipe(ws: Workspace, *, target: str | Target, annotator: str = "", strategy: str = "in-order",
           method: str = "least-confident", model: str | None = None, committee: Sequence[str] = (),
           seed: int = 0, overlap: bool = False, suggest: bool = False) -> Recipe:
    """The recipe of a labeling session into ``round:N`` or ``gold:NAME`` (checked by :func:`check_mode`)."""
    t = _target(target)
    check_mode(t, strategy=strategy, model=model, committee=committee, suggest=suggest)
    active.check_method(method)
    return Recipe(ws=ws, target=t, annotator=(annotator or "").strip(), strategy=strategy, method=method,
                  model=model or None, committee=tuple(committee), seed=int(seed), overlap=bool(overlap),
                  suggest=bool(suggest))


__all__ = ["BREAK_SECONDS", "Item", "MODES", "Recipe", "SOURCES", "add_span", "agreement", "answers_per_hour",
           "auto_accept", "check_mode", "get_item", "next_items", "note_order", "recipe", "remaining", "round_progress",
           "save_answer", "settle", "span_tokens", "target_progress", "undo_answer", "write_answers"]
