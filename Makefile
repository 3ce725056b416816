# Perch — the two commands: `make run` (the whole product on embedded defaults) and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PERCH_PORT ?= 8000
export PERCH_PORT
# With REDIS_URL set, Perch uses that Redis and the Procfile's embedded `redis` process is not started; with EMAIL_URL
# set, Perch sends email through that server and the demo's SMTP server (`smtp`) is not started. Empty: all of them.
PROCESSES := $(if $(REDIS_URL)$(EMAIL_URL),$(if $(REDIS_URL),,redis) web worker beat $(if $(EMAIL_URL),,smtp),)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint lock bench bench-load screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The versions CI tested, hash-checked (the lock files, from `make lock`); then Perch itself, whose ranges in
# pyproject.toml the lock satisfies (tests/test_lock_files.py).
$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.test: requirements-test.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

/usr/bin/chromium:
	@echo "Installing Debian's chromium for the browser tests…"
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null

run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo
	@echo
	@echo "  Perch → http://127.0.0.1:$(PERCH_PORT)/workspace/   (supervisors: http://127.0.0.1:$(PERCH_PORT)/admin/)"
	@echo "  Customer simulator → http://127.0.0.1:$(PERCH_PORT)/x-sandbox/simulator/"
	@echo "  Stop with Ctrl-C."
	@echo
	PERCH_PUBLIC_URL="$${PERCH_PUBLIC_URL:-http://127.0.0.1:$(PERCH_PORT)}" PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start $(PROCESSES)

test: $(VENV)/.test /usr/bin/chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The pictures in README.md and docs/screenshots/ are the browser tests' own (docs/screenshots.txt maps them):
# run the browser tests, then copy. A picture a test no longer takes fails this target instead of going stale.
screenshots: $(VENV)/.test /usr/bin/chromium
	$(BIN)/python -m pytest -q -m e2e tests/e2e tests/social/sandbox
	@grep -v '^#' docs/screenshots.txt | while read name artifact; do \
		cp var/test/artifacts/$$artifact.png docs/screenshots/$$name.png || exit 1; done
	@echo "docs/screenshots/ refreshed: look at them before committing."

lint: $(VENV)/.test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

$(VENV)/.bench: requirements-bench.txt pyproject.toml $(VENV)/.test
	$(BIN)/pip install --quiet --require-hashes -r requirements-bench.txt
	touch $@

# Each benchmark prints its table and one ratio line against a raw baseline; JSON lands in bench/results/.
BENCHMARKS ?= ingest pages latency fanout send routing freshness
bench: $(VENV)/.bench
	@for name in $(BENCHMARKS); do echo "== bench.$$name"; $(BIN)/python -m bench.$$name || exit 1; done

# 200 agent websockets, 20 customer DMs/s for 5 minutes, on 127.0.0.1 only (docs/RELIABILITY.md).
bench-load: $(VENV)/.test
	$(BIN)/python -m bench.load

# Regenerates the lock files from pyproject.toml, keeping their pins where the ranges still allow them;
# `make lock LOCK_ARGS=--upgrade` (or --upgrade-package NAME) moves them. Hashes are PyPI's: no local index or
# wheel cache takes part, whatever pip's configuration on this machine says.
LOCK := CUSTOM_COMPILE_COMMAND="make lock" PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= $(BIN)/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
$(BIN)/pip-compile: | $(BIN)/python
	$(BIN)/pip install --quiet 'pip-tools>=7.4'

lock: | $(BIN)/pip-compile
	$(LOCK) -o requirements.txt pyproject.toml
	$(LOCK) --extra test -o requirements-test.txt pyproject.toml
	$(LOCK) --extra test --extra bench -o requirements-bench.txt pyproject.toml

clean:
	rm -rf var/test var/*.sqlite3 var/celerybeat-schedule*
