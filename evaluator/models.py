"""The model registry: train a round and register the model, register models trained elsewhere, list, rename,
delete and load them.

Models live in the ``models`` table and under ``ws.models_dir``. A model row is written only after its artifact
folder is complete (it is written to a temporary folder inside ``models_dir`` and renamed), and only when the
leakage guard still holds at that moment (a gold set made while the model trained is caught). Every artifact is
loaded through :func:`load_model`, which checks the folder against the recorded sha256 first, so a pickle the
registry did not write is never unpickled (:class:`~evaluator.errors.IntegrityError`).

Models are listed in iteration order: by round, then trainer, then creation. A trained model's *parent* (the
previous iteration) is the newest model of the same trainer, configuration and round mode on the highest earlier
round, computed from the rounds whenever it is asked for, never from creation order.

>>> res = train_round(ws, round=1)                          # doctest: +SKIP
>>> res["name"], res["lineage"]["parent"]                   # doctest: +SKIP
('round-1-spacy-ner', None)
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from evaluator import db
from evaluator.errors import AlreadyExistsError, ConfigError, IntegrityError, NotFoundError
from evaluator.progress import Progress, check_cancel, part, report
from evaluator.training.base import (Predictor, artifact_hash, get_trainer, trainer_for, training_hash,
                                    verify_artifact)
from evaluator.workspace import Workspace

KINDS = ("trained", "spacy-dir", "predictions")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


# ------------------------------------------------------------------------------------------------ helpers

def check_name(name: str) -> str:
    """A model name: letters, digits, ``.``, ``_`` and ``-``, starting with a letter or digit."""
    if not _NAME_RE.match(name or ""):
        raise ConfigError(f"Bad model name {name!r}.",
                          hint="use letters, digits, '.', '_' and '-' (start with a letter or digit), e.g. round-2-crf")
    return name


def model_row(conn: Connection, name: str):
    """The ``models`` row of ``name``; :class:`NotFoundError` listing the known names otherwise."""
    m = db.models
    row = conn.execute(sa.select(m).where(m.c.name == name)).mappings().first()
    if row is None:
        known = [r[0] for r in conn.execute(sa.select(m.c.name).order_by(m.c.id))]
        raise NotFoundError(f"No model named {name!r}.",
                            hint=f"known models: {', '.join(known) or 'none yet'}; see `evaluator models`")
    return row


def _exists(conn: Connection, name: str) -> bool:
    return conn.execute(sa.select(db.models.c.id).where(db.models.c.name == name)).first() is not None


def free_name(ws: Workspace, name: str) -> str:
    """``name`` when no model has it yet, else ``name-2``, ``name-3``, ...: a name to suggest."""
    with ws.engine.connect() as conn:
        taken = {r[0] for r in conn.execute(sa.select(db.models.c.name).where(db.models.c.name.like(f"{name}%")))}
    if name not in taken:
        return name
    k = 2
    while f"{name}-{k}" in taken:
        k += 1
    return f"{name}-{k}"


def artifact_dir(ws: Workspace, artifact_path: str | None) -> Path:
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


@contextlib.contextmanager
def _scratch(ws: Workspace):
    """A temporary folder in ``models/`` for an artifact being made, removed afterwards; meanwhile the workspace's
    training guard is held, so another process opening the workspace does not take it for a leftover of an
    interrupted training (:mod:`evaluator.housekeeping`)."""
    from evaluator.housekeeping import training_guard

    with training_guard(ws):
        tmp = _tmp_dir(ws)
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _final_dir(ws: Workspace, name: str) -> Path:
    base = ws.models_dir / name
    path, k = base, 1
    while path.exists():
        k += 1
        path = ws.models_dir / f"{name}.{k}"
    return path


def _commit_artifact(ws: Workspace, tmp: Path, name: str, values: dict[str, Any],
                     check: Callable[[Connection], None] | None = None,
                     after: Callable[[Connection, int], None] | None = None) -> int:
    """Rename the finished temporary folder into place, then insert the model row (or undo the rename).

    ``check(conn)`` runs first inside the write transaction (with the write lock held, so no import or split can
    slip in between); ``after(conn, model_id)`` writes what belongs to the new row. Returns the model id.
    """
    final = _final_dir(ws, name)
    os.rename(tmp, final)
    try:
        with ws.engine.begin() as conn:
            db.lock_for_writing(conn)
            if check is not None:
                check(conn)
            if _exists(conn, name):
                raise AlreadyExistsError(f"A model named {name!r} already exists.",
                                         hint=f"pass another --name (e.g. {free_name(ws, name)}), or delete or "
                                              "rename the existing model")
            mid = conn.execute(db.models.insert().values(
                name=name, artifact_path=_rel(ws, final), created_at=db.utcnow(), **values)).inserted_primary_key[0]
            if after is not None:
                after(conn, mid)
            return mid
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise


# ------------------------------------------------------------------------------------------------ lineage

def _candidate(row) -> tuple:
    """What makes two trained models iterations of the same candidate: trainer, round mode and the configuration
    the user asked for (the overrides; the resolved config also holds per-round figures such as dev-set sizes)."""
    cfg = row["config"] or {}
    return (row["trainer"], bool(cfg.get("cumulative", True)), _config_key(cfg.get("overrides")), cfg.get("lang"))


def _config_key(cfg: Any) -> str:
    import json

    return json.dumps(cfg or {}, sort_keys=True, default=str)


def _order_key(row) -> tuple:
    """Iteration order: trained models by round, trainer, creation; models trained elsewhere after them."""
    r = row["round"]
    return (r is None, r if r is not None else 0, row["trainer"] or "", row["created_at"] or "", row["id"])


def _parents(rows: list) -> dict[int, int | None]:
    """model id -> id of its previous iteration (same candidate, highest earlier round, newest), or None."""
    out: dict[int, int | None] = {}
    trained = [r for r in rows if r["kind"] == "trained" and r["round"] is not None]
    for r in rows:
        if r["kind"] != "trained" or r["round"] is None:
            out[r["id"]] = None
            continue
        same = [p for p in trained if _candidate(p) == _candidate(r) and p["round"] < r["round"]]
        if not same:
            out[r["id"]] = None
            continue
        top = max(p["round"] for p in same)
        # the run of the same seed when there is one, else the newest run of that round
        out[r["id"]] = max((p for p in same if p["round"] == top),
                           key=lambda p: (p["seed"] == r["seed"], p["created_at"] or "", p["id"]))["id"]
    return out


def _gold_overlap(conn: Connection, model_ids: list[int] | None = None) -> dict[int, dict[str, int]]:
    """model id -> {gold set name: examples} for trained models whose training examples share a text with a gold
    set now (a gold set made after the model was trained, e.g. split off its round), by either leakage-guard key."""
    te, e, g, c = db.training_examples, db.examples, db.examples.alias("g"), db.collections
    q = (sa.select(te.c.model_id, c.c.name, sa.func.count(sa.distinct(g.c.id)))
         .select_from(te.join(e, e.c.id == te.c.example_id)
                      .join(g, sa.or_(g.c.input_hash == e.c.input_hash, g.c.loose_hash == e.c.loose_hash))
                      .join(c, sa.and_(c.c.id == g.c.collection_id, c.c.kind == "gold")))
         .group_by(te.c.model_id, c.c.name))
    if model_ids is not None:
        q = q.where(te.c.model_id.in_(model_ids))
    out: dict[int, dict[str, int]] = {}
    for mid, gold, n in conn.execute(q):
        out.setdefault(mid, {})[gold] = int(n)
    return out


def _describe(row, *, names: dict[int, str], parents: dict[int, int | None], n_pred: int,
              overlap: dict[str, int]) -> dict[str, Any]:
    cfg = row["config"] or {}
    parent = parents.get(row["id"])
    return {
        "id": row["id"], "name": row["name"], "kind": row["kind"], "trainer": row["trainer"], "round": row["round"],
        "lineage": {"round": row["round"], "parent": names.get(parent) if parent is not None else None,
                    "rounds": cfg.get("rounds"), "cumulative": cfg.get("cumulative")},
        "train_hash": row["train_hash"], "counts": row["train_counts"], "seed": row["seed"],
        "seconds": row["seconds"], "versions": row["versions"], "config": row["config"],
        "artifact_path": row["artifact_path"], "artifact_hash": row["artifact_hash"], "predictions": n_pred,
        "gold_overlap": overlap, "created_at": row["created_at"],
    }


def _describe_all(conn: Connection, rows: list | None = None) -> list[dict[str, Any]]:
    every = conn.execute(sa.select(db.models)).mappings().all()
    rows = every if rows is None else rows
    names = {r["id"]: r["name"] for r in every}
    parents = _parents(every)
    p = db.predictions
    counts = dict(conn.execute(sa.select(p.c.model_id, sa.func.count()).group_by(p.c.model_id)).all())
    overlap = _gold_overlap(conn, [r["id"] for r in rows])
    return [_describe(r, names=names, parents=parents, n_pred=int(counts.get(r["id"], 0)),
                      overlap=overlap.get(r["id"], {})) for r in sorted(rows, key=_order_key)]


# ------------------------------------------------------------------------------------------------ training

def train_round(ws: Workspace, round: int, *, trainer: str | None = None, seed: int = 0, cumulative: bool = True,
                config: dict[str, Any] | None = None, name: str | None = None,
                progress: Progress | None = None, cancel: threading.Event | None = None) -> dict[str, Any]:
    """Train a model on the accepted annotations of rounds 1..``round`` (or ``round`` only) and register it.

    ``trainer`` defaults to ``spacy-ner`` for NER and ``sklearn-textcat`` for text classification; ``name`` to
    ``round-<k>-<trainer>`` (``round-<k>-only-<trainer>`` with ``cumulative=False``). Gold texts in the training
    data raise :class:`~evaluator.errors.LeakageError` before anything is trained, and again before the model is
    registered (a gold set split off the round while it trained). ``progress(step, total, message)``; ``cancel``
    stops at the next step and keeps nothing. Returns the model's description: ``name``, ``lineage`` (round,
    parent), ``train_hash``, ``counts``, ``seconds``, ``config`` ...
    """
    from evaluator.store import leakage_check, training_records

    tr = trainer_for(ws.task, trainer)
    trainer = tr.name
    default = f"round-{round}-{trainer}" if cumulative else f"round-{round}-only-{trainer}"
    name = check_name(name or default)
    with ws.engine.connect() as conn:
        if _exists(conn, name):
            raise AlreadyExistsError(f"A model named {name!r} already exists.",
                                     hint=f"pass another --name (e.g. {free_name(ws, name)}), or delete the existing "
                                          "model")
    report(progress, 0, None, f"reading the accepted annotations of round{'s 1..' if cumulative else ' '}{round}")
    records = training_records(ws, round=round, cumulative=cumulative)  # leakage guard raises here
    rounds = sorted({int(r.meta.get("_round", round)) for r in records})
    with _scratch(ws) as tmp:
        art = tmp / "artifact"
        result = tr.train(records, labels=ws.labels or None, lang=ws.lang, config=config, seed=seed,
                          out_dir=art, progress=progress, cancel=cancel)

        def still_no_leak(conn: Connection) -> None:
            leakage_check(conn, records, where=f"in the training data of round {round}",
                          hint="a gold set that shares these texts was made while the model trained; nothing was "
                               "registered. Remove them from the round (or the gold set) and train again")

        def remember_examples(conn: Connection, mid: int) -> None:
            ids = sorted({r.id for r in records if r.id is not None})
            for k in range(0, len(ids), 5000):
                conn.execute(db.training_examples.insert(), [{"model_id": mid, "example_id": i}
                                                             for i in ids[k:k + 5000]])

        mid = _commit_artifact(ws, art, name, {
            "kind": "trained", "trainer": trainer, "round": round, "parent_id": None,
            "artifact_hash": result.artifact_hash,
            "config": {"cumulative": cumulative, "rounds": rounds, "overrides": config or {},
                       "data_hash": training_hash(records), "trainer": result.config,
                       "auto_accepted": sum(1 for r in records if r.meta.get("_auto")),
                       "labels": result.labels, "lang": result.lang, "dev_score": result.dev_score,
                       "steps": result.steps, "warnings": result.warnings[:50]},
            "train_hash": result.train_hash, "train_counts": result.counts, "versions": result.versions,
            "seed": seed, "seconds": result.seconds,
        }, check=still_no_leak, after=remember_examples)
    out = _get(ws, mid)
    out["warnings"] = result.warnings
    report(progress, 1, 1, f"saved model {name}: {result.counts['examples']} examples, {result.seconds:.1f} s")
    return out


def _weights_hash(ws: Workspace, model: dict[str, Any]) -> str:
    """sha256 of a trained model's ``model/`` folder (its weights), without the metadata files."""
    return artifact_hash(artifact_dir(ws, model["artifact_path"]) / "model")


