# Two commands: `make run` (app on the demo workspace) and `make test` (the test suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PORT   ?= 8501
WORKSPACE ?= data/workspace

.PHONY: run test install install-dev demo bench browser-deps clean

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

# Debian's chromium for the browser tests (never `playwright install`); skipped when it is already there.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; fi; }

test: install-dev browser-deps
	$(VENV)/bin/pytest -n 2 --dist loadfile -q

bench: install-dev
	$(PY) bench/bench_metrics.py
	$(PY) bench/bench_training.py

clean:
	rm -rf $(VENV) .pytest_cache
