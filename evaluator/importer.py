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
from typing import Callable, Iterable

import sqlalchemy as sa

from evaluator import db, limits
from evaluator.errors import ConfigError, InputFormatError, LeakageError, NotFoundError, ValidationError
from evaluator.formats import ReadOptions, detect_format, get_format
from evaluator.formats._common import Problems, check_storable
from evaluator.progress import Progress, report as report_progress
from evaluator.records import Record, bulk_objects, guard_keys
from evaluator.store import (Keyed, Target, assert_writable, check_frozen_content, collection_row, get_collection,
                             leakage_check, parse_target, records_for)
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
    if task is not None and fmt.task not in ("both", task):
        raise task_mismatch(path, fmt.name, fmt.task, task)
    options = options or ReadOptions()
    with bulk_objects():
        records = fmt.read(path, options)
        # one rule for every format and both databases: no NUL, no lone surrogate, JSON meta (before tokenizing)
        problems = Problems(path, unit="record" if fmt.name in _RECORD_UNITS else "line")
        check_storable(records, problems)
        problems.raise_if_any()
        if task != "textcat":  # text classification needs no tokens: only spans are checked against them
            from evaluator.tokenize import ensure_tokens
            ensure_tokens(records, lang=options.lang)
    return fmt.name, records


def task_mismatch(path: Path, fmt_name: str, fmt_task: str, task: str) -> ConfigError:
    """The error for a file of the other task (text categories into an NER workspace, or the reverse)."""
    if task == "ner":
        why = ("every text would become an NER example with no entities, which teaches the model that there are "
               "none")
    else:
        why = "every text would arrive without a category"
    return ConfigError(f"Task mismatch: {path} is read as {fmt_name!r}, a {_TASK_WORDS[fmt_task]} format, but this "
                       f"workspace is for {_TASK_WORDS[task]}; {why}. Nothing was imported.",
                       hint=f"import it into a {fmt_task} workspace (evaluator init --task {fmt_task}), or pass "
                            "--format with a format of this workspace's task")


#: formats whose errors name a record number rather than a line
_RECORD_UNITS = ("spacy-docbin", "labelstudio")


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
        if task == "ner" and r.label and not r.spans:  # (tokens are filled by now: they tell nothing)
            problems.append(InputFormatError(
                f"task mismatch: has a category ({r.label!r}) and no entity spans, but this workspace is for NER; "
                "it would be stored as an example with no entities.", path=str(path), line=where,
                hint="import text-classification data into a textcat workspace (evaluator init --task textcat)"))
        if task == "textcat" and not r.label:
            problems.append(InputFormatError("has no category label.", path=str(path), line=where,
                                             hint="fill the label, or mark the record answer as ignore"))
    if problems:
        raise problems[0] if len(problems) == 1 else ValidationError(problems)


def unknown_labels_error(records: list[Record], unknown: list[str], known: set[str], path: Path, *,
                         unit: str = "line") -> ConfigError:
    """The error for labels outside the label set: each label (quoted, so a newline in it cannot split the
    message) with its count and the first lines where it occurs."""
    where: dict[str, list] = {lab: [] for lab in unknown}
    counts: Counter = Counter()
    for i, r in enumerate(records, 1):
        if r.answer != "accept":
            continue
        for lab in ([s.label for s in r.spans] if r.spans else [r.label] if r.label else []):
            if lab in where:
                counts[lab] += 1
                if len(where[lab]) < 3 and (r.line or i) not in where[lab]:
                    where[lab].append(r.line or i)
    shown = "; ".join(f"{lab!r} ({counts[lab]}x, {unit} {', '.join(map(str, where[lab]))}"
                      f"{', ...' if counts[lab] > len(where[lab]) else ''})" for lab in unknown[:10])
    more = f"; and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    return ConfigError(f"{path}: labels not in the workspace label set: {shown}{more} (workspace labels: "
                       f"{', '.join(repr(x) for x in sorted(known))}). Nothing was imported.",
                       hint="pass --extend-labels to add them, or fix the file")


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


def _parse_sizes(sizes: Iterable[int] | str | None) -> list[int]:
    """``[50, 100, 250]`` or ``"50,100,250"`` -> a list of positive round sizes (empty: no split)."""
    if sizes is None:
        return []
    if isinstance(sizes, str):
        try:
            sizes = [int(x) for x in sizes.split(",") if x.strip()]
        except ValueError:
            raise ConfigError(f"Bad round sizes {sizes!r}.", hint="write sizes as whole numbers, e.g. 50,100,250") \
                from None
    out = [int(n) for n in sizes]
    if any(n < 1 for n in out):
        raise ConfigError(f"Bad round sizes {out}: every round needs at least one example.",
                          hint="e.g. 50,100,250")
    return out


