"""Trainers, registered by name, and what they share (the trainer contract, artifact and training-data hashes).

>>> from evaluator.training import get_trainer, list_trainers
>>> [t.name for t in list_trainers()]
['crf-ner', 'sklearn-textcat', 'spacy-ner', 'spacy-textcat']

Training a round in a workspace and registering the model is :func:`evaluator.models.train_round`; predictions
are :mod:`evaluator.predictions`; scoring is :mod:`evaluator.scoring`.
"""
from evaluator.training.base import (
    Prediction, Predictor, Trainer, TrainingCancelled, TrainResult, artifact_hash, default_trainer, get_trainer,
    list_trainers, register_trainer, training_hash,
)

__all__ = [
    "Prediction", "Predictor", "Trainer", "TrainingCancelled", "TrainResult", "artifact_hash", "default_trainer",
    "get_trainer", "list_trainers", "register_trainer", "training_hash",
]
