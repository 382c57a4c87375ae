"""The conlleval port prints what conlleval.pl prints.

``data/conlleval_cases.json`` holds small inputs written for these tests and the output of ``conlleval.pl``
(version 2004-01-26) on each, recorded once with perl. The real-data test runs the script itself, from
``../shared/data/conlleval/conlleval.pl`` (or ``$CONLLEVAL_PL``), with perl: it skips on a machine without them
and fails under ``CI=true``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from evaluator.errors import InputFormatError
from evaluator.metrics import conlleval, format_conlleval, ner_counts, ner_report, read_conlleval_file
from tests.metrics.perturb import perturb, read_conll_tags

CASES = json.loads((Path(__file__).parent / "data" / "conlleval_cases.json").read_text(encoding="utf-8"))
@pytest.fixture(scope="module")
def script(shared_data) -> Path:
    """The real conlleval.pl (and perl to run it)."""
    path = Path(os.environ.get("CONLLEVAL_PL") or shared_data / "conlleval" / "conlleval.pl")
    missing = None if path.is_file() else f"conlleval.pl not found at {path}"
    if missing is None and shutil.which("perl") is None:
        missing = "perl is not installed"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(missing + " (required when CI=true)")
        pytest.skip(missing)
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_cases_print_identically(name, tmp_path):
    case = CASES[name]
    path = tmp_path / "in.txt"
    path.write_bytes(case["input"].encode("utf-8"))
    assert format_conlleval(read_conlleval_file(path)) == case["output"]


def test_inconsistent_columns_are_an_error_with_the_line():
    with pytest.raises(InputFormatError, match=r"f.txt, line 2: unexpected number of features: 3 \(4\)"):
        conlleval(["a x B-PER B-PER", "b B-PER O", ""], path="f.txt")


def _conlleval_input(shared_data, tmp_path, seed):
    """testb with a perturbed prediction column appended: the classic ``conlleval`` input."""
    src = (shared_data / "conll2003" / "eng.testb").read_text(encoding="utf-8").split("\n")
    gold = read_conll_tags(shared_data / "conll2003" / "eng.testb")
    pred = perturb(gold, seed=seed)
    flat = iter(t for s in pred for t in s)
    out = []
    for line in src:
        cols = line.split(" ")
        if not line.strip():
            out.append("")
        elif cols[0] == "-DOCSTART-":
            out.append(line + " O")
        else:
            out.append(line + " " + next(flat))
    path = tmp_path / "testb.out"
    path.write_text("\n".join(out), encoding="utf-8")
    return path, gold, pred


def test_testb_counts_equal_seqeval_default_mode(shared_data, tmp_path):
    path, gold, pred = _conlleval_input(shared_data, tmp_path, seed=8)
    res = read_conlleval_file(path)
    assert res.tokens == 46666  # conlleval counts the -DOCSTART- lines as tokens
    rep = ner_report(ner_counts(gold, pred))
    assert res.found_correct == rep["micro"]["support"] == 5648
    assert res.correct_chunk == rep["micro"]["tp"]
    assert res.found_guessed == rep["micro"]["tp"] + rep["micro"]["fp"]
    for lab, row in rep["per_label"].items():
        assert res.correct_chunk_by_type[lab] == row["tp"]
        assert res.found_guessed_by_type[lab] == row["tp"] + row["fp"]
        assert res.found_correct_by_type[lab] == row["support"]


@pytest.mark.parametrize("seed", [9, 10])
def test_testb_output_equals_the_perl_script(shared_data, script, tmp_path, seed):
    path, _, _ = _conlleval_input(shared_data, tmp_path, seed=seed)
    expected = subprocess.run(["perl", str(script)], stdin=path.open("rb"), capture_output=True,
                              check=True).stdout.decode("utf-8")
    assert format_conlleval(read_conlleval_file(path)) == expected