def _split_targets(target: Target, sizes: list[int]) -> list[Target]:
    if not sizes:
        return [target]
    if target.kind != "round":
        raise ConfigError(f"Round sizes only split a file into annotation rounds, not into {target}.",
                          hint="import into round:N with sizes, e.g. --into round:1 --sizes 50,100,250")
    first = int(target.name)
    return [Target("round", str(first + k)) for k in range(len(sizes))]


def import_file(ws: Workspace, path: str | Path, *, into: str | Target, format: str | None = None,
                options: ReadOptions | None = None, skip_gold_overlap: bool = False, extend_labels: bool = False,
                annotator: str = "import", sizes: Iterable[int] | str | None = None, shuffle: bool = False,
                seed: int = 0, progress: Progress | None = None) -> dict:
    """Import a file into ``pool``, ``round:N`` or ``gold:NAME``; returns a report dict.

    Nothing is written unless everything validates. ``skip_gold_overlap`` leaves out (and reports) examples whose
    text is in a gold set (for a round or the pool) or in a training round (for a gold set).

    ``sizes`` splits the file into consecutive rounds, starting at ``into``: ``into="round:1", sizes=[50, 100,
    250]`` fills rounds 1, 2 and 3 with the first 50, the next 100 and the next 250 examples, in file order or,
    with ``shuffle``, in an order drawn with ``seed``. All rounds are written in one transaction (or none); the
    examples beyond the sizes are not imported (``report["left_out"]`` counts them) and ``report["rounds"]``
    has one entry per round.
    """
    with bulk_objects():
        return _import_file(ws, path, into=into, format=format, options=options, skip_gold_overlap=skip_gold_overlap,
                            extend_labels=extend_labels, annotator=annotator, sizes=sizes, shuffle=shuffle,
                            seed=seed, progress=progress)


def _import_file(ws: Workspace, path: str | Path, *, into: str | Target, format: str | None,
                 options: ReadOptions | None, skip_gold_overlap: bool, extend_labels: bool, annotator: str,
                 sizes: Iterable[int] | str | None, shuffle: bool, seed: int, progress: Progress | None) -> dict:
    path = Path(path)
    target = parse_target(into) if isinstance(into, str) else into
    sizes = _parse_sizes(sizes)
    targets = _split_targets(target, sizes)
    options = options or ReadOptions(lang=ws.lang)
    task = ws.task
    report_progress(progress, 0, None, f"reading {path.name}")
    fmt_name, records = read_file(path, format=format, options=options, task=task)
    sha = file_sha256(path)
    report: dict = {"file": str(path), "format": fmt_name, "target": str(target), "already_imported": False}
    if sizes:
        report.update(sizes=sizes, shuffle=bool(shuffle), seed=int(seed) if shuffle else None)
    if options.notes:  # skipped files, lenient readings: not errors, but the user should know
        report["notes"] = list(options.notes)
    if not records:
        raise InputFormatError("holds no records.", path=str(path), hint="check the file and the --format")
    _check_task(records, task, path)

    label_counts = _labels_in(records, task)
    known = set(ws.labels)
    unknown = sorted(set(label_counts) - known)
    if known and unknown and not extend_labels:
        raise unknown_labels_error(records, unknown, known, path, unit="record" if fmt_name in _RECORD_UNITS else "line")
    snapped = 0
    for r in records:
        count = r.meta.pop("_snapped", 0)
        snapped += count if isinstance(count, int) else 0

    report_progress(progress, 0, len(records), "looking for near-duplicates of gold texts")
    near = near_duplicate_warning(ws, records, target)
    keys = {id(r): guard_keys(r.text) for r in records}  # both leakage-guard keys, computed once per record
    report_progress(progress, 0, len(records), "checking the leakage guard")
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)  # a concurrent import waits, then sees this one's rows (guard, "already imported")
        for t in targets:
            row = collection_row(conn, t)
            if row is None:
                continue
            done = conn.execute(sa.select(db.imports.c.id).where(db.imports.c.collection_id == row["id"],
                                                                 db.imports.c.file_sha256 == sha)).first()
            if done:
                report.update(examples=0, annotations=0, already_imported=True,
                              message=f"{path.name} was already imported into {t}; nothing added.")
                return report
            if t.kind == "gold":
                assert_writable(row)
        records = _apply_guard(conn, target, records, path, skip_gold_overlap, report, keys=keys)

        # repeated texts are kept (published counts include them) and reported: exact repeats, and repeats
        # after normalization (what the leakage guard compares)
        exact = Counter(r.text for r in records)
        dups = {t: n for t, n in exact.items() if n > 1}
        report["duplicates_in_file"] = sum(n - 1 for n in dups.values())
        report["duplicate_texts"] = len(dups)
        report["duplicates_normalized"] = sum(n - 1 for n in Counter(keys[id(r)][0] for r in records).values())
        if dups:
            report["duplicate_examples"] = [t[:80] for t in list(dups)[:3]]

        parts = _split_records(records, sizes, shuffle=shuffle, seed=seed, path=path, report=report)
        if unknown and (extend_labels or not known):
            ws.add_labels(unknown, conn=conn)
            report["labels_added"] = unknown

        total, written = sum(len(p) for p in parts), [0]

        def step(n: int) -> None:
            written[0] += n
            report_progress(progress, written[0], total, f"writing {written[0]}/{total} examples")

        answers: Counter = Counter()
        rounds, import_ids = [], []
        for t, part in zip(targets, parts):
            got, import_id = _write_examples(conn, ws, t, part, path=path, sha=sha, fmt_name=fmt_name,
                                             annotator=annotator, step=step, keys=keys)
            answers.update(got)
            import_ids.append(import_id)
            rounds.append({"target": str(t), "examples": len(part), "annotations": got.get("accept", 0)})
        kept = [r for part in parts for r in part]
        report.update(examples=len(kept), annotations=answers.get("accept", 0), answers=dict(answers),
                      snapped=snapped, **near)
        if target.kind == "round":
            report["left_pool"] = _take_from_pool(conn, {keys[id(r)][0] for r in kept})
        if sizes:
            report["rounds"] = rounds
        if task == "ner":
            report["spans_per_label"] = dict(sorted(_labels_in(kept, task).items()))
            report["spans"] = sum(report["spans_per_label"].values())
        else:
            report["labels"] = dict(sorted(_labels_in(kept, task).items()))
        unlabeled = sum(1 for r in kept if r.answer == "unlabeled")
        if unlabeled and target.kind != "pool":
            report["unlabeled"] = unlabeled
            report["warnings"] = [f"{unlabeled} of {len(kept)} example(s) have no annotation (no accept, reject or "
                                  f"ignore answer): they are kept in {target} but "
                                  + ("no model trains on them" if target.kind == "round" else "they are not scored")
                                  + "; unlabeled texts belong in the pool"]
        conn.execute(db.imports.update().where(db.imports.c.id.in_(import_ids)).values(report=report))
    return report


def near_duplicate_warning(ws: Workspace, records: list[Record], target: Target, *, threshold: float = 0.9,
                           shown: int = 5) -> dict:
    """Near-duplicates (character 3-gram Jaccard >= ``threshold``) between the records and the other side of the
    leakage guard (gold sets for a round or the pool; rounds for a gold set), leaving out exact overlaps (the
    guard's business). Returns ``{"near_duplicates": count of records, "near_duplicate_examples": [...],
    "warning": ...}`` when there are any, else ``{"near_duplicates": 0}``."""
    from evaluator.neardup import near_duplicates

    e, c = db.examples, db.collections
    other_kind = "round" if target.kind == "gold" else "gold"
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(e.c.text, e.c.input_hash, e.c.loose_hash).join(c, c.c.id == e.c.collection_id)
                            .where(c.c.kind == other_kind)).all()
    if not rows or not records:
        return {"near_duplicates": 0}
    pairs = near_duplicates([r.text for r in records], [row.text for row in rows], threshold=threshold)
    hits: dict[int, tuple] = {}
    for p in pairs:
        if p.left in hits or not {rows[p.right].input_hash, rows[p.right].loose_hash}.isdisjoint(
                guard_keys(records[p.left].text)):
            continue
        hits[p.left] = (rows[p.right].text, p.similarity)
    if not hits:
        return {"near_duplicates": 0}
    what = "training round" if other_kind == "round" else "gold"
    examples = [{"line": records[i].line, "text": records[i].text[:120], f"{other_kind}_text": text[:120],
                 "similarity": round(sim, 4)} for i, (text, sim) in list(hits.items())[:shown]]
    return {"near_duplicates": len(hits), "near_duplicate_examples": examples,
            "warning": f"{len(hits)} example(s) are near-duplicates of {what} texts (character 3-gram Jaccard >= "
                       f"{threshold}); they were imported: check whether they are the same text, and see "
                       "`evaluator gold leakage`"}


