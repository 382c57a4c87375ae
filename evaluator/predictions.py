"""Predictions of registered models: compute, store, read back (with the model's scores where it gives them).

Predictions are stored per (model, example) and reused. Each row carries a checksum over the model's artifact
hash, the example's text and the prediction, checked whenever predictions are read: a row that was edited or
emptied behind the tool's back is recomputed by :func:`predict` (which says how many) and refused by
:func:`stored_predictions`. Two sessions predicting the same model at once are safe: rows are inserted with
``ON CONFLICT DO NOTHING`` on (model, example), so the second one keeps the first one's rows.

>>> predict(ws, "round-1-spacy-ner", "gold:test")["computed"]      # doctest: +SKIP
80
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any, Sequence

import sqlalchemy as sa

from evaluator import db
from evaluator.errors import IntegrityError, NotFoundError
from evaluator.models import load_model, model_row
from evaluator.progress import Progress, check_cancel, part, report
from evaluator.records import Record, Span
from evaluator.training.base import Prediction
from evaluator.workspace import Workspace

#: stored rows are read and checked in chunks of this many examples
_CHUNK = 5000


def prediction_checksum(artifact_hash: str | None, text: str, spans: Sequence, label: str | None,
                        scores: dict[str, float] | None) -> str:
    """sha256 over (artifact hash, example text, prediction) as stored."""
    body = json.dumps({"spans": [list(s) for s in spans or []], "label": label, "scores": scores},
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{artifact_hash or ''}\n{text}\n{body}".encode("utf-8")).hexdigest()


def _row_for(model_id: int, artifact: str | None, rec: Record, p: Prediction) -> dict[str, Any]:
    spans = [s.as_list() for s in p.spans]
    return {"model_id": model_id, "example_id": rec.id, "spans": spans, "label": p.label, "scores": p.scores,
            "checksum": prediction_checksum(artifact, rec.text, spans, p.label, p.scores)}


def _stored(conn, model_id: int, artifact: str | None, records: Sequence[Record]
            ) -> tuple[dict[int, Prediction], list[int]]:
    """(example id -> stored prediction that passes its checksum, ids of rows that fail it)."""
    p = db.predictions
    text = {r.id: r.text for r in records}
    ids = list(text)
    good: dict[int, Prediction] = {}
    bad: list[int] = []
    for k in range(0, len(ids), _CHUNK):
        chunk = ids[k:k + _CHUNK]
        q = sa.select(p.c.example_id, p.c.spans, p.c.label, p.c.scores, p.c.checksum).where(
            p.c.model_id == model_id, p.c.example_id.in_(chunk))
        for ex_id, spans, label, scores, stored_sum in conn.execute(q):
            if prediction_checksum(artifact, text[ex_id], spans, label, scores) != stored_sum:
                bad.append(ex_id)
                continue
            good[ex_id] = Prediction(spans=[Span(s, e, lab) for s, e, lab in (spans or [])], label=label,
                                     scores=scores)
    return good, bad


def predict(ws: Workspace, model: str, target: str, *, example_ids: Sequence[int] | None = None,
            batch_size: int = 256, progress: Progress | None = None,
            cancel: threading.Event | None = None) -> dict[str, Any]:
    """Predict every example of ``target`` (``gold:NAME[@V]``, ``pool``, ``round:N``) with ``model``, or only
    ``example_ids`` of it.

    Stored predictions that pass their checksum are reused; rows that fail it are recomputed. Returns
    ``{"model", "target", "examples", "computed", "reused", "recomputed", "seconds"}``.
    """
    from evaluator.store import get_collection, load_records, records_by_ids

    started = time.perf_counter()
    with ws.engine.connect() as conn:
        row = model_row(conn, model)
    mid, artifact = row["id"], row["artifact_hash"]
    if example_ids is None:
        records = load_records(ws, target, answers=None)
    else:  # only those examples: a few of a large pool without loading the rest
        wanted = set(example_ids)
        with ws.engine.connect() as conn:
            cid = get_collection(ws, target, conn=conn)["id"]
            records = records_by_ids(conn, list(dict.fromkeys(example_ids)), collection_id=cid)
        missing = wanted - {r.id for r in records}
        if missing:
            raise NotFoundError(f"{len(missing)} example id(s) are not in {target}, e.g. {sorted(missing)[:3]}.",
                                hint="pass ids of examples of that target")
    with ws.engine.connect() as conn:
        have, bad = _stored(conn, mid, artifact, records)
    if bad:
        with ws.engine.begin() as conn:
            for k in range(0, len(bad), _CHUNK):
                conn.execute(db.predictions.delete().where(db.predictions.c.model_id == mid,
                                                           db.predictions.c.example_id.in_(bad[k:k + _CHUNK])))
    todo = [r for r in records if r.id not in have]
    total = len(todo)
    report(progress, 0, total, f"predicting {total} example(s) of {target} with {model}" if total else
           f"every prediction of {model} on {target} is stored already")
    if todo:
        predictor = load_model(ws, model)
        if hasattr(predictor, "check_covers"):  # a predictions file: all or nothing
            predictor.check_covers(todo, target=target)
        chunk = max(batch_size, 1) * 4
        for k in range(0, total, chunk):
            check_cancel(cancel, "Prediction")
            piece = todo[k:k + chunk]
            preds = predictor.predict(piece, batch_size=batch_size,
                                      progress=part(progress, start=k, size=len(piece), total=total))
            with ws.engine.begin() as conn:
                db.insert_ignore(conn, db.predictions, [_row_for(mid, artifact, r, p) for r, p in zip(piece, preds)],
                                 keys=("model_id", "example_id"))
            report(progress, k + len(piece), total, f"{k + len(piece)}/{total} examples predicted")
    return {"model": model, "target": target, "examples": len(records), "computed": total,
            "reused": len(records) - total, "recomputed": len(bad),
            "seconds": round(time.perf_counter() - started, 3)}


def stored_predictions(ws: Workspace, model: str, records: Sequence[Record]) -> list[Prediction]:
    """Stored predictions of ``model`` for ``records`` (by example id), in order, checksum-verified.

    Missing rows raise :class:`NotFoundError`, rows that fail their checksum :class:`IntegrityError`; both say to
    run :func:`predict`, which fills them in.
    """
    with ws.engine.connect() as conn:
        row = model_row(conn, model)
        got, bad = _stored(conn, row["id"], row["artifact_hash"], records)
    if bad:
        raise IntegrityError(f"{len(bad)} stored prediction(s) of model {model!r} do not match their checksum "
                             "(changed outside evaluator).",
                             hint=f"recompute them: evaluator predict --model {model} --on <target>")
    missing = [r for r in records if r.id not in got]
    if missing:
        raise NotFoundError(f"Model {model!r} has no stored prediction for {len(missing)} example(s).",
                            hint=f"run: evaluator predict --model {model} --on <target>")
    return [got[r.id] for r in records]


def predictions_for(ws: Workspace, model: str, target: str, records: Sequence[Record], *,
                    progress: Progress | None = None, cancel: threading.Event | None = None) -> list[Prediction]:
    """The predictions of ``model`` on ``records`` of ``target``, computing (and storing) what is missing first."""
    try:  # the usual case, every prediction stored and intact: one read, one check
        return stored_predictions(ws, model, records)
    except (NotFoundError, IntegrityError):
        pass
    predict(ws, model, target, example_ids=[r.id for r in records], progress=progress, cancel=cancel)
    return stored_predictions(ws, model, records)


def store_predictions(conn, model: dict[str, Any], records: Sequence[Record], preds: Sequence[Prediction]) -> None:
    """Store predictions computed elsewhere (e.g. with confidences, for active learning), each with its checksum;
    rows that exist already are kept. ``model`` is the model's registry row (``id``, ``artifact_hash``)."""
    db.insert_ignore(conn, db.predictions, [_row_for(model["id"], model["artifact_hash"], r, p)
                                            for r, p in zip(records, preds)], keys=("model_id", "example_id"))


