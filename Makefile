# `make test` is the README's test command and what .ci/run calls. It installs what it needs.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.dev-installed

.PHONY: test lint typecheck unit bench fuzz clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# One worker per core, at most four: the suite is I/O-bound on loopback servers and subprocesses.
unit: $(STAMP)
	$(BIN)/pytest -n auto --maxprocesses=4

bench: $(STAMP)
	$(BIN)/python bench/verify_mock.py
	$(BIN)/python bench/mock_throughput.py
	$(BIN)/python bench/verify_all.py

# Long fuzzing of every mock route (make test runs a 15-example smoke of the same test).
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-1000} $(BIN)/pytest -q tests/test_fuzz.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
