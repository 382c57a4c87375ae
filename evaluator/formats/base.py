"""Format registry and the contract every format module follows.

A format turns a file into a list of :class:`~evaluator.records.Record` (``read``) and back (``write``).
Readers validate as they go and raise :class:`~evaluator.errors.InputFormatError` naming the file, the line or
record, and the fix; they collect all problems of a file and raise :class:`~evaluator.errors.ValidationError`
when there are several. Readers never drop data silently.
"""
from __future__ import annotations

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


def detect_format(path: Path, *, task: str | None = None) -> Format:
    """Guess the format from the path (folder -> folder layout, extension, then first line of JSONL)."""
    _load_all()
    path = Path(path)
    if path.is_dir():
        return get_format("folder")
    suffix = path.suffix.lower()
    if suffix == ".spacy":
        return get_format("spacy-docbin")
    if suffix in (".conll", ".iob", ".bio", ".txt", ".tsv") or path.name.startswith("eng.") or suffix in (".testa", ".testb", ".train", ".annotated"):
        return get_format("conll")
    if suffix == ".csv":
        return get_format("csv")
    if suffix == ".json":
        return get_format("labelstudio")
    if suffix == ".jsonl":
        import json
        with open(path, "rb") as fh:
            first = fh.readline()
        try:
            from evaluator.formats._common import too_deep
            text = first.decode("utf-8-sig", "replace")
            obj = json.loads(text) if text.strip() and not too_deep(text) else {}
        except (ValueError, RecursionError):  # the reader reports it with the line
            obj = {}
        if isinstance(obj, dict):
            if "tags" in obj and "tokens" in obj:
                return get_format("token-jsonl")
            if "spans" in obj or "_input_hash" in obj or "answer" in obj:
                return get_format("prodigy-jsonl")
            if isinstance(obj.get("label"), list) or isinstance(obj.get("labels"), list) or "entities" in obj:
                return get_format("doccano-jsonl")
            if isinstance(obj.get("label"), str) or task == "textcat":
                return get_format("textcat-jsonl")
        return get_format("prodigy-jsonl")
    known = ", ".join(sorted(_REGISTRY))
    raise ConfigError(f"Cannot tell the format of {path}.", hint=f"pass --format with one of: {known}")
