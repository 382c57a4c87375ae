"""AppTest: the workspace lives in the URL (?workspace=PATH) so a reload or a bookmark opens the same one (issue 7,
item 6); a workspace folder that cannot be one is a plain message on the Home page (item 4); "1 label"."""
from __future__ import annotations

import pytest

from tests.app.conftest import APP, no_exception, texts


def _at():
    from streamlit.testing.v1 import AppTest

    from ui import cache
    cache.clear()
    return AppTest.from_file(APP, default_timeout=60)


def test_a_url_with_a_workspace_opens_that_workspace(app, demo_ws, tmp_path):
    from evaluator.workspace import init_workspace

    other = init_workspace(tmp_path / "other", task="textcat", labels=["spam"])
    at = _at()
    at.query_params["workspace"] = str(other.path)  # what a reload of a bookmarked URL brings
    at.run()
    no_exception(at)
    assert at.sidebar.text_input(key="evaluator.workspace_path.input").value == str(other.path)
    assert any("textcat workspace · 1 label" == c.replace("🟢 ", "") for c in texts(at.sidebar, "caption"))
    assert at.query_params["workspace"] == str(other.path)


def test_the_url_gets_the_workspace_when_it_has_none(app, demo_ws):
    at = _at()
    at.run()
    no_exception(at)
    assert at.query_params["workspace"] == str(demo_ws.path)  # $EVALUATOR_WORKSPACE, now in the address
    at.switch_page("pages/evaluate.py")
    at.run()
    assert at.query_params["workspace"] == str(demo_ws.path)  # and still there after a page switch


@pytest.mark.parametrize("bad", ["file", "under-a-file"])
def test_creating_a_workspace_where_none_can_be_is_a_plain_message(app, tmp_path, monkeypatch, bad):
    (tmp_path / "notes.txt").write_text("x")
    target = tmp_path / "notes.txt" if bad == "file" else tmp_path / "notes.txt" / "ws"
    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(target))
    for button in ("home.create_empty", "home.create_demo"):
        at = app()
        at.button(key=button).click()
        at.run()
        no_exception(at)
        errors = texts(at, "error")
        assert errors and not any("This is a bug" in e for e in errors)
        assert any("notes.txt" in e and "is a file" in e and "**Fix:**" in e for e in errors)
