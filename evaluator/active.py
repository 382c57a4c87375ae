"""Active learning: which example to label next, and how sure a model is about each one.

Orders (``STRATEGIES``): ``in-order`` (as imported), ``random`` (seeded) and ``uncertainty`` (least sure first).
Uncertainty is measured three ways (``METHODS``), each stored as a *confidence* in [0, 1] (higher = surer), so
one ascending sort ranks every measure:

* text classification, from the model's class probabilities ``p`` (``Prediction.scores``):
  ``least-confident`` = max p; ``margin`` = p(1st) - p(2nd); ``entropy`` = 1 - H(p) / log K;
* NER, from a CRF's marginals (``crf-ner``; CRFsuite's forward-backward, as ``sklearn_crfsuite``'s
  ``predict_marginals``): ``least-confident`` = P(predicted tag sequence | text); ``margin`` = the smallest
  p(1st) - p(2nd) over the tokens; ``entropy`` = 1 - the largest token entropy / log K. A sentence is as
  uncertain as its least certain token.
* any task, from a committee of two or more models (e.g. seed runs of one trainer): the mean pairwise agreement
  of their predictions (exact span-set F1 for NER, the same category for text classification); one number for
  every measure.

spaCy's NER predicts greedily and gives no confidence at all (``confidence_source`` says so); use a CRF or a
committee there. Confidences are computed in batches with ``progress``/``cancel`` and stored per model and
example (keyed by the model's artifact hash), together with the model's prediction.

Gold sets never use any of this: they are drawn at random (:mod:`evaluator.labeling`).

>>> c = prob_confidences([[0.7, 0.2, 0.1], [0.4, 0.35, 0.25]])
>>> c["least_confident"].round(2).tolist(), c["margin"].round(2).tolist()
([0.7, 0.4], [0.5, 0.05])
>>> rank([11, 12, 13], [0.9, 0.2, 0.5])
[12, 13, 11]
"""
from __future__ import annotations

import hashlib
import math
import threading
from itertools import combinations
from typing import Any, Iterable, Sequence

import numpy as np
import sqlalchemy as sa

from evaluator import db
from evaluator.errors import ConfigError
from evaluator.predictions import store_predictions
from evaluator.progress import Progress, check_cancel, part, report
from evaluator.training.base import Prediction
from evaluator.workspace import Workspace

STRATEGIES = ("in-order", "random", "uncertainty")
METHODS = ("least-confident", "margin", "entropy")
#: database column of each method
COLUMNS = {"least-confident": "least_confident", "margin": "margin", "entropy": "entropy"}


# ------------------------------------------------------------------------------------------------ the registry

def _get_model(ws: Workspace, name: str) -> dict[str, Any]:
    from evaluator.models import get_model
    return get_model(ws, name)


def _load_model(ws: Workspace, name: str):
    from evaluator.models import load_model
    return load_model(ws, name)


# ------------------------------------------------------------------------------------------------ pure

def check_method(method: str) -> str:
    if method not in METHODS:
        raise ConfigError(f"Unknown uncertainty measure {method!r}.", hint=f"use one of: {', '.join(METHODS)}")
    return method


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ConfigError(f"Unknown order {strategy!r}.", hint=f"use one of: {', '.join(STRATEGIES)}")
    return strategy


