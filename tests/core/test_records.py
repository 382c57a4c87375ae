from hypothesis import given, strategies as st

from evaluator.records import Span, input_hash, iob2_to_spans, normalize_text, spans_to_iob2, text_from_tokens


def test_input_hash_normalizes_case_whitespace_and_unicode():
    assert input_hash("Caf\u00e9  Paris\n") == input_hash("CAFE\u0301 paris")
    assert input_hash("a b") != input_hash("ab")
    assert normalize_text("  A\tB  ") == "a b"


@given(st.lists(st.sampled_from(["O", "B-PER", "I-PER", "B-ORG", "I-ORG"]), min_size=1, max_size=30))
def test_iob2_round_trip(tags):
    # make the sequence valid IOB2 (an I- must continue the same type)
    fixed, prev = [], "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            t = "B-" + t[2:]
        fixed.append(t)
        prev = t
    text, tokens = text_from_tokens([f"w{i}" for i in range(len(fixed))])
    spans = iob2_to_spans(tokens, fixed)
    assert spans_to_iob2(tokens, spans) == fixed
    for s in spans:
        assert text[s.start:s.end].startswith("w")


def test_iob2_to_spans_lenient_i_start_and_type_change():
    _, tokens = text_from_tokens(["a", "b", "c", "d"])
    assert iob2_to_spans(tokens, ["I-PER", "I-PER", "I-ORG", "O"]) == [Span(0, 3, "PER"), Span(4, 5, "ORG")]
