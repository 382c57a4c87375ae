"""AppTest fixtures: the real app.py (sidebar + navigation) on a temporary demo workspace."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")


@pytest.fixture
def demo_ws(tmp_path, monkeypatch):
    """A fresh NER demo workspace, selected through $EVALUATOR_WORKSPACE (as `make run` does)."""
    from evaluator.demo import build_demo
    from evaluator.workspace import open_workspace

    path = tmp_path / "demo"
    build_demo(path)
    monkeypatch.setenv("EVALUATOR_WORKSPACE", str(path))
    return open_workspace(path)


@pytest.fixture
def app(monkeypatch):
    """Factory: app(page="pages/home.py") -> an AppTest of app.py that has run once on that page."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.syspath_prepend(str(REPO))  # `import ui` as under `streamlit run app.py`

    def make(page: str | None = None) -> AppTest:
        from ui import cache
        cache.clear()
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        return at

    return make


def texts(at, kind: str) -> list[str]:
    """The values of every element of one kind (markdown, error, info, success, caption, ...)."""
    return [str(e.value) for e in getattr(at, kind)]


def no_exception(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
