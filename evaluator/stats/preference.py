"""Statistics of blind A/B preference judgments (pure: lists and arrays in, plain dicts out).

One judgment compares two systems on one item and says which output is better. From A's point of view its
outcome is ``"a"`` (A better), ``"b"`` (B better), ``"tie"`` or ``"neither"`` (both wrong); ties and "both wrong"
are *not decisive*.

* :func:`pair_summary` — wins/losses/ties, the win rate with ties counted as half and its Wilson 95% interval,
  the two-sided sign test on decisive judgments and the always-valid sequential test (:func:`sequential_test`).
* :func:`sequential_test` — the mixture-martingale test ``M_n = B(1+S, 1+n-S) / B(1, 1) * 2^n`` over the decisive
  judgments in the order they were made (``S`` wins of A among ``n``). Under "no preference" ``M_n`` is a
  non-negative martingale with mean 1, so by Ville's inequality ``P(sup_n M_n >= 1/alpha) <= alpha``: one may look
  after every judgment and stop as soon as ``M_n >= 1/alpha``.
* :func:`position_bias` — the share of decisive judgments for the left side, with a binomial test, overall and
  per annotator (Holm-corrected over annotators).
* :func:`cohen_kappa`, :func:`krippendorff_alpha`, :func:`agreement` — agreement between annotators on shared
  items, coded by which *system* won (not by screen side).
* :func:`bradley_terry` — strengths of three or more systems (choix's ILSR), with bootstrap 95% intervals over
  judgments, and :func:`next_pair`, the pair whose order is least certain.
* :func:`gold_check` — how often the preferred output is also the one closer to gold.
* :func:`simulate_sessions` — how many judgments a session needs at a given true win rate.

>>> s = pair_summary(["a"] * 9 + ["b"] + ["tie"] * 2)
>>> s["wins"], s["losses"], s["ties"], round(s["win_rate"], 3)
(9, 1, 2, 0.833)
>>> s["decided"], s["preferred"], s["sequential"]["decided_at"]
(True, 'a', 8)
>>> t = sequential_test([1] * 12)
>>> t["decided"], t["preferred"], t["decided_at"]
(True, 'a', 8)
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Hashable, Mapping, Sequence

import numpy as np
from scipy import special, stats

from evaluator.stats.proportions import holm, sign_test, wilson_interval

#: what an annotator can answer about the two screen sides
CHOICES = ("left", "right", "tie", "neither")
#: the same answers from system A's point of view
OUTCOMES = ("a", "b", "tie", "neither")
DEFAULT_ALPHA = 0.05
DEFAULT_BT_RESAMPLES = 1000
DEFAULT_BT_SEED = 12345


def _none(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


# ------------------------------------------------------------------------------------------------ one pair

def log_mixture_evidence(wins: np.ndarray | int, n: np.ndarray | int) -> np.ndarray:
    """``log M_n`` of the mixture martingale: ``betaln(1 + S, 1 + n - S) - betaln(1, 1) + n log 2`` (vectorized).

    >>> round(float(np.exp(log_mixture_evidence(5, 5))), 4)     # 2^5 / 6
    5.3333
    """
    s = np.asarray(wins, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    return special.betaln(1.0 + s, 1.0 + n - s) - special.betaln(1.0, 1.0) + n * math.log(2.0)


def sequential_test(decisive: Sequence[int] | np.ndarray, *, alpha: float = DEFAULT_ALPHA) -> dict[str, Any]:
    """Always-valid two-sided test of "no preference" on decisive judgments in time order (1 = A won, 0 = B won).

    Returns ``n``, ``wins`` (of A), ``e_value`` (``M_n`` now), ``max_e_value`` (the largest ``M_t`` so far),
    ``p_always_valid`` (``min(1, 1 / max_t M_t)``, valid whenever one looks), ``decided`` (``max_t M_t >= 1/alpha``),
    ``decided_at`` (the number of decisive judgments at the first crossing), ``preferred`` (``"a"``/``"b"``, the
    side ahead at that crossing, else None), ``threshold`` (``1/alpha``) and ``alpha``.
    """
    if not 0 < alpha < 1:
        raise ValueError("alpha must be between 0 and 1")
    x = np.asarray(decisive, dtype=np.int64).ravel()
    if x.size and not np.isin(x, (0, 1)).all():
        raise ValueError("decisive judgments are 1 (A won) or 0 (B won)")
    n = int(x.size)
    out: dict[str, Any] = {"n": n, "wins": int(x.sum()), "alpha": alpha, "threshold": 1.0 / alpha,
                           "e_value": 1.0, "max_e_value": 1.0, "p_always_valid": 1.0, "decided": False,
                           "decided_at": None, "preferred": None}
    if n == 0:
        return out
    s = np.cumsum(x)
    t = np.arange(1, n + 1)
    log_m = log_mixture_evidence(s, t)
    bound = math.log(1.0 / alpha)
    crossed = np.flatnonzero(log_m >= bound - 1e-12)
    best = float(log_m.max())
    out.update(e_value=float(np.exp(log_m[-1])), max_e_value=float(np.exp(best)),
               p_always_valid=float(min(1.0, math.exp(-best))))
    if crossed.size:
        k = int(crossed[0])
        out.update(decided=True, decided_at=k + 1, preferred="a" if 2 * s[k] > t[k] else "b")
    return out


def win_rate(wins: int, losses: int, ties: int = 0, *, confidence: float = 0.95) -> dict[str, Any]:
    """Win rate of A with ties counted as half, ``(wins + ties / 2) / n``, and its Wilson interval.

    >>> r = win_rate(7, 2, 1)
    >>> r["win_rate"], [round(x, 4) for x in r["ci95"]]
    (0.75, [0.4422, 0.9191])
    """
    n = wins + losses + ties
    if n == 0:
        return {"n": 0, "win_rate": None, "ci95": [None, None]}
    k = wins + ties / 2
    lo, hi = wilson_interval(k, n, confidence=confidence)
    return {"n": n, "win_rate": k / n, "ci95": [lo, hi]}


def pair_summary(outcomes: Sequence[str], *, alpha: float = DEFAULT_ALPHA) -> dict[str, Any]:
    """Everything about one pair from its judgments in time order (``"a"``, ``"b"``, ``"tie"``, ``"neither"``).

    ``ties`` counts ties and "both wrong" together (both count as half a win in ``win_rate``); ``neither`` is
    also given on its own. ``p_sign`` is the two-sided exact sign test on the decisive judgments (valid for a
    sample size fixed in advance); ``decided``/``preferred`` come from :func:`sequential_test` (valid under
    peeking).
    """
    bad = set(outcomes) - set(OUTCOMES)
    if bad:
        raise ValueError(f"unknown outcome(s) {sorted(bad)}; use {OUTCOMES}")
    c = Counter(outcomes)
    wins, losses, ties, neither = c["a"], c["b"], c["tie"] + c["neither"], c["neither"]
    seq = sequential_test([1 if o == "a" else 0 for o in outcomes if o in ("a", "b")], alpha=alpha)
    return {"wins": wins, "losses": losses, "ties": ties, "neither": neither, "judgments": len(outcomes),
            "decisive": wins + losses, **{k: v for k, v in win_rate(wins, losses, ties).items() if k != "n"},
            "p_sign": sign_test(wins, losses), "sequential": seq, "decided": seq["decided"],
            "preferred": seq["preferred"]}


# ------------------------------------------------------------------------------------------------ sides

def position_bias(sides: Sequence[str], annotators: Sequence[Hashable] | None = None, *,
                  alpha: float = DEFAULT_ALPHA) -> dict[str, Any]:
    """Do annotators prefer a screen side? ``sides`` are the chosen sides (``left``/``right``/``tie``/``neither``).

    Among decisive judgments the left share should be about 1/2 when sides are assigned at random. Returns
    ``left``, ``right``, ``share_left`` with its Wilson 95% interval, the two-sided binomial ``p`` and ``flagged``
    (``p < alpha``); with ``annotators``, the same per annotator with Holm-adjusted ``p_holm`` (flagged on it).
    """
    def one(chosen: Sequence[str]) -> dict[str, Any]:
        left = sum(1 for s in chosen if s == "left")
        right = sum(1 for s in chosen if s == "right")
        n = left + right
        lo, hi = wilson_interval(left, n)
        p = sign_test(left, right)
        return {"left": left, "right": right, "decisive": n, "share_left": left / n if n else None,
                "ci95": [lo, hi], "p": p, "flagged": bool(n and p < alpha)}

    out = one(sides)
    if annotators is not None:
        if len(annotators) != len(sides):
            raise ValueError("one annotator per judgment")
        names = sorted(set(annotators), key=str)
        rows = [{"annotator": a, **one([s for s, who in zip(sides, annotators) if who == a])} for a in names]
        adjusted = holm([r["p"] if r["decisive"] else None for r in rows])
        for r, p in zip(rows, adjusted):
            r["p_holm"] = p
            r["flagged"] = bool(p is not None and p < alpha)
        out["per_annotator"] = rows
    out["alpha"] = alpha
    return out


# ------------------------------------------------------------------------------------------------ agreement

def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two annotators' codes on the same items (None when undefined: no items, or both
    annotators always gave one and the same code).

    >>> round(cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"]), 4)
    0.5
    """
    if len(a) != len(b):
        raise ValueError("both annotators need a code for every item")
    n = len(a)
    if n == 0:
        return None
    cats = sorted(set(a) | set(b), key=str)
    idx = {c: i for i, c in enumerate(cats)}
    m = np.zeros((len(cats), len(cats)))
    for x, y in zip(a, b):
        m[idx[x], idx[y]] += 1
    po = np.trace(m) / n
    pe = float((m.sum(1) / n) @ (m.sum(0) / n))
    return None if pe >= 1.0 else float((po - pe) / (1.0 - pe))


