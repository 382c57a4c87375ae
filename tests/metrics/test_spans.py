"""Character spans mapped onto gold tokens; misaligned predictions are false positives, never dropped."""
from __future__ import annotations

import numpy as np
import pytest

from evaluator.errors import InputFormatError
from evaluator.metrics import ner_counts, ner_counts_from_spans, ner_report
from evaluator.records import Record, Span, text_from_tokens
from tests.metrics.perturb import convert, entities, perturb, read_conll_tags
from tests.metrics.seqeval_ref import assert_same, reference


def _record(words, ents):
    text, toks = text_from_tokens(words)
    return Record(text, tokens=toks, spans=[Span(toks[a].start, toks[b - 1].end, t) for t, a, b in ents])


def test_misaligned_prediction_is_a_false_positive_and_counted():
    gold = _record(["Ada", "Lovelace", "met", "Charles", "Babbage"], [("PER", 0, 2), ("PER", 3, 5)])
    text = gold.text
    pred = Record(text, spans=[Span(0, 12, "PER"),            # exact: TP
                               Span(text.index("Charles"), text.index("Babbage") + 4, "PER")])  # ends mid-token
    c = ner_counts_from_spans([gold], [pred])
    rep = ner_report(c)
    assert rep["misaligned"] == 1
    assert rep["per_label"]["PER"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2,
                                       "tp": 1, "fp": 1, "fn": 1}
    # the misaligned span is kept with the tokens it overlaps, flagged as not aligned
    assert c.pred_entities.tolist() == [[0, 0, 0, 2, 1, 3], [0, 0, 3, 5, 0, 1]]  # 1: only the start aligns
    # a spaCy-style scorer that ignores misaligned spans would report precision 1.0 here
    assert rep["micro"]["precision"] < 1.0


def test_misaligned_span_inside_whitespace_and_duplicates():
    gold = _record(["a", "b"], [("X", 0, 1)])
    pred = Record(gold.text, spans=[Span(1, 2, "X"), Span(0, 1, "X"), Span(0, 1, "X")])
    rep = ner_report(ner_counts_from_spans([gold], [pred]))
    assert rep["misaligned"] == 1
    assert (rep["micro"]["tp"], rep["micro"]["fp"], rep["micro"]["fn"]) == (1, 2, 0)


def test_spans_equal_seqeval_on_conll_testb(shared_data):
    sents = convert(read_conll_tags(shared_data / "conll2003" / "eng.testb"), "IOB2")
    pred_tags = convert(perturb(sents, seed=5), "IOB2")
    gold = [_record([f"w{i}" for i in range(len(s))], entities(s)) for s in sents]
    pred = [Record(g.text, spans=_record([f"w{i}" for i in range(len(p))], entities(p)).spans)
            for g, p in zip(gold, pred_tags)]
    ours = ner_report(ner_counts_from_spans(gold, pred))
    assert ours["misaligned"] == 0
    assert_same(ours, reference(sents, pred_tags, mode="strict", scheme="IOB2"))
    tag_counts = ner_counts(sents, pred_tags, mode="strict", scheme="IOB2")
    assert np.array_equal(ner_counts_from_spans(gold, pred).counts, tag_counts.counts)


def test_shifted_offsets_on_real_prodigy_data(shared_data):
    from evaluator.formats import ReadOptions, get_format

    gold = [r for r in get_format("prodigy-jsonl").read(shared_data / "prodigy-drugs" / "drugs_eval.jsonl",
                                                         ReadOptions()) if r.answer == "accept"]
    rng = np.random.default_rng(0)
    preds, shifted = [], 0
    for g in gold:
        spans = []
        for s in g.spans:
            if rng.random() < 0.3 and s.end - s.start > 1:
                spans.append(Span(s.start, s.end - 1, s.label))  # cut the last character: not on a boundary
                shifted += 1
            else:
                spans.append(s)
        preds.append(Record(g.text, spans=spans))
    rep = ner_report(ner_counts_from_spans(gold, preds))
    n_gold = sum(len(set(g.spans)) for g in gold)
    assert shifted > 0 and rep["misaligned"] == shifted
    assert rep["micro"]["support"] == n_gold
    assert rep["micro"]["fp"] == shifted and rep["micro"]["fn"] == shifted
    assert rep["micro"]["tp"] + rep["micro"]["fp"] == sum(len(p.spans) for p in preds)


def test_gold_without_tokens_is_tokenized():
    gold = Record("Visit Paris now.", spans=[Span(6, 11, "LOC")])
    pred = Record("Visit Paris now.", spans=[Span(6, 11, "LOC")])
    rep = ner_report(ner_counts_from_spans([gold], [pred]))
    assert rep["micro"]["f1"] == 1.0 and rep["tokens"] == 4


def test_text_mismatch_and_bad_gold_are_errors():
    gold = _record(["a", "b"], [("X", 0, 1)])
    with pytest.raises(InputFormatError, match="different text"):
        ner_counts_from_spans([gold], [Record("a c")])
    bad = Record(gold.text, tokens=gold.tokens, spans=[Span(0, 2, "X")], line=7)
    with pytest.raises(InputFormatError, match=r"gold record 1 \(line 7\): span 0-2 'X' is not on token"):
        ner_counts_from_spans([bad], [Record(gold.text)])
