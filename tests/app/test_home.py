"""AppTest: the Home page (and the shared sidebar of app.py)."""
from __future__ import annotations

from evaluator.store import status
from evaluator.workspace import open_workspace
from tests.app.conftest import no_exception, texts


def test_home_shows_the_demo_workspace_summary(app, demo_ws):
    at = app()
    no_exception(at)
    s = status(demo_ws)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Examples"] == f"{s['examples']:,}"
    assert metrics["Annotation rounds"] == str(len(s["rounds"]))
    assert metrics["Gold sets"] == "1"
    assert any(all(lab in md for lab in s["labels"]) for md in texts(at, "markdown"))
    rounds = at.dataframe[0].value
    assert list(rounds["examples"]) == [r["examples"] for r in s["rounds"]]
    assert list(rounds["cumulative"]) == list(__import__("itertools").accumulate(r["accepted"] for r in s["rounds"]))
    gold = at.dataframe[1].value
    assert list(gold["content hash"]) == [s["gold_sets"][0]["content_hash"][:12]]
    assert "frozen" in gold["status"][0]
    # sidebar: workspace folder and annotator
    assert at.sidebar.text_input(key="evaluator.workspace_path.input").value == str(demo_ws.path)
    assert any("ner workspace" in c for c in texts(at.sidebar, "caption"))


def test_home_without_a_workspace_builds_the_demo(app, tmp_path, monkeypatch):
    empty = tmp_path / "nothing-here"
    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(empty))
    at = app()
    no_exception(at)
    assert any("No workspace" in t for t in texts(at, "info"))
    assert not at.metric
    at.radio(key="home.demo_task").set_value("textcat")
    at.button(key="home.create_demo").click()
    at.run()
    no_exception(at)
    s = status(open_workspace(empty))
    assert s["task"] == "textcat" and s["gold_sets"][0]["frozen"]
    assert {m.label: m.value for m in at.metric}["Examples"] == f"{s['examples']:,}"


def test_home_creates_an_empty_workspace_with_hints(app, tmp_path, monkeypatch):
    target = tmp_path / "mine"
    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(target))
    at = app()
    at.text_input(key="home.new_labels").set_value("PER, ORG")
    at.button(key="home.create_empty").click()
    at.run()
    no_exception(at)
    assert open_workspace(target).labels == ["ORG", "PER"]
    hints = " ".join(texts(at, "markdown"))
    assert "No gold set yet" in hints and "No annotation rounds yet" in hints


def test_sidebar_workspace_from_session_state(app, demo_ws, tmp_path):
    # (AppTest drops sidebar elements on reruns under st.navigation, so the choice is made before the first run)
    from streamlit.testing.v1 import AppTest
    from tests.app.conftest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["evaluator.workspace_path"] = str(tmp_path / "elsewhere")
    at.session_state["evaluator.annotator"] = "ada"
    at.run()
    no_exception(at)
    assert not at.warning
    assert at.sidebar.text_input(key="evaluator.workspace_path.input").value == str(tmp_path / "elsewhere")
    assert at.sidebar.text_input(key="evaluator.annotator.input").value == "ada"
    assert any("no workspace" in c for c in texts(at.sidebar, "caption"))
    assert any(str(tmp_path / "elsewhere") in t for t in texts(at, "info"))


def test_the_sidebar_says_when_leftovers_of_a_killed_training_were_removed(app, demo_ws):
    tmp = demo_ws.models_dir / ".tmp-killed"
    tmp.mkdir()
    (tmp / "model.bin").write_bytes(b"x" * 2_000_000)
    at = app()
    no_exception(at)
    assert not tmp.exists()
    assert any("Removed 1 leftover of interrupted training (2.0 MB)" in t for t in texts(at.sidebar, "info"))


def test_a_folder_outside_the_current_one_needs_a_confirmation(tmp_path, monkeypatch):
    """Issue: the sidebar created workspaces at any writable path (…/a/../../x); now the resolved path is shown and
    creating it outside the current folder needs a tick."""
    from streamlit.testing.v1 import AppTest
    from tests.app.conftest import APP, REPO

    monkeypatch.syspath_prepend(str(REPO))
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    typed = tmp_path / "here" / "a" / ".." / ".." / "x"
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["evaluator.workspace_path"] = str(typed)
    at.run()
    no_exception(at)
    resolved = str((tmp_path / "x").resolve())
    assert any(resolved in t for t in texts(at, "info"))
    assert any(resolved in c for c in texts(at.sidebar, "caption"))
    assert at.button(key="home.create_empty").disabled and at.button(key="home.create_demo").disabled
    at.checkbox(key="home.confirm_outside").check()
    at.run()
    assert not at.button(key="home.create_empty").disabled
    at.button(key="home.create_empty").click()
    at.run()
    no_exception(at)
    assert open_workspace(tmp_path / "x").task == "ner"
