"""Iteration comparisons over runs: the two-level bootstrap against a slow loop with the same draws, the
verdict rule, the one-run-each case, the settle estimate, and ASO against deepsig."""
from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pytest
from scipy.stats import norm
from scipy.stats import t as student_t

from evaluator.metrics import ner_counts, textcat_counts
from evaluator.stats import compare_counts
from evaluator.stats import aso as aso_module
from evaluator.stats import iteration
from evaluator.stats.iteration import compare_runs, settle_estimate
from evaluator.stats.paired import CHUNK_ELEMENTS
from tests.metrics.perturb import perturb
from tests.stats.test_paired import _gold


def _runs(gold, seeds, rate):
    return [ner_counts(gold, perturb(gold, seed=s, rate=rate)) for s in seeds]


def _micro_f1(tp: float, fp: float, fn: float) -> float:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return 2.0 * p * r / (p + r) if p + r else 0.0


def _slow_two_level(runs_a, runs_b, *, resamples, seed, groups=None):
    """The two-level bootstrap written as loops over resamples, runs and drawn units (the engine's draws)."""
    n_rows = runs_a[0].documents
    groups = np.arange(n_rows) if groups is None else np.unique(np.asarray(groups), return_inverse=True)[1]
    n_units = int(groups.max()) + 1
    # per run, per unit: summed (tp, fp, fn) over labels and rows of the unit
    per_unit = []
    for r in list(runs_a) + list(runs_b):
        c = r.counts.sum(axis=1)
        u = np.zeros((n_units, 3))
        for row, g in enumerate(groups):
            u[g] += c[row]
        per_unit.append(u)
    rng_units, rng_a, rng_b = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3))
    units = rng_units.integers(0, n_units, size=resamples * n_units, dtype=np.int32).reshape(resamples, n_units)
    pick_a = rng_a.integers(0, len(runs_a), size=(resamples, len(runs_a)))
    pick_b = rng_b.integers(0, len(runs_b), size=(resamples, len(runs_b)))
    out = {"mean_a": [], "mean_b": [], "all_a": [], "all_b": []}
    for i in range(resamples):
        f1 = []
        for u in per_unit:
            tot = [0.0, 0.0, 0.0]
            for j in units[i]:
                tot = [tot[k] + u[j][k] for k in range(3)]
            f1.append(_micro_f1(*tot))
        fa, fb = f1[: len(runs_a)], f1[len(runs_a):]
        out["mean_a"].append(sum(fa[j] for j in pick_a[i]) / len(runs_a))
        out["mean_b"].append(sum(fb[j] for j in pick_b[i]) / len(runs_b))
        out["all_a"].append(sum(fa) / len(fa))
        out["all_b"].append(sum(fb) / len(fb))
    return {k: np.array(v) for k, v in out.items()}


def _calibrated(boot, n_a, n_b, n_units, observed):
    """Interval and p-value from the raw resamples, per the module docstring, written out step by step."""
    seed_a = math.sqrt(n_a / (n_a - 1)) * (boot["mean_a"] - boot["all_a"])
    seed_b = math.sqrt(n_b / (n_b - 1)) * (boot["mean_b"] - boot["all_b"])
    gold = boot["all_b"] - boot["all_a"]
    d = gold + seed_b - seed_a
    va, vb, vg = np.var(seed_a, ddof=1), np.var(seed_b, ddof=1), np.var(gold, ddof=1)
    df = (va + vb + vg) ** 2 / (va ** 2 / (n_a - 1) + vb ** 2 / (n_b - 1) + vg ** 2 / (n_units - 1))
    tail = 100 * norm.cdf(student_t.ppf(0.025, df))
    c = sum(abs(x - observed) >= abs(observed) - 1e-12 for x in d)
    p_raw = (c + 1) / (len(d) + 1)
    p = min(1.0, 2 * student_t.sf(norm.isf(p_raw / 2), df))
    return list(np.percentile(d, [tail, 100 - tail])), p


