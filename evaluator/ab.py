"""Blind A/B preference sessions: two or more models' outputs side by side, names hidden, sides shuffled.

The recipe, as in Prodigy's ``ner.eval-ab`` but with statistics that say when to stop:

* :func:`start_session` draws the examples of a target (``gold:NAME``, ``pool``, ``round:N``) in a seeded order
  and stores, per item, an opaque random id, a seeded side coin and whether the item is *shared* (judged by
  several annotators, for agreement). Nothing is predicted yet: a pool of 100,000 texts costs only the rows.
* :func:`next_item` serves the annotator's next item. Items are prepared in small batches just before they are
  needed: only the drawn examples are predicted (stored predictions are reused), items whose compared outputs
  are identical are skipped and counted, the pair (for three or more models, the pair whose order the ranking is
  least sure about) and its sides are fixed and stored on the server. What is returned names no model: an opaque
  item id, the text and the two outputs as ``left`` and ``right``.
* :func:`judge` stores one answer per (item, annotator) — idempotent, and safe when many annotators write at once
  (SQLite and PostgreSQL: writers take turns through :func:`evaluator.db.lock_for_writing`). :func:`undo` takes
  back the annotator's last answer. Sessions resume per annotator: an item served and not yet answered is served
  again.
* :func:`results` computes every statistic from the stored judgments (:mod:`evaluator.stats.preference`): per
  pair tallies, win rate with a Wilson interval, sign test, the always-valid sequential test ("you can stop"),
  position bias, agreement coded by system, a Bradley-Terry ranking with bootstrap intervals for three or more
  models and, on a gold set, how often the preferred output is the one closer to gold. Model names are shown only
  with ``reveal=True``; otherwise systems are called by letters assigned at random when the session started.

>>> s = start_session(ws, ["round-1-crf-ner", "round-3-crf-ner"], source="gold:test")   # doctest: +SKIP
>>> item = next_item(ws, s["session_id"], "maria")                                     # doctest: +SKIP
>>> judge(ws, s["session_id"], item["item_id"], "maria", "left")["stored"]             # doctest: +SKIP
True
>>> results(ws, s["session_id"])["verdict"]                                             # doctest: +SKIP
'Keep going: no preference is decided yet after 1 decisive judgment (always-valid p = 1).'
"""
from __future__ import annotations

import datetime as _dt
import logging
import math
import re
import secrets
import string
import threading
import time
from itertools import combinations
from typing import Any, Sequence

import numpy as np
import sqlalchemy as sa

from evaluator import db
from evaluator.errors import AlreadyExistsError, ConfigError, EvaluatorError, NotFoundError
from evaluator.progress import Progress, check_cancel, report
from evaluator.records import Record, Span
from evaluator.stats import preference as pref
from evaluator.store import Target, collection_row, parse_target, records_by_ids
from evaluator.workspace import Workspace

# stored predictions of the model registry and the scoring engine's per-document counts
from evaluator.predictions import predict, stored_predictions  # noqa: E402
from evaluator.scoring.evaluate import counts_for  # noqa: E402

CHOICES = pref.CHOICES
#: items prepared (predicted and compared) per batch, for two models and for more
BATCH = {2: 32, 3: 12}
#: an item served but not answered for this long may be served to someone else
STALE_SECONDS = 30 * 60
#: a batch being prepared by a process that died is taken over after this long
BUSY_SECONDS = 10 * 60
#: how long next_item waits for items another process is preparing before it says "done"
BUSY_WAIT_SECONDS = 60
#: bootstrap resamples behind the choice of the next pair (three or more models)
PAIR_RESAMPLES = 100
_LETTERS = string.ascii_uppercase
_ROUND_SPEC = re.compile(r"^round:(\d+)$")


# ------------------------------------------------------------------------------------------------ helpers

def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _stamp(t: _dt.datetime | None = None) -> str:
    return (t or _now()).isoformat(timespec="microseconds")


def _older_than(stamp: str | None, seconds: float) -> bool:
    if not stamp:
        return True
    try:
        t = _dt.datetime.fromisoformat(stamp.split("|")[0])
    except ValueError:
        return True
    return (_now() - t).total_seconds() > seconds


def _session(conn, session_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(db.ab_sessions).where(db.ab_sessions.c.id == int(session_id))).mappings().first()
    if row is None:
        known = [r[0] for r in conn.execute(sa.select(db.ab_sessions.c.id).order_by(db.ab_sessions.c.id))]
        raise NotFoundError(f"No A/B session {session_id}.",
                            hint=f"sessions: {', '.join(map(str, known)) or 'none yet'}; start one with "
                                 "`evaluator ab start --models A,B --on gold:NAME`")
    return dict(row)


def _check_annotator(annotator: str) -> str:
    name = (annotator or "").strip()
    if not name or len(name) > 100:
        raise ConfigError("An annotator name is needed (1 to 100 characters).",
                          hint="pass --annotator NAME (in the app: type your name in the sidebar)")
    return name


