"""A workspace whose labels and texts carry Markdown images, links and bare URLs: the browser shows them as text,
fetches nothing outside the app and makes no link of them (issue: a label ![x](http://host/...) made the browser
fetch an outside URL; bare URLs in label badges became links)."""
from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import SCREENS, serve_app, wait_until_idle

pytestmark = pytest.mark.browser

LABELS = ["![x](http://127.0.0.2:9/leak.png)", "http://evil.example/a", "www.evil.example", "a@evil.example"]


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    from evaluator.importer import import_file
    from evaluator.workspace import init_workspace

    root = tmp_path_factory.mktemp("hostile-browser")
    ws = init_workspace(root / "ws", task="ner", labels=LABELS)
    rows = [{"text": f"Ada Lovelace {k} joined Initech in Leeds. See http://evil.example/{k} or www.evil.example",
             "spans": [{"start": 0, "end": 12, "label": lab}]} for k, lab in enumerate(LABELS)]
    f = root / "![y](http:__127.0.0.2_y.png).jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    import_file(ws, f, into="round:1")
    with serve_app(ws.path) as url:
        yield url


def test_no_outside_request_and_no_link_from_user_strings(browser, hostile_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1300})
    page = context.new_page()
    page.set_default_timeout(30_000)
    outside: list[str] = []
    app_host = urlparse(hostile_url).netloc
    page.on("request", lambda req: outside.append(req.url) if urlparse(req.url).netloc not in (app_host, "")
            and not req.url.startswith(("data:", "blob:")) else None)
    try:
        for path in ("", "data"):
            page.goto(f"{hostile_url}/{path}")
            page.get_by_test_id("stSidebar").get_by_text("workspace ·", exact=False).wait_for()
            wait_until_idle(page)
        page.get_by_text("Highlighted", exact=True).click()
        wait_until_idle(page)
        details = page.get_by_test_id("stExpander").filter(has_text="Highlighted").get_by_test_id("stExpanderDetails")
        details.get_by_text("Leeds", exact=False).first.wait_for()
        # the label shows as text (with an invisible word joiner that keeps Markdown from linking it)
        assert "![x](http://127.0.0.2:9/leak.png)" in details.inner_text().replace("\u2060", "")
        details.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENS / "hostile-labels.png"), full_page=True)
        main = page.get_by_test_id("stMain")
        links = main.locator("a[href*='evil'], a[href*='127.0.0.2'], a[href^='mailto:']")
        images = main.locator("img[src*='127.0.0.2'], img[src*='evil']")
        assert links.count() == 0 and images.count() == 0, [links.nth(k).evaluate("e => e.outerHTML")[:200]
                                                            for k in range(min(links.count(), 4))]
        page.goto(hostile_url)
        wait_until_idle(page)
        assert page.get_by_test_id("stMain").locator("a[href*='evil'], img[src*='127.0.0.2']").count() == 0
        assert outside == [], outside
    finally:
        context.close()