@pytest.mark.parametrize("grouped", [False, True])
def test_two_level_bootstrap_equals_a_slow_loop(grouped):
    gold = _gold(24, seed=21)
    runs_a = _runs(gold, [1, 2, 3], 0.4)
    runs_b = _runs(gold, [4, 5], 0.25)
    groups = np.arange(24) // 3 if grouped else None
    resamples, seed = 300, 5
    assert resamples * 24 <= CHUNK_ELEMENTS  # one chunk: the loop below makes the engine's draws
    res = compare_runs(runs_a, runs_b, resamples=resamples, seed=seed, groups=groups)
    ref = _slow_two_level(runs_a, runs_b, resamples=resamples, seed=seed, groups=groups)

    f_a = [_micro_f1(*r.counts.sum(axis=(0, 1))) for r in runs_a]
    f_b = [_micro_f1(*r.counts.sum(axis=(0, 1))) for r in runs_b]
    assert res["runs"]["a"] == pytest.approx(f_a, abs=1e-12) and res["runs"]["b"] == pytest.approx(f_b, abs=1e-12)
    observed = np.mean(f_b) - np.mean(f_a)
    assert res["delta"] == pytest.approx(observed, abs=1e-12)
    assert res["units"] == (8 if grouped else 24) and res["unit"] == ("group" if grouped else "row")

    # the raw resamples of the vectorized engine equal the loop's
    from evaluator.stats.paired import _ner_metrics, count_matrix, _group

    mats = [_group(count_matrix(r)[0], groups) for r in runs_a + runs_b]
    raw = iteration.two_level_bootstrap(np.concatenate(mats, axis=1), 3, 2, _ner_metrics(len(runs_a[0].labels),
                                        "seqeval"), "micro_f1", resamples, seed)
    for k in ref:
        assert raw[k] == pytest.approx(ref[k], abs=1e-12), k
    ci, p = _calibrated(ref, 3, 2, res["units"], observed)
    assert res["ci95"] == pytest.approx(ci, abs=1e-12)
    assert res["p"] == pytest.approx(p, abs=1e-12)


def test_textcat_runs_use_accuracy_or_f1():
    rng = np.random.default_rng(3)
    labs = ["a", "b", "c"]
    gold = [labs[i] for i in rng.integers(0, 3, size=80)]

    def run(rate, s):
        r = np.random.default_rng(s)
        return textcat_counts(gold, [g if r.random() > rate else labs[int(r.integers(3))] for g in gold], labels=labs)

    runs_a = [run(0.5, s) for s in range(3)]
    runs_b = [run(0.1, s) for s in range(10, 13)]
    res = compare_runs(runs_a, runs_b, resamples=1000, metric="accuracy")
    acc = lambda c: float(np.mean(c.gold == c.pred))  # noqa: E731
    assert res["runs"]["a"] == pytest.approx([acc(c) for c in runs_a])
    assert res["verdict"] == "improved" and res["ci95"][0] > 0
    with pytest.raises(ValueError):
        compare_runs(runs_a, runs_b, metric="accuracy_f1")


def test_verdicts_in_both_directions_and_for_the_same_candidate():
    gold = _gold(150, seed=30)
    weak = _runs(gold, [1, 2, 3], 0.5)
    strong = _runs(gold, [4, 5, 6], 0.1)
    up = compare_runs(weak, strong, resamples=2000)
    down = compare_runs(strong, weak, resamples=2000)
    assert up["verdict"] == "improved" and up["ci95"][0] > 0 and up["p"] < 0.05
    assert down["verdict"] == "regressed" and down["ci95"][1] < 0 and down["delta"] == pytest.approx(-up["delta"])
    assert up["settle"] is None and up["aso"]["signal"] == "b_better" and down["aso"]["signal"] == "a_better"
    same = compare_runs(weak, weak, resamples=1000)
    assert same["delta"] == 0 and same["verdict"] == "inconclusive" and same["p"] == 1.0
    assert same["ci95"][0] < 0 < same["ci95"][1]  # the seeds' spread, not a point


def test_one_run_each_of_a_stochastic_trainer_is_an_artifact_comparison():
    gold = _gold(150, seed=31)
    [a], [b] = _runs(gold, [1], 0.5), _runs(gold, [2], 0.05)
    res = compare_runs([a], [b], resamples=1000, seed=3)
    assert res["kind"] == "artifacts" and res["verdict"] == "inconclusive"
    art = compare_counts(a, b, resamples=1000, seed=3)
    assert res["artifacts"] == art and res["ci95"] == art["ci95"]
    assert art["ci95"][0] > 0  # the artifacts clearly differ; the rounds' verdict still is not given
    assert "train 2 more seeds" in res["reason"]
    # a deterministic trainer: one run is the whole distribution
    det = compare_runs([a], [b], resamples=1000, seed=3, stochastic=False)
    assert det["kind"] == "runs" and det["verdict"] == "improved" and det["settle"] is None


