"""Import and export: one function each, all-or-nothing.

:func:`import_file` reads a file with a registered format, validates everything (format problems, labels, task,
leakage guard, frozen gold) *before* writing, then writes all rows in one transaction. Importing the same file
into the same target twice adds nothing and says so.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Iterable

import sqlalchemy as sa

from evaluator import db, limits
from evaluator.errors import ConfigError, InputFormatError, LeakageError, ValidationError
from evaluator.formats import ReadOptions, detect_format, get_format
from evaluator.progress import Progress, report as report_progress
from evaluator.records import Record, bulk_objects
from evaluator.store import (Target, assert_writable, collection_row, get_collection, leakage_check, parse_target,
                             records_for)
from evaluator.workspace import Workspace



def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def read_file(path: str | Path, *, format: str | None = None, options: ReadOptions | None = None,
              task: str | None = None) -> tuple[str, list[Record]]:
    """Read a file with the named (or detected) format; returns (format name, records), with tokens filled unless
    ``task`` is ``"textcat"``."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such file or folder.", hint="check the path")
    limits.check_file(path)
    fmt = get_format(format) if format else detect_format(path, task=task)
    options = options or ReadOptions()
    with bulk_objects():
        records = fmt.read(path, options)
        if task != "textcat":  # text classification needs no tokens: only spans are checked against them
            from evaluator.tokenize import ensure_tokens
            ensure_tokens(records, lang=options.lang)
    return fmt.name, records


def _check_task(records: list[Record], task: str, path: Path) -> None:
    problems: list[InputFormatError] = []
    for i, r in enumerate(records, 1):
        where = r.line or i
        if r.answer != "accept":
            continue
        if task == "textcat" and r.spans and not r.label:
            problems.append(InputFormatError("has entity spans but no category; this workspace is for text "
                                             "classification.", path=str(path), line=where,
                                             hint="import it into an NER workspace, or give a label column"))
        if task == "ner" and r.label and not r.spans and r.tokens is None:
            problems.append(InputFormatError("has a category but this workspace is for NER.", path=str(path),
                                             line=where, hint="import it into a textcat workspace"))
        if task == "textcat" and not r.label:
            problems.append(InputFormatError("has no category label.", path=str(path), line=where,
                                             hint="fill the label, or mark the record answer as ignore"))
    if problems:
        raise problems[0] if len(problems) == 1 else ValidationError(problems)


def _labels_in(records: Iterable[Record], task: str) -> Counter:
    counts: Counter = Counter()
    for r in records:
        if r.answer != "accept":
            continue
        if task == "ner":
            counts.update(s.label for s in r.spans)
        elif r.label:
            counts[r.label] += 1
    return counts


def import_file(ws: Workspace, path: str | Path, *, into: str | Target, format: str | None = None,
                options: ReadOptions | None = None, skip_gold_overlap: bool = False, extend_labels: bool = False,
                annotator: str = "import", progress: Progress | None = None) -> dict:
    """Import a file into ``pool``, ``round:N`` or ``gold:NAME``; returns a report dict.

    Nothing is written unless everything validates. ``skip_gold_overlap`` leaves out (and reports) examples whose
    text is in a gold set (for a round or the pool) or in a training round (for a gold set).
    """
    with bulk_objects():
        return _import_file(ws, path, into=into, format=format, options=options, skip_gold_overlap=skip_gold_overlap,
                            extend_labels=extend_labels, annotator=annotator, progress=progress)


