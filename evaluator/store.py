"""Small query functions over the workspace database: targets, collections, records, status."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from itertools import starmap
from typing import Any, Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from evaluator import db
from evaluator.errors import ConfigError, FrozenError, LeakageError, NotFoundError
from evaluator.records import Record, Span, Token, bulk_objects
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


def assert_writable(row) -> None:
    if row["frozen_at"]:
        raise FrozenError(f"gold:{row['name']} version {row['version']} is frozen (since {row['frozen_at']}).",
                          hint=f"create a new version with: evaluator gold new-version {row['name']}")


def _json_column(col: sa.ColumnElement) -> sa.ColumnElement:
    """A JSON text column read as its raw text (parsed many rows at a time by :func:`_parse_all`)."""
    return sa.type_coerce(col, sa.Text)


def _parse_all(texts: list[str | None]) -> list[Any]:
    """``json.loads`` of each text (``None`` stays ``None``) in one call: one parse of a JSON array of them."""
    return json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]") if texts else []


def records_for(conn: Connection, collection_id: int, *, answers: Iterable[str] | None = ("accept",),
                offset: int = 0, limit: int | None = None) -> list[Record]:
    """Examples of a collection with their latest annotation applied (``answers=None``: every example).

    ``offset``/``limit`` take a page of the collection's examples (in order, before the ``answers`` filter), read
    with SQL ``OFFSET``/``LIMIT``: a preview of a large collection reads only what it shows.
    """
    with bulk_objects():
        return _records_for(conn, collection_id, answers=answers, offset=offset, limit=limit)


def _records_for(conn: Connection, collection_id: int, *, answers: Iterable[str] | None, offset: int,
                 limit: int | None) -> list[Record]:
    e, a = db.examples, db.annotations
    q = (sa.select(e.c.id, e.c.text, _json_column(e.c.tokens), _json_column(e.c.meta))
         .where(e.c.collection_id == collection_id).order_by(e.c.position, e.c.id))
    if offset or limit is not None:
        q = q.offset(offset).limit(limit)
    rows = conn.execute(q).all()
    latest: dict[int, tuple] = {}
    ids = [r[0] for r in rows]
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk:chunk + 5000]
        anns = conn.execute(sa.select(a.c.example_id, a.c.answer, _json_column(a.c.spans), a.c.label)
                            .where(a.c.example_id.in_(part)).order_by(a.c.id)).all()
        for (ex_id, answer, _, label), spans in zip(anns, _parse_all([r[2] for r in anns])):
            latest[ex_id] = (answer, spans, label)
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


def gold_hashes(conn: Connection, *, exclude_collection: int | None = None) -> set[str]:
    """input_hash of every example in any gold set version (frozen or not)."""
    e, c = db.examples, db.collections
    q = sa.select(e.c.input_hash).join(c, c.c.id == e.c.collection_id).where(c.c.kind == "gold")
    if exclude_collection is not None:
        q = q.where(c.c.id != exclude_collection)
    return {r[0] for r in conn.execute(q)}


def train_hashes(conn: Connection) -> set[str]:
    e, c = db.examples, db.collections
    q = sa.select(e.c.input_hash).join(c, c.c.id == e.c.collection_id).where(c.c.kind == "round")
    return {r[0] for r in conn.execute(q)}


#: what the leakage guard compares against: gold sets (for training data) or training rounds (for gold data)
_GUARDS = {"gold": ("gold", "a gold set"), "rounds": ("round", "training rounds")}


def leakage_check(conn: Connection, items: Sequence, *, against: str = "gold", where: str, hint: str,
                  skip: bool = False) -> list[int]:
    """The leakage guard, one implementation for import, move and training.

    ``items`` have ``.text`` and ``.input_hash`` (records or example rows). Returns the indices of the items whose
    text (normalized, :func:`evaluator.records.input_hash`) is in a gold set (``against="gold"``) or in a training
    round (``against="rounds"``). Unless ``skip``, any overlap raises :class:`LeakageError` naming them.
    """
    kind, found_in = _GUARDS[against]
    e, c = db.examples, db.collections
    wanted = sorted({it.input_hash for it in items})
    hit: set[str] = set()
    for k in range(0, len(wanted), 5000):
        part = wanted[k:k + 5000]
        q = (sa.select(e.c.input_hash).join(c, c.c.id == e.c.collection_id)
             .where(c.c.kind == kind, e.c.input_hash.in_(part)).distinct())
        hit.update(r[0] for r in conn.execute(q))
    overlap = [i for i, it in enumerate(items) if it.input_hash in hit]
    if overlap and not skip:
        raise LeakageError(len(overlap), [items[i].text for i in overlap], where=where, hint=hint, found_in=found_in)
    return overlap


def rounds(conn: Connection) -> list[int]:
    c = db.collections
    return sorted(int(r[0]) for r in conn.execute(sa.select(c.c.name).where(c.c.kind == "round")))


def training_records(ws: Workspace, *, round: int, cumulative: bool = True) -> list[Record]:
    """Accepted annotations of rounds 1..k (or round k only). Raises LeakageError if any text is in a gold set."""
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
            for rec in every:
                if rec.answer != "accept":
                    continue
                rec.meta = {**rec.meta, "_round": r}
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
                out["gold_sets"].append({"name": col["name"], "version": col["version"],
                                         "frozen": bool(col["frozen_at"]), "frozen_at": col["frozen_at"],
                                         "content_hash": col["content_hash"], **info})
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
