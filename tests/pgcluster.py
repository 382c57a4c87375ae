"""A throw-away PostgreSQL cluster for the tests (Debian's ``postgresql`` binaries, Unix socket only).

Used by the ``pg_url`` fixture in ``tests/conftest.py`` and by ``make test-postgres`` (the whole suite in team
mode), which runs a command inside one cluster::

    python tests/pgcluster.py -- pytest -n 2 --dist loadfile -q

sets ``$EVALUATOR_TEST_PG_URL`` (the server) and ``$EVALUATOR_TEST_DB=postgresql`` (every test workspace gets its
own fresh database on it) for the command, and removes the cluster afterwards.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Cluster:
    url: str
    root: Path
    data: Path
    bindir: Path
    run_as: list[str]

    def stop(self) -> None:
        subprocess.run(self.run_as + [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start() -> Cluster | None:
    """Start a cluster (trust auth, socket in a temporary folder); ``None`` when PostgreSQL is not installed."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        return None
    bindir = Path(bins[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="evalpg-"))
    data = root / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        if shutil.which("runuser") is None:
            return None
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        os.chmod(root, 0o755)
    port = _free_port()
    subprocess.run(run_as + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    # fsync off: a throw-away cluster; many connections: every test workspace has its own database
    subprocess.run(run_as + [str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
                             f"-p {port} -k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                             f"-c full_page_writes=off -c max_connections=400", "start"],
                   check=True, capture_output=True)
    return Cluster(f"postgresql+psycopg://postgres@/postgres?host={root}&port={port}", root, data, bindir, run_as)


def create_database(server_url: str, prefix: str = "ws") -> str:
    """Create a fresh, empty database on the server; return its URL."""
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return str(sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False))


def drop_database(url: str) -> None:
    """Drop a database made by :func:`create_database` (closing its connections)."""
    import sqlalchemy as sa

    made = sa.engine.make_url(url)
    engine = sa.create_engine(made.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{made.database}" WITH (FORCE)')
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: python tests/pgcluster.py -- COMMAND ...", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    cluster = start()
    if cluster is None:
        print("no PostgreSQL server binaries (apt-get install postgresql)", file=sys.stderr)
        return 2
    try:
        env = {**os.environ, "EVALUATOR_TEST_PG_URL": cluster.url, "EVALUATOR_TEST_DB": "postgresql"}
        return subprocess.call(command, env=env)
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
