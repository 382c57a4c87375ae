"""Gold sets: create, split, freeze, versions, content-hash checks and the leakage report.

A gold set is a named series of versions (collections of kind ``gold``). Freezing a version stores the content
hash of its examples and annotations and makes it immutable (every writer calls
:func:`evaluator.store.assert_writable`); reading it for evaluation recomputes the hash and raises
:class:`~evaluator.errors.IntegrityError` on a mismatch. Editing means :func:`new_version`.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict

import sqlalchemy as sa

from evaluator import db
from evaluator.errors import AlreadyExistsError, ConfigError, NotFoundError
from evaluator.progress import Progress, part, report
from evaluator.records import Record
from evaluator.records import guard_keys
from evaluator.store import (Target, auto_accepted_ids, check_frozen_content, check_gold_name,
                             collection_counts, collection_row, content_hash, get_collection, is_frozen, overlapping,
                             records_for)
from evaluator.workspace import Workspace


def list_gold(ws: Workspace) -> list[dict]:
    """Every gold-set version with its size and status."""
    c = db.collections
    out = []
    with ws.engine.connect() as conn:
        for row in conn.execute(sa.select(c).where(c.c.kind == "gold").order_by(c.c.name, c.c.version)).mappings():
            n, answers, _ = collection_counts(conn, row["id"], ws.task)
            out.append({"name": row["name"], "version": row["version"], "frozen": is_frozen(row),
                        "frozen_at": row["frozen_at"], "content_hash": row["content_hash"],
                        "examples": n, "accepted": answers.get("accept", 0),
                        "created_at": row["created_at"], "note": row["note"]})
    return out


def _row(conn, name: str, version: int | None):
    row = collection_row(conn, Target("gold", name, version))
    if row is None:
        what = f"gold:{name}" + (f" version {version}" if version else "")
        raise NotFoundError(f"No {what} in this workspace.", hint="list gold sets with: evaluator gold list")
    return row


def freeze(ws: Workspace, name: str, *, version: int | None = None) -> dict:
    """Freeze the latest (or given) version: store its content hash; later writes fail.

    Takes the workspace write lock first (:func:`evaluator.db.lock_for_writing`), as imports do, so an import
    into the set either commits before the hash is computed or sees the set frozen and writes nothing.
    """
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        row = _row(conn, name, version)
        if is_frozen(row):
            recs = records_for(conn, row["id"], answers=None)
            check_frozen_content(row, recs, doing="freeze it again")
            return {"name": name, "version": row["version"], "content_hash": row["content_hash"],
                    "frozen_at": row["frozen_at"], "already_frozen": True}
        recs = records_for(conn, row["id"], answers=None)
        if not recs:
            raise ConfigError(f"gold:{name} is empty.", hint="import examples into it before freezing")
        h = content_hash(recs)
        now = db.utcnow()
        conn.execute(db.collections.update().where(db.collections.c.id == row["id"])
                     .values(frozen_at=now, content_hash=h))
    return {"name": name, "version": row["version"], "content_hash": h, "frozen_at": now, "examples": len(recs),
            "already_frozen": False}


def verify(ws: Workspace, name: str, *, version: int | None = None) -> dict:
    """Recompute the content hash of a frozen version (one with a stored hash); raise IntegrityError on a
    mismatch."""
    with ws.engine.connect() as conn:
        row = _row(conn, name, version)
        recs = records_for(conn, row["id"], answers=None)
    actual = check_frozen_content(row, recs, doing="use it")
    return {"name": name, "version": row["version"], "frozen": is_frozen(row), "content_hash": actual, "ok": True}


def gold_records(ws: Workspace, name: str, *, version: int | None = None) -> tuple[dict, list[Record]]:
    """(collection info, accepted records) of a gold-set version, hash-checked when frozen.

    The returned info has ``gold_hash``: the stored hash of a frozen version, or the current content hash of an
    open one (so stored evaluations of an edited open version are never reused).
    """
    with ws.engine.connect() as conn:
        row = dict(_row(conn, name, version))
        every = records_for(conn, row["id"], answers=None)
    row["gold_hash"] = check_frozen_content(row, every, doing="evaluate on it")
    return row, [r for r in every if r.answer == "accept"]


def new_version(ws: Workspace, name: str, *, note: str | None = None) -> dict:
    """Copy the latest version of a gold set (examples and latest annotations) into version N+1, open for edits."""
    e, a = db.examples, db.annotations
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        row = _row(conn, name, None)
        recs = records_for(conn, row["id"], answers=None)
        check_frozen_content(row, recs, doing="copy it into a new version")
        version = row["version"] + 1
        cid = conn.execute(db.collections.insert().values(kind="gold", name=name, version=version, note=note,
                                                          created_at=db.utcnow())).inserted_primary_key[0]
        now = db.utcnow()
        for i, r in enumerate(recs):
            ex_id = conn.execute(e.insert().values(
                collection_id=cid, position=i, text=r.text, input_hash=r.input_hash, loose_hash=r.loose_hash,
                tokens=[[t.start, t.end] for t in r.tokens] if r.tokens is not None else None,
                meta=r.meta or None, created_at=now)).inserted_primary_key[0]
            if r.answer in ("accept", "reject", "ignore"):
                conn.execute(a.insert().values(example_id=ex_id, answer=r.answer,
                                               spans=[s.as_list() for s in r.spans] if r.spans else [],
                                               label=r.label, annotator="copy", created_at=now))
    return {"name": name, "version": version, "examples": len(recs)}


def _stratum(r: Record, task: str) -> str:
    if task == "textcat":
        return r.label or "-"
    if not r.spans:
        return "-"
    return Counter(s.label for s in r.spans).most_common(1)[0][0]


def split(ws: Workspace, *, source: str, fraction: float, seed: int, name: str) -> dict:
    """Move a seeded, label-stratified ``fraction`` of a round's accepted examples into a new gold set."""
    if not 0 < fraction < 1:
        raise ConfigError(f"--fraction must be between 0 and 1, got {fraction}.", hint="e.g. --fraction 0.2")
    check_gold_name(name)
    task = ws.task
    with ws.engine.begin() as conn:
        db.lock_for_writing(conn)
        if collection_row(conn, Target("gold", name)) is not None:
            raise AlreadyExistsError(f"gold:{name} already exists.", hint="choose another --name")
        src = get_collection(ws, source, conn=conn)
        if src["kind"] == "gold":
            raise ConfigError("Split from a round or the pool, not from a gold set.", hint="--from round:1")
        every = records_for(conn, src["id"])
        # auto-accepted answers (a model's, above a confidence threshold) never become gold: they stay in the
        # round, and so does every other copy of their text (a copy in gold would be a leak)
        auto = auto_accepted_ids(conn, [r.id for r in every])
        auto_texts = {r.input_hash for r in every if r.id in auto}
        recs = [r for r in every if r.input_hash not in auto_texts]
        if len(recs) < 2:
            raise ConfigError(f"{source} has {len(recs)} accepted example(s); too few to split.",
                              hint="label more examples first")
        strata: dict[str, list[Record]] = defaultdict(list)
        for r in recs:
            strata[_stratum(r, task)].append(r)
        rng = random.Random(seed)
        chosen: list[Record] = []
        for key in sorted(strata):
            items = sorted(strata[key], key=lambda r: r.id)
            rng.shuffle(items)
            k = int(round(fraction * len(items)))
            chosen.extend(items[:k])
        if not chosen:
            raise ConfigError("The split selected no examples.", hint="use a larger --fraction")
        # every copy of a chosen text goes to gold, so no duplicate stays behind in training
        hashes = {k for r in chosen for k in guard_keys(r.text)}
        move_ids = [r.id for r in overlapping(recs, hashes)]
        cid = conn.execute(db.collections.insert().values(
            kind="gold", name=name, version=1, created_at=db.utcnow(),
            note=f"split from {source}: fraction {fraction}, seed {seed}")).inserted_primary_key[0]
        conn.execute(db.examples.update().where(db.examples.c.id.in_(move_ids)).values(collection_id=cid))
    per = Counter(_stratum(r, task) for r in recs if r.id in set(move_ids))
    out = {"name": name, "version": 1, "from": source, "fraction": fraction, "seed": seed,
           "examples": len(move_ids), "per_stratum": dict(sorted(per.items())), "auto_accepted_kept": len(auto),
           "trained_on_it": _models_trained_on(ws, src)}
    if out["trained_on_it"]:
        shown = ", ".join(out["trained_on_it"][:5]) + (" ..." if len(out["trained_on_it"]) > 5 else "")
        out["warning"] = (f"{len(out['trained_on_it'])} model(s) were trained on {source} before this split "
                          f"({shown}): they have seen these gold texts, so their scores on gold:{name} are "
                          "inflated. Retrain them on the remaining round before comparing on it.")
    return out


