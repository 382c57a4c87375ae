"""AppTest: the A/B page (start a session, judge with one click per item, undo, live verdict, results with and
without the model names) on the NER demo workspace with CRF models of rounds 1 and 3."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from evaluator import ab, db
from tests.app.conftest import no_exception, texts
from tests.conftest import demo_with_models

MODELS = ["round-1-crf-ner", "round-3-crf-ner"]


@pytest.fixture(scope="module")
def trained_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("ab") / "demo"
    demo_with_models(path, rounds=(1, 3))
    return path


@pytest.fixture
def trained(trained_path, monkeypatch):
    from evaluator.workspace import open_workspace

    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(trained_path))
    return open_workspace(trained_path)


def _page(app, who="zoe"):
    at = app("pages/ab.py")
    at.session_state["evaluator.annotator"] = who
    at.run()
    no_exception(at)
    return at


def _answers(ws, sid):
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(db.ab_judgments.c.annotator, db.ab_judgments.c.choice,
                                      db.ab_judgments.c.comment)
                            .where(db.ab_judgments.c.session_id == sid, db.ab_judgments.c.choice.is_not(None))
                            .order_by(db.ab_judgments.c.seq)).all()


def test_start_judge_undo_and_results(app, trained):
    before = {s["session_id"] for s in ab.sessions(trained)}
    at = _page(app, "lead")
    assert at.radio(key="ab.view").value == ("Judge" if before else "New session")
    at.radio(key="ab.view").set_value("New session").run()
    at.multiselect(key="ab.new.models").set_value(MODELS)
    at.selectbox(key="ab.new.source").set_value("gold:demo-test@1")
    at.number_input(key="ab.new.cap").set_value(12)
    at.number_input(key="ab.new.seed").set_value(3)
    at.button[0].click().run()  # the form's submit button
    no_exception(at)
    new = [s for s in ab.sessions(trained) if s["session_id"] not in before]
    assert len(new) == 1 and new[0]["cap"] == 12 and new[0]["owner"] == "lead"
    sid = new[0]["session_id"]
    assert at.radio(key="ab.view").value == "Judge" and at.selectbox(key="ab.session").value == sid

    # one click per judgment; a comment goes with the answer; undo takes the last one back
    at.text_input(key="ab.comment").set_value("left misses an ORG")
    at.button(key="ab.right").click().run()
    at.button(key="ab.left").click().run()
    at.button(key="ab.tie").click().run()
    no_exception(at)
    assert _answers(trained, sid) == [("lead", "right", "left misses an ORG"), ("lead", "left", None),
                                      ("lead", "tie", None)]
    at.button(key="ab.undo").click().run()
    assert [c for _, c, _ in _answers(trained, sid)] == ["right", "left"]
    at.button(key="ab.neither").click().run()
    no_exception(at)
    assert [c for _, c, _ in _answers(trained, sid)] == ["right", "left", "neither"]
    live = ab.results(trained, sid)
    shown = " ".join(texts(at, "info") + texts(at, "success")).replace("\\", "")
    assert live["verdict"] in shown  # blinded letters, as the library says it
    for name in MODELS:
        assert name not in shown

    # results: the owner sees the names; everyone else sees letters until they reveal
    at.radio(key="ab.view").set_value("Results").run()
    no_exception(at)
    res = ab.results(trained, sid, reveal=True)
    pairs = at.dataframe[0].value
    assert set(pairs["A"]) | set(pairs["B"]) == set(MODELS)
    assert list(pairs["A wins"]) == [res["pairs"][0]["wins"]] and list(pairs["ties"]) == [res["pairs"][0]["ties"]]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["judgments"] == "3" and metrics["items judged"] == "3"
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 2  # win rate with interval, position bias

    other = _page(app, "zoe")
    other.radio(key="ab.view").set_value("Results").run()
    other.selectbox(key="ab.session").set_value(sid).run()
    no_exception(other)
    blind = other.dataframe[0].value
    assert set(blind["A"]) | set(blind["B"]) == {"System A", "System B"}
    other.toggle(key="ab.reveal").set_value(True).run()
    assert set(other.dataframe[0].value["A"]) | set(other.dataframe[0].value["B"]) == set(MODELS)


def test_judging_needs_a_name_and_says_when_done(app, trained):
    sid = ab.start_session(trained, MODELS, source="gold:demo-test", max_items=2, overlap=0, owner="lead")["session_id"]
    at = _page(app, "")
    at.selectbox(key="ab.session").set_value(sid).run()
    assert any("Annotator" in t for t in texts(at, "info"))
    at = _page(app, "kim")
    at.selectbox(key="ab.session").set_value(sid).run()
    at.button(key="ab.left").click().run()
    at.button(key="ab.left").click().run()
    no_exception(at)
    assert any("Nothing left for you" in t for t in texts(at, "success"))
