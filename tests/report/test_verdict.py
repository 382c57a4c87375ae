"""Verdict sentences: every number points the way its words do (both directions and the tie), the per-label line
is corrected across labels, iteration verdicts in words, and the verdict record for JSON."""
from __future__ import annotations

import doctest
import re

import pytest

from evaluator.report import verdict as V

BETTER = re.compile(r"^(?P<better>.+?) is better than (?P<worse>.+?) by (?P<gap>[+-]\d+\.\d) F1 points "
                    r"\((?:simultaneous )?95% CI (?P<lo>[+-]\d+\.\d) to (?P<hi>[+-]\d+\.\d)\)")


def _res(delta, lo, hi, p=0.002, **more):
    return {"metric": "micro_f1", "a": {"f1": 0.5}, "b": {"f1": 0.5 + delta}, "delta": delta, "ci95": [lo, hi],
            "p_bootstrap": p, "p_randomization": p, "resamples": 10000, "seed": 1, "per_label": {}, **more}


def _gap(sentence):
    m = BETTER.match(sentence)
    assert m, sentence
    gap, lo, hi = (float(m[k]) for k in ("gap", "lo", "hi"))
    assert 0 < lo <= gap <= hi, sentence  # the better one's lead and its interval, all in one direction
    return m["better"], m["worse"], gap, lo, hi


def test_the_regression_case_of_issue_7():
    # round 3 (A) scored 26.1 points above round 1 (B): the old sentence printed +26.1 with the B - A interval
    res = _res(-0.261, -0.332, -0.193)
    first = V.describe(res, name_a="round-3-spacy-ner", name_b="round-1-spacy-ner")[0]
    assert first.startswith("round-3-spacy-ner (A) is better than round-1-spacy-ner (B) by +26.1 F1 points "
                            "(95% CI +19.3 to +33.2)")
    assert _gap(first) == ("round-3-spacy-ner (A)", "round-1-spacy-ner (B)", 26.1, 19.3, 33.2)


@pytest.mark.parametrize("delta,lo,hi", [(0.031, 0.012, 0.05), (-0.031, -0.05, -0.012), (0.2, 0.001, 0.4),
                                         (-0.2, -0.4, -0.001)])
def test_both_directions_in_describe_and_holm(delta, lo, hi):
    res = _res(delta, lo, hi, model_a="old", model_b="new")
    better, worse, gap, glo, ghi = _gap(V.describe(res, name_a="old", name_b="new")[0])
    assert (better, worse) == (("new (B)", "old (A)") if delta > 0 else ("old (A)", "new (B)"))
    assert gap == pytest.approx(round(100 * abs(delta), 1))
    assert (glo, ghi) == pytest.approx((round(100 * lo, 1), round(100 * hi, 1)) if delta > 0
                                       else (round(-100 * hi, 1), round(-100 * lo, 1)))
    holm = V.holm_sentence(res, 0.004, tests=3)
    assert _gap(holm)[:5] == (better, worse, gap, glo, ghi)
    assert "after Holm correction across 3 comparisons (p = 0.004)" in holm
    # not significant after the correction: B minus A, with the interval of B minus A
    weak = V.holm_sentence(res, 0.2, tests=3)
    assert weak == (f"No evidence of a difference after Holm correction across 3 comparisons: new (B) minus old (A) "
                    f"is {100 * delta:+.1f} F1 points (95% CI {100 * lo:+.1f} to {100 * hi:+.1f}; p = 0.200).")


def test_the_tie():
    same = V.describe(_res(0.0, 0.0, 0.0, p=1.0))
    assert same[0] == "No evidence of a difference: A and B score the same F1 (50.0) on every resample (p = 1)."
    close = V.describe(_res(0.0, -0.01, 0.012, p=0.9))
    assert close[0].startswith("No evidence of a difference: B minus A is +0.0 F1 points (95% CI -1.0 to +1.2)")
    assert V.holm_sentence({**_res(0.0, -0.01, 0.012), "model_a": "x", "model_b": "y"}, 1.0, tests=1).startswith(
        "No evidence of a difference after Holm correction across 1 comparison: y (B) minus x (A) is +0.0")


def test_per_label_line_is_corrected_and_directed():
    per = {"ORG": {"delta": 0.1, "ci95": [0.05, 0.15], "ci95_simultaneous": [0.02, 0.2], "p_holm": 0.003},
           "PER": {"delta": -0.08, "ci95": [-0.12, -0.03], "ci95_simultaneous": [-0.15, -0.01], "p_holm": 0.02},
           "LOC": {"delta": 0.05, "ci95": [0.01, 0.09], "ci95_simultaneous": [-0.01, 0.11], "p_holm": 0.04},
           "MISC": {"delta": 0.04, "ci95": [0.01, 0.07], "ci95_simultaneous": [0.005, 0.075], "p_holm": 0.09},
           "X": {"delta": None, "ci95": [None, None], "ci95_simultaneous": [None, None], "p_holm": None}}
    line = V.per_label_sentence({"per_label": per}, name_a="old", name_b="new")
    # LOC: simultaneous interval includes 0; MISC: Holm p above alpha; X: undefined, not counted
    assert line == ("Per label, after Holm correction across 4 labels: new (B) is better than old (A) on ORG by "
                    "+10.0 F1 points (simultaneous 95% CI +2.0 to +20.0; p = 0.003); old (A) is better than new (B) "
                    "on PER by +8.0 F1 points (simultaneous 95% CI +1.0 to +15.0; p = 0.020).")
    none = {lab: {**v, "p_holm": 0.5 if v["p_holm"] else None} for lab, v in per.items()}
    assert V.per_label_sentence({"per_label": none}) == \
        "Per label, no difference is beyond chance after Holm correction across 4 labels."
    old = {"ORG": {"delta": 0.1, "ci95": [0.05, 0.15]}}
    assert "predates the correction" in V.per_label_sentence({"per_label": old})
    assert V.per_label_sentence({"per_label": {}}) is None


