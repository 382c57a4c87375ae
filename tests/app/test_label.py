"""AppTest: the Label page (NER spans from tokens, categories, undo, the annotator name, gold mode, progress with
the hand-over to Train, agreement and review)."""
from __future__ import annotations

import sqlalchemy as sa

from evaluator import db, labeling
from evaluator.demo import build_demo
from evaluator.store import load_records
from evaluator.workspace import open_workspace
from tests.app.conftest import no_exception, texts


def _annotations(ws, annotator: str) -> list[dict]:
    a, e = db.annotations, db.examples
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(a, e.c.text, e.c.collection_id.label("cid"))
                            .join(e, e.c.id == a.c.example_id).where(a.c.annotator == annotator)
                            .order_by(a.c.id)).mappings().all()
    return [dict(r) for r in rows]


def _label_page(app, annotator: str | None = "alice"):
    at = app()
    if annotator:
        at.session_state["evaluator.annotator"] = annotator
    at.switch_page("pages/label.py")
    at.run()
    no_exception(at)
    return at


def _shown_id(at) -> int:
    [cap] = [c for c in texts(at, "caption") if c.startswith("Example #")]
    return int(cap.split("#")[1].split(" ")[0])


def _tokens(at, example_id: int):
    return at.pills(key=f"label.tokens.{example_id}")


def _click(at, key: str) -> None:
    at.button(key=key).click()
    at.run()
    no_exception(at)


def test_ner_two_spans_remove_one_accept_stores_exactly_the_other(app, demo_ws):
    at = _label_page(app)
    at.selectbox(key="label.round").set_value(4)  # "new round 4"
    at.run()
    ex = _shown_id(at)
    [rec] = [r for r in load_records(demo_ws, "pool", answers=None) if r.id == ex]
    words = [i for i, t in enumerate(rec.tokens) if rec.text[t.start:t.end].strip()]
    first, second = words[0], words[2]  # two one-token spans, and a two-token one
    # span 1: tokens words[0]..words[1] as PERSON (click start and end)
    _tokens(at, ex).set_value([words[1], first])
    _click(at, "label.add.PERSON")
    assert _tokens(at, ex).value == []  # the selection is cleared after a span is added
    # span 2: token words[2] as LOCATION -- overlapping nothing
    _tokens(at, ex).set_value([second])
    _click(at, "label.add.LOCATION")
    spans_box = at.pills(key=f"label.remove.{ex}")
    assert len(spans_box.options) == 2
    # undo the last span (LOCATION) with Undo, then add it again and remove it by clicking it
    assert at.button(key="label.undo").label == "↩ Undo span"
    _click(at, "label.undo")
    assert len(at.pills(key=f"label.remove.{ex}").options) == 1
    _tokens(at, ex).set_value([second])
    _click(at, "label.add.LOCATION")
    at.pills(key=f"label.remove.{ex}").set_value(1)
    at.run()
    no_exception(at)
    assert len(at.pills(key=f"label.remove.{ex}").options) == 1
    _click(at, "label.accept")
    [ann] = _annotations(demo_ws, "alice")
    start, end = rec.tokens[first].start, rec.tokens[words[1]].end
    assert ann["example_id"] == ex and ann["answer"] == "accept" and ann["source"] == "manual"
    assert ann["spans"] == [[start, end, "PERSON"]]
    assert ann["text"][start:end] == rec.text[rec.tokens[first].start:rec.tokens[words[1]].end]
    [round4] = [r for r in load_records(demo_ws, "round:4")]
    assert round4.id == ex
    # the next example appears at once; Undo answer brings this one back
    assert _shown_id(at) != ex
    assert at.button(key="label.undo").label == "↩ Undo answer"
    _click(at, "label.undo")
    assert _shown_id(at) == ex and _annotations(demo_ws, "alice") == []
    assert ex in [r.id for r in load_records(demo_ws, "pool", answers=None)]


def test_nothing_is_saved_without_an_annotator_name(app, demo_ws):
    at = _label_page(app, annotator=None)
    assert any("Type your name in the sidebar" in w for w in texts(at, "warning"))
    assert at.button(key="label.accept").disabled and at.button(key="label.reject").disabled
    # and the library refuses too, with the same advice
    ex = _shown_id(at)
    import pytest
    from evaluator.errors import ConfigError
    with pytest.raises(ConfigError, match="sidebar"):
        labeling.save_answer(demo_ws, ex, target="round:3", answer="accept", annotator="")


