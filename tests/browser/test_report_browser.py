"""The exported HTML report in headless Chromium, opened from file:// with every network request blocked: it makes
none, and shows the verdict table and the charts. A workspace whose texts and labels carry <script>, <img onerror>
and javascript: links (plus an A/B comment and a model name injected into the report) renders them as text, in
HTML and in Markdown.

Screenshots: /tmp/screens/report-html.png, report-html-escaping.png.
"""
from __future__ import annotations

import json

import pytest

from tests.browser.conftest import SCREENS
from tests.conftest import demo_with_models

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert('script')</script>"
IMG = "<img src=x onerror=alert('img')>"
LINK = "[click me](javascript:alert('link'))"
LABEL = "<img src=y onerror=alert('label')>"

_DOM = """() => ({
  scripts: document.querySelectorAll('script').length,
  imgs: document.querySelectorAll('img, image, iframe, object, embed, link, a').length,
  handlers: [...document.querySelectorAll('*')].filter(el => [...el.attributes].some(a => a.name.startsWith('on')
      || /javascript:/i.test(a.value))).length,
  verdicts: [...document.querySelectorAll('#verdicts tbody tr')].map(tr => [...tr.cells].map(td => td.innerText)),
  headers: [...document.querySelectorAll('#verdicts thead th')].map(th => th.innerText),
  charts: [...document.querySelectorAll('figure.chart')].map(f => [f.id, f.querySelectorAll('svg').length,
      f.querySelector('svg') ? f.querySelector('svg').getBoundingClientRect().width : 0]),
  text: document.body.innerText,
})"""


def _open_offline(browser, path, shot):
    """Open ``path`` from file:// with every request other than that file aborted; return (DOM facts, requests
    attempted, dialogs opened)."""
    context = browser.new_context(viewport={"width": 1300, "height": 1400}, java_script_enabled=True)
    attempted, dialogs = [], []

    def route(r):
        attempted.append(r.request.url)
        if r.request.url == path.as_uri():
            r.continue_()
        else:
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("request", lambda req: attempted.append(req.url) if req.url != path.as_uri() else None)
    pg.goto(path.as_uri())
    pg.wait_for_load_state("load")
    pg.wait_for_timeout(300)
    dom = pg.evaluate(_DOM)
    SCREENS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENS / shot), full_page=False)
    context.close()
    return dom, [u for u in attempted if u != path.as_uri()], dialogs


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    from evaluator.models import train_round
    from evaluator.report.engine import build_report

    ws = demo_with_models(tmp_path_factory.mktemp("report-html") / "demo", rounds=(1, 2, 3))
    for k in (1, 3):
        for s in (1, 2):
            train_round(ws, k, trainer="crf-ner", seed=s, name=f"round-{k}-crf-ner-s{s}")
    return ws, build_report(ws, "demo-test", resamples=1000)


def test_html_report_opens_offline_with_table_and_charts(browser, demo_report, tmp_path):
    from evaluator.report.charts import report_charts
    from evaluator.report.export import write_html

    ws, rep = demo_report
    path = write_html(rep, tmp_path / "report.html")
    dom, attempted, dialogs = _open_offline(browser, path, "report-html.png")
    assert attempted == [] and dialogs == []
    assert dom["scripts"] == 0 and dom["imgs"] == 0 and dom["handlers"] == 0
    assert dom["headers"][:3] == ["family", "iteration", "compared with"]
    verdict_col = dom["headers"].index("verdict")
    assert [(r[1], r[2], r[verdict_col].split(" ")[0]) for r in dom["verdicts"]] == [
        (r["iteration"], r["compared_with"], r["verdict"]) for r in rep["table"]]
    assert [c[0] for c in dom["charts"]] == [f"chart-{c['key']}" for c in report_charts(rep)]
    assert all(n == 1 and width > 200 for _, n, width in dom["charts"])
    assert "Which iteration improved? gold:demo-test v1" in dom["text"]
    assert any(s.split(":")[0] in dom["text"] for s in rep["headline"])


