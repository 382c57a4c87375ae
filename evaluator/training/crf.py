"""``crf-ner``: a linear-chain CRF (CRFsuite via python-crfsuite, as in sklearn-crfsuite) over hand-made token features.

A cheap second NER family, so users can compare architectures and not only rounds. Tokens come from the record
(or spaCy's rule-based tokenizer for the language), tags are IOB2. CRFsuite's L-BFGS is deterministic; the seed is
recorded for uniformity.

Artifact layout (``out_dir``)::

    model/model.crfsuite   CRFsuite's binary model (loaded only with the registry's hash)
    config.json, meta.json
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from evaluator.errors import ConfigError
from evaluator.records import Record, Token, iob2_to_spans
from evaluator.training.base import (
    META_FILE, PredictProgress, Prediction, TrainProgress, TrainResult, accepted, batched, check_cancel,
    empty_out_dir, finish_artifact, label_counts, merge_config, package_versions, register_trainer, resolve_labels,
    step_message, training_hash, verify_artifact,
)
from evaluator.training.docs import record_to_doc, set_entities

MODEL_FILE = "model/model.crfsuite"

_DEFAULTS: dict[str, Any] = {
    "c1": 0.1, "c2": 0.05, "max_iterations": 150, "all_possible_transitions": True, "window": 2,
}


def _word_features(tok) -> dict[str, Any]:
    w = tok.text
    return {
        "lower": w.lower(), "suf3": w[-3:].lower(), "suf2": w[-2:].lower(), "pre3": w[:3].lower(),
        "shape": tok.shape_, "title": w.istitle(), "upper": w.isupper(), "digit": w.isdigit(),
        "alpha": w.isalpha(), "space": tok.is_space, "punct": tok.is_punct,
    }


def doc_features(doc, *, window: int = 2) -> list[dict[str, Any]]:
    """CRFsuite feature dicts per token: the token's own features and those of its neighbours."""
    base = [_word_features(t) for t in doc]
    feats: list[dict[str, Any]] = []
    n = len(base)
    for i in range(n):
        f: dict[str, Any] = {"bias": 1.0}
        for off in range(-window, window + 1):
            j = i + off
            if j < 0:
                f[f"{off}:BOS"] = True
                continue
            if j >= n:
                f[f"{off}:EOS"] = True
                continue
            src = base[j] if off == 0 else {k: base[j][k] for k in ("lower", "shape", "title", "suf3")}
            for k, v in src.items():
                f[f"{off}:{k}"] = v
        feats.append(f)
    return feats


def _iob2(doc) -> list[str]:
    return [f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else "O" for t in doc]


