"""Verdicts in plain words for paired comparisons (delta = B - A) and iteration comparisons (runs of two rounds).

Shared by ``evaluator compare`` (files), :func:`evaluator.evaluation.compare_models` (workspace models) and the
Evaluate page: one rule decides, one function words it. B (or A) is better only when the more cautious of the
bootstrap and randomization p-values is below ``alpha`` *and* the 95% interval of the difference excludes 0.

Every number in a sentence points the way its words do: "A is better than B by +3.0 points (95% CI +1.0 to
+5.0)" gives A − B and the interval of A − B; "B minus A is ..." gives B − A.

* :func:`describe` / :func:`verdict_of` — an artifact comparison (:func:`evaluator.stats.compare_counts`).
* :func:`holm_sentence` — one step of a Holm-corrected chain (round k vs k-1).
* :func:`per_label_sentence` — the per-label line, corrected across labels (Holm).
* :func:`describe_iteration` — an iteration comparison (:func:`evaluator.stats.iteration.compare_runs`).
* :func:`verdict_record` — the verdict of any comparison dict plus the rule's settings, for JSON output.
"""
from __future__ import annotations

from typing import Any

#: significance level of the plain-words verdicts
ALPHA = 0.05
#: fewer bootstrap resamples than this get a warning: p-values and interval ends are too coarse to trust
MIN_RESAMPLES = 1_000
METRIC_NAMES = {"micro_f1": "F1", "macro_f1": "macro F1", "accuracy": "accuracy"}
RULE = "p < alpha and the 95% interval of the difference excludes 0"


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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(name_a: str, name_b: str) -> tuple[str, str]:
    return (name_a if name_a == "A" else f"{name_a} (A)", name_b if name_b == "B" else f"{name_b} (B)")


def _better_clause(verdict: str, d: float, lo: float, hi: float, *, a_name: str, b_name: str, what: str,
                   interval: str = "95% CI") -> str:
    """"X is better than Y by +g points (95% CI +l to +h)" with g, l, h the difference *X − Y* (never B − A
    when A is the better one)."""
    if verdict == "b_better":
        better, worse, gap, glo, ghi = b_name, a_name, d, lo, hi
    else:
        better, worse, gap, glo, ghi = a_name, b_name, -d, -hi, -lo
    return f"{better} is better than {worse} by {_pts(gap)} {what} points ({interval} {_pts(glo)} to {_pts(ghi)})"


def _unit_words(unit: str | None) -> str | None:
    """What was resampled, for a sentence (``None`` for plain rows: the caller did not name them)."""
    if not unit or unit == "row":
        return None
    return unit if unit.endswith("s") else f"{unit}s"


def resamples_warning(res: dict[str, Any]) -> str | None:
    """A sentence when a comparison used fewer than :data:`MIN_RESAMPLES` bootstrap resamples, else ``None``."""
    n = res.get("resamples")
    if n is None or n >= MIN_RESAMPLES:
        return None
    return (f"Warning: only {n:,} resamples; p-values and interval ends this coarse can flip the verdict, "
            f"use at least {MIN_RESAMPLES:,} (10,000 by default).")