def _resolve_models(conn, specs: Sequence[str]) -> list[dict[str, Any]]:
    """Model rows for names, or ``round:N`` for the newest model trained on round N."""
    m = db.models
    out: list[dict[str, Any]] = []
    for spec in specs:
        spec = spec.strip()
        hit = _ROUND_SPEC.match(spec)
        if hit:
            row = conn.execute(sa.select(m).where(m.c.kind == "trained", m.c.round == int(hit.group(1)))
                               .order_by(m.c.id.desc()).limit(1)).mappings().first()
        else:
            row = conn.execute(sa.select(m).where(m.c.name == spec)).mappings().first()
        if row is None:
            known = [r[0] for r in conn.execute(sa.select(m.c.name).order_by(m.c.id))]
            raise NotFoundError(f"No model {spec!r}" + (" (no model trained on that round)." if hit else "."),
                                hint=f"known models: {', '.join(known) or 'none yet'}; see `evaluator models`")
        out.append({"name": row["name"], "id": row["id"], "artifact_hash": row["artifact_hash"], "kind": row["kind"]})
    ids = [x["id"] for x in out]
    if len(set(ids)) != len(ids):
        raise ConfigError("The same model is named twice.", hint="name two or more different models")
    if len(out) < 2:
        raise ConfigError("An A/B session compares at least two models.", hint="pass --models A,B (or A,B,C)")
    if len(out) > len(_LETTERS):
        raise ConfigError(f"At most {len(_LETTERS)} models per session.", hint="compare fewer models at once")
    return out


def _output(task: str, prediction) -> dict[str, Any]:
    """What an annotator sees of one model's prediction: spans sorted by position, or the category."""
    if task == "textcat":
        return {"label": prediction.label}
    return {"spans": sorted([s.start, s.end, s.label] for s in prediction.spans)}


def _public(output: dict[str, Any] | None) -> dict[str, Any]:
    if output is None:
        return {}
    if "label" in output:
        return {"label": output["label"]}
    return {"spans": [{"start": s, "end": e, "label": lab} for s, e, lab in output["spans"]]}


def _per_doc_f1(ws: Workspace, gold: Sequence[Record], outputs: Sequence[dict[str, Any]]) -> list[float | None]:
    """Per-document micro F1 of outputs against gold records, with the metrics engine (None when undefined)."""
    from evaluator.metrics.aggregate import FN, FP, TP, prf
    from evaluator.training.base import Prediction

    preds = [Prediction(label=o["label"]) if "label" in o else
             Prediction(spans=[Span(s, e, lab) for s, e, lab in o["spans"]]) for o in outputs]
    counts = counts_for(ws.task, gold, preds, labels=ws.labels, lang=ws.lang).counts.sum(axis=1)
    _, _, f1 = prf(counts[:, TP], counts[:, FP], counts[:, FN])
    return [None if math.isnan(x) else float(x) for x in f1]


def _letters(k: int) -> list[str]:
    """A random (not seeded) letter per model, so that blinded labels say nothing about the models' order."""
    order = secrets.SystemRandom().sample(range(k), k)
    return [_LETTERS[i] for i in order]


# ------------------------------------------------------------------------------------------------ start

