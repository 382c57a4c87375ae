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
    sa.UniqueConstraint("model_id", "example_id", name="uq_prediction"),
)

evaluations = sa.Table(
    "evaluations", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
    sa.Column("gold_hash", sa.String(64), nullable=False),
    sa.Column("settings_key", sa.String(64), nullable=False),
    sa.Column("settings", JSONText, nullable=False),
    sa.Column("result", JSONText, nullable=False),
    sa.Column("created_at", sa.String(40), nullable=False, default=utcnow),
    sa.UniqueConstraint("model_id", "collection_id", "settings_key", name="uq_evaluation"),
)

# A counter per collection, per model and for the settings, bumped by database triggers on every write to the
# rows they cover (see _m040_content_versions): caches key on them, so a write invalidates only what it changed.
content_versions = sa.Table(
    "content_versions", metadata,
    sa.Column("name", sa.String(100), primary_key=True),  # collection:ID | model:ID | settings
    sa.Column("version", sa.BigInteger, nullable=False),
)

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("applied_at", sa.String(40), nullable=False),
)


def _m001_initial(conn: Connection) -> None:
    metadata.create_all(
        conn,
        tables=[settings, collections, imports, examples, annotations, models, predictions, evaluations],
    )


#: (table, key of one changed row in SQLite trigger SQL with ``{row}`` = NEW or OLD, the same as a query over
#: the changed rows ``r`` of a PostgreSQL transition table ``{rows}``)
VERSIONED_TABLES = [
    ("collections", "'collection:' || {row}.id", "'collection:' || r.id FROM {rows} r"),
    ("examples", "'collection:' || {row}.collection_id", "'collection:' || r.collection_id FROM {rows} r"),
    ("annotations", "(SELECT 'collection:' || collection_id FROM examples WHERE id = {row}.example_id)",
     "'collection:' || e.collection_id FROM {rows} r JOIN examples e ON e.id = r.example_id"),
    ("models", "'model:' || {row}.id", "'model:' || r.id FROM {rows} r"),
    ("predictions", "'model:' || {row}.model_id", "'model:' || r.model_id FROM {rows} r"),
    ("evaluations", "'model:' || {row}.model_id", "'model:' || r.model_id FROM {rows} r"),
    ("settings", "'settings'", "'settings' FROM {rows} r"),
]


def _m040_content_versions(conn: Connection) -> None:
    """The ``content_versions`` table and the triggers that bump it (SQLite: per row; PostgreSQL: per statement
    over its transition tables). Other databases get the table without triggers (nothing is cached there)."""
    conn.exec_driver_sql("CREATE TABLE content_versions (name VARCHAR(100) NOT NULL PRIMARY KEY, "
                         "version BIGINT NOT NULL)")
    upsert = ("INSERT INTO content_versions (name, version) SELECT k, 1 FROM ({keys}) AS changed WHERE k IS NOT "
              "NULL ON CONFLICT (name) DO UPDATE SET version = content_versions.version + 1")
    for table, row_key, rows_key in VERSIONED_TABLES:
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


#: Ordered, named migrations. Append only.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_initial", _m001_initial),
    ("040_content_versions", _m040_content_versions),
]


def content_versions_of(conn: Connection) -> dict[str, int]:
    """Every content version: ``{"collection:ID": n, "model:ID": n, "settings": n}`` (missing = 0)."""
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
