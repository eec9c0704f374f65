# Two commands matter: `make run` (the service with demo data on SQLite) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## Run the service with demo data on the embedded SQLite default (inventory.db here).
run: $(VENV)/.installed
	$(BIN)/inventory-svc serve --demo

## Lint, type-check and run the whole test suite (SQLite always; PostgreSQL when reachable).
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/scan_bench.py
	$(BIN)/python bench/decode_bench.py

## Memory over time: 100k mixed requests on a live server, RSS sampled (bench/soak.py).
soak: $(VENV)/.installed-test
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
