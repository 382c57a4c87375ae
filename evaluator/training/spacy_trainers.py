"""spaCy trainers (``spacy-ner``, ``spacy-textcat``) and a predictor over any spaCy pipeline folder.

Training uses spaCy's own config system and training loop: the config is spaCy's default for the component
(``spacy init config --optimize efficiency``), with step/epoch limits sized for annotation rounds, the seed, and
the user's overrides applied; the data goes to ``.spacy`` files; ``spacy.training.initialize.init_nlp`` and
``spacy.training.loop.train`` do the rest. Early stopping (``training.patience``) watches a dev split carved, with
the seed, from the *training* records only, never from a gold set. The best checkpoint is kept.

Artifact layout (``out_dir``)::

    model/        the spaCy pipeline (``spacy.load``-able, config.cfg without our hooks)
    config.json   the resolved configuration (evaluator options + the full spaCy config)
    meta.json     the TrainResult without the artifact hash
"""
from __future__ import annotations

import io
import json
import random
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Sequence

from evaluator.errors import ConfigError, NotFoundError
from evaluator.records import Record, Span
from evaluator.training.base import (
    PredictProgress, Prediction, TrainProgress, TrainResult, accepted, check_cancel, empty_out_dir, finish_artifact,
    label_counts, package_versions, register_trainer, resolve_labels, seed_everything, step_message, training_hash,
    verify_artifact,
)
from evaluator.training.docs import record_to_doc, set_entities

MODEL_DIR = "model"

#: our options (everything else in a config dict is a spaCy config override, dotted or nested under "spacy")
_OWN_KEYS = ("dev_fraction", "min_dev", "base_model")

#: limits sized so a 400-example round trains in well under a minute on 2 CPU cores
_TRAINING_DEFAULTS: dict[str, Any] = {
    "training.max_epochs": 30,
    "training.max_steps": 1500,
    "training.eval_frequency": 50,
    "training.patience": 400,
}

# live hooks of running trainings, keyed by a per-run id referenced from the config
_HOOKS: dict[str, "_Hooks"] = {}


class _Hooks:
    def __init__(self, total: int, progress: TrainProgress | None, cancel: threading.Event | None) -> None:
        self.total = total
        self.progress = progress
        self.cancel = cancel
        self.loss: float | None = None
        self.score: float | None = None
        self.best: float | None = None
        self.step = 0

    def before_update(self, step: int) -> None:
        self.step = step
        check_cancel(self.cancel)
        if self.progress is not None and step:
            self.progress(step, self.total, step_message(step, self.total, self.loss, self.score))

    def on_eval(self, info: dict[str, Any]) -> None:
        self.step = info["step"]
        self.loss = float(sum(info["losses"].values())) if info.get("losses") else self.loss
        self.score = float(info["score"]) if info.get("score") is not None else self.score
        if self.score is not None and (self.best is None or self.score > self.best):
            self.best = self.score
        if self.progress is not None:
            self.progress(self.step, self.total, step_message(self.step, self.total, self.loss, self.score))


def _register_spacy_hooks() -> None:
    from spacy.util import registry

    if "evaluator.before_update.v1" in registry.callbacks.get_all():
        return

    @registry.callbacks("evaluator.before_update.v1")
    def make_before_update(key: str):
        def before_update(nlp, args: dict[str, Any]) -> None:
            hooks = _HOOKS.get(key)
            if hooks is not None:
                hooks.before_update(args["step"])
        return before_update

    @registry.loggers("evaluator.progress_logger.v1")
    def make_logger(key: str):
        def setup(nlp, stdout=None, stderr=None):
            def log_step(info):
                hooks = _HOOKS.get(key)
                if info is not None and hooks is not None:
                    hooks.on_eval(info)

            def finalize() -> None:
                pass
            return log_step, finalize
        return setup


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and not any(str(x).startswith("@") for x in v):
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def split_dev(n: int, *, fraction: float, seed: int, min_dev: int = 1) -> tuple[list[int], list[int]]:
    """Seeded train/dev split of ``range(n)``: ``(train_indices, dev_indices)``, both sorted.

    With fewer than 5 records there is nothing to spare: the dev split is the training set itself.
    """
    if n < 5 or fraction <= 0:
        idx = list(range(n))
        return idx, idx
    n_dev = min(n - 1, max(min_dev, int(round(n * fraction))))
    perm = list(range(n))
    random.Random(seed).shuffle(perm)
    dev = sorted(perm[:n_dev])
    train = sorted(perm[n_dev:])
    return train, dev


