"""AppTest: the Gold sets page (versions, split, freeze, new version, verify, leakage report)."""
from __future__ import annotations

import sqlalchemy as sa

from evaluator import db
from evaluator.gold import leakage_report, list_gold
from evaluator.store import status
from tests.app.conftest import no_exception, texts


def test_lists_versions_with_status_and_hash(app, demo_ws):
    at = app("pages/gold.py")
    no_exception(at)
    [g] = list_gold(demo_ws)
    table = at.dataframe[0].value
    assert list(table["gold set"]) == [g["name"]] and list(table["examples"]) == [g["examples"]]
    assert list(table["content hash"]) == [g["content_hash"][:12]]
    assert at.button(key="gold.freeze").disabled  # frozen already


def test_split_then_freeze(app, demo_ws):
    before = [r for r in status(demo_ws)["rounds"] if r["round"] == 3][0]["examples"]
    at = app("pages/gold.py")
    at.selectbox(key="gold.split_from").set_value("round:3")
    at.slider(key="gold.fraction").set_value(0.25)
    at.text_input(key="gold.split_name").set_value("extra")
    at.button(key="gold.split").click()
    at.run()
    no_exception(at)
    assert any("gold:extra: moved" in s for s in texts(at, "success"))
    extra = [g for g in list_gold(demo_ws) if g["name"] == "extra"]
    assert len(extra) == 1 and not extra[0]["frozen"] and extra[0]["examples"] > 0
    round3 = [r for r in status(demo_ws)["rounds"] if r["round"] == 3][0]
    assert round3["examples"] + extra[0]["examples"] == before

    at.selectbox(key="gold.name").set_value("extra")
    at.run()
    assert not at.button(key="gold.freeze").disabled
    at.button(key="gold.freeze").click()
    at.run()
    no_exception(at)
    [extra] = [g for g in list_gold(demo_ws) if g["name"] == "extra"]
    assert extra["frozen"] and any(extra["content_hash"] in s for s in texts(at, "success"))


def test_new_version_and_verify(app, demo_ws):
    at = app("pages/gold.py")
    at.text_input(key="gold.note").set_value("fix boundaries")
    at.button(key="gold.new_version").click()
    at.run()
    no_exception(at)
    versions = [g for g in list_gold(demo_ws) if g["name"] == "demo-test"]
    assert [v["version"] for v in versions] == [1, 2] and not versions[1]["frozen"]
    assert list(at.dataframe[0].value["version"]) == [1, 2]
    at.button(key="gold.verify").click()
    at.run()
    assert any("not frozen" in t for t in texts(at, "info"))


def test_verify_reports_a_tampered_frozen_set(app, demo_ws):
    at = app("pages/gold.py")
    at.button(key="gold.verify").click()
    at.run()
    assert any("content hash OK" in s for s in texts(at, "success"))
    # change a frozen annotation behind the library's back
    with demo_ws.engine.begin() as conn:
        cid = conn.execute(sa.select(db.collections.c.id).where(db.collections.c.kind == "gold")).scalar()
        ex = conn.execute(sa.select(db.examples.c.id).where(db.examples.c.collection_id == cid)).scalars().first()
        conn.execute(db.annotations.update().where(db.annotations.c.example_id == ex).values(spans=[]))
    at.button(key="gold.verify").click()
    at.run()
    no_exception(at)
    errors = texts(at, "error")
    assert any("changed after it was frozen" in e for e in errors)
    assert "Traceback" not in " ".join(errors)


def test_leakage_report_runs_when_asked_and_follows_the_threshold(app, demo_ws):
    at = app("pages/gold.py")
    no_exception(at)
    assert not any(m.label == "Exact overlaps" for m in at.metric)  # nothing computed on a visit
    at.button(key="gold.leakage").click()
    at.run()
    no_exception(at)
    expected = leakage_report(demo_ws, threshold=0.9)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Exact overlaps"] == str(expected["exact_overlaps"])
    assert metrics["Near-duplicates (≥ 0.90)"] == str(expected["near_duplicates"]) and expected["near_duplicates"] > 0
    near = at.dataframe[-1].value
    assert list(near["similarity"]) == [x["similarity"] for x in expected["near"]]
    at.slider(key="gold.threshold").set_value(0.6)
    at.run()
    assert not any(m.label.startswith("Near-duplicates") for m in at.metric)  # another threshold: ask again
    at.button(key="gold.leakage").click()
    at.run()
    lower = leakage_report(demo_ws, threshold=0.6)
    assert {m.label: m.value for m in at.metric}["Near-duplicates (≥ 0.60)"] == str(lower["near_duplicates"])
    assert lower["near_duplicates"] >= expected["near_duplicates"]