def _iteration(verdict, delta, lo, hi, p, **more):
    return {"kind": "runs", "verdict": verdict, "metric": "micro_f1", "delta": delta, "ci95": [lo, hi], "p": p,
            "runs": {"a": [0.5, 0.52, 0.51], "b": [0.5 + delta, 0.52 + delta, 0.51 + delta]}, "alpha": 0.05,
            "resamples": 10000, "seed": 1, "unit": "document", "units": 231, "reason": "the 95% interval includes 0",
            **more}


def test_iteration_sentences_in_both_directions():
    up = V.describe_iteration(_iteration("improved", 0.08, 0.03, 0.13, 0.004), name_a="round 1", name_b="round 2")
    assert up[0].startswith("round 2 (B) improved: round 2 (B) is better than round 1 (A) by +8.0 F1 points "
                            "(95% CI +3.0 to +13.0), mean over 3 runs each")
    down = V.describe_iteration(_iteration("regressed", -0.08, -0.13, -0.03, 0.004))
    assert down[0].startswith("B regressed: A is better than B by +8.0 F1 points (95% CI +3.0 to +13.0)")
    for sentences in (up, down):
        assert _gap(sentences[0].split(": ", 1)[1])
        assert any(s.startswith("Runs (F1 x 100)") and "231" in s for s in sentences)


def test_inconclusive_iteration_says_what_would_settle_it():
    res = _iteration("inconclusive", 0.02, -0.01, 0.05, 0.2, settle={"runs": 6, "gold_examples": 1200})
    words = V.describe_iteration(res)
    assert words[0] == ("Inconclusive: B minus A is +2.0 F1 points (95% CI -1.0 to +5.0), mean over 3 runs each "
                        "(p = 0.200); the 95% interval includes 0.")
    assert words[1] == ("What would likely settle it (80% power if the observed difference is real): about 6 more "
                        "runs of each or about 1,200 more gold examples.")
    aso = {"eps_min_b_better": 0.12, "eps_min_a_better": 0.97, "threshold": 0.2, "signal": "b_better"}
    assert any("eps_min = 0.12 for B over A" in s and "B's runs almost always score higher" in s
               for s in V.describe_iteration({**res, "aso": aso}))


def test_one_run_each_is_labelled_as_an_artifact_comparison():
    art = _res(0.084, 0.034, 0.134, p=0.001)
    res = {"kind": "artifacts", "verdict": "inconclusive", "metric": "micro_f1", "delta": 0.084,
           "ci95": art["ci95"], "p": 0.001, "runs": {"a": [0.298], "b": [0.382]}, "artifacts": art, "alpha": 0.05,
           "resamples": 10000, "reason": "one run each: whether these two artifacts differ says nothing about the "
                                          "rounds, whose seeds alone can move F1 this much; train 2 more seeds of each"}
    words = V.describe_iteration(res, name_a="seed 0", name_b="seed 1")
    assert words[0].startswith("Iteration verdict: unknown with one run each.") and "train 2 more seeds" in words[0]
    assert words[1].startswith("About these two artifacts only: seed 1 (B) is better than seed 0 (A) by +8.4")
    assert V.verdict_record(res)["verdict"] == "inconclusive"


def test_verdict_record_for_every_kind_and_the_resamples_warning():
    rec = V.verdict_record(_res(0.03, 0.01, 0.05, unit="document"))
    assert rec["verdict"] == "b_better" and rec["kind"] == "artifacts" and rec["warning"] is None
    assert rec["rule"] == {"requires": V.RULE, "alpha": 0.05, "resamples": 10000, "seed": 1, "unit": "document",
                           "test": "paired bootstrap and approximate randomization (the larger p-value)"}
    step = V.verdict_record({**_res(-0.03, -0.05, -0.01), "p_holm": 0.2})
    assert step["kind"] == "holm_step" and step["verdict"] == "no_difference" and step["p"] == 0.2
    assert V.verdict_record({**_res(-0.03, -0.05, -0.01), "p_holm": 0.01})["verdict"] == "a_better"
    it = V.verdict_record(_iteration("improved", 0.08, 0.03, 0.13, 0.004, alpha=0.01))
    assert it["kind"] == "iteration" and it["verdict"] == "improved" and it["rule"]["alpha"] == 0.01
    few = _res(0.03, 0.01, 0.05, resamples=999)
    assert "only 999 resamples" in V.verdict_record(few)["warning"]
    assert V.resamples_warning(few) in V.describe(few)
    assert V.resamples_warning({**few, "resamples": 1000}) is None


def test_doc_examples():
    assert doctest.testmod(V).failed == 0


def test_the_resampled_unit_is_named():
    words = V.describe(_res(0.03, 0.01, 0.05, unit="document"))
    assert "(10,000 resamples of documents, seed 1)" in words[1]
    assert "(10,000 resamples, seed 1)" in V.describe(_res(0.03, 0.01, 0.05, unit="row"))[1]
    it = V.describe_iteration(_iteration("improved", 0.08, 0.03, 0.13, 0.004))
    assert any("resamples of runs and of documents (231)" in s for s in it)
