"""A page URL opened first on a freshly started server (a bookmark, a reload after `make run` restarted) shows the
whole app: app.py's navigation and sidebar, not Streamlit's legacy pages/ mode with the bare page script."""
from __future__ import annotations

import pytest

from tests.browser.conftest import serve_app, wait_until_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fresh_app(tmp_path_factory):
    from evaluator.demo import build_demo

    path = tmp_path_factory.mktemp("deeplink") / "demo"
    build_demo(path)
    with serve_app(path) as url:  # its own server: no session may have opened "/" before the test
        yield url


def test_a_page_url_opened_first_gets_the_app_navigation_and_sidebar(browser, fresh_app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.goto(fresh_app + "/gold")
    pg.get_by_test_id("stSidebar").get_by_text("workspace ·", exact=False).wait_for()
    wait_until_idle(pg)
    nav = pg.get_by_test_id("stSidebarNav").inner_text()
    assert "Gold sets" in nav and "Evaluate" in nav
    assert "app" not in nav.split()  # the legacy menu lists app.py as "app"
    assert pg.get_by_role("textbox", name="Workspace folder").count() == 1
    pg.get_by_role("heading", name="Gold sets", level=1).wait_for()
    context.close()
