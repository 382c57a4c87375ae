"""NER scores equal seqeval's, count for count and float for float."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluator.errors import ConfigError, InputFormatError
from evaluator.metrics import ner_counts, ner_report
from evaluator.metrics.ner import _default_tables, _end_of_chunk, _start_of_chunk
from tests.metrics.perturb import convert, perturb, read_conll_tags
from tests.metrics.seqeval_ref import assert_same, reference


@pytest.fixture(scope="module")
def testb(shared_data):
    return read_conll_tags(shared_data / "conll2003" / "eng.testb")


def test_chunk_rules_are_seqevals():
    from seqeval.metrics.sequence_labeling import end_of_chunk, start_of_chunk

    tags = ["O", "B", "I", "E", "S", "U", "L", ".", "X", "[", "]"]
    types = ["PER", "LOC", "_", ""]
    for (pt, pty), (t, ty) in itertools.product(itertools.product(tags, types), repeat=2):
        assert _end_of_chunk(pt, t, pty, ty) == end_of_chunk(pt, t, pty, ty)
        assert _start_of_chunk(pt, t, pty, ty) == start_of_chunk(pt, t, pty, ty)
    end, start, types_ = _default_tables(["O", "B-PER", "I-PER"])
    assert end.shape == (4, 4) and types_ == ["_", "PER", "PER", ""]


def test_conll2003_testb_default_mode_equals_seqeval(testb):
    assert sum(map(len, testb)) == 46435
    pred = perturb(testb, seed=1)
    assert sum(a != b for s, t in zip(testb, pred) for a, b in zip(s, t)) > 2000
    ours = ner_report(ner_counts(testb, pred))
    assert ours["micro"]["support"] == 5648
    assert_same(ours, reference(testb, pred))


@pytest.mark.parametrize("scheme,prefixes", [("IOB2", "BI"), ("IOBES", "BIES"), ("BILOU", "BILU")])
def test_conll2003_testb_strict_mode_equals_seqeval(testb, scheme, prefixes):
    gold = convert(testb, scheme)
    pred = perturb(gold, seed=2, prefixes=prefixes)
    ours = ner_report(ner_counts(gold, pred, mode="strict", scheme=scheme))
    assert ours["scheme"] == scheme and ours["micro"]["support"] == 5648
    ref = reference(gold, pred, mode="strict", scheme=scheme)
    assert_same(ours, ref)
    # strict and default disagree on these predictions (invalid sequences), so the modes are really different
    assert ner_report(ner_counts(gold, pred))["micro"]["tp"] != ours["micro"]["tp"]


def test_conll2003_testb_strict_iob1_on_the_raw_tags(testb):
    pred = perturb(testb, seed=3)
    ours = ner_report(ner_counts(testb, pred, mode="strict", scheme="IOB1"))
    assert ours["micro"]["support"] == 5648  # seqeval's IOB1 reads the gold file right
    assert_same(ours, reference(testb, pred, mode="strict", scheme="IOB1"))


def test_strict_without_scheme_detects_it_like_seqeval():
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["I-PER", "I-PER", "O", "B-LOC"]]
    ours = ner_report(ner_counts(gold, pred, mode="strict"))
    assert ours["scheme"] == "IOB2"
    assert_same(ours, reference(gold, pred, mode="strict"))
    assert ours["per_label"]["PER"]["fp"] == 0 and ours["per_label"]["PER"]["fn"] == 1


def test_subset_of_documents_equals_seqeval_on_that_subset(testb):
    pred = perturb(testb, seed=4)
    counts = ner_counts(testb, pred)
    idx = np.arange(0, len(testb), 7)
    ours = ner_report(counts, doc_index=idx)
    assert ours["documents"] == len(idx)
    assert_same(ours, reference([testb[i] for i in idx], [pred[i] for i in idx]))


WEIRD = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "U-LOC", "L-LOC", "B", "I", "X-PER", ".",
         "I-", "B--PER", "O-PER", "E", "S", "X", "B-PER-X"]
SCHEME_TAGS = {
    "IOB1": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "IOB2": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
    "IOE1": ["O", "I-PER", "E-PER", "I-LOC", "E-LOC"],
    "IOE2": ["O", "I-PER", "E-PER", "I-LOC", "E-LOC"],
    "IOBES": ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"],
    "BILOU": ["O", "B-PER", "I-PER", "L-PER", "U-PER", "B-LOC", "I-LOC", "L-LOC", "U-LOC"],
}


@st.composite
def paired_sequences(draw, alphabet):
    lengths = draw(st.lists(st.integers(0, 9), min_size=1, max_size=6))
    tag = st.sampled_from(alphabet)
    gold = [draw(st.lists(tag, min_size=n, max_size=n)) for n in lengths]
    pred = [draw(st.lists(tag, min_size=n, max_size=n)) for n in lengths]
    return gold, pred


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paired_sequences(WEIRD))
def test_random_sequences_default_mode_equal_seqeval(data):
    gold, pred = data
    ref = reference(gold, pred)
    ours = ner_report(ner_counts(gold, pred))
    assert_same(ours, ref)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SCHEME_TAGS)).flatmap(
    lambda s: st.tuples(st.just(s), paired_sequences(SCHEME_TAGS[s]))))
def test_random_sequences_strict_mode_equal_seqeval(data):
    scheme, (gold, pred) = data
    ours = ner_report(ner_counts(gold, pred, mode="strict", scheme=scheme))
    assert_same(ours, reference(gold, pred, mode="strict", scheme=scheme))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["default"] + sorted(SCHEME_TAGS)).flatmap(
    lambda s: st.tuples(st.just(s), paired_sequences(WEIRD if s == "default" else SCHEME_TAGS[s]),
                        st.integers(1, 12))))
def test_counting_in_batches_of_documents_changes_nothing(data):
    """Long corpora are counted in batches of documents (bounded memory): every count, entity and figure stays
    seqeval's, whatever the batch size."""
    import evaluator.metrics.ner as ner

    scheme, (gold, pred), batch = data
    kw = {} if scheme == "default" else {"mode": "strict", "scheme": scheme}
    whole = ner_counts(gold, pred, **kw)
    saved = ner.BATCH_TOKENS
    ner.BATCH_TOKENS = batch
    try:
        batched = ner_counts(gold, pred, **kw)
    finally:
        ner.BATCH_TOKENS = saved
    assert batched.labels == whole.labels and np.array_equal(batched.counts, whole.counts)
    assert np.array_equal(batched.gold_entities, whole.gold_entities)
    assert np.array_equal(batched.pred_entities, whole.pred_entities)
    assert np.array_equal(batched.correct, whole.correct) and np.array_equal(batched.tokens, whole.tokens)
    assert_same(ner_report(batched), reference(gold, pred, **kw))


