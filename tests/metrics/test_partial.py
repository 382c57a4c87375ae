"""The partial-match view equals nervaluate on the same entity lists."""
from __future__ import annotations

import pytest
from nervaluate import Evaluator

from evaluator.metrics import ner_counts, partial_match_report
from evaluator.metrics.partial import entity_lists
from tests.metrics.perturb import convert, perturb, read_conll_tags

SCHEMA = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
FIELDS = ("correct", "incorrect", "partial", "missed", "spurious", "possible", "actual", "precision", "recall", "f1")


def _nervaluate(counts):
    gold, pred = entity_lists(counts)

    def docs(lists):
        return [[{"label": lab, "start": s, "end": e} for lab, s, e in doc] for doc in lists]

    return Evaluator(docs(gold), docs(pred), tags=counts.labels, loader="dict").evaluate()


def _check(counts):
    ours = partial_match_report(counts)
    ref = _nervaluate(counts)
    for sc, name in SCHEMA.items():
        r = ref["overall"][name]
        for f in FIELDS:
            assert (ours["overall"][sc][f] or 0) == getattr(r, f), (sc, f)
        for lab in counts.labels:
            r = ref["entities"][lab][name]
            for f in FIELDS:
                assert (ours["per_label"][lab][sc][f] or 0) == getattr(r, f), (lab, sc, f)
    return ours


def test_hand_case():
    gold = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"]]
    pred = [["B-PER", "O", "O", "B-ORG", "O", "B-ORG"]]
    ours = _check(ner_counts(gold, pred))
    assert ours["overall"]["strict"]["correct"] == 1  # ORG
    assert ours["overall"]["partial"]["partial"] == 1  # PER cut short
    assert ours["overall"]["type"]["incorrect"] == 1  # LOC predicted as ORG


@pytest.mark.parametrize("seed", [6, 7])
def test_conll_testb_equals_nervaluate(shared_data, seed):
    gold = convert(read_conll_tags(shared_data / "conll2003" / "eng.testb"), "IOB2")[:1500]
    pred = perturb(gold, seed=seed, rate=0.25)
    ours = _check(ner_counts(gold, pred))
    assert ours["overall"]["partial"]["partial"] > 0 and ours["overall"]["type"]["incorrect"] > 0


def test_span_inputs_with_misaligned_predictions():
    from evaluator.metrics import ner_counts_from_spans
    from evaluator.records import Record, Span, text_from_tokens

    text, toks = text_from_tokens(["Ada", "Lovelace", "met", "Charles", "Babbage", "in", "London"])
    gold = Record(text, tokens=toks, spans=[Span(0, 12, "PER"), Span(17, 32, "PER"), Span(36, 42, "LOC")])
    pred = Record(text, spans=[Span(0, 7, "PER"), Span(17, 32, "ORG"), Span(35, 36, "LOC")])
    ours = _check(ner_counts_from_spans([gold], [pred]))
    # "Ada Lov" overlaps "Ada Lovelace" but is not exact; " " before London overlaps nothing
    assert ours["overall"]["strict"]["correct"] == 0 and ours["overall"]["exact"]["correct"] == 1
    assert ours["overall"]["partial"]["partial"] == 1 and ours["overall"]["partial"]["correct"] == 1
    assert ours["overall"]["type"]["correct"] == 1 and ours["overall"]["strict"]["spurious"] == 1
