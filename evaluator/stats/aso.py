"""Almost stochastic order (ASO; Dror, Shlomov & Reichart 2019; del Barrio et al. 2018), vectorized.

Given the scores of several runs (seeds) of two systems, :func:`aso` returns ``eps_min``, an upper bound (at the
given confidence) of how much the stochastic order "A's scores are higher than B's" is violated: 0 means A's
score distribution lies entirely above B's, 0.5 means no order, 1 means B's lies above A's. Dror et al. call
A *almost stochastically dominant* when ``eps_min < 0.5``; Ulmer et al. (the ``deepsig`` package) recommend the
stricter ``eps_min < 0.2``.

The computation follows ``deepsig.aso`` (1.2.x) exactly, so that the two agree to 1e-6 (checked in the tests):
the violation ratio is integrated on the grid ``t = dt, 2 dt, ... < 1`` of the empirical quantile functions
(``Q(t) = sorted[ceil(n t) - 1]``); its spread comes from ``num_bootstrap_iterations`` samples of ``n`` scores
drawn from each quantile function, bootstrap ``i`` with NumPy's legacy generator seeded ``seed + i``; then
``eps_min = clip(ratio - sigma / c * Phi^-1(1 - confidence), 0, 1)`` with ``c = sqrt(n_a n_b / (n_a + n_b))``.
Unlike ``deepsig`` (GPL-3, which also changes joblib's pickler process-wide on import), this module has no
dependency beyond NumPy/SciPy and computes all bootstrap samples as one array operation.

>>> round(aso([0.9, 0.8, 0.85, 0.95], [0.5, 0.55, 0.6, 0.52], seed=1), 6)
0.0
>>> aso([0.5, 0.55, 0.6], [0.9, 0.8, 0.85], seed=1) > 0.5
True
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
from scipy.stats import norm

#: the violation ratio below which ``deepsig``'s authors call A almost stochastically dominant over B
ASO_THRESHOLD = 0.2


def _quantiles(sorted_scores: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Empirical quantile function(s) of sorted scores ``[..., n]`` at the points ``t`` (``[..., len(t)]``)."""
    n = sorted_scores.shape[-1]
    idx = np.clip(np.ceil(n * t).astype(np.int64) - 1, 0, n - 1)
    return np.take_along_axis(sorted_scores, np.broadcast_to(idx, sorted_scores.shape[:-1] + idx.shape[-1:]), axis=-1)


def _violation_ratio(qa: np.ndarray, qb: np.ndarray, dt: float) -> np.ndarray:
    """Share of the squared Wasserstein distance where ``A``'s quantiles lie below ``B``'s (0.5 when equal)."""
    diff = qb - qa
    w2 = np.sum(diff ** 2 * dt, axis=-1)
    viol = np.where(qa >= qb, 0.0, diff)
    inside = np.sum(viol[..., 1:] ** 2 * dt, axis=-1)  # t = 0 is left out, as in deepsig
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w2 == 0, 0.5, inside / np.where(w2 == 0, 1.0, w2))


@lru_cache(maxsize=8)
def _uniforms(seed: int, iterations: int, size: int) -> np.ndarray:
    """Bootstrap ``i`` (1-based) draws ``size`` uniforms from NumPy's legacy generator seeded ``seed + i``: the
    first ``n_a`` for A, the next ``n_b`` for B, exactly as deepsig's per-iteration sub-seeds do (cached: the two
    directions of one comparison share them)."""
    state = np.random.RandomState()
    u = np.empty((iterations, size))
    for i in range(iterations):
        state.seed(seed + i + 1)  # re-seeding one generator; a new RandomState would gather OS entropy first
        u[i] = state.random_sample(size)  # == uniform(0, 1, size), bit for bit
    u.setflags(write=False)
    return u


def violation_ratio(scores_a: Sequence[float], scores_b: Sequence[float], *, dt: float = 0.005) -> float:
    """The violation ratio ``eps_W2`` of "A dominates B" on the observed scores (no confidence bound)."""
    t = np.arange(dt, 1, dt)
    qa = _quantiles(np.sort(np.asarray(scores_a, dtype=np.float64)), t)
    qb = _quantiles(np.sort(np.asarray(scores_b, dtype=np.float64)), t)
    return float(_violation_ratio(qa, qb, dt))


def aso(scores_a: Sequence[float], scores_b: Sequence[float], *, confidence_level: float = 0.95,
        num_comparisons: int = 1, num_bootstrap_iterations: int = 1000, dt: float = 0.005,
        seed: int = 12345) -> float:
    """``eps_min`` of "the system that produced ``scores_a`` is better than the one of ``scores_b``".

    Same arguments and result as ``deepsig.aso`` (with ``num_jobs=1``); ``num_comparisons > 1`` applies a
    Bonferroni correction to ``confidence_level``.
    """
    a = np.asarray(scores_a, dtype=np.float64)
    b = np.asarray(scores_b, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        raise ValueError("both lists of scores must be non-empty")
    if num_bootstrap_iterations < 1 or num_comparisons < 1:
        raise ValueError("num_bootstrap_iterations and num_comparisons must be at least 1")
    if num_comparisons > 1:
        confidence_level += (1 - confidence_level) / num_comparisons
    t = np.arange(dt, 1, dt)
    sa, sb = np.sort(a), np.sort(b)
    ratio = _violation_ratio(_quantiles(sa, t), _quantiles(sb, t), dt)
    u = _uniforms(int(seed), num_bootstrap_iterations, a.size + b.size)
    draw_a = np.sort(_quantiles(np.broadcast_to(sa, (num_bootstrap_iterations, a.size)), u[:, : a.size]), axis=1)
    draw_b = np.sort(_quantiles(np.broadcast_to(sb, (num_bootstrap_iterations, b.size)), u[:, a.size:]), axis=1)
    samples = _violation_ratio(_quantiles(draw_a, np.broadcast_to(t, (num_bootstrap_iterations, t.size))),
                               _quantiles(draw_b, np.broadcast_to(t, (num_bootstrap_iterations, t.size))), dt)
    const = np.sqrt(a.size * b.size / (a.size + b.size))
    sigma = np.std(const * (samples - ratio))
    return float(np.clip(ratio - (1 / const) * sigma * norm.ppf(1 - confidence_level), 0, 1))


__all__ = ["ASO_THRESHOLD", "aso", "violation_ratio"]
