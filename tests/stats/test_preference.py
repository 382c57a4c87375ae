"""Preference statistics against references: scipy (binomial test, numerical integration), statsmodels (Wilson
with half counts), scikit-learn (Cohen's kappa), krippendorff, a direct Bradley-Terry likelihood; and simulated
annotators for the sequential test (stopping early, false "decided" under peeking, position bias)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from evaluator.stats import preference as pref


# ------------------------------------------------------------------------------------------------ one pair

@pytest.mark.parametrize("wins,losses,ties", [(7, 2, 1), (0, 0, 5), (30, 12, 9), (1, 0, 0)])
def test_win_rate_counts_ties_as_half_with_a_wilson_interval(wins, losses, ties):
    from statsmodels.stats.proportion import proportion_confint

    r = pref.win_rate(wins, losses, ties)
    n = wins + losses + ties
    assert r["win_rate"] == pytest.approx((wins + ties / 2) / n)
    lo, hi = proportion_confint(wins + ties / 2, n, alpha=0.05, method="wilson")
    assert r["ci95"] == pytest.approx([lo, hi], abs=1e-12)
    assert pref.win_rate(0, 0, 0) == {"n": 0, "win_rate": None, "ci95": [None, None]}


def test_pair_summary_tallies_and_sign_test():
    outcomes = ["a"] * 14 + ["b"] * 5 + ["tie"] * 3 + ["neither"] * 2
    s = pref.pair_summary(outcomes)
    assert (s["wins"], s["losses"], s["ties"], s["neither"], s["decisive"]) == (14, 5, 5, 2, 19)
    assert s["p_sign"] == pytest.approx(stats.binomtest(14, 19, 0.5).pvalue)
    assert s["sequential"]["n"] == 19 and s["sequential"]["wins"] == 14
    with pytest.raises(ValueError):
        pref.pair_summary(["left"])


@pytest.mark.parametrize("s,n", [(0, 1), (3, 10), (10, 10), (27, 40), (100, 180)])
def test_mixture_evidence_equals_the_integral(s, n):
    """M_n = (integral of p^S (1-p)^(n-S) over a uniform prior) / (1/2)^n, by numerical integration."""
    marginal, _ = integrate.quad(lambda p: p ** s * (1 - p) ** (n - s), 0, 1, epsabs=0, epsrel=1e-12)
    assert float(np.exp(pref.log_mixture_evidence(s, n))) == pytest.approx(marginal * 2 ** n, rel=1e-8)


def test_sequential_test_decides_at_the_first_crossing():
    seq = [1, 0] * 5 + [1] * 20
    res = pref.sequential_test(seq, alpha=0.05)
    log_m = [pref.log_mixture_evidence(sum(seq[:t]), t) for t in range(1, len(seq) + 1)]
    first = next(t for t, x in enumerate(log_m, 1) if x >= math.log(20))
    assert res["decided"] and res["decided_at"] == first and res["preferred"] == "a"
    assert res["p_always_valid"] == pytest.approx(math.exp(-max(log_m)))
    assert pref.sequential_test([0] * 12)["preferred"] == "b"
    assert pref.sequential_test([])["decided"] is False


def test_decided_stays_decided_when_later_judgments_even_out():
    res = pref.sequential_test([1] * 10 + [0] * 10)
    assert res["decided"] and res["e_value"] < res["threshold"] <= res["max_e_value"]


# ------------------------------------------------------------------------------------------------ simulations

def _loop_simulation(win_rate, sessions, max_judgments, seed, alpha=0.05):
    """The same simulation one session at a time through sequential_test (a reference for the vectorized one)."""
    rng = np.random.default_rng(seed)
    u = rng.random((sessions, max_judgments))  # the tie draw (no ties here), as the vectorized code draws
    a_won = rng.random((sessions, max_judgments)) < win_rate
    used = []
    for row in a_won:
        res = pref.sequential_test(row.astype(int), alpha=alpha)
        if res["decided"]:
            used.append(res["decided_at"])
    assert u.shape == a_won.shape
    return len(used) / sessions, used


def test_vectorized_simulation_equals_a_session_by_session_loop():
    fast = pref.simulate_sessions(0.7, sessions=200, max_judgments=80, seed=3)
    share, used = _loop_simulation(0.7, 200, 80, seed=3)
    assert fast["decided"] == share and fast["median_judgments"] == float(np.median(used))


def test_a_true_win_rate_of_078_is_decided_in_far_fewer_than_100_judgments():
    res = pref.simulate_sessions(0.78, sessions=2000, max_judgments=100, seed=1)
    print(f"\nwin rate 0.78: median {res['median_judgments']:.0f} judgments, 90th percentile "
          f"{res['p90_judgments']:.0f}, decided within 100 in {res['decided']:.1%} of 2,000 sessions")
    assert res["median_judgments"] < 40
    assert res["decided"] > 0.95 and res["decided_for_b"] == 0


def test_peeking_after_every_judgment_keeps_false_decisions_at_or_below_alpha():
    for alpha in (0.05, 0.1):
        res = pref.simulate_sessions(0.5, sessions=1000, max_judgments=500, alpha=alpha, seed=7)
        print(f"\nidentical systems, alpha {alpha}: decided in {res['decided']:.1%} of 1,000 sessions of 500 "
              "judgments with a look after every judgment")
        assert res["decided"] <= alpha
    # the same peeking with a fixed-sample sign test goes far above alpha: what the sequential test is for
    assert pref.naive_peeking_false_rate(sessions=1000, max_judgments=500, seed=7) > 0.2


# ------------------------------------------------------------------------------------------------ sides

def test_a_position_biased_annotator_is_flagged_and_a_fair_one_is_not():
    rng = np.random.default_rng(5)
    fair = list(rng.choice(["left", "right"], size=300))
    biased = list(np.where(rng.random(300) < 0.7, "left", "right"))  # picks the left side 70% of the time
    sides = fair + biased + ["tie"] * 10
    who = ["fair"] * 300 + ["biased"] * 300 + ["fair"] * 10
    res = pref.position_bias(sides, who)
    rows = {r["annotator"]: r for r in res["per_annotator"]}
    assert rows["biased"]["flagged"] and not rows["fair"]["flagged"]
    b = rows["biased"]
    assert b["p"] == pytest.approx(stats.binomtest(b["left"], b["left"] + b["right"]).pvalue)
    assert b["p_holm"] == pytest.approx(min(1.0, 2 * b["p"])) or b["p_holm"] >= b["p"]
    assert rows["fair"]["decisive"] == 300 and res["decisive"] == 600


# ------------------------------------------------------------------------------------------------ agreement

def test_cohen_kappa_equals_sklearn():
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.choice(["A", "B", "tie", "neither"], size=40)
        b = np.where(rng.random(40) < 0.6, a, rng.choice(["A", "B", "tie"], size=40))
        assert pref.cohen_kappa(list(a), list(b)) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert pref.cohen_kappa(["A", "A"], ["A", "A"]) is None and pref.cohen_kappa([], []) is None


def test_krippendorff_alpha_equals_the_krippendorff_package_with_missing_codes():
    import krippendorff

    rng = np.random.default_rng(1)
    for _ in range(20):
        coders, items = int(rng.integers(3, 6)), 30
        truth = rng.integers(0, 3, items)
        data = np.where(rng.random((coders, items)) < 0.7, truth, rng.integers(0, 3, (coders, items))).astype(float)
        data[rng.random((coders, items)) < 0.3] = np.nan
        units = [{c: int(data[c, i]) for c in range(coders) if not np.isnan(data[c, i])} for i in range(items)]
        ref = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert pref.krippendorff_alpha(units) == pytest.approx(ref, abs=1e-10)


def test_agreement_uses_kappa_for_two_annotators_and_alpha_for_more():
    two = [{"x": "A", "y": "A"}, {"x": "B", "y": "B"}, {"x": "A", "y": "tie"}, {"x": "B"}]
    res = pref.agreement(two)
    assert res["method"] == "cohen_kappa" and res["items"] == 3 and res["raw"] == pytest.approx(2 / 3)
    assert res["value"] == pytest.approx(pref.cohen_kappa(["A", "B", "A"], ["A", "B", "tie"]))
    three = two + [{"x": "A", "y": "A", "z": "A"}]
    assert pref.agreement(three)["method"] == "krippendorff_alpha"
    assert pref.agreement([{"x": "A"}])["value"] is None


# ------------------------------------------------------------------------------------------------ ranking

def _simulated_comparisons(theta, n, seed, tie_rate=0.1):
    rng = np.random.default_rng(seed)
    k = len(theta)
    out = []
    for _ in range(n):
        i, j = sorted(rng.choice(k, 2, replace=False))
        if rng.random() < tie_rate:
            out.append((int(i), int(j), "tie"))
            continue
        p = 1 / (1 + math.exp(theta[j] - theta[i]))
        out.append((int(i), int(j), "a" if rng.random() < p else "b"))
    return out


def _bt_mle(k, comps):
    """Bradley-Terry maximum likelihood with ties as half a win each way, by direct optimization."""
    w = np.zeros((k, k))
    for i, j, o in comps:
        if o == "a":
            w[i, j] += 1
        elif o == "b":
            w[j, i] += 1
        else:
            w[i, j] += 0.5
            w[j, i] += 0.5

    def nll(t):
        t = np.concatenate([[0.0], t])
        d = t[:, None] - t[None, :]
        return -(w * -np.logaddexp(0, -d)).sum()

    x = optimize.minimize(nll, np.zeros(k - 1), method="BFGS", options={"gtol": 1e-10}).x
    t = np.concatenate([[0.0], x])
    return t - t.mean()


def test_bradley_terry_equals_the_maximum_likelihood_fit():
    theta = [0.8, 0.0, -0.5, 0.3]
    comps = _simulated_comparisons(theta, 3000, seed=2)
    res = pref.bradley_terry(4, comps, resamples=200, seed=1, regularization=1e-6)
    assert res["scores"] == pytest.approx(_bt_mle(4, comps).tolist(), abs=2e-3)
    assert res["order"] == [0, 3, 1, 2] and res["rank"] == [1, 3, 4, 2]
    res = pref.bradley_terry(4, _simulated_comparisons(theta, 3000, seed=3, tie_rate=0), resamples=200, seed=1)
    for k in range(4):  # the bootstrap interval covers the truth (centered), and the rank interval the rank
        lo, hi = res["ci95"][k]
        assert lo <= theta[k] - np.mean(theta) <= hi
        assert res["rank_ci95"][k][0] <= res["rank"][k] <= res["rank_ci95"][k][1]


def test_bradley_terry_leaves_unjudged_systems_undefined():
    res = pref.bradley_terry(3, [(0, 1, "a")] * 5, resamples=20)
    assert res["scores"][2] is None and res["ci95"][2] == [None, None]


def test_next_pair_goes_where_the_ranking_is_least_certain():
    # 0 >> 1 >> 2 is clear, 2 vs 3 is a coin flip
    comps = [(0, 1, "a")] * 30 + [(1, 2, "a")] * 30 + [(2, 3, "a"), (2, 3, "b")] * 5
    bt = pref.bradley_terry(4, comps, resamples=200, seed=0)
    assert pref.next_pair(bt["p_above"], {}) == (2, 3)
    # 0 vs 2 was never judged, but its order follows from 0 > 1 > 2: not worth a judgment
    assert pref.pair_uncertainty(bt["p_above"], 0, 2) < 0.01
    assert pref.next_pair(bt["p_above"], {}, candidates=[(0, 1), (0, 2)]) in {(0, 1), (0, 2)}
    # with nothing judged, pairs take turns
    flat = [[0.5] * 3 for _ in range(3)]
    assert pref.next_pair(flat, {(0, 1): 2, (0, 2): 1, (1, 2): 0}) == (1, 2)


def test_adaptive_pairs_rank_many_systems_with_fewer_judgments_than_all_pairs():
    """Simulated oracle judges on 5 systems: judging the pair the ranking is least sure about finds the true
    order with fewer judgments than spreading them evenly over all 10 pairs."""
    theta = np.array([1.2, 0.6, 0.0, -0.6, -1.2])

    def run(adaptive, seed):
        rng = np.random.default_rng(seed)
        comps, judged = [], {}
        pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
        for t in range(120):
            if adaptive and t >= 10 and t % 10 == 0:
                plan = pref.bradley_terry(5, comps, resamples=30, seed=t)["p_above"]
            if adaptive and t >= 10:
                pair = pref.next_pair(plan, judged)
            else:
                pair = pairs[t % len(pairs)]
            i, j = pair
            p = 1 / (1 + math.exp(theta[j] - theta[i]))
            comps.append((i, j, "a" if rng.random() < p else "b"))
            judged[pair] = judged.get(pair, 0) + 1
        return pref.bradley_terry(5, comps, resamples=1, seed=0)["order"] == [0, 1, 2, 3, 4]

    adaptive = sum(run(True, s) for s in range(10))
    even = sum(run(False, s) for s in range(10))
    print(f"\n5 systems, 120 judgments: true order found in {adaptive}/10 sessions with adaptive pairs, "
          f"{even}/10 with every pair in turn")
    assert adaptive >= even and adaptive >= 5


def test_gold_check_by_hand():
    res = pref.gold_check([1.0, 0.5, 0.2, 0.7, None], [0.5, 0.5, 0.9, 0.1, 0.3])
    assert (res["compared"], res["agree"], res["same_f1"]) == (3, 2, 2)
    assert res["share"] == pytest.approx(2 / 3)
