"""A line-by-line port of ``conlleval.pl`` (CoNLL-2000 shared task, version 2004-01-26).

Input: lines of space-separated fields, the last two being the gold and the predicted tag; an empty line (or
one whose first field is ``-X-``) ends a sentence. ``-DOCSTART-`` lines are ordinary tokens (tagged ``O``), as in
the Perl script. :func:`format_conlleval` prints the report exactly as the script does, including its quirks
(the per-type count is the number of *predicted* phrases; a type named ``0`` becomes the empty type).

>>> res = conlleval(["a x B-PER B-PER", "b x I-PER O", "", "c x O B-LOC"])
>>> print(format_conlleval(res), end="")
processed 3 tokens with 1 phrases; found: 2 phrases; correct: 0.
accuracy:  33.33%; precision:   0.00%; recall:   0.00%; FB1:   0.00
              LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
              PER: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from evaluator.errors import InputFormatError

BOUNDARY = "-X-"
_TAG = re.compile(r"^([^-]*)-(.*)$", re.DOTALL)


@dataclass
class ConllevalResult:
    """conlleval's counters."""

    tokens: int = 0
    correct_tags: int = 0
    found_correct: int = 0
    found_guessed: int = 0
    correct_chunk: int = 0
    found_correct_by_type: Counter = field(default_factory=Counter)
    found_guessed_by_type: Counter = field(default_factory=Counter)
    correct_chunk_by_type: Counter = field(default_factory=Counter)
    #: type names in conlleval's output order (may repeat the empty type, as the script does)
    types: list[str] = field(default_factory=list)


def _perl_true(s: str | None) -> bool:
    return s is not None and s != "" and s != "0"


def _end_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    end = ((prev_tag == "B" and tag == "B") or (prev_tag == "B" and tag == "O")
           or (prev_tag == "I" and tag == "B") or (prev_tag == "I" and tag == "O")
           or (prev_tag == "E" and tag == "E") or (prev_tag == "E" and tag == "I")
           or (prev_tag == "E" and tag == "O"))
    if prev_tag != "O" and prev_tag != "." and prev_type != type_:
        end = True
    if prev_tag in ("]", "["):
        end = True
    return end


def _start_of_chunk(prev_tag: str, tag: str, prev_type: str, type_: str) -> bool:
    start = ((prev_tag == "B" and tag == "B") or (prev_tag == "I" and tag == "B")
             or (prev_tag == "O" and tag == "B") or (prev_tag == "O" and tag == "I")
             or (prev_tag == "E" and tag == "E") or (prev_tag == "E" and tag == "I")
             or (prev_tag == "O" and tag == "E"))
    if tag != "O" and tag != "." and prev_type != type_:
        start = True
    if tag in ("[", "]"):
        start = True
    return start


def _split_tag(tag: str) -> tuple[str, str]:
    m = _TAG.match(tag)
    if m:
        prefix, typ = m.group(1), m.group(2)
    else:
        prefix, typ = tag, ""
    return prefix, (typ if _perl_true(typ) else "")


def _perl_split(line: str, delimiter: str) -> list[str]:
    """Perl's ``split(/$delimiter/, $line)``: trailing empty fields are removed."""
    if line == "":
        return []
    parts = re.split(delimiter, line) if len(delimiter) != 1 else line.split(delimiter)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def conlleval(lines: Iterable[str], *, delimiter: str = " ", raw: bool = False, o_tag: str = "O",
              path: str | None = None) -> ConllevalResult:
    """Count like ``conlleval.pl`` over lines (without their ``\\n``). Options mirror ``-d``, ``-r``, ``-o``."""
    res = ConllevalResult()
    n_features = -1
    in_correct = False
    last_correct, last_correct_type = "O", ""
    last_guessed, last_guessed_type = "O", ""
    for no, line in enumerate(lines, 1):
        features = _perl_split(line, delimiter)
        if n_features < 0:
            n_features = len(features) - 1
        elif n_features != len(features) - 1 and len(features) != 0:
            raise InputFormatError(f"unexpected number of features: {len(features)} ({n_features + 1})",
                                   path=path, line=no,
                                   hint="every non-empty line needs the same number of space-separated columns")
        if len(features) == 0 or features[0] == BOUNDARY:
            features = [BOUNDARY, "O", "O"]
        if len(features) < 2:
            raise InputFormatError(f"unexpected number of features in line {line!r}", path=path, line=no,
                                   hint="the last two space-separated columns are the gold and the predicted tag")
        if raw:
            if features[-1] == o_tag:
                features[-1] = "O"
            if features[-2] == o_tag:
                features[-2] = "O"
            if features[-1] != "O":
                features[-1] = "B-" + features[-1]
            if features[-2] != "O":
                features[-2] = "B-" + features[-2]
        guessed, guessed_type = _split_tag(features[-1])
        correct, correct_type = _split_tag(features[-2])
        first_item = features[0] if len(features) > 2 else None
        if first_item == BOUNDARY:
            guessed = "O"

        if in_correct:
            end_c = _end_of_chunk(last_correct, correct, last_correct_type, correct_type)
            end_g = _end_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
            if end_c and end_g and last_guessed_type == last_correct_type:
                in_correct = False
                res.correct_chunk += 1
                res.correct_chunk_by_type[last_correct_type] += 1
            elif end_c != end_g or guessed_type != correct_type:
                in_correct = False

        start_c = _start_of_chunk(last_correct, correct, last_correct_type, correct_type)
        start_g = _start_of_chunk(last_guessed, guessed, last_guessed_type, guessed_type)
        if start_c and start_g and guessed_type == correct_type:
            in_correct = True
        if start_c:
            res.found_correct += 1
            res.found_correct_by_type[correct_type] += 1
        if start_g:
            res.found_guessed += 1
            res.found_guessed_by_type[guessed_type] += 1
        if first_item != BOUNDARY:
            if correct == guessed and guessed_type == correct_type:
                res.correct_tags += 1
            res.tokens += 1

        last_guessed, last_correct = guessed, correct
        last_guessed_type, last_correct_type = guessed_type, correct_type
    if in_correct:
        res.correct_chunk += 1
        res.correct_chunk_by_type[last_correct_type] += 1

    # the script sorts the keys of both hashes together and drops a repeat unless the previous one is false
    last = None
    for t in sorted(list(res.found_correct_by_type) + list(res.found_guessed_by_type),
                    key=lambda s: s.encode("utf-8", "surrogateescape")):
        if not _perl_true(last) or last != t:
            res.types.append(t)
        last = t
    return res