def _import_file(ws: Workspace, path: str | Path, *, into: str | Target, format: str | None,
                 options: ReadOptions | None, skip_gold_overlap: bool, extend_labels: bool, annotator: str,
                 progress: Progress | None) -> dict:
    path = Path(path)
    target = parse_target(into) if isinstance(into, str) else into
    options = options or ReadOptions(lang=ws.lang)
    task = ws.task
    report_progress(progress, 0, None, f"reading {path.name}")
    fmt_name, records = read_file(path, format=format, options=options, task=task)
    sha = file_sha256(path)
    report: dict = {"file": str(path), "format": fmt_name, "target": str(target), "already_imported": False}
    if not records:
        raise InputFormatError("holds no records.", path=str(path), hint="check the file and the --format")
    _check_task(records, task, path)

    label_counts = _labels_in(records, task)
    known = set(ws.labels)
    unknown = sorted(set(label_counts) - known)
    if known and unknown and not extend_labels:
        raise ConfigError(f"{path}: labels not in the workspace label set: {', '.join(unknown)} "
                          f"(workspace labels: {', '.join(sorted(known))}). Nothing was imported.",
                          hint="pass --extend-labels to add them, or fix the file")
    snapped = 0
    for r in records:
        snapped += int(r.meta.pop("_snapped", 0) or 0)

    report_progress(progress, 0, len(records), "checking the leakage guard")
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)  # a concurrent import waits, then sees this one's rows (guard, "already imported")
        row = collection_row(conn, target)
        if row is not None:
            done = conn.execute(sa.select(db.imports.c.id).where(db.imports.c.collection_id == row["id"],
                                                                 db.imports.c.file_sha256 == sha)).first()
            if done:
                report.update(examples=0, annotations=0, already_imported=True,
                              message=f"{path.name} was already imported into {target}; nothing added.")
                return report
            if target.kind == "gold":
                assert_writable(row)
        against = "rounds" if target.kind == "gold" else "gold"
        what = "training rounds" if target.kind == "gold" else "a gold set"
        if target.kind == "gold":
            hint = ("pass --skip-gold-overlap to leave them out (a gold example must never be trained on)")
        else:
            hint = "pass --skip-gold-overlap to import the rest and leave these out"
        overlap = leakage_check(conn, records, against=against, where=f"in {path.name}", hint=hint,
                                skip=skip_gold_overlap)
        if overlap:
            drop = set(overlap)
            shown = [records[i] for i in overlap]
            keep = [r for i, r in enumerate(records) if i not in drop]
            report["skipped_gold_overlap"] = len(records) - len(keep)
            report["skipped_because"] = f"their text is already in {what}"
            report["skipped_examples"] = [r.text[:80] for r in shown[:5]]
            records = keep
            if not records:
                raise LeakageError(len(shown), [r.text for r in shown], found_in=what,
                                   where=f"in {path.name} (every example of the file)",
                                   hint="nothing is left to import; check that you picked the right file and target")

        # repeated texts are kept (published counts include them) and reported: exact repeats, and repeats
        # after normalization (what the leakage guard compares)
        exact = Counter(r.text for r in records)
        dups = {t: n for t, n in exact.items() if n > 1}
        report["duplicates_in_file"] = sum(n - 1 for n in dups.values())
        report["duplicate_texts"] = len(dups)
        report["duplicates_normalized"] = sum(n - 1 for n in Counter(r.input_hash for r in records).values())
        if dups:
            report["duplicate_examples"] = [t[:80] for t in list(dups)[:3]]

        if unknown and (extend_labels or not known):
            ws.add_labels(unknown, conn=conn)
            report["labels_added"] = unknown

        row = get_collection(ws, target, create=True, conn=conn)
        if target.kind == "gold":
            assert_writable(row)
        cid = row["id"]
        start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(db.examples.c.position), -1))
                             .where(db.examples.c.collection_id == cid)).scalar() + 1
        import_id = conn.execute(db.imports.insert().values(
            collection_id=cid, file_name=str(path), file_sha256=sha, format=fmt_name, report=None,
            created_at=db.utcnow())).inserted_primary_key[0]
        now = db.utcnow()
        chunk = 2000
        answers: Counter = Counter()
        for k in range(0, len(records), chunk):
            part = records[k:k + chunk]
            ex_rows = [{"collection_id": cid, "position": start + k + i, "text": r.text, "input_hash": r.input_hash,
                        "tokens": [[t.start, t.end] for t in r.tokens] if r.tokens is not None else None,
                        "meta": r.meta or None, "import_id": import_id, "created_at": now}
                       for i, r in enumerate(part)]
            ids = _insert_returning_ids(conn, ex_rows)
            ann_rows = []
            for ex_id, r in zip(ids, part):
                answers[r.answer] += 1
                if r.answer in ("accept", "reject", "ignore"):
                    ann_rows.append({"example_id": ex_id, "answer": r.answer,
                                     "spans": [s.as_list() for s in sorted(r.spans)] if task == "ner" else None,
                                     "label": r.label if task == "textcat" else None,
                                     "annotator": annotator, "created_at": now})
            if ann_rows:
                conn.execute(db.annotations.insert(), ann_rows)
            done = min(k + chunk, len(records))
            report_progress(progress, done, len(records), f"writing {done}/{len(records)} examples")
        report.update(examples=len(records), annotations=answers.get("accept", 0), answers=dict(answers),
                      snapped=snapped)
        if task == "ner":
            report["spans_per_label"] = dict(sorted(_labels_in(records, task).items()))
            report["spans"] = sum(report["spans_per_label"].values())
        else:
            report["labels"] = dict(sorted(_labels_in(records, task).items()))
        conn.execute(db.imports.update().where(db.imports.c.id == import_id).values(report=report))
    return report