def _entropy_confidence(p: np.ndarray) -> np.ndarray:
    """1 - H(p) / log K per row (1 for K = 1)."""
    k = p.shape[-1]
    if k < 2:
        return np.ones(p.shape[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=-1)
    return np.clip(1.0 - h / math.log(k), 0.0, 1.0)


def _top2(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if p.shape[-1] < 2:
        return p[..., 0], np.zeros(p.shape[:-1])
    s = np.sort(p, axis=-1)
    return s[..., -1], s[..., -2]


def prob_confidences(probs: Sequence[Sequence[float]] | np.ndarray) -> dict[str, np.ndarray]:
    """Confidence of a classifier per example under each measure (rows of ``probs`` are class probabilities;
    rows that do not sum to 1 are normalised). Keys are the database columns (:data:`COLUMNS`)."""
    p = np.asarray(probs, dtype=float)
    if p.ndim != 2 or p.shape[1] == 0:
        raise ValueError("probs must be a 2-d array with one column per class")
    total = p.sum(axis=1, keepdims=True)
    p = np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / p.shape[1])
    first, second = _top2(p)
    return {"least_confident": first, "margin": first - second, "entropy": _entropy_confidence(p)}


def token_confidences(marginals: np.ndarray, sequence_probability: float) -> dict[str, float]:
    """Confidence of a sequence tagger on one text from its token marginals (``[tokens, tags]``) and the
    probability of its predicted tag sequence: the sequence probability, the smallest token margin and the
    largest token entropy (as 1 - H / log K). A text without tokens is certain (1.0)."""
    m = np.asarray(marginals, dtype=float)
    if m.ndim != 2 or m.shape[0] == 0:
        return {"least_confident": float(sequence_probability), "margin": 1.0, "entropy": 1.0}
    first, second = _top2(m)
    return {"least_confident": float(min(max(sequence_probability, 0.0), 1.0)),
            "margin": float(np.min(first - second)), "entropy": float(np.min(_entropy_confidence(m)))}


def committee_confidence(predictions: Sequence[Prediction], *, task: str) -> float:
    """Agreement of a committee's predictions for one example: mean pairwise exact span-set F1 (NER; 1.0 when
    both find nothing) or the share of pairs that chose the same category (text classification).

    >>> committee_confidence([Prediction(label="a"), Prediction(label="a"), Prediction(label="b")], task="textcat")
    0.3333333333333333
    """
    if len(predictions) < 2:
        raise ValueError("a committee needs at least two members")
    scores = []
    for x, y in combinations(predictions, 2):
        if task == "textcat":
            scores.append(1.0 if x.label == y.label else 0.0)
            continue
        a, b = set(x.spans), set(y.spans)
        scores.append(1.0 if not a and not b else 2 * len(a & b) / (len(a) + len(b)))
    return float(np.mean(scores))


def random_key(seed: int, example_id: int) -> str:
    """The seeded random order of an example: stable while other examples come and go (unlike a shuffle).

    >>> sorted([1, 2, 3, 4], key=lambda i: random_key(7, i)) == sorted([1, 2, 3, 4], key=lambda i: random_key(7, i))
    True
    """
    return hashlib.sha256(f"{int(seed)}:{int(example_id)}".encode()).hexdigest()


def rank(ids: Sequence[int], confidences: Sequence[float]) -> list[int]:
    """Example ids, least confident first (ties: lower id first)."""
    return [i for _, i in sorted(zip(confidences, ids), key=lambda t: (t[0], t[1]))]


# ------------------------------------------------------------------------------------------------ workspace

class NoConfidence(ConfigError):
    """The model gives no confidence to rank by."""

    code = "no_confidence"


def confidence_source(ws: Workspace, model: str) -> str | None:
    """What a model's confidence comes from: ``"marginals"`` (CRF), ``"probabilities"`` (text classifiers) or
    None (spaCy's greedy NER, prediction files): decided from the registry row, without loading the model."""
    row = _get_model(ws, model)
    if row["kind"] == "predictions":
        return None
    if row["kind"] == "trained" and row["trainer"] == "crf-ner":
        return "marginals"
    return "probabilities" if ws.task == "textcat" else None


def no_confidence_error(ws: Workspace, model: str) -> NoConfidence:
    row = _get_model(ws, model)
    what = ("a predictions file carries no probabilities" if row["kind"] == "predictions" else
            "spaCy's NER predicts greedily and gives no confidence for its entities")
    fix = ("rank with a crf-ner model (token marginals; train one with: evaluator train --round N --trainer "
           "crf-ner), or by the disagreement of two or more models (e.g. seed runs of this one), or use the "
           "random order") if ws.task == "ner" else "rank with a trained text classifier, or use the random order"
    return NoConfidence(f"Model {model!r} cannot rank by uncertainty: {what}.", hint=fix)


def _missing(conn, table, model_id: int, ids: Sequence[int], *, artifact_hash: str | None = None) -> list[int]:
    have: set[int] = set()
    for k in range(0, len(ids), 5000):
        q = sa.select(table.c.example_id).where(table.c.model_id == model_id,
                                                table.c.example_id.in_(ids[k:k + 5000]))
        if artifact_hash is not None:
            q = q.where(table.c.artifact_hash == artifact_hash)
        have.update(r[0] for r in conn.execute(q))
    return [i for i in ids if i not in have]


def _records(ws: Workspace, ids: Sequence[int]):
    """What a predictor needs: the text, and the tokens for NER (decoding thousands of tokens per long text
    costs more than a text classifier's prediction)."""
    from evaluator.store import records_by_ids
    with ws.engine.connect() as conn:
        return records_by_ids(conn, ids, tokens=ws.task == "ner")


def score_examples(ws: Workspace, model: str, example_ids: Sequence[int], *, batch_size: int = 256,
                   progress: Progress | None = None, cancel: threading.Event | None = None) -> dict[str, Any]:
    """Compute and store the confidence (and prediction) of ``model`` for every example that has none yet.

    Raises :class:`NoConfidence` for models that give none. Returns ``{"model", "examples", "computed",
    "reused"}``. ``progress(done, total, message)`` after each batch; ``cancel`` is checked between batches
    (batches already written are kept: they are valid).
    """
    info = _get_model(ws, model)
    source = confidence_source(ws, model)
    if source is None:
        raise no_confidence_error(ws, model)
    ids = list(dict.fromkeys(example_ids))
    with ws.engine.connect() as conn:
        todo = _missing(conn, db.confidences, info["id"], ids, artifact_hash=info["artifact_hash"] or "")
    total = len(todo)
    report(progress, 0, total, f"scoring {total} example(s) with {model}")
    if todo:
        predictor = _load_model(ws, model)
        done = 0
        for k in range(0, total, batch_size):
            check_cancel(cancel, "Scoring the pool")
            part_ids = todo[k:k + batch_size]
            recs = _records(ws, part_ids)
            if source == "marginals":
                out = predictor.predict_marginals(recs, batch_size=batch_size)
                preds = [p for p, _, _ in out]
                confs = [token_confidences(m, sp) for _, sp, m in out]
            else:
                preds = predictor.predict(recs, batch_size=batch_size)
                if any(p.scores is None for p in preds):
                    raise no_confidence_error(ws, model)
                labels = sorted({k for p in preds for k in p.scores})
                arr = prob_confidences([[p.scores.get(lab, 0.0) for lab in labels] for p in preds])
                confs = [{c: float(arr[c][i]) for c in arr} for i in range(len(preds))]
            now = db.utcnow()
            with ws.engine.begin() as conn:
                conn.execute(db.confidences.delete().where(db.confidences.c.model_id == info["id"],
                                                           db.confidences.c.example_id.in_([r.id for r in recs])))
                conn.execute(db.confidences.insert(), [
                    {"model_id": info["id"], "example_id": r.id, "artifact_hash": info["artifact_hash"] or "",
                     "created_at": now, **c} for r, c in zip(recs, confs)])
                store_predictions(conn, info, recs, preds)
            done += len(part_ids)
            report(progress, done, total, f"scored {done}/{total} with {model}")
    return {"model": model, "examples": len(ids), "computed": total, "reused": len(ids) - total}


def stored_confidences(ws: Workspace, model: str, example_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Stored confidences of ``model`` (for its current artifact) by example id: ``{id: {column: value}}``."""
    info = _get_model(ws, model)
    c = db.confidences
    out: dict[int, dict[str, float]] = {}
    ids = list(example_ids)
    with ws.engine.connect() as conn:
        for k in range(0, len(ids), 5000):
            q = sa.select(c.c.example_id, c.c.least_confident, c.c.margin, c.c.entropy).where(
                c.c.model_id == info["id"], c.c.artifact_hash == (info["artifact_hash"] or ""),
                c.c.example_id.in_(ids[k:k + 5000]))
            for row in conn.execute(q):
                out[row[0]] = {"least_confident": row[1], "margin": row[2], "entropy": row[3]}
    return out


def predictions_for(ws: Workspace, model: str, example_ids: Sequence[int], *, batch_size: int = 256,
                    progress: Progress | None = None,
                    cancel: threading.Event | None = None) -> dict[int, Prediction]:
    """Predictions of ``model`` by example id: stored ones reused (checksum-verified), the others computed in
    batches and stored (:func:`evaluator.predictions.predictions_of`)."""
    from evaluator.predictions import predictions_of

    recs = _records(ws, list(dict.fromkeys(example_ids)))
    preds = predictions_of(ws, model, recs, batch_size=batch_size, progress=progress, cancel=cancel)
    return {r.id: p for r, p in zip(recs, preds)}


def confidences(ws: Workspace, example_ids: Sequence[int], *, model: str | None = None,
                committee: Sequence[str] = (), method: str = "least-confident",
                progress: Progress | None = None, cancel: threading.Event | None = None) -> dict[int, float]:
    """One confidence per example (computed where missing): the committee's agreement when ``committee`` names
    two or more models, else ``model``'s confidence under ``method``."""
    check_method(method)
    ids = list(dict.fromkeys(example_ids))
    members = list(dict.fromkeys(committee))
    if len(members) >= 2:
        preds = []
        for i, name in enumerate(members):
            preds.append(predictions_for(ws, name, ids, cancel=cancel,
                                         progress=part(progress, start=i, size=1, total=len(members))))
        return {i: committee_confidence([p[i] for p in preds], task=ws.task) for i in ids}
    if committee and not model:
        raise ConfigError("A committee needs at least two models.", hint="pick two or more models, e.g. seed runs")
    if not model:
        raise ConfigError("Ranking by uncertainty needs a model.", hint="pick a model (or use the random order)")
    score_examples(ws, model, ids, progress=progress, cancel=cancel)
    stored = stored_confidences(ws, model, ids)
    col = COLUMNS[method]
    return {i: stored[i][col] for i in ids if i in stored}


__all__ = ["COLUMNS", "METHODS", "NoConfidence", "STRATEGIES", "check_method", "check_strategy",
           "committee_confidence", "confidence_source", "confidences", "no_confidence_error", "predictions_for",
           "prob_confidences", "random_key", "rank", "score_examples", "stored_confidences", "token_confidences"]
