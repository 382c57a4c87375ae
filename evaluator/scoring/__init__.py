"""Scoring: files against files (:mod:`evaluator.scoring.files`), and models on gold sets.

Importing this package loads nothing heavy: each module is imported when its names are first used, so that
``evaluator score`` starts without the database layer or spaCy.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

#: public name -> module that defines it
_EXPORTS = {
    "score_files": "evaluator.scoring.files",
    "compare_files": "evaluator.scoring.files",
    "conlleval_file": "evaluator.scoring.files",
    "file_counts": "evaluator.scoring.files",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'evaluator.scoring' has no attribute {name!r}")