def run_name(base: str, seed: int) -> str:
    """The name of one run of a candidate: ``base`` for seed 0, ``base-s<seed>`` for the others."""
    return base if seed == 0 else f"{base}-s{seed}"


def candidate_key(model: dict[str, Any]) -> tuple | None:
    """(trainer, cumulative, config overrides, lang, round) of a trained model: the runs of one candidate share
    it; None for models trained elsewhere."""
    if model.get("kind") != "trained" or model.get("round") is None:
        return None
    cfg = model.get("config") or {}
    return (model["trainer"], bool(cfg.get("cumulative", True)), _config_key(cfg.get("overrides")), cfg.get("lang"),
            model["round"])


def runs_of(ws: Workspace, name: str) -> list[dict[str, Any]]:
    """Every run (seed) of the candidate that model ``name`` belongs to, by seed (just ``name`` for a model
    trained elsewhere)."""
    models = list_models(ws)
    me = next((m for m in models if m["name"] == name), None)
    if me is None:
        get_model(ws, name)  # raises NotFoundError with the known names
    key = candidate_key(me)
    if key is None:
        return [me]
    return sorted((m for m in models if candidate_key(m) == key), key=lambda m: (m["seed"] or 0, m["id"]))


def train_runs(ws: Workspace, round: int, *, seeds: Sequence[int] = (0,), trainer: str | None = None,
               cumulative: bool = True, config: dict[str, Any] | None = None, name: str | None = None,
               progress: Progress | None = None, cancel: threading.Event | None = None) -> dict[str, Any]:
    """Train one candidate (rounds, trainer, config) with several seeds: one registered model per seed.

    Runs that exist already (same candidate, round and seed) are kept, not trained again. A trainer whose first
    two runs come out with the same artifact hash is deterministic: the seed changes nothing, so it is trained
    once and the result says so (``deterministic: True``). Names: ``name`` (default ``round-<k>-<trainer>``) for
    seed 0, ``<name>-s<seed>`` for the others. Returns ``{"candidate", "runs" (model descriptions, by seed),
    "trained", "reused", "deterministic", "message"}``.
    """
    seeds = list(dict.fromkeys(int(s) for s in seeds))
    if not seeds:
        raise ConfigError("No seeds to train.", hint="e.g. --seeds 3 (seeds 0, 1, 2) or --seeds 0,1,2")
    tr = trainer_for(ws.task, trainer)
    base = check_name(name or (f"round-{round}-{tr.name}" if cumulative else f"round-{round}-only-{tr.name}"))
    from evaluator.store import training_records

    current = training_hash(training_records(ws, round=round, cumulative=cumulative))
    by_seed: dict[int, dict[str, Any]] = {}
    trained: list[str] = []
    deterministic = False
    for i, seed in enumerate(seeds):
        check_cancel(cancel, "Training")
        existing = [m for m in list_models(ws) if m["kind"] == "trained" and m["round"] == round
                    and m["trainer"] == tr.name and m["seed"] == seed
                    and bool((m["config"] or {}).get("cumulative", True)) == cumulative
                    and _config_key((m["config"] or {}).get("overrides")) == _config_key(config)]
        if existing:
            old = existing[0]
            if (old["config"] or {}).get("data_hash") not in (None, current):
                raise AlreadyExistsError(
                    f"Run {old['name']} (seed {seed}) was trained on an earlier state of round"
                    f"{'s 1..' if cumulative else ' '}{round}; its training data has changed since.",
                    hint=f"delete the old runs (evaluator model delete {old['name']} --yes, and its other seeds) "
                         "and train again, or pass another --name")
            by_seed[seed] = old
            continue
        report(progress, i, len(seeds), f"run {i + 1}/{len(seeds)}: seed {seed}")
        model = train_round(ws, round, trainer=tr.name, seed=seed, cumulative=cumulative, config=config,
                            name=run_name(base, seed),
                            progress=part(progress, start=i, size=1, total=len(seeds)), cancel=cancel)
        # the model files themselves (the artifact also holds meta.json, which records the seed)
        same = [m for m in by_seed.values() if _weights_hash(ws, m) == _weights_hash(ws, model)]
        if same:  # a second seed gave the very same model: the trainer ignores the seed
            delete_model(ws, model["name"])
            deterministic = True
            break
        by_seed[seed] = model
        trained.append(model["name"])
    runs = [by_seed[s] for s in sorted(by_seed)]
    if deterministic:
        first = runs[0]
        with ws.engine.begin() as conn:
            conn.execute(db.models.update().where(db.models.c.id == first["id"])
                         .values(config={**(first["config"] or {}), "deterministic": True}))
        runs = [_get(ws, first["id"])]
        message = (f"{tr.name} is deterministic: seeds {seeds[0]} and {seeds[1]} gave the same model "
                   f"(artifact {first['artifact_hash'][:12]}), so it was trained once; its iteration verdict is "
                   "the paired test over the gold documents.")
    else:
        message = (f"{len(runs)} run(s) of {base}: {len(trained)} trained, {len(runs) - len(trained)} kept from "
                   "before.")
    report(progress, len(seeds), len(seeds), message)
    return {"candidate": {"trainer": tr.name, "round": round, "cumulative": cumulative, "config": config or {},
                          "name": base},
            "runs": runs, "trained": trained, "reused": [m["name"] for m in runs if m["name"] not in trained],
            "deterministic": deterministic or any((m["config"] or {}).get("deterministic") for m in runs),
            "message": message}


