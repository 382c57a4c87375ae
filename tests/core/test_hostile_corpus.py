"""Every file of the hostile corpus (tests/hostile_corpus.py, generated here) through `evaluator import`:
a clear error naming the file (and the line or record where the problem sits), exit code 2, never an internal
error, and nothing written; the files that are valid despite looking odd are imported."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from evaluator import db
from tests.hostile_corpus import build

TABLES = (db.collections, db.examples, db.annotations, db.imports, db.settings)


def _snapshot(ws) -> tuple:
    with ws.engine.connect() as conn:
        counts = tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() for t in TABLES)
    return counts, ws.labels


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build(tmp_path_factory.mktemp("hostile"))


def test_the_corpus_is_large_and_mostly_hostile(corpus):
    assert len(corpus) >= 150
    assert sum(c.expect == "error" for c in corpus) >= 140
    assert len({c.path for c in corpus}) == len(corpus)


def test_every_hostile_file_gives_a_clear_error_and_writes_nothing(corpus, tmp_workspace, cli_runner):
    workspaces = {"ner": tmp_workspace("ner", labels=["PER", "LOC"]),
                  "textcat": tmp_workspace("textcat", labels=["sport", "business"])}
    failures = []
    internal = partial = 0
    for case in corpus:
        ws = workspaces[case.task]
        before = _snapshot(ws)
        r = cli_runner("import", case.path, "--into", "round:1", "--workspace", ws.path, *case.args)
        out = r.output  # (click's runner mixes stderr into output)
        after = _snapshot(ws)
        if "internal error" in out or "Traceback" in out:
            internal += 1
            failures.append(f"{case.name}: internal error: {out.strip()[:300]}")
            continue
        if case.expect == "error":
            if after != before:
                partial += 1
                failures.append(f"{case.name}: wrote something: {before} -> {after}")
            if r.exit_code != 2 or not out.startswith("error: ") and "\nerror: " not in out:
                failures.append(f"{case.name}: exit {r.exit_code}, expected 2: {out.strip()[:300]}")
                continue
            if case.about_file and case.path.name not in out:
                failures.append(f"{case.name}: the message does not name the file: {out.strip()[:300]}")
            if case.where and case.where not in out:
                failures.append(f"{case.name}: the message does not say {case.where!r}: {out.strip()[:300]}")
            if case.says and case.says.lower() not in out.lower():
                failures.append(f"{case.name}: the message does not say {case.says!r}: {out.strip()[:300]}")
            if out.count("\n") > 25:
                failures.append(f"{case.name}: {out.count(chr(10))} lines of error output")
        else:
            if r.exit_code != 0 or after == before:
                failures.append(f"{case.name}: expected an import, got exit {r.exit_code}: {out.strip()[:300]}")
            elif case.says and case.says.lower() not in out.lower():
                failures.append(f"{case.name}: the report does not say {case.says!r}: {out.strip()[:300]}")
    assert (internal, partial) == (0, 0) and not failures, "\n".join(failures)
