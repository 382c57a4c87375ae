"""Paired bootstrap and randomization: hand-checkable cases, a naive loop with the same random draws, exact
enumeration."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import binomtest

from evaluator.metrics import ner_counts, textcat_counts
from evaluator.stats import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_interval, compare_counts
from evaluator.stats.paired import CHUNK_ELEMENTS
from tests.metrics.perturb import perturb


def _gold(n_docs: int, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_docs):
        s = []
        while len(s) < 8:
            if rng.random() < 0.3:
                t = ["PER", "LOC", "ORG"][int(rng.integers(3))]
                s += [f"B-{t}", f"I-{t}"][: 1 + int(rng.integers(2))]
            else:
                s.append("O")
        out.append(s[:8])
    return out


def _micro_f1(c: np.ndarray) -> float:
    tp, fp, fn = (float(x) for x in c.sum(axis=0))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return 2.0 * p * r / (p + r) if p + r else 0.0


def test_a_system_against_itself():
    gold = _gold(50)
    a = ner_counts(gold, perturb(gold, seed=1, rate=0.3))
    res = compare_counts(a, a, resamples=2000)
    assert res["delta"] == 0.0 and res["ci95"] == [0.0, 0.0]
    assert res["p_bootstrap"] == 1.0 and res["p_randomization"] == 1.0
    assert all(v["delta"] == 0.0 for v in res["per_label"].values())
    assert res["resamples"] == 2000 and res["seed"] == DEFAULT_SEED


def test_a_clearly_better_system():
    gold = _gold(200)
    a = ner_counts(gold, perturb(gold, seed=2, rate=0.5))
    b = ner_counts(gold, gold)
    res = compare_counts(a, b)
    assert res["resamples"] == DEFAULT_RESAMPLES
    assert res["b"]["f1"] == 1.0 and res["delta"] == pytest.approx(1.0 - res["a"]["f1"])
    assert res["p_bootstrap"] < 0.01 and res["p_randomization"] < 0.01
    assert 0 < res["ci95"][0] < res["delta"] < res["ci95"][1]
    rev = compare_counts(b, a)
    assert rev["delta"] == -res["delta"] and rev["ci95"][1] < 0


def test_bootstrap_equals_a_naive_loop_with_the_same_draws():
    gold = _gold(30, seed=3)
    a = ner_counts(gold, perturb(gold, seed=4, rate=0.4))
    b = ner_counts(gold, perturb(gold, seed=5, rate=0.2))
    resamples, seed, n = 400, 7, len(gold)
    assert resamples * n <= CHUNK_ELEMENTS  # one chunk: the draws below are the engine's draws
    res = compare_counts(a, b, resamples=resamples, seed=seed)

    rng_boot, rng_perm = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    idx = rng_boot.integers(0, n, size=(resamples, n), dtype=np.int32)
    ca, cb = a.counts.sum(axis=1), b.counts.sum(axis=1)  # micro: labels summed, per document
    deltas = np.array([_micro_f1(cb[i]) - _micro_f1(ca[i]) for i in idx])
    observed = _micro_f1(cb) - _micro_f1(ca)
    assert res["delta"] == pytest.approx(observed, abs=1e-15)
    assert res["ci95"] == pytest.approx(list(np.percentile(deltas, [2.5, 97.5])), abs=1e-12)
    c = sum(abs(d - observed) >= abs(observed) - 1e-12 for d in deltas)
    assert res["p_bootstrap"] == pytest.approx((c + 1) / (resamples + 1))

    differ = np.nonzero(np.any(a.counts != b.counts, axis=(1, 2)))[0]  # only these can be swapped usefully
    k = len(differ)
    assert 0 < k < n
    bits = rng_perm.integers(0, 256, size=(resamples * k + 7) // 8, dtype=np.uint8)
    swaps = np.unpackbits(bits)[: resamples * k].reshape(resamples, k).astype(bool)
    c = 0
    for row in swaps:
        s = np.zeros(n, dtype=bool)
        s[differ] = row
        pa = np.where(s[:, None], cb, ca)
        pb = np.where(s[:, None], ca, cb)
        c += abs(_micro_f1(pb) - _micro_f1(pa)) >= abs(observed) - 1e-12
    assert res["p_randomization"] == (c + 1) / (resamples + 1)


def test_randomization_p_value_converges_to_the_exact_permutation_p_value():
    gold = _gold(8, seed=6)
    a = ner_counts(gold, perturb(gold, seed=7, rate=0.5))
    b = ner_counts(gold, perturb(gold, seed=8, rate=0.2))
    ca, cb = a.counts.sum(axis=1), b.counts.sum(axis=1)
    observed = abs(_micro_f1(cb) - _micro_f1(ca))
    hits = 0
    for s in itertools.product([False, True], repeat=len(gold)):
        s = np.array(s)[:, None]
        hits += abs(_micro_f1(np.where(s, ca, cb)) - _micro_f1(np.where(s, cb, ca))) >= observed - 1e-12
    exact = hits / 2 ** len(gold)
    res = compare_counts(a, b, resamples=20000, seed=1)
    assert res["p_randomization"] == pytest.approx(exact, abs=0.015)


def test_results_depend_only_on_the_seed():
    gold = _gold(40, seed=9)
    a = ner_counts(gold, perturb(gold, seed=10, rate=0.4))
    b = ner_counts(gold, perturb(gold, seed=11, rate=0.3))
    r1 = compare_counts(a, b, resamples=500, seed=3)
    assert compare_counts(a, b, resamples=500, seed=3) == r1
    assert compare_counts(a, b, resamples=500, seed=4)["ci95"] != r1["ci95"]


def test_groups_resample_whole_groups():
    gold = _gold(40, seed=12)
    a = ner_counts(gold, perturb(gold, seed=13, rate=0.4))
    b = ner_counts(gold, perturb(gold, seed=14, rate=0.3))
    plain = compare_counts(a, b, resamples=300)
    assert compare_counts(a, b, resamples=300, groups=np.arange(40)) == plain
    # pairs of documents as groups == the same counts pre-summed by pair
    groups = np.arange(40) // 2

    def pairs(c):
        import dataclasses
        s = c.counts.reshape(20, 2, len(c.labels), 3).sum(axis=1)
        return dataclasses.replace(c, counts=s, tokens=c.tokens.reshape(20, 2).sum(axis=1),
                                   correct=c.correct.reshape(20, 2).sum(axis=1),
                                   misaligned=c.misaligned.reshape(20, 2).sum(axis=1))

    grouped = compare_counts(a, b, resamples=300, groups=groups)
    assert grouped["units"] == 20 and grouped["documents"] == 40
    presummed = compare_counts(pairs(a), pairs(b), resamples=300)
    assert grouped["metrics"] == presummed["metrics"]


def test_labels_only_one_system_predicts_are_aligned():
    gold = [["B-PER", "O"], ["B-LOC", "O"]] * 10
    a = ner_counts(gold, [["B-PER", "O"], ["B-LOC", "O"]] * 10)
    b = ner_counts(gold, [["B-PER", "B-ORG"], ["B-LOC", "O"]] * 10)
    res = compare_counts(a, b, resamples=200)
    assert set(res["per_label"]) == {"LOC", "ORG", "PER"}
    assert res["per_label"]["ORG"]["a"] is None and res["per_label"]["ORG"]["delta"] is None
    assert res["a"]["macro_f1"] == 1.0 and res["b"]["macro_f1"] == pytest.approx(2 / 3)


def test_different_gold_is_refused():
    from evaluator.errors import InputFormatError

    a = ner_counts([["B-PER"]], [["B-PER"]])
    b = ner_counts([["O"]], [["B-PER"]])
    with pytest.raises(InputFormatError, match="same gold"):
        compare_counts(a, b, resamples=10)
    with pytest.raises(InputFormatError, match="on 1 documents but system B on 2"):
        compare_counts(a, ner_counts([["B-PER"]] * 2, [["B-PER"]] * 2), resamples=10)


def test_textcat_adds_accuracy_and_mcnemar():
    rng = np.random.default_rng(0)
    gold = [str(x) for x in rng.integers(0, 3, size=300)]
    pa = [g if rng.random() < 0.6 else "0" for g in gold]
    pb = [g if rng.random() < 0.8 else "1" for g in gold]
    a, b = textcat_counts(gold, pa), textcat_counts(gold, pb)
    res = compare_counts(a, b, resamples=2000)
    assert res["metric"] == "macro_f1"
    acc_a = np.mean(np.array(pa) == np.array(gold))
    acc_b = np.mean(np.array(pb) == np.array(gold))
    assert res["a"]["accuracy"] == acc_a and res["accuracy_delta"] == pytest.approx(acc_b - acc_a)
    a_only = sum(x == g != y for g, x, y in zip(gold, pa, pb))
    b_only = sum(y == g != x for g, x, y in zip(gold, pa, pb))
    assert res["mcnemar"] == {"a_only": a_only, "b_only": b_only}
    assert res["p_mcnemar"] == binomtest(a_only, a_only + b_only).pvalue
    acc = res["metrics"]["accuracy"]
    assert acc["ci95"][0] < acc["delta"] < acc["ci95"][1]
    assert compare_counts(a, b, resamples=200, metric="accuracy")["delta"] == acc["delta"]


def test_single_system_interval():
    gold = _gold(100, seed=15)
    c = ner_counts(gold, perturb(gold, seed=16, rate=0.3))
    ci = bootstrap_interval(c, resamples=1000)
    f1 = c.report()["micro"]["f1"]
    assert ci["micro_f1"][0] < f1 < ci["micro_f1"][1]
    assert set(ci) == {"micro_f1", "macro_f1"}


def _label_f1(c: np.ndarray) -> np.ndarray:
    """Per-label F1 of ``[documents, labels, 3]`` counts summed over documents (NaN when undefined)."""
    out = []
    for tp, fp, fn in c.sum(axis=0).astype(float):
        out.append(np.nan if tp + fp + fn == 0 else _micro_f1(np.array([[tp, fp, fn]])))
    return np.array(out)


def test_per_label_p_values_equal_a_naive_loop_and_holm_equals_statsmodels():
    from statsmodels.stats.multitest import multipletests

    gold = _gold(30, seed=40)
    a = ner_counts(gold, perturb(gold, seed=41, rate=0.5))
    b = ner_counts(gold, perturb(gold, seed=42, rate=0.15))
    resamples, seed, n = 400, 11, len(gold)
    res = compare_counts(a, b, resamples=resamples, seed=seed)
    labels = a.labels
    assert labels == b.labels and len(labels) >= 3

    rng_boot, rng_perm = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    idx = rng_boot.integers(0, n, size=(resamples, n), dtype=np.int32)
    deltas = np.array([_label_f1(b.counts[i]) - _label_f1(a.counts[i]) for i in idx])
    observed = _label_f1(b.counts) - _label_f1(a.counts)
    differ = np.nonzero(np.any(a.counts != b.counts, axis=(1, 2)))[0]
    bits = rng_perm.integers(0, 256, size=(resamples * len(differ) + 7) // 8, dtype=np.uint8)
    swaps = np.unpackbits(bits)[: resamples * len(differ)].reshape(resamples, len(differ)).astype(bool)
    perm_hits = np.zeros(len(labels))
    for row in swaps:
        s = np.zeros(n, dtype=bool)
        s[differ] = row
        pa = np.where(s[:, None, None], b.counts, a.counts)
        pb = np.where(s[:, None, None], a.counts, b.counts)
        perm_hits += np.abs(_label_f1(pb) - _label_f1(pa)) >= np.abs(observed) - 1e-12
    ps = []
    for k, lab in enumerate(labels):
        v = res["per_label"][lab]
        c = np.sum(np.abs(deltas[:, k] - observed[k]) >= abs(observed[k]) - 1e-12)
        assert v["p_bootstrap"] == pytest.approx((c + 1) / (resamples + 1)), lab
        assert v["p_randomization"] == pytest.approx((perm_hits[k] + 1) / (resamples + 1)), lab
        assert v["p"] == max(v["p_bootstrap"], v["p_randomization"])
        tail = 2.5 / len(labels)
        assert v["ci95_simultaneous"] == pytest.approx(list(np.percentile(deltas[:, k], [tail, 100 - tail])))
        lo, hi = v["ci95_simultaneous"]
        assert lo <= v["ci95"][0] and v["ci95"][1] <= hi  # wider than the one-label interval
        ps.append(v["p"])
    ref = multipletests(ps, method="holm")[1]
    assert [res["per_label"][lab]["p_holm"] for lab in labels] == pytest.approx(list(ref))
    assert res["per_label_correction"]["labels"] == len(labels) and res["per_label_correction"]["method"] == "holm"
