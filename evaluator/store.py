"""Small query functions over the workspace database: targets, collections, records, status."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from itertools import starmap
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from evaluator import db
from evaluator.errors import ConfigError, FrozenError, IntegrityError, LeakageError, NotFoundError
from evaluator.records import Record, Span, Token, bulk_objects, guard_keys
from evaluator.workspace import Workspace


@dataclass(frozen=True)
class Target:
    """Where data goes or comes from: ``pool``, ``round:N`` or ``gold:NAME`` (optionally ``gold:NAME@V``)."""

    kind: str
    name: str
    version: int | None = None

    def __str__(self) -> str:
        if self.kind == "pool":
            return "pool"
        if self.kind == "round":
            return f"round:{self.name}"
        return f"gold:{self.name}" + (f"@{self.version}" if self.version else "")


_GOLD_NAME = re.compile(r"^[^\W_][\w.\-]{0,99}$")


def check_gold_name(name: str) -> str:
    """A gold-set name: letters (any script), digits, ``_``, ``.`` and ``-``; it appears in commands
    (``gold:NAME@2``), file names of downloads and reports."""
    if not _GOLD_NAME.match(name or ""):
        raise ConfigError(f"Bad gold set name {name!r}.",
                          hint="use letters, digits, '_', '.' and '-' (start with a letter or digit, at most 100), "
                               "e.g. test or drugs-2024")
    return name


def parse_target(value: str) -> Target:
    """Parse ``pool``, ``round:3`` or ``gold:test`` / ``gold:test@2``.

    >>> parse_target("round:3")
    Target(kind='round', name='3', version=None)
    """
    value = (value or "").strip()
    if value == "pool":
        return Target("pool", "pool")
    kind, _, name = value.partition(":")
    if kind == "round":
        if not name.isdigit() or int(name) < 1:
            raise ConfigError(f"Bad round {value!r}.", hint="rounds are numbered from 1, e.g. round:1")
        return Target("round", str(int(name)))
    if kind == "gold" and name:
        base, _, ver = name.partition("@")
        if ver and (not ver.isdigit() or int(ver) < 1):
            raise ConfigError(f"Bad gold version in {value!r}.", hint="write gold:NAME@2")
        return Target("gold", check_gold_name(base), int(ver) if ver else None)
    raise ConfigError(f"Bad target {value!r}.", hint="use pool, round:N or gold:NAME")


def collection_row(conn: Connection, target: Target):
    c = db.collections
    q = sa.select(c).where(c.c.kind == target.kind, c.c.name == target.name)
    if target.kind == "gold":
        if target.version:
            q = q.where(c.c.version == target.version)
        q = q.order_by(c.c.version.desc())
    return conn.execute(q.limit(1)).mappings().first()


def get_collection(ws: Workspace, target: Target | str, *, create: bool = False, conn: Connection | None = None):
    """The collection row of a target; ``create=True`` makes it (a new gold set starts at version 1)."""
    if isinstance(target, str):
        target = parse_target(target)

    def _run(c: Connection):
        row = collection_row(c, target)
        if row is None and create and target.kind == "gold" and target.version is not None:
            raise NotFoundError(f"No version {target.version} of gold:{target.name} to write into.",
                                hint=f"import into gold:{target.name} (its latest version, or a new gold set), "
                                     f"or make a new version with: evaluator gold new-version {target.name}")
        if row is None and create:
            version = int(target.name) if target.kind == "round" else (target.version or 1)
            c.execute(db.collections.insert().values(kind=target.kind, name=target.name, version=version,
                                                     created_at=db.utcnow()))
            row = collection_row(c, target)
        if row is None:
            raise NotFoundError(f"No {target} in this workspace.",
                                hint="see `evaluator status` for what exists; import data with `evaluator import`")
        return row

    if conn is not None:
        return _run(conn)
    with ws.engine.begin() as c:
        return _run(c)


def is_frozen(row) -> bool:
    """A gold-set version is frozen when it has a freeze time *or* a stored content hash (a cleared
    ``frozen_at`` does not unfreeze it)."""
    return bool(row["frozen_at"] or row["content_hash"])


def assert_writable(row) -> None:
    if is_frozen(row):
        since = f" (since {row['frozen_at']})" if row["frozen_at"] else " (its content hash is stored)"
        raise FrozenError(f"gold:{row['name']} version {row['version']} is frozen{since}.",
                          hint=f"create a new version with: evaluator gold new-version {row['name']}")


def latest_annotations(conn: Connection, example_ids: Iterable[int]) -> dict[int, dict]:
    """The latest annotation row (highest id) of each example that has one."""
    a = db.annotations
    ids = list(example_ids)
    latest: dict[int, dict] = {}
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk:chunk + 5000]
        result = conn.execute(sa.select(a).where(a.c.example_id.in_(part)).order_by(a.c.id))
        keys = list(result.keys())  # once: a row mapping rebuilds its keys on every dict() (slow by the thousand)
        for row in result:
            ann = dict(zip(keys, row))
            latest[ann["example_id"]] = ann
    return latest


def _json_column(col: sa.ColumnElement) -> sa.ColumnElement:
    """A JSON text column read as its raw text (parsed many rows at a time by :func:`_parse_all`)."""
    return sa.type_coerce(col, sa.Text)


def _parse_all(texts: list[str | None]) -> list[Any]:
    """``json.loads`` of each text (``None`` stays ``None``) in one call: one parse of a JSON array of them."""
    return json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]") if texts else []


def _latest_answers(conn: Connection, example_ids: list[int]) -> dict[int, tuple]:
    """example id -> (answer, spans, label) of its latest annotation (the columns records need, JSON parsed in
    bulk)."""
    a = db.annotations
    latest: dict[int, tuple] = {}
    for chunk in range(0, len(example_ids), 5000):
        part = example_ids[chunk:chunk + 5000]
        anns = conn.execute(sa.select(a.c.example_id, a.c.answer, _json_column(a.c.spans), a.c.label)
                            .where(a.c.example_id.in_(part)).order_by(a.c.id)).all()
        for (ex_id, answer, _, label), spans in zip(anns, _parse_all([r[2] for r in anns])):
            latest[ex_id] = (answer, spans, label)
    return latest


def check_frozen_content(row, records: Iterable[Record], *, doing: str) -> str:
    """Recompute the content hash of a collection's records (every answer); for a frozen gold-set version,
    raise :class:`~evaluator.errors.IntegrityError` when it differs from the stored one. Returns the hash."""
    actual = content_hash(records)
    if row["kind"] == "gold" and is_frozen(row) and actual != row["content_hash"]:
        raise IntegrityError(
            f"gold:{row['name']} version {row['version']} was changed after it was frozen (stored hash "
            f"{(row['content_hash'] or 'none')[:12]}, actual {actual[:12]}); refusing to {doing}.",
            hint="scores on it are not comparable; restore the database from a backup or create a new version")
    return actual


def _example_columns(tokens: bool = True) -> list:
    e = db.examples
    return [e.c.id, e.c.text, _json_column(e.c.tokens) if tokens else sa.null(), _json_column(e.c.meta)]


def records_for(conn: Connection, collection_id: int, *, answers: Iterable[str] | None = ("accept",),
                offset: int = 0, limit: int | None = None) -> list[Record]:
    """Examples of a collection with their latest annotation applied (``answers=None``: every example).

    ``offset``/``limit`` take a page of the collection's examples (in order, before the ``answers`` filter), read
    with SQL ``OFFSET``/``LIMIT``: a preview of a large collection reads only what it shows.
    """
    e = db.examples
    q = sa.select(*_example_columns()).where(e.c.collection_id == collection_id).order_by(e.c.position, e.c.id)
    if offset or limit is not None:
        q = q.offset(offset).limit(limit)
    return _with_annotations(conn, conn.execute(q).all(), answers)


def records_by_ids(conn: Connection, ids: Iterable[int], *, answers: Iterable[str] | None = None,
                   collection_id: int | None = None, tokens: bool = True) -> list[Record]:
    """Examples by database id, in the order given, with their latest annotation (a few of a large collection
    without loading the rest). Unknown ids, and with ``collection_id`` ids of other collections, are left out.
    ``tokens=False`` leaves the tokens out (``None``): much faster for long texts when only the text is needed."""
    e = db.examples
    ids = list(ids)
    by_id: dict[int, Any] = {}
    for chunk in range(0, len(ids), 5000):
        q = sa.select(*_example_columns(tokens)).where(e.c.id.in_(ids[chunk:chunk + 5000]))
        if collection_id is not None:
            q = q.where(e.c.collection_id == collection_id)
        for r in conn.execute(q):
            by_id[r[0]] = r
    return _with_annotations(conn, [by_id[i] for i in ids if i in by_id], answers)


def _with_annotations(conn: Connection, rows: Sequence, answers: Iterable[str] | None) -> list[Record]:
    """Records from ``(id, text, tokens JSON, meta JSON)`` rows and their latest annotations; the cyclic garbage
    collector pauses meanwhile (:func:`~evaluator.records.bulk_objects`)."""
    with bulk_objects():
        latest = _latest_answers(conn, [r[0] for r in rows])
        out: list[Record] = []
        allowed = set(answers) if answers is not None else None
        for chunk in range(0, len(rows), 5000):
            part = rows[chunk:chunk + 5000]
            tokens_of = _parse_all([r[2] for r in part])
            meta_of = _parse_all([r[3] for r in part])
            for (ex_id, text, _, _), tokens, meta in zip(part, tokens_of, meta_of):
                answer, spans, label = latest.get(ex_id, (None, None, None))
                if allowed is not None and answer not in allowed:
                    continue
                out.append(Record(
                    text=text,
                    tokens=list(starmap(Token, tokens)) if tokens is not None else None,
                    spans=[Span(s, e_, lab) for s, e_, lab in spans] if spans else [],
                    label=label,
                    answer=answer or "unlabeled",
                    meta=meta or {},
                    id=ex_id,
                ))
        return out


def preview_records(ws: Workspace, target: Target | str, *, offset: int = 0, limit: int = 50
                    ) -> tuple[int, list[Record]]:
    """(number of examples, ``limit`` records from ``offset`` with their latest annotation) of a target: one page
    of a preview, read with SQL ``OFFSET``/``LIMIT`` (every answer, unlabeled texts included)."""
    with ws.engine.connect() as conn:
        row = get_collection(ws, target, conn=conn)
        e = db.examples
        total = conn.execute(sa.select(sa.func.count()).select_from(e).where(e.c.collection_id == row["id"])).scalar()
        return int(total), records_for(conn, row["id"], answers=None, offset=max(0, int(offset)), limit=int(limit))


def auto_accepted_ids(conn: Connection, example_ids: Iterable[int]) -> set[int]:
    """Examples whose latest annotation was accepted automatically (above a model-confidence threshold)."""
    return {i for i, ann in latest_annotations(conn, example_ids).items() if ann.get("source") == "auto"}


#: settings key of a round's labeling settings (auto-accept threshold, training on auto-accepted answers)
_ROUND_SETTINGS = "round-settings:{}"
ROUND_DEFAULTS = {"auto_accept": None, "auto_model": None, "train_on_auto": True}


def round_settings(ws: Workspace, round: int) -> dict:
    """Labeling settings of a round: ``auto_accept`` (threshold or None), ``auto_model`` and ``train_on_auto``
    (whether training uses the auto-accepted answers; default True)."""
    return {**ROUND_DEFAULTS, **(ws.get_setting(_ROUND_SETTINGS.format(int(round))) or {})}


def set_round_settings(ws: Workspace, round: int, **changes) -> dict:
    """Change labeling settings of a round (keys of :data:`ROUND_DEFAULTS`); returns them all."""
    unknown = sorted(set(changes) - set(ROUND_DEFAULTS))
    if unknown:
        raise ConfigError(f"Unknown round setting(s): {', '.join(unknown)}.",
                          hint=f"known: {', '.join(ROUND_DEFAULTS)}")
    threshold = changes.get("auto_accept")
    if threshold is not None and not 0 < float(threshold) <= 1:
        raise ConfigError(f"The auto-accept threshold must be above 0 and at most 1, got {threshold}.",
                          hint="e.g. 0.9; leave it empty to review every answer")
    merged = {**round_settings(ws, round), **changes}
    ws.set_setting(_ROUND_SETTINGS.format(int(round)), merged)
    return merged


def load_records(ws: Workspace, target: Target | str, *, answers: Iterable[str] | None = ("accept",)) -> list[Record]:
    """Records of a target (latest accepted annotation per example by default)."""
    with ws.engine.connect() as conn:
        row = get_collection(ws, target, conn=conn)
        return records_for(conn, row["id"], answers=answers)


def content_versions(ws: Workspace) -> dict[str, int]:
    """The content version of every collection, model and of the settings: ``{"collection:ID": n,
    "model:ID": n, "settings": n}``. Database triggers bump them on every write (any writer, any process), so a
    cache keyed on the versions a result depends on is invalidated by exactly the writes that change it.
    Empty on databases without the triggers (neither SQLite nor PostgreSQL)."""
    with ws.engine.connect() as conn:
        return db.content_versions_of(conn)


def version_names(ws: Workspace, *, gold: str | None = None, models: Iterable[str] = ()) -> list[str]:
    """The :func:`content_versions` names of every version of gold set ``gold`` and of the named models: what a
    result on that gold set and those models depends on."""
    c, m = db.collections, db.models
    with ws.engine.connect() as conn:
        cols = [r[0] for r in conn.execute(sa.select(c.c.id).where(c.c.kind == "gold", c.c.name == gold))] \
            if gold is not None else []
        names = list(models)
        mids = [r[0] for r in conn.execute(sa.select(m.c.id).where(m.c.name.in_(names)))] if names else []
    return [f"collection:{i}" for i in sorted(cols)] + [f"model:{i}" for i in sorted(mids)]


def _guard_keys_of(conn: Connection, kind: str) -> set[str]:
    e, c = db.examples, db.collections
    keys: set[str] = set()
    for h, loose in conn.execute(sa.select(e.c.input_hash, e.c.loose_hash).join(c, c.c.id == e.c.collection_id)
                                 .where(c.c.kind == kind)):
        keys.add(h)
        if loose:
            keys.add(loose)
    return keys


def gold_hashes(conn: Connection) -> set[str]:
    """Both leakage-guard keys (:func:`~evaluator.records.guard_keys`) of every example in any gold set version."""
    return _guard_keys_of(conn, "gold")


def train_hashes(conn: Connection) -> set[str]:
    """Both leakage-guard keys of every example in a training round."""
    return _guard_keys_of(conn, "round")


def overlapping(records: Iterable[Record], keys: set[str]) -> list[Record]:
    """The records whose text matches ``keys`` (hashes from :func:`~evaluator.records.guard_keys`) by either key."""
    return [r for r in records if not keys.isdisjoint(guard_keys(r.text))]


class Keyed(NamedTuple):
    """A text with its two leakage-guard keys, computed once (see :func:`leakage_check`)."""

    text: str
    input_hash: str
    loose_hash: str


def _guard_keys(item) -> tuple[str, str]:
    """(input_hash, loose_hash) of a record (computed once) or an example row (stored)."""
    if isinstance(item, Record) or not getattr(item, "loose_hash", None):
        return guard_keys(item.text)
    return item.input_hash, item.loose_hash


#: what the leakage guard compares against: gold sets (for training data) or training rounds (for gold data)
_GUARDS = {"gold": ("gold", "a gold set"), "rounds": ("round", "training rounds")}


def leakage_check(conn: Connection, items: Sequence, *, against: str = "gold", where: str, hint: str,
                  skip: bool = False) -> list[int]:
    """The leakage guard, one implementation for import, move and training.

    ``items`` are records or example rows (with ``.text``, ``.input_hash`` and ``.loose_hash``). Returns the indices
    of the items whose text is in a gold set (``against="gold"``) or in a training round (``against="rounds"``) by
    either key of :func:`evaluator.records.guard_keys`: the normalized text (NFKC, format characters dropped,
    confusables folded) or its letters and digits. Unless ``skip``, any overlap raises :class:`LeakageError`.
    """
    kind, found_in = _GUARDS[against]
    e, c = db.examples, db.collections
    keys = [_guard_keys(it) for it in items]
    wanted = sorted({k for pair in keys for k in pair})
    hit: set[str] = set()
    for k in range(0, len(wanted), 5000):
        part = wanted[k:k + 5000]
        q = (sa.select(e.c.input_hash, e.c.loose_hash).join(c, c.c.id == e.c.collection_id)
             .where(c.c.kind == kind, sa.or_(e.c.input_hash.in_(part), e.c.loose_hash.in_(part))).distinct())
        for h, loose in conn.execute(q):
            hit.add(h)
            if loose:
                hit.add(loose)
    overlap = [i for i, pair in enumerate(keys) if not hit.isdisjoint(pair)]
    if overlap and not skip:
        raise LeakageError(len(overlap), [items[i].text for i in overlap], where=where, hint=hint, found_in=found_in)
    return overlap


def rounds(conn: Connection) -> list[int]:
    c = db.collections
    return sorted(int(r[0]) for r in conn.execute(sa.select(c.c.name).where(c.c.kind == "round")))


def training_records(ws: Workspace, *, round: int, cumulative: bool = True,
                     auto_accepted: bool | None = None) -> list[Record]:
    """Accepted annotations of rounds 1..k (or round k only). Raises LeakageError if any text is in a gold set.

    Answers accepted automatically above a model-confidence threshold are included when ``auto_accepted`` is
    True, left out when False, and by default (None) as each round's ``train_on_auto`` setting says (default:
    included, the point of the threshold). Included ones carry ``meta["_auto"] = True``.
    """
    with ws.engine.connect() as conn:
        available = rounds(conn)
        if round not in available:
            raise NotFoundError(f"No round {round} in this workspace (rounds: {available or 'none'}).",
                                hint="import or label data into a round first: evaluator import FILE --into round:1")
        wanted = [r for r in available if (r <= round if cumulative else r == round)]
        records: list[Record] = []
        examples = 0
        for r in wanted:
            row = collection_row(conn, Target("round", str(r)))
            every = records_for(conn, row["id"], answers=None)
            examples += len(every)
            keep_auto = round_settings(ws, r)["train_on_auto"] if auto_accepted is None else auto_accepted
            auto = auto_accepted_ids(conn, [rec.id for rec in every])
            for rec in every:
                if rec.answer != "accept" or (rec.id in auto and not keep_auto):
                    continue
                rec.meta = {**rec.meta, "_round": r, **({"_auto": True} if rec.id in auto else {})}
                records.append(rec)
        if records:
            leakage_check(conn, records, where=f"in the training data of round {round}",
                          hint="remove them from the round, or re-import the round with --skip-gold-overlap")
    if not records:
        which = f"round {wanted[0]} has" if len(wanted) == 1 else f"rounds {wanted[0]}..{wanted[-1]} have"
        raise ConfigError(f"Nothing to train on: {which} {examples} example(s) but no accepted annotation.",
                          hint="import labeled data into the round (unlabeled texts belong in the pool)")
    return records


def content_hash(records: Iterable[Record]) -> str:
    """sha256 over the canonical JSON of (text, tokens, spans, label, answer) in order."""
    h = hashlib.sha256()
    for r in records:
        item = [r.text, [[t.start, t.end] for t in (r.tokens or [])], sorted(s.as_list() for s in r.spans),
                r.label, r.answer]
        h.update(json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def status(ws: Workspace) -> dict:
    """Task, labels, total examples and counts per collection (examples, accepted, spans per label)."""
    c, e, a = db.collections, db.examples, db.annotations
    with ws.engine.connect() as conn:
        cols = conn.execute(sa.select(c).order_by(c.c.kind, c.c.name, c.c.version)).mappings().all()
        out = {"workspace": str(ws.path), "database": _safe_url(ws.url), "task": ws.task, "labels": ws.labels,
               "examples": 0, "pool": None, "rounds": [], "gold_sets": []}
        for col in cols:
            n, answers, per_label = collection_counts(conn, col["id"], ws.task)
            info = {"examples": n, "accepted": answers.get("accept", 0), "unlabeled": n - sum(answers.values()),
                    "per_label": dict(sorted(per_label.items()))}
            out["examples"] += n
            if col["kind"] == "pool":
                out["pool"] = info
            elif col["kind"] == "round":
                out["rounds"].append({"round": int(col["name"]), **info})
            else:
                frozen = is_frozen(col)
                intact = None
                if frozen:  # recomputed on every status, so a changed frozen set shows up here too
                    intact = content_hash(records_for(conn, col["id"], answers=None)) == col["content_hash"]
                    if not intact:
                        out.setdefault("problems", []).append(
                            f"gold:{col['name']} version {col['version']} was changed after it was frozen "
                            "(content hash mismatch): do not evaluate on it; restore it or create a new version")
                out["gold_sets"].append({"name": col["name"], "version": col["version"],
                                         "frozen": frozen, "frozen_at": col["frozen_at"],
                                         "content_hash": col["content_hash"], "intact": intact, **info})
        out["rounds"].sort(key=lambda r: r["round"])
    return out


def collection_counts(conn: Connection, collection_id: int, task: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """(examples, answers of the latest annotation per example, accepted spans/categories per label), counted
    in SQL without loading texts, tokens or (on SQLite and PostgreSQL) spans."""
    e, a = db.examples, db.annotations
    n = conn.execute(sa.select(sa.func.count()).select_from(e).where(e.c.collection_id == collection_id)).scalar()
    latest = (sa.select(sa.func.max(a.c.id)).select_from(a.join(e, e.c.id == a.c.example_id))
              .where(e.c.collection_id == collection_id).group_by(a.c.example_id))
    answers = {ans: int(k) for ans, k in conn.execute(
        sa.select(a.c.answer, sa.func.count()).where(a.c.id.in_(latest)).group_by(a.c.answer))}
    accepted = sa.and_(a.c.id.in_(latest), a.c.answer == "accept")
    per_label: dict[str, int] = {}
    if task != "ner":
        q = sa.select(a.c.label, sa.func.count()).where(accepted, a.c.label.is_not(None)).group_by(a.c.label)
        per_label = {lab: int(k) for lab, k in conn.execute(q)}
    elif conn.dialect.name in _SPAN_LABELS_SQL:
        sql = _SPAN_LABELS_SQL[conn.dialect.name].format(latest=latest.compile(
            conn, compile_kwargs={"literal_binds": True}))
        per_label = {lab: int(k) for lab, k in conn.exec_driver_sql(sql)}
    else:
        for (spans,) in conn.execute(sa.select(a.c.spans).where(accepted)):
            for _s, _e, lab in spans or []:
                per_label[lab] = per_label.get(lab, 0) + 1
    return int(n), answers, per_label


#: labels of the accepted spans of the latest annotations (``{latest}``: a query of their ids), per database
_SPAN_LABELS_SQL = {
    "sqlite": ("SELECT json_extract(j.value, '$[2]'), count(*) FROM annotations a, json_each(a.spans) j "
               "WHERE a.id IN ({latest}) AND a.answer = 'accept' AND a.spans IS NOT NULL GROUP BY 1"),
    "postgresql": ("SELECT j.value ->> 2, count(*) FROM annotations a, json_array_elements(CAST(a.spans AS json)) j "
                   "WHERE a.id IN ({latest}) AND a.answer = 'accept' AND a.spans IS NOT NULL GROUP BY 1"),
}


def _safe_url(url: str) -> str:
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def next_round(ws: Workspace) -> int:
    """The round after the highest one that exists (1 in a workspace without rounds): where the next labeled
    file should go."""
    with ws.engine.connect() as conn:
        return max(rounds(conn), default=0) + 1


def models_on_rounds(conn: Connection) -> dict[int, list[str]]:
    """Round number -> names of the trained models whose training data came from it (a cumulative model of
    round 3 uses rounds 1, 2 and 3)."""
    m = db.models
    out: dict[int, list[str]] = {}
    for name, rnd, config in conn.execute(sa.select(m.c.name, m.c.round, m.c.config)
                                          .where(m.c.kind == "trained").order_by(m.c.id)):
        used = (config or {}).get("rounds") or ([rnd] if rnd is not None else [])
        for r in used:
            out.setdefault(int(r), []).append(name)
    return out


def list_imports(ws: Workspace, *, target: Target | str | None = None) -> list[dict]:
    """The imports whose examples are still in a collection, oldest first: ``id``, ``file`` (name only),
    ``format``, ``target``, ``examples`` (how many of its examples are there now) and ``created_at``."""
    if isinstance(target, str):
        target = parse_target(target)
    i, e, c = db.imports, db.examples, db.collections
    n = (sa.select(sa.func.count()).select_from(e)
         .where(e.c.import_id == i.c.id, e.c.collection_id == i.c.collection_id).scalar_subquery())
    q = (sa.select(i.c.id, i.c.file_name, i.c.format, i.c.created_at, c.c.kind, c.c.name, c.c.version,
                   n.label("examples"))
         .join(c, c.c.id == i.c.collection_id).order_by(i.c.id))
    if target is not None:
        q = q.where(c.c.kind == target.kind, c.c.name == target.name)
    with ws.engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return [{"id": r["id"], "file": Path(r["file_name"]).name, "format": r["format"],
             "target": str(Target(r["kind"], r["name"], r["version"] if r["kind"] == "gold" else None)),
             "examples": r["examples"], "created_at": r["created_at"]} for r in rows if r["examples"]]


def rounds_in_use(ws: Workspace) -> dict[int, list[str]]:
    """Round number -> the trained models that used it (see :func:`models_on_rounds`); such rounds are not moved
    or deleted."""
    with ws.engine.connect() as conn:
        return models_on_rounds(conn)
