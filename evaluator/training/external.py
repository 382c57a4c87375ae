"""Models trained elsewhere: a predictions file produced by any system, used as a fixed set of predictions.

The file can be in any format of the format registry (``prodigy-jsonl``, ``conll``, ``token-jsonl``, ``csv``, ...).
Its records are matched to the examples to predict by text (:func:`evaluator.records.input_hash`: normalized,
case-folded, whitespace collapsed; failing that, the same characters without any whitespace). When the matched
text differs in whitespace (e.g. CoNLL tokens joined by spaces), the spans are moved onto the example's own text. Examples without a match are an error that names them.
(A spaCy pipeline folder is served by :class:`evaluator.training.spacy_trainers.SpacyPredictor`.)
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from evaluator.errors import InputFormatError, NotFoundError
from evaluator.records import Record, Span
from evaluator.training.base import PredictProgress, Prediction


def remap_spans(src: str, dst: str, spans: Sequence[Span]) -> list[Span] | None:
    """Move character spans from ``src`` onto ``dst`` when both have the same non-whitespace characters.

    >>> remap_spans("New  York !", "New York!", [Span(0, 9, "LOC")])
    [Span(start=0, end=8, label='LOC')]
    """
    if src == dst:
        return list(spans)
    src_pos = [i for i, ch in enumerate(src) if not ch.isspace()]
    dst_pos = [i for i, ch in enumerate(dst) if not ch.isspace()]
    if len(src_pos) != len(dst_pos) or any(src[i] != dst[j] for i, j in zip(src_pos, dst_pos)):
        return None
    rank = {p: k for k, p in enumerate(src_pos)}
    out = []
    for s in spans:
        inside = [rank[i] for i in range(s.start, s.end) if i in rank]
        if not inside:
            continue
        out.append(Span(dst_pos[inside[0]], dst_pos[inside[-1]] + 1, s.label))
    return out


def _chars_key(text: str) -> str:
    """The text without any whitespace (matches CoNLL-style token-joined text to the original)."""
    return "".join(text.split())


class PredictionsFilePredictor:
    """Serve the predictions of a file, matched to examples by normalized text."""

    def __init__(self, records: Sequence[Record], *, task: str, source: str = "predictions file") -> None:
        self.task = task
        self.source = source
        self._by_hash: dict[str, Record] = {}
        self._by_chars: dict[str, Record] = {}
        for r in records:
            self._by_hash.setdefault(r.input_hash, r)
            self._by_chars.setdefault(_chars_key(r.text), r)

    @classmethod
    def from_file(cls, path: Path, *, task: str, format: str | None = None, lang: str = "en") -> "PredictionsFilePredictor":
        """Read ``path`` with the named (or detected) format."""
        from evaluator.formats.base import ReadOptions
        from evaluator.importer import read_file

        # spans off the token boundaries are kept: the scorer counts them as false positives (``misaligned``),
        # as `evaluator score` does for the same file, instead of refusing a system's output
        _, records = read_file(path, format=format, options=ReadOptions(lang=lang, keep_misaligned=True), task=task)
        if not records:
            raise InputFormatError("holds no predictions.", path=str(path), hint="check the file and --format")
        return cls(records, task=task, source=str(path))

    def __len__(self) -> int:
        return len(self._by_hash)

    def _match(self, r: Record) -> Prediction | None:
        p = self._by_hash.get(r.input_hash) or self._by_chars.get(_chars_key(r.text))
        if p is None:
            return None
        if self.task == "ner":
            spans = remap_spans(p.text, r.text, p.spans)
            return None if spans is None else Prediction(spans=spans)
        return Prediction(label=p.label, scores=None)

    def check_covers(self, records: Sequence[Record], *, target: str | None = None) -> None:
        """:class:`NotFoundError` naming the records the file has no prediction for (checked before any is
        stored, so a partial file writes nothing)."""
        missing = [r for r in records if self._match(r) is None]
        if missing:
            shown = "; ".join(repr(r.text[:50]) + (f" (example {r.id})" if r.id is not None else "")
                              for r in missing[:3])
            where = f" of {target}" if target else ""
            raise NotFoundError(
                f"{self.source} has no prediction for {len(missing)} of {len(records)} example(s){where}, "
                f"e.g. {shown}. Nothing was stored.",
                hint="predict on the same texts (the file is matched by text), or score only the examples it covers",
            )

    def predict(self, records: Sequence[Record], *, batch_size: int = 1024,
                progress: PredictProgress | None = None) -> list[Prediction]:
        """The file's prediction for each record; :class:`NotFoundError` naming the records it has none for."""
        self.check_covers(records)
        out: list[Prediction] = []
        for r in records:
            out.append(self._match(r))
            if progress is not None and len(out) % batch_size == 0:
                progress(len(out), len(records), "reading the predictions file")
        if progress is not None:
            progress(len(out), len(records))
        return out