def _take_from_pool(conn, hashes: set[str]) -> int:
    """Delete the unlabeled pool copies of texts that were just imported into a round (e.g. the answers to a
    batch from ``evaluator next`` labeled elsewhere), so they are not offered for labeling again. (Pool copies of
    gold texts stay: the leakage guard keeps them out of rounds, and the leakage report shows them.)"""
    e, a, c = db.examples, db.annotations, db.collections
    pool = [r[0] for r in conn.execute(sa.select(c.c.id).where(c.c.kind == "pool"))]
    if not pool or not hashes:
        return 0
    ids: list[int] = []
    hashes = sorted(hashes)
    for k in range(0, len(hashes), 5000):
        ids += [r[0] for r in conn.execute(sa.select(e.c.id).where(
            e.c.collection_id.in_(pool), e.c.input_hash.in_(hashes[k:k + 5000]),
            ~sa.exists().where(a.c.example_id == e.c.id)))]
    for k in range(0, len(ids), 5000):
        conn.execute(e.delete().where(e.c.id.in_(ids[k:k + 5000])))
    return len(ids)


def _apply_guard(conn, target: Target, records: list[Record], path: Path, skip: bool, report: dict, *,
                 keys: dict[int, tuple[str, str]]) -> list[Record]:
    """The leakage guard: gold texts never go into a round or the pool, round texts never into a gold set.
    Refuses (LeakageError) or, with ``skip``, leaves them out and says so in ``report``. ``keys``: both guard keys
    of each record, by ``id()``."""
    against = "rounds" if target.kind == "gold" else "gold"
    what = "training rounds" if target.kind == "gold" else "a gold set"
    if target.kind == "gold":
        hint = "pass --skip-gold-overlap to leave them out (a gold example must never be trained on)"
    else:
        hint = "pass --skip-gold-overlap to import the rest and leave these out"
    overlap = leakage_check(conn, [Keyed(r.text, *keys[id(r)]) for r in records], against=against,
                            where=f"in {path.name}", hint=hint, skip=skip)
    if not overlap:
        return records
    drop = set(overlap)
    shown = [records[i] for i in overlap]
    keep = [r for i, r in enumerate(records) if i not in drop]
    report["skipped_gold_overlap"] = len(records) - len(keep)
    report["skipped_because"] = f"their text is already in {what}"
    report["skipped_examples"] = [r.text[:80] for r in shown[:5]]
    if not keep:
        raise LeakageError(len(shown), [r.text for r in shown], found_in=what,
                           where=f"in {path.name} (every example of the file)",
                           hint="nothing is left to import; check that you picked the right file and target")
    return keep


def _split_records(records: list[Record], sizes: list[int], *, shuffle: bool, seed: int, path: Path,
                   report: dict) -> list[list[Record]]:
    """The records of each target: all of them, or consecutive slices of the given sizes (file order, or an
    order drawn with ``seed``)."""
    if not sizes:
        return [records]
    if sum(sizes) > len(records):
        left = f" (after leaving out {report['skipped_gold_overlap']} gold overlaps)" \
            if report.get("skipped_gold_overlap") else ""
        raise ConfigError(f"{path.name} has {len(records)} example(s){left}, fewer than the round sizes "
                          f"{', '.join(map(str, sizes))} add up to ({sum(sizes)}). Nothing was imported.",
                          hint="give smaller sizes, or fewer rounds")
    order = list(range(len(records)))
    if shuffle:
        import random
        random.Random(seed).shuffle(order)
    parts, start = [], 0
    for n in sizes:
        parts.append([records[i] for i in sorted(order[start:start + n])] if shuffle
                     else records[start:start + n])
        start += n
    report["left_out"] = len(records) - start
    return parts


