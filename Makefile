# The two commands: `make run` (set up and run on embedded defaults) and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export OMP_THREAD_LIMIT := 1
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test setup setup-test lint typecheck pytest bench clean

## run: install everything, migrate the database and start coibot on embedded defaults
run: setup
	$(BIN)/coibot db upgrade
	$(BIN)/coibot serve

## test: install what the tests need and run ruff, mypy and pytest
test: setup-test lint typecheck pytest

setup: $(BIN)/coibot
	scripts/system-deps.sh run

setup-test: $(BIN)/coibot
	scripts/system-deps.sh test

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q uv==$(UV_VERSION)

$(BIN)/coibot: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

lint:
	$(BIN)/ruff check .

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -q --durations=20

bench: setup
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache
