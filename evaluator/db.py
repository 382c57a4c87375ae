"""SQLAlchemy engine, schema and ordered, named migrations.

SQLite (WAL, foreign keys on) is the embedded default; any SQLAlchemy URL (PostgreSQL for teams) works.
The schema is defined once as SQLAlchemy Core tables; :data:`MIGRATIONS` is an ordered list of named steps, and
``schema_migrations`` records which ran. Add a step to the end of the list to change the schema; never edit one
that has shipped.
"""
from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

metadata = sa.MetaData()


def utcnow() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


class JSONText(sa.types.TypeDecorator):
    """JSON stored as text with sorted keys, identical on SQLite and PostgreSQL (hashes stay stable)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(value)


settings = sa.Table(
    "settings", metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", JSONText, nullable=False),
)

# A collection is the pool, one annotation round, or one version of a gold set.
collections = sa.Table(
    "collections", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # pool | round | gold
    sa.Column("name", sa.String(200), nullable=False),  # "pool", "3" for round 3, gold-set name
    sa.Column("version", sa.Integer, nullable=False, default=1),  # gold version; round number; 1 for pool
    sa.Column("frozen_at", sa.String(40)),
    sa.Column("content_hash", sa.String(64)),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
    sa.UniqueConstraint("kind", "name", "version", name="uq_collection"),
)

examples = sa.Table(
    "examples", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("input_hash", sa.String(32), nullable=False, index=True),
    sa.Column("tokens", JSONText),  # [[start, end], ...]
    sa.Column("meta", JSONText),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id", ondelete="SET NULL")),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
)

annotations = sa.Table(
    "annotations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("answer", sa.String(10), nullable=False),  # accept | reject | ignore
    sa.Column("spans", JSONText),  # [[start, end, label], ...] for NER
    sa.Column("label", sa.String(200)),  # category for textcat
    sa.Column("annotator", sa.String(100), nullable=False, default="import"),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
)

imports = sa.Table(
    "imports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=False),
    sa.Column("format", sa.String(50), nullable=False),
    sa.Column("report", JSONText),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
    sa.UniqueConstraint("collection_id", "file_sha256", name="uq_import_once"),
)

models = sa.Table(
    "models", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),  # trained | spacy-dir | predictions
    sa.Column("trainer", sa.String(50)),
    sa.Column("round", sa.Integer),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("models.id", ondelete="SET NULL")),
    sa.Column("artifact_path", sa.Text),
    sa.Column("artifact_hash", sa.String(64)),
    sa.Column("config", JSONText),
    sa.Column("train_hash", sa.String(64)),
    sa.Column("train_counts", JSONText),
    sa.Column("versions", JSONText),
    sa.Column("seed", sa.Integer),
    sa.Column("seconds", sa.Float),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
)

predictions = sa.Table(
    "predictions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False),
    sa.Column("spans", JSONText),
    sa.Column("label", sa.String(200)),
    sa.Column("scores", JSONText),  # category probabilities, for active learning
    # sha256 over (artifact hash, input hash, payload): a row that does not match is recomputed
    sa.Column("checksum", sa.String(64)),
    sa.UniqueConstraint("model_id", "example_id", name="uq_prediction"),
)

# Every computed result (evaluations, comparisons, learning curves, ...): one row per (kind, key), where the key
# is a hash of everything the result was computed from (gold content hash, artifact hashes, settings, version).
results = sa.Table(
    "results", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE")),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE")),
    sa.Column("gold_hash", sa.String(64)),
    sa.Column("artifacts", JSONText),
    sa.Column("settings", JSONText, nullable=False),
    sa.Column("payload", JSONText, nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
    sa.UniqueConstraint("kind", "key", name="uq_result"),
    sa.Index("ix_results_kind_model", "kind", "model_id"),
)

# which examples a trained model was trained on, so that a gold set made later (a split, an import, a move) that
# shares texts with them is flagged wherever the model's scores are shown
training_examples = sa.Table(
    "training_examples", metadata,
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_training_examples_example", "example_id"),
)

# A counter per collection, per model and for the settings, bumped by database triggers on every write to the
# rows they cover (see _m040_content_versions): caches key on them, so a write invalidates only what it changed.
content_versions = sa.Table(
    "content_versions", metadata,
    sa.Column("name", sa.String(100), primary_key=True),  # collection:ID | model:ID | results:KIND | settings
    sa.Column("version", sa.BigInteger, nullable=False),
)

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("applied_at", sa.String(40), nullable=False),
)


# ------------------------------------------------------------------------------------------------ migrations
# Each step is frozen once shipped: it spells out its own DDL (never the live tables above, which move on) and
# any data it moves. tests/core/test_migrations.py checks that a fresh database, a database migrated from the
# 0.1.0 fixture and the live table definitions agree.

def _m001_initial(conn: Connection) -> None:
    m = sa.MetaData()
    t = sa.Text
    sa.Table("settings", m, sa.Column("key", sa.String(100), primary_key=True), sa.Column("value", t, nullable=False))
    sa.Table("collections", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("kind", sa.String(10), nullable=False),
             sa.Column("name", sa.String(200), nullable=False),
             sa.Column("version", sa.Integer, nullable=False),
             sa.Column("frozen_at", sa.String(40)),
             sa.Column("content_hash", sa.String(64)),
             sa.Column("note", t),
             sa.Column("created_at", sa.String(40), nullable=False),
             sa.UniqueConstraint("kind", "name", "version", name="uq_collection"))
    sa.Table("imports", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"),
                       nullable=False),
             sa.Column("file_name", t, nullable=False),
             sa.Column("file_sha256", sa.String(64), nullable=False),
             sa.Column("format", sa.String(50), nullable=False),
             sa.Column("report", t),
             sa.Column("created_at", sa.String(40), nullable=False),
             sa.UniqueConstraint("collection_id", "file_sha256", name="uq_import_once"))
    sa.Table("examples", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"),
                       nullable=False, index=True),
             sa.Column("position", sa.Integer, nullable=False),
             sa.Column("text", t, nullable=False),
             sa.Column("input_hash", sa.String(32), nullable=False, index=True),
             sa.Column("tokens", t),
             sa.Column("meta", t),
             sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id", ondelete="SET NULL")),
             sa.Column("created_at", sa.String(40), nullable=False))
    sa.Table("annotations", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False,
                       index=True),
             sa.Column("answer", sa.String(10), nullable=False),
             sa.Column("spans", t),
             sa.Column("label", sa.String(200)),
             sa.Column("annotator", sa.String(100), nullable=False),
             sa.Column("created_at", sa.String(40), nullable=False))
    sa.Table("models", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(200), nullable=False, unique=True),
             sa.Column("kind", sa.String(20), nullable=False),
             sa.Column("trainer", sa.String(50)),
             sa.Column("round", sa.Integer),
             sa.Column("parent_id", sa.Integer, sa.ForeignKey("models.id", ondelete="SET NULL")),
             sa.Column("artifact_path", t),
             sa.Column("artifact_hash", sa.String(64)),
             sa.Column("config", t),
             sa.Column("train_hash", sa.String(64)),
             sa.Column("train_counts", t),
             sa.Column("versions", t),
             sa.Column("seed", sa.Integer),
             sa.Column("seconds", sa.Float),
             sa.Column("created_at", sa.String(40), nullable=False))
    sa.Table("predictions", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
             sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), nullable=False),
             sa.Column("spans", t),
             sa.Column("label", sa.String(200)),
             sa.Column("scores", t),
             sa.UniqueConstraint("model_id", "example_id", name="uq_prediction"))
    sa.Table("evaluations", m,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
             sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"),
                       nullable=False),
             sa.Column("gold_hash", sa.String(64), nullable=False),
             sa.Column("settings_key", sa.String(64), nullable=False),
             sa.Column("settings", t, nullable=False),
             sa.Column("result", t, nullable=False),
             sa.Column("created_at", sa.String(40), nullable=False),
             sa.UniqueConstraint("model_id", "collection_id", "settings_key", name="uq_evaluation"))
    m.create_all(conn)


def _m002_results(conn: Connection) -> None:
    """One results table; curves move into it from ``settings``; stored evaluations are dropped (they are
    recomputed from the stored predictions on the next evaluation, never shown stale); predictions get a
    checksum, filled for the rows already there."""
    import hashlib

    m = sa.MetaData()
    t = sa.Text
    sa.Table("collections", m, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("models", m, sa.Column("id", sa.Integer, primary_key=True))
    res = sa.Table("results", m,
                   sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("kind", sa.String(40), nullable=False),
                   sa.Column("key", sa.String(64), nullable=False),
                   sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE")),
                   sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE")),
                   sa.Column("gold_hash", sa.String(64)),
                   sa.Column("artifacts", t),
                   sa.Column("settings", t, nullable=False),
                   sa.Column("payload", t, nullable=False),
                   sa.Column("checksum", sa.String(64), nullable=False),
                   sa.Column("version", sa.Integer, nullable=False),
                   sa.Column("created_at", sa.String(40), nullable=False),
                   sa.UniqueConstraint("kind", "key", name="uq_result"),
                   sa.Index("ix_results_kind_model", "kind", "model_id"))
    res.create(conn)

    def dumps(value: Any) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    def sha(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    # learning curves: settings rows "curve:<40 hex>" holding the curve with its plan; key = sha256(plan JSON)
    for key, value in conn.execute(sa.text("SELECT key, value FROM settings WHERE key LIKE 'curve:%'")).all():
        curve = json.loads(value)
        plan = curve.get("plan") or {}
        payload = dumps(curve)
        conn.execute(sa.text(
            "INSERT INTO results (kind, key, model_id, collection_id, gold_hash, artifacts, settings, payload, "
            "checksum, version, created_at) VALUES ('curve', :key, NULL, NULL, :gold_hash, NULL, :settings, "
            ":payload, :checksum, 1, :created_at)"),
            {"key": sha(json.dumps(plan, sort_keys=True)), "gold_hash": plan.get("gold_hash"),
             "settings": dumps(plan), "payload": payload, "checksum": sha(payload),
             "created_at": curve.get("created_at") or utcnow()})
        conn.execute(sa.text("DELETE FROM settings WHERE key = :key"), {"key": key})
    conn.execute(sa.text("DROP TABLE evaluations"))

    conn.execute(sa.text("ALTER TABLE predictions ADD COLUMN checksum VARCHAR(64)"))
    rows = conn.execute(sa.text(
        "SELECT p.id, m.artifact_hash, e.text, p.spans, p.label, p.scores FROM predictions p "
        "JOIN models m ON m.id = p.model_id JOIN examples e ON e.id = p.example_id")).all()
    for pid, artifact, text, spans, label, scores in rows:
        body = dumps({"spans": json.loads(spans) if spans else [], "label": label,
                      "scores": json.loads(scores) if scores else None})
        conn.execute(sa.text("UPDATE predictions SET checksum = :c WHERE id = :id"),
                     {"c": sha(f"{artifact or ''}\n{text}\n{body}"), "id": pid})


def _m003_training_examples(conn: Connection) -> None:
    """Which examples each trained model saw (filled for models trained from now on)."""
    m = sa.MetaData()
    sa.Table("models", m, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("examples", m, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("training_examples", m,
             sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
             sa.Column("example_id", sa.Integer, sa.ForeignKey("examples.id", ondelete="CASCADE"), primary_key=True),
             sa.Index("ix_training_examples_example", "example_id")).create(conn)


def _m040_content_versions(conn: Connection) -> None:
    """The ``content_versions`` table and the triggers that bump it (SQLite: per row; PostgreSQL: per statement
    over its transition tables). Other databases get the table without triggers (nothing is cached there)."""
    # (table, key of one changed row in SQLite trigger SQL with {row} = NEW or OLD, the same as a query over the
    # changed rows r of a PostgreSQL transition table {rows})
    versioned = [
        ("collections", "'collection:' || {row}.id", "'collection:' || r.id FROM {rows} r"),
        ("examples", "'collection:' || {row}.collection_id", "'collection:' || r.collection_id FROM {rows} r"),
        ("annotations", "(SELECT 'collection:' || collection_id FROM examples WHERE id = {row}.example_id)",
         "'collection:' || e.collection_id FROM {rows} r JOIN examples e ON e.id = r.example_id"),
        ("models", "'model:' || {row}.id", "'model:' || r.id FROM {rows} r"),
        ("predictions", "'model:' || {row}.model_id", "'model:' || r.model_id FROM {rows} r"),
        ("results", "COALESCE('model:' || {row}.model_id, 'results:' || {row}.kind)",
         "COALESCE('model:' || r.model_id, 'results:' || r.kind) FROM {rows} r"),
        ("training_examples", "'model:' || {row}.model_id", "'model:' || r.model_id FROM {rows} r"),
        ("settings", "'settings'", "'settings' FROM {rows} r"),
    ]
    conn.exec_driver_sql("CREATE TABLE content_versions (name VARCHAR(100) NOT NULL PRIMARY KEY, "
                         "version BIGINT NOT NULL)")
    upsert = ("INSERT INTO content_versions (name, version) SELECT k, 1 FROM ({keys}) AS changed WHERE k IS NOT "
              "NULL ON CONFLICT (name) DO UPDATE SET version = content_versions.version + 1")
    for table, row_key, rows_key in versioned:
        if conn.dialect.name == "sqlite":
            for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
                body = " ".join(upsert.format(keys=f"SELECT {row_key.format(row=r)} AS k") + ";" for r in rows)
                conn.exec_driver_sql(f"CREATE TRIGGER cv_{table}_{event.lower()} AFTER {event} ON {table} "
                                     f"BEGIN {body} END")
        elif conn.dialect.name == "postgresql":
            for event, refs in (("INSERT", {"NEW": "new_rows"}), ("UPDATE", {"OLD": "old_rows", "NEW": "new_rows"}),
                                ("DELETE", {"OLD": "old_rows"})):
                keys = " UNION ".join(f"SELECT {rows_key.format(rows=name)}" for name in refs.values())
                fn = f"cv_{table}_{event.lower()}"
                conn.exec_driver_sql(f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                                     f"{upsert.format(keys=f'SELECT DISTINCT k FROM ({keys}) AS u(k)')}; "
                                     "RETURN NULL; END $$")
                referencing = " ".join(f"{kind} TABLE AS {name}" for kind, name in refs.items())
                conn.exec_driver_sql(f"CREATE TRIGGER {fn} AFTER {event} ON {table} REFERENCING {referencing} "
                                     f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()")


#: Ordered, named migrations. Append only; never edit a step that has shipped.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_initial", _m001_initial),
    ("002_results", _m002_results),
    ("003_training_examples", _m003_training_examples),
    ("040_content_versions", _m040_content_versions),
]


def content_versions_of(conn: Connection) -> dict[str, int]:
    """Every content version: ``{"collection:ID": n, "model:ID": n, "results:KIND": n, "settings": n}`` (missing
    = 0)."""
    return {name: int(v) for name, v in conn.execute(sa.select(content_versions.c.name, content_versions.c.version))}


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Engine for a database URL; SQLite gets WAL and foreign keys."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True)
    return engine


def lock_for_writing(conn: Connection) -> None:
    """Make writers that check and then write (imports with the leakage guard, splits, moves) take turns.

    Call it first in the transaction. SQLite: ``BEGIN IMMEDIATE`` takes the write lock now (a second writer
    waits up to the busy timeout) so the checks read what the previous writer committed; PostgreSQL: a
    transaction-scoped advisory lock.
    """
    if conn.dialect.name == "sqlite":
        raw = conn.connection.dbapi_connection
        if not getattr(raw, "in_transaction", True):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7226150)"))


def _insert(conn: Connection, table: sa.Table):
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(conn.dialect.name)
    return insert(table)


def insert_ignore(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], *, keys: tuple[str, ...]) -> None:
    """Insert rows, skipping those whose ``keys`` (a unique constraint) exist already, also when another
    session inserts them at the same moment (``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL)."""
    if rows:
        conn.execute(_insert(conn, table).on_conflict_do_nothing(index_elements=list(keys)), rows)


def upsert(conn: Connection, table: sa.Table, values: dict[str, Any], *, keys: tuple[str, ...]) -> None:
    """Insert a row or, when its ``keys`` (a unique constraint) exist, replace its other columns."""
    stmt = _insert(conn, table).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={k: stmt.excluded[k] for k in values if k not in keys})
    conn.execute(stmt)


def migrate(engine: Engine) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    applied: list[str] = []
    with engine.begin() as conn:
        schema_migrations.create(conn, checkfirst=True)
        done = {r[0] for r in conn.execute(sa.select(schema_migrations.c.name))}
        unknown = sorted(done - {name for name, _ in MIGRATIONS})
        if unknown:
            from evaluator.errors import ConfigError
            raise ConfigError(
                f"This database was written by a newer version of evaluator (schema step(s) {', '.join(unknown)} "
                f"are unknown to this version); opening it could damage it.",
                hint="upgrade evaluator (pip install -U nlp-evaluator, or git pull and make install), "
                     "or use another workspace")
        for name, step in MIGRATIONS:
            if name in done:
                continue
            step(conn)
            conn.execute(schema_migrations.insert().values(name=name, applied_at=utcnow()))
            applied.append(name)
    return applied
