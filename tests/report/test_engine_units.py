"""The pure parts of the verdict engine: an A/B session's preference oriented to a step (whichever side the session
listed first), conflicts and the items to look at, and the two-level interval of a bucket's mean F1 against a slow
loop over resamples."""
from __future__ import annotations

import numpy as np
import pytest

from evaluator.report.engine import ab_beside, look_at


def _session(first: str, second: str, wins_first: int, losses_first: int, decided: bool, preferred: str | None):
    rate = (wins_first) / (wins_first + losses_first)
    return {"session_id": 7, "source": "gold:test@1",
            "pairs": [{"a": first, "b": second, "wins": wins_first, "losses": losses_first, "ties": 0,
                       "judgments": wins_first + losses_first, "decisive": wins_first + losses_first,
                       "win_rate": rate, "ci95": [rate - 0.1, min(1.0, rate + 0.1)], "decided": decided,
                       "preferred": preferred, "sequential": {"p_always_valid": 0.01, "alpha": 0.05},
                       "sentence": "s"}],
            "judged_items": [
                {"item_id": "i1", "text": "Ada met Bob", "left": {"system": "old", "spans": [], "f1": 0.0},
                 "right": {"system": "new", "spans": [{"start": 0, "end": 3, "label": "PER"}], "f1": 1.0},
                 "answers": [{"winner": "old", "comment": "left is cleaner"}]},
                {"item_id": "i2", "text": "Cy", "left": {"system": "new", "spans": [], "f1": 0.5},
                 "right": {"system": "old", "spans": [], "f1": 0.4},
                 "answers": [{"winner": "old", "comment": None}]},
                {"item_id": "i3", "text": "Di", "left": {"system": "new", "spans": [], "f1": 1.0},
                 "right": {"system": "old", "spans": [], "f1": 0.0},
                 "answers": [{"winner": "new", "comment": None}]}]}


@pytest.mark.parametrize("first,second", [("old", "new"), ("new", "old")])
def test_ab_preference_is_oriented_to_the_step(first, second):
    wins_first, losses_first = (2, 8) if first == "old" else (8, 2)
    s = _session(first, second, wins_first, losses_first, True, "new")
    ab = ab_beside([s], ["old"], ["new"], "improved")
    assert (ab["model_a"], ab["model_b"], ab["wins_b"], ab["wins_a"]) == ("old", "new", 8, 2)
    assert ab["win_rate_b"] == pytest.approx(0.8) and ab["ci95"][0] == pytest.approx(0.7)
    assert ab["preferred"] == "b" and ab["signals"] == "agree" and "look_at" not in ab
    assert ab_beside([s], ["x"], ["new"], "improved") is None


def test_a_conflict_lists_the_items_where_the_metrics_loser_was_preferred():
    s = _session("old", "new", 8, 2, True, "old")
    ab = ab_beside([s], ["old"], ["new"], "improved")
    assert ab["signals"] == "conflicting" and ab["preferred"] == "a"
    assert [r["item_id"] for r in ab["look_at"]] == ["i1", "i2"]  # largest gold-F1 gap first; i3 agrees
    first = ab["look_at"][0]
    assert (first["preferred"], first["other"], first["gap"], first["comments"]) == ("old", "new", 1.0,
                                                                                    ["left is cleaner"])
    assert look_at(s["judged_items"], loser="new", winner="old") == [look_at(s["judged_items"], loser="new",
                                                                             winner="old")[0]]
    undecided = ab_beside([_session("old", "new", 3, 2, False, None)], ["old"], ["new"], "regressed")
    assert undecided["signals"] == "A/B undecided" and undecided["preferred"] is None


def test_mean_f1_interval_matches_a_slow_loop():
    from evaluator.report.buckets import mean_f1
    from evaluator.stats.paired import draw_matrix

    rng = np.random.default_rng(3)
    runs = [rng.integers(0, 4, size=(30, 2, 3)) for _ in range(3)]
    res = mean_f1(runs, resamples=300, seed=11)
    # the same draws, one resample at a time
    rng_units, rng_runs = (np.random.default_rng(s) for s in np.random.SeedSequence(11).spawn(2))
    draws = draw_matrix(rng_units, 300, 30, np.float64).toarray()
    picks = rng_runs.integers(0, 3, size=(300, 3))
    totals = []
    for d, pick in zip(draws, picks):
        f = []
        for r in runs:
            s = (d[:, None, None] * r).sum(axis=0)
            tp, fp, fn = s[:, 0], s[:, 1], s[:, 2]
            f.append(np.where(tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), np.nan))
        f = np.array(f)
        everyone = np.nanmean(f, axis=0)
        totals.append(everyone + np.sqrt(3 / 2) * (np.nanmean(f[pick], axis=0) - everyone))
    totals = np.array(totals)
    for b in range(2):
        assert res["ci95"][b] == pytest.approx(list(np.percentile(totals[:, b], [2.5, 97.5])), abs=1e-9)
        sums = [r.sum(axis=0)[b] for r in runs]
        assert res["f1"][b] == pytest.approx(np.mean([2 * s[0] / (2 * s[0] + s[1] + s[2]) for s in sums]))
