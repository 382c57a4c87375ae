"""Wilson interval, sign test, McNemar and Holm against scipy and hand computation."""
from __future__ import annotations

import pytest
from scipy.stats import binomtest

from evaluator.stats import holm, mcnemar_exact, sign_test, wilson_interval


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (57, 120), (1, 1)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_equals_scipy(k, n, confidence):
    ref = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    lo, hi = wilson_interval(k, n, confidence=confidence)
    assert lo == pytest.approx(ref.low, abs=1e-12) and hi == pytest.approx(ref.high, abs=1e-12)


def test_wilson_edge_cases():
    assert wilson_interval(0, 0) == (None, None)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_sign_and_mcnemar():
    assert sign_test(0, 0) == 1.0 and mcnemar_exact(0, 0) == 1.0
    assert sign_test(9, 1) == binomtest(9, 10).pvalue == pytest.approx(22 / 1024)
    assert mcnemar_exact(2, 12) == sign_test(12, 2)


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04 -> 3*0.01, max(0.03, 2*0.02), max(0.04, 1*0.04)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([None, 0.01]) == [None, 0.01]
    assert holm([]) == []