def _write_examples(conn, ws: Workspace, target: Target, records: list[Record], *, path: Path, sha: str,
                    fmt_name: str, annotator: str, step: Callable[[int], None],
                    keys: dict[int, tuple[str, str]]) -> tuple[Counter, int]:
    """Append ``records`` to ``target`` (created when new) with their annotations and one ``imports`` row;
    returns the answers written and the import's id."""
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
        ex_rows = [{"collection_id": cid, "position": start + k + i, "text": r.text, "input_hash": keys[id(r)][0],
                    "loose_hash": keys[id(r)][1], "tokens": [[t.start, t.end] for t in r.tokens] if r.tokens is not None else None,
                    "meta": r.meta or None, "import_id": import_id, "created_at": now}
                   for i, r in enumerate(part)]
        ids = _insert_returning_ids(conn, ex_rows)
        ann_rows = []
        for ex_id, r in zip(ids, part):
            answers[r.answer] += 1
            if r.answer in ("accept", "reject", "ignore"):
                ann_rows.append({"example_id": ex_id, "answer": r.answer,
                                 "spans": [s.as_list() for s in sorted(r.spans)] if ws.task == "ner" else None,
                                 "label": r.label if ws.task == "textcat" else None,
                                 "annotator": annotator, "created_at": now})
        if ann_rows:
            conn.execute(db.annotations.insert(), ann_rows)
        step(len(part))
    return answers, import_id


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
    check_frozen_content(row, every, doing="export it")  # a tampered frozen gold set is never written out
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
        rows = conn.execute(sa.select(e.c.id, e.c.text, e.c.input_hash, e.c.loose_hash)
                            .where(e.c.id.in_(example_ids))).all()
        leakage_check(conn, rows, where=f"being moved into {target}", hint="leave them in the pool or delete them")
        row = get_collection(ws, target, create=True, conn=conn)
        conn.execute(e.update().where(e.c.id.in_(example_ids)).values(collection_id=row["id"]))
    return len(rows)


def _source(value: str | Target) -> Target | int:
    """``import:7`` -> 7 (an import id); anything else is a target (``round:N``, ``pool``)."""
    if isinstance(value, str) and value.strip().startswith("import:"):
        raw = value.strip()[len("import:"):]
        if not raw.isdigit():
            raise ConfigError(f"Bad import {value!r}.", hint="write import:ID with the id `evaluator round list` shows")
        return int(raw)
    return parse_target(value) if isinstance(value, str) else value


def _refuse_if_trained(conn, affected: list[int], doing: str) -> None:
    """Rounds a trained model used keep their examples: moving or deleting would make its lineage wrong."""
    from evaluator.store import models_on_rounds

    used = models_on_rounds(conn)
    hit = {r: used[r] for r in affected if r in used}
    if hit:
        names = sorted({n for names in hit.values() for n in names})
        rounds_ = " and ".join(f"round {r}" for r in sorted(hit))
        raise ConfigError(f"Cannot {doing}: {len(names)} model(s) were trained on {rounds_} "
                          f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}), and their recorded training "
                          "data would no longer be what the round holds.",
                          hint="delete those models first (evaluator model delete NAME, or on the Train page), "
                               "then train them again after the change")