class SpacyTrainer:
    """Train one spaCy component (``ner`` or ``textcat``) with spaCy's config system and training loop."""

    def __init__(self, name: str, task: str, component: str, description: str) -> None:
        self.name = name
        self.task = task
        self.component = component
        self.description = description

    # -------------------------------------------------------------------------------------------- config
    def default_config(self, *, lang: str = "en") -> dict[str, Any]:
        """Our options plus the step/epoch limits we apply over spaCy's defaults."""
        return {"dev_fraction": 0.15, "min_dev": 1, "base_model": None, "spacy": dict(_TRAINING_DEFAULTS)}

    def spacy_config(self, *, lang: str, labels: Sequence[str], seed: int,
                     config: dict[str, Any] | None = None, base_nlp=None):
        """The spaCy ``Config`` this trainer trains with (no data paths, no progress hooks)."""
        from spacy.cli.init_config import init_config
        from thinc.api import Config

        own, overrides = self._split_config(config)
        if base_nlp is None:
            cfg = init_config(lang=lang, pipeline=[self.component], optimize="efficiency", silent=True)
        else:
            cfg = self._config_from_base(base_nlp, own["base_model"])
        flat = dict(_TRAINING_DEFAULTS)
        flat.update({"system.seed": seed, "training.seed": seed})
        if self.task == "textcat":
            flat[f"initialize.components.{self.component}"] = {"labels": list(labels)}
        flat.update(overrides)
        cfg = Config(cfg)
        sections = {k: v for k, v in flat.items() if isinstance(v, dict)}
        for key, value in sections.items():
            *parents, last = key.split(".")
            node = cfg
            for p in parents:
                node = node.setdefault(p, {})
            if any(str(k).startswith("@") for k in value) or not isinstance(node.get(last), dict):
                node[last] = value  # a registered-function block replaces the old one
            else:
                node[last].update(value)
        leaves = {k: v for k, v in flat.items() if k not in sections}
        _check_keys(cfg, [k for k in leaves if k not in _TRAINING_DEFAULTS and k not in ("system.seed", "training.seed")],
                    trainer=self.name)
        try:
            cfg = Config().from_str(cfg.to_str(), overrides=leaves,
                                    interpolate=False)
        except Exception as err:  # thinc raises ConfigValidationError for unknown keys
            raise ConfigError(f"Bad spaCy config override for trainer {self.name}: {err}",
                              hint="use keys that exist in `spacy init config`, e.g. training.max_steps") from None
        return cfg

    def _split_config(self, config: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
        defaults = self.default_config()
        own = {k: defaults[k] for k in _OWN_KEYS}
        overrides: dict[str, Any] = {}
        for k, v in (config or {}).items():
            if k in _OWN_KEYS:
                own[k] = v
            elif k == "spacy":
                overrides.update(_flatten(v))
            else:
                overrides.update(_flatten({k: v}))
        return own, overrides

    def _config_from_base(self, base_nlp, base_path: str):
        from spacy.cli.init_config import init_config
        from thinc.api import Config

        fresh = init_config(lang=base_nlp.lang, pipeline=[self.component], optimize="efficiency", silent=True)
        cfg = Config(base_nlp.config).copy()
        for section in ("training", "corpora", "paths", "initialize"):
            cfg[section] = fresh[section]
        for name in base_nlp.pipe_names:
            cfg["components"][name] = {"source": str(base_path)}
        frozen = [n for n in base_nlp.pipe_names if n != self.component]
        annotating: list[str] = []
        if self.component not in base_nlp.pipe_names:
            block = json.loads(json.dumps(fresh["components"][self.component]))
            # a new component gets its own embedding layer, so the base's components stay untouched
            block["model"]["tok2vec"] = {
                "@architectures": "spacy.HashEmbedCNN.v2", "width": 96, "depth": 4, "embed_size": 2000,
                "window_size": 1, "maxout_pieces": 3, "subword_features": True, "pretrained_vectors": None,
            }
            cfg["components"][self.component] = block
            cfg["nlp"]["pipeline"] = list(base_nlp.pipe_names) + [self.component]
        else:
            # keep training the component's shared embedding layer (if it listens to one) only when nothing
            # else listens to it; otherwise freeze it and let it annotate
            for name, proc in base_nlp.pipeline:
                listeners = getattr(proc, "listening_components", None)
                if listeners and self.component in listeners:
                    if set(listeners) == {self.component}:
                        frozen.remove(name)
                    else:
                        annotating.append(name)
        cfg["nlp"]["disabled"] = []
        cfg["training"]["frozen_components"] = frozen
        cfg["training"]["annotating_components"] = annotating
        cfg["training"]["score_weights"] = fresh["training"]["score_weights"]
        return cfg

    # -------------------------------------------------------------------------------------------- data
    def _docs(self, records: Sequence[Record], nlp, labels: Sequence[str], warnings: list[str]) -> list:
        docs = []
        for r in records:
            doc = record_to_doc(r, nlp)
            if self.task == "ner":
                set_entities(doc, r, warnings)
            else:
                doc.cats = {lab: float(lab == r.label) for lab in labels}
            docs.append(doc)
        return docs

    def _usable(self, records: Sequence[Record], warnings: list[str]) -> list[Record]:
        recs = accepted(records, warnings)
        if self.task == "textcat":
            with_label = [r for r in recs if r.label is not None]
            if len(with_label) < len(recs):
                warnings.append(f"{len(recs) - len(with_label)} accepted record(s) without a label were left out")
            recs = with_label
        if not recs:
            raise ConfigError(f"No accepted training examples for trainer {self.name}.",
                              hint="import or annotate a round first")
        return recs

    # -------------------------------------------------------------------------------------------- train
    def _prepare(self, records: Sequence[Record], *, labels: Sequence[str] | None, lang: str,
                 config: dict[str, Any] | None, seed: int, warnings: list[str]) -> dict[str, Any]:
        """Usable records, labels, the spaCy config and the annotated Docs with the seeded train/dev split."""
        import spacy

        recs = self._usable(records, warnings)
        labels = resolve_labels(recs, labels, task=self.task)
        own, _ = self._split_config(config)
        seed_everything(seed)
        base_nlp = None
        if own["base_model"]:
            base = Path(own["base_model"])
            if not (base / "config.cfg").is_file():
                raise NotFoundError(f"Base pipeline {base} is not a spaCy pipeline folder (no config.cfg).",
                                    hint="pass the folder written by nlp.to_disk or `spacy train`")
            base_nlp = spacy.load(base)
            lang = base_nlp.lang
        cfg = self.spacy_config(lang=lang, labels=labels, seed=seed, config=config, base_nlp=base_nlp)
        tok_nlp = base_nlp if base_nlp is not None else spacy.blank(lang)
        train_idx, dev_idx = split_dev(len(recs), fraction=float(own["dev_fraction"]), seed=seed,
                                       min_dev=int(own["min_dev"]))
        docs = self._docs(recs, tok_nlp, labels, warnings)
        return {"records": recs, "labels": labels, "lang": lang, "own": own, "cfg": cfg, "docs": docs,
                "train_idx": train_idx, "dev_idx": dev_idx}

    def export(self, records: Sequence[Record], *, labels: Sequence[str] | None = None, lang: str = "en",
               config: dict[str, Any] | None = None, seed: int = 0, out_dir: Path) -> dict[str, Any]:
        """Write what :meth:`train` would train on as a plain spaCy project: ``config.cfg``, ``train.spacy``,
        ``dev.spacy``; returns the paths and the equivalent ``python -m spacy train`` command."""
        from spacy.tokens import DocBin

        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        prep = self._prepare(records, labels=labels, lang=lang, config=config, seed=seed, warnings=[])
        docs, cfg = prep["docs"], prep["cfg"]
        DocBin(docs=[docs[i] for i in prep["train_idx"]]).to_disk(out_dir / "train.spacy")
        DocBin(docs=[docs[i] for i in prep["dev_idx"]]).to_disk(out_dir / "dev.spacy")
        cfg["paths"]["train"] = str(out_dir / "train.spacy")
        cfg["paths"]["dev"] = str(out_dir / "dev.spacy")
        cfg.to_disk(out_dir / "config.cfg")
        return {"config": str(out_dir / "config.cfg"), "train": str(out_dir / "train.spacy"),
                "dev": str(out_dir / "dev.spacy"),
                "command": ["python", "-m", "spacy", "train", str(out_dir / "config.cfg"), "--output",
                            str(out_dir / "output")]}

    def train(self, records: Sequence[Record], *, labels: Sequence[str] | None = None, lang: str = "en",
              config: dict[str, Any] | None = None, seed: int = 0, out_dir: Path,
              progress: TrainProgress | None = None, cancel: threading.Event | None = None) -> TrainResult:
        """Train on ``records`` and write the artifact folder ``out_dir`` (created; must not exist or be empty)."""
        from spacy.tokens import DocBin
        from spacy.training.initialize import init_nlp
        from spacy.training.loop import train as spacy_train_loop

        _register_spacy_hooks()
        started = time.perf_counter()
        out_dir = empty_out_dir(out_dir)
        warnings: list[str] = []
        prep = self._prepare(records, labels=labels, lang=lang, config=config, seed=seed, warnings=warnings)
        recs, labels, lang, own, cfg = prep["records"], prep["labels"], prep["lang"], prep["own"], prep["cfg"]
        docs, train_idx, dev_idx = prep["docs"], prep["train_idx"], prep["dev_idx"]
        key = uuid.uuid4().hex
        total = int(cfg["training"]["max_steps"]) or 0
        hooks = _Hooks(total, progress, cancel)
        work = Path(tempfile.mkdtemp(prefix="train-", dir=out_dir))
        try:
            DocBin(docs=[docs[i] for i in train_idx]).to_disk(work / "train.spacy")
            DocBin(docs=[docs[i] for i in dev_idx]).to_disk(work / "dev.spacy")
            # the run's temporary paths go into the run's copy only: the artifact (saved config.cfg and our
            # config.json) must not depend on where it was trained, so the same inputs give the same hash
            run_cfg = cfg.copy()
            run_cfg["paths"]["train"] = str(work / "train.spacy")
            run_cfg["paths"]["dev"] = str(work / "dev.spacy")
            run_cfg["training"]["before_update"] = {"@callbacks": "evaluator.before_update.v1", "key": key}
            run_cfg["training"]["logger"] = {"@loggers": "evaluator.progress_logger.v1", "key": key}
            _HOOKS[key] = hooks
            check_cancel(cancel)
            quiet = io.StringIO()
            nlp = init_nlp(run_cfg, use_gpu=-1)
            (work / "out").mkdir()
            spacy_train_loop(nlp, work / "out", use_gpu=-1, stdout=quiet, stderr=quiet)
            best = work / "out" / "model-best"
            if not best.is_dir():  # pragma: no cover - spaCy always writes it after the first evaluation
                best = work / "out" / "model-last"
            _strip_hooks(best, cfg)
            shutil.move(str(best), str(out_dir / MODEL_DIR))
        except BaseException:  # cancelled, interrupted or failed: leave nothing behind
            shutil.rmtree(out_dir, ignore_errors=True)
            raise
        finally:
            _HOOKS.pop(key, None)
            shutil.rmtree(work, ignore_errors=True)

        resolved = {
            "trainer": self.name,
            "dev_fraction": own["dev_fraction"],
            "min_dev": own["min_dev"],
            "base_model": str(own["base_model"]) if own["base_model"] else None,
            "dev_examples": len(dev_idx),
            "train_examples": len(train_idx),
            "spacy": _plain(cfg),
        }
        if progress is not None:
            progress(hooks.step, hooks.step, step_message(hooks.step, hooks.step, hooks.loss, hooks.score)
                     + (" (stopped early: no better dev score)" if hooks.step < total else ""))
        result = TrainResult(
            trainer=self.name, task=self.task, lang=lang, seed=seed, labels=list(labels), config=resolved,
            train_hash=training_hash(recs), counts=label_counts(recs, task=self.task),
            versions=package_versions(), seconds=round(time.perf_counter() - started, 3), steps=hooks.step,
            dev_score=hooks.best, warnings=warnings,
        )
        return finish_artifact(result, out_dir, resolved)

    # -------------------------------------------------------------------------------------------- load
    def load(self, artifact_dir: Path, *, expected_hash: str | None = None) -> "SpacyPredictor":
        """Predictor over the pipeline in ``artifact_dir/model`` (hash checked when ``expected_hash`` is given)."""
        artifact_dir = Path(artifact_dir)
        verify_artifact(artifact_dir, expected_hash)
        return SpacyPredictor.from_path(artifact_dir / MODEL_DIR, task=self.task)


def _check_keys(cfg, keys: Sequence[str], *, trainer: str) -> None:
    """Every dotted override must name a setting that exists in the config (typos are errors, not no-ops)."""
    import difflib

    def leaves(node, prefix=""):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict):
                yield from leaves(v, key)
            else:
                yield key

    known = set(leaves(cfg))
    for key in keys:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=3)
            raise ConfigError(f"Unknown spaCy config setting {key!r} for trainer {trainer}.",
                              hint=f"did you mean {', '.join(close)}?" if close else
                              "use a key that `spacy init config` writes, e.g. training.max_steps")


