"""Verdicts in plain words for paired comparisons (delta = B - A).

Shared by ``evaluator compare`` (files), :func:`evaluator.evaluation.compare_models` (workspace models) and the
Evaluate page: one rule decides, one function words it. B (or A) is better only when the more cautious of the
bootstrap and randomization p-values is below ``alpha`` *and* the 95% interval of the difference excludes 0.
"""
from __future__ import annotations

from typing import Any

#: significance level of the plain-words verdicts
ALPHA = 0.05
METRIC_NAMES = {"micro_f1": "F1", "macro_f1": "macro F1", "accuracy": "accuracy"}


def _pts(x: float | None, *, sign: bool = True) -> str:
    if x is None:
        return "undefined"
    v = 100 * x
    if abs(v) < 0.05:
        v = 0.0
    return f"{v:+.1f}" if sign else f"{v:.1f}"


def format_p(p: float | None) -> str:
    """A p-value for a sentence: ``1``, ``0.032``, ``0.0004``."""
    if p is None:
        return "undefined"
    if p >= 0.9995:
        return "1"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.4f}"


def headline_p(res: dict[str, Any]) -> float | None:
    """The p-value the verdict uses: the larger (more cautious) of the bootstrap and randomization p-values."""
    ps = [p for p in (res.get("p_bootstrap"), res.get("p_randomization")) if p is not None]
    return max(ps) if ps else None


def verdict_of(res: dict[str, Any], *, alpha: float = ALPHA) -> str:
    """``b_better``, ``a_better``, ``no_difference`` or ``undefined`` for a comparison result.

    B (or A) is better only when the headline p-value is below ``alpha`` *and* the 95% interval excludes 0.
    """
    d, (lo, hi), p = res.get("delta"), res.get("ci95") or (None, None), headline_p(res)
    if d is None or lo is None or p is None:
        return "undefined"
    if p < alpha and (lo > 0 or hi < 0):
        return "b_better" if d > 0 else "a_better"
    return "no_difference"


def describe(res: dict[str, Any], *, name_a: str = "A", name_b: str = "B", alpha: float = ALPHA) -> list[str]:
    """Plain-words sentences for a comparison result (delta = B - A), headline first.

    >>> describe({"metric": "micro_f1", "a": {"f1": 0.7}, "b": {"f1": 0.731}, "delta": 0.031, "ci95": [0.012, 0.05],
    ...           "p_bootstrap": 0.002, "p_randomization": 0.001, "resamples": 10000, "seed": 1, "per_label": {}})[0]
    'B is better than A by +3.1 F1 points (95% CI +1.2 to +5.0); a difference this large would be unlikely by chance (p = 0.002).'
    """
    metric = res.get("metric", "micro_f1")
    what = METRIC_NAMES.get(metric, metric)
    d, ci = res.get("delta"), res.get("ci95") or [None, None]
    lo, hi = ci[0], ci[1]
    p = headline_p(res)
    verdict = verdict_of(res, alpha=alpha)
    a_name = name_a if name_a == "A" else f"{name_a} (A)"
    b_name = name_b if name_b == "B" else f"{name_b} (B)"
    interval = f"95% CI {_pts(lo)} to {_pts(hi)}"
    out: list[str] = []
    if verdict == "undefined":
        out.append(f"The {what} difference between {b_name} and {a_name} is undefined on this gold set "
                   "(no entities or labels to score).")
    elif verdict in ("b_better", "a_better"):
        better, worse = (b_name, a_name) if verdict == "b_better" else (a_name, b_name)
        out.append(f"{better} is better than {worse} by {_pts(abs(d))} {what} points ({interval}); a difference "
                   f"this large would be unlikely by chance (p = {format_p(p)}).")
    else:
        if abs(d) < 5e-4 and (hi - lo) < 5e-4:
            out.append(f"No evidence of a difference: {a_name} and {b_name} score the same {what} "
                       f"({_pts(res['a'].get(_point_key(metric)), sign=False)}) on every resample "
                       f"(p = {format_p(p)}).")
        else:
            chance = ("a difference this large could easily be chance" if p >= 0.1
                      else "weak evidence at most; it could be chance")
            out.append(f"No evidence of a difference: {b_name} minus {a_name} is {_pts(d)} {what} points "
                       f"({interval}); {chance} (p = {format_p(p)}).")
    if res.get("p_bootstrap") is not None or res.get("p_randomization") is not None:
        # files name the unit they resampled (sentences or documents)
        of = f" of {res['units']:,} {res['unit']}s" if res.get("unit") and res.get("units") is not None else ""
        out.append(f"Paired bootstrap p = {format_p(res.get('p_bootstrap'))}, approximate randomization "
                   f"p = {format_p(res.get('p_randomization'))} ({res.get('resamples', 0):,} resamples{of}, seed "
                   f"{res.get('seed')}); the verdict needs p < {alpha} and an interval that excludes 0.")
    if res.get("p_mcnemar") is not None and res.get("accuracy_delta") is not None:
        m = res.get("mcnemar") or {}
        sig = "unlikely to be chance" if res["p_mcnemar"] < alpha else "could be chance"
        out.append(f"Accuracy: B − A = {_pts(res['accuracy_delta'])} points; McNemar's exact test p = "
                   f"{format_p(res['p_mcnemar'])} ({m.get('a_only', 0)} texts right only for A, "
                   f"{m.get('b_only', 0)} only for B): {sig}.")
    clear = [(lab, v) for lab, v in (res.get("per_label") or {}).items()
             if v.get("delta") is not None and v["ci95"][0] is not None and (v["ci95"][0] > 0 or v["ci95"][1] < 0)]
    if clear:
        out.append("Per label, the 95% interval excludes 0 for: "
                   + ", ".join(f"{lab} ({_pts(v['delta'])})" for lab, v in clear) + ".")
    elif res.get("per_label"):
        out.append("Per label, every 95% interval includes 0.")
    return out


def _point_key(metric: str) -> str:
    return {"micro_f1": "f1", "macro_f1": "macro_f1", "accuracy": "accuracy"}.get(metric, "f1")
