"""Train and Evaluate in a real browser: start training in the background, watch it, see the models scored.

Screenshots land in /tmp/screens/ (EVALUATOR_SCREENS): train-running.png, train-done.png, train-curve.png,
evaluate.png, evaluate-compare.png, evaluate-diff.png.
"""
from __future__ import annotations

import re

import pytest

from evaluator.models import list_models
from evaluator.workspace import open_workspace
from tests.browser.conftest import SCREENS, app_run, wait_until_idle

pytestmark = pytest.mark.browser
TRAIN_WAIT = 180_000  # ms; an upper bound for a hung job on a slow CI machine, never a timing assertion


def _no_traceback(pg) -> None:
    assert "Traceback" not in pg.inner_text("body")
    assert pg.locator("[data-testid='stException']").count() == 0


def _goto(pg, title: str, heading: str) -> None:
    with app_run(pg):
        pg.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    pg.get_by_role("heading", name=heading, level=1).wait_for()


def _keyed(pg, key: str):
    """The element a widget with ``key`` lives in (Streamlit gives it the class ``st-key-<key>``, with every
    character other than letters, digits, ``_`` and ``-`` replaced by ``-``)."""
    return pg.locator(f".st-key-{re.sub(r'[^a-zA-Z0-9_-]', '-', key)}")


def _selected(box) -> str:
    """The shown value of a selectbox (an input's value, or the text of its value element)."""
    inp = box.locator("input")
    value = inp.first.input_value() if inp.count() else ""
    return value or box.get_by_test_id("stSelectbox").inner_text().strip()


def _choose(pg, key: str, option: str, *, rerun: bool = True) -> None:
    """Pick ``option`` in a selectbox and wait for the rerun (none when it is picked already, or with
    ``rerun=False`` for a selectbox in a form)."""
    if _selected(_keyed(pg, key)) == option:
        return
    box = _keyed(pg, key).get_by_test_id("stSelectbox")
    box.scroll_into_view_if_needed()
    box.click()
    pg.keyboard.type(option)  # the selectbox filters its options as one types
    if not rerun:
        pg.get_by_role("option", name=option, exact=True).click()
        return
    with app_run(pg):
        pg.get_by_role("option", name=option, exact=True).click()


def test_train_in_the_background_then_evaluate(page, browser_workspace):
    ws = open_workspace(browser_workspace)
    before = {m["name"] for m in list_models(ws)}
    _goto(page, "Train", "Train")
    _no_traceback(page)

    # 1. spaCy NER on round 1 with a short schedule: long enough to watch the progress bar and the log
    _choose(page, "train.round", "1")
    page.get_by_text("Advanced: model name and trainer config").click()
    config = page.get_by_role("textbox", name="Config overrides (JSON)")
    config.fill('{"training.max_steps": 300, "training.eval_frequency": 50}')
    with app_run(page):
        config.press("Control+Enter")
    with app_run(page):
        page.get_by_role("button", name="🏋️ Train").click()
    page.get_by_test_id("stProgress").wait_for(timeout=TRAIN_WAIT)
    page.get_by_text("Training round-1-spacy-ner", exact=False).first.wait_for()
    page.get_by_role("button", name="⏹ Cancel").wait_for()
    assert page.get_by_role("button", name="🏋️ Train").is_disabled()
    page.get_by_text(re.compile(r"step \d+/300")).first.wait_for(timeout=TRAIN_WAIT)  # the live log
    page.screenshot(path=str(SCREENS / "train-running.png"), full_page=True)
    # the app stays usable meanwhile: another page, then back to the job (or to its result)
    _goto(page, "Gold sets", "Gold sets")
    _goto(page, "Train", "Train")
    page.get_by_text(re.compile(r"Trained round-1-spacy-ner in")).wait_for(timeout=TRAIN_WAIT)
    wait_until_idle(page)
    _no_traceback(page)

    # 2. the CRF on rounds 1..3
    _choose(page, "train.round", "3")
    _choose(page, "train.trainer", "crf-ner")
    if not config.is_visible():  # the expander closes when the page is left
        page.get_by_text("Advanced: model name and trainer config").click()
    if config.input_value():  # (leaving the page may have emptied it: then nothing changes, and no rerun)
        config.fill("")
        with app_run(page):
            config.press("Control+Enter")
    with app_run(page):
        page.get_by_role("button", name="🏋️ Train").click()
    page.get_by_text(re.compile(r"Trained round-3-crf-ner in")).wait_for(timeout=TRAIN_WAIT)
    wait_until_idle(page)
    _no_traceback(page)
    names = {m["name"] for m in list_models(ws)} - before
    assert names == {"round-1-spacy-ner", "round-3-crf-ner"}
    page.screenshot(path=str(SCREENS / "train-done.png"), full_page=True)

    # 3. a learning curve of the CRF (12 short runs)
    _choose(page, "train.curve_trainer", "crf-ner")
    with app_run(page):
        page.get_by_role("button", name="📈 Run learning curve").click()
    page.get_by_text("Learning curve of crf-ner ready", exact=False).wait_for(timeout=TRAIN_WAIT)
    wait_until_idle(page)
    page.get_by_text(re.compile(r"(More data still helps|The curve has flattened)")).first.wait_for()
    _no_traceback(page)
    page.get_by_test_id("stVegaLiteChart").last.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / "train-curve.png"))

    # 4. Evaluate: both models scored, the comparison in words, the example diff. Scoring takes seconds; the
    # app says it is at work meanwhile (Streamlit's own indicator is hidden in the minimal toolbar)
    running = ("() => getComputedStyle(document.querySelector(\"[data-testid='stApp']\"), '::after')"
               ".content.includes('Running')")
    shown = running.replace(".content.includes('Running')", ".opacity === '1'")
    with app_run(page, timeout=TRAIN_WAIT):
        page.get_by_test_id("stSidebarNav").get_by_text("Evaluate", exact=True).click()
        page.wait_for_function(f"() => ({running})() && ({shown})()")
        page.screenshot(path=str(SCREENS / "evaluate-running.png"))
    assert not page.evaluate(running)
    page.get_by_role("heading", name="Evaluate", level=1).wait_for()
    page.get_by_text("Is B really better than A?").wait_for()
    page.get_by_text(re.compile(r"(is better than|No evidence of a difference)")).first.wait_for(timeout=TRAIN_WAIT)
    wait_until_idle(page)
    _no_traceback(page)
    a_box, b_box = _keyed(page, "eval.model_a"), _keyed(page, "eval.model_b")
    assert _selected(a_box) == "round-1-spacy-ner" and _selected(b_box) == "round-3-crf-ner"
    assert page.get_by_test_id("stVegaLiteChart").count() >= 3  # per-label bars, overall and per-label deltas
    assert page.get_by_test_id("stMetric").filter(has_text="B − A (points)").count() == 1
    page.screenshot(path=str(SCREENS / "evaluate.png"), full_page=True)
    page.get_by_text("Is B really better than A?").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / "evaluate-compare.png"))
    page.get_by_text("What changed, example by example").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / "evaluate-diff.png"))
