"""Workspaces: a folder with ``workspace.db`` (SQLite) and artifacts, or a database URL.

>>> ws = init_workspace(tmp_path, task="ner", labels=["PER", "ORG"])   # doctest: +SKIP
>>> open_workspace(tmp_path).labels                                    # doctest: +SKIP
['ORG', 'PER']
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from evaluator import db
from evaluator.errors import ConfigError

TASKS = ("ner", "textcat")
REPO_ROOT = Path(__file__).resolve().parent.parent


#: environment variable naming the workspace folder
WORKSPACE_ENV = "EVALUATOR_WORKSPACE"
#: the SQLite file that makes a folder a workspace
DB_FILE = "workspace.db"
#: written by :func:`init_workspace` into every workspace folder, so that commands run inside a folder whose
#: database is on a server (team mode: ``--db`` / ``$EVALUATOR_DB_URL``) find it as they find a ``workspace.db``
MARKER_FILE = ".evaluator-workspace"


def default_workspace_path() -> Path:
    """The app's default folder: ``$EVALUATOR_WORKSPACE`` or ``data/workspace`` in the repository (where
    ``make run`` builds the demo). The CLI does not use it: see :func:`resolve_workspace`."""
    env = os.environ.get(WORKSPACE_ENV)
    return Path(env) if env else REPO_ROOT / "data" / "workspace"


def find_workspace(start: str | Path | None = None) -> Path | None:
    """The nearest folder holding a ``workspace.db`` (or the marker ``init`` writes), from ``start`` (default: the current folder) upward, as
    git finds ``.git``; None when there is none.

    >>> import tempfile; root = Path(tempfile.mkdtemp())
    >>> _ = init_workspace(root / "ws", task="ner"); (root / "ws" / "runs" / "a").mkdir(parents=True)
    >>> find_workspace(root / "ws" / "runs" / "a") == (root / "ws").resolve(), find_workspace(root)
    (True, None)
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / DB_FILE).is_file() or (folder / MARKER_FILE).is_file():
            return folder
    return None


def resolve_workspace(path: str | Path | None = None, *, search: bool = True) -> tuple[Path, str]:
    """Which workspace a command means, and why: ``(folder, how)``.

    ``path`` (``--workspace``) when given, else ``$EVALUATOR_WORKSPACE``, else (with ``search``) the nearest
    workspace from the current folder upward (:func:`find_workspace`); else a :class:`ConfigError` saying how to
    name one. ``how`` is a few words for the one line the CLI prints about it.
    """
    if path:
        return Path(path), "--workspace"
    env = os.environ.get(WORKSPACE_ENV, "").strip()
    if env:
        return Path(env), f"${WORKSPACE_ENV}"
    found = find_workspace() if search else None
    if found is not None:
        return found, f"the nearest workspace above {Path.cwd()}" if found != Path.cwd().resolve() \
            else "the current folder"
    if not search:
        raise ConfigError("No workspace folder given.",
                          hint=f"pass --workspace DIR (. for the current folder), or set {WORKSPACE_ENV}=DIR")
    raise ConfigError(f"No workspace in {Path.cwd()} or above it, and neither --workspace nor ${WORKSPACE_ENV} "
                      "names one.",
                      hint=f"pass --workspace DIR, or set {WORKSPACE_ENV}=DIR, or run the command inside a workspace "
                           "folder; create one with: evaluator init --workspace DIR --task ner --labels PER,ORG")


def _make_folder(path: Path) -> None:
    """Create the workspace folder; a path that is a file, lies under a file or cannot be written is a
    :class:`ConfigError` saying so (never an OSError)."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path} is a file, not a folder; a workspace is a folder.",
                          hint="choose a folder path (a new one is created), e.g. the file's folder plus /ws")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (NotADirectoryError, FileExistsError):
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        raise ConfigError(f"Cannot create the workspace folder {path}: {blocker or 'a part of the path'} is a file.",
                          hint="choose a path whose parent folders are folders") from None
    except PermissionError:
        raise ConfigError(f"Cannot create the workspace folder {path}: permission denied.",
                          hint="choose a folder you can write to, e.g. one in your home folder") from None
    except OSError as err:
        raise ConfigError(f"Cannot create the workspace folder {path}: {err.strerror or err}.",
                          hint="choose another folder") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"The folder {path} is not writable.",
                          hint="choose a folder you can write to, or change its permissions")


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

    def __reduce__(self):  # pickles as its folder and URL (a worker process opens it again; engines do not pickle)
        return _reopen, (str(self.path), self.url)


def _migrate(engine: Engine, url: str, path: Path) -> None:
    """Apply pending migrations; a file that is not a database, or a server that cannot be reached, is a
    :class:`ConfigError` naming it (never a driver traceback)."""
    for attempt in range(8):
        try:
            db.migrate(engine)
            return
        except sa.exc.OperationalError as err:
            # a new SQLite file switching to WAL while another process creates the schema can answer "locked"
            # at once, without waiting for the busy timeout: wait and try again, then report it
            if "locked" not in str(err.orig) or attempt == 7:
                _open_failed(err, url, path)
            time.sleep(0.05 * 2 ** attempt)
        except sa.exc.DBAPIError as err:
            _open_failed(err, url, path)


def _open_failed(err: sa.exc.DBAPIError, url: str, path: Path) -> None:
    shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    reason = str(getattr(err, "orig", err)).strip().splitlines()[0]
    if url.startswith("sqlite") and "locked" in reason:
        raise ConfigError(f"Cannot open the workspace database {shown}: {reason} (another process kept it busy).",
                          hint="wait for the other evaluator command or app session to finish, then try again") from None
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
    _make_folder(path)
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
    marker = path / MARKER_FILE
    if not marker.exists():
        marker.write_text("An evaluator workspace folder (models, reports); its database is workspace.db here, or "
                          "the server named by --db / $EVALUATOR_DB_URL.\n", encoding="utf-8")
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
        raise ConfigError(f"Workspace {path} is not initialised.",
                          hint=f"run: evaluator init --workspace {path} --task ner|textcat")
    _make_folder(path)
    from evaluator.housekeeping import clean_interrupted

    ws.cleaned = clean_interrupted(ws)
    return ws


def _reopen(path: str, url: str) -> Workspace:
    return open_workspace(path, db_url=url)