def describe(res: dict[str, Any], *, name_a: str = "A", name_b: str = "B", alpha: float = ALPHA) -> list[str]:
    """Plain-words sentences for a comparison result (delta = B - A), headline first.

    >>> describe({"metric": "micro_f1", "a": {"f1": 0.7}, "b": {"f1": 0.731}, "delta": 0.031, "ci95": [0.012, 0.05],
    ...           "p_bootstrap": 0.002, "p_randomization": 0.001, "resamples": 10000, "seed": 1, "per_label": {}})[0]
    'B is better than A by +3.1 F1 points (95% CI +1.2 to +5.0); a difference this large would be unlikely by chance (p = 0.002).'

    When A is the better one, the figures are A − B:

    >>> describe({"metric": "micro_f1", "a": {"f1": 0.731}, "b": {"f1": 0.7}, "delta": -0.031, "ci95": [-0.05, -0.012],
    ...           "p_bootstrap": 0.002, "p_randomization": 0.001, "resamples": 10000, "seed": 1, "per_label": {}})[0]
    'A is better than B by +3.1 F1 points (95% CI +1.2 to +5.0); a difference this large would be unlikely by chance (p = 0.002).'
    """
    metric = res.get("metric", "micro_f1")
    what = METRIC_NAMES.get(metric, metric)
    d, ci = res.get("delta"), res.get("ci95") or [None, None]
    lo, hi = ci[0], ci[1]
    p = headline_p(res)
    verdict = verdict_of(res, alpha=alpha)
    a_name, b_name = _names(name_a, name_b)
    interval = f"95% CI {_pts(lo)} to {_pts(hi)}"
    out: list[str] = []
    if verdict == "undefined":
        out.append(f"The {what} difference between {b_name} and {a_name} is undefined on this gold set "
                   "(no entities or labels to score).")
    elif verdict in ("b_better", "a_better"):
        out.append(_better_clause(verdict, d, lo, hi, a_name=a_name, b_name=b_name, what=what)
                   + f"; a difference this large would be unlikely by chance (p = {format_p(p)}).")
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
        unit = _unit_words(res.get("unit"))
        out.append(f"Paired bootstrap p = {format_p(res.get('p_bootstrap'))}, approximate randomization "
                   f"p = {format_p(res.get('p_randomization'))} ({res.get('resamples', 0):,} resamples"
                   f"{' of ' + unit if unit else ''}, seed {res.get('seed')}); the verdict needs p < {alpha} and an "
                   "interval that excludes 0.")
    warning = resamples_warning(res)
    if warning:
        out.append(warning)
    if res.get("p_mcnemar") is not None and res.get("accuracy_delta") is not None:
        m = res.get("mcnemar") or {}
        sig = "unlikely to be chance" if res["p_mcnemar"] < alpha else "could be chance"
        out.append(f"Accuracy: B − A = {_pts(res['accuracy_delta'])} points; McNemar's exact test p = "
                   f"{format_p(res['p_mcnemar'])} ({m.get('a_only', 0)} texts right only for A, "
                   f"{m.get('b_only', 0)} only for B): {sig}.")
    line = per_label_sentence(res, name_a=name_a, name_b=name_b, alpha=alpha)
    if line:
        out.append(line)
    return out


def label_differs(v: dict[str, Any], *, alpha: float = ALPHA) -> str | None:
    """``b_better`` / ``a_better`` for a per-label entry whose Holm-adjusted p is below ``alpha`` and whose
    simultaneous interval excludes 0; else ``None``."""
    lo, hi = v.get("ci95_simultaneous") or v.get("ci95") or (None, None)
    ph, d = v.get("p_holm"), v.get("delta")
    if ph is None or d is None or lo is None or ph >= alpha or (lo <= 0 <= hi):
        return None
    return "b_better" if d > 0 else "a_better"


def per_label_sentence(res: dict[str, Any], *, name_a: str = "A", name_b: str = "B",
                       alpha: float = ALPHA) -> str | None:
    """The per-label line, corrected across labels (Holm-adjusted p, simultaneous intervals); ``None`` without
    labels.

    >>> per = {"ORG": {"delta": -0.1, "ci95": [-0.2, -0.05], "ci95_simultaneous": [-0.22, -0.02], "p_holm": 0.004},
    ...        "PER": {"delta": 0.01, "ci95": [-0.1, 0.1], "ci95_simultaneous": [-0.12, 0.12], "p_holm": 0.8}}
    >>> per_label_sentence({"metric": "micro_f1", "per_label": per})
    'Per label, after Holm correction across 2 labels: A is better than B on ORG by +10.0 F1 points (simultaneous 95% CI +2.0 to +22.0; p = 0.004).'
    """
    per = res.get("per_label") or {}
    if not per:
        return None
    if not any("p_holm" in v for v in per.values()):
        return ("Per label: this stored result predates the correction for testing several labels; "
                "compute it again to see which labels differ.")
    tested = [(lab, v) for lab, v in per.items() if v.get("p_holm") is not None]
    n = _plural(len(tested), "label")
    parts = []
    for lab, v in tested:
        verdict = label_differs(v, alpha=alpha)
        if verdict is None:
            continue
        lo, hi = v.get("ci95_simultaneous") or v["ci95"]
        a_name, b_name = _names(name_a, name_b)
        clause = _better_clause(verdict, v["delta"], lo, hi, a_name=a_name, b_name=b_name, what="F1",
                                interval="simultaneous 95% CI")
        better, rest = clause.split(" by ", 1)
        parts.append(f"{better} on {lab} by {rest[:-1]}; p = {format_p(v['p_holm'])})")
    if not parts:
        return f"Per label, no difference is beyond chance after Holm correction across {n}."
    return f"Per label, after Holm correction across {n}: " + "; ".join(parts) + "."


