"""The model registry: train a round, register models trained elsewhere, predict, evaluate, learning curves.

Models live in the ``models`` table and under ``ws.models_dir``. A model row is written only after its artifact
folder is complete (it is written to a temporary folder inside ``models_dir`` and renamed). Every artifact is
loaded through :func:`load_model`, which checks the folder against the recorded sha256 first, so a pickle the
registry did not write is never unpickled (:class:`~evaluator.errors.IntegrityError`).

Predictions are stored per (model, example) and reused; evaluations are stored per (model, gold version,
settings) and reused while the gold content hash is unchanged.

>>> res = train_round(ws, round=1)                          # doctest: +SKIP
>>> res["name"], res["lineage"]["parent"]                   # doctest: +SKIP
('round-1-spacy-ner', None)
>>> evaluate_models(ws, "test")[0]["micro"]["f1"]           # doctest: +SKIP
0.61
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import sqlalchemy as sa

from evaluator import db
from evaluator.errors import AlreadyExistsError, ConfigError, EvaluatorError, IntegrityError, NotFoundError
from evaluator.records import Record, Span
from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from evaluator.training.base import (
    PredictProgress, Prediction, Predictor, TrainProgress, artifact_hash, check_cancel, default_trainer, get_trainer,
    training_hash, verify_artifact,
)
from evaluator.training.curve import (
    DEFAULT_FRACTIONS, DEFAULT_SEEDS, CurveRun, check_plan, nested_subsets, summarize_curve,
)
from evaluator.workspace import Workspace

KINDS = ("trained", "spacy-dir", "predictions")
#: bump when the stored evaluation result layout or the scoring changes (old rows are then recomputed)
EVALUATION_VERSION = 2
CURVE_VERSION = 1
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


# ------------------------------------------------------------------------------------------------ helpers

def _check_name(name: str) -> str:
    if not _NAME_RE.match(name or ""):
        raise ConfigError(f"Bad model name {name!r}.",
                          hint="use letters, digits, '.', '_' and '-' (start with a letter or digit), e.g. round-2-crf")
    return name


def _row(conn, name: str):
    m = db.models
    row = conn.execute(sa.select(m).where(m.c.name == name)).mappings().first()
    if row is None:
        known = [r[0] for r in conn.execute(sa.select(m.c.name).order_by(m.c.id))]
        raise NotFoundError(f"No model named {name!r}.",
                            hint=f"known models: {', '.join(known) or 'none yet'}; see `evaluator models`")
    return row


def _abs(ws: Workspace, artifact_path: str | None) -> Path:
    if not artifact_path:
        raise IntegrityError("This model has no artifact path.", hint="delete it and register it again")
    p = Path(artifact_path)
    return p if p.is_absolute() else ws.path / p


def _rel(ws: Workspace, path: Path) -> str:
    try:
        return path.relative_to(ws.path).as_posix()
    except ValueError:
        return str(path)


def _tmp_dir(ws: Workspace) -> Path:
    return Path(tempfile.mkdtemp(prefix=".tmp-", dir=ws.models_dir))


def _final_dir(ws: Workspace, name: str) -> Path:
    base = ws.models_dir / name
    path, k = base, 1
    while path.exists():
        k += 1
        path = ws.models_dir / f"{name}.{k}"
    return path


def _commit_artifact(ws: Workspace, tmp: Path, name: str, values: dict[str, Any]) -> dict[str, Any]:
    """Rename the finished temporary folder into place, then insert the model row (or undo the rename)."""
    final = _final_dir(ws, name)
    os.rename(tmp, final)
    try:
        with ws.engine.begin() as conn:
            if conn.execute(sa.select(db.models.c.id).where(db.models.c.name == name)).first():
                raise AlreadyExistsError(f"A model named {name!r} already exists.",
                                         hint="pass another --name, or delete/rename the existing model")
            mid = conn.execute(db.models.insert().values(
                name=name, artifact_path=_rel(ws, final), created_at=db.utcnow(), **values)).inserted_primary_key[0]
            return dict(_row(conn, name)) | {"id": mid}
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise


def _describe(conn, row) -> dict[str, Any]:
    parent = None
    if row["parent_id"] is not None:
        p = conn.execute(sa.select(db.models.c.name).where(db.models.c.id == row["parent_id"])).first()
        parent = p[0] if p else None
    n_pred = conn.execute(sa.select(sa.func.count()).select_from(db.predictions)
                          .where(db.predictions.c.model_id == row["id"])).scalar_one()
    return {
        "id": row["id"], "name": row["name"], "kind": row["kind"], "trainer": row["trainer"], "round": row["round"],
        "lineage": {"round": row["round"], "parent": parent,
                    "rounds": (row["config"] or {}).get("rounds"),
                    "cumulative": (row["config"] or {}).get("cumulative")},
        "train_hash": row["train_hash"], "counts": row["train_counts"], "seed": row["seed"],
        "seconds": row["seconds"], "versions": row["versions"], "config": row["config"],
        "artifact_path": row["artifact_path"], "artifact_hash": row["artifact_hash"], "predictions": n_pred,
        "created_at": row["created_at"],
    }


# ------------------------------------------------------------------------------------------------ training

def _parent_id(conn, trainer: str, round: int) -> int | None:
    m = db.models
    row = conn.execute(sa.select(m.c.id).where(m.c.kind == "trained", m.c.trainer == trainer, m.c.round < round)
                       .order_by(m.c.round.desc(), m.c.id.desc()).limit(1)).first()
    return row[0] if row else None


def train_round(ws: Workspace, round: int, *, trainer: str | None = None, seed: int = 0, cumulative: bool = True,
                config: dict[str, Any] | None = None, name: str | None = None,
                progress: TrainProgress | None = None, cancel: threading.Event | None = None) -> dict[str, Any]:
    """Train a model on the accepted annotations of rounds 1..``round`` (or ``round`` only) and register it.

    ``trainer`` defaults to ``spacy-ner`` for NER and ``sklearn-textcat`` for text classification; ``name`` to
    ``round-<k>-<trainer>`` (``round-<k>-only-<trainer>`` with ``cumulative=False``). Gold texts in the training
    data raise :class:`~evaluator.errors.LeakageError` before anything is trained. Returns the model's
    description: ``name``, ``lineage`` (round, parent), ``train_hash``, ``counts``, ``seconds``, ``config`` ...
    """
    from evaluator.store import training_records

    task = ws.task
    trainer = trainer or default_trainer(task)
    tr = get_trainer(trainer)
    if tr.task != task:
        raise ConfigError(f"Trainer {trainer!r} is for {tr.task}, but this workspace is for {task}.",
                          hint=f"use --trainer {default_trainer(task)}")
    name = _check_name(name or (f"round-{round}-{trainer}" if cumulative else f"round-{round}-only-{trainer}"))
    with ws.engine.connect() as conn:
        if conn.execute(sa.select(db.models.c.id).where(db.models.c.name == name)).first():
            raise AlreadyExistsError(f"A model named {name!r} already exists.",
                                     hint="pass another --name (e.g. with the seed), or delete the existing model")
    records = training_records(ws, round=round, cumulative=cumulative)  # leakage guard raises here
    rounds = sorted({int(r.meta.get("_round", round)) for r in records})
    tmp = _tmp_dir(ws)
    try:
        art = tmp / "artifact"
        result = tr.train(records, labels=ws.labels or None, lang=ws.lang, config=config, seed=seed,
                          out_dir=art, progress=progress, cancel=cancel)
        with ws.engine.connect() as conn:
            parent = _parent_id(conn, trainer, round)
        row = _commit_artifact(ws, art, name, {
            "kind": "trained", "trainer": trainer, "round": round, "parent_id": parent,
            "artifact_hash": result.artifact_hash,
            "config": {"cumulative": cumulative, "rounds": rounds, "trainer": result.config,
                       "auto_accepted": sum(1 for r in records if r.meta.get("_auto")),
                       "labels": result.labels, "lang": result.lang, "dev_score": result.dev_score,
                       "steps": result.steps, "warnings": result.warnings[:50]},
            "train_hash": result.train_hash, "train_counts": result.counts, "versions": result.versions,
            "seed": seed, "seconds": result.seconds,
        })
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with ws.engine.connect() as conn:
        out = _describe(conn, row)
    out["warnings"] = result.warnings
    return out


# ------------------------------------------------------------------------------------------------ external

def add_model(ws: Workspace, path: str | Path, *, name: str, format: str | None = None) -> dict[str, Any]:
    """Register a model trained elsewhere: a spaCy pipeline folder, or a predictions file in any known format.

    The folder or file is copied into the workspace (so the registry's hash protects it). A pipeline must have
    a component for the workspace task; a predictions file is read and validated now.
    """
    from evaluator.training.external import PredictionsFilePredictor
    from evaluator.training.spacy_trainers import SpacyPredictor

    name = _check_name(name)
    src = Path(path)
    if not src.exists():
        raise NotFoundError(f"{src}: no such file or folder.", hint="check the path")
    with ws.engine.connect() as conn:
        if conn.execute(sa.select(db.models.c.id).where(db.models.c.name == name)).first():
            raise AlreadyExistsError(f"A model named {name!r} already exists.", hint="choose another --name")
    tmp = _tmp_dir(ws)
    try:
        art = tmp / "artifact"
        art.mkdir()
        if src.is_dir() and (src / "config.cfg").is_file():
            SpacyPredictor.from_path(src, task=ws.task)  # loads and checks the component now
            shutil.copytree(src, art / "model")
            kind, config = "spacy-dir", {"source": str(src)}
        elif src.is_dir() and (src / "model-best" / "config.cfg").is_file():
            raise ConfigError(f"{src} is a spaCy training output folder.", hint=f"pass {src / 'model-best'}")
        elif src.is_dir() and not (format or ws.task == "textcat" and _has_class_folders(src)):
            raise ConfigError(f"{src} is a folder but not a spaCy pipeline (it has no config.cfg).",
                              hint="pass the pipeline folder that holds config.cfg (e.g. training/model-best), "
                                   "or a predictions file")
        else:
            pred = PredictionsFilePredictor.from_file(src, task=ws.task, format=format, lang=ws.lang)
            from evaluator.formats.base import detect_format, get_format
            fmt = (get_format(format) if format else detect_format(src, task=ws.task)).name
            (art / "predictions").mkdir()
            if src.is_dir():
                shutil.copytree(src, art / "predictions" / src.name)
            else:
                shutil.copy2(src, art / "predictions" / src.name)
            kind, config = "predictions", {"source": str(src), "format": fmt, "file": src.name,
                                           "records": len(pred)}
        digest = artifact_hash(art)
        row = _commit_artifact(ws, art, name, {"kind": kind, "artifact_hash": digest, "config": config})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    with ws.engine.connect() as conn:
        return _describe(conn, row)


def _has_class_folders(path: Path) -> bool:
    """True for the folder layout of text categories: sub-folders holding .txt files."""
    return any(d.is_dir() and any(d.glob("*.txt")) for d in path.iterdir())


# ------------------------------------------------------------------------------------------------ registry ops

def list_models(ws: Workspace) -> list[dict[str, Any]]:
    """Every model with its lineage, training data hash and counts, oldest first."""
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(db.models).order_by(db.models.c.id)).mappings().all()
        return [_describe(conn, r) for r in rows]


def get_model(ws: Workspace, name: str) -> dict[str, Any]:
    with ws.engine.connect() as conn:
        return _describe(conn, _row(conn, name))


def rename_model(ws: Workspace, name: str, new_name: str) -> dict[str, Any]:
    """Rename a model (its artifact folder keeps its place)."""
    new_name = _check_name(new_name)
    with ws.engine.begin() as conn:
        row = _row(conn, name)
        if conn.execute(sa.select(db.models.c.id).where(db.models.c.name == new_name)).first():
            raise AlreadyExistsError(f"A model named {new_name!r} already exists.", hint="choose another name")
        conn.execute(db.models.update().where(db.models.c.id == row["id"]).values(name=new_name))
        return _describe(conn, _row(conn, new_name))


def delete_model(ws: Workspace, name: str) -> dict[str, Any]:
    """Delete a model, its stored predictions and evaluations, and its artifact folder."""
    with ws.engine.begin() as conn:
        row = _row(conn, name)
        mid = row["id"]
        conn.execute(db.predictions.delete().where(db.predictions.c.model_id == mid))
        conn.execute(db.evaluations.delete().where(db.evaluations.c.model_id == mid))
        conn.execute(db.models.update().where(db.models.c.parent_id == mid).values(parent_id=None))
        conn.execute(db.models.delete().where(db.models.c.id == mid))
    removed = False
    if row["artifact_path"]:
        path = _abs(ws, row["artifact_path"])
        if path.exists() and ws.models_dir.resolve() in path.resolve().parents:
            shutil.rmtree(path)
            removed = True
    return {"name": name, "deleted": True, "artifact_removed": removed}


_LOADED: dict[tuple[str, int, str], Predictor] = {}
_LOAD_LOCK = threading.Lock()


def load_model(ws: Workspace, name: str) -> Predictor:
    """The predictor of a registered model, after checking its artifact hash (cached per process)."""
    from evaluator.training.external import PredictionsFilePredictor
    from evaluator.training.spacy_trainers import SpacyPredictor

    with ws.engine.connect() as conn:
        row = dict(_row(conn, name))
    key = (ws.url, row["id"], row["artifact_hash"] or "")
    path = _abs(ws, row["artifact_path"])
    if not path.is_dir():
        raise IntegrityError(f"The artifact of model {name!r} is missing ({path}).",
                             hint="delete the model from the registry and train or register it again")
    # checked on every call, also when the loaded model is cached: the folder must still be what was registered
    verify_artifact(path, row["artifact_hash"], required=True)
    with _LOAD_LOCK:
        if key in _LOADED:
            return _LOADED[key]
        if row["kind"] == "trained":
            pred = get_trainer(row["trainer"]).load(path, expected_hash=row["artifact_hash"])
        elif row["kind"] == "spacy-dir":
            pred = SpacyPredictor.from_path(path / "model", task=ws.task)
        elif row["kind"] == "predictions":
            cfg = row["config"] or {}
            pred = PredictionsFilePredictor.from_file(path / "predictions" / cfg["file"], task=ws.task,
                                                      format=cfg.get("format"), lang=ws.lang)
            pred.source = f"model {name!r} ({cfg.get('source')})"
        else:
            raise IntegrityError(f"Model {name!r} has an unknown kind {row['kind']!r}.")
        if len(_LOADED) > 8:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = pred
        return pred


# ------------------------------------------------------------------------------------------------ predictions

def _pred_json(p: Prediction) -> dict[str, Any]:
    return {"spans": [s.as_list() for s in p.spans], "label": p.label, "scores": p.scores}


def predict(ws: Workspace, model: str, target: str, *, batch_size: int = 256,
            progress: PredictProgress | None = None) -> dict[str, Any]:
    """Predict every example of ``target`` (``gold:NAME``, ``pool``, ``round:N``) with ``model``.

    Predictions are stored per (model, example); examples that already have one are skipped. Returns
    ``{"model", "target", "examples", "computed", "reused", "seconds"}``.
    """
    from evaluator.store import load_records

    started = time.perf_counter()
    with ws.engine.connect() as conn:
        mid = _row(conn, model)["id"]
    records = load_records(ws, target, answers=None)
    with ws.engine.connect() as conn:
        have = {r[0] for r in conn.execute(sa.select(db.predictions.c.example_id)
                                           .where(db.predictions.c.model_id == mid))}
    todo = [r for r in records if r.id not in have]
    total = len(todo)
    if todo:
        predictor = load_model(ws, model)
        if hasattr(predictor, "check_covers"):  # a predictions file: all or nothing
            predictor.check_covers(todo, target=target)
        done = 0
        chunk = max(batch_size, 1) * 4
        for k in range(0, total, chunk):
            part = todo[k:k + chunk]
            preds = predictor.predict(
                part, batch_size=batch_size,
                progress=(lambda d, t, _k=k: progress(_k + d, total)) if progress else None)
            with ws.engine.begin() as conn:
                conn.execute(db.predictions.insert(), [
                    {"model_id": mid, "example_id": r.id, **_pred_json(p)} for r, p in zip(part, preds)])
            done += len(part)
            if progress is not None:
                progress(done, total)
    elif progress is not None:
        progress(0, 0)
    return {"model": model, "target": target, "examples": len(records), "computed": total,
            "reused": len(records) - total, "seconds": round(time.perf_counter() - started, 3)}


def stored_predictions(ws: Workspace, model: str, records: Sequence[Record]) -> list[Prediction]:
    """Stored predictions of ``model`` for ``records`` (by example id), in order."""
    with ws.engine.connect() as conn:
        mid = _row(conn, model)["id"]
        ids = [r.id for r in records]
        got: dict[int, Prediction] = {}
        for k in range(0, len(ids), 5000):
            part = ids[k:k + 5000]
            for row in conn.execute(sa.select(db.predictions).where(db.predictions.c.model_id == mid,
                                                                    db.predictions.c.example_id.in_(part))).mappings():
                got[row["example_id"]] = Prediction(spans=[Span(s, e, lab) for s, e, lab in (row["spans"] or [])],
                                                    label=row["label"], scores=row["scores"])
    missing = [r for r in records if r.id not in got]
    if missing:
        raise NotFoundError(f"Model {model!r} has no stored prediction for {len(missing)} example(s).",
                            hint=f"run: evaluator predict --model {model} --on <target>")
    return [got[r.id] for r in records]


# ------------------------------------------------------------------------------------------------ evaluation

def counts_for(task: str, gold: Sequence[Record], preds: Sequence[Prediction], *, labels: Sequence[str] = (),
               mode: str = "default", scheme: str | None = None, lang: str = "en"):
    """Per-document counts (the metrics engine's NerCounts / TextcatCounts) of predictions vs gold records.

    Uses :func:`evaluator.metrics.evaluate.evaluate_records` (predicted character spans are mapped onto the
    gold tokens); ``labels`` (the workspace labels) are added so that every model's counts share one label list.
    """
    from evaluator.metrics.evaluate import evaluate_records

    pred_recs = [Record(g.text, spans=list(p.spans), label=p.label) for g, p in zip(gold, preds)]
    if task == "textcat":
        every = sorted(set(labels) | {g.label for g in gold if g.label} | {p.label for p in preds if p.label})
        return evaluate_records(gold, pred_recs, task="textcat", labels=every)
    c = evaluate_records(gold, pred_recs, task="ner", mode=mode, scheme=scheme, lang=lang)
    if labels:
        c = c.with_labels(sorted(set(labels) | set(c.labels)))
    return c


def _settings_key(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8")).hexdigest()


def score_counts(counts, *, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """The scoring report of one model's counts plus ``ci95``: 95% bootstrap intervals of its micro F1, macro
    F1 (and accuracy) from :func:`evaluator.stats.bootstrap_interval`."""
    from evaluator.stats import bootstrap_interval

    rep = counts.report()
    rep["ci95"] = bootstrap_interval(counts, resamples=resamples, seed=seed) if counts.documents else {}
    rep["resamples"], rep["seed"] = int(resamples), int(seed)
    return rep


def evaluate_models(ws: Workspace, gold: str, *, models: str | Sequence[str] = "all", mode: str = "default",
                    scheme: str | None = None, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                    version: int | None = None,
                    progress: Callable[[int, int, str], None] | None = None,
                    skipped: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Score models on a gold set; one dict per model: ``{"model", "micro", "macro", "per_label", ...}``.

    Missing predictions on the gold set are computed first. Results are stored in ``evaluations`` keyed by the
    settings and reused while the gold content hash is unchanged. With a ``skipped`` list, a model that cannot
    be scored (e.g. a predictions file that does not cover the gold set) is left out and described there as
    ``{"model", "error", "hint"}`` instead of stopping the others.
    """
    from evaluator.gold import gold_records
    from evaluator.metrics.ner import normalize_mode, normalize_scheme

    mode = normalize_mode(mode)
    scheme = normalize_scheme(scheme) if mode == "strict" else None
    info, gold_recs = gold_records(ws, gold, version=version)
    target = f"gold:{gold}@{info['version']}"
    with ws.engine.connect() as conn:
        all_names = [r[0] for r in conn.execute(sa.select(db.models.c.name).order_by(db.models.c.id))]
    if models == "all" or models is None:
        names = all_names
    else:
        names = [m.strip() for m in (models.split(",") if isinstance(models, str) else models) if m.strip()]
    if not names:
        raise NotFoundError("There are no models to evaluate.", hint="train one: evaluator train --round 1")
    settings = {"mode": mode, "scheme": scheme, "resamples": int(resamples), "seed": int(seed),
                "version": EVALUATION_VERSION, "task": ws.task}
    key = _settings_key(settings)
    out: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        if progress is not None:
            progress(i, len(names), name)
        with ws.engine.connect() as conn:
            mid = _row(conn, name)["id"]
            hit = conn.execute(sa.select(db.evaluations).where(
                db.evaluations.c.model_id == mid, db.evaluations.c.collection_id == info["id"],
                db.evaluations.c.settings_key == key)).mappings().first()
        if hit is not None and hit["gold_hash"] == info["gold_hash"]:
            out.append({**hit["result"], "model": name, "reused": True})
            continue
        try:
            predict(ws, name, target)
        except EvaluatorError as err:
            if skipped is None:
                raise
            skipped.append({"model": name, "error": err.message, "hint": err.hint})
            continue
        preds = stored_predictions(ws, name, gold_recs)
        counts = counts_for(ws.task, gold_recs, preds, labels=ws.labels, mode=mode, scheme=scheme, lang=ws.lang)
        result = score_counts(counts, resamples=resamples, seed=seed)
        result.update({"gold": gold, "gold_version": info["version"], "gold_hash": info["gold_hash"],
                       "settings": settings})
        with ws.engine.begin() as conn:
            conn.execute(db.evaluations.delete().where(
                db.evaluations.c.model_id == mid, db.evaluations.c.collection_id == info["id"],
                db.evaluations.c.settings_key == key))
            conn.execute(db.evaluations.insert().values(
                model_id=mid, collection_id=info["id"], gold_hash=info["gold_hash"], settings_key=key,
                settings=settings, result=result, created_at=db.utcnow()))
        out.append({**result, "model": name, "reused": False})
    if progress is not None:
        progress(len(names), len(names), "")
    return out


# ------------------------------------------------------------------------------------------------ curves

def _single_gold(ws: Workspace, gold: str | None) -> str:
    if gold:
        return gold
    with ws.engine.connect() as conn:
        names = sorted({r[0] for r in conn.execute(sa.select(db.collections.c.name)
                                                    .where(db.collections.c.kind == "gold"))})
    if len(names) == 1:
        return names[0]
    raise ConfigError("Which gold set should the learning curve be scored on?" if names else
                      "There is no gold set to score the learning curve on.",
                      hint=f"pass --gold NAME (gold sets: {', '.join(names)})" if names else
                      "import one: evaluator import FILE --into gold:test")


def learning_curve(ws: Workspace, *, trainer: str | None = None, round: int | None = None,
                   fractions: Sequence[float] = DEFAULT_FRACTIONS, seeds: Sequence[int] = DEFAULT_SEEDS,
                   gold: str | None = None, config: dict[str, Any] | None = None,
                   resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED,
                   progress: Callable[[int, int, str], None] | None = None,
                   cancel: threading.Event | None = None) -> dict[str, Any]:
    """Train on nested subsets of rounds 1..``round`` (default: the latest) with several seeds, score each on
    the gold set and say whether more data still helps (see :mod:`evaluator.training.curve` for the rule).

    The curve models are not registered (their folders are removed); the result is stored in the workspace and
    reused for the same training data, gold content, trainer, config and plan. ``progress(done, total, what)``.
    """
    from evaluator.gold import gold_records
    from evaluator.store import rounds as list_rounds, training_records

    task = ws.task
    trainer = trainer or default_trainer(task)
    tr = get_trainer(trainer)
    if tr.task != task:
        raise ConfigError(f"Trainer {trainer!r} is for {tr.task}, but this workspace is for {task}.",
                          hint=f"use --trainer {default_trainer(task)}")
    fr, sd = check_plan(fractions, seeds)
    if round is None:
        with ws.engine.connect() as conn:
            available = list_rounds(conn)
        if not available:
            raise NotFoundError("There are no rounds to train on.", hint="import one: evaluator import FILE --into round:1")
        round = available[-1]
    gold = _single_gold(ws, gold)
    records = training_records(ws, round=round, cumulative=True)
    info, gold_recs = gold_records(ws, gold)
    plan = {"trainer": trainer, "round": round, "fractions": fr, "seeds": sd, "config": config or {},
            "train_hash": training_hash(records), "gold": gold, "gold_version": info["version"],
            "gold_hash": info["gold_hash"], "resamples": resamples, "bootstrap_seed": seed,
            "version": CURVE_VERSION}
    cache_key = "curve:" + _settings_key(plan)[:40]
    cached = ws.get_setting(cache_key)
    if cached is not None:
        return {**cached, "reused": True}

    labels = sorted(set(ws.labels) | ({s.label for r in gold_recs for s in r.spans} if task == "ner"
                                      else {r.label for r in gold_recs if r.label}))
    total = len(fr) * len(sd)
    runs: list[CurveRun] = []
    done = 0
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix=".curve-", dir=ws.models_dir))
    try:
        for s in sd:
            subsets = nested_subsets(len(records), fr, seed=s)
            for f in fr:
                check_cancel(cancel)
                if progress is not None:
                    progress(done, total, f"{int(f * 100)}% of the data, seed {s}")
                sub = [records[i] for i in subsets[f]]
                out_dir = scratch / f"f{f}-s{s}"
                res = tr.train(sub, labels=ws.labels or None, lang=ws.lang, config=config, seed=s,
                               out_dir=out_dir, cancel=cancel)
                preds = tr.load(out_dir, expected_hash=res.artifact_hash).predict(gold_recs)
                counts = counts_for(task, gold_recs, preds, labels=labels, lang=ws.lang)
                f1 = counts.report()["micro"]["f1"]
                runs.append(CurveRun(fraction=f, seed=s, examples=len(sub), f1=f1, counts=counts))
                shutil.rmtree(out_dir, ignore_errors=True)
                done += 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if progress is not None:
        progress(total, total, "")
    result = summarize_curve(runs, resamples=resamples, seed=seed)
    result.update({"trainer": trainer, "round": round, "gold": gold, "gold_version": info["version"],
                   "examples": len(records), "metric": "micro F1" if task == "ner" else "accuracy (micro F1)",
                   "plan": plan, "seconds": round_(time.perf_counter() - started), "created_at": db.utcnow()})
    ws.set_setting(cache_key, result)
    return {**result, "reused": False}


def round_(x: float) -> float:
    return float(f"{x:.3f}")


def stored_curves(ws: Workspace, *, trainer: str | None = None) -> list[dict[str, Any]]:
    """Learning curves stored in the workspace (newest first), optionally for one trainer."""
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(db.settings.c.value).where(db.settings.c.key.like("curve:%"))).all()
    curves = [r[0] for r in rows if trainer is None or r[0].get("trainer") == trainer]
    return sorted(curves, key=lambda c: c.get("created_at") or "", reverse=True)
