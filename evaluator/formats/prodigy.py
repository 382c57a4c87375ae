"""Prodigy JSONL (``prodigy-jsonl``): what ``prodigy db-out`` writes.

NER: ``text``, ``tokens`` ``[{text, start, end, id}]``, ``spans`` ``[{start, end, label, token_start,
token_end}]`` (extra keys such as ``source`` are fine), ``answer``, ``meta``, ``_input_hash``.
Text classification: ``label`` (binary ``textcat.teach``) or ``options`` + ``accept`` (choice interface; single
label: the one accepted option). Records with ``reject``/``ignore`` answers are kept with that answer; only
``accept`` counts as an annotation downstream. A record without ``answer`` and without spans or a label is a
raw input task: it is read with answer ``unlabeled`` (no annotation) and written back without ``answer``.

Reader bookkeeping lands in ``meta`` under keys starting with ``_``: ``_input_hash``/``_task_hash`` (Prodigy's
own; ``_input_hash`` is written back on export), ``_session_id``/``_annotator_id`` when present, ``_snapped``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from evaluator.formats._common import (
    UNLABELED, Problems, get_text, iter_jsonl, make_span, public_meta, token_tuples, validate_records,
)
from evaluator.formats.base import ReadOptions, register
from evaluator.records import Record, Token, align_span, input_hash

_KEEP_HIDDEN = ("_input_hash", "_task_hash", "_session_id", "_annotator_id")


def prodigy_hash(text: str) -> int:
    """A signed 32-bit hash of the normalized text, for records that never had a Prodigy ``_input_hash``."""
    value = int(input_hash(text)[:8], 16)
    return value - (1 << 32) if value >= (1 << 31) else value


_NO_TEXT = object()


def _tokens(obj: dict, text: str, no: int, problems: Problems) -> list[Token] | None:
    raw = obj.get("tokens")
    if raw is None:
        return None
    if isinstance(raw, list):
        # the usual case in one pass: dicts with int offsets and, when given, the text at those offsets
        try:
            rows = [(t["start"], t["end"], t.get("text", _NO_TEXT)) for t in raw]
        except (TypeError, KeyError, AttributeError):
            rows = None
        if rows is not None and all(type(s) is int and type(e) is int and (w is _NO_TEXT or w == text[s:e])
                                    for s, e, w in rows):
            return [Token(s, e) for s, e, _ in rows]
    return _tokens_checked(raw, text, no, problems)


def _tokens_checked(raw: object, text: str, no: int, problems: Problems) -> list[Token] | None:
    """Tokens one by one, each problem recorded (the slow path of :func:`_tokens`, for files with problems)."""
    if not isinstance(raw, list):
        problems.add("'tokens' must be a list of {text, start, end, id} objects", no)
        return None
    tokens: list[Token] = []
    for k, t in enumerate(raw):
        if not isinstance(t, dict) or not all(isinstance(t.get(key), int) and not isinstance(t.get(key), bool)
                                              for key in ("start", "end")):
            problems.add(f"token {k} needs integer 'start' and 'end' (got {t!r:.60})", no)
            return None
        tok = Token(t["start"], t["end"])
        if "text" in t and t["text"] != text[tok.start:tok.end]:
            problems.add(f"token {k} text {t['text']!r} does not match the text at {tok.start}-{tok.end} "
                         f"({text[tok.start:tok.end]!r})", no, hint="token offsets are characters into 'text'")
            return None
        tokens.append(tok)
    return tokens


def _label(obj: dict, no: int, problems: Problems) -> str | None:
    if "accept" in obj and isinstance(obj.get("accept"), list):
        accepted = obj["accept"]
        if len(accepted) > 1:
            problems.add(f"{len(accepted)} options accepted ({accepted!r:.60}); only single-label "
                         f"classification is supported", no, hint="keep one accepted option per example")
            return None
        if accepted:
            return str(accepted[0])
        return None
    label = obj.get("label")
    if label is None or isinstance(label, str):
        return label
    problems.add(f"'label' must be a string, got {type(label).__name__}", no)
    return None


class ProdigyFormat:
    name = "prodigy-jsonl"
    task = "both"
    extensions = (".jsonl",)
    description = "Prodigy JSONL (db-out): tokens + spans for NER, label or accept/options for textcat"

    def read(self, path: Path, options: ReadOptions | None = None) -> list[Record]:
        options = options or ReadOptions()
        problems = Problems(path)
        records: list[Record] = []
        for no, obj in iter_jsonl(path, options.encoding, problems):
            text = get_text(obj, "text", no, problems)
            if text is None:
                continue
            tokens = _tokens(obj, text, no, problems)
            spans = []
            raw_spans = obj.get("spans") or []
            if not isinstance(raw_spans, list):
                problems.add("'spans' must be a list", no)
                raw_spans = []
            for sp in raw_spans:
                if not isinstance(sp, dict):
                    problems.add(f"span {sp!r:.40} is not an object", no)
                    continue
                span = make_span(sp.get("start"), sp.get("end"), sp.get("label"), no, problems)
                if span is None:
                    continue
                if "text" in sp and 0 <= span.start < span.end <= len(text) \
                        and sp["text"] != text[span.start:span.end]:
                    problems.add(f"span {span.start}-{span.end} {span.label} says text {sp['text']!r} but the "
                                 f"text there is {text[span.start:span.end]!r}", no,
                                 hint="offsets are characters into 'text', end exclusive")
                    continue
                if tokens and isinstance(sp.get("token_start"), int) and isinstance(sp.get("token_end"), int) \
                        and not options.snap_spans:
                    ts, te = sp["token_start"], sp["token_end"]
                    if not (0 <= ts <= te < len(tokens)) or tokens[ts].start != span.start \
                            or tokens[te].end != span.end:
                        aligned = align_span(tokens, span)
                        if aligned is not None:
                            problems.add(f"span {span.start}-{span.end} {span.label}: token_start/token_end "
                                         f"{ts}/{te} disagree with the offsets (tokens {aligned[0]}-{aligned[1]})",
                                         no, hint="fix token_start/token_end (token_end is inclusive)")
                            continue
                spans.append(span)
            answer = obj.get("answer")
            suggested = isinstance(obj.get("meta"), dict) and obj["meta"].get("suggested_by")
            if answer is None:  # a raw input task unless it carries annotation content (not a model's suggestion,
                # as in a batch from `evaluator next --out`: answers come back with an "answer")
                has_content = not suggested and bool(spans or raw_spans or obj.get("label") is not None
                                                     or obj.get("accept"))
                answer = "accept" if has_content else UNLABELED
            meta = dict(obj["meta"]) if isinstance(obj.get("meta"), dict) else {}
            if obj.get("meta") is not None and not isinstance(obj.get("meta"), dict):
                meta["meta"] = obj["meta"]
            for key in _KEEP_HIDDEN:
                if obj.get(key) is not None:
                    meta[key] = obj[key]
            records.append(Record(text, tokens=tokens, spans=spans, label=_label(obj, no, problems),
                                  answer=answer if isinstance(answer, str) else repr(answer), meta=meta, line=no))
        validate_records(records, problems, snap=options.snap_spans, lang=options.lang,
                         keep_misaligned=options.keep_misaligned)
        problems.raise_if_any()
        return records

    def write(self, records: Iterable[Record], path: Path, *, task: str = "ner", lang: str = "en") -> None:
        """Write Prodigy JSONL: NER with tokens and spans (token_start/token_end), textcat as options/accept."""
        records = list(records)
        labels = sorted({r.label for r in records if r.label is not None})
        with open(path, "w", encoding="utf-8") as fh:
            for rec in records:
                obj: dict = {"text": rec.text}
                if task == "textcat":
                    obj["options"] = [{"id": lab, "text": lab} for lab in labels]
                    obj["accept"] = [rec.label] if rec.label is not None else []
                else:
                    tokens = token_tuples(rec, lang)
                    obj["tokens"] = [
                        {"text": rec.text[t.start:t.end], "start": t.start, "end": t.end, "id": i,
                         "ws": t.end < len(rec.text) and rec.text[t.end].isspace()}
                        for i, t in enumerate(tokens)]
                    spans = []
                    for s in sorted(rec.spans):
                        d: dict = {"start": s.start, "end": s.end, "label": s.label}
                        aligned = align_span(tokens, s)
                        if aligned is not None:
                            d["token_start"], d["token_end"] = aligned
                        spans.append(d)
                    obj["spans"] = spans
                    if rec.label is not None:
                        obj["label"] = rec.label
                if rec.answer != UNLABELED:
                    obj["answer"] = rec.answer
                obj["meta"] = public_meta(rec.meta)
                obj["_input_hash"] = rec.meta.get("_input_hash", prodigy_hash(rec.text))
                # no _task_hash: the annotation may have changed; Prodigy recomputes a missing one
                for key in ("_session_id", "_annotator_id"):
                    if key in rec.meta:
                        obj[key] = rec.meta[key]
                fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


register(ProdigyFormat())