@pytest.fixture(scope="module")
def evil_report(tmp_path_factory):
    """A tiny NER workspace whose texts and one label carry markup and a javascript: link."""
    from evaluator.gold import freeze
    from evaluator.importer import import_file
    from evaluator.models import train_round
    from evaluator.report.engine import build_report
    from evaluator.workspace import init_workspace

    root = tmp_path_factory.mktemp("report-evil")
    ws = init_workspace(root / "ws", task="ner", labels=[LABEL, "ORG"])
    tails = [SCRIPT, IMG, LINK, "plain words here"]

    def rows(n, offset):
        out = []
        for i in range(n):
            name = ["Acme", "Globex", "Initech", "Umbrella", "Hooli"][(i + offset) % 5]
            who = ["Ada", "Bob", "Cy", "Di", "Ed"][(i * 3 + offset) % 5]
            text = f"{who} joined {name} in week {i + offset} , {tails[i % len(tails)]}"
            spans = [{"start": 0, "end": len(who), "label": LABEL},
                     {"start": len(who) + 8, "end": len(who) + 8 + len(name), "label": "ORG"}]
            out.append(json.dumps({"text": text, "spans": spans, "answer": "accept"}))
        return out

    (root / "gold.jsonl").write_text("\n".join(rows(12, 100)) + "\n", encoding="utf-8")
    import_file(ws, root / "gold.jsonl", into="gold:evil")
    freeze(ws, "evil")
    for k, (n, off) in enumerate(((8, 0), (30, 50)), 1):
        (root / f"r{k}.jsonl").write_text("\n".join(rows(n, off)) + "\n", encoding="utf-8")
        import_file(ws, root / f"r{k}.jsonl", into=f"round:{k}")
        train_round(ws, k, trainer="crf-ner")
    rep = build_report(ws, "evil", resamples=200)
    # what a conflicting A/B session would add: a comment and a judged text, and a model name in the A/B fields
    step = rep["families"][0]["steps"][0]
    step["ab"] = {"session_id": 1, "source": "gold:evil@1", "model_a": "round-1-crf-ner", "model_b": SCRIPT,
                  "judgments": 3, "decisive": 3, "wins_b": 0, "wins_a": 3, "ties": 0, "win_rate_b": 0.0,
                  "ci95": [0.0, 0.56], "decided": True, "preferred": "a", "p_always_valid": 0.01,
                  "sentence": LINK, "alpha": 0.05, "signals": "conflicting",
                  "look_at": [{"item_id": "x", "text": IMG, "preferred": "round-1-crf-ner",
                               "preferred_output": [{"start": 0, "end": 4, "label": LABEL}], "other": SCRIPT,
                               "other_output": [], "f1_preferred": 0.0, "f1_other": 1.0,
                               "comments": [SCRIPT, LINK], "gap": 1.0}]}
    return rep


def test_texts_labels_comments_and_names_are_escaped(browser, evil_report, tmp_path):
    from evaluator.report.export import to_markdown, write_html

    path = write_html(evil_report, tmp_path / "evil.html")
    raw = path.read_text(encoding="utf-8")
    for bad in ("<script", "<img", 'href="javascript', "onerror=\""):
        assert bad not in raw, bad
    dom, attempted, dialogs = _open_offline(browser, path, "report-html-escaping.png")
    assert attempted == [] and dialogs == []
    assert dom["scripts"] == 0 and dom["imgs"] == 0 and dom["handlers"] == 0
    # the payloads are there, as text: in the verdict explanation, the entity lists, the labels and the A/B box
    for payload in (SCRIPT, IMG, LINK, LABEL):
        assert payload in dom["text"], payload
    md = to_markdown(evil_report)
    for bad in ("<script", "<img", "](javascript", "[click me]"):
        assert bad not in md, bad
    assert "&lt;script&gt;" in md and "\\[click me\\]\\(javascript:alert" in md
