# `make test` is the README's test command and what .ci/run calls. It installs what it needs.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.dev-installed

.PHONY: test lint typecheck unit bench clean

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

unit: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/verify_mock.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
