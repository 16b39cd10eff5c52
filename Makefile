# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BROWSER_DEPS := node_modules/.package-lock.json

.PHONY: install run test lint typecheck jstest pytest clean cluster bench bench-quick

install: $(INSTALLED) $(BROWSER_DEPS)

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Parley needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# npm ci installs exactly the lockfile's versions and checks each package's integrity hash.
$(BROWSER_DEPS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to install the browser's socket.io-client"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# The Procfile's own web command, bound to 127.0.0.1:5000, on SQLite in instance/.
run: install
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=127.0.0.1 PORT=$${PORT:-5000} sh -c "$$(sed -n 's/^web: //p' Procfile)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy chat

pytest: install
	$(BIN)/pytest

# The browser client's DOM-free modules (static/js/), with Node's own test runner.
jstest:
	@command -v node >/dev/null || { echo "Node.js is needed for the browser client's tests"; exit 1; }
	node --test tests/js/

test: lint typecheck jstest pytest

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache

# N instances (INSTANCES, default 3) of the Procfile command behind nginx on
# CLUSTER_PORT (default 8080), on the local PostgreSQL and Redis. Ctrl-C stops it.
cluster: install
	$(BIN)/python -m deploy.cluster

# The fan-out benchmark beside the Node reference (docs/performance.md). Full
# mode takes about 25 minutes; bench-quick about 5. Not part of `make test`.
BENCH_INSTALLED := $(VENV)/.bench-installed

$(BENCH_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: install $(BENCH_INSTALLED)
	$(BIN)/python benchmarks/run.py --profile

bench-quick: install $(BENCH_INSTALLED)
	$(BIN)/python benchmarks/run.py --quick