def test_one_run_on_one_side_is_never_a_verdict_and_differing_runs_are_stochastic():
    gold = _gold(150, seed=32)
    weak, strong = _runs(gold, [1], 0.5), _runs(gold, [4, 5, 6], 0.05)
    res = compare_runs(weak, strong, resamples=1000)
    assert res["kind"] == "runs" and res["verdict"] == "inconclusive" and "one run on side A" in res["reason"]
    forced = compare_runs(_runs(gold, [1, 2], 0.5), strong, resamples=1000, stochastic=False)
    assert forced["stochastic"] is True


def test_runs_must_share_the_gold_documents():
    from evaluator.errors import InputFormatError

    gold = _gold(20, seed=33)
    other = _gold(21, seed=34)
    with pytest.raises(InputFormatError):
        compare_runs(_runs(gold, [1, 2], 0.3), _runs(other, [3, 4], 0.3))
    with pytest.raises(InputFormatError):
        compare_runs([], _runs(gold, [3], 0.3))


def test_settle_estimate_meets_the_power_target_with_the_fewest_additions():
    sd, vg, delta, alpha = 0.02, 1e-5, 0.02, 0.05
    res = settle_estimate(delta, sd_a=sd, sd_b=sd, runs_a=3, runs_b=3, var_gold=vg, rows=400, alpha=alpha)
    z = norm.ppf(0.975) + norm.ppf(0.8)
    se = lambda k: math.sqrt(2 * sd ** 2 / (3 + k) + vg)  # noqa: E731
    k = res["runs"]
    assert abs(delta) / se(k) >= z > abs(delta) / se(k - 1)
    # one run of B: its spread is taken from A's; more gold (f times the rows) is what helps here
    res = settle_estimate(0.02, sd_a=0.004, sd_b=None, runs_a=4, runs_b=1, var_gold=1e-4, rows=400)
    se_gold = lambda f: math.sqrt(0.004 ** 2 / 4 + 0.004 ** 2 / 1 + 1e-4 / f)  # noqa: E731
    extra = res["gold_examples"]
    assert 0.02 / se_gold(1 + extra / 400) >= z > 0.02 / se_gold(1 + (extra - 1) / 400)
    assert settle_estimate(0.0, sd_a=0.01, sd_b=0.01, runs_a=3, runs_b=3, var_gold=1e-4, rows=10) is None


def test_inconclusive_results_say_what_would_settle_them():
    gold = _gold(200, seed=35)
    runs_a = [ner_counts(gold, perturb(gold, seed=s, rate=r)) for s, r in [(1, 0.30), (2, 0.36), (3, 0.26)]]
    runs_b = [ner_counts(gold, perturb(gold, seed=s, rate=r)) for s, r in [(4, 0.22), (5, 0.28), (6, 0.19)]]
    res = compare_runs(runs_a, runs_b, resamples=2000)
    assert res["verdict"] == "inconclusive" and res["delta"] > 0.05  # a large gain, but the seeds spread widely
    comp = res["components"]
    assert comp["sd_runs"]["a"] == pytest.approx(np.std(res["runs"]["a"], ddof=1))
    assert comp["sd_runs"]["a"] > comp["se_gold"]  # so more runs, not more gold, would settle it
    assert res["settle"]["runs"] >= 1 and res["settle"]["gold_examples"] is None
    assert res["settle"] == settle_estimate(res["delta"], sd_a=comp["sd_runs"]["a"], sd_b=comp["sd_runs"]["b"],
                                            runs_a=3, runs_b=3, var_gold=comp["se_gold"] ** 2, rows=200)


@pytest.mark.parametrize("case", range(6))
def test_aso_agrees_with_deepsig(case):
    deepsig = pytest.importorskip("deepsig")
    rng = np.random.default_rng(case)
    n_a, n_b = (int(x) for x in rng.integers(1, 9, size=2))
    a = rng.normal(0.6, 0.05, n_a)
    b = a[:n_b].copy() if case % 4 == 0 and n_b <= n_a else rng.normal(0.6 + rng.normal(0, 0.04), 0.05, n_b)
    seed = int(rng.integers(0, 10_000))
    kwargs = {"num_bootstrap_iterations": 100, "seed": seed, "confidence_level": 0.95 + 0.04 * (case % 2),
              "num_comparisons": 1 + case % 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = deepsig.aso(a, b, show_progress=False, num_jobs=1, **kwargs)
    assert aso_module.aso(a, b, **kwargs) == pytest.approx(ref, abs=1e-6)
    from deepsig.aso import compute_violation_ratio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert aso_module.violation_ratio(a, b) == pytest.approx(compute_violation_ratio(a, b, dt=0.005), abs=1e-12)


def test_doc_examples():
    for mod in (iteration, aso_module):
        assert doctest.testmod(mod).failed == 0