def test_textcat_category_with_suggestion_and_progress_hand_over(app, tmp_path, monkeypatch):
    from evaluator.models import train_round
    path = tmp_path / "news"
    build_demo(path, task="textcat")
    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(path))
    ws = open_workspace(path)
    train_round(ws, 1)
    at = _label_page(app, annotator="bob")
    at.selectbox(key="label.round").set_value(4)
    at.selectbox(key="label.strategy").set_value("uncertainty")
    at.selectbox(key="label.model").set_value("round-1-sklearn-textcat")
    at.run()
    at.toggle(key="label.suggest").set_value(True)
    at.run()
    no_exception(at)
    ex = _shown_id(at)
    [first] = labeling.next_items(ws, target="round:4", strategy="uncertainty", model="round-1-sklearn-textcat", n=1,
                                  suggest=True)
    assert first.example_id == ex  # least confident first
    assert any(f"The model suggests **{first.suggestion}**" in c for c in texts(at, "caption"))
    assert at.button(key=f"label.cat.{first.suggestion}").proto.type == "primary"
    other = next(lab for lab in ws.labels if lab != first.suggestion)
    _click(at, f"label.cat.{other}")
    [ann] = _annotations(ws, "bob")
    assert (ann["example_id"], ann["answer"], ann["label"], ann["spans"]) == (ex, "accept", other, None)
    assert _shown_id(at) != ex
    # progress: counts, and the hand-over to the Train page with this round chosen
    at.segmented_control(key="label.view").set_value("progress")
    at.run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accepted by people"] == "1" and metrics["Auto-accepted"] == "0"
    per_annotator = at.dataframe[1].value.to_dict("records")
    assert [(r["annotator"], r["answers"]) for r in per_annotator] == [("bob", 1)]
    _click(at, "label.train")
    assert at.session_state["train.round"] == 4
    assert at.selectbox(key="train.round").value == 4


def test_gold_mode_is_random_blind_and_refuses_frozen_sets(app, demo_ws):
    at = _label_page(app)
    at.segmented_control(key="label.mode").set_value("gold")
    at.run()
    no_exception(at)
    assert any("frozen" in w for w in texts(at, "warning"))  # the demo gold set is frozen
    at.selectbox(key="label.gold").set_value("➕ new gold set")
    at.run()
    at.text_input(key="label.new_gold").input("second")
    at.run()
    at.number_input(key="label.seed").set_value(7)
    at.run()
    no_exception(at)
    assert any("random" in i for i in texts(at, "info"))
    assert [s.key for s in at.selectbox if s.key in ("label.model", "label.strategy")] == []
    ex = _shown_id(at)
    [expected] = labeling.next_items(demo_ws, target="gold:second", strategy="random", seed=7, n=1)
    assert ex == expected.example_id
    _tokens(at, ex).set_value([0])
    _click(at, "label.add.ORG")
    _click(at, "label.accept")
    [ann] = _annotations(demo_ws, "alice")
    assert ann["example_id"] == ex and ann["source"] == "manual"
    assert [r.id for r in load_records(demo_ws, "gold:second")] == [ex]


def test_agreement_view_lists_and_settles_disagreements(app, demo_ws):
    a, b = labeling.next_items(demo_ws, target="round:4", n=2)
    for item, (x, y) in ((a, ("ORG", "PERSON")), (b, ("ORG", "ORG"))):
        labeling.save_answer(demo_ws, item.example_id, target="round:4", answer="accept", annotator="ann",
                             spans=labeling.add_span(item.tokens, [], 0, 0, x))
        labeling.save_answer(demo_ws, item.example_id, target="round:4", answer="accept", annotator="bob",
                             spans=labeling.add_span(item.tokens, [], 0, 0, y))
    at = _label_page(app, annotator="rev")
    at.selectbox(key="label.round").set_value(4)
    at.segmented_control(key="label.view").set_value("agreement")
    at.run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Examples answered by 2+ people"] == "2" and metrics["Disagreements to settle"] == "1"
    assert metrics["Span F1 between annotators"] == "0.500"
    assert not any(r.key and r.key.startswith("label.settle_pick") for r in at.radio)  # blind until asked
    at.toggle(key="label.reviewer").set_value(True)
    at.run()
    pick = at.radio(key=f"label.settle_pick.{a.example_id}")
    pick.set_value(1)  # bob's answer
    _click(at, f"label.settle.{a.example_id}")
    [rec] = [r for r in load_records(demo_ws, "round:4") if r.id == a.example_id]
    assert [s.label for s in rec.spans] == ["PERSON"]
    assert {m.label: m.value for m in at.metric}["Disagreements to settle"] == "0"


def test_settings_survive_a_trip_to_another_page(app, demo_ws):
    at = _label_page(app)
    at.selectbox(key="label.round").set_value(4)
    at.selectbox(key="label.strategy").set_value("random")
    at.run()
    at.number_input(key="label.seed").set_value(9)
    at.segmented_control(key="label.view").set_value("progress")
    at.run()
    at.switch_page("pages/gold.py")
    at.run()
    at.switch_page("pages/label.py")
    at.run()
    no_exception(at)
    assert (at.selectbox(key="label.round").value, at.selectbox(key="label.strategy").value,
            at.number_input(key="label.seed").value, at.segmented_control(key="label.view").value) == \
        (4, "random", 9, "progress")
