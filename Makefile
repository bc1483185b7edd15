# The two set-up commands of the README: `make run` and `make test`.
# Each creates .venv with the machine's python3 and installs the project from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/baseline.toml

.PHONY: run test bench lint format clean chromium dashboard

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/sim run $(SCENARIO)

test: $(VENV)/.installed-test chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# One worker per core, each test file whole on one worker (its module fixtures made once).
	$(BIN)/pytest -n auto --dist loadfile --durations=30

# The dashboard's browser test drives Debian's chromium: install it when missing, if we can (root
# with apt-get); otherwise the test is skipped and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && apt-get update -qq >/dev/null 2>&1 \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } \
	  || echo "note: chromium is not installed and could not be; the dashboard's browser test will be skipped"

dashboard: $(VENV)/.installed-test
	$(BIN)/sim dashboard $(SCENARIO)

# Benchmarks (benchmarks/README.md): print figures, never part of the tests.
$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $@ $(VENV)/.installed

bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/scale.py --customers 10000 --weeks 260
	$(BIN)/python benchmarks/scale.py --customers 100000 --weeks 260
	$(BIN)/python benchmarks/vs_mesa.py --customers 100000 --weeks 52
	$(BIN)/python benchmarks/vs_ndlib.py --customers 100000
	$(BIN)/python benchmarks/network.py --customers 1000000 --seeds 3

lint: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) results/*/ .pytest_cache .ruff_cache
