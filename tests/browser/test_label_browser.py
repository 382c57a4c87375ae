"""The Label page in a real browser: label two NER examples with the mouse on the demo workspace, then check the
database. Screenshots land in /tmp/screens/ (EVALUATOR_SCREENS): label-ner-span.png, label-ner-next.png,
label-progress.png."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from evaluator import db, labeling
from evaluator.workspace import open_workspace
from tests.browser.conftest import CHROMIUM_ARGS, SCREENS, serve_app, wait_until_idle  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def label_app(tmp_path_factory):
    """A demo workspace of its own (the other browser tests count what theirs holds) and an app on it."""
    from evaluator.demo import build_demo
    path = tmp_path_factory.mktemp("label-browser") / "demo"
    build_demo(path)
    with serve_app(path) as url:
        yield path, url


def _keyed(pg, key: str):
    return pg.locator(f".st-key-{re.sub(r'[^a-zA-Z0-9_-]', '-', key)}")


def _no_traceback(pg) -> None:
    assert "Traceback" not in pg.inner_text("body")
    assert pg.locator("[data-testid='stException']").count() == 0


def _click_token(pg, example_id: int, index: int) -> None:
    """Click the index-th shown token (whitespace tokens are not shown) of the example on screen."""
    _keyed(pg, f"label.tokens.{example_id}").get_by_role("button").nth(index).click()


def test_label_two_examples_with_the_mouse(browser, label_app):
    path, url = label_app
    ws = open_workspace(path)
    first, second = labeling.next_items(ws, target="round:4", n=2)
    words = {it.example_id: [(s, e) for s, e in it.tokens if it.text[s:e].strip()] for it in (first, second)}

    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    SCREENS.mkdir(parents=True, exist_ok=True)
    try:
        pg.goto(url)
        pg.get_by_test_id("stSidebar").get_by_text("workspace ·", exact=False).wait_for()
        wait_until_idle(pg)
        pg.get_by_test_id("stSidebarNav").get_by_text("Label", exact=True).click()
        pg.get_by_role("heading", name="Label", level=1).wait_for()
        wait_until_idle(pg)
        pg.get_by_text("Type your name in the sidebar").wait_for()  # no name yet: nothing can be saved
        assert _keyed(pg, "label.accept").get_by_role("button").is_disabled()
        name = pg.get_by_test_id("stSidebar").get_by_role("textbox", name="Annotator")
        name.fill("mouse-user")
        name.press("Enter")
        wait_until_idle(pg)
        box = _keyed(pg, "label.round").get_by_test_id("stSelectbox")
        box.click()
        pg.get_by_role("option", name="➕ new round 4").click()
        wait_until_idle(pg)
        pg.get_by_text(f"Example #{first.example_id}").wait_for()
        _no_traceback(pg)

        # example 1: the first and the second word as one PERSON span (click start and end, then the label)
        _click_token(pg, first.example_id, 0)
        _click_token(pg, first.example_id, 1)
        _keyed(pg, "label.add.PERSON").get_by_role("button").click()
        wait_until_idle(pg)
        a, b = words[first.example_id][0][0], words[first.example_id][1][1]
        _keyed(pg, f"label.remove.{first.example_id}").get_by_text(f"{first.text[a:b]} · PERSON").wait_for()
        pg.screenshot(path=str(SCREENS / "label-ner-span.png"), full_page=True)
        _keyed(pg, "label.accept").get_by_role("button").click()
        wait_until_idle(pg)

        # example 2 appears at once: its last word as a LOCATION
        pg.get_by_text(f"Example #{second.example_id}").wait_for()
        last = len(words[second.example_id]) - 1
        if second.text[slice(*words[second.example_id][last])] in ".!?":
            last -= 1  # the full stop is a token too; take the word before it
        _click_token(pg, second.example_id, last)
        _keyed(pg, "label.add.LOCATION").get_by_role("button").click()
        wait_until_idle(pg)
        c, d = words[second.example_id][last]
        _keyed(pg, f"label.remove.{second.example_id}").get_by_text(f"{second.text[c:d]} · LOCATION").wait_for()
        _keyed(pg, "label.accept").get_by_role("button").click()
        wait_until_idle(pg)
        pg.get_by_text("Example #").wait_for()
        _no_traceback(pg)
        pg.screenshot(path=str(SCREENS / "label-ner-next.png"), full_page=True)

        _keyed(pg, "label.view").get_by_role("radio", name="Progress").click()
        wait_until_idle(pg)
        pg.get_by_text("Per annotator").wait_for()
        _no_traceback(pg)
        pg.screenshot(path=str(SCREENS / "label-progress.png"), full_page=True)
    finally:
        context.close()

    ann, ex = db.annotations, db.examples
    with ws.engine.connect() as conn:
        rows = conn.execute(sa.select(ann.c.example_id, ann.c.answer, ann.c.spans, ann.c.source, ex.c.collection_id)
                            .join(ex, ex.c.id == ann.c.example_id).where(ann.c.annotator == "mouse-user")
                            .order_by(ann.c.id)).all()
        round4 = conn.execute(sa.select(db.collections.c.id).where(db.collections.c.kind == "round",
                                                                   db.collections.c.name == "4")).scalar_one()
    assert [(r.example_id, r.answer, r.spans, r.source, r.collection_id) for r in rows] == [
        (first.example_id, "accept", [[a, b, "PERSON"]], "manual", round4),
        (second.example_id, "accept", [[c, d, "LOCATION"]], "manual", round4),
    ]