# ------------------------------------------------------------------------------------------------ external

def add_model(ws: Workspace, path: str | Path, *, name: str, format: str | None = None) -> dict[str, Any]:
    """Register a model trained elsewhere: a spaCy pipeline folder, or a predictions file in any known format.

    The folder or file is copied into the workspace (so the registry's hash protects it). A pipeline must have
    a component for the workspace task; a predictions file is read and validated now.
    """
    from evaluator.training.external import PredictionsFilePredictor
    from evaluator.training.spacy_trainers import SpacyPredictor

    name = check_name(name)
    src = Path(path)
    if not src.exists():
        raise NotFoundError(f"{src}: no such file or folder.", hint="check the path")
    with ws.engine.connect() as conn:
        if _exists(conn, name):
            raise AlreadyExistsError(f"A model named {name!r} already exists.",
                                     hint=f"choose another --name, e.g. {free_name(ws, name)}")
    with _scratch(ws) as tmp:
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
        mid = _commit_artifact(ws, art, name, {"kind": kind, "artifact_hash": digest, "config": config})
    return _get(ws, mid)


def _has_class_folders(path: Path) -> bool:
    """True for the folder layout of text categories: sub-folders holding .txt files."""
    return any(d.is_dir() and any(d.glob("*.txt")) for d in path.iterdir())