def _insert_returning_ids(conn, rows: list[dict]) -> list[int]:
    """Bulk insert examples and return their ids in order (RETURNING on SQLite >= 3.35 and PostgreSQL)."""
    if not rows:
        return []
    stmt = db.examples.insert().returning(db.examples.c.id, sort_by_parameter_order=True)
    return [r[0] for r in conn.execute(stmt, rows)]


def export_records(ws: Workspace, source: str | Target, *, format: str, out: str | Path) -> dict:
    """Write a pool, round or gold set to ``out`` in a registered format; returns counts.

    The file holds the accepted annotations, and the texts without annotation when the format can mark them
    as unlabeled; Prodigy JSONL also keeps reject/ignore answers. ``left_out`` counts what the format could not
    hold, by answer. Nothing is left behind when writing fails.
    """
    target = parse_target(source) if isinstance(source, str) else source
    fmt = get_format(format)
    if fmt.task not in ("both", ws.task):
        from evaluator.formats import list_formats
        fits = ", ".join(f.name for f in list_formats() if f.task in ("both", ws.task))
        raise ConfigError(f"Format {fmt.name!r} holds {_TASK_WORDS[fmt.task]} data, but this workspace is for "
                          f"{_TASK_WORDS[ws.task]}; the export would lose every annotation.",
                          hint=f"use one of: {fits}")
    with ws.engine.connect() as conn:
        row = get_collection(ws, target, conn=conn)
        every = records_for(conn, row["id"], answers=None)
    # Prodigy JSONL keeps every answer; the other formats hold accepted annotations, plus texts without any
    # annotation when the format can mark them as such (Label Studio tasks without annotations, empty CSV
    # labels, ...).
    keep = {"accept", "reject", "ignore", "unlabeled"} if fmt.name == "prodigy-jsonl" else {"accept"}
    if getattr(fmt, "keeps_unlabeled", True):
        keep.add("unlabeled")
    records = [r for r in every if r.answer in keep]
    left_out = Counter(r.answer for r in every if r.answer not in keep)
    out = Path(out)
    if out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"{out} is a folder that is not empty; the export would mix with what is there.",
                          hint="give a new path with --out")
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    # write next to the target and rename at the end: a failed export leaves nothing behind
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        fmt.write(records, tmp, task=ws.task)
        if out.is_dir():
            out.rmdir()  # empty (checked above)
        os.replace(tmp, out)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()
    return {"source": str(target), "format": fmt.name, "out": str(out), "examples": len(records),
            "left_out": dict(sorted(left_out.items()))}


_TASK_WORDS = {"ner": "NER (entity spans)", "textcat": "text-classification"}


def move_examples(ws: Workspace, example_ids: list[int], *, to: str | Target) -> int:
    """Move examples (e.g. from the pool) into a round; the leakage guard refuses gold texts."""
    target = parse_target(to) if isinstance(to, str) else to
    if target.kind == "gold":
        raise ConfigError("Examples cannot be moved into a gold set.", hint="import the gold set from a file")
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        e = db.examples
        rows = conn.execute(sa.select(e.c.id, e.c.text, e.c.input_hash).where(e.c.id.in_(example_ids))).all()
        leakage_check(conn, rows, where=f"being moved into {target}", hint="leave them in the pool or delete them")
        row = get_collection(ws, target, create=True, conn=conn)
        conn.execute(e.update().where(e.c.id.in_(example_ids)).values(collection_id=row["id"]))
    return len(rows)