def predictions_of(ws: Workspace, model: str, records: Sequence[Record], *, batch_size: int = 256,
                   progress: Progress | None = None, cancel: threading.Event | None = None) -> list[Prediction]:
    """The predictions of ``model`` for ``records`` (loaded from the workspace, from any collections), in order:
    stored rows that pass their checksum are reused, the others computed in batches and stored. Unlike
    :func:`predict` it reads only these examples (the Label page asks for one at a time)."""
    with ws.engine.connect() as conn:
        row = dict(model_row(conn, model))
        have, bad = _stored(conn, row["id"], row["artifact_hash"], records)
    todo = [r for r in records if r.id not in have]
    if todo:
        predictor = load_model(ws, model)
        if hasattr(predictor, "check_covers"):  # a predictions file: all or nothing
            predictor.check_covers(todo, target="these examples")
        for k in range(0, len(todo), batch_size):
            check_cancel(cancel, "Prediction")
            piece = todo[k:k + batch_size]
            preds = predictor.predict(piece, batch_size=batch_size)
            with ws.engine.begin() as conn:
                if bad:
                    conn.execute(db.predictions.delete().where(db.predictions.c.model_id == row["id"],
                                                               db.predictions.c.example_id.in_([r.id for r in piece])))
                store_predictions(conn, row, piece, preds)
            have.update({r.id: p for r, p in zip(piece, preds)})
            report(progress, k + len(piece), len(todo), f"{k + len(piece)}/{len(todo)} predicted with {model}")
    return [have[r.id] for r in records]


__all__ = ["predict", "prediction_checksum", "predictions_for", "predictions_of", "stored_predictions",
           "store_predictions"]
