"""Helpers shared by the format readers: decoding with good errors, JSONL lines, span validation.

Readers collect every problem of a file in a :class:`Problems` list and call :meth:`Problems.raise_if_any` at
the end: one problem raises that :class:`~evaluator.errors.InputFormatError`, several raise one
:class:`~evaluator.errors.ValidationError`.
"""
from __future__ import annotations

import bisect
import itertools
import json
from pathlib import Path
from typing import Any, Iterator

from evaluator import limits
from evaluator.errors import InputFormatError, ValidationError
from evaluator.records import ANSWERS, Record, Span, Token

ENCODING_HINT = ("pass --encoding latin-1 (or cp1252), --encoding utf-8,latin-1 to fall back per file, "
                 "or --encoding utf-8-replace to replace bad bytes")
SNAP_HINT = "fix the offsets, or pass --snap-spans to move them to the enclosing token boundaries"

#: answer of a record that carries no annotation (a raw input text); the importer stores no annotation for it
UNLABELED = "unlabeled"

#: meta key holding the number of spans of a record moved by ``snap_spans``
SNAPPED_KEY = "_snapped"


class Problems(list):
    """A list of :class:`InputFormatError` for one file, located by line or by record number."""

    def __init__(self, path: Path | str, *, unit: str = "line") -> None:
        super().__init__()
        self.path = str(path)
        self.unit = unit

    def add(self, message: str, where: int | None = None, *, hint: str | None = None) -> None:
        if where is not None and self.unit != "line":
            self.append(InputFormatError(f"{self.unit} {where}: {message}", path=self.path, hint=hint))
        else:
            self.append(InputFormatError(message, path=self.path, line=where, hint=hint))

    def raise_if_any(self) -> None:
        if len(self) == 1:
            raise self[0]
        if self:
            raise ValidationError(list(self))


# ---------------------------------------------------------------------------------------------------- decoding

def _decode_chain(data: bytes, encoding: str) -> tuple[str, str]:
    """Decode with one encoding, a ``,``-separated fallback chain, or ``utf-8-replace``; strips a BOM."""
    names = [e.strip() for e in encoding.split(",") if e.strip()] or ["utf-8"]
    last: UnicodeDecodeError | None = None
    for name in names:
        try:
            if name.lower().replace("_", "-") in ("utf-8-replace", "utf8-replace"):
                text = data.decode("utf-8", errors="replace")
            else:
                text = data.decode(name)
        except UnicodeDecodeError as err:
            last = err if last is None else last
            continue
        except LookupError:
            raise LookupError(name) from None
        if text.startswith("\ufeff"):
            text = text[1:]
        return text, name
    assert last is not None
    raise last


def decode_bytes(data: bytes, encoding: str, *, path: Path | str) -> tuple[str, str]:
    """Decode ``data``; returns ``(text, encoding used)``.

    Raises :class:`InputFormatError` naming the bad byte, its byte offset and line.
    """
    try:
        return _decode_chain(data, encoding)
    except LookupError as err:
        raise InputFormatError(f"unknown encoding {err.args[0]!r} (--encoding {encoding!r})", path=str(path),
                               hint=ENCODING_HINT + "; any Python codec name works (e.g. cp1252, utf-16)") from None
    except UnicodeDecodeError as err:
        bad = data[err.start:err.end]
        line = data.count(b"\n", 0, err.start) + 1
        shown = " ".join(f"0x{b:02X}" for b in bad[:4])
        raise InputFormatError(
            f"byte {shown} at offset {err.start} is not valid {err.encoding} (line {line})",
            path=str(path), hint=ENCODING_HINT) from None


def read_text(path: Path, encoding: str) -> tuple[str, str]:
    """Read and decode a whole file (see :func:`decode_bytes`), within the file-size and line-length limits
    (:mod:`evaluator.limits`)."""
    try:
        limits.check_file(path)
        data = Path(path).read_bytes()
    except OSError as err:
        raise InputFormatError(f"cannot read the file ({err.strerror})", path=str(path)) from None
    _check_lines(data, path)
    return decode_bytes(data, encoding, path=path)


