"""Trainer contract, the trainer registry and small helpers shared by every trainer.

A trainer is looked up by a versioned name (``spacy-ner``, ``sklearn-textcat``, ...) and has two methods:

* ``train(records, *, labels, lang, config, seed, out_dir, progress, cancel) -> TrainResult`` writes a model
  folder (the artifact) into ``out_dir`` together with ``config.json`` (the resolved configuration) and
  ``meta.json`` (what it was trained on);
* ``load(artifact_dir, *, expected_hash) -> Predictor`` reads it back. Trainers whose artifact is a pickle refuse
  to load a folder without a matching ``expected_hash`` (the model registry passes the hash it recorded).

A :class:`Predictor` turns records into :class:`Prediction` objects (character spans for NER, a label and
probabilities for text classification). Everything is seeded: the same records, trainer, config and seed give the
same predictions.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol, Sequence

from evaluator.errors import ConfigError, EvaluatorError, IntegrityError
from evaluator.progress import Cancelled, Progress
from evaluator.records import Record, Span

#: training and prediction report through the one protocol of :mod:`evaluator.progress`:
#: ``progress(done, total, message)`` (training: steps, with the loss and dev score in the message; prediction:
#: examples)
TrainProgress = Progress
PredictProgress = Progress

CONFIG_FILE = "config.json"
META_FILE = "meta.json"


class TrainingCancelled(Cancelled):
    """Training was cancelled through its cancel flag; nothing was kept."""


@dataclass
class Prediction:
    """What a model says about one record.

    NER models fill ``spans`` (character offsets, end exclusive); text classifiers fill ``label`` and ``scores``
    (label -> probability, summing to 1 for exclusive classes).
    """

    spans: list[Span] = field(default_factory=list)
    label: str | None = None
    scores: dict[str, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"spans": [s.as_list() for s in self.spans], "label": self.label, "scores": self.scores}


@dataclass
class TrainResult:
    """Everything recorded about one training run (stored with the model)."""

    trainer: str
    task: str
    lang: str
    seed: int
    labels: list[str]
    #: the resolved configuration (also saved as ``config.json`` in the artifact folder)
    config: dict[str, Any]
    #: sha256 over the canonical JSON of the training records (:func:`training_hash`)
    train_hash: str
    #: ``{"examples": n, "labels": {label: count}}``: spans per label (NER) or examples per class (textcat)
    counts: dict[str, Any]
    #: package versions: spacy, scikit-learn, sklearn-crfsuite, python
    versions: dict[str, str]
    seconds: float
    #: sha256 over the files of the artifact folder (:func:`artifact_hash`)
    artifact_hash: str = ""
    #: steps (spaCy), iterations (CRF) or 1 (scikit-learn)
    steps: int = 0
    #: best score on the dev split carved from the training data (spaCy trainers), else None
    dev_score: float | None = None
    #: things that were adjusted while converting the data (dropped overlapping spans, ...)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Predictor(Protocol):
    task: str

    def predict(self, records: Sequence[Record], *, batch_size: int = 256,
                progress: PredictProgress | None = None) -> list[Prediction]: ...


class Trainer(Protocol):
    #: versioned registry name, e.g. ``"spacy-ner"``
    name: str
    #: "ner" or "textcat"
    task: str
    description: str

    def default_config(self, *, lang: str = "en") -> dict[str, Any]: ...

    def train(self, records: Sequence[Record], *, labels: Sequence[str] | None, lang: str = "en",
              config: dict[str, Any] | None = None, seed: int = 0, out_dir: Path,
              progress: TrainProgress | None = None,
              cancel: threading.Event | None = None) -> TrainResult: ...

    def load(self, artifact_dir: Path, *, expected_hash: str | None = None) -> Predictor: ...


_TRAINERS: dict[str, Trainer] = {}


def register_trainer(trainer: Trainer) -> Trainer:
    """Add a trainer to the registry under ``trainer.name`` (replacing one of the same name)."""
    _TRAINERS[trainer.name] = trainer
    return trainer


def _load_all() -> None:
    from evaluator.training import crf, sklearn_textcat, spacy_trainers  # noqa: F401


def list_trainers(*, task: str | None = None) -> list[Trainer]:
    """Registered trainers, sorted by name, optionally only those for ``task``."""
    _load_all()
    return [t for n, t in sorted(_TRAINERS.items()) if task is None or t.task == task]


def get_trainer(name: str) -> Trainer:
    """The trainer registered as ``name``; :class:`ConfigError` naming the known ones otherwise."""
    _load_all()
    try:
        return _TRAINERS[name]
    except KeyError:
        known = ", ".join(sorted(_TRAINERS))
        raise ConfigError(f"Unknown trainer {name!r}.", hint=f"use one of: {known}") from None


def default_trainer(task: str) -> str:
    """Default trainer name for a workspace task."""
    return {"ner": "spacy-ner", "textcat": "sklearn-textcat"}.get(task) or _bad_task(task)


def trainer_for(task: str, name: str | None = None) -> "Trainer":
    """The trainer ``name`` (default: the task's default trainer), refused when it is for another task."""
    name = name or default_trainer(task)
    tr = get_trainer(name)
    if tr.task != task:
        raise ConfigError(f"Trainer {name!r} is for {tr.task}, but this workspace is for {task}.",
                          hint=f"use --trainer {default_trainer(task)}")
    return tr


def _bad_task(task: str) -> str:
    raise ConfigError(f"Unknown task {task!r}.", hint="use 'ner' or 'textcat'")


# ---------------------------------------------------------------------------------------------------- hashes

def canonical_training_rows(records: Iterable[Record]) -> list[list[Any]]:
    """``[text, sorted spans as [start, end, label], label]`` per record, in order."""
    return [[r.text, [s.as_list() for s in sorted(r.spans)], r.label] for r in records]


def training_hash(records: Iterable[Record]) -> str:
    """sha256 (hex) over the canonical JSON of (text, spans sorted, label) of each record, in order.

    >>> training_hash([Record("a b", spans=[Span(0, 1, "X")])]) == training_hash([Record("a b", spans=[Span(0, 1, "X")])])
    True
    """
    payload = json.dumps(canonical_training_rows(records), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def artifact_hash(path: Path) -> str:
    """sha256 over the files of a folder in sorted order (relative path and bytes of each), or of one file."""
    path = Path(path)
    h = hashlib.sha256()
    if path.is_file():
        files = [(path.name, path)]
    else:
        files = sorted(
            (p.relative_to(path).as_posix(), p) for p in path.rglob("*") if p.is_file()
        )
    for rel, p in files:
        h.update(rel.encode("utf-8") + b"\0")
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def verify_artifact(path: Path, expected_hash: str | None, *, required: bool = False) -> None:
    """Raise :class:`IntegrityError` when the folder's hash differs from ``expected_hash``.

    With ``required=True`` (pickled models) a missing ``expected_hash`` is an error as well: such artifacts are
    loaded only through the model registry, which recorded the hash when it wrote them.
    """
    if expected_hash is None:
        if required:
            raise IntegrityError(
                f"Refusing to load {path}: it contains a pickle and no artifact hash was given.",
                hint="load models through the model registry (evaluator.training.registry.load_model)",
            )
        return
    actual = artifact_hash(path)
    if actual != expected_hash:
        raise IntegrityError(
            f"Artifact {path} has changed since it was registered (hash {actual[:12]}..., "
            f"registered {expected_hash[:12]}...).",
            hint="retrain the model or delete it from the registry and register it again",
        )


# ---------------------------------------------------------------------------------------------------- helpers

def accepted(records: Iterable[Record], warnings: list[str] | None = None) -> list[Record]:
    """Records with ``answer == "accept"`` (rejected/ignored examples carry no training signal here); with
    ``warnings``, say how many were left out."""
    records = list(records)
    recs = [r for r in records if r.answer == "accept"]
    if warnings is not None and len(recs) < len(records):
        warnings.append(f"{len(records) - len(recs)} record(s) not accepted (reject/ignore) were left out")
    return recs


def parse_config_overrides(text: str | None, *, allow_file: bool = False) -> dict[str, Any] | None:
    """Trainer config overrides written as a JSON object (``{"training.max_steps": 500}``); empty -> None.

    With ``allow_file``, ``text`` may also be the path of a JSON file (the CLI's ``--config``).
    """
    text = (text or "").strip()
    if not text:
        return None
    if allow_file and Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8")
    example = 'e.g. {"training.max_steps": 500}'
    try:
        cfg = json.loads(text)
    except ValueError as err:
        raise ConfigError(f"The config overrides are not valid JSON: {err}.",
                          hint=f"write a JSON object{' or the path of a JSON file' if allow_file else ''}, "
                               f"{example}") from None
    if not isinstance(cfg, dict):
        raise ConfigError("The config overrides must be a JSON object.", hint=example)
    return cfg


def empty_out_dir(out_dir: Path) -> Path:
    """Create ``out_dir``; refuse one that already holds files (a trainer never overwrites an artifact)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.iterdir()):
        raise ConfigError(f"Output folder {out_dir} is not empty.", hint="train into a new folder")
    return out_dir


#: TrainResult fields kept out of ``meta.json``: the hash itself, and the wall-clock time (stored with the model
#: in the registry), so that the same records, trainer, config and seed give the same artifact hash
_NOT_IN_META = ("artifact_hash", "seconds")


def finish_artifact(result: "TrainResult", out_dir: Path, resolved: dict[str, Any]) -> "TrainResult":
    """Write the resolved config and the metadata next to the model, then hash the whole folder.

    Nothing that depends on the run rather than its inputs (temporary paths, timings) goes into the folder: the
    same records, trainer, config and seed give the same artifact hash.
    """
    write_json(out_dir / CONFIG_FILE, resolved)
    write_json(out_dir / META_FILE, {k: v for k, v in result.to_json().items() if k not in _NOT_IN_META})
    result.artifact_hash = artifact_hash(out_dir)
    return result


def label_counts(records: Sequence[Record], *, task: str) -> dict[str, Any]:
    """``{"examples": n, "labels": {label: count}}``: spans per label for NER, examples per class for textcat."""
    c: Counter[str] = Counter()
    for r in records:
        if task == "ner":
            c.update(s.label for s in r.spans)
        elif r.label is not None:
            c[r.label] += 1
    return {"examples": len(records), "labels": dict(sorted(c.items()))}


def resolve_labels(records: Sequence[Record], labels: Sequence[str] | None, *, task: str) -> list[str]:
    """The label set to train: ``labels`` when given (every label in the data must be in it), else the data's."""
    seen = sorted({s.label for r in records for s in r.spans} if task == "ner"
                  else {r.label for r in records if r.label is not None})
    if not labels:
        if not seen:
            raise ConfigError("The training data has no labels.",
                              hint="annotate some examples (or accept some spans) before training")
        return seen
    unknown = sorted(set(seen) - set(labels))
    if unknown:
        raise ConfigError(
            f"The training data uses label(s) {', '.join(map(repr, unknown))} that are not in the workspace labels "
            f"({', '.join(labels)}).",
            hint="add the labels to the workspace or fix the annotations",
        )
    return list(labels)


def package_versions() -> dict[str, str]:
    """Versions of the libraries that can change a trained model."""
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist, key in (("spacy", "spacy"), ("thinc", "thinc"), ("scikit-learn", "scikit-learn"),
                      ("sklearn-crfsuite", "sklearn-crfsuite"), ("python-crfsuite", "python-crfsuite"),
                      ("numpy", "numpy")):
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - optional
            pass
    return out


def merge_config(base: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Deep-merge ``overrides`` into a copy of ``base``; keys may be dotted (``"training.max_steps"``)."""
    out = json.loads(json.dumps(base))
    for key, value in (overrides or {}).items():
        parts = key.split(".")
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"Config key {key!r} goes through a non-section value.")
        last = parts[-1]
        if isinstance(value, dict) and isinstance(node.get(last), dict):
            node[last] = merge_config(node[last], value)
        else:
            node[last] = value
    return out


def write_json(path: Path, data: Any) -> None:
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise TrainingCancelled("Training was cancelled; nothing was kept.")


def step_message(step: int, total: int, loss: float | None = None, score: float | None = None) -> str:
    """What a training step reports: ``step 120/500 · loss 3.210 · dev score 0.612``."""
    return (f"step {step}/{total}" + (f" · loss {loss:.3f}" if loss is not None else "")
            + (f" · dev score {score:.3f}" if score is not None else ""))


def seed_everything(seed: int) -> None:
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % (2**32))


def batched(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), max(1, size)):
        yield items[i:i + size]
