"""AppTest: the Report page on a demo workspace with CRF runs of rounds 1-3 and a decided A/B session: the verdict
table on top (the numbers of build_report), the charts below, the evidence per step, the three downloads; a
workspace without models says what to do."""
from __future__ import annotations

import json

import pytest

from tests.app.conftest import no_exception, texts

GOLD = "demo-test"
RESAMPLES = 1000


@pytest.fixture(scope="module")
def report_path(tmp_path_factory):
    from evaluator.ab import judge, next_item, results, start_session
    from evaluator.models import train_round
    from tests.conftest import demo_with_models

    path = tmp_path_factory.mktemp("report-page") / "demo"
    ws = demo_with_models(path, rounds=(1, 2, 3))
    for k in (1, 3):
        for s in (1, 2):
            train_round(ws, k, trainer="crf-ner", seed=s, name=f"round-{k}-crf-ner-s{s}")
    sid = start_session(ws, ["round-1-crf-ner", "round-3-crf-ner"], source=f"gold:{GOLD}", seed=1)["session_id"]
    import sqlalchemy as sa
    from evaluator import db
    while not results(ws, sid)["stop"]:  # an oracle that prefers the output closer to gold
        item = next_item(ws, sid, "oracle")
        assert not item["done"]
        with ws.engine.connect() as conn:
            row = conn.execute(sa.select(db.ab_items.c.left_f1, db.ab_items.c.right_f1)
                               .where(db.ab_items.c.token == item["item_id"])).first()
        lf, rf = row[0] or 0.0, row[1] or 0.0
        judge(ws, sid, item["item_id"], "oracle", "left" if lf > rf else "right" if rf > lf else "tie")
    return path


@pytest.fixture
def report_ws(report_path, monkeypatch):
    from evaluator.workspace import open_workspace

    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(report_path))
    return open_workspace(report_path)


def test_verdict_table_charts_evidence_and_downloads(app, report_ws):
    from evaluator.report.charts import report_charts
    from evaluator.report.engine import build_report

    at = app("pages/report.py")
    at.number_input(key="report.resamples").set_value(RESAMPLES)
    at.run()
    no_exception(at)
    rep = build_report(report_ws, GOLD, resamples=RESAMPLES)
    assert rep["reused"]  # the page computed and stored it
    table = at.dataframe[0].value
    assert list(table["iteration"]) == [r["iteration"] for r in rep["table"]]
    assert list(table["compared with"]) == [r["compared_with"] for r in rep["table"]]
    assert [v.split(" ")[0] for v in table["verdict"]] == [r["verdict"] for r in rep["table"]]
    assert list(table["p (Holm)"]) == [r["p_holm"] for r in rep["table"]]
    # the A/B session between rounds 1 and 3 sits beside the metrics of that pair, and agrees with them
    ab_row = table[table["compared with"] == "round 1 (A/B session)"].iloc[0]
    assert ab_row["signals"] == "agree" and ab_row["A/B"].startswith("B preferred (decided)")
    assert any("single run" in v for v in table["verdict"])  # round 2 was trained once
    from ui.render import escape_md

    boxes = texts(at, "success") + texts(at, "info")
    assert boxes and boxes == [escape_md(s) for s in rep["headline"]]
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == len(report_charts(rep)) >= 5
    downloads = at.get("download_button")
    assert len(downloads) == 3
    labels = [e.label for e in at.expander]
    assert labels[:3] == ["⚙️ Settings", "Iterations: crf-ner", "Candidate gold-set errors"], labels
    caption = " ".join(texts(at, "caption"))
    assert f"gold:{GOLD} v1" in caption and f"{RESAMPLES:,} resamples" in caption


def test_without_trained_models_the_page_says_what_to_do(app, demo_ws):
    at = app("pages/report.py")
    no_exception(at)
    assert any("No trained models yet" in t for t in texts(at, "info"))