# ------------------------------------------------------------------------------------------------ registry ops

def _get(ws: Workspace, model_id: int) -> dict[str, Any]:
    with ws.engine.connect() as conn:
        row = conn.execute(sa.select(db.models).where(db.models.c.id == model_id)).mappings().first()
        return _describe_all(conn, [row])[0]


def list_models(ws: Workspace) -> list[dict[str, Any]]:
    """Every model with its lineage, training-data hash, counts and gold overlap, in iteration order (round,
    trainer, creation; models trained elsewhere last)."""
    with ws.engine.connect() as conn:
        return _describe_all(conn)


def get_model(ws: Workspace, name: str) -> dict[str, Any]:
    with ws.engine.connect() as conn:
        return _describe_all(conn, [model_row(conn, name)])[0]


def previous_model(ws: Workspace, name: str) -> str | None:
    """The name of ``name``'s previous iteration (its parent by rounds), or None."""
    return get_model(ws, name)["lineage"]["parent"]


def rename_model(ws: Workspace, name: str, new_name: str) -> dict[str, Any]:
    """Rename a model (its artifact folder keeps its place)."""
    new_name = check_name(new_name)
    with ws.engine.begin() as conn:
        row = model_row(conn, name)
        if _exists(conn, new_name):
            raise AlreadyExistsError(f"A model named {new_name!r} already exists.", hint="choose another name")
        conn.execute(db.models.update().where(db.models.c.id == row["id"]).values(name=new_name))
    return _get(ws, row["id"])


def delete_model(ws: Workspace, name: str) -> dict[str, Any]:
    """Delete a model, its stored predictions and results, and its artifact folder."""
    with ws.engine.begin() as conn:
        row = model_row(conn, name)
        mid = row["id"]
        for table in (db.predictions, db.results, db.training_examples):
            conn.execute(table.delete().where(table.c.model_id == mid))
        conn.execute(db.models.update().where(db.models.c.parent_id == mid).values(parent_id=None))
        conn.execute(db.models.delete().where(db.models.c.id == mid))
    removed = False
    if row["artifact_path"]:
        path = artifact_dir(ws, row["artifact_path"])
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
        row = dict(model_row(conn, name))
    key = (ws.url, row["id"], row["artifact_hash"] or "")
    path = artifact_dir(ws, row["artifact_path"])
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


__all__ = ["KINDS", "add_model", "artifact_dir", "candidate_key", "check_name", "delete_model", "free_name",
           "get_model", "list_models", "load_model", "model_row", "previous_model", "rename_model", "run_name",
           "runs_of", "train_round", "train_runs"]