def krippendorff_alpha(units: Sequence[Mapping[Hashable, Hashable]]) -> float | None:
    """Krippendorff's alpha (nominal) over units coded by any number of annotators (missing codes allowed).

    Each unit is ``{annotator: code}``; units with fewer than two codes are not pairable and left out. None when
    undefined (fewer than two pairable codes, or a single code value overall).

    >>> round(krippendorff_alpha([{"p": 1, "q": 1}, {"p": 2, "q": 2}, {"p": 1, "q": 2}]), 4)
    0.4444
    """
    cats: dict[Hashable, int] = {}
    rows = []
    for unit in units:
        codes = [c for c in unit.values() if c is not None]
        if len(codes) < 2:
            continue
        for c in codes:
            cats.setdefault(c, len(cats))
        rows.append(codes)
    if not rows or len(cats) < 2:
        return None
    o = np.zeros((len(cats), len(cats)))  # coincidence matrix
    for codes in rows:
        v = np.bincount([cats[c] for c in codes], minlength=len(cats)).astype(np.float64)
        o += (np.outer(v, v) - np.diag(v)) / (len(codes) - 1)
    n_c = o.sum(1)
    n = n_c.sum()
    d_o = n - np.trace(o)
    d_e = (n * n - (n_c ** 2).sum()) / (n - 1)
    return None if d_e == 0 else float(1.0 - d_o / d_e)