def holm_sentence(res: dict[str, Any], p_holm: float | None, *, tests: int, alpha: float = ALPHA,
                  name_a: str | None = None, name_b: str | None = None) -> str:
    """One step of a chain of comparisons whose p-values were Holm-adjusted across ``tests`` comparisons.

    >>> r = {"metric": "micro_f1", "delta": -0.26, "ci95": [-0.33, -0.19], "model_a": "r3", "model_b": "r1"}
    >>> holm_sentence(r, 0.002, tests=2)
    'r3 (A) is better than r1 (B) by +26.0 F1 points (95% CI +19.0 to +33.0); unlikely by chance after Holm correction across 2 comparisons (p = 0.002).'
    """
    what = METRIC_NAMES.get(res.get("metric", "micro_f1"), res.get("metric", "micro_f1"))
    a_name, b_name = _names(name_a or res.get("model_a") or "A", name_b or res.get("model_b") or "B")
    verdict = verdict_of({**res, "p_bootstrap": p_holm, "p_randomization": p_holm}, alpha=alpha)
    d, (lo, hi) = res.get("delta"), res.get("ci95") or (None, None)
    across = f"after Holm correction across {_plural(tests, 'comparison')}"
    if verdict in ("b_better", "a_better"):
        return (_better_clause(verdict, d, lo, hi, a_name=a_name, b_name=b_name, what=what)
                + f"; unlikely by chance {across} (p = {format_p(p_holm)}).")
    if verdict == "undefined":
        return f"The {what} difference between {b_name} and {a_name} is undefined on this gold set."
    return (f"No evidence of a difference {across}: {b_name} minus {a_name} is {_pts(d)} {what} points "
            f"(95% CI {_pts(lo)} to {_pts(hi)}; p = {format_p(p_holm)}).")


def describe_iteration(res: dict[str, Any], *, name_a: str = "A", name_b: str = "B") -> list[str]:
    """Plain-words sentences for an iteration comparison (:func:`evaluator.stats.iteration.compare_runs`).

    >>> res = {"kind": "runs", "verdict": "regressed", "metric": "micro_f1", "runs": {"a": [0.6, 0.62, 0.61],
    ...        "b": [0.5, 0.52, 0.51]}, "mean": {"a": 0.61, "b": 0.51}, "delta": -0.1, "ci95": [-0.14, -0.06],
    ...        "p": 0.001, "alpha": 0.05, "resamples": 10000, "seed": 1, "unit": "document", "units": 200}
    >>> describe_iteration(res, name_a="round 1", name_b="round 2")[0]
    'round 2 (B) regressed: round 1 (A) is better than round 2 (B) by +10.0 F1 points (95% CI +6.0 to +14.0), mean over 3 runs each; unlikely to be seed or gold-set noise (p = 0.001).'
    """
    what = METRIC_NAMES.get(res.get("metric", "micro_f1"), res.get("metric", "micro_f1"))
    a_name, b_name = _names(name_a, name_b)
    verdict, d = res.get("verdict"), res.get("delta")
    lo, hi = res.get("ci95") or (None, None)
    runs = res.get("runs") or {"a": [], "b": []}
    n_a, n_b = len(runs.get("a") or []), len(runs.get("b") or [])
    over = (f"mean over {_plural(n_a, 'run')} each" if n_a == n_b
            else f"mean over {_plural(n_a, 'run')} of A and {_plural(n_b, 'run')} of B")
    out: list[str] = []
    if res.get("kind") == "artifacts":
        art = res.get("artifacts") or {}
        out.append(f"Iteration verdict: unknown with one run each. {res.get('reason', '').capitalize()}.")
        first = describe(art, name_a=name_a, name_b=name_b, alpha=res.get("alpha", ALPHA))[0] if art else None
        if first:
            out.append(f"About these two artifacts only: {first}")
    elif verdict == "undefined":
        out.append(f"The {what} difference between {b_name} and {a_name} is undefined on this gold set.")
    elif verdict in ("improved", "regressed"):
        clause = _better_clause("b_better" if verdict == "improved" else "a_better", d, lo, hi,
                                a_name=a_name, b_name=b_name, what=what)
        out.append(f"{b_name} {verdict}: {clause}, {over}; unlikely to be seed or gold-set noise "
                   f"(p = {format_p(res.get('p'))}).")
    else:
        why = res.get("reason") or "the evidence is too weak"
        out.append(f"Inconclusive: {b_name} minus {a_name} is {_pts(d)} {what} points (95% CI {_pts(lo)} to "
                   f"{_pts(hi)}), {over} (p = {format_p(res.get('p'))}); {why}.")
        settle = res.get("settle") or {}
        more = []
        if settle.get("runs"):
            more.append(f"about {_plural(settle['runs'], 'more run')} of each")
        if settle.get("gold_examples"):
            more.append(f"about {settle['gold_examples']:,} more gold examples")
        if more:
            out.append("What would likely settle it (80% power if the observed difference is real): "
                       + " or ".join(more) + ".")
        elif res.get("kind") == "runs" and d:
            out.append("More runs or gold examples within reason are unlikely to settle a difference this small.")
    if res.get("kind") == "runs" and verdict != "undefined":
        spread = "; ".join(f"{n}: " + ", ".join(_pts(x, sign=False) for x in runs.get(k) or [] if x is not None)
                           for k, n in (("a", a_name), ("b", b_name)))
        unit = _unit_words(res.get("unit")) or "gold rows"
        out.append(f"Runs ({what} x 100) {spread}. {res.get('resamples', 0):,} resamples of runs and of {unit} "
                   f"({res.get('units')}), seed {res.get('seed')}; the verdict needs p < {res.get('alpha', ALPHA)} "
                   "and an interval that excludes 0.")
    aso_res = res.get("aso")
    if aso_res:
        signal = {"b_better": f"{b_name}'s runs almost always score higher",
                  "a_better": f"{a_name}'s runs almost always score higher"}.get(aso_res["signal"], "no clear order")
        out.append(f"Almost stochastic order: eps_min = {aso_res['eps_min_b_better']:.2f} for {b_name} over "
                   f"{a_name} and {aso_res['eps_min_a_better']:.2f} the other way ({signal}; below "
                   f"{aso_res['threshold']} counts).")
    warning = resamples_warning(res)
    if warning:
        out.append(warning)
    return out