def _check_lines(data: bytes, path: Path | str) -> None:
    """Raise the line-length limit's error for the first line that is too long."""
    limit = limits.LINE.bytes()
    if len(data) <= limit:
        return
    import numpy as np

    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    bounds = np.concatenate([[-1], ends, [len(data)]])
    long = np.flatnonzero(np.diff(bounds) - 1 > limit)
    if len(long):
        k = int(long[0])
        raise limits.LINE.error(f"line {k + 1}", int(bounds[k + 1] - bounds[k] - 1), path=path)


#: encodings a JSONL file is decoded with line by line (others, and fallback chains, decode the whole file)
_LINE_CODECS = {"utf-8": "strict", "utf8": "strict", "utf-8-sig": "strict", "utf-8-replace": "replace",
                "utf8-replace": "replace"}


def iter_lines(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of a text file split at ``\\n`` (not ``splitlines()``: U+2028 may sit inside JSON
    strings), without the newline.

    UTF-8 files are read line by line (memory stays bounded by the longest line, itself bounded by the
    line-length limit); other encodings and fallback chains are decoded whole (:func:`read_text`). Bytes that do
    not decode raise the error :func:`decode_bytes` raises, with the byte offset in the file.
    """
    errors = _LINE_CODECS.get(encoding.strip().lower().replace("_", "-"))
    if errors is None:
        text, _ = read_text(path, encoding)
        yield from enumerate(text.split("\n"), 1)
        return
    try:
        limits.check_file(path)
        fh = open(path, "rb")
    except OSError as err:
        raise InputFormatError(f"cannot read the file ({err.strerror})", path=str(path)) from None
    limit = limits.LINE.bytes()
    start = 0  # byte offset of the line in the file
    with fh:
        for no in itertools.count(1):
            raw = fh.readline(limit + 2)
            if not raw:
                return
            complete = raw.endswith(b"\n")
            body = raw[:-1] if complete else raw
            if len(body) > limit:
                raise limits.LINE.error(f"line {no}", len(body) if complete else None, path=path)
            skip = 3 if no == 1 and body.startswith(b"\xef\xbb\xbf") else 0  # a byte-order mark
            try:
                line = body[skip:].decode("utf-8", errors=errors)
            except UnicodeDecodeError as err:
                shown = " ".join(f"0x{b:02X}" for b in body[skip + err.start:skip + err.end][:4])
                raise InputFormatError(f"byte {shown} at offset {start + skip + err.start} is not valid "
                                       f"{err.encoding} (line {no})", path=str(path), hint=ENCODING_HINT) from None
            start += len(raw)
            yield no, line
#: deeper JSON is refused before parsing (Python's parser would hit its recursion limit near 1,000 levels)
MAX_JSON_DEPTH = 200


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON ``text`` nests arrays/objects more than ``limit`` levels (strings are skipped); cheap when the
    text has few brackets.

    >>> too_deep('{"a": [[1]]}'), too_deep("[" * 300 + "]" * 300), too_deep('"' + "[" * 300 + '"')
    (False, True, False)
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def iter_jsonl(path: Path, encoding: str, problems: Problems) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed object)`` of each non-blank line, read line by line (:func:`iter_lines`); bad
    JSON is added to ``problems``."""
    for no, line in iter_lines(path, encoding):
        if not line.strip():
            continue
        if too_deep(line):
            problems.add(f"JSON nested more than {MAX_JSON_DEPTH} levels deep", no,
                         hint="each line must hold one flat JSON object with a \"text\" key")
            continue
        try:
            obj = json.loads(line)
        except RecursionError:  # (too_deep guards against it; kept as a net)
            problems.add("JSON nested too deeply to read", no,
                         hint="each line must hold one flat JSON object with a \"text\" key")
            continue
        except ValueError as err:
            col = getattr(err, "colno", None)
            at = f" at column {col}" if col else ""
            problems.add(f"malformed JSON{at}: {getattr(err, 'msg', err)}", no,
                         hint="each line must hold one complete JSON object (JSON Lines); "
                              "a JSON array file is not JSONL")
            continue
        if not isinstance(obj, dict):
            problems.add(f"expected a JSON object, found {type(obj).__name__}", no,
                         hint="each line must hold one JSON object with a \"text\" key")
            continue
        yield no, obj


def get_text(obj: dict, key: str, where: int, problems: Problems) -> str | None:
    """The string under ``key``; records a problem when it is missing or not a string."""
    if key not in obj:
        keys = ", ".join(sorted(map(str, obj))) or "none"
        problems.add(f"no {key!r} key (keys: {keys})", where, hint=f"each record needs a {key!r} string")
        return None
    text = obj[key]
    if not isinstance(text, str):
        problems.add(f"{key!r} is {type(text).__name__}, not a string", where)
        return None
    return text


def bad_characters(value: str) -> str | None:
    """Why a string cannot be stored, or None: a NUL character (PostgreSQL refuses it in text, SQLite would keep
    it; one rule for both) or a lone surrogate (half of a UTF-16 pair, e.g. ``"\\ud800"`` in JSON: not text).

    >>> bad_characters("a\\x00b")
    'a NUL character (U+0000) at position 1'
    """
    nul = value.find("\x00")
    if nul >= 0:
        return f"a NUL character (U+0000) at position {nul}"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:
            return f"a lone surrogate (U+{ord(value[err.start]):04X}) at position {err.start}"
    return None


def _check_storable(rec: Record, where: int | None, problems: Problems) -> bool:
    """Text, labels and meta of a record can be stored as they are (see :func:`bad_characters`; meta must be
    JSON). Adds a problem and returns False otherwise."""
    bad = bad_characters(rec.text) if isinstance(rec.text, str) else None
    if bad:
        problems.add(f"the text holds {bad}", where,
                     hint="remove the character (a NUL or a lone surrogate is not text; JSON files must encode "
                          "characters outside the BMP as a surrogate pair or as UTF-8)")
        return False
    for label in [rec.label, *(sp.label for sp in rec.spans)]:
        if isinstance(label, str) and (bad := bad_characters(label)):
            problems.add(f"label {label!r} holds {bad}", where, hint="fix the label")
            return False
    try:
        json.dumps(rec.meta, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as err:
        problems.add(f"meta cannot be stored as JSON ({type(err).__name__}: {str(err)[:80]})", where,
                     hint="meta values must be JSON: strings, numbers, booleans, lists and objects (no bytes)")
        return False
    return True


def check_storable(records: list[Record], problems: Problems) -> list[Record]:
    """Check :func:`_check_storable` on every record; returns the records that passed."""
    return [r for r in records if _check_storable(r, r.line, problems)]


def make_span(start: Any, end: Any, label: Any, where: int, problems: Problems) -> Span | None:
    """A :class:`Span` from raw values, or ``None`` with a problem recorded."""
    if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
        problems.add(f"span offsets must be integers, got start={start!r} end={end!r}", where)
        return None
    if not isinstance(label, str) or not label.strip():
        problems.add(f"span {start}-{end} has no label (got {label!r})", where)
        return None
    return Span(start, end, label)


# ---------------------------------------------------------------------------------------------------- validation

def _describe(text: str, span: Span) -> str:
    frag = text[span.start:span.end]
    if len(frag) > 40:
        frag = frag[:37] + "..."
    return f"span {span.start}-{span.end} {span.label} ({frag!r})"


def snap_span(tokens: list[Token], span: Span, text: str) -> Span | None:
    """The span grown to the first and last non-whitespace token it overlaps (spaCy's ``expand`` mode)."""
    starts = [t.start for t in tokens]
    i = max(bisect.bisect_right(starts, span.start) - 1, 0)
    first = last = None
    for tok in tokens[i:]:
        if tok.start >= span.end:
            break
        if tok.end > span.start and text[tok.start:tok.end].strip():
            if first is None:
                first = tok
            last = tok
    if first is None or last is None:
        return None
    return Span(first.start, last.end, span.label)


def validate_records(records: list[Record], problems: Problems, *, snap: bool = False, lang: str = "en",
                     check_answer: bool = True, check_empty: bool = True, keep_misaligned: bool = False) -> None:
    """Check every record; add problems, never drop anything.

    * empty or whitespace-only texts; answers other than accept/reject/ignore
    * tokens outside the text or out of order
    * span offsets outside the text, reversed or empty spans
    * spans not on token boundaries (records without tokens are tokenized with ``spacy.blank(lang)`` first and
      keep those tokens); with ``snap`` they are moved to the enclosing tokens and counted in
      ``record.meta["_snapped"]``
    * overlapping spans

    ``keep_misaligned`` (prediction files) keeps spans that are off token boundaries or overlap, for the scorer
    to count as false positives.
    """
    for rec in records:  # a file's own "_snapped" is not our count of snapped spans
        if SNAPPED_KEY in rec.meta:
            rec.meta.pop(SNAPPED_KEY)
    records = check_storable(records, problems)
    need_tokens = [r for r in records if r.tokens is None and r.spans and r.text]
    if need_tokens:
        from evaluator.tokenize import ensure_tokens

        ensure_tokens(need_tokens, lang=lang)
    for rec in records:
        where = rec.line
        text = rec.text
        if check_empty and not text.strip():
            problems.add("empty text", where, hint="remove the record or give it a text")
        if check_answer and rec.answer not in ANSWERS and rec.answer != UNLABELED:
            problems.add(f"unknown answer {rec.answer!r}", where, hint="use accept, reject or ignore")
        if rec.tokens:
            prev = 0
            for k, tok in enumerate(rec.tokens):
                if tok.start < prev or tok.end < tok.start or tok.end > len(text):
                    problems.add(f"token {k} ({tok.start}-{tok.end}) is outside the text (length {len(text)}) "
                                 f"or out of order", where, hint="token offsets are characters into the text")
                    break
                prev = tok.end
        if not rec.spans:
            continue
        good: list[Span] = []
        snapped = 0
        starts = {t.start for t in rec.tokens} if rec.tokens else set()
        ends = {t.end for t in rec.tokens} if rec.tokens else set()
        for span in rec.spans:
            if span.start < 0 or span.end > len(text):
                problems.add(f"span {span.start}-{span.end} {span.label} is outside the text (length {len(text)})",
                             where, hint="offsets are characters into this record's text, end exclusive")
                continue
            if span.end <= span.start:
                problems.add(f"span {span.start}-{span.end} {span.label} is empty or reversed", where,
                             hint="end must be greater than start (end is exclusive)")
                continue
            if keep_misaligned:
                good.append(span)
                continue
            if rec.tokens is not None and (span.start not in starts or span.end not in ends):
                fixed = snap_span(rec.tokens, span, text)
                if snap and fixed is not None:
                    if fixed != span:
                        snapped += 1
                    span = fixed
                elif snap:
                    problems.add(f"{_describe(text, span)} covers no token", where,
                                 hint="remove the span; it holds only whitespace")
                    continue
                else:
                    near = f" (enclosing tokens: {_describe(text, fixed)[5:]})" if fixed else ""
                    problems.add(f"{_describe(text, span)} is not on token boundaries{near}", where,
                                 hint=SNAP_HINT)
                    continue
            good.append(span)
        good.sort()
        for a, b in zip(good, good[1:]) if not keep_misaligned else ():
            if b.start < a.end:
                problems.add(f"{_describe(text, a)} and {_describe(text, b)} overlap", where,
                             hint="NER spans must not overlap; remove one of them")
        rec.spans = good
        if snapped:
            rec.meta[SNAPPED_KEY] = snapped


def snapped_count(records: list[Record]) -> int:
    """How many spans ``snap_spans`` moved, over all records."""
    return sum(int(r.meta.get(SNAPPED_KEY, 0)) for r in records)


def public_meta(meta: dict) -> dict:
    """Meta without the reader's bookkeeping keys (those starting with ``_``)."""
    return {k: v for k, v in meta.items() if not str(k).startswith("_")}


def token_tuples(rec: Record, lang: str = "en") -> list[Token]:
    """The record's tokens, tokenizing when it has none."""
    if rec.tokens is None:
        from evaluator.tokenize import ensure_tokens

        ensure_tokens([rec], lang=lang)
    assert rec.tokens is not None
    return rec.tokens
