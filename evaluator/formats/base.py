"""Format registry and the contract every format module follows.

A format turns a file into a list of :class:`~evaluator.records.Record` (``read``) and back (``write``).
Readers validate as they go and raise :class:`~evaluator.errors.InputFormatError` naming the file, the line or
record, and the fix; they collect all problems of a file and raise :class:`~evaluator.errors.ValidationError`
when there are several. Readers never drop data silently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Protocol

from evaluator.errors import ConfigError
from evaluator.records import Record


@dataclass
class ReadOptions:
    """Options every reader accepts (a reader ignores what does not apply to it)."""

    encoding: str = "utf-8"
    #: CoNLL: tagging scheme of the file, or "auto" to detect (IOB1, IOB2, IOBES, BILOU)
    scheme: str = "auto"
    #: CoNLL: which column holds the tag (default: last)
    tag_column: int = -1
    #: CSV/JSONL text classification: column names
    text_column: str = "text"
    label_column: str = "label"
    #: CSV without a header row: columns by position, e.g. AG News: label 0, text 1 and 2 joined
    has_header: bool = True
    #: map raw label values to names, e.g. {"1": "World"}
    label_map: dict[str, str] = field(default_factory=dict)
    #: move span offsets that are not on token boundaries to the nearest boundaries (counted in ``snapped``)
    snap_spans: bool = False
    #: prediction files: keep spans that are off token boundaries (and overlapping ones) instead of reporting
    #: them, so the scorer can count them as false positives (``misaligned``) rather than drop them
    keep_misaligned: bool = False
    #: language of the tokenizer used when a file has no tokens
    lang: str = "en"
    #: filled by readers: things the user should know that are not errors (skipped files, lenient tag readings);
    #: the importer reports them
    notes: list[str] = field(default_factory=list)


def parse_label_map(text: str | None) -> dict[str, str]:
    """``"1=World,2=Sports"`` -> ``{"1": "World", "2": "Sports"}`` (for ``--label-map``).

    >>> parse_label_map("1=World, 4=Sci/Tech")
    {'1': 'World', '4': 'Sci/Tech'}
    """
    mapping: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        raw, eq, name = item.partition("=")
        if not eq or not raw.strip() or not name.strip() or "=" in name:  # '=' in a name: a comma is missing
            raise ConfigError(f"Bad label map item {item.strip()!r}.",
                              hint="write RAW=NAME pairs separated by commas, e.g. 1=World,2=Sports")
        mapping[raw.strip()] = name.strip()
    return mapping


class Format(Protocol):
    name: str
    #: "ner", "textcat" or "both"
    task: str
    extensions: tuple[str, ...]
    description: str
    #: optional (default True): the format can hold texts without annotations (answer ``unlabeled``)
    #: keeps_unlabeled: bool

    def read(self, path: Path, options: ReadOptions) -> list[Record]: ...

    def write(self, records: Iterable[Record], path: Path, *, task: str) -> None: ...


_REGISTRY: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    _REGISTRY[fmt.name] = fmt
    return fmt


def _load_all() -> None:
    # import side effect: each module registers its format
    from evaluator.formats import (  # noqa: F401
        conll, csv_textcat, doccano, docbin, folder, labelstudio, prodigy, tokjsonl,
    )


def list_formats() -> list[Format]:
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda f: f.name)


def get_format(name: str) -> Format:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"Unknown format {name!r}.", hint=f"use one of: {known}") from None


#: extensions that name one format outright
_BY_EXTENSION = {".spacy": "spacy-docbin", ".csv": "csv", ".json": "labelstudio", ".conll": "conll", ".iob": "conll",
                 ".bio": "conll", ".testa": "conll", ".testb": "conll", ".train": "conll", ".annotated": "conll"}
#: extensions CoNLL files often have, but other text files too: the content decides, CoNLL when it cannot
_MOSTLY_CONLL = (".txt", ".tsv")
#: the tag column of a CoNLL line: O, or a scheme prefix (B I E S L U) with or without a type
_TAG = re.compile(r"^(?:O|[BIESLU](?:[-_].+)?)$")
_SNIFF_BYTES = 1 << 16
_SNIFF_LINES = 50


def detect_format(path: Path, *, task: str | None = None) -> Format:
    """Guess the format of a file: a folder is the folder layout; an extension that names one format decides
    (``.jsonl`` by its first line); otherwise the first lines do (CoNLL columns, JSON Lines, a Label Studio JSON
    array, CSV, a spaCy DocBin), so ``test.iob2`` or a file without an extension is read as what it holds.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "dev.iob2"
    >>> _ = p.write_text("-DOCSTART- O\\n\\nJohn B-PER\\nlives O\\nin O\\nParis B-LOC\\n")
    >>> detect_format(p).name
    'conll'
    """
    _load_all()
    path = Path(path)
    if path.is_dir():
        return get_format("folder")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return get_format(_jsonl_kind(_head(path), task) or "prodigy-jsonl")
    if suffix in _BY_EXTENSION or path.name.startswith("eng."):
        return get_format(_BY_EXTENSION.get(suffix, "conll"))
    found = _sniff(_head(path), task)
    if found:
        return get_format(found)
    if suffix in _MOSTLY_CONLL:
        return get_format("conll")  # the CoNLL reader says which line is wrong
    known = ", ".join(sorted(_REGISTRY))
    raise ConfigError(f"Cannot tell the format of {path}: neither its extension nor its first lines look like a "
                      "format this tool reads.", hint=f"pass --format with one of: {known}")


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(_SNIFF_BYTES)
    except OSError as err:
        raise ConfigError(f"Cannot read {path}: {err.strerror or err}.", hint="check the path and its permissions") \
            from None


def _jsonl_kind(head: bytes, task: str | None) -> str | None:
    """The JSON Lines format whose first record looks like ``head``'s first line, or None."""
    import json

    from evaluator.formats._common import too_deep

    first = head.split(b"\n", 1)[0].strip()
    try:
        text = first.decode("utf-8-sig", "replace")
        obj = json.loads(text) if text and not too_deep(text) else {}
    except (ValueError, RecursionError):  # the reader reports it with the line
        return None
    if not isinstance(obj, dict):
        return None
    if "tags" in obj and "tokens" in obj:
        return "token-jsonl"
    if "spans" in obj or "_input_hash" in obj or "answer" in obj:
        return "prodigy-jsonl"
    if isinstance(obj.get("label"), list) or isinstance(obj.get("labels"), list) or "entities" in obj:
        return "doccano-jsonl"
    if isinstance(obj.get("label"), str) or task == "textcat":
        return "textcat-jsonl"
    return "prodigy-jsonl" if "text" in obj else None


def _sniff(head: bytes, task: str | None) -> str | None:
    """The format the first bytes of a file look like, or None."""
    if head[:1] == b"\x78" and head[1:2] in (b"\x01", b"\x5e", b"\x9c", b"\xda"):
        return "spacy-docbin"  # zlib-compressed msgpack
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "labelstudio" if text[1:].lstrip().startswith("{") else None
    if text.startswith("{"):
        return _jsonl_kind(text.encode("utf-8"), task)
    lines = [ln for ln in text.splitlines()[:_SNIFF_LINES + 1] if ln.strip()][:_SNIFF_LINES]
    if len(text) >= _SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    if not lines:
        return None
    rows = [ln.split() for ln in lines if not ln.startswith("-DOCSTART-")]
    if rows and all(len(r) >= 2 and _TAG.match(r[-1]) for r in rows) and any(r[-1] != "O" for r in rows):
        return "conll"
    import csv

    try:
        widths = {len(r) for r in csv.reader(lines[:20])}
    except csv.Error:
        return None
    if len(lines) > 1 and len(widths) == 1 and widths.pop() >= 2:
        return "csv"
    return None