def agreement(units: Sequence[Mapping[Hashable, Hashable]]) -> dict[str, Any]:
    """Agreement on items judged by several annotators. ``units``: one ``{annotator: code}`` per item, the code
    naming the winning *system* (or ``"tie"``/``"neither"``), never the screen side.

    Returns ``items`` (with at least two codes), ``annotators``, ``raw`` (share of pairs of codes on one item that
    agree), ``method`` (``"cohen_kappa"`` for exactly two annotators, ``"krippendorff_alpha"`` for more) and
    ``value``; ``krippendorff_alpha`` is given in every case. Values are None when undefined.
    """
    shared = [u for u in units if sum(c is not None for c in u.values()) >= 2]
    who = sorted({a for u in shared for a in u}, key=str)
    agree = pairs = 0
    for u in shared:
        codes = [c for c in u.values() if c is not None]
        for i in range(len(codes)):
            for j in range(i + 1, len(codes)):
                pairs += 1
                agree += codes[i] == codes[j]
    alpha = krippendorff_alpha(shared)
    out: dict[str, Any] = {"items": len(shared), "annotators": len(who), "raw": agree / pairs if pairs else None,
                           "krippendorff_alpha": alpha, "method": None, "value": None}
    if len(who) == 2:
        a, b = who
        both = [u for u in shared if a in u and b in u]
        out.update(method="cohen_kappa", value=cohen_kappa([u[a] for u in both], [u[b] for u in both]))
    elif len(who) > 2:
        out.update(method="krippendorff_alpha", value=alpha)
    return out


# ------------------------------------------------------------------------------------------------ many systems

def _wins_matrix(n: int, cells: Sequence[tuple[int, int, str]], counts: np.ndarray) -> np.ndarray:
    """``W[i, j]``: how often i beat j, a tie (or "both wrong") counting half a win each way."""
    w = np.zeros((n, n))
    for (i, j, outcome), c in zip(cells, counts):
        if outcome == "a":
            w[i, j] += c
        elif outcome == "b":
            w[j, i] += c
        else:
            w[i, j] += c / 2
            w[j, i] += c / 2
    return w


