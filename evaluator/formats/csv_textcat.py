"""Text classification tables: ``csv`` and ``textcat-jsonl``.

``csv``: with a header row, the text and label columns are named by ``ReadOptions.text_column`` and
``label_column`` (exact name, else a unique case-insensitive match; several text columns as ``"Title,Body"`` are
joined with a space; other columns go to ``meta``). Without a header (``has_header=False``) columns are positions:
by default the label is column 0 and the text is all other columns joined with a space (AG News:
``"class","title","description"``); give positions as ``text_column="1,2"``, ``label_column="0"``.
``label_map`` maps raw values to names (AG News: ``{"1": "World", ...}``); with a map, an unmapped value is an
error. ``label_column=""`` reads texts without labels. A row without a label is read with answer ``unlabeled``
(a raw text for the pool, no annotation).

``textcat-jsonl``: ``{"text": ..., "label": ...}`` per line with the same configurable keys; ``answer`` and
``meta`` keys are honoured, other keys go to ``meta``.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Iterable

from evaluator.errors import ConfigError, InputFormatError
from evaluator.formats._common import UNLABELED, Problems, iter_jsonl, public_meta, read_text, validate_records
from evaluator.formats.base import ReadOptions, register
from evaluator.records import Record

_DEFAULT_TEXT, _DEFAULT_LABEL = "text", "label"


def _names(spec: str) -> list[str]:
    return [p.strip() for p in str(spec).split(",") if p.strip()]


def _resolve(spec: str, header: list[str], path: Path, what: str) -> list[int]:
    idx: list[int] = []
    lowered = [h.strip().lower() for h in header]
    for name in _names(spec):
        if name in header:
            idx.append(header.index(name))
        elif lowered.count(name.lower()) == 1:
            idx.append(lowered.index(name.lower()))
        elif name.isdigit() and int(name) < len(header):
            idx.append(int(name))
        else:
            cols = ", ".join(repr(h) for h in header)
            raise InputFormatError(f"no {what} column {name!r}; the columns are {cols}", path=str(path), line=1,
                                   hint=f"pass --{what}-column with one of them")
    return idx


def _position(spec: str, what: str) -> int:
    if not str(spec).strip().isdigit():
        raise ConfigError(f"--{what}-column {spec!r} must be a column position (0-based) when the CSV has no header",
                          hint=f"e.g. --{what}-column {'1,2' if what == 'text' else '0'}, or read it with a header")
    return int(spec)


def _map_label(raw: str | None, options: ReadOptions, no: int, problems: Problems) -> str | None:
    if raw is None:
        return None
    raw = raw.strip()
    if not raw:
        return None
    if options.label_map:
        if raw not in options.label_map:
            known = ", ".join(sorted(options.label_map))
            problems.add(f"label value {raw!r} is not in the label map ({known})", no,
                         hint="add it to the label map or fix the row")
            return None
        return options.label_map[raw]
    return raw


def _allow_long_fields() -> None:
    # the csv module refuses fields over 131,072 characters by default; a long text is still a valid field
    if csv.field_size_limit() < sys.maxsize:
        csv.field_size_limit(sys.maxsize)


#: first characters that make spreadsheet programs evaluate a cell as a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell that Excel/LibreOffice would evaluate as a formula, prefixed with ``'`` so it shows as text.

    >>> spreadsheet_safe("=1+2"), spreadsheet_safe("@SUM(A1)"), spreadsheet_safe("Peter")
    ("'=1+2", "'@SUM(A1)", 'Peter')
    """
    return "'" + cell if cell.startswith(FORMULA_START) else cell


