"""Trainers registered by name, the model registry, predictions and learning curves.

>>> from evaluator.training import get_trainer, list_trainers
>>> [t.name for t in list_trainers()]
['crf-ner', 'sklearn-textcat', 'spacy-ner', 'spacy-textcat']

The workspace-level functions (:func:`train_round`, :func:`add_model`, :func:`predict`, :func:`evaluate_models`,
:func:`learning_curve`, ...) live in :mod:`evaluator.training.registry` and are re-exported here lazily, so that
importing the trainers does not need a database.
"""
from evaluator.training.base import (
    Prediction, Predictor, Trainer, TrainingCancelled, TrainResult, artifact_hash, default_trainer, get_trainer,
    list_trainers, register_trainer, training_hash,
)

_REGISTRY_API = (
    "train_round", "add_model", "list_models", "get_model", "rename_model", "delete_model", "load_model",
    "predict", "stored_predictions", "evaluate_models", "learning_curve", "stored_curves",
)

__all__ = [
    "Prediction", "Predictor", "Trainer", "TrainingCancelled", "TrainResult", "artifact_hash", "default_trainer",
    "get_trainer", "list_trainers", "register_trainer", "training_hash", *_REGISTRY_API,
]


def __getattr__(name: str):
    if name in _REGISTRY_API:
        from evaluator.training import registry

        return getattr(registry, name)
    raise AttributeError(f"module 'evaluator.training' has no attribute {name!r}")