def _fit(w: np.ndarray, reg: float) -> np.ndarray:
    import choix

    if not w.any():
        return np.zeros(len(w))
    s = np.asarray(choix.ilsr_pairwise_dense(w, alpha=reg), dtype=np.float64)
    return s - s.mean()


def bradley_terry(n_systems: int, comparisons: Sequence[tuple[int, int, str]], *,
                  resamples: int = DEFAULT_BT_RESAMPLES, seed: int = DEFAULT_BT_SEED,
                  regularization: float = 0.01) -> dict[str, Any]:
    """Bradley-Terry strengths of ``n_systems`` from ``(i, j, outcome)`` judgments (outcome from i's side:
    ``"a"`` = i better), fitted with choix's ILSR on the matrix of wins (ties count half a win each way; a small
    ``regularization`` keeps strengths finite), with bootstrap 95% intervals: the judgments are resampled with
    replacement ``resamples`` times (seeded; drawn as one multinomial over the distinct judgments) and refitted.

    Returns ``scores`` (log-strengths, mean 0; None for a system without judgments), ``ci95``, ``rank`` (1 =
    best), ``rank_ci95``, ``order`` (system indices best first), ``p_above`` (``[i][j]``: share of resamples in which
    i is above j, equal strengths counting half), ``judgments``, ``resamples``, ``seed``.
    """
    if n_systems < 2:
        raise ValueError("need at least two systems")
    comparisons = list(comparisons)
    seen = np.zeros(n_systems, dtype=bool)
    for i, j, _ in comparisons:
        seen[i] = seen[j] = True
    tally = Counter(comparisons)  # resampling judgments with replacement = a multinomial draw over these cells
    cells = list(tally)
    counts = np.array([tally[c] for c in cells], dtype=np.float64)
    theta = _fit(_wins_matrix(n_systems, cells, counts), regularization)
    m = len(comparisons)
    boot = np.zeros((resamples, n_systems))
    if m:
        draws = np.random.default_rng(seed).multinomial(m, counts / m, size=resamples)
        for b in range(resamples):
            boot[b] = _fit(_wins_matrix(n_systems, cells, draws[b]), regularization)
    above = (boot[:, :, None] > boot[:, None, :]).mean(0) + 0.5 * (boot[:, :, None] == boot[:, None, :]).mean(0)
    np.fill_diagonal(above, 0.5)
    ranks = (-boot).argsort(1).argsort(1) + 1  # rank of each system in each resample
    order = [int(k) for k in np.argsort(-theta, kind="stable")]
    rank = np.empty(n_systems, dtype=int)
    rank[order] = np.arange(1, n_systems + 1)
    ci = np.percentile(boot, [2.5, 97.5], axis=0) if m else np.full((2, n_systems), np.nan)
    rci = np.percentile(ranks, [2.5, 97.5], axis=0, method="nearest") if m else np.full((2, n_systems), np.nan)
    return {
        "scores": [float(theta[k]) if seen[k] else None for k in range(n_systems)],
        "ci95": [[_none(ci[0, k]), _none(ci[1, k])] if seen[k] else [None, None] for k in range(n_systems)],
        "rank": [int(r) for r in rank],
        "rank_ci95": [[int(rci[0, k]), int(rci[1, k])] if m and seen[k] else [None, None] for k in range(n_systems)],
        "order": order, "p_above": above.tolist(), "judgments": m, "resamples": int(resamples), "seed": int(seed),
        "regularization": regularization,
    }


def pair_uncertainty(p_above: Sequence[Sequence[float]], i: int, j: int) -> float:
    """How unsure the ranking is about i vs j: ``min(P(i above j), P(j above i))``, 0 (sure) .. 0.5 (coin flip)."""
    p = float(p_above[i][j])
    return min(p, 1.0 - p)