class CRFNerTrainer:
    name = "crf-ner"
    task = "ner"
    description = "Linear-chain CRF (sklearn-crfsuite) over word-shape/affix/context features"

    def default_config(self, *, lang: str = "en") -> dict[str, Any]:
        return dict(_DEFAULTS)

    def train(self, records: Sequence[Record], *, labels: Sequence[str] | None = None, lang: str = "en",
              config: dict[str, Any] | None = None, seed: int = 0, out_dir: Path,
              progress: TrainProgress | None = None, cancel: threading.Event | None = None) -> TrainResult:
        """Fit a CRF on the accepted records and write ``out_dir``."""
        import pycrfsuite  # python-crfsuite, the engine under sklearn-crfsuite
        import spacy

        started = time.perf_counter()
        out_dir = empty_out_dir(out_dir)
        warnings: list[str] = []
        recs = accepted(records, warnings)
        if not recs:
            raise ConfigError("No accepted training examples for trainer crf-ner.", hint="import a round first")
        labels = resolve_labels(recs, labels, task="ner")
        cfg = merge_config(_DEFAULTS, config)
        unknown = set(cfg) - set(_DEFAULTS)
        if unknown:
            raise ConfigError(f"Unknown crf-ner config key(s): {', '.join(sorted(unknown))}.",
                              hint=f"known keys: {', '.join(_DEFAULTS)}")
        nlp = spacy.blank(lang)
        X, y = [], []
        for r in recs:
            doc = set_entities(record_to_doc(r, nlp), r, warnings)
            X.append(doc_features(doc, window=int(cfg["window"])))
            y.append(_iob2(doc))
        max_iter = int(cfg["max_iterations"])

        class _Trainer(pycrfsuite.Trainer):
            # quiet, except for our progress/cancel hook after each L-BFGS iteration
            def on_start(self, log): pass
            def on_featgen_progress(self, log, percent): pass
            def on_featgen_end(self, log): pass
            def on_prepared(self, log): pass
            def on_prepare_error(self, log): pass
            def on_optimization_end(self, log): pass
            def on_end(self, log): pass

            def on_iteration(self, log, info):
                check_cancel(cancel)
                if progress is not None:
                    progress(int(info["num"]), max_iter, step_message(int(info["num"]), max_iter, float(info["loss"])))

        (out_dir / "model").mkdir()
        model_path = out_dir / MODEL_FILE
        # CRFsuite's own trainer (what sklearn_crfsuite.CRF.fit drives), so progress and cancel get a hook
        trainer = _Trainer(algorithm="lbfgs", params={
            "c1": float(cfg["c1"]), "c2": float(cfg["c2"]), "max_iterations": max_iter,
            "feature.possible_transitions": bool(cfg["all_possible_transitions"]),
        }, verbose=True)
        try:
            for xseq, yseq in zip(X, y):
                trainer.append(xseq, yseq)
            check_cancel(cancel)
            trainer.train(str(model_path))
        except BaseException:
            import shutil
            shutil.rmtree(out_dir, ignore_errors=True)
            raise
        steps = int(trainer.logparser.last_iteration.get("num", max_iter)) if trainer.logparser.iterations \
            else 0
        resolved = {"trainer": self.name, **cfg}
        result = TrainResult(
            trainer=self.name, task=self.task, lang=lang, seed=seed, labels=list(labels), config=resolved,
            train_hash=training_hash(recs), counts=label_counts(recs, task="ner"), versions=package_versions(),
            seconds=round(time.perf_counter() - started, 3), steps=steps, warnings=warnings,
        )
        return finish_artifact(result, out_dir, resolved)

    def load(self, artifact_dir: Path, *, expected_hash: str | None = None) -> "CRFPredictor":
        """Open the CRFsuite model, only after checking the folder against ``expected_hash`` (required)."""
        import pycrfsuite

        artifact_dir = Path(artifact_dir)
        verify_artifact(artifact_dir, expected_hash, required=True)
        meta = json.loads((artifact_dir / META_FILE).read_text(encoding="utf-8"))
        tagger = pycrfsuite.Tagger()
        tagger.open(str(artifact_dir / MODEL_FILE))
        return CRFPredictor(tagger, lang=meta["lang"], window=int(meta["config"]["window"]))


class CRFPredictor:
    task = "ner"

    def __init__(self, tagger, *, lang: str, window: int) -> None:
        import spacy

        self.tagger = tagger
        self.nlp = spacy.blank(lang)
        self.window = window

    def _tag(self, record: Record, *, marginals: bool = False):
        """(prediction, probability of the predicted tag sequence, marginals [tokens x tags]) of one record."""
        import numpy as np

        doc = record_to_doc(record, self.nlp)
        tags_of = self.tagger.labels() if marginals else []
        if not len(doc):
            return Prediction(), 1.0, np.zeros((0, len(tags_of)))
        self.tagger.set(doc_features(doc, window=self.window))
        tags = self.tagger.tag()
        toks = [Token(t.idx, t.idx + len(t.text)) for t in doc]
        pred = Prediction(spans=iob2_to_spans(toks, tags))
        if not marginals:
            return pred, None, None
        probs = np.array([[self.tagger.marginal(y, i) for y in tags_of] for i in range(len(doc))])
        return pred, float(self.tagger.probability(tags)), probs

    def predict(self, records: Sequence[Record], *, batch_size: int = 256,
                progress: PredictProgress | None = None) -> list[Prediction]:
        """Entity spans (character offsets into each record's text)."""
        out: list[Prediction] = []
        for batch in batched(records, batch_size):
            out.extend(self._tag(r)[0] for r in batch)
            if progress is not None:
                progress(len(out), len(records), "predicting")
        return out

    def predict_marginals(self, records: Sequence[Record], *, batch_size: int = 256,
                          progress: PredictProgress | None = None) -> list[tuple[Prediction, float, Any]]:
        """Predictions with CRFsuite's confidence: per record ``(prediction, P(predicted tag sequence | text),
        marginals)``, where ``marginals[i, j]`` is the probability that token i (of the record's ``Doc``) has tag
        ``self.tags[j]``: what ``sklearn_crfsuite.CRF.predict_marginals`` computes, as an array."""
        out: list[tuple[Prediction, float, Any]] = []
        for batch in batched(records, batch_size):
            out.extend(self._tag(r, marginals=True) for r in batch)
            if progress is not None:
                progress(len(out), len(records))
        return out

    @property
    def tags(self) -> list[str]:
        """The tags of the model (IOB2), in the column order of :meth:`predict_marginals`."""
        return list(self.tagger.labels())


register_trainer(CRFNerTrainer())
