"""ui/cache.py: cached reads are keyed on the content versions of what they read, so a write (from any process)
recomputes exactly the results it changes."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))


@pytest.fixture
def counted(monkeypatch):
    """Count the library calls behind the cached reads."""
    import evaluator.store as store

    calls = {"status": 0, "preview": 0}
    real_status, real_preview = store.status, store.preview_records

    def status(ws):
        calls["status"] += 1
        return real_status(ws)

    def preview_records(ws, target, **kw):
        calls["preview"] += 1
        return real_preview(ws, target, **kw)

    monkeypatch.setattr(store, "status", status)
    monkeypatch.setattr(store, "preview_records", preview_records)
    from ui import cache

    cache.clear()
    yield calls
    cache.clear()


def test_a_write_recomputes_only_what_it_changed(tmp_path, counted):
    from evaluator.demo import build_demo
    from evaluator.importer import import_file
    from evaluator.workspace import open_workspace
    from tests.core.helpers import ner_line, write_jsonl
    from ui import cache

    build_demo(tmp_path / "demo")
    ws = open_workspace(tmp_path / "demo")
    first = cache.workspace_status(ws)
    gold_page = cache.preview(ws, "gold:demo-test", limit=10)
    assert cache.workspace_status(ws) is not None and cache.preview(ws, "gold:demo-test", limit=10) == gold_page
    assert counted == {"status": 1, "preview": 1}  # served from the cache

    # a write by "another process": a plain library call, no cache.clear()
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", [ner_line("Zed Zulu visited Quito today .")]), into="round:9")
    after = cache.workspace_status(ws)
    assert counted["status"] == 2 and after["examples"] == first["examples"] + 1
    assert cache.preview(ws, "gold:demo-test", limit=10) == gold_page
    assert counted["preview"] == 1  # the gold set did not change: its preview is still cached
    assert cache.preview(ws, "round:9", limit=10)[0] == 1 and counted["preview"] == 2