def start_session(ws: Workspace, models: Sequence[str] | str, *, source: str, max_items: int | None = None,
                  seed: int = 0, overlap: float = 0.2, judges: int = 2, alpha: float = pref.DEFAULT_ALPHA,
                  owner: str = "", progress: Progress | None = None,
                  cancel: threading.Event | None = None) -> dict[str, Any]:
    """Start a blind session comparing ``models`` (names, or ``round:N`` for the newest model of round N) on the
    examples of ``source`` (``gold:NAME[@V]``, ``pool`` or ``round:N``).

    The examples are drawn in a seeded random order; ``max_items`` caps the items that get judged (identical
    outputs do not count); a share ``overlap`` of the items is judged by ``judges`` annotators (for agreement);
    ``alpha`` is the error rate of the sequential test. Returns ``{"session_id", "source", "models", "items",
    "settings"}``.
    """
    specs = [m for m in (models.split(",") if isinstance(models, str) else models) if m and m.strip()]
    if max_items is not None and int(max_items) < 1:
        raise ConfigError(f"Bad cap {max_items}.", hint="pass --max 1 or more, or leave it out for every example")
    if not 0 <= overlap <= 1:
        raise ConfigError(f"Bad overlap {overlap}.", hint="the share of items judged twice is between 0 and 1, "
                                                          "e.g. 0.2")
    if int(judges) < 2:
        raise ConfigError("Shared items need at least two annotators.", hint="pass judges=2 or more")
    if not 0 < alpha <= 0.2:
        raise ConfigError(f"Bad alpha {alpha}.", hint="use a small error rate such as 0.05")
    target = parse_target(source)
    gold_hash = None
    with ws.engine.connect() as conn:
        chosen = _resolve_models(conn, specs)
        row = collection_row(conn, target)
        if row is None:
            raise NotFoundError(f"No {target} in this workspace.",
                                hint="see `evaluator status`; sources are gold:NAME, pool or round:N")
    if target.kind == "gold":
        from evaluator.gold import gold_records
        info, recs = gold_records(ws, target.name, version=row["version"])  # hash-checked when frozen
        ids = [r.id for r in recs]
        gold_hash = info["gold_hash"]
        source = f"gold:{target.name}@{row['version']}"
    else:
        with ws.engine.connect() as conn:
            e = db.examples
            ids = [r[0] for r in conn.execute(sa.select(e.c.id).where(e.c.collection_id == row["id"])
                                              .order_by(e.c.position, e.c.id))]
        source = str(target)
    if not ids:
        raise ConfigError(f"{source} has no examples to compare on.", hint="import data into it first")
    for m in chosen:  # a predictions file must cover the source: say so now, to the owner, not while judging
        if m["kind"] == "predictions":
            predict(ws, m["name"], source, example_ids=ids, progress=None)
    rng = np.random.default_rng(seed)
    order = rng.permutation(np.asarray(ids, dtype=np.int64))
    shared = rng.random(len(order)) < overlap
    coin = rng.random(len(order)) < 0.5
    settings = {"seed": int(seed), "overlap": float(overlap), "judges": int(judges),
                "max_items": int(max_items) if max_items is not None else None, "alpha": float(alpha),
                "pair_alpha": float(alpha) / math.comb(len(chosen), 2),
                "bt_resamples": pref.DEFAULT_BT_RESAMPLES, "bt_seed": pref.DEFAULT_BT_SEED}
    with ws.engine.begin() as conn:
        sid = conn.execute(db.ab_sessions.insert().values(
            owner=(owner or "").strip() or "owner", task=ws.task, source=source, collection_id=row["id"],
            gold_hash=gold_hash, models=chosen, blind=_letters(len(chosen)), settings=settings, size=len(order),
            created_at=db.utcnow())).inserted_primary_key[0]
        chunk = 5000
        for k in range(0, len(order), chunk):
            check_cancel(cancel, "Starting the session")
            conn.execute(db.ab_items.insert(), [
                {"session_id": sid, "token": secrets.token_hex(8), "position": k + i, "example_id": int(ex),
                 "needed": int(judges) if shared[k + i] else 1, "coin": int(coin[k + i]), "state": "new",
                 "claims": 0}
                for i, ex in enumerate(order[k:k + chunk])])
            report(progress, min(k + chunk, len(order)), len(order), "drawing items")
    return {"session_id": int(sid), "source": source, "models": [m["name"] for m in chosen], "items": len(order),
            "settings": settings}


# ------------------------------------------------------------------------------------------------ prepare

