"""Significance between systems, on the per-document count arrays of :mod:`evaluator.metrics`.

* :func:`compare_counts` — paired bootstrap (interval and p-value) and approximate randomization test of
  ``B - A`` for micro/macro F1 (and accuracy with McNemar's exact test for text classification), vectorized.
* :func:`bootstrap_interval` — one system's 95% bootstrap intervals.
* :func:`wilson_interval`, :func:`sign_test`, :func:`mcnemar_exact`, :func:`holm` — small exact helpers.
"""
from evaluator.stats.paired import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_interval, compare_counts
from evaluator.stats.proportions import holm, mcnemar_exact, sign_test, wilson_interval

__all__ = ["DEFAULT_RESAMPLES", "DEFAULT_SEED", "bootstrap_interval", "compare_counts", "holm", "mcnemar_exact",
           "sign_test", "wilson_interval"]