def test_counts_are_per_document_and_sum_to_the_report():
    gold = [["B-PER", "I-PER", "O"], ["B-LOC", "O", "B-PER"], []]
    pred = [["B-PER", "I-PER", "O"], ["B-ORG", "O", "O"], []]
    c = ner_counts(gold, pred)
    assert c.labels == ["LOC", "ORG", "PER"]
    assert c.counts.shape == (3, 3, 3)
    assert c.counts[0].tolist() == [[0, 0, 0], [0, 0, 0], [1, 0, 0]]
    assert c.counts[1].tolist() == [[0, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert c.counts[2].sum() == 0
    assert c.tokens.tolist() == [3, 3, 0] and c.correct.tolist() == [3, 1, 0]
    rep = c.report()
    assert rep["per_label"]["ORG"]["recall"] is None  # no gold ORG: undefined, not 0
    assert rep["per_label"]["LOC"]["precision"] is None
    assert rep["per_label"]["ORG"]["f1"] == 0.0
    assert c.gold_entities.tolist() == [[0, 2, 0, 2], [1, 0, 0, 1], [1, 2, 2, 3]]
    assert c.pred_entities[:, 4].tolist() == [1, 0]


def test_empty_and_undefined_reports():
    rep = ner_report(ner_counts([["O", "O"]], [["O", "O"]]))
    assert rep["per_label"] == {} and rep["micro"]["f1"] is None and rep["macro"]["f1"] is None
    assert rep["token_accuracy"] == 1.0
    rep = ner_report(ner_counts([["O"]], [["B-PER"]]))
    assert rep["micro"]["precision"] == 0.0 and rep["micro"]["recall"] is None and rep["weighted"]["f1"] is None


def test_errors_name_the_sentence():
    with pytest.raises(InputFormatError, match="sentence 2 has 2 gold tags but 1 predicted"):
        ner_counts([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(InputFormatError, match="1 gold sentences but 2"):
        ner_counts([["O"]], [["O"], ["O"]])
    with pytest.raises(InputFormatError, match=r"'S-PER' \(predictions, sentence 1, token 2\) is not valid in the IOB2"):
        ner_counts([["B-PER", "O"]], [["B-PER", "S-PER"]], mode="strict", scheme="IOB2")
    with pytest.raises(ConfigError, match="only applies to strict"):
        ner_counts([["O"]], [["O"]], scheme="IOB2")
    with pytest.raises(ConfigError, match="Unknown tagging scheme"):
        ner_counts([["O"]], [["O"]], mode="strict", scheme="XYZ")
    assert ner_counts([["B-PER"]], [["B-PER"]], mode="strict", scheme="bio").scheme == "IOB2"
