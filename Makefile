# Two commands on a fresh machine: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
export FLASK_APP := boutique
PO_FILES := $(wildcard boutique/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test lint bench translations extract-messages clean

# Benchmarks (figures, not pass/fail). Set TEST_DATABASE_URL to measure on PostgreSQL.

# Development settings, named: without FLASK_CONFIG the app runs with production's checks.
run: export FLASK_CONFIG := development
run: $(VENV)/.installed $(MO_FILES)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(VENV)/.dev-installed $(MO_FILES)
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/bandit -r boutique -q

translations: $(MO_FILES)

# Refresh the catalog of texts to translate after changing templates or code.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -w 100 -o boutique/translations/messages.pot .
	$(BIN)/pybabel update -i boutique/translations/messages.pot -d boutique/translations -l en -w 100 --no-fuzzy-matching
	$(BIN)/python scripts/french_plurals.py

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find boutique -name '*.mo' -delete

bench: $(VENV)/.dev-installed $(MO_FILES)
	command -v wrk >/dev/null || (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/catalog.py
	$(BIN)/python bench/checkout.py
	$(BIN)/python bench/schedule.py
	$(BIN)/python bench/standing.py
	$(BIN)/python bench/backtest.py
	$(BIN)/python bench/season.py
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/login_timing.py
	$(BIN)/python bench/load.py
