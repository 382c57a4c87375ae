"""Blind A/B in a real browser: judge a few items with one click each and check, after every item, that nothing in
the judging page's DOM (text, attributes, class names, the URL) names or identifies a model; the same for
`evaluator ab next --json`. Then reveal the names in the results view.

Screenshots: /tmp/screens/ab-judging.png, ab-results-revealed.png.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.browser.conftest import PAGE_HTML, REPO, SCREENS, page_html_text, serve_app, wait_until_idle
from tests.conftest import demo_with_models

pytestmark = pytest.mark.browser
MODELS = ["round-1-crf-ner", "round-3-crf-ner"]

#: every attribute value and class name in the page, plus its visible text
_DOM = """() => {
  const out = [document.body.innerText, location.href];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) out.push(a.name + '=' + a.value);
  }
  return out.join('\\n');
}"""


@pytest.fixture(scope="module")
def ab_workspace(tmp_path_factory):
    """A demo workspace with two CRF models and a session started by its owner ("lead")."""
    from evaluator.ab import start_session

    ws = demo_with_models(tmp_path_factory.mktemp("ab-browser") / "demo", rounds=(1, 3))
    sid = start_session(ws, MODELS, source="gold:demo-test", max_items=20, seed=1, owner="lead")["session_id"]
    return ws, sid


def _secrets(ws) -> list[str]:
    """What would identify a model: names, artifact and training-data hashes (whole and short), paths."""
    from evaluator.models import list_models

    out = []
    for m in list_models(ws):
        out += [m["name"], m["artifact_hash"], m["artifact_hash"][:12], m["train_hash"], m["train_hash"][:12],
                m["artifact_path"], m["trainer"]]
    return [s for s in out if s]


def _assert_blind(text: str, secrets: list[str], where: str) -> None:
    low = text.lower()
    for s in secrets:
        assert s.lower() not in low, f"{s!r} appears in {where}"
    # class names made from widget keys (st-key-...) are fixed words
    for key in set(re.findall(r"st-key-([\w-]+)", text)):
        assert not any(s.lower() in key.lower() for s in secrets), key


def test_judging_page_and_next_output_name_no_model(browser, ab_workspace):
    ws, sid = ab_workspace
    secrets = _secrets(ws)
    with serve_app(ws.path) as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1100})
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        pg.goto(url + "/ab")
        pg.get_by_role("heading", name="A/B", level=1).wait_for()
        wait_until_idle(pg)
        pg.get_by_role("textbox", name="Annotator").fill("zoe")
        pg.keyboard.press("Enter")
        pg.locator(".st-key-ab-left button").wait_for()
        wait_until_idle(pg)
        seen = []
        for k in range(4):
            text = page_html_text(pg)
            seen.append(text)
            _assert_blind(pg.evaluate(_DOM), secrets, f"the judging page (item {k + 1})")
            if k == 0:
                pg.screenshot(path=str(SCREENS / "ab-judging.png"))
            pg.locator(f".st-key-ab-{['left', 'right', 'tie', 'neither'][k]} button").click()
            pg.wait_for_function(f"(before) => ({PAGE_HTML})() !== before", arg=text)
            wait_until_idle(pg)
        _assert_blind(pg.evaluate(_DOM), secrets, "the judging page after four judgments")
        assert "Traceback" not in pg.inner_text("body")

        from evaluator.ab import results
        res = results(ws, sid)
        assert res["judgments"] == 4 and res["annotators"] == ["zoe"]

        # the CLI's next output, for scripted judges
        out = subprocess.run([sys.executable, "-m", "evaluator", "ab", "next", str(sid), "--annotator", "cli-judge",
                              "--workspace", str(ws.path), "--json"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout
        item = json.loads(out)
        assert item["done"] is False and item["left"] != item["right"]
        _assert_blind(out, secrets, "`ab next --json`")

        # the results view shows the names once revealed
        pg.get_by_test_id("stRadio").get_by_text("Results").click()
        pg.get_by_text("Judged items").wait_for()
        wait_until_idle(pg)
        assert not any(name in pg.inner_text("body") for name in MODELS)
        pg.get_by_text("Reveal model names").click()
        pg.get_by_text(MODELS[0]).first.wait_for()
        wait_until_idle(pg)
        body = pg.inner_text("body")
        assert all(name in body for name in MODELS)
        pg.set_viewport_size({"width": 1400, "height": 3200})
        wait_until_idle(pg)
        pg.screenshot(path=str(SCREENS / "ab-results-revealed.png"))
        context.close()