def _plain(cfg) -> dict[str, Any]:
    """A JSON-safe dict of a spaCy config (interpolated)."""
    return json.loads(json.dumps(cfg.interpolate(), default=str))


def _strip_hooks(model_dir: Path, clean_cfg) -> None:
    """Rewrite the saved pipeline's config.cfg without our per-run hooks (so plain ``spacy.load`` works) and
    without the run's temporary data paths (so the artifact does not depend on where it was trained)."""
    from thinc.api import Config

    path = model_dir / "config.cfg"
    saved = Config().from_disk(path, interpolate=False)
    saved["training"]["before_update"] = None
    saved["training"]["logger"] = clean_cfg["training"]["logger"]
    for key in ("train", "dev"):
        saved["paths"][key] = clean_cfg["paths"][key]
    saved.to_disk(path)


class SpacyPredictor:
    """Predictions from a spaCy pipeline: entities (``task="ner"``) or the top category (``task="textcat"``)."""

    def __init__(self, nlp, *, task: str) -> None:
        self.nlp = nlp
        self.task = task
        if task == "ner" and "ner" not in nlp.pipe_names and not nlp.has_factory("ner"):
            raise ConfigError("The pipeline has no ner component.")
        if task == "textcat" and not any(n.startswith("textcat") for n in nlp.pipe_names):
            raise ConfigError(f"The pipeline has no textcat component (it has {', '.join(nlp.pipe_names)}).",
                              hint="register it for an NER workspace, or add a textcat component")

    @classmethod
    def from_path(cls, path: Path, *, task: str) -> "SpacyPredictor":
        import spacy

        path = Path(path)
        if not (path / "config.cfg").is_file():
            raise NotFoundError(f"{path} is not a spaCy pipeline folder (no config.cfg).",
                                hint="pass the folder written by nlp.to_disk or `spacy train` (model-best)")
        try:
            nlp = spacy.load(path)
        except (OSError, ValueError, KeyError, ImportError) as err:
            raise ConfigError(f"spaCy could not load the pipeline in {path}: {err}",
                              hint="check that it was saved with a compatible spaCy version and that any custom "
                                   "components are importable") from None
        return cls(nlp, task=task)

    def predict(self, records: Sequence[Record], *, batch_size: int = 256,
                progress: PredictProgress | None = None) -> list[Prediction]:
        """Predictions for ``records``, in order, computed with ``nlp.pipe`` in batches."""
        out: list[Prediction] = []
        total = len(records)
        docs = (record_to_doc(r, self.nlp) for r in records)
        for doc in self.nlp.pipe(docs, batch_size=batch_size):
            if self.task == "ner":
                out.append(Prediction(spans=[Span(e.start_char, e.end_char, e.label_) for e in doc.ents]))
            else:
                scores = {k: float(v) for k, v in sorted(doc.cats.items())}
                label = max(scores, key=lambda k: (scores[k], -sorted(scores).index(k))) if scores else None
                out.append(Prediction(label=label, scores=scores))
            if progress is not None and (len(out) % batch_size == 0 or len(out) == total):
                progress(len(out), total, "predicting")
        return out


register_trainer(SpacyTrainer(
    "spacy-ner", "ner", "ner",
    "spaCy NER (blank pipeline or a base pipeline folder), spaCy's config + training loop, early stopping",
))
register_trainer(SpacyTrainer(
    "spacy-textcat", "textcat", "textcat",
    "spaCy text classifier with exclusive classes (bag-of-words, spaCy's efficiency config)",
))