def read_conlleval_file(path: Path | str) -> ConllevalResult:
    """Count a conlleval input file (bytes are read as UTF-8, undecodable bytes kept as they are)."""
    data = Path(path).read_bytes()
    text = data.decode("utf-8", errors="surrogateescape")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return conlleval(lines, path=str(path))


def _figures(correct: int, found: int, guessed: int) -> dict[str, float | int | None]:
    """Precision, recall and FB1 in percent, computed as the script does; ``None`` where undefined."""
    p = 100 * correct / guessed if guessed else None
    r = 100 * correct / found if found else None
    if not found and not guessed:
        f = None  # nothing to score: no gold and no predicted phrase
    elif p is None or r is None or p + r == 0:
        f = 0.0
    else:
        f = 2 * p * r / (p + r)
    return {"precision": p, "recall": r, "fb1": f, "phrases": found, "found": guessed, "correct": correct}


def conlleval_report(res: ConllevalResult) -> dict[str, Any]:
    """conlleval's figures as plain data: the numbers its report prints, with ``None`` for undefined.

    The script prints 0.00 where a figure is undefined (no predicted phrase: precision; no gold phrase:
    recall); here those are ``None``. FB1 is 0 when precision or recall is undefined but there is something to
    score, as in :func:`evaluator.metrics.aggregate.prf`. Keys: ``tokens``, ``accuracy`` (percent),
    ``precision``, ``recall``, ``fb1``, ``phrases`` (gold), ``found`` (predicted), ``correct`` and
    ``per_type`` (type -> the same figures).

    >>> rep = conlleval_report(conlleval(["a x B-PER B-PER", "b x O B-LOC"]))
    >>> rep["per_type"]["LOC"]["precision"], rep["per_type"]["LOC"]["recall"], rep["per_type"]["PER"]["fb1"]
    (0.0, None, 100.0)
    """
    return {
        "tokens": res.tokens,
        "accuracy": 100 * res.correct_tags / res.tokens if res.tokens else None,
        **_figures(res.correct_chunk, res.found_correct, res.found_guessed),
        "per_type": {t: _figures(res.correct_chunk_by_type.get(t, 0), res.found_correct_by_type.get(t, 0),
                                 res.found_guessed_by_type.get(t, 0)) for t in dict.fromkeys(res.types)},
    }


def _pad(name: str, width: int) -> str:
    # Perl pads by bytes
    n = len(name.encode("utf-8", "surrogateescape"))
    return " " * max(0, width - n) + name


def format_conlleval(res: ConllevalResult) -> str:
    """The report text of ``conlleval.pl`` (without ``-l``), byte for byte."""
    out = []
    precision = recall = fb1 = 0.0
    if res.found_guessed > 0:
        precision = 100 * res.correct_chunk / res.found_guessed
    if res.found_correct > 0:
        recall = 100 * res.correct_chunk / res.found_correct
    if precision + recall > 0:
        fb1 = 2 * precision * recall / (precision + recall)
    out.append(f"processed {res.tokens} tokens with {res.found_correct} phrases; "
               f"found: {res.found_guessed} phrases; correct: {res.correct_chunk}.\n")
    if res.tokens > 0:
        out.append("accuracy: %6.2f%%; " % (100 * res.correct_tags / res.tokens))
        out.append("precision: %6.2f%%; " % precision)
        out.append("recall: %6.2f%%; " % recall)
        out.append("FB1: %6.2f\n" % fb1)
    for t in res.types:
        correct = res.correct_chunk_by_type.get(t, 0)
        guessed = res.found_guessed_by_type.get(t, 0)
        found = res.found_correct_by_type.get(t, 0)
        precision = 100 * correct / guessed if guessed else 0.0
        recall = 100 * correct / found if found else 0.0
        fb1 = 0.0 if precision + recall == 0.0 else 2 * precision * recall / (precision + recall)
        out.append(_pad(t, 17) + ": ")
        out.append("precision: %6.2f%%; " % precision)
        out.append("recall: %6.2f%%; " % recall)
        out.append("FB1: %6.2f  %d\n" % (fb1, guessed))
    return "".join(out)
