# Set-up and everyday commands.  `make serve` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve test lint system-deps bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,fast]' || { \
	  echo "note: gunicorn_h1c (the 'fast' extra) did not build; gunicorn parses requests in Python"; \
	  $(BIN)/pip install --quiet -e '.[test]'; }
	touch $@

## serve: install, then run the SPARQL service on the example data (http://127.0.0.1:8000)
serve: $(BIN)/.installed
	$(BIN)/educluster serve

## system-deps: Java (HermiT), Chromium and Virtuoso for the tests, when missing
system-deps:
	bash scripts/install-system-deps.sh

## test: install everything, then run the whole test suite
test: $(BIN)/.installed system-deps
	$(BIN)/ruff check service tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check service tests bench

## bench: install the peers (Virtuoso from Debian, rdflib-endpoint from PyPI in its own
## environment), then run the benchmark (BENCH_ARGS, e.g. BENCH_ARGS="--size 1m")
BENCH_PEERS := .bench/rdflib-endpoint-venv
$(BENCH_PEERS)/.installed:
	$(PYTHON) -m venv $(BENCH_PEERS)
	$(BENCH_PEERS)/bin/pip install --quiet 'rdflib-endpoint==0.6.3' 'uvicorn[standard]'
	touch $@

bench: $(BIN)/.installed system-deps $(BENCH_PEERS)/.installed
	RDFLIB_ENDPOINT_VENV=$(CURDIR)/$(BENCH_PEERS) $(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .bench build dist .pytest_cache .ruff_cache test-artifacts
