"""Did the round make the model better, beyond the luck of the seed? Two candidates, several runs each.

A *candidate* is (round set, trainer, config); a *run* is one training of it with one seed, scored on the gold
set as per-document counts (:class:`~evaluator.metrics.NerCounts` / :class:`~evaluator.metrics.TextcatCounts`).
One training run per round cannot separate the effect of new data from the luck of a seed (Reimers & Gurevych
2017), so :func:`compare_runs` compares the two candidates over all their runs:

* **Statistic**: mean F1 over runs, ``delta = mean(B) - mean(A)`` (micro F1 by default).
* **Two-level bootstrap** (Sälevä, Ataman & Lignos 2025): each resample draws ``R_a`` runs of A and ``R_b`` runs
  of B with replacement (independently: the runs of A and B are not paired) *and* the gold units with
  replacement, the same unit draw for every run of both sides (the documents are paired). Each drawn run is
  re-scored on the drawn units, its F1s are averaged per side and the difference taken. The 95% interval is
  the 2.5th and 97.5th percentile of those differences; the two-sided p-value centres them on 0 (the shift
  method, as in :mod:`evaluator.stats.paired`): ``p = (1 + #{|d* - d| >= |d|}) / (1 + resamples)``.
  ``groups=`` (one id per row, e.g. the CoNLL document of each sentence) resamples whole groups. Vectorized:
  one sparse ``[resamples, units]`` draw matrix times the ``[units, runs x columns]`` count matrix per chunk.
* **Verdict**: ``improved`` / ``regressed`` only when the interval excludes 0 *and* ``p < alpha``; otherwise
  ``inconclusive`` (``undefined`` when F1 is undefined). A stochastic trainer with one run on either side is
  never ``improved``/``regressed``: with one run each the result is the paired comparison of the two
  *artifacts* (``kind="artifacts"``, :func:`~evaluator.stats.compare_counts`), labelled as such.
* **What would settle it** (``settle``, for an inconclusive verdict): the variance of ``delta`` is split into
  a seed part, ``s_a^2 / R_a + s_b^2 / R_b`` with ``s`` the standard deviation of the runs' F1 (ddof 1; the
  other side's when a side has one run), and a gold part ``v_gold``, the bootstrap variance of the difference
  of the all-run means when only the gold units are resampled (the same resamples, no extra cost). With ``k``
  more runs per side and ``f`` times the gold units, the standard error becomes
  ``se^2 = s_a^2 / (R_a + k) + s_b^2 / (R_b + k) + v_gold / f``. Taking the observed difference as the true one
  (optimistic: an observed difference tends to overstate the true one), a two-sided test at ``alpha`` has 80%
  power when ``|delta| / se >= z(1 - alpha/2) + z(0.8)``. ``settle.runs`` is the smallest ``k`` (up to
  :data:`MAX_EXTRA_RUNS`) and ``settle.gold_examples`` the number of extra gold rows for the smallest ``f``
  (up to :data:`MAX_GOLD_FACTOR` times the gold set) meeting it, each with the other held fixed; ``None`` when
  it cannot be reached that way (e.g. the gold part alone is too large for more runs to help), or when the
  observed difference is 0.
* **Almost stochastic order** (Dror et al. 2019) on the runs' F1 as a second, reported signal: ``aso``
  holds ``eps_min`` for "B better than A" and for "A better than B" (:func:`evaluator.stats.aso.aso`, equal
  to ``deepsig.aso``), with at least 2 runs per side.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Sequence

import numpy as np
from scipy.stats import norm

from evaluator.errors import InputFormatError
from evaluator.stats.aso import ASO_THRESHOLD, aso
from evaluator.stats.paired import (
    DEFAULT_RESAMPLES, DEFAULT_SEED, _aligned, _chunk_size, _dtype_for, _group, _ner_metrics, _p_bootstrap,
    _percentiles, check_groups, compare_counts, count_matrix, draw_matrix,
)

ALPHA = 0.05
VERDICTS = ("improved", "regressed", "inconclusive", "undefined")
#: power aimed at by the "what would settle it" estimate
POWER = 0.8
MAX_EXTRA_RUNS = 50
MAX_GOLD_FACTOR = 20.0
ASO_ITERATIONS = 1000
METHOD = "two-level bootstrap: runs of each side and gold units (paired) resampled"


def _align_runs(runs_a: Sequence[Any], runs_b: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """Every run on one label list, checked to be scored on the same gold documents as the first run of A."""
    runs = list(runs_a) + list(runs_b)
    if not runs_a or not runs_b:
        raise InputFormatError("each side needs at least one run",
                               hint="pass the scored counts of every run (seed) of both candidates")
    labels = sorted(set().union(*(r.labels for r in runs)))
    runs = [r.with_labels(labels) for r in runs]
    for r in runs[1:]:
        _aligned(runs[0], r)
    return runs[: len(runs_a)], runs[len(runs_a):]


def _run_f1(sums: np.ndarray, runs: int, cols: int, metrics, metric: str) -> np.ndarray:
    """``[m, runs * cols]`` column sums -> ``[m, runs]`` metric values."""
    m = sums.shape[0]
    return metrics(sums.reshape(m * runs, cols))[metric].reshape(m, runs)


def _sd(values: np.ndarray) -> float | None:
    return float(np.std(values, ddof=1)) if values.size >= 2 and np.all(np.isfinite(values)) else None


def settle_estimate(delta: float | None, *, sd_a: float | None, sd_b: float | None, runs_a: int, runs_b: int,
                    var_gold: float, rows: int, alpha: float = ALPHA) -> dict[str, Any] | None:
    """How many more runs per side, or gold rows, would likely settle a difference (see the module docstring).

    ``sd_a``/``sd_b``: spread of the runs' F1 (``None`` when unknown: the other side's is used); ``var_gold``:
    gold-resampling variance of the difference of the all-run means; ``rows``: gold rows (sentences/texts).

    Seeds dominate (more gold cannot help), then the gold set dominates (more runs cannot help):

    >>> [settle_estimate(0.02, sd_a=0.02, sd_b=0.02, runs_a=3, runs_b=3, var_gold=1e-5, rows=500)[k]
    ...  for k in ("runs", "gold_examples")]
    [17, None]
    >>> [settle_estimate(0.02, sd_a=0.005, sd_b=0.005, runs_a=3, runs_b=3, var_gold=1e-4, rows=500)[k]
    ...  for k in ("runs", "gold_examples")]
    [None, 958]
    """
    if delta is None or not math.isfinite(delta) or abs(delta) < 1e-12:
        return None
    sd_a = sd_a if sd_a is not None else sd_b
    sd_b = sd_b if sd_b is not None else sd_a
    if sd_a is None or sd_b is None or not math.isfinite(var_gold):
        return None
    z = float(norm.ppf(1 - alpha / 2) + norm.ppf(POWER))
    target = (delta / z) ** 2

    def seed_var(k: int) -> float:
        return sd_a ** 2 / (runs_a + k) + sd_b ** 2 / (runs_b + k)

    more_runs = next((k for k in range(1, MAX_EXTRA_RUNS + 1) if seed_var(k) + var_gold <= target), None)
    room = target - seed_var(0)
    more_gold = None
    if room > 0:
        factor = var_gold / room
        if factor <= MAX_GOLD_FACTOR:
            more_gold = max(1, math.ceil(rows * (factor - 1))) if factor > 1 else None
    return {"runs": more_runs, "gold_examples": more_gold, "power": POWER,
            "basis": "normal approximation: seed variance / runs + gold variance / gold size, observed difference "
                     "taken as the true one"}


def _aso(f_a: np.ndarray, f_b: np.ndarray, seed: int) -> dict[str, Any] | None:
    if f_a.size < 2 or f_b.size < 2 or not (np.all(np.isfinite(f_a)) and np.all(np.isfinite(f_b))):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b_over_a = aso(f_b, f_a, seed=seed, num_bootstrap_iterations=ASO_ITERATIONS)
        a_over_b = aso(f_a, f_b, seed=seed, num_bootstrap_iterations=ASO_ITERATIONS)
    signal = "b_better" if b_over_a < ASO_THRESHOLD else "a_better" if a_over_b < ASO_THRESHOLD else "none"
    return {"eps_min_b_better": b_over_a, "eps_min_a_better": a_over_b, "threshold": ASO_THRESHOLD,
            "signal": signal, "iterations": ASO_ITERATIONS, "seed": int(seed), "confidence": 0.95}


def compare_runs(runs_a: Sequence[Any], runs_b: Sequence[Any], *, resamples: int = DEFAULT_RESAMPLES,
                 seed: int = DEFAULT_SEED, groups: Sequence[Any] | np.ndarray | None = None, alpha: float = ALPHA,
                 metric: str = "micro_f1", stochastic: bool = True, unit: str | None = None) -> dict[str, Any]:
    """Iteration comparison of candidate B against candidate A over all their runs (``delta = B - A``).

    ``runs_a``/``runs_b``: one count object per run (seed), all scored on the same gold rows. ``groups``
    resamples whole groups (e.g. documents of sentences); ``unit`` names what was resampled in the result
    (default ``"group"`` when groups join rows, else ``"row"``). ``stochastic=False`` declares a deterministic
    trainer (runs identical, e.g. CRF): one run per side then suffices for a verdict; runs that differ are
    treated as stochastic whatever the flag says.

    Returns plain data: ``kind`` (``"runs"``, or ``"artifacts"`` for one run each of a stochastic trainer),
    ``verdict`` (``improved``, ``regressed``, ``inconclusive``, ``undefined``), ``reason``, ``metric``,
    ``runs`` (``a``/``b``: each run's score), ``mean``, ``delta``, ``ci95``, ``p``, ``alpha``, ``resamples``,
    ``seed``, ``unit``, ``units``, ``documents``, ``stochastic``, ``method``, ``components`` (``sd_runs``,
    ``se_gold``, ``se_total``), ``settle`` (see the module docstring), ``aso`` and ``artifacts`` (the paired
    artifact comparison when ``kind == "artifacts"``).
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    runs_a, runs_b = _align_runs(runs_a, runs_b)
    first = runs_a[0]
    task, labels = first.task, first.labels
    names = ["micro_f1", "macro_f1"] + (["accuracy"] if task == "textcat" else [])
    if metric not in names:
        raise ValueError(f"metric must be one of {names}")
    groups = check_groups(groups, first.documents)
    mats = [_group(count_matrix(r)[0], groups) for r in runs_a + runs_b]
    extra = count_matrix(first)[1]
    n_a, n_b = len(runs_a), len(runs_b)
    units, cols = mats[0].shape
    if units == 0:
        raise InputFormatError("no documents to compare")
    metrics = _ner_metrics(len(labels), "seqeval" if task == "ner" else "sklearn", extra)
    big = np.concatenate(mats, axis=1)
    observed = _run_f1(big.sum(axis=0, keepdims=True).astype(np.float64), n_a + n_b, cols, metrics, metric)[0]
    f_a, f_b = observed[:n_a], observed[n_a:]
    same = [all(np.array_equal(m, side[0]) for m in side) for side in (mats[:n_a], mats[n_a:])]
    stochastic = bool(stochastic or not all(same))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_a, mean_b = float(np.mean(f_a)), float(np.mean(f_b))
        delta = mean_b - mean_a
        out: dict[str, Any] = {
            "kind": "runs", "task": task, "metric": metric, "verdict": "inconclusive", "reason": None,
            "runs": {"a": [_opt(x) for x in f_a], "b": [_opt(x) for x in f_b]},
            "mean": {"a": _opt(mean_a), "b": _opt(mean_b)}, "delta": _opt(delta),
            "ci95": [None, None], "p": None, "p_bootstrap": None, "df": None, "alpha": float(alpha), "resamples": int(resamples), "seed": int(seed),
            "unit": unit or ("group" if units < first.documents else "row"), "units": int(units),
            "documents": int(first.documents), "stochastic": stochastic, "method": METHOD,
            "components": None, "settle": None, "aso": None, "artifacts": None,
        }
        if stochastic and n_a == 1 and n_b == 1:
            return _artifacts(out, runs_a[0], runs_b[0], resamples=resamples, seed=seed, groups=groups,
                              metric=metric, unit=out["unit"])
        boot = two_level_bootstrap(big, n_a, n_b, metrics, metric, resamples, seed)
        cal = calibrate(boot, n_a, n_b, units, delta, alpha=alpha)
        out.update(ci95=cal["ci95"], p=cal["p"], p_bootstrap=cal["p_bootstrap"], df=_opt(cal["df"]))
        var_gold = cal["var"]["gold"]
        sd_a, sd_b = _sd(f_a), _sd(f_b)
        out["components"] = {"sd_runs": {"a": sd_a, "b": sd_b}, "se_gold": _opt(math.sqrt(var_gold)),
                             "se_total": _opt(math.sqrt(sum(cal["var"].values())))}
        out["aso"] = _aso(f_a, f_b, seed)
    lo, hi = out["ci95"]
    if out["delta"] is None or lo is None or out["p"] is None:
        out.update(verdict="undefined", reason=f"{metric} is undefined on this gold set (nothing to score)")
        return out
    decided = out["p"] < alpha and (lo > 0 or hi < 0)
    if decided and stochastic and min(n_a, n_b) < 2:
        side = "A" if n_a < 2 else "B"
        out["reason"] = (f"one run on side {side}: its seed spread is unknown, so the difference cannot be told "
                         f"from seed noise; train at least 2 more seeds of {side}")
    elif decided:
        out["verdict"] = "improved" if delta > 0 else "regressed"
        out["reason"] = f"the 95% interval excludes 0 and p < {alpha}"
    else:
        out["reason"] = (f"the 95% interval includes 0" if lo <= 0 <= hi else f"p >= {alpha}")
    if out["verdict"] == "inconclusive":
        out["settle"] = settle_estimate(delta, sd_a=sd_a if stochastic else 0.0, sd_b=sd_b if stochastic else 0.0,
                                        runs_a=n_a, runs_b=n_b, var_gold=var_gold, rows=first.documents,
                                        alpha=alpha)
        if out["settle"] is not None and not stochastic:
            out["settle"]["runs"] = None  # identical runs: more of them change nothing
    return out


def two_level_bootstrap(big: np.ndarray, n_a: int, n_b: int, metrics, metric: str, resamples: int,
                        seed: int) -> dict[str, np.ndarray]:
    """The raw two-level bootstrap of ``[units, (n_a + n_b) * columns]`` stacked run counts (A's runs first).

    Per resample: the units drawn with replacement (one sparse draw matrix row, shared by every run), each run
    re-scored on them, then ``n_a`` runs of A and ``n_b`` of B drawn with replacement. Returns ``[resamples]``
    arrays: ``mean_a``/``mean_b`` (means over the drawn runs), ``all_a``/``all_b`` (means over all runs, units
    resampled only).
    """
    rng_units, rng_a, rng_b = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    units = big.shape[0]
    cols = big.shape[1] // (n_a + n_b)
    dtype = _dtype_for(big)
    big = big.astype(dtype)
    parts: dict[str, list[np.ndarray]] = {"mean_a": [], "mean_b": [], "all_a": [], "all_b": []}
    done = 0
    chunk = _chunk_size(max(units, big.shape[1]), resamples)
    while done < resamples:
        m = min(chunk, resamples - done)
        sums = np.asarray(draw_matrix(rng_units, m, units, dtype) @ big, dtype=np.float64)
        f = _run_f1(sums, n_a + n_b, cols, metrics, metric)
        fa, fb = f[:, :n_a], f[:, n_a:]
        pick_a = rng_a.integers(0, n_a, size=(m, n_a))
        pick_b = rng_b.integers(0, n_b, size=(m, n_b))
        parts["mean_a"].append(np.take_along_axis(fa, pick_a, axis=1).mean(axis=1))
        parts["mean_b"].append(np.take_along_axis(fb, pick_b, axis=1).mean(axis=1))
        parts["all_a"].append(fa.mean(axis=1))
        parts["all_b"].append(fb.mean(axis=1))
        done += m
    return {k: np.concatenate(v) for k, v in parts.items()}


def calibrate(boot: dict[str, np.ndarray], n_a: int, n_b: int, units: int, observed: float, *,
              alpha: float = ALPHA) -> dict[str, Any]:
    """Interval and p-value from the raw two-level bootstrap, corrected for few runs (module docstring).

    Each side's seed part (drawn-run mean minus all-run mean) is scaled by ``sqrt(R / (R - 1))``; the
    percentiles and the p-value are read at Student's t with Welch-Satterthwaite degrees of freedom.
    """
    from scipy.stats import t as student_t

    k_a = math.sqrt(n_a / (n_a - 1)) if n_a > 1 else 0.0
    k_b = math.sqrt(n_b / (n_b - 1)) if n_b > 1 else 0.0
    seed_a = k_a * (boot["mean_a"] - boot["all_a"])
    seed_b = k_b * (boot["mean_b"] - boot["all_b"])
    gold = boot["all_b"] - boot["all_a"]
    deltas = gold + seed_b - seed_a
    ok = np.isfinite(deltas)
    v_a, v_b, v_g = (float(np.var(x[ok], ddof=1)) if ok.sum() >= 2 else float("nan") for x in (seed_a, seed_b, gold))
    terms = [(v_a, n_a - 1), (v_b, n_b - 1), (v_g, units - 1)]
    den = sum(v * v / d for v, d in terms if d > 0 and v > 0)
    total = v_a + v_b + v_g
    df = total * total / den if den > 0 else float("inf")
    # the normal tail that matches Student's t(df) at the 95% level, and at the observed p
    tail = 100.0 * float(norm.cdf(student_t.ppf(0.025, df))) if math.isfinite(df) else 2.5
    p_raw = _p_bootstrap(deltas, observed)
    p = None
    if p_raw is not None:
        z = float(norm.isf(min(p_raw, 1.0) / 2))
        p = min(1.0, float(2 * student_t.sf(z, df))) if math.isfinite(df) else p_raw
    return {"deltas": deltas, "ci95": _percentiles(deltas, tail=tail), "p": p, "p_bootstrap": p_raw,
            "df": df, "var": {"seed_a": v_a, "seed_b": v_b, "gold": v_g}}


def _artifacts(out: dict[str, Any], a: Any, b: Any, **kwargs: Any) -> dict[str, Any]:
    """One run each of a stochastic trainer: the paired comparison of the two artifacts, never a round verdict."""
    res = compare_counts(a, b, **kwargs)
    ps = [p for p in (res["p_bootstrap"], res["p_randomization"]) if p is not None]
    out.update(kind="artifacts", artifacts=res, ci95=res["ci95"], p=max(ps) if ps else None,
               method="paired bootstrap and randomization over gold units (the two artifacts only)",
               reason="one run each: whether these two artifacts differ says nothing about the rounds, whose "
                      "seeds alone can move F1 this much; train 2 more seeds of each")
    if out["delta"] is None:
        out["verdict"] = "undefined"
    return out


def _opt(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


__all__ = ["ALPHA", "MAX_EXTRA_RUNS", "MAX_GOLD_FACTOR", "METHOD", "VERDICTS", "compare_runs", "settle_estimate"]
