"""The block-wise CoNLL tag reader reads exactly what ``ConllFormat.read`` reads, or hands the file back to it."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from evaluator.errors import EvaluatorError
from evaluator.formats import ReadOptions, get_format
from evaluator.formats.conll_stream import ConllTags, NotStreamable

CONLL = get_format("conll")


def via_records(path):
    """(sentences as (words, tags, doc, first line), scheme) from the full reader, or "error"."""
    try:
        recs = CONLL.read(path, ReadOptions())
    except EvaluatorError:
        return "error"
    return [(r.token_texts(), r.tags, r.meta.get("doc"), r.line) for r in recs], \
        (recs[0].meta["scheme"] if recs else None)


def via_stream(path, block_bytes=1 << 22):
    """The same from :class:`ConllTags`, or None when it hands the file back (NotStreamable)."""
    vocab = {"O": 0}
    reader = ConllTags(path, vocab=vocab, block_bytes=block_bytes)
    words: list[str] = []
    try:
        for lengths, data in reader.blocks():
            raw = data.tobytes()
            pos = 0
            for n in lengths.tolist():
                words.append(raw[pos:pos + n].decode("utf-8"))
                pos += n
    except NotStreamable:
        return None
    tags = list(vocab)
    out, k = [], 0
    for length, line, doc in zip(reader.lengths.tolist(), reader.first_lines.tolist(), reader.docs.tolist()):
        out.append((words[k:k + length], [tags[i] for i in reader.ids[k:k + length].tolist()],
                    None if doc < 0 else doc, line))
        k += length
    assert k == len(words) == len(reader.ids)
    return out, (reader.scheme() if out else None)


TOKEN_LINES = [
    "John B-PER", "Smith I-PER", "visited O", "Paris B-LOC", "EU NNP B-NP B-ORG", "rejects VBZ B-VP O",
    "Zürich B-LOC", "東京 S-LOC", "Ann U-PER", "big E-ORG", "x I-MISC", "y\tO", "Bank\tB-ORG", "of\tI-ORG",
    "a  \tB-PER", "b O  ", "c O\r", "d\tO\t", "(\tO", ",\tO",
]
ODD_LINES = [
    "lonely", "bad B_PER", "bad2 X", "a\u00a0b O", "word\x0bO", "\tleading O", "two words\tO", "a\t\tO", "q w e r t",
    "-DOCSTART- x\tO", "\u2003 O", "café O", "b\u200bO", "e B-PER\t",
]
BLANK_LINES = ["", " ", "\t", "\r", "  \t "]
DOC_LINES = ["-DOCSTART- -X- O O", "-DOCSTART-", "-DOCSTART-\tO", "-DOCSTART- O"]


def lines_strategy(odd: bool):
    kinds = [st.sampled_from(TOKEN_LINES)] * 6 + [st.sampled_from(BLANK_LINES)] * 2 + [st.sampled_from(DOC_LINES)]
    if odd:
        kinds.append(st.sampled_from(ODD_LINES))
    return st.lists(st.one_of(*kinds), min_size=0, max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=lines_strategy(odd=True), bom=st.booleans(), final_newline=st.booleans(),
       block=st.sampled_from([8, 17, 64, 1 << 22]))
def test_stream_reads_what_the_full_reader_reads_or_hands_back(tmp_path, lines, bom, final_newline, block):
    text = "\n".join(lines) + ("\n" if final_newline else "")
    path = tmp_path / "f.conll"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    streamed = via_stream(path, block)
    if streamed is None:
        return  # handed back: the full reader reads it (and reports its problems)
    assert streamed == via_records(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=lines_strategy(odd=False), block=st.sampled_from([8, 31, 1 << 22]))
def test_ordinary_files_are_streamed(tmp_path, lines, block):
    """Files of one column layout with valid tags never need the full reader."""
    path = tmp_path / "f.conll"
    # one layout per file: the first token line's number of columns for all (the full reader insists on it)
    two = [ln for ln in lines if len(ln.split()) in (0, 1, 2) or ln.split()[0] == "-DOCSTART-"]
    tags = {ln.split()[-1][0] for ln in two if ln.split() and ln.split()[0] != "-DOCSTART-"}
    if tags & {"S", "E"} and tags & {"U", "L"}:
        two = [ln for ln in two if not ln.split() or ln.split()[-1][0] not in "UL"]
    path.write_text("\n".join(two) + "\n", encoding="utf-8")
    expected = via_records(path)
    assert expected != "error"
    assert via_stream(path, block) == expected


@pytest.mark.parametrize("name", ["conll2003/eng.testb", "wnut17/wnut17train.conll", "wnut17/emerging.dev.conll"])
def test_real_files_are_streamed_identically(shared_data, name):
    path = shared_data / name
    streamed = via_stream(path)
    assert streamed is not None, "a real, valid file needs no full reader"
    assert streamed == via_records(path)


def test_a_tag_bucket_collision_still_numbers_tags_exactly(tmp_path, monkeypatch):
    """Two different tags hashed into one bucket take the exact (sorting) path."""
    import evaluator.formats.conll_stream as mod

    path = tmp_path / "f.conll"
    path.write_text("a B-PER\nb I-PER\nc O\n\nd B-LOCATION_LONG_NAME\ne I-LOCATION_LONG_NAME\n", encoding="utf-8")
    expected = via_records(path)
    monkeypatch.setattr(mod, "_BUCKET_BITS", 1)  # 2 buckets for 4 tags: a collision is certain
    assert via_stream(path) == expected


def test_sentence_words_reads_one_sentence_again(tmp_path):
    path = tmp_path / "f.conll"
    path.write_text("-DOCSTART- -X- O\n\nA O\nb B-PER\n\nC B-LOC\nd O\ne O\n", encoding="utf-8")
    reader = ConllTags(path, vocab={"O": 0})
    for _ in reader.blocks():
        pass
    assert reader.sentence_words(1) == ["C", "d", "e"] and reader.first_lines.tolist() == [3, 6]
    assert reader.docs.tolist() == [0, 0] and reader.has_docs


def test_other_encodings_and_tag_columns_are_handed_back(tmp_path):
    path = tmp_path / "f.conll"
    path.write_text("a O\n", encoding="utf-8")
    with pytest.raises(NotStreamable):
        ConllTags(path, vocab={"O": 0}, encoding="latin-1")
    with pytest.raises(NotStreamable):
        ConllTags(path, vocab={"O": 0}, tag_column=1)