def _claim_batch(ws: Workspace, sess: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Mark the next batch of new items busy (or take over a batch whose process died); respects the cap."""
    it = db.ab_items
    cap = sess["settings"].get("max_items")
    size = BATCH[2] if len(sess["models"]) == 2 else BATCH[3]
    stamp = f"{_stamp()}|{secrets.token_hex(4)}"
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        if cap is not None:
            used = conn.execute(sa.select(sa.func.count()).select_from(it).where(
                it.c.session_id == sess["id"], it.c.state.in_(("busy", "ready", "partial", "full")))).scalar_one()
            size = min(size, cap - used)
            if size <= 0:
                return stamp, []
        cols = (it.c.id, it.c.example_id, it.c.coin, it.c.state_at)
        # a batch whose process died long ago first, then new items in order (one index range each)
        rows = [dict(r) for r in conn.execute(sa.select(*cols).where(
            it.c.session_id == sess["id"], it.c.state == "busy").order_by(it.c.position).limit(200)).mappings()
            if _older_than(r["state_at"], BUSY_SECONDS)][:size]
        if len(rows) < size:
            rows += [dict(r) for r in conn.execute(sa.select(*cols).where(
                it.c.session_id == sess["id"], it.c.state == "new").order_by(it.c.position)
                .limit(size - len(rows))).mappings()]
        if rows:
            conn.execute(it.update().where(it.c.id.in_([r["id"] for r in rows]))
                         .values(state="busy", state_at=stamp))
    return stamp, rows


def _predicted_outputs(ws: Workspace, sess: dict[str, Any], records: list[Record]) -> list[list[dict[str, Any]]]:
    """outputs[model][item]: each model's stored prediction (computed now if missing) for the records."""
    ids = [r.id for r in records]
    out = []
    for m in sess["models"]:
        predict(ws, m["name"], sess["source"], example_ids=ids)  # safe when another process predicts them too
        out.append([_output(sess["task"], p) for p in stored_predictions(ws, m["name"], records)])
    return out


def _pair_plan(ws: Workspace, sess: dict[str, Any]) -> tuple[list[list[float]], dict[tuple[int, int], int]]:
    """(``p_above`` of a quick Bradley-Terry bootstrap over the judgments so far, items per pair so far)."""
    k = len(sess["models"])
    with ws.engine.connect() as conn:
        items, judgments = _load(conn, sess["id"])
    planned: dict[tuple[int, int], int] = {}
    for item in items.values():
        if item["left_model"] is not None and item["state"] != "skipped":
            pair = tuple(sorted((item["left_model"], item["right_model"])))
            planned[pair] = planned.get(pair, 0) + 1
    comps = [(i, j, o) for i, j, o in _comparisons(items, _primary(judgments))]
    if not comps:
        return [[0.5] * k for _ in range(k)], planned
    bt = pref.bradley_terry(k, comps, resamples=PAIR_RESAMPLES, seed=sess["settings"]["seed"])
    return bt["p_above"], planned


def _prepare(ws: Workspace, sess: dict[str, Any]) -> int:
    """Prepare the next batch of items (predict, compare, choose the pair and sides); return how many."""
    stamp, rows = _claim_batch(ws, sess)
    if not rows:
        return 0
    with ws.engine.connect() as conn:
        records = records_by_ids(conn, [r["example_id"] for r in rows])
    by_id = {r.id: r for r in records}
    try:
        outputs = _predicted_outputs(ws, sess, [by_id[r["example_id"]] for r in rows])
    except BaseException:
        with ws.engine.begin() as conn:  # give the batch back
            conn.execute(db.ab_items.update().where(db.ab_items.c.state == "busy", db.ab_items.c.state_at == stamp)
                         .values(state="new", state_at=None))
        raise
    k = len(sess["models"])
    plan, planned = _pair_plan(ws, sess) if k > 2 else (None, {})
    updates = []
    for n, row in enumerate(rows):
        differ = [(i, j) for i, j in combinations(range(k), 2) if outputs[i][n] != outputs[j][n]]
        if not differ:
            updates.append({"id": row["id"], "state": "skipped"})
            continue
        i, j = differ[0] if k == 2 else pref.next_pair(plan, planned, candidates=differ)
        planned[(i, j)] = planned.get((i, j), 0) + 1
        left, right = (i, j) if row["coin"] else (j, i)
        updates.append({"id": row["id"], "state": "ready", "left_model": left, "right_model": right,
                        "left_output": outputs[left][n], "right_output": outputs[right][n]})
    if sess["gold_hash"]:
        ready = [u for u in updates if u["state"] == "ready"]
        gold = [by_id[next(r["example_id"] for r in rows if r["id"] == u["id"])] for u in ready]
        if ready:
            lf = _per_doc_f1(ws, gold, [u["left_output"] for u in ready])
            rf = _per_doc_f1(ws, gold, [u["right_output"] for u in ready])
            for u, a, b in zip(ready, lf, rf):
                u["left_f1"], u["right_f1"] = a, b
    it = db.ab_items
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        for u in updates:
            values = {key: u.get(key) for key in ("state", "left_model", "right_model", "left_output",
                                                  "right_output", "left_f1", "right_f1")}
            conn.execute(it.update().where(it.c.id == u["id"], it.c.state == "busy", it.c.state_at == stamp)
                         .values(state_at=_stamp(), **values))
    return len(rows)


# ------------------------------------------------------------------------------------------------ serve

def _item_json(conn, sess: dict[str, Any], item, annotator: str, *, resumed: bool) -> dict[str, Any]:
    ex = conn.execute(sa.select(db.examples.c.text).where(db.examples.c.id == item["example_id"])).scalar_one()
    j = db.ab_judgments
    mine = conn.execute(sa.select(sa.func.count()).select_from(j).where(
        j.c.session_id == sess["id"], j.c.annotator == annotator, j.c.choice.is_not(None))).scalar_one()
    return {"done": False, "session_id": sess["id"], "item_id": item["token"], "task": sess["task"], "text": ex,
            "left": _public(item["left_output"]), "right": _public(item["right_output"]),
            "progress": {"judged_by_you": int(mine), "cap": sess["settings"].get("max_items")},
            "resumed": resumed}


def _claim(conn, sess: dict[str, Any], item, annotator: str) -> None:
    """Serve ``item`` to ``annotator``: a waiting judgment row, one more claim on the item."""
    it, j = db.ab_items, db.ab_judgments
    claims = item["claims"] + 1
    conn.execute(j.insert().values(session_id=sess["id"], item_id=item["id"], annotator=annotator, choice=None,
                                   served_at=_stamp()))
    conn.execute(it.update().where(it.c.id == item["id"]).values(
        claims=claims, state="full" if claims >= item["needed"] else "partial"))


def _serve(conn, sess: dict[str, Any], annotator: str):
    """(item row, resumed) for the annotator, claiming a new one when needed; (None, False) when none is open."""
    it, j = db.ab_items, db.ab_judgments
    sid = sess["id"]
    waiting = conn.execute(sa.select(it).join(j, j.c.item_id == it.c.id).where(
        j.c.session_id == sid, j.c.annotator == annotator, j.c.choice.is_(None))
        .order_by(j.c.served_at.desc()).limit(1)).mappings().first()
    if waiting is not None:
        return waiting, True
    mine = sa.select(j.c.item_id).where(j.c.session_id == sid, j.c.annotator == annotator)
    for state in ("partial", "ready"):  # items others started first: shared items get their second judge early
        q = sa.select(it).where(it.c.session_id == sid, it.c.state == state)
        if state == "partial":
            q = q.where(it.c.id.not_in(mine))
        item = conn.execute(q.order_by(it.c.position).limit(1)).mappings().first()
        if item is not None:
            _claim(conn, sess, item, annotator)
            return item, False
    # nothing open: take over an item someone was served long ago and never answered
    stale = conn.execute(sa.select(j.c.id, j.c.item_id, j.c.served_at).where(
        j.c.session_id == sid, j.c.choice.is_(None), j.c.annotator != annotator, j.c.item_id.not_in(mine))
        .order_by(j.c.served_at).limit(20)).mappings().all()
    for row in stale:
        if _older_than(row["served_at"], STALE_SECONDS):
            conn.execute(j.delete().where(j.c.id == row["id"]))
            item = conn.execute(sa.select(it).where(it.c.id == row["item_id"])).mappings().one()
            conn.execute(j.insert().values(session_id=sid, item_id=item["id"], annotator=annotator, choice=None,
                                           served_at=_stamp()))
            return item, False
    return None, False


def _being_prepared(ws: Workspace, sess: dict[str, Any]) -> bool:
    it = db.ab_items
    with ws.engine.connect() as conn:
        stamps = conn.execute(sa.select(it.c.state_at).where(it.c.session_id == sess["id"], it.c.state == "busy")
                              .limit(50)).scalars().all()
    return any(not _older_than(s, BUSY_SECONDS) for s in stamps)


_PREFETCH: dict[tuple[str, int], threading.Thread] = {}
_PREFETCH_LOCK = threading.Lock()
log = logging.getLogger("evaluator.ab")


def _prefetch(ws: Workspace, sess: dict[str, Any]) -> None:
    """Prepare the next batch in a background thread of this process (one per session at a time)."""
    key = (ws.url, sess["id"])

    def run() -> None:
        try:
            _prepare(ws, sess)
        except Exception:  # the next next_item prepares (and reports) it in the foreground
            log.warning("preparing A/B items in the background failed", exc_info=True)

    with _PREFETCH_LOCK:
        running = _PREFETCH.get(key)
        if running is not None and running.is_alive():
            return
        _PREFETCH[key] = threading.Thread(target=run, name=f"ab-prefetch-{sess['id']}", daemon=True)
        _PREFETCH[key].start()


def _open_items(conn, sess: dict[str, Any], limit: int) -> int:
    it = db.ab_items
    q = sa.select(it.c.id).where(it.c.session_id == sess["id"], it.c.state == "ready").limit(limit)
    return conn.execute(sa.select(sa.func.count()).select_from(q.subquery())).scalar_one()


def next_item(ws: Workspace, session_id: int, annotator: str, *, prefetch: bool = False) -> dict[str, Any]:
    """The annotator's next item: ``{"done": False, "item_id", "text", "left", "right", "progress", ...}`` with
    outputs as ``{"spans": [{"start", "end", "label"}]}`` or ``{"label": ...}``, or ``{"done": True, ...}`` when
    the session has nothing left for this annotator. Nothing returned names or identifies a model.

    An item served and not yet answered is served again (sessions resume per annotator). Items are prepared in
    batches when none is open; with ``prefetch=True`` (a long-lived process such as the app) the next batch is
    prepared in a background thread while the annotator looks at this item, so that no click waits for it.
    """
    annotator = _check_annotator(annotator)
    with ws.engine.connect() as conn:
        sess = _session(conn, session_id)
    waited = 0.0
    while True:
        with ws.engine.begin() as conn:
            db.lock_for_writing(conn)
            item, resumed = _serve(conn, sess, annotator)
            if item is not None:
                out = _item_json(conn, sess, item, annotator, resumed=resumed)
                low = prefetch and _open_items(conn, sess, BATCH[min(len(sess["models"]), 3)] // 2) < \
                    BATCH[min(len(sess["models"]), 3)] // 2
        if item is not None:
            if low:
                _prefetch(ws, sess)
            return out
        try:
            prepared = _prepare(ws, sess)
        except EvaluatorError as err:  # blinded: the message could name a model
            raise ConfigError("The next items of this session could not be prepared: one of the compared models "
                              "failed to predict them.",
                              hint="the session owner can run `evaluator ab results SESSION` and "
                                   "`evaluator predict --model NAME --on SOURCE` to see which and why") from err
        if prepared:
            continue
        if waited >= BUSY_WAIT_SECONDS or not _being_prepared(ws, sess):
            break
        time.sleep(0.2)  # another annotator's process is preparing the last items
        waited += 0.2
    with ws.engine.connect() as conn:
        j = db.ab_judgments
        mine = conn.execute(sa.select(sa.func.count()).select_from(j).where(
            j.c.session_id == sess["id"], j.c.annotator == annotator, j.c.choice.is_not(None))).scalar_one()
    return {"done": True, "session_id": sess["id"], "progress": {"judged_by_you": int(mine),
                                                                "cap": sess["settings"].get("max_items")}}


# ------------------------------------------------------------------------------------------------ judge

def judge(ws: Workspace, session_id: int, item_id: str, annotator: str, choice: str, *,
          comment: str | None = None) -> dict[str, Any]:
    """Store the annotator's answer on an item: ``left``, ``right``, ``tie`` or ``neither`` (both wrong).

    Idempotent: the same answer again changes nothing (``"stored": False``). A different answer to an item already
    judged is refused (undo it first). Returns ``{"item_id", "choice", "stored", "judged_by_you"}``.
    """
    annotator = _check_annotator(annotator)
    if choice not in CHOICES:
        raise ConfigError(f"Unknown choice {choice!r}.", hint=f"use one of: {', '.join(CHOICES)}")
    comment = (comment or "").strip() or None
    it, j = db.ab_items, db.ab_judgments
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        sess = _session(conn, session_id)
        item = conn.execute(sa.select(it).where(it.c.session_id == sess["id"], it.c.token == str(item_id))
                            ).mappings().first()
        if item is None or item["state"] not in ("ready", "partial", "full"):
            raise NotFoundError(f"No item {item_id!r} to judge in A/B session {sess['id']}.",
                                hint="use the item_id that `evaluator ab next` printed for this session")
        row = conn.execute(sa.select(j).where(j.c.item_id == item["id"], j.c.annotator == annotator)
                           ).mappings().first()
        stored = True
        if row is not None and row["choice"] is not None:
            if row["choice"] != choice:
                raise AlreadyExistsError(
                    f"{annotator} already judged item {item_id} ({row['choice']}).",
                    hint="undo it first (`evaluator ab undo` or the Undo button), then judge again")
            stored = False
            if comment and comment != row["comment"]:
                conn.execute(j.update().where(j.c.id == row["id"]).values(comment=comment))
        else:
            seq = (conn.execute(sa.select(sa.func.max(j.c.seq)).where(j.c.session_id == sess["id"])).scalar()
                   or 0) + 1
            values = {"choice": choice, "comment": comment, "seq": seq, "judged_at": _stamp()}
            if row is None:  # judged without being served (a scripted judge that kept an id): count the claim
                _claim(conn, sess, item, annotator)
                conn.execute(j.update().where(j.c.item_id == item["id"], j.c.annotator == annotator).values(**values))
            else:
                conn.execute(j.update().where(j.c.id == row["id"]).values(**values))
        mine = conn.execute(sa.select(sa.func.count()).select_from(j).where(
            j.c.session_id == sess["id"], j.c.annotator == annotator, j.c.choice.is_not(None))).scalar_one()
    return {"session_id": sess["id"], "item_id": str(item_id), "choice": choice, "stored": stored,
            "judged_by_you": int(mine)}


def undo(ws: Workspace, session_id: int, annotator: str) -> dict[str, Any]:
    """Take back the annotator's last answer; that item is served to them again next. Returns ``{"undone":
    item_id or None}``."""
    annotator = _check_annotator(annotator)
    it, j = db.ab_items, db.ab_judgments
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        sess = _session(conn, session_id)
        last = conn.execute(sa.select(j.c.id, j.c.item_id).where(
            j.c.session_id == sess["id"], j.c.annotator == annotator, j.c.choice.is_not(None))
            .order_by(j.c.seq.desc()).limit(1)).mappings().first()
        if last is None:
            return {"session_id": sess["id"], "undone": None}
        # the item waiting for this annotator (if any) goes back to the others
        for w in conn.execute(sa.select(j.c.id, j.c.item_id).where(
                j.c.session_id == sess["id"], j.c.annotator == annotator, j.c.choice.is_(None))).mappings().all():
            conn.execute(j.delete().where(j.c.id == w["id"]))
            item = conn.execute(sa.select(it.c.claims, it.c.needed).where(it.c.id == w["item_id"])).one()
            claims = item.claims - 1
            conn.execute(it.update().where(it.c.id == w["item_id"]).values(
                claims=claims, state="ready" if claims == 0 else ("full" if claims >= item.needed else "partial")))
        conn.execute(j.update().where(j.c.id == last["id"]).values(choice=None, comment=None, seq=None,
                                                                   judged_at=None, served_at=_stamp()))
        token = conn.execute(sa.select(it.c.token).where(it.c.id == last["item_id"])).scalar_one()
    return {"session_id": sess["id"], "undone": token}


# ------------------------------------------------------------------------------------------------ results

def _load(conn, session_id: int) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """(prepared items by id, answered judgments in order)."""
    it, j = db.ab_items, db.ab_judgments
    items = {r["id"]: dict(r) for r in conn.execute(sa.select(it).where(
        it.c.session_id == session_id, it.c.state.in_(("ready", "partial", "full", "skipped")))).mappings()}
    judgments = [dict(r) for r in conn.execute(sa.select(j).where(
        j.c.session_id == session_id, j.c.choice.is_not(None)).order_by(j.c.seq, j.c.id)).mappings()]
    return items, judgments


def _primary(judgments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first answer per item (in judgment order): what the preference statistics count, so that an item
    judged twice for agreement is not counted twice."""
    seen: set[int] = set()
    out = []
    for jd in judgments:
        if jd["item_id"] not in seen:
            seen.add(jd["item_id"])
            out.append(jd)
    return out


def _winner(item: dict[str, Any], choice: str) -> int | str:
    """What a judgment says in terms of systems: the winning model's index, or ``"tie"``/``"neither"``."""
    if choice == "left":
        return item["left_model"]
    if choice == "right":
        return item["right_model"]
    return choice


def _comparisons(items: dict[int, dict[str, Any]], judgments: list[dict[str, Any]]):
    """``(i, j, outcome)`` with ``i < j`` and the outcome from i's side, per judgment."""
    for jd in judgments:
        item = items[jd["item_id"]]
        i, k = sorted((item["left_model"], item["right_model"]))
        w = _winner(item, jd["choice"])
        yield i, k, ("a" if w == i else "b" if w == k else w)


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3g}"


def _pair_sentence(a: str, b: str, s: dict[str, Any]) -> str:
    seq = s["sequential"]
    if s["decided"]:
        win, lose = (a, b) if s["preferred"] == "a" else (b, a)
        w = s["wins"] if s["preferred"] == "a" else s["losses"]
        return (f"You can stop: the preference for {win} over {lose} is decided ({win} won {w} of "
                f"{s['decisive']} decisive judgments; always-valid p = {_fmt_p(seq['p_always_valid'])}).")
    return (f"Keep going: no preference between {a} and {b} is decided yet after {s['decisive']} decisive "
            f"judgment{'s' if s['decisive'] != 1 else ''} (always-valid p = {_fmt_p(seq['p_always_valid'])}; "
            f"it stops at {_fmt_p(seq['alpha'])}).")


def results(ws: Workspace, session_id: int, *, reveal: bool = False, items: bool = False,
            resamples: int | None = None) -> dict[str, Any]:
    """Statistics of a session from its stored judgments (see the module docstring for what they are).

    Systems are named by their random letters (``"System B"``) unless ``reveal=True``. ``items=True`` adds the
    judged items with both outputs, every answer and comment. ``resamples`` overrides the Bradley-Terry bootstrap
    resamples (three or more models; the setting is stored with the session).
    """
    with ws.engine.connect() as conn:
        sess = _session(conn, session_id)
        all_items, judgments = _load(conn, sess["id"])
        it = db.ab_items
        counts = dict(conn.execute(sa.select(it.c.state, sa.func.count()).where(it.c.session_id == sess["id"])
                                   .group_by(it.c.state)).all())
        texts = {}
        if items:
            ex_ids = list({all_items[jd["item_id"]]["example_id"] for jd in judgments})
            e = db.examples
            for k in range(0, len(ex_ids), 5000):
                texts.update(dict(conn.execute(sa.select(e.c.id, e.c.text).where(e.c.id.in_(ex_ids[k:k + 5000])))
                                  .all()))
        current = dict(conn.execute(sa.select(db.models.c.id, db.models.c.name).where(
            db.models.c.id.in_([m["id"] for m in sess["models"]]))).all())
    st = sess["settings"]
    models = [{**m, "name": current.get(m["id"], m["name"])} for m in sess["models"]]  # renamed since: new name
    k = len(models)
    names = [m["name"] for m in models] if reveal else [f"System {x}" for x in sess["blind"]]
    primary = _primary(judgments)
    comps = list(_comparisons(all_items, primary))
    # pairs, listed by name so that blinded results say nothing about the order the models were given in
    pairs = []
    for i, j in sorted(combinations(range(k), 2), key=lambda p: (names[p[0]], names[p[1]])):
        outcomes = [o for a, b, o in comps if (a, b) == (i, j)]
        s = pref.pair_summary(outcomes, alpha=st["pair_alpha"])
        a, b = (i, j) if names[i] <= names[j] else (j, i)
        if a != i:  # state the pair from the first name's side
            flip = {"a": "b", "b": "a"}
            s = pref.pair_summary([flip.get(o, o) for o in outcomes], alpha=st["pair_alpha"])
        s.update(a=names[a], b=names[b], preferred=None if s["preferred"] is None else
                 names[a] if s["preferred"] == "a" else names[b], sentence=_pair_sentence(names[a], names[b], s))
        pairs.append(s)
    # sides: screen positions chosen (every answer), and where each system was shown (every prepared item)
    sides = pref.position_bias([jd["choice"] for jd in judgments], [jd["annotator"] for jd in judgments],
                               alpha=st["alpha"])
    shown = [x for x in all_items.values() if x["state"] != "skipped"]
    placement = [{"system": names[m], "items": sum(1 for x in shown if m in (x["left_model"], x["right_model"])),
                  "left": sum(1 for x in shown if x["left_model"] == m)} for m in range(k)]
    for p in placement:
        p["share_left"] = p["left"] / p["items"] if p["items"] else None
    # agreement on items with several answers, coded by the winning system
    units: dict[int, dict[str, Any]] = {}
    for jd in judgments:
        w = _winner(all_items[jd["item_id"]], jd["choice"])
        units.setdefault(jd["item_id"], {})[jd["annotator"]] = names[w] if isinstance(w, int) else w
    agreement = pref.agreement(list(units.values()))
    # ranking (three or more systems)
    ranking = None
    if k > 2:
        bt = pref.bradley_terry(k, comps, resamples=int(resamples or st["bt_resamples"]), seed=st["bt_seed"])
        ranking = {"resamples": bt["resamples"], "seed": bt["seed"], "judgments": bt["judgments"], "systems": [
            {"system": names[m], "rank": bt["rank"][m], "score": bt["scores"][m], "ci95": bt["ci95"][m],
             "rank_ci95": bt["rank_ci95"][m]} for m in bt["order"]]}
        ranking["next_pair"] = [names[x] for x in pref.next_pair(bt["p_above"], _pairs_judged(comps))]
    # judges vs gold
    gold = None
    if sess["gold_hash"]:
        pf, of = [], []
        for jd in primary:
            item = all_items[jd["item_id"]]
            if jd["choice"] in ("left", "right"):
                pf.append(item[f"{jd['choice']}_f1"])
                of.append(item["right_f1" if jd["choice"] == "left" else "left_f1"])
        gold = pref.gold_check(pf, of)
    verdict, stop = _verdict(pairs, ranking, k)
    out = {
        "session_id": sess["id"], "source": sess["source"], "task": sess["task"], "owner": sess["owner"],
        "created_at": sess["created_at"], "revealed": bool(reveal), "systems": names,
        "settings": st, "gold_hash": sess["gold_hash"],
        "items": {"drawn": sess["size"], "skipped_identical": counts.get("skipped", 0),
                  "prepared": sum(counts.get(s, 0) for s in ("ready", "partial", "full")),
                  "judged": len({jd["item_id"] for jd in judgments}),
                  "shared_judged": sum(1 for u in units.values() if len(u) > 1)},
        "judgments": len(judgments), "annotators": sorted({jd["annotator"] for jd in judgments}),
        "pairs": pairs, "position_bias": sides, "placement": placement, "agreement": agreement,
        "ranking": ranking, "gold_check": gold, "verdict": verdict, "stop": stop,
    }
    if reveal:
        out["models"] = models
    if items:
        out["judged_items"] = _judged_items(all_items, judgments, texts, names)
    return out


def _pairs_judged(comps) -> dict[tuple[int, int], int]:
    out: dict[tuple[int, int], int] = {}
    for i, j, _ in comps:
        out[(i, j)] = out.get((i, j), 0) + 1
    return out


def _verdict(pairs: list[dict[str, Any]], ranking: dict[str, Any] | None, k: int) -> tuple[str, bool]:
    if k == 2:
        return pairs[0]["sentence"], bool(pairs[0]["decided"])
    by_names = {frozenset((p["a"], p["b"])): p for p in pairs}
    order = [s["system"] for s in ranking["systems"]]
    open_ = [(x, y) for x, y in zip(order, order[1:]) if not by_names[frozenset((x, y))]["decided"]]
    if not open_:
        return f"You can stop: the ranking {' > '.join(order)} is decided (every neighbour pair).", True
    which = "; ".join(f"{x} vs {y}" for x, y in open_)
    return (f"Keep going: the order of {which} is not decided yet (current ranking {' > '.join(order)}).", False)


def _judged_items(items, judgments, texts, names) -> list[dict[str, Any]]:
    by_item: dict[int, list[dict[str, Any]]] = {}
    for jd in judgments:
        by_item.setdefault(jd["item_id"], []).append(jd)
    out = []
    for item_id, js in by_item.items():
        item = items[item_id]
        out.append({
            "item_id": item["token"], "text": texts.get(item["example_id"], ""),
            "left": {"system": names[item["left_model"]], **_public(item["left_output"]), "f1": item["left_f1"]},
            "right": {"system": names[item["right_model"]], **_public(item["right_output"]), "f1": item["right_f1"]},
            "answers": [{"annotator": jd["annotator"], "choice": jd["choice"],
                         "winner": (names[w] if isinstance(w := _winner(item, jd["choice"]), int) else w),
                         "comment": jd["comment"], "judged_at": jd["judged_at"]} for jd in js],
            "seq": js[0]["seq"],
        })
    return sorted(out, key=lambda x: x["seq"])


def sessions(ws: Workspace) -> list[dict[str, Any]]:
    """Every session, newest first, described without naming its models: ``session_id``, ``source``, ``owner``,
    ``systems`` (how many), ``items``, ``judgments``, ``created_at``."""
    s, j = db.ab_sessions, db.ab_judgments
    with ws.engine.connect() as conn:
        n = dict(conn.execute(sa.select(j.c.session_id, sa.func.count()).where(j.c.choice.is_not(None))
                              .group_by(j.c.session_id)).all())
        rows = conn.execute(sa.select(s.c.id, s.c.source, s.c.owner, s.c.models, s.c.size, s.c.created_at,
                                      s.c.settings).order_by(s.c.id.desc())).mappings().all()
    return [{"session_id": r["id"], "source": r["source"], "owner": r["owner"], "systems": len(r["models"]),
             "items": r["size"], "cap": r["settings"].get("max_items"), "judgments": int(n.get(r["id"], 0)),
             "created_at": r["created_at"]} for r in rows]
