# The two commands: `make run` (demo on SQLite, eager tasks) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: run test bench lint migrate seed worker beat loadtest clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo
	@echo "CTO Portal on http://$(HOST):$(PORT)/ (SQLite, tasks run in-process). Ctrl+C stops it."
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed
	DEBUG=1 $(PY) -m bench

loadtest: $(VENV)/.installed
	$(PY) bench/loadtest.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check apps cto_portal tests bench
	$(VENV)/bin/bandit -q -r apps cto_portal --severity-level medium
	PIP_AUDIT=$(VENV)/bin/pip-audit bash ops/audit.sh
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A cto_portal worker --loglevel=INFO

beat: $(VENV)/.installed
	$(VENV)/bin/celery -A cto_portal beat --loglevel=INFO

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
