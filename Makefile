# Two commands on a fresh machine: `make demo` and `make test`. Only python3.11 and make needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint typecheck bench fuzz clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/vigil demo

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

fuzz: $(STAMP)
	$(BIN)/python tests/fuzz_kit.py --count 100000 --files 1000

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest_flowlogs.py
	$(BIN)/python benchmarks/ingest_cloudtrail.py
	$(BIN)/python benchmarks/detect.py
	$(BIN)/python benchmarks/logs.py
	$(BIN)/python benchmarks/trail.py
	$(BIN)/python benchmarks/posture.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) vigil-data benchmarks/.cache
