"""AppTest: the Data page moves on to the next free round, previews what was imported, splits one upload into
rounds, moves an import to another round and deletes a round (issue 7, items 5 and 14)."""
from __future__ import annotations

import json

from evaluator.store import list_imports, load_records, status
from tests.app.conftest import no_exception, texts

ROWS = [{"text": f"Person{k} joined Company{k} in Leeds.", "spans": [
    {"start": 0, "end": 6 + len(str(k)), "label": "PERSON"}]} for k in range(10)]


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _import(at, name: str, rows, widgets: dict | None = None) -> None:
    at.file_uploader[0].upload(name, _jsonl(rows), "application/octet-stream")
    at.run()
    for (kind, key), value in (widgets or {}).items():
        getattr(at, kind)(key=key).set_value(value)
        at.run()
    at.button(key="data.import").click()
    at.run()
    no_exception(at)
    assert not at.error, texts(at, "error")


def test_round_box_moves_on_and_preview_shows_the_import(app, demo_ws):
    at = app("pages/data.py")
    assert at.number_input(key="data.round").value == 4  # the demo has rounds 1..3
    _import(at, "r4.jsonl", ROWS[:3])
    assert at.number_input(key="data.round").value == 5
    assert at.selectbox(key="data.preview_target").value == "round:4"
    assert any("Next free round: 5" in s for s in texts(at, "success"))
    _import(at, "gold2.jsonl", ROWS[3:5], {("radio", "data.kind"): "gold", ("text_input", "data.gold_name"): "second"})
    assert at.selectbox(key="data.preview_target").value == "gold:second@1"
    [table] = [d.value for d in at.dataframe if "text" in d.value.columns]
    assert len(table) == 2 and table["text"][0].startswith("[Person3 · PERSON]")


def test_one_upload_split_into_rounds_of_given_sizes(app, demo_ws):
    at = app("pages/data.py")
    _import(at, "export.jsonl", ROWS, {("text_input", "data.sizes"): "2,3,4"})
    got = {r["round"]: r["examples"] for r in status(demo_ws)["rounds"]}
    assert (got[4], got[5], got[6]) == (2, 3, 4)
    assert [r.text for r in load_records(demo_ws, "round:5")] == [r["text"] for r in ROWS[2:5]]
    shown = " ".join(texts(at, "success"))
    assert "`round:4` (2), `round:5` (3), `round:6` (4)" in shown
    assert any("last 1 example(s)" in c for c in texts(at, "caption"))
    assert at.number_input(key="data.round").value == 7


def test_move_an_import_to_another_round_then_delete_a_round(app, demo_ws):
    from evaluator.models import train_round

    at = app("pages/data.py")
    _import(at, "first.jsonl", ROWS[:3], {("number_input", "data.round"): 4})
    _import(at, "second.jsonl", ROWS[3:7], {("number_input", "data.round"): 4})  # the mistake
    [second] = [i for i in list_imports(demo_ws) if i["file"] == "second.jsonl"]
    at.selectbox(key="data.move_source").set_value(f"import:{second['id']}")
    at.number_input(key="data.move_to").set_value(5)
    at.run()
    at.button(key="data.move").click()
    at.run()
    no_exception(at)
    assert any(f"Moved 4 examples of import {second['id']} (second.jsonl) to round:5" in s
               for s in texts(at, "success"))
    assert [r.text for r in load_records(demo_ws, "round:4")] == [r["text"] for r in ROWS[:3]]
    assert [r.text for r in load_records(demo_ws, "round:5")] == [r["text"] for r in ROWS[3:7]]

    train_round(demo_ws, 1, trainer="crf-ner", config={"max_iterations": 5})
    at = app("pages/data.py")
    at.selectbox(key="data.delete_round").set_value(1)
    at.run()
    assert at.checkbox(key="data.delete_sure").disabled and at.button(key="data.delete").disabled
    assert any("round-1-crf-ner" in c and "Train" in c for c in texts(at, "caption"))
    at.selectbox(key="data.delete_round").set_value(5)
    at.run()
    at.checkbox(key="data.delete_sure").check()
    at.run()
    at.button(key="data.delete").click()
    at.run()
    no_exception(at)
    assert any("Deleted round 5 (4 examples)" in s for s in texts(at, "success"))
    assert 5 not in [r["round"] for r in status(demo_ws)["rounds"]]


def test_unlabeled_texts_into_a_round_are_flagged_at_import(app, demo_ws):
    at = app("pages/data.py")
    _import(at, "raw.jsonl", ROWS[:2] + [{"text": "No annotation here."}])
    assert any("1 of 3 example(s) have no annotation" in w for w in texts(at, "warning"))


def test_gold_import_of_round_texts_names_the_rounds(app, demo_ws):
    at = app("pages/data.py")
    _import(at, "r4.jsonl", ROWS[:2])
    at.file_uploader[0].upload("g.jsonl", _jsonl(ROWS[:1]), "application/octet-stream")
    at.radio(key="data.kind").set_value("gold")
    at.run()
    at.button(key="data.import").click()
    at.run()
    [err] = texts(at, "error")
    message, fix = err.split("**Fix:**")
    assert "are in training rounds" in message and "gold set" not in message
    assert "Leave out overlapping texts" in fix
