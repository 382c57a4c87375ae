"""Scoring: one module per question.

* :mod:`evaluator.scoring.evaluate` — every model's scores on a gold-set version (stored and reused).
* :mod:`evaluator.scoring.compare` — is B really better than A? (paired tests, plain words, example diff)
* :mod:`evaluator.scoring.curves` — learning curves: will more data help?
* :mod:`evaluator.scoring.files` — files against files, no workspace: ``evaluator score`` and ``evaluator compare``.

Every workspace result is stored through :mod:`evaluator.results`, keyed by its inputs. Importing this package
loads none of the modules: ``from evaluator.scoring import score_files`` imports :mod:`~evaluator.scoring.files`
alone, so that ``evaluator score`` starts without the database layer or spaCy.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

#: public name -> module that defines it (imported on first use)
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
