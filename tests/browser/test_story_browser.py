"""The whole story in a real browser, on the demo workspace: import a gold set, freeze it, train two rounds with
several seeds, evaluate, judge a blind A/B session to a decision, open the report, download the HTML report and
open it offline (file://, every network request blocked).

A screenshot of each step goes to /tmp/screens/story/ (EVALUATOR_SCREENS); with EVALUATOR_UPDATE_DOCS=1 to
docs/story/ as well, where the README shows them.
"""
from __future__ import annotations

import json
import os
import re
import shutil

import pytest
import sqlalchemy as sa

from tests.browser.conftest import PAGE_HTML, REPO, SCREENS, page_html_text, serve_app, wait_until_idle
from tests.browser.test_train_evaluate_browser import _choose, _keyed

pytestmark = pytest.mark.browser
WAIT = 180_000  # ms; an upper bound for a hung job on a slow machine, never a timing assertion
GOLD_ROWS = 40
SEEDS = (0, 1, 2)


def _shot(pg, name: str, *, full: bool = True) -> None:
    out = SCREENS / "story"
    out.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(out / name), full_page=full)
    if os.environ.get("EVALUATOR_UPDATE_DOCS"):
        docs = REPO / "docs" / "story"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(out / name, docs / name)


def _clean(pg) -> None:
    assert "Traceback" not in pg.inner_text("body")
    assert pg.locator("[data-testid='stException']").count() == 0


def _goto(pg, title: str) -> None:
    pg.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    pg.get_by_role("heading", name=title, level=1).wait_for()
    wait_until_idle(pg)


def _set_number(pg, key: str, value: int) -> None:
    box = _keyed(pg, key).locator("input")
    box.fill(str(value))
    box.press("Enter")
    wait_until_idle(pg)


@pytest.fixture(scope="module")
def story_workspace(tmp_path_factory):
    from evaluator.demo import build_demo

    path = tmp_path_factory.mktemp("story") / "demo"
    build_demo(path)
    return path


def _train(pg, rnd: int, seed: int) -> str:
    name = f"round-{rnd}-crf-ner" + (f"-s{seed}" if seed else "")
    _choose(pg, "train.round", str(rnd))
    _choose(pg, "train.trainer", "crf-ner")
    _set_number(pg, "train.seed", seed)
    if not pg.get_by_role("textbox", name="Model name").is_visible():
        pg.get_by_text("Advanced: model name and trainer config").click()
    box = pg.get_by_role("textbox", name="Model name")
    box.fill(name)
    box.press("Enter")
    wait_until_idle(pg)
    pg.get_by_role("button", name="🏋️ Train").click()
    pg.get_by_text(re.compile(rf"Trained {re.escape(name)} in")).wait_for(timeout=WAIT)
    wait_until_idle(pg)
    _clean(pg)
    return name


