"""``sklearn-textcat``: TF-IDF features + logistic regression, with class probabilities (for active learning).

Artifact layout (``out_dir``)::

    model/model.pkl   the fitted scikit-learn Pipeline (a pickle: loaded only with the registry's hash)
    config.json       the resolved configuration
    meta.json         the TrainResult without the artifact hash
"""
from __future__ import annotations

import pickle
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from evaluator.errors import ConfigError
from evaluator.records import Record
from evaluator.training.base import (
    PredictProgress, Prediction, TrainProgress, TrainResult, accepted, batched, check_cancel, empty_out_dir,
    finish_artifact, label_counts, merge_config, package_versions, register_trainer, resolve_labels,
    training_hash, verify_artifact,
)

MODEL_FILE = "model/model.pkl"

_DEFAULTS: dict[str, Any] = {
    "tfidf": {"ngram_range": [1, 2], "min_df": 1, "max_df": 1.0, "sublinear_tf": True, "lowercase": True,
              "max_features": 200000, "strip_accents": None},
    "logreg": {"C": 10.0, "max_iter": 2000, "class_weight": None, "solver": "lbfgs", "tol": 1e-4},
}


class SklearnTextcatTrainer:
    name = "sklearn-textcat"
    task = "textcat"
    description = "TF-IDF (word 1-2 grams) + LogisticRegression; fast, calibrated-ish probabilities"

    def default_config(self, *, lang: str = "en") -> dict[str, Any]:
        return merge_config(_DEFAULTS, None)

    def train(self, records: Sequence[Record], *, labels: Sequence[str] | None = None, lang: str = "en",
              config: dict[str, Any] | None = None, seed: int = 0, out_dir: Path,
              progress: TrainProgress | None = None, cancel: threading.Event | None = None) -> TrainResult:
        """Fit the pipeline on the accepted, labelled records and write ``out_dir``."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline

        started = time.perf_counter()
        out_dir = empty_out_dir(out_dir)
        warnings: list[str] = []
        recs = accepted(records, warnings)
        recs_l = [r for r in recs if r.label is not None]
        if len(recs_l) < len(recs):
            warnings.append(f"{len(recs) - len(recs_l)} accepted record(s) without a label were left out")
        labels = resolve_labels(recs_l, labels, task="textcat")
        classes = sorted({r.label for r in recs_l})
        if len(classes) < 2:
            raise ConfigError(f"sklearn-textcat needs examples of at least two classes; the training data has "
                              f"{len(classes)} ({', '.join(classes) or 'none'}).",
                              hint="annotate examples of more classes before training")
        cfg = merge_config(_DEFAULTS, config)
        unknown = sorted(k for k in cfg if k not in _DEFAULTS)
        odd = sorted(k for k in _DEFAULTS if not isinstance(cfg[k], dict))
        if unknown or odd:
            params = ", ".join(f"{sec}.{k}" for sec in _DEFAULTS for k in _DEFAULTS[sec])
            raise ConfigError(f"Unknown sklearn-textcat config key(s): {', '.join(unknown + odd)}.",
                              hint=f'settings live in the tfidf and logreg sections, e.g. {{"logreg.C": 2.0}}; '
                                   f"known: {params}")
        tfidf_opts = dict(cfg["tfidf"])
        tfidf_opts["ngram_range"] = tuple(tfidf_opts["ngram_range"])
        try:
            pipe = Pipeline([
                ("tfidf", TfidfVectorizer(**tfidf_opts)),
                ("logreg", LogisticRegression(random_state=seed, **cfg["logreg"])),
            ])
        except TypeError as err:
            raise ConfigError(f"Bad sklearn-textcat config: {err}",
                              hint=f"known sections: tfidf, logreg; defaults: {_DEFAULTS}") from None
        check_cancel(cancel)
        if progress is not None:
            progress(0, 1, "fitting")
        pipe.fit([r.text for r in recs_l], [r.label for r in recs_l])
        check_cancel(cancel)
        (out_dir / "model").mkdir()
        with open(out_dir / MODEL_FILE, "wb") as fh:
            pickle.dump({"pipeline": pipe, "labels": list(labels)}, fh, protocol=5)
        resolved = {"trainer": self.name, **cfg}
        result = TrainResult(
            trainer=self.name, task=self.task, lang=lang, seed=seed, labels=list(labels), config=resolved,
            train_hash=training_hash(recs_l), counts=label_counts(recs_l, task="textcat"),
            versions=package_versions(), seconds=round(time.perf_counter() - started, 3), steps=1,
            warnings=warnings,
        )
        finish_artifact(result, out_dir, resolved)
        if progress is not None:
            progress(1, 1, "fitted")
        return result

    def load(self, artifact_dir: Path, *, expected_hash: str | None = None) -> "SklearnTextcatPredictor":
        """Unpickle the model, only after checking the folder against ``expected_hash`` (required)."""
        artifact_dir = Path(artifact_dir)
        verify_artifact(artifact_dir, expected_hash, required=True)
        with open(artifact_dir / MODEL_FILE, "rb") as fh:
            obj = pickle.load(fh)  # noqa: S301 - hash verified against the registry above
        return SklearnTextcatPredictor(obj["pipeline"], obj["labels"])


class SklearnTextcatPredictor:
    task = "textcat"

    def __init__(self, pipeline, labels: Sequence[str]) -> None:
        self.pipeline = pipeline
        self.labels = list(labels)

    def predict(self, records: Sequence[Record], *, batch_size: int = 1024,
                progress: PredictProgress | None = None) -> list[Prediction]:
        """Top class and probabilities of every workspace label (0.0 for labels never seen in training)."""
        classes = list(self.pipeline.classes_)
        out: list[Prediction] = []
        for batch in batched(records, batch_size):
            probs = self.pipeline.predict_proba([r.text for r in batch])
            for row in probs:
                scores = {lab: 0.0 for lab in self.labels}
                scores.update({c: float(p) for c, p in zip(classes, row)})
                best = classes[int(row.argmax())]
                out.append(Prediction(label=best, scores=dict(sorted(scores.items()))))
            if progress is not None:
                progress(len(out), len(records), "predicting")
        return out


register_trainer(SklearnTextcatTrainer())
