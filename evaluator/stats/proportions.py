"""Small exact tests on counts: Wilson interval, sign test, McNemar's exact test, Holm's correction.

>>> lo, hi = wilson_interval(8, 10)
>>> round(lo, 4), round(hi, 4)
(0.4902, 0.9433)
>>> sign_test(9, 1) < 0.05
True
>>> [round(p, 6) for p in holm([0.01, 0.04, 0.03])]
[0.03, 0.06, 0.06]
"""
from __future__ import annotations

import math
from typing import Sequence


def wilson_interval(k: int, n: int, *, confidence: float = 0.95) -> tuple[float | None, float | None]:
    """Wilson score interval for a proportion ``k / n``; ``(None, None)`` when ``n == 0``."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if n == 0:
        return None, None
    from scipy import stats  # here, not at the top: importing scipy.stats takes most of a second

    z = float(stats.norm.ppf(1 - (1 - confidence) / 2))
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, center - half), min(1.0, center + half)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test (ties left out beforehand): p-value of ``wins`` vs ``losses`` under p = 1/2."""
    n = wins + losses
    if n == 0:
        return 1.0
    from scipy import stats

    return float(stats.binomtest(wins, n, 0.5, alternative="two-sided").pvalue)


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """McNemar's exact test on the discordant pairs: ``a_only`` documents right only for system A, ``b_only``
    right only for B. Two-sided p-value (binomial test, p = 1/2); 1.0 when there are no discordant pairs."""
    return sign_test(a_only, b_only)


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm-Bonferroni adjusted p-values, in the input order (``None`` entries are kept and not counted).

    Reject hypothesis ``i`` at level alpha when ``holm(p)[i] <= alpha``; this controls the family-wise error
    rate when several iterations are compared with one baseline.
    """
    idx = [i for i, p in enumerate(pvalues) if p is not None]
    m = len(idx)
    order = sorted(idx, key=lambda i: pvalues[i])
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        adj = min(1.0, (m - rank) * float(pvalues[i]))
        running = max(running, adj)
        out[i] = running
    return out
