# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint check messages clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## make run: migrate, seed the demo street and simulate last month on it (once), serve
## http://$(HOST):$(PORT) with a Celery worker and beat.
run: $(VENV)/.runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py simulate_month --if-new
	$(BIN)/python manage.py demo_duplicates
	$(BIN)/python manage.py demo_resident
	HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) scripts/run.sh

## make test: the whole suite, on PostgreSQL and Redis (DATABASE_URL / REDIS_URL, default: this machine).
test: $(VENV)/.dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make lint: ruff, every message in the translation catalogue (needs GNU gettext), migrations
## in step with the models, and Django's deploy checks.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/check_messages.py
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
		ALLOWED_HOSTS=zhitong.example.org DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/zhitong} \
		REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(BIN)/python manage.py check --deploy --fail-level WARNING

## make messages: compile the translations (locale/*/LC_MESSAGES/django.po -> .mo).
messages: $(VENV)/.dev
	$(BIN)/python scripts/compile_messages.py
