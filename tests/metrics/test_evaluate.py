"""evaluate_records and pair_records: the path the CLI and the workspace share."""
from __future__ import annotations

import pytest

from evaluator.errors import InputFormatError
from evaluator.metrics import evaluate_records, ner_counts, pair_records
from evaluator.records import Record, Span, text_from_tokens


def _tagged(words, tags, line=None):
    text, toks = text_from_tokens(words)
    return Record(text, tokens=toks, tags=list(tags), line=line)


def test_tag_records_score_on_raw_tags_like_ner_counts():
    gold = [_tagged(["John", "lives", "here"], ["I-PER", "O", "O"]), _tagged(["Paris"], ["I-LOC"])]
    pred = [_tagged(["John", "lives", "here"], ["I-PER", "I-PER", "O"]), _tagged(["Paris"], ["I-LOC"])]
    c = evaluate_records(gold, pred)
    ref = ner_counts([g.tags for g in gold], [p.tags for p in pred])
    assert c.report() == ref.report()
    assert c.report()["per_label"]["PER"]["fp"] == 1


def test_different_tokens_name_the_sentence_and_files():
    gold = [_tagged(["a"], ["O"], line=1), _tagged(["b", "c"], ["O", "O"], line=3)]
    pred = [_tagged(["a"], ["O"], line=1), _tagged(["b", "x"], ["O", "O"], line=3)]
    with pytest.raises(InputFormatError, match=r"sentence 2 \(g.conll, line 3\): token 2 is 'c' in the gold file "
                                               r"but 'x' in the predictions \(sentence 2 \(p.conll, line 3\)\)"):
        evaluate_records(gold, pred, gold_name="g.conll", pred_name="p.conll")
    pred[1] = _tagged(["b"], ["O"], line=3)
    with pytest.raises(InputFormatError, match="has 2 tokens in the gold file but 1"):
        evaluate_records(gold, pred, gold_name="g.conll", pred_name="p.conll")


def test_pair_by_text_in_any_order_and_skip_rejected_gold():
    g1 = Record("Ada wrote.", spans=[Span(0, 3, "PER")], line=1)
    g2 = Record("Paris is big.", spans=[Span(0, 5, "LOC")], line=2)
    rejected = Record("ignored text", answer="reject", line=3)
    p2 = Record("Paris is big.", spans=[Span(0, 5, "LOC")], line=1)
    p1 = Record("Ada wrote.", spans=[], line=2)
    gold, pred = pair_records([g1, g2, rejected], [p2, p1])
    assert [p.line for p in pred] == [2, 1]
    rep = evaluate_records(gold, pred).report()
    assert rep["documents"] == 2 and rep["micro"]["tp"] == 1 and rep["micro"]["fn"] == 1


def test_pairing_errors_name_file_and_line():
    g = [Record("one", line=1), Record("two", line=2)]
    with pytest.raises(InputFormatError, match=r"record 2 \(gold.jsonl, line 2\) has no prediction in pred.jsonl"):
        pair_records(g, [Record("one")], gold_name="gold.jsonl", pred_name="pred.jsonl")
    with pytest.raises(InputFormatError, match=r"1 prediction\(s\) in pred.jsonl have no gold record, e.g. record 3"):
        pair_records(g, [Record("two"), Record("one"), Record("three", line=3)],
                     gold_name="gold.jsonl", pred_name="pred.jsonl")
    tagged = [_tagged(["a"], ["O"])]
    with pytest.raises(InputFormatError, match="gold.conll has 1 sentences but pred.conll has 2"):
        pair_records(tagged, tagged * 2, gold_name="gold.conll", pred_name="pred.conll")


def test_textcat_records():
    gold = [Record("a", label="pos"), Record("b", label="neg")]
    pred = [Record("a", label="pos"), Record("b", label="pos")]
    rep = evaluate_records(gold, pred).report()
    assert rep["task"] == "textcat" and rep["accuracy"] == 0.5
    assert rep["confusion"] == {"labels": ["neg", "pos"], "matrix": [[0, 1], [0, 1]]}


def test_the_token_level_diff_oracle():
    from tests.metrics.diff_oracle import entity_diff  # the oracle of evaluator.metrics.diff

    gold = [["B-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "O"]]
    a = ner_counts(gold, [["B-PER", "O", "O"], ["B-ORG", "I-ORG", "B-PER"]])
    b = ner_counts(gold, [["O", "B-LOC", "B-LOC"], ["B-ORG", "I-ORG", "O"]])
    rows = entity_diff(a, b)
    assert [(r["doc"], r["change"], r["label"], r["start"], r["end"]) for r in rows] == [
        (0, "lost", "PER", 0, 1), (0, "new_false_positive", "LOC", 1, 2), (0, "gained", "LOC", 2, 3),
        (1, "fixed_false_positive", "PER", 2, 3)]
    assert [r["change"] for r in entity_diff(a, b, label="PER")] == ["lost", "fixed_false_positive"]
    assert entity_diff(a, a) == []