def test_the_whole_story(browser, story_workspace, tmp_path):
    from evaluator.models import list_models
    from evaluator.report.engine import build_report
    from evaluator.workspace import open_workspace

    ws = open_workspace(story_workspace)
    with serve_app(story_workspace) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(url)
        pg.get_by_test_id("stSidebar").get_by_text("workspace ·", exact=False).wait_for()
        wait_until_idle(pg)

        # 1. import: the first 40 demo gold sentences as a new gold set "story"
        lines = (REPO / "data" / "demo" / "ner_gold.jsonl").read_text(encoding="utf-8").splitlines()[:GOLD_ROWS]
        upload = tmp_path / "story-gold.jsonl"
        upload.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _goto(pg, "Data")
        _keyed(pg, "data.kind").get_by_text("gold set", exact=True).click()
        wait_until_idle(pg)
        name_box = pg.get_by_role("textbox", name="Gold set name")
        name_box.fill("story")
        name_box.press("Enter")
        pg.get_by_test_id("stFileUploader").locator("input[type='file']").set_input_files(str(upload))
        pg.get_by_text("story-gold.jsonl").first.wait_for()
        wait_until_idle(pg)
        pg.get_by_role("button", name="Import", exact=True).click()
        pg.get_by_test_id("stAlertContentSuccess").wait_for()
        assert f"Imported {GOLD_ROWS} example" in pg.get_by_test_id("stAlertContentSuccess").inner_text()
        _clean(pg)
        _shot(pg, "1-import.png")

        # 2. freeze it
        _goto(pg, "Gold sets")
        _choose(pg, "gold.name", "story")
        pg.get_by_role("button", name="🔒 Freeze latest version").click()
        wait_until_idle(pg)
        pg.get_by_text(re.compile("Froze gold:story|frozen", re.I)).first.wait_for()
        _clean(pg)
        _shot(pg, "2-freeze.png")

        # 3. train rounds 1 and 3, three seeds each (the CRF trains in about a second)
        _goto(pg, "Train")
        trained = [_train(pg, rnd, seed) for rnd in (1, 3) for seed in SEEDS]
        assert {m["name"] for m in list_models(ws)} == set(trained)
        _shot(pg, "3-train.png")

        # 4. evaluate on the new gold set
        _goto(pg, "Evaluate")
        _choose(pg, "eval.gold", "story")
        pg.get_by_text("Is B really better than A?").wait_for()
        pg.get_by_text(re.compile(r"(is better than|No evidence of a difference)")).first.wait_for(timeout=WAIT)
        wait_until_idle(pg)
        _clean(pg)
        _shot(pg, "4-evaluate.png", full=False)

        # 5. a blind A/B session between round 1 and round 3 on the gold set, judged to a decision by an
        #    annotator who prefers the output closer to gold (read from the items' stored F1, which the page
        #    never shows)
        pg.get_by_role("textbox", name="Annotator").fill("maria")
        pg.get_by_role("textbox", name="Annotator").press("Enter")
        _goto(pg, "A/B")
        pg.get_by_test_id("stRadio").get_by_text("New session").click()
        wait_until_idle(pg)
        models = _keyed(pg, "ab.new.models")
        clear = models.get_by_role("button", name=re.compile("clear", re.I))
        if clear.count():
            clear.first.click()
        for name in ("round-1-crf-ner", "round-3-crf-ner"):
            models.get_by_role("combobox").click()
            pg.keyboard.type(name)
            pg.get_by_role("option", name=name, exact=True).click()
        pg.keyboard.press("Escape")
        _choose(pg, "ab.new.source", "gold:story@1", rerun=False)  # in a form: no rerun until it is submitted
        pg.get_by_role("button", name="Start the session").click()
        pg.locator(".st-key-ab-left button").wait_for()
        wait_until_idle(pg)
        _shot(pg, "5-ab-judging.png", full=False)
        from evaluator import db
        sid = max(s[0] for s in ws.engine.connect().execute(sa.select(db.ab_sessions.c.id)).all())
        for _ in range(GOLD_ROWS):
            if pg.get_by_text("You can stop").count():
                break
            with ws.engine.connect() as conn:
                j, it = db.ab_judgments, db.ab_items
                row = conn.execute(sa.select(it.c.left_f1, it.c.right_f1).join(j, j.c.item_id == it.c.id).where(
                    j.c.session_id == sid, j.c.annotator == "maria", j.c.choice.is_(None))).first()
            lf, rf = (row[0] or 0.0, row[1] or 0.0) if row else (0.0, 0.0)
            choice = "left" if lf > rf else "right" if rf > lf else "tie"
            before = page_html_text(pg)
            pg.locator(f".st-key-ab-{choice} button").click()
            pg.wait_for_function(f"(before) => ({PAGE_HTML})() !== before "
                                 "|| document.body.innerText.includes('You can stop')", arg=before)
            wait_until_idle(pg)
        pg.get_by_text("You can stop").first.wait_for()
        _clean(pg)
        pg.get_by_test_id("stRadio").get_by_text("Results").click()
        wait_until_idle(pg)
        _shot(pg, "6-ab-results.png", full=False)

        # 6. the report: which iteration improved, with the A/B session beside it
        _goto(pg, "Report")
        _choose(pg, "report.gold", "story")
        pg.get_by_text("Which iteration improved?").wait_for()
        pg.get_by_text("Where it changed: text length").first.wait_for(timeout=WAIT)
        wait_until_idle(pg)
        _clean(pg)
        rep = build_report(ws, "story")
        assert rep["reused"]  # the page computed it with these settings
        row = next(r for r in rep["table"] if r["compared_with"] == "round 1 (previous)")
        assert row["iteration"] == "round 3" and row["runs"] == "3 vs 3"
        assert row["ab"].startswith("B preferred (decided)") and row["signals"] in ("agree", "metrics inconclusive")
        body = pg.inner_text("body")
        assert "round 1 (previous)" in body and row["verdict"] in body
        _shot(pg, "7-report.png", full=False)
        pg.get_by_test_id("stVegaLiteChart").nth(3).scroll_into_view_if_needed()
        wait_until_idle(pg)
        _shot(pg, "8-report-charts.png", full=False)

        # 7. download the HTML report and open it offline
        with pg.expect_download(timeout=WAIT) as dl:
            pg.get_by_role("button", name=re.compile("HTML")).click()
        html_path = tmp_path / "report.html"
        dl.value.save_as(html_path)
        context.close()

    offline = browser.new_context(viewport={"width": 1300, "height": 1200})
    attempted = []
    offline.route("**/*", lambda r: r.continue_() if r.request.url == html_path.as_uri()
                  else (attempted.append(r.request.url), r.abort()))
    page = offline.new_page()
    page.goto(html_path.as_uri())
    verdicts = page.locator("#verdicts tbody tr").all_inner_texts()
    assert attempted == [] and len(verdicts) == len(rep["table"])
    assert page.locator("figure.chart svg").count() >= 5 and page.locator("script").count() == 0
    assert any("round 1 (previous)" in v and row["verdict"] in v for v in verdicts)
    _shot(page, "9-report-offline.png", full=False)
    offline.close()
    json.dumps(rep)  # the report is plain data
