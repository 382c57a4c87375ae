"""Workspaces: a folder with ``workspace.db`` (SQLite) and artifacts, or a database URL.

>>> ws = init_workspace(tmp_path, task="ner", labels=["PER", "ORG"])   # doctest: +SKIP
>>> open_workspace(tmp_path).labels                                    # doctest: +SKIP
['ORG', 'PER']
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from evaluator import db
from evaluator.errors import ConfigError

TASKS = ("ner", "textcat")
REPO_ROOT = Path(__file__).resolve().parent.parent


def default_workspace_path() -> Path:
    """``$EVALUATOR_WORKSPACE`` or ``data/workspace`` in the repository."""
    env = os.environ.get("EVALUATOR_WORKSPACE")
    return Path(env) if env else REPO_ROOT / "data" / "workspace"


_ENGINES: dict[str, Engine] = {}


_ENGINES_LOCK = threading.Lock()


def _engine(url: str) -> Engine:
    # one engine per URL per process (engines are pools; creating many leaks connections)
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = db.make_engine(url)
        return _ENGINES[url]


@dataclass
class Workspace:
    """An open workspace. ``path`` holds artifacts (models, reports) even when the database is elsewhere."""

    path: Path
    url: str
    engine: Engine = field(repr=False)
    #: leftovers of interrupted training removed when the workspace was opened (:mod:`evaluator.housekeeping`)
    cleaned: list = field(default_factory=list, repr=False, compare=False)

    # settings -------------------------------------------------------------------------------------------
    def get_setting(self, key: str, default=None):
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(db.settings.c.value).where(db.settings.c.key == key)).first()
        return default if row is None else row[0]

    def set_setting(self, key: str, value, *, conn=None) -> None:
        def _write(c):
            c.execute(db.settings.delete().where(db.settings.c.key == key))
            c.execute(db.settings.insert().values(key=key, value=value))
        if conn is not None:
            _write(conn)
        else:
            with self.engine.begin() as c:
                _write(c)

    @property
    def task(self) -> str:
        return self.get_setting("task")

    @property
    def labels(self) -> list[str]:
        return list(self.get_setting("labels", []))

    @property
    def lang(self) -> str:
        return self.get_setting("lang", "en")

    @property
    def models_dir(self) -> Path:
        p = self.path / "models"
        p.mkdir(parents=True, exist_ok=True)
        return p

    @property
    def reports_dir(self) -> Path:
        p = self.path / "reports"
        p.mkdir(parents=True, exist_ok=True)
        return p

    def add_labels(self, labels: Iterable[str], *, conn=None) -> list[str]:
        merged = sorted(set(self.labels) | {str(x) for x in labels})
        self.set_setting("labels", merged, conn=conn)
        return merged

    def __hash__(self) -> int:  # usable as a cache key
        return hash((str(self.path), self.url))


def _migrate(engine: Engine, url: str, path: Path) -> None:
    """Apply pending migrations; a file that is not a database, or a server that cannot be reached, is a
    :class:`ConfigError` naming it (never a driver traceback)."""
    try:
        db.migrate(engine)
    except sa.exc.DBAPIError as err:
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        reason = str(getattr(err, "orig", err)).strip().splitlines()[0]
        if url.startswith("sqlite"):
            raise ConfigError(f"Cannot open the workspace database {shown}: {reason}.",
                              hint=f"point --workspace at a workspace folder; {path / 'workspace.db'} must be a file "
                                   "written by `evaluator init`") from None
        raise ConfigError(f"Cannot open the database {shown}: {reason}.",
                          hint="check the --db URL / $EVALUATOR_DB_URL and that the server is running") from None


def _url_for(path: Path, db_url: str | None) -> str:
    return db_url or os.environ.get("EVALUATOR_DB_URL") or f"sqlite:///{(path / 'workspace.db').resolve()}"


def init_workspace(path: str | Path | None = None, *, task: str, labels: Iterable[str] = (), lang: str = "en",
                   db_url: str | None = None) -> Workspace:
    """Create (or re-open) a workspace for ``task`` (``ner`` or ``textcat``). Idempotent for the same task."""
    if task not in TASKS:
        raise ConfigError(f"Unknown task {task!r}.", hint="use --task ner or --task textcat")
    from evaluator.tokenize import nlp_for
    nlp_for(lang)  # an unknown language fails now, not at the first import or training
    path = Path(path) if path else default_workspace_path()
    path.mkdir(parents=True, exist_ok=True)
    url = _url_for(path, db_url)
    engine = _engine(url)
    _migrate(engine, url, path)
    ws = Workspace(path=path, url=url, engine=engine)
    with engine.begin() as conn:
        db.lock_for_writing(conn)  # concurrent inits of the same workspace take turns; the later ones re-open it
        current = conn.execute(sa.select(db.settings.c.value).where(db.settings.c.key == "task")).scalar()
        if current and current != task:
            raise ConfigError(f"Workspace {path} already holds a {current!r} task, not {task!r}.",
                              hint="use another --workspace folder")
        if not current:
            ws.set_setting("task", task, conn=conn)
            ws.set_setting("lang", lang, conn=conn)
            ws.set_setting("labels", [], conn=conn)
        if labels:
            known = conn.execute(sa.select(db.settings.c.value).where(db.settings.c.key == "labels")).scalar()
            ws.set_setting("labels", sorted(set(known or []) | {str(x) for x in labels}), conn=conn)
    return ws


def open_workspace(path: str | Path | None = None, *, db_url: str | None = None) -> Workspace:
    """Open an initialised workspace (applying pending migrations)."""
    path = Path(path) if path else default_workspace_path()
    url = _url_for(path, db_url)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        raise ConfigError(f"No workspace at {path}.",
                          hint=f"create one with: evaluator init --workspace {path} --task ner --labels PER,ORG")
    engine = _engine(url)
    _migrate(engine, url, path)
    ws = Workspace(path=path, url=url, engine=engine)
    if not ws.task:
        raise ConfigError(f"Workspace {path} is not initialised.", hint="run: evaluator init --task ner|textcat")
    path.mkdir(parents=True, exist_ok=True)
    from evaluator.housekeeping import clean_interrupted

    ws.cleaned = clean_interrupted(ws)
    return ws
