# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BROWSER_DEPS := node_modules/.package-lock.json

# Python packages come from the lock files in requirements/, which pin every
# package, transitive ones included, with its hashes. `make run` installs
# run.lock (what running needs); `make test` adds dev.lock (run.lock's
# packages plus the test tools); `make bench` adds bench.lock (dev.lock's
# plus the benchmark's). Each step has its own stamp in .venv/, so switching
# between the commands in one .venv installs only what is missing.
RUN_LOCK := requirements/run.lock
DEV_LOCK := requirements/dev.lock
BENCH_LOCK := requirements/bench.lock
RUN_INSTALLED := $(VENV)/.run-installed
# Everything `make test` needs.
INSTALLED := $(VENV)/.dev-installed
BENCH_INSTALLED := $(VENV)/.bench-installed
# The installers' own versions: pip into .venv, uv (for `make lock`) beside it.
PIP_VERSION := 26.3
UV_VERSION := 0.13.9

.PHONY: install run test lint typecheck jstest pytest clean cluster bench bench-quick bench-storm lock screenshots

install: $(INSTALLED) $(BROWSER_DEPS)

# The packages go in with --require-hashes, then Parley itself (editable,
# --no-deps, so nothing outside the lock is pulled in).
$(RUN_INSTALLED): $(RUN_LOCK) pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Parley needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(RUN_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(INSTALLED): $(DEV_LOCK) $(RUN_INSTALLED)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	touch $@

# `make lock` rewrites the three locks from pyproject.toml (the one place where
# direct dependencies are pinned) with uv, keeping the other pins as they are;
# LOCK_FLAGS=--upgrade moves every transitive pin to its newest release.
# bench.lock resolves all the extras at once and the other two take their
# versions from it, so a package has one version in all three. The locks are
# universal: one file for CPython 3.11 and newer on any OS, markers picking the
# lines for the machine at hand. Installed and tested on Linux x86_64 with 3.11
# (3.12 and 3.13 install too). Every package has wheels for Linux x86_64 and
# arm64, Windows x86_64 and macOS, except gevent for macOS on 3.11, which pip
# then builds from its sdist (hashed as well).
UV := $(VENV)/uv-$(UV_VERSION)/bin/uv
COMPILE := $(UV) pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock' $(LOCK_FLAGS)

lock: $(UV)
	$(COMPILE) --extra dev --extra bench -o $(BENCH_LOCK)
	$(COMPILE) --extra dev -c $(BENCH_LOCK) -o $(DEV_LOCK)
	$(COMPILE) -c $(BENCH_LOCK) -o $(RUN_LOCK)

$(UV):
	$(PYTHON) -m venv $(VENV)/uv-$(UV_VERSION)
	$(VENV)/uv-$(UV_VERSION)/bin/python -m pip install --quiet uv==$(UV_VERSION)

# npm ci installs exactly the lockfile's versions and checks each package's integrity hash.
$(BROWSER_DEPS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to install the browser's socket.io-client"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# The Procfile's own web command, bound to 127.0.0.1:5000, on SQLite in instance/.
run: $(RUN_INSTALLED) $(BROWSER_DEPS)
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=127.0.0.1 PORT=$${PORT:-5000} sh -c "$$(sed -n 's/^web: //p' Procfile)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy chat tests benchmarks deploy

# Two workers, each module whole on one of them (its servers and browser are per module):
# most tests wait on real servers, browsers and databases, so two share the two cores well.
PYTEST_WORKERS ?= 2

pytest: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

# The browser client's DOM-free modules (static/js/), with Node's own test runner.
jstest:
	@command -v node >/dev/null || { echo "Node.js is needed for the browser client's tests"; exit 1; }
	node --test tests/js/

test: lint typecheck jstest pytest

# The README's pictures, docs/screenshots/room-375.png and room-1280.png: a team talking in
# a room, in Chromium. Not part of `make test`, which writes no file of the checkout.
screenshots: install
	$(BIN)/python -m tests.screenshots

clean:
	rm -rf $(VENV) node_modules benchmarks/reference/node_modules .pytest_cache .mypy_cache .ruff_cache

# N instances (INSTANCES, default 3) of the Procfile command behind nginx on
# CLUSTER_PORT (default 8080), on the local PostgreSQL and Redis. Ctrl-C stops it.
cluster: install
	$(BIN)/python -m deploy.cluster

# The fan-out benchmark beside the Node reference (docs/performance.md). Full
# mode takes about 25 minutes; bench-quick about 5. Not part of `make test`.
$(BENCH_INSTALLED): $(BENCH_LOCK) $(INSTALLED)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(BENCH_LOCK)
	touch $@

# The Node reference server (benchmarks/reference/) has a lockfile of its own: bare socket.io 4.8.
REFERENCE_DEPS := benchmarks/reference/node_modules/.package-lock.json
$(REFERENCE_DEPS): benchmarks/reference/package.json benchmarks/reference/package-lock.json
	cd benchmarks/reference && npm ci --no-audit --no-fund
	touch $@

bench: install $(BENCH_INSTALLED) $(REFERENCE_DEPS)
	$(BIN)/python benchmarks/run.py --profile

bench-quick: install $(BENCH_INSTALLED) $(REFERENCE_DEPS)
	$(BIN)/python benchmarks/run.py --quick

# The reconnect storm (benchmarks/storm.py): 1,000 clients of one room, the server restarted,
# all back and resumed; about 3 minutes. Not part of `make bench`, whose server it would restart.
bench-storm: install
	$(BIN)/python benchmarks/storm.py --clients 1000
