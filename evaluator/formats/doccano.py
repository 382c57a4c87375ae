"""doccano JSONL export (``doccano-jsonl``).

NER: ``{"text": ..., "label": [[start, end, LABEL], ...]}``; other doccano versions write ``labels`` or
``entities`` as lists of ``{start_offset, end_offset, label}`` objects, which are read too.
Text classification: ``{"text": ..., "label": ["category"]}`` (a list of strings; single label only).
Other keys (``id``, ``Comments``, ...) go to ``meta``; an ``answer`` key (written for non-accept records) is read back. doccano has no tokens: spans are checked against
spaCy's rule-based tokenizer for ``ReadOptions.lang``, and those tokens are kept on the records.
Writes the ``[[start, end, label]]`` form (textcat: ``"label": [category]``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from evaluator.formats._common import Problems, get_text, iter_jsonl, make_span, public_meta, validate_records
from evaluator.formats.base import ReadOptions, register
from evaluator.records import Record, Span

_TEXT_KEYS = ("text", "data")
_LABEL_KEYS = ("label", "labels", "entities", "cats")


def _parse_labels(raw: Any, no: int, problems: Problems) -> tuple[list[Span], str | None]:
    spans: list[Span] = []
    cats: list[str] = []
    if not isinstance(raw, list):
        if isinstance(raw, str):
            return spans, raw
        problems.add(f"labels must be a list, got {type(raw).__name__}", no,
                     hint='use "label": [[start, end, "LABEL"], ...] or "label": ["category"]')
        return spans, None
    for item in raw:
        if isinstance(item, str):
            cats.append(item)
        elif isinstance(item, (list, tuple)) and len(item) == 3:
            span = make_span(item[0], item[1], item[2], no, problems)
            if span is not None:
                spans.append(span)
        elif isinstance(item, dict) and ("start_offset" in item or "start" in item):
            start = item.get("start_offset", item.get("start"))
            end = item.get("end_offset", item.get("end"))
            span = make_span(start, end, item.get("label"), no, problems)
            if span is not None:
                spans.append(span)
        elif isinstance(item, dict) and isinstance(item.get("label"), str):
            cats.append(item["label"])
        else:
            problems.add(f"cannot read label {item!r:.60}", no,
                         hint="expected [start, end, label], {start_offset, end_offset, label} or a category")
    if spans and cats:
        problems.add("record mixes spans and categories", no, hint="import NER and textcat data separately")
    if len(cats) > 1:
        problems.add(f"{len(cats)} categories ({cats!r:.60}); only single-label classification is supported", no,
                     hint="keep one category per example")
        return spans, None
    return spans, (cats[0] if cats else None)


class DoccanoFormat:
    name = "doccano-jsonl"
    task = "both"
    extensions = (".jsonl",)
    description = 'doccano JSONL export: "label": [[start, end, LABEL]] for NER, ["category"] for textcat'

    def read(self, path: Path, options: ReadOptions | None = None) -> list[Record]:
        options = options or ReadOptions()
        problems = Problems(path)
        records: list[Record] = []
        for no, obj in iter_jsonl(path, options.encoding, problems):
            text_key = next((k for k in _TEXT_KEYS if k in obj), "text")
            text = get_text(obj, text_key, no, problems)
            if text is None:
                continue
            label_key = next((k for k in _LABEL_KEYS if k in obj), None)
            spans, label = _parse_labels(obj[label_key], no, problems) if label_key else ([], None)
            meta = {k: v for k, v in obj.items() if k not in (text_key, label_key, "answer")}
            answer = obj.get("answer", "accept")
            records.append(Record(text, spans=spans, label=label, meta=meta, line=no,
                                  answer=answer if isinstance(answer, str) else repr(answer)))
        validate_records(records, problems, snap=options.snap_spans, lang=options.lang,
                         keep_misaligned=options.keep_misaligned)
        problems.raise_if_any()
        return records

    def write(self, records: Iterable[Record], path: Path, *, task: str = "ner") -> None:
        with open(path, "w", encoding="utf-8") as fh:
            for rec in records:
                if task == "textcat":
                    label: list = [rec.label] if rec.label is not None else []
                else:
                    label = [s.as_list() for s in sorted(rec.spans)]
                obj = {k: v for k, v in public_meta(rec.meta).items() if k not in ("text", "label", "answer")}
                obj = {"text": rec.text, "label": label, **obj}
                if rec.answer != "accept":
                    obj["answer"] = rec.answer
                fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


register(DoccanoFormat())
