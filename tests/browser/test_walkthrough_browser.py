"""Fixes from a new user's walkthrough, in a real browser (issue 7): the workspace lives in the URL and survives a
reload (item 6), the example-diff Kind filter stays in step with the table after A changes (item 9), and pages
show what they compute while they compute (item 11).

Screenshots land in /tmp/screens/ (EVALUATOR_SCREENS): walkthrough-evaluate-running.png, walkthrough-evaluate.png,
walkthrough-data.png, walkthrough-train.png, walkthrough-reloaded.png.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.browser.conftest import SCREENS, serve_app, wait_until_idle

pytestmark = pytest.mark.browser
MODELS = ["round-1-crf-ner", "round-2-crf-ner", "round-3-crf-ner"]
GOLD = "demo-test"

# records the label of every "Running" box the page ever shows (they come and go within a second)
OBSERVER = """
window.__running = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll('[data-testid="stExpander"] summary')) {
    const t = el.innerText;
    if (t && t.includes('Running:') && !window.__running.includes(t)) window.__running.push(t);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@pytest.fixture(scope="module")
def models_ws(tmp_path_factory):
    """The NER demo with crf-ner models of rounds 1..3, never evaluated (the Evaluate page starts cold)."""
    from tests.training.helpers import demo_with_models

    return demo_with_models(tmp_path_factory.mktemp("walkthrough") / "demo")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Its own server whose default workspace is an empty folder (the URL chooses the workspace), with every
    Running box drawn at once (no 0.4 s grace)."""
    default = tmp_path_factory.mktemp("walkthrough-default") / "nothing"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVALUATOR_RUNNING_DELAY", "0")
        with serve_app(default) as url:
            yield url


@pytest.fixture
def pg(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1300})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.add_init_script(OBSERVER)
    SCREENS.mkdir(parents=True, exist_ok=True)
    yield page
    context.close()


def _open(pg, url: str, heading: str) -> None:
    pg.goto(url)
    pg.get_by_role("heading", name=heading, level=1).wait_for()
    wait_until_idle(pg)
    assert "Traceback" not in pg.inner_text("body")


def _workspace_box(pg) -> str:
    return pg.get_by_role("textbox", name="Workspace folder").input_value()


def _kind_chips(pg) -> list[str]:
    kind = pg.get_by_test_id("stMultiSelect").filter(has_text="Kind")
    kind.locator("[data-tag]").first.wait_for()
    return [c.get_attribute("aria-label") for c in kind.locator("[data-tag]").all()]


def _shot(pg, heading: str, name: str) -> None:
    """A screenshot with the section under ``heading`` at the top (the app scrolls inside its own container)."""
    pg.get_by_role("heading", name=heading).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    pg.wait_for_timeout(300)
    pg.screenshot(path=str(SCREENS / name))


def _choose(pg, key: str, option: str) -> None:
    box = pg.locator(f".st-key-{key.replace('.', '-')}").get_by_test_id("stSelectbox")
    box.scroll_into_view_if_needed()
    box.click()
    pg.keyboard.type(option)
    pg.get_by_role("option", name=option, exact=True).click()
    wait_until_idle(pg)


def test_cold_evaluate_says_what_runs_and_a_reload_keeps_workspace_and_page(pg, server, models_ws):
    _open(pg, f"{server}/evaluate?workspace={quote(str(models_ws))}", "Evaluate")
    assert _workspace_box(pg) == str(models_ws)
    pg.get_by_role("heading", name="Is B really better than A?").wait_for()  # the models are there
    seen = pg.evaluate("window.__running")
    # what runs, and how far it is (React may draw several quick updates at once, so not every step is seen)
    steps = [t for t in seen if re.search(r"Running: scoring 3 models on gold:demo-test v1 .* \([123]/3\)", t)]
    assert steps, seen
    assert not pg.get_by_text("⏳ Running:").count()  # gone when done
    pg.screenshot(path=str(SCREENS / "walkthrough-evaluate.png"), full_page=True)

    # another page, then a reload of its URL: same workspace, same page (it used to fall back to the default)
    pg.get_by_test_id("stSidebarNav").get_by_text("Data", exact=True).click()
    pg.get_by_role("heading", name="Data", level=1).wait_for()
    wait_until_idle(pg)
    assert re.search(r"/data\?workspace=", pg.url), pg.url
    pg.reload()
    pg.get_by_role("heading", name="Data", level=1).wait_for()
    wait_until_idle(pg)
    assert _workspace_box(pg) == str(models_ws)
    assert pg.get_by_text("No workspace at").count() == 0
    pg.screenshot(path=str(SCREENS / "walkthrough-reloaded.png"), full_page=True)


def test_kind_filter_stays_in_step_with_the_table_when_a_changes(pg, server, models_ws):
    from evaluator.scoring.compare import example_diff
    from evaluator.workspace import open_workspace
    from ui import render

    ws = open_workspace(models_ws)
    _open(pg, f"{server}/evaluate?workspace={quote(str(models_ws))}", "Evaluate")
    counts = render.diff_counts(example_diff(ws, GOLD, MODELS[1], MODELS[2]), "ner")
    assert _kind_chips(pg) == [f"{render.DIFF_KINDS[k]} ({n})" for k, n in counts.items()]
    # keep "gained" and "changed" only
    for kind in ("lost", "new_error", "fixed_error"):
        pg.get_by_role("button", name=f"Remove {render.DIFF_KINDS[kind]} ({counts[kind]})").click()
        wait_until_idle(pg)
    pg.get_by_text(re.compile(rf"^{counts['gained'] + counts['changed']} changes listed")).wait_for()

    _choose(pg, "eval.model_a", MODELS[0])  # a new pair: other counts
    new = render.diff_counts(example_diff(ws, GOLD, MODELS[0], MODELS[2]), "ner")
    assert (new["gained"], new["changed"]) != (counts["gained"], counts["changed"])
    pg.get_by_text(re.compile(rf"^{new['gained'] + new['changed']} changes listed")).wait_for()
    assert _kind_chips(pg) == [f"gained ({new['gained']})", f"changed ({new['changed']})"]
    listed = pg.get_by_text(re.compile(r"changes? listed")).inner_text()
    assert listed == f"{new['gained'] + new['changed']} changes listed: gained {new['gained']}, changed {new['changed']}."
    _shot(pg, "What changed, example by example", "walkthrough-evaluate-diff.png")


def test_screens_of_the_data_and_train_pages(pg, server, models_ws):
    url = quote(str(models_ws))
    _open(pg, f"{server}/data?workspace={url}", "Data")
    pg.screenshot(path=str(SCREENS / "walkthrough-data.png"))
    _shot(pg, "Rounds", "walkthrough-data-rounds.png")
    _open(pg, f"{server}/train?workspace={url}", "Train")
    assert pg.get_by_text("exists already").count() == 0
    pg.screenshot(path=str(SCREENS / "walkthrough-train.png"))
    _shot(pg, "Models", "walkthrough-train-models.png")
