"""Learning-curve subsets and the verdict rule (pure functions)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from evaluator.errors import ConfigError
from evaluator.scoring.curves import (
    FLAT, HELPS, CurveRun, _as_counts, check_plan, nested_subsets, paired_compare, summarize_curve,
)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 10_000))
def test_subsets_are_nested_seeded_and_sized(n, seed):
    fr = (0.25, 0.5, 0.75, 1.0)
    s = nested_subsets(n, fr, seed=seed)
    assert s == nested_subsets(n, fr, seed=seed)
    for a, b in zip(fr, fr[1:]):
        assert set(s[a]) <= set(s[b])
    assert s[1.0] == list(range(n))
    for f in fr[:-1]:
        assert len(s[f]) == max(1, int(np.ceil(f * n)))
        assert s[f] == sorted(s[f])


def test_seeds_give_different_subsets():
    assert nested_subsets(100, seed=0)[0.25] != nested_subsets(100, seed=1)[0.25]


def test_plan_needs_three_seeds_and_the_compared_fractions():
    assert check_plan((1, 0.5, 0.75, 0.25), (2, 0, 1)) == ([0.25, 0.5, 0.75, 1.0], [2, 0, 1])
    with pytest.raises(ConfigError, match="3 seeds"):
        check_plan((0.75, 1.0), (0, 1))
    with pytest.raises(ConfigError, match="75%"):
        check_plan((0.5, 1.0), (0, 1, 2))
    with pytest.raises(ConfigError):
        check_plan((0.0, 0.75, 1.0), (0, 1, 2))


def _doc_counts(rng, n_docs: int, p_correct: float) -> np.ndarray:
    """[docs, 1 label, 3]: one gold entity per document, found with probability p_correct (else a FP + FN)."""
    hit = rng.random(n_docs) < p_correct
    c = np.zeros((n_docs, 1, 3), dtype=np.int64)
    c[hit, 0, 0] = 1
    c[~hit, 0, 1] = 1
    c[~hit, 0, 2] = 1
    return c


def _runs(rng, accs: dict[float, list[float]], n_docs: int = 400) -> list[CurveRun]:
    runs = []
    for f, per_seed in accs.items():
        for s, a in enumerate(per_seed):
            c = _doc_counts(rng, n_docs, a)
            tp, fp, fn = c.sum(axis=(0, 1))
            runs.append(CurveRun(fraction=f, seed=s, examples=int(f * 100), f1=2 * tp / (2 * tp + fp + fn),
                                 counts=c))
    return runs


def test_clear_gain_says_more_data_helps():
    rng = np.random.default_rng(0)
    runs = _runs(rng, {0.25: [0.3] * 3, 0.5: [0.4] * 3, 0.75: [0.5, 0.5, 0.5], 1.0: [0.75, 0.75, 0.75]})
    out = summarize_curve(runs, resamples=500, seed=0)
    assert out["verdict"] == HELPS
    cmp = out["comparison"]
    assert cmp["low"] > 0 and cmp["gain"] > cmp["spread"]
    assert [p["fraction"] for p in out["points"]] == [0.25, 0.5, 0.75, 1.0]
    p = out["points"][-1]
    assert p["min"] <= p["mean"] <= p["max"] and p["examples"] == 100


def test_no_gain_says_flattened():
    rng = np.random.default_rng(1)
    prev = _runs(rng, {0.75: [0.6] * 3})
    # the 100% models make the same predictions as the 75% ones: no gain at all
    same = [CurveRun(1.0, r.seed, 100, r.f1, r.counts.copy()) for r in prev]
    out = summarize_curve(prev + same, resamples=500, seed=0)
    assert out["verdict"] == FLAT
    assert out["comparison"]["delta"] == 0 and out["comparison"]["low"] <= 0
    assert "includes 0" in out["reason"]


def test_gain_within_seed_spread_says_flattened_even_if_significant():
    # a significant pooled gain, but one seed at 75% is as good as the 100% runs: spread > gain
    def compare(full, prev):
        return {"delta": 0.05, "low": 0.01, "high": 0.09}

    runs = [CurveRun(0.75, s, 75, f1, np.zeros((2, 1, 3), dtype=np.int64)) for s, f1 in enumerate([0.50, 0.52, 0.62])]
    runs += [CurveRun(1.0, s, 100, f1, np.zeros((2, 1, 3), dtype=np.int64)) for s, f1 in enumerate([0.60, 0.61, 0.62])]
    out = summarize_curve(runs, compare=compare)
    gain = np.mean([0.60, 0.61, 0.62]) - np.mean([0.50, 0.52, 0.62])
    assert out["comparison"]["gain"] == pytest.approx(gain)
    assert out["comparison"]["spread"] == pytest.approx(0.12)
    assert out["verdict"] == FLAT and "spread" in out["reason"]
    # the same runs with a tight 75% spread: now both conditions hold
    runs2 = [r for r in runs if r.fraction == 1.0] + [
        CurveRun(0.75, s, 75, f1, np.zeros((2, 1, 3), dtype=np.int64)) for s, f1 in enumerate([0.50, 0.51, 0.52])]
    assert summarize_curve(runs2, compare=compare)["verdict"] == HELPS


def test_paired_compare_pools_seeds_and_resamples_documents():
    from evaluator.stats import compare_counts

    rng = np.random.default_rng(3)
    prev = [_doc_counts(rng, 300, 0.6) for _ in range(3)]
    full = [_doc_counts(rng, 300, 0.7) for _ in range(3)]
    got = paired_compare(full, prev, resamples=400, seed=7)
    assert got == paired_compare(full, prev, resamples=400, seed=7)
    # stacking the seeds and resampling by document == resampling documents of the summed counts
    ref = compare_counts(_as_counts(np.sum(prev, axis=0)), _as_counts(np.sum(full, axis=0)), resamples=400, seed=7,
                         metric="micro_f1", randomization=False)
    assert (got["low"], got["high"]) == pytest.approx(tuple(ref["ci95"]))
    assert got["delta"] == pytest.approx(ref["delta"])
    tp, fp, fn = np.sum(full, axis=(0, 1, 2))
    tpp, fpp, fnp = np.sum(prev, axis=(0, 1, 2))
    assert got["delta"] == pytest.approx(2 * tp / (2 * tp + fp + fn) - 2 * tpp / (2 * tpp + fpp + fnp))
    assert got["low"] <= got["delta"] <= got["high"]


def test_textcat_runs_are_compared_too():
    from evaluator.metrics.textcat import textcat_counts

    gold = ["a", "b"] * 100
    good = textcat_counts(gold, gold)
    bad = textcat_counts(gold, ["a"] * 200)
    runs = [CurveRun(0.75, s, 75, 0.5, bad) for s in range(3)] + [CurveRun(1.0, s, 100, 1.0, good) for s in range(3)]
    out = summarize_curve(runs, resamples=300, seed=1)
    assert out["comparison"]["delta"] == pytest.approx(0.5) and out["verdict"] == HELPS


def test_the_curve_reuses_the_registered_runs_of_the_full_round(tmp_path, monkeypatch):
    """The 100% point of each seed is the model the round's runs already registered: not trained again."""
    from evaluator.demo import build_demo
    from evaluator.models import train_runs
    from evaluator.scoring.curves import learning_curve
    from evaluator.training import base
    from evaluator.workspace import open_workspace

    build_demo(tmp_path / "ws", task="textcat")
    ws = open_workspace(tmp_path / "ws")
    quick = {"training.max_steps": 30, "training.eval_frequency": 10}
    runs = train_runs(ws, 2, seeds=[0, 1, 2], trainer="spacy-textcat", config=quick)["runs"]
    trainer = base.get_trainer("spacy-textcat")
    real, sizes = trainer.train, []

    def counting(records, **kw):
        sizes.append(len(records))
        return real(records, **kw)

    monkeypatch.setattr(trainer, "train", counting)
    res = learning_curve(ws, trainer="spacy-textcat", round=2, fractions=[0.75, 1.0], seeds=[0, 1, 2],
                         config=quick, resamples=200)
    full = next(p for p in res["points"] if p["fraction"] == 1.0)
    assert full["models"] == [m["name"] for m in runs]
    assert len(sizes) == 3 and max(sizes) < full["examples"]  # only the 75% runs were trained