def next_pair(p_above: Sequence[Sequence[float]], judged: Mapping[tuple[int, int], int], *,
              candidates: Sequence[tuple[int, int]] | None = None) -> tuple[int, int] | None:
    """The pair to judge next: the one whose order the ranking is least sure about (:func:`pair_uncertainty`),
    divided by ``sqrt(1 + judgments already made or planned for it)`` so that equally uncertain pairs take turns.
    ``candidates`` limits the choice (e.g. to pairs whose outputs differ on the item at hand); pairs are ``(i, j)``
    with ``i < j``. Transitivity saves judgments: a pair never compared directly whose order follows from the
    others has low uncertainty and is skipped.

    >>> next_pair([[0.5, 0.5, 1.0], [0.5, 0.5, 1.0], [0.0, 0.0, 0.5]], {(0, 1): 3})
    (0, 1)
    """
    n = len(p_above)
    pairs = list(candidates) if candidates is not None else [(i, j) for i in range(n) for j in range(i + 1, n)]
    if not pairs:
        return None

    def score(pair: tuple[int, int]) -> tuple[float, int]:
        i, j = pair
        k = judged.get((i, j), 0)
        return pair_uncertainty(p_above, i, j) / math.sqrt(1 + k), -k

    return max(pairs, key=score)


# ------------------------------------------------------------------------------------------------ judges

def gold_check(preferred_f1: Sequence[float | None], other_f1: Sequence[float | None]) -> dict[str, Any]:
    """How often the preferred output is also the one closer to gold (higher per-document F1).

    One entry per decisive judgment. Judgments whose two outputs score the same (or undefined) F1 are counted in
    ``same_f1`` and left out of ``share``. Returns ``judgments``, ``compared``, ``agree``, ``share`` and its Wilson
    ``ci95``.
    """
    if len(preferred_f1) != len(other_f1):
        raise ValueError("one F1 pair per judgment")
    agree = compared = 0
    for p, o in zip(preferred_f1, other_f1):
        if p is None or o is None or p == o:
            continue
        compared += 1
        agree += p > o
    lo, hi = wilson_interval(agree, compared)
    return {"judgments": len(preferred_f1), "compared": compared, "same_f1": len(preferred_f1) - compared,
            "agree": agree, "share": agree / compared if compared else None, "ci95": [lo, hi]}


def simulate_sessions(win_rate: float, *, sessions: int = 2000, max_judgments: int = 200, tie_rate: float = 0.0,
                      alpha: float = DEFAULT_ALPHA, seed: int = 0) -> dict[str, Any]:
    """Simulate sessions in which A wins a decisive judgment with probability ``win_rate`` (and ``tie_rate`` of
    judgments are ties), the sequential test being looked at after every judgment.

    Returns ``decided`` (share of sessions decided within ``max_judgments``), ``decided_for_a``/``decided_for_b``,
    ``median_judgments`` and ``p90_judgments`` (judgments, ties included, until the decision, over decided
    sessions; None when none was decided) and the settings.
    """
    if not 0 <= win_rate <= 1 or not 0 <= tie_rate < 1:
        raise ValueError("win_rate in [0, 1], tie_rate in [0, 1)")
    rng = np.random.default_rng(seed)
    u = rng.random((sessions, max_judgments))
    tie = u < tie_rate
    a_won = rng.random((sessions, max_judgments)) < win_rate
    decisive = (~tie).astype(np.int64)
    n = np.cumsum(decisive, axis=1)
    s = np.cumsum(decisive * a_won, axis=1)
    crossed = log_mixture_evidence(s, n) >= math.log(1.0 / alpha) - 1e-12
    any_cross = crossed.any(1)
    first = crossed.argmax(1)
    rows = np.flatnonzero(any_cross)
    for_a = int(np.sum(2 * s[rows, first[rows]] > n[rows, first[rows]]))
    used = first[rows] + 1
    return {"win_rate": win_rate, "tie_rate": tie_rate, "sessions": sessions, "max_judgments": max_judgments,
            "alpha": alpha, "seed": seed, "decided": float(any_cross.mean()),
            "decided_for_a": for_a / sessions, "decided_for_b": (len(rows) - for_a) / sessions,
            "median_judgments": float(np.median(used)) if len(rows) else None,
            "p90_judgments": float(np.percentile(used, 90)) if len(rows) else None}


def naive_peeking_false_rate(*, sessions: int = 2000, max_judgments: int = 200, alpha: float = DEFAULT_ALPHA,
                             seed: int = 0) -> float:
    """Share of no-preference sessions that a fixed-sample sign test would call (p < alpha) at *some* look, when
    looked at after every judgment: what the sequential test protects against."""
    rng = np.random.default_rng(seed)
    x = rng.random((sessions, max_judgments)) < 0.5
    s = np.cumsum(x, axis=1)
    n = np.arange(1, max_judgments + 1)
    p = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(s, n - s), n, 0.5))
    return float((p < alpha).any(1).mean())