def _models_trained_on(ws: Workspace, src) -> list[str]:
    """Names of trained models whose training data included the round ``src`` (from their stored config)."""
    if src["kind"] != "round":
        return []
    k = int(src["name"])
    m = db.models
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(m.c.name, m.c.config).where(m.c.kind == "trained").order_by(m.c.id)).all()
    return [name for name, cfg in rows if k in ((cfg or {}).get("rounds") or [])]


def leakage_report(ws: Workspace, *, threshold: float = 0.9, ngram: int = 3, limit: int = 200,
                   progress: Progress | None = None, cancel=None) -> dict:
    """Exact overlaps (the same text by either leakage-guard key: normalized text, or its letters and digits)
    and near-duplicates (character n-gram Jaccard >= threshold, :func:`evaluator.neardup.near_duplicates`)
    between gold sets and training rounds / the pool. Time and memory grow linearly with the workspace."""
    from evaluator.neardup import near_duplicates, search_settings

    if not 0 < threshold <= 1:
        raise ConfigError(f"--threshold must be a Jaccard similarity above 0 and at most 1, got {threshold}.",
                          hint="e.g. --threshold 0.9 (1.0 finds only the same character 3-grams)")
    if ngram < 1:
        raise ConfigError(f"The n-gram size must be at least 1, got {ngram}.", hint="the default is 3")
    e, c = db.examples, db.collections
    report(progress, 0, 1, "reading texts")
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(e.c.id, e.c.text, e.c.input_hash, e.c.loose_hash, c.c.kind, c.c.name,
                                      c.c.version).join(c, c.c.id == e.c.collection_id).order_by(e.c.id)).all()
    gold = [r for r in rows if r.kind == "gold"]
    other = [r for r in rows if r.kind != "gold"]
    by_key: dict[str, list] = defaultdict(list)
    for r in other:
        by_key[r.input_hash].append(r)
        if r.loose_hash and r.loose_hash != r.input_hash:
            by_key[r.loose_hash].append(r)
    exact, same = [], set()
    for g in gold:
        seen = set()
        for key in (g.input_hash, g.loose_hash):
            for o in by_key.get(key, []) if key else []:
                if o.id not in seen:
                    seen.add(o.id)
                    same.add((g.id, o.id))
                    exact.append({"gold": _where(g), "other": _where(o), "text": g.text[:120],
                                  "other_text": o.text[:120]})
    pairs = near_duplicates([g.text for g in gold], [o.text for o in other], threshold=threshold, ngram=ngram,
                            progress=part(progress, start=0.05, size=0.95, total=1), cancel=cancel)
    near = [{"gold": _where(gold[p.left]), "other": _where(other[p.right]), "similarity": round(p.similarity, 4),
             "gold_text": gold[p.left].text[:120], "other_text": other[p.right].text[:120]}
            for p in pairs if (gold[p.left].id, other[p.right].id) not in same]
    report(progress, 1, 1, "")
    return {"exact_overlaps": len(exact), "near_duplicates": len(near), "threshold": threshold, "ngram": ngram,
            "search": search_settings(threshold, len(gold) * len(other)), "gold_examples": len(gold),
            "other_examples": len(other), "exact": exact[:limit], "near": near[:limit],
            "ok": not exact, "message": ("no gold text appears in training data or the pool" if not exact else
                                          f"{len(exact)} gold example(s) also appear outside gold")}


def _where(r) -> str:
    if r.kind == "pool":
        return "pool"
    return f"round:{r.name}" if r.kind == "round" else f"gold:{r.name}@{r.version}"