class CsvFormat:
    name = "csv"
    task = "textcat"
    extensions = (".csv",)
    description = "CSV for text classification: text/label columns by name, or by position without a header"

    def read(self, path: Path, options: ReadOptions | None = None) -> list[Record]:
        options = options or ReadOptions()
        raw, _ = read_text(path, options.encoding)
        _allow_long_fields()
        reader = csv.reader(io.StringIO(raw, newline=""))
        problems = Problems(path)
        records: list[Record] = []
        header: list[str] | None = None
        text_idx: list[int] = []
        label_idx: int | None = None
        if options.has_header:
            try:
                header = next(reader)
            except StopIteration:
                raise InputFormatError("the file is empty", path=str(path)) from None
            except csv.Error as err:
                raise InputFormatError(f"malformed CSV: {err}", path=str(path), line=1) from None
            text_idx = _resolve(options.text_column, header, path, "text")
            if options.label_column:
                label_idx = _resolve(options.label_column, header, path, "label")[0]
        else:
            if options.label_column and options.label_column != _DEFAULT_LABEL:
                label_idx = _position(options.label_column, "label")
            elif options.label_column:
                label_idx = 0
            if options.text_column != _DEFAULT_TEXT:
                text_idx = [_position(p, "text") for p in _names(options.text_column)]
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                problems.add(f"malformed CSV: {err}", start, hint="check quotes: a field with a comma, quote or "
                                                                   "newline must be quoted, quotes doubled")
                break
            no, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if header is not None and len(row) != len(header):
                problems.add(f"row has {len(row)} fields, the header has {len(header)}", no,
                             hint="quote fields that contain commas")
                continue
            cols = text_idx or [i for i in range(len(row)) if i != label_idx]
            if max(cols + [label_idx or 0]) >= len(row):
                problems.add(f"row has {len(row)} fields; columns {cols} and label {label_idx} are expected", no)
                continue
            text = " ".join(row[i] for i in cols)
            label = _map_label(row[label_idx] if label_idx is not None else None, options, no, problems)
            meta = {}
            if header is not None:
                meta = {header[i]: v for i, v in enumerate(row) if i not in cols and i != label_idx}
            records.append(Record(text, label=label, meta=meta, line=no,
                                  answer="accept" if label is not None else UNLABELED))
        validate_records(records, problems, lang=options.lang)
        problems.raise_if_any()
        return records

    def write(self, records: Iterable[Record], path: Path, *, task: str = "textcat") -> None:
        """Write ``text,label`` with a header row; cells a spreadsheet would run as a formula are escaped
        (:func:`spreadsheet_safe`)."""
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "label"])
            for rec in records:
                w.writerow([spreadsheet_safe(rec.text), spreadsheet_safe(rec.label if rec.label is not None else "")])


class TextcatJsonlFormat:
    name = "textcat-jsonl"
    task = "textcat"
    extensions = (".jsonl",)
    description = 'JSONL for text classification: {"text": ..., "label": ...} (keys configurable)'

    def read(self, path: Path, options: ReadOptions | None = None) -> list[Record]:
        options = options or ReadOptions()
        problems = Problems(path)
        records: list[Record] = []
        tkey, lkey = options.text_column, options.label_column
        for no, obj in iter_jsonl(path, options.encoding, problems):
            if tkey not in obj:
                keys = ", ".join(map(str, obj)) or "none"
                problems.add(f"no {tkey!r} key (keys: {keys})", no, hint="pass --text-column with the text key")
                continue
            text = obj[tkey]
            if not isinstance(text, str):
                problems.add(f"{tkey!r} is {type(text).__name__}, not a string", no)
                continue
            raw = obj.get(lkey) if lkey else None
            if isinstance(raw, list):
                if len(raw) > 1:
                    problems.add(f"{len(raw)} labels {raw!r:.60}; only single-label classification is supported",
                                 no, hint="keep one label per example")
                    raw = None
                else:
                    raw = raw[0] if raw else None
            if raw is not None and not isinstance(raw, str):
                raw = str(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else raw
                if not isinstance(raw, str):
                    problems.add(f"label {raw!r:.40} is not a string", no)
                    raw = None
            label = _map_label(raw, options, no, problems)
            meta = dict(obj["meta"]) if isinstance(obj.get("meta"), dict) else {}
            meta.update({k: v for k, v in obj.items() if k not in (tkey, lkey, "meta", "answer")})
            answer = obj.get("answer", "accept" if label is not None else UNLABELED)
            records.append(Record(text, label=label, meta=meta, line=no,
                                  answer=answer if isinstance(answer, str) else repr(answer)))
        validate_records(records, problems, lang=options.lang)
        problems.raise_if_any()
        return records

    def write(self, records: Iterable[Record], path: Path, *, task: str = "textcat") -> None:
        with open(path, "w", encoding="utf-8") as fh:
            for rec in records:
                obj: dict = {"text": rec.text, "label": rec.label}
                if rec.answer not in ("accept", UNLABELED):
                    obj["answer"] = rec.answer
                meta = public_meta(rec.meta)
                if meta:
                    obj["meta"] = meta
                fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


register(CsvFormat())
register(TextcatJsonlFormat())
