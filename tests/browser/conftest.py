"""Real-browser fixtures: `streamlit run app.py` on a demo workspace, driven by Debian's chromium via Playwright.

Never `playwright install`: the tests use /usr/bin/chromium (install it with `make browser-deps`). When it is
missing the tests skip, except under CI=true, where they fail.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EVALUATOR_CHROMIUM", "/usr/bin/chromium")
SCREENS = Path(os.environ.get("EVALUATOR_SCREENS", "/tmp/screens"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _missing(msg: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg + " (required when CI=true)")
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_workspace(tmp_path_factory) -> Path:
    from evaluator.demo import build_demo
    path = tmp_path_factory.mktemp("browser") / "demo"
    build_demo(path)
    return path


@contextmanager
def serve_app(workspace: Path):
    """Run `streamlit run app.py` on a free port with EVALUATOR_WORKSPACE=workspace; yield its URL."""
    port = _free_port()
    streamlit = Path(sys.executable).with_name("streamlit")
    cmd = [str(streamlit) if streamlit.exists() else shutil.which("streamlit") or "streamlit", "run", "app.py",
           "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    env = {**os.environ, "EVALUATOR_WORKSPACE": str(workspace)}
    log_path = workspace.parent / f"streamlit-{port}.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail("streamlit did not start:\n" + log_path.read_text())
        time.sleep(0.3)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def app_url(browser_workspace) -> str:
    """Start the app on a free port with EVALUATOR_WORKSPACE set; yield its URL; stop it afterwards."""
    with serve_app(browser_workspace) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _missing(f"chromium not found at {CHROMIUM} (make browser-deps)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements-dev.txt)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh browser page (1400x1300) on the app's home page, fully rendered."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1300})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    pg.goto(app_url)
    pg.get_by_test_id("stSidebar").get_by_text("workspace ·", exact=False).wait_for()
    wait_until_idle(pg)
    yield pg
    context.close()


# the hidden marker app.py writes at the start of every run (ui/run.py): its data-run is that run's id
_RUN_ID = ("() => { const m = document.querySelector(\"[data-testid='evaluator-run']\"); "
           "return m ? m.dataset.run : null; }")
# idle: a run other than `before` has started, Streamlit's root element says the script is not running (its state
# attribute, which Streamlit keeps for its own end-to-end tests; the toolbar's running icon is not drawn with
# client.toolbarMode = "minimal"), and nothing is stale
_SETTLED = ("([before]) => { const m = document.querySelector(\"[data-testid='evaluator-run']\"); "
            "const app = document.querySelector(\"[data-testid='stApp']\"); "
            "const state = app && app.getAttribute('data-test-script-state'); "
            "return !!m && m.dataset.run !== before "
            "&& (state === 'notRunning' || state === 'compilationError') "
            "&& !document.querySelector(\"[data-stale='true']\"); }")


#: the text of the page's HTML elements outside the sidebar (an A/B item's two outputs); app.py's style rule and
#: run marker are HTML elements too, so "the first stHtml" is not the item
PAGE_HTML = ("() => Array.from(document.querySelectorAll(\"[data-testid='stHtml']\"))"
             ".filter(e => !e.closest(\"[data-testid='stSidebar']\")).map(e => e.innerText).join('\\n')")


def page_html_text(pg) -> str:
    """The text of the page's HTML elements (see :data:`PAGE_HTML`)."""
    return pg.evaluate(PAGE_HTML)


def run_id(pg) -> str | None:
    """The id of the app's latest script run (None before the first one)."""
    return pg.evaluate(_RUN_ID)


def wait_until_idle(pg, *, after: str | None = None, timeout: float = 30_000) -> str:
    """Wait until the app has really finished running its script: a run other than ``after`` (the run before an
    interaction) has started (the marker app.py draws, ui/run.py), Streamlit's root element says the script is
    not running, nothing is stale, and all of that still holds half a second later (no rerun followed).
    Returns the run's id."""
    pg.wait_for_selector("[data-testid='stAppViewContainer']")
    while True:
        pg.wait_for_function(_SETTLED, arg=[after], timeout=timeout)
        current = run_id(pg)
        pg.wait_for_timeout(500)
        if run_id(pg) == current and pg.evaluate(_SETTLED, [after]):
            return current


@contextmanager
def app_run(pg, *, timeout: float = 30_000):
    """``with app_run(page): <an interaction that reruns the script>``: on leaving, wait until that run (and any
    rerun it asks for) has finished."""
    before = run_id(pg)
    yield
    wait_until_idle(pg, after=before, timeout=timeout)
