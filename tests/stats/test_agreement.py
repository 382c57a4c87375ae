"""Inter-annotator agreement on entity spans: span F1 against seqeval (kappa: tests/stats/test_preference.py)."""
from __future__ import annotations

import random

import pytest
from seqeval.metrics import f1_score
from seqeval.scheme import IOB2

from evaluator.records import Span, Token, spans_to_iob2
from evaluator.stats.agreement import span_agreement


def _tokens(n: int) -> list[Token]:
    return [Token(2 * i, 2 * i + 1) for i in range(n)]


def _random_spans(rng: random.Random, n_tokens: int) -> list[Span]:
    spans, i = [], 0
    toks = _tokens(n_tokens)
    while i < n_tokens:
        if rng.random() < 0.3:
            j = min(n_tokens - 1, i + rng.randint(0, 2))
            spans.append(Span(toks[i].start, toks[j].end, rng.choice(["PER", "ORG"])))
            i = j + 2
        else:
            i += 1
    return spans


@pytest.mark.parametrize("seed", range(10))
def test_span_f1_equals_seqeval_strict_iob2(seed):
    """With one annotator as reference, span F1 between two annotators is seqeval's strict entity F1."""
    rng = random.Random(seed)
    lengths = [rng.randint(1, 15) for _ in range(60)]
    a = [_random_spans(rng, n) for n in lengths]
    b = [s if rng.random() < 0.6 else _random_spans(rng, n) for s, n in zip(a, lengths)]
    la, lb = [[x.as_list() for x in s] for s in a], [[x.as_list() for x in s] for s in b]
    ours = span_agreement(la, lb)
    ya = [spans_to_iob2(_tokens(n), s) for s, n in zip(a, lengths)]
    yb = [spans_to_iob2(_tokens(n), s) for s, n in zip(b, lengths)]
    if ours["f1"] is None:
        assert not any(a) and not any(b)
    else:
        assert ours["f1"] == pytest.approx(f1_score(ya, yb, mode="strict", scheme=IOB2), abs=1e-12)
        # symmetric: either annotator may be the reference
        assert span_agreement(lb, la)["f1"] == pytest.approx(ours["f1"])
    assert ours["same_items"] == pytest.approx(sum(set(x) == set(y) for x, y in zip(a, b)) / len(a))


def test_span_agreement_without_spans_is_undefined():
    r = span_agreement([[], []], [[], []])
    assert r["f1"] is None and r["precision"] is None and r["same_items"] == 1.0
