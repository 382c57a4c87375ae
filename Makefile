# Two commands: `make run` (app on the demo workspace) and `make test` (the test suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PORT   ?= 8501
WORKSPACE ?= data/workspace

.PHONY: run test test-postgres install install-dev demo bench system-deps clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: requirements.txt pyproject.toml | $(VENV)/bin/activate
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(PY) -m evaluator demo --workspace $(WORKSPACE)

run: demo
	EVALUATOR_WORKSPACE=$(WORKSPACE) $(VENV)/bin/streamlit run app.py --server.port $(PORT) \
	  --server.headless true --browser.gatherUsageStats false

# System packages for the tests, from Debian: chromium for the browser tests (never `playwright install`), an emoji
# font for screenshots, and the PostgreSQL server the PostgreSQL test starts a throw-away cluster with.
# Skipped when they are already there.
APT_PKGS := chromium fonts-noto-color-emoji postgresql
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	fi

test: install-dev system-deps
	$(VENV)/bin/pytest -n 2 --dist loadfile -q

# Team mode: the whole suite again with every test workspace in its own database on a throw-away PostgreSQL
# cluster (tests/pgcluster.py). The browser tests start the app as a separate process on SQLite; they ran above.
test-postgres: install-dev system-deps
	$(PY) tests/pgcluster.py -- $(VENV)/bin/pytest -n 2 --dist loadfile -q --ignore=tests/browser

bench: install-dev
	$(PY) bench/bench_scoring.py --strict
	$(PY) bench/bench_imports.py
	$(PY) bench/bench_pages.py
	$(PY) bench/bench_metrics.py --strict
	$(PY) bench/bench_training.py
	$(PY) bench/bench_leakage.py
	$(PY) bench/bench_ab.py
	$(PY) bench/bench_active.py

clean:
	rm -rf $(VENV) .pytest_cache