def move_data(ws: Workspace, source: str | Target, *, to: str | Target) -> dict:
    """Move a whole round (``round:N``), the pool (``pool``) or one import (``import:ID``, see
    :func:`evaluator.store.list_imports`) into ``round:M`` or the pool.

    The examples keep their annotations and their order and go after the target's own; an import moves with its
    record, so importing the same file into the new place again says "already imported". Refused: gold sets (as
    source or target), gold texts into a round or the pool (leakage guard), and rounds a trained model used
    (its recorded training data would change). A source left empty is removed. Returns ``{"source", "to",
    "moved", "imports"}``.
    """
    src = _source(source)
    dest = parse_target(to) if isinstance(to, str) else to
    if dest.kind == "gold":
        raise ConfigError("Examples cannot be moved into a gold set.",
                          hint="import the gold set from a file, or split one off a round with evaluator gold split")
    e, i = db.examples, db.imports
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        if isinstance(src, int):
            imp = conn.execute(sa.select(i).where(i.c.id == src)).mappings().first()
            if imp is None:
                raise NotFoundError(f"No import {src} in this workspace.",
                                    hint="see the import ids with: evaluator round list")
            from_row = conn.execute(sa.select(db.collections).where(db.collections.c.id == imp["collection_id"])) \
                .mappings().first()
            where = [e.c.collection_id == from_row["id"], e.c.import_id == src]
            label = f"import {src} ({Path(imp['file_name']).name})"
        else:
            from_row = get_collection(ws, src, conn=conn)
            where = [e.c.collection_id == from_row["id"]]
            label = str(src)
        if from_row["kind"] == "gold":
            raise ConfigError(f"{label} is in gold:{from_row['name']}; gold-set examples are not moved.",
                              hint="make a new gold-set version for changes: evaluator gold new-version "
                                   f"{from_row['name']}")
        to_row = collection_row(conn, dest)
        if to_row is not None and to_row["id"] == from_row["id"]:
            raise ConfigError(f"{label} is in {dest} already.", hint="choose another round to move it to")
        affected = [int(x["name"]) for x in (from_row, to_row) if x is not None and x["kind"] == "round"]
        if dest.kind == "round":
            affected.append(int(dest.name))
        _refuse_if_trained(conn, sorted(set(affected)), f"move {label} to {dest}")
        rows = conn.execute(sa.select(e.c.id, e.c.text, e.c.input_hash, e.c.import_id).where(*where)
                            .order_by(e.c.position, e.c.id)).all()
        if not rows:
            raise NotFoundError(f"{label} holds no examples.", hint="see what is where with: evaluator round list")
        leakage_check(conn, rows, where=f"being moved into {dest}", hint="leave them where they are, or delete them")
        to_row = get_collection(ws, dest, create=True, conn=conn)
        start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(e.c.position), -1))
                             .where(e.c.collection_id == to_row["id"])).scalar() + 1
        conn.execute(e.update().where(e.c.id == sa.bindparam("_id"))
                     .values(collection_id=to_row["id"], position=sa.bindparam("_pos")),
                     [{"_id": r.id, "_pos": start + k} for k, r in enumerate(rows)])
        moved_imports = sorted({r.import_id for r in rows if r.import_id is not None})
        for imp_id in moved_imports:
            _move_import_row(conn, imp_id, from_row["id"], to_row["id"])
        left = conn.execute(sa.select(sa.func.count()).select_from(e)
                            .where(e.c.collection_id == from_row["id"])).scalar()
        if not left:
            conn.execute(i.delete().where(i.c.collection_id == from_row["id"]))
            conn.execute(db.collections.delete().where(db.collections.c.id == from_row["id"]))
    return {"source": label, "to": str(dest), "moved": len(rows), "imports": moved_imports}


def _move_import_row(conn, import_id: int, from_id: int, to_id: int) -> None:
    """An import whose examples all left ``from_id`` now belongs to ``to_id`` (merged with the same file's import
    there, if any, so "already imported" keeps working)."""
    e, i = db.examples, db.imports
    still = conn.execute(sa.select(sa.func.count()).select_from(e)
                         .where(e.c.import_id == import_id, e.c.collection_id == from_id)).scalar()
    if still:
        return
    sha = conn.execute(sa.select(i.c.file_sha256).where(i.c.id == import_id)).scalar()
    twin = conn.execute(sa.select(i.c.id).where(i.c.collection_id == to_id, i.c.file_sha256 == sha)).scalar()
    if twin is not None and twin != import_id:
        conn.execute(e.update().where(e.c.import_id == import_id).values(import_id=twin))
        conn.execute(i.delete().where(i.c.id == import_id))
    else:
        conn.execute(i.update().where(i.c.id == import_id).values(collection_id=to_id))


def delete_round(ws: Workspace, round: int) -> dict:
    """Delete annotation round ``round`` with its examples, annotations and predictions. Refused when a trained
    model used it (delete the model first). Returns ``{"round", "examples"}``."""
    e = db.examples
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        row = get_collection(ws, Target("round", str(int(round))), conn=conn)
        _refuse_if_trained(conn, [int(round)], f"delete round {round}")
        ids = sa.select(e.c.id).where(e.c.collection_id == row["id"])
        n = conn.execute(sa.select(sa.func.count()).select_from(e).where(e.c.collection_id == row["id"])).scalar()
        conn.execute(db.predictions.delete().where(db.predictions.c.example_id.in_(ids)))
        conn.execute(db.annotations.delete().where(db.annotations.c.example_id.in_(ids)))
        conn.execute(e.delete().where(e.c.collection_id == row["id"]))
        conn.execute(db.imports.delete().where(db.imports.c.collection_id == row["id"]))
        conn.execute(db.collections.delete().where(db.collections.c.id == row["id"]))
    return {"round": int(round), "examples": n}
