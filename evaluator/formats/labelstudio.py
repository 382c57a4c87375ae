"""Label Studio JSON export (``labelstudio``): a JSON array of tasks.

``[{"data": {"text": ...}, "annotations": [{"result": [{"type": "labels", "value": {"start", "end", "text",
"labels": [LABEL]}}], "was_cancelled": false}]}]``; text classification uses ``"type": "choices"`` with
``value.choices``. The first annotation that was not cancelled is used; a task whose annotations were all
cancelled is read with answer ``ignore``, a task without annotations with answer ``unlabeled`` (no annotation). Errors name the task as ``record N`` (1-based index in the array).
Region offsets that only match ``value.text`` when read as UTF-16 code units (JavaScript strings) are converted
and counted in ``meta["_utf16_offsets"]``. The short "JSON-MIN" export (``{"text", "label": [regions]}``) is read
too. ``ReadOptions.text_column`` names the ``data`` key holding the text (default ``text``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from evaluator.formats._common import (MAX_JSON_DEPTH, UNLABELED, Problems, make_span, public_meta, read_text,
                                       too_deep, validate_records)
from evaluator.errors import InputFormatError
from evaluator.formats.base import ReadOptions, register
from evaluator.records import Record, Span


def _utf16_to_index(text: str, offset: int) -> int | None:
    """Code-point index of a UTF-16 code-unit offset, or None when it falls inside a character."""
    units = 0
    for i, ch in enumerate(text):
        if units == offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


def _region_span(value: dict, text: str, n: int, problems: Problems, meta: dict) -> list[Span]:
    labels = value.get("labels")
    if labels is None:
        labels = value.get("hypertextlabels") or value.get("label")
    if isinstance(labels, str):
        labels = [labels]
    if not isinstance(labels, list) or not labels:
        problems.add(f"region {value.get('start')}-{value.get('end')} has no labels", n)
        return []
    if len(labels) > 1:
        problems.add(f"region {value.get('start')}-{value.get('end')} has {len(labels)} labels {labels!r:.60}",
                     n, hint="give each region one label (overlapping spans are not supported)")
        return []
    span = make_span(value.get("start"), value.get("end"), labels[0], n, problems)
    if span is None:
        return []
    region_text = value.get("text")
    if isinstance(region_text, str) and text[span.start:span.end] != region_text:
        start16, end16 = _utf16_to_index(text, span.start), _utf16_to_index(text, span.end)
        if start16 is not None and end16 is not None and text[start16:end16] == region_text:
            meta["_utf16_offsets"] = meta.get("_utf16_offsets", 0) + 1
            return [Span(start16, end16, span.label)]
        problems.add(f"region {span.start}-{span.end} {span.label} says text {region_text!r:.40} but the text "
                     f"there is {text[span.start:span.end]!r:.40}", n,
                     hint="the export does not match the task text; re-export from Label Studio")
        return []
    return [span]


def _choice(value: dict, n: int, problems: Problems) -> str | None:
    choices = value.get("choices")
    if isinstance(choices, str):
        return choices
    if not isinstance(choices, list) or not choices:
        problems.add("a choices result has no choices", n)
        return None
    if len(choices) > 1:
        problems.add(f"{len(choices)} choices {choices!r:.60}; only single-label classification is supported", n,
                     hint="use a single-choice control (choice=\"single\")")
        return None
    return str(choices[0])


class LabelStudioFormat:
    name = "labelstudio"
    task = "both"
    extensions = (".json",)
    description = "Label Studio JSON export (tasks with annotations; labels for NER, choices for textcat)"

    def read(self, path: Path, options: ReadOptions | None = None) -> list[Record]:
        options = options or ReadOptions()
        raw, _ = read_text(path, options.encoding)
        if too_deep(raw):
            raise InputFormatError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep", path=str(path),
                                   hint="export from Label Studio as JSON (an array of tasks)")
        try:
            tasks = json.loads(raw)
        except RecursionError:  # (too_deep guards against it; kept as a net)
            raise InputFormatError("JSON nested too deeply to read", path=str(path),
                                   hint="export from Label Studio as JSON (an array of tasks)") from None
        except ValueError as err:
            line = getattr(err, "lineno", None)
            raise InputFormatError(f"malformed JSON: {getattr(err, 'msg', err)}", path=str(path), line=line,
                                   hint="export from Label Studio as JSON (an array of tasks)") from None
        if isinstance(tasks, dict):
            tasks = [tasks]
        if not isinstance(tasks, list):
            raise InputFormatError("expected a JSON array of tasks", path=str(path),
                                   hint="export from Label Studio as JSON")
        problems = Problems(path, unit="record")
        records: list[Record] = []
        text_key = options.text_column or "text"
        for n, task in enumerate(tasks, 1):
            if not isinstance(task, dict):
                problems.add(f"expected a task object, found {type(task).__name__}", n)
                continue
            data = task.get("data") if isinstance(task.get("data"), dict) else None
            source = data if data is not None else task
            text = source.get(text_key)
            if text is None and data is not None:
                strings = [v for v in data.values() if isinstance(v, str)]
                text = strings[0] if len(strings) == 1 else None
            if not isinstance(text, str):
                keys = ", ".join(map(str, source)) or "none"
                problems.add(f"no text under data.{text_key} (keys: {keys})", n,
                             hint="pass --text-column with the data key that holds the text")
                continue
            meta: dict[str, Any] = dict(task["meta"]) if isinstance(task.get("meta"), dict) else {}
            if task.get("id") is not None:
                meta["_ls_id"] = task["id"]
            spans: list[Span] = []
            label = None
            answer = "accept"
            if data is None:  # JSON-MIN export
                results = task.get(options.label_column) or task.get("label")
                if isinstance(results, str):
                    label = results
                elif isinstance(results, list):
                    for value in results:
                        if isinstance(value, dict):
                            spans.extend(_region_span(value, text, n, problems, meta))
                        else:
                            problems.add(f"cannot read region {value!r:.60}", n)
            else:
                annotations = task.get("annotations", task.get("completions")) or []
                if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
                    problems.add(f"'annotations' must be a list of annotation objects, got {annotations!r:.60}", n,
                                 hint="export from Label Studio as JSON; each annotation is an object with a "
                                      "'result' list")
                    continue
                usable = [a for a in annotations if not a.get("was_cancelled")]
                if not annotations:
                    answer = UNLABELED
                elif not usable:
                    answer = "ignore"
                else:
                    ann = usable[0]
                    if ann.get("completed_by") is not None:
                        by = ann["completed_by"]
                        meta["_annotator_id"] = by.get("email", by.get("id")) if isinstance(by, dict) else by
                    results = ann.get("result") or []
                    if not isinstance(results, list):
                        problems.add(f"'result' must be a list of regions, got {results!r:.60}", n,
                                     hint="export from Label Studio as JSON")
                        results = []
                    for res in results:
                        if isinstance(res, dict) and res.get("type") == "relation":
                            continue  # relations between regions are not read
                        if not isinstance(res, dict) or not isinstance(res.get("value"), dict):
                            problems.add(f"cannot read result {res!r:.60}: expected an object with a 'value' "
                                         "object", n, hint="export from Label Studio as JSON")
                            continue
                        kind = res.get("type")
                        if kind in ("labels", "hypertextlabels") or "labels" in res["value"]:
                            spans.extend(_region_span(res["value"], text, n, problems, meta))
                        elif kind == "choices" or "choices" in res["value"]:
                            if label is not None:
                                problems.add("more than one choices result", n,
                                             hint="use one single-choice control per task")
                            label = _choice(res["value"], n, problems)
            records.append(Record(text, spans=spans, label=label, answer=answer, meta=meta, line=n))
        validate_records(records, problems, snap=options.snap_spans, lang=options.lang,
                         keep_misaligned=options.keep_misaligned)
        problems.raise_if_any()
        return records

    def write(self, records: Iterable[Record], path: Path, *, task: str = "ner") -> None:
        """Write a Label Studio JSON export; non-accept records are written as cancelled annotations."""
        tasks = []
        for i, rec in enumerate(records, 1):
            result: list[dict] = []
            if task == "textcat":
                if rec.label is not None:
                    result.append({"id": f"r{i}", "from_name": "label", "to_name": "text", "type": "choices",
                                   "value": {"choices": [rec.label]}})
            else:
                for k, s in enumerate(sorted(rec.spans)):
                    result.append({"id": f"r{i}-{k}", "from_name": "label", "to_name": "text", "type": "labels",
                                   "value": {"start": s.start, "end": s.end, "text": rec.text[s.start:s.end],
                                             "labels": [s.label]}})
            item: dict = {"id": i, "data": {"text": rec.text}, "meta": public_meta(rec.meta)}
            if rec.answer != UNLABELED:
                item["annotations"] = [{"id": i, "result": result, "was_cancelled": rec.answer != "accept"}]
            else:
                item["annotations"] = []
            tasks.append(item)
        Path(path).write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")


register(LabelStudioFormat())
