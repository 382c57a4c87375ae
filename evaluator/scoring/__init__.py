"""Scoring models on gold sets: one module per question.

* :mod:`evaluator.scoring.evaluate` — every model's scores on a gold-set version (stored and reused).
* :mod:`evaluator.scoring.compare` — is B really better than A? (paired tests, plain words, example diff)
* :mod:`evaluator.scoring.curves` — learning curves: will more data help?

Every result is stored through :mod:`evaluator.results`, keyed by its inputs.
"""