def verdict_record(res: dict[str, Any], *, alpha: float | None = None) -> dict[str, Any]:
    """The verdict of any comparison dict plus the rule and its settings, for JSON output.

    Works on :func:`evaluator.stats.compare_counts` results (artifacts: ``b_better`` / ``a_better`` /
    ``no_difference`` / ``undefined``), on steps of a Holm chain (dicts with ``p_holm``) and on
    :func:`evaluator.stats.iteration.compare_runs` results (``improved`` / ``regressed`` / ``inconclusive`` /
    ``undefined``). ``warning`` is a sentence when fewer than :data:`MIN_RESAMPLES` resamples were used.

    >>> verdict_record({"delta": 0.03, "ci95": [0.01, 0.05], "p_bootstrap": 0.01, "p_randomization": 0.02,
    ...                 "resamples": 500, "seed": 1, "unit": "document"})["verdict"]
    'b_better'
    """
    if res.get("kind") in ("runs", "artifacts"):
        a = res.get("alpha", ALPHA) if alpha is None else alpha
        kind = "iteration"
        verdict = res.get("verdict")
        p = res.get("p")
        test = res.get("method")
    else:
        a = ALPHA if alpha is None else alpha
        if "p_holm" in res:
            kind = "holm_step"
            verdict = verdict_of({**res, "p_bootstrap": res["p_holm"], "p_randomization": res["p_holm"]}, alpha=a)
            p = res["p_holm"]
            test = "paired bootstrap and approximate randomization, Holm-adjusted across the chain"
        else:
            kind = "artifacts"
            verdict = verdict_of(res, alpha=a)
            p = headline_p(res)
            test = "paired bootstrap and approximate randomization (the larger p-value)"
    n = res.get("resamples")
    return {"verdict": verdict, "kind": kind, "p": p, "ci95": res.get("ci95"),
            "rule": {"requires": RULE, "alpha": a, "resamples": n, "seed": res.get("seed"),
                     "unit": res.get("unit"), "test": test},
            "warning": resamples_warning(res)}


def _point_key(metric: str) -> str:
    return {"micro_f1": "f1", "macro_f1": "macro_f1", "accuracy": "accuracy"}.get(metric, "f1")
