# The README's two commands: `make run` and `make test`. Both work on a fresh machine
# with only Python 3.11 and make; everything else is installed into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := chromium redis-server docker-compose dovecot-imapd
# Type-check the typed core (pyproject's [tool.mypy] `files`). The settings only need to import: a
# DATABASE_URL that is never connected to keeps the embedded Postgres from starting.
MYPY := DEBUG=true DATABASE_URL=postgres://mypy@localhost/mypy $(BIN)/mypy

.PHONY: run manage test lint format bench system-packages help

help:
	@echo "make run    start LabourHub with demo data on http://127.0.0.1:8000"
	@echo "make test   lint and run the whole test suite against real PostgreSQL"
	@echo "make manage ARGS='createsuperuser'   a manage.py command, in development (DEBUG on)"
	@echo "make bench  run the benchmarks in tests/perf (slow)"

run: $(VENV)/.installed
	$(BIN)/python -m labourhub.devstack

# A manage.py command with development settings, before or after `make run` (DEBUG on unless the
# environment says otherwise; production runs manage.py with its own environment).
manage: | $(VENV)/bin/python
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py $(ARGS)

# pytest's --dist loadfile as tests/conftest.py refines it: the long walks' shards are units of their own,
# queued first, so both workers share them.
test: $(VENV)/.installed-dev system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MYPY)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MYPY)

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	@for bench in tests/perf/bench_*.py; do echo "== $$bench"; $(BIN)/python $$bench || exit 1; done

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null || command -v python3 >/dev/null || { echo "Python 3.11 is needed: install it, or run 'make PYTHON=/path/to/python3.11 ...'"; exit 2; }
	$$(command -v $(PYTHON) || command -v python3) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

# The browser, Redis and IMAP tests need Debian's chromium, redis-server and dovecot-imapd (only its
# binary: the tests start it with their own config, never the system service); as root we install them,
# otherwise those tests are skipped with a message saying so.
system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do command -v $$p >/dev/null || dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing$$missing with apt-get ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "Note:$$missing not installed (needs root: apt-get install $(SYSTEM_PACKAGES)); tests that need them will be skipped."; \
	  fi; \
	fi

.DEFAULT:
	@echo "make: there is no target '$@'. Try 'make run', 'make test' or 'make help'."; exit 2
