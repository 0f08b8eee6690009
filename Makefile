# Gatebook: `make run` serves the app on SQLite, `make test` runs the whole suite,
# `make migrate` creates or upgrades the database's schema (run by `make run` too).
PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 5000
BIN    := $(VENV)/bin
# This server's own address, for links and QR codes when GATEBOOK_PUBLIC_URL is not set.
LINK_HOST := $(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST))
FLASK  := $(BIN)/flask --app wsgi
PO     := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
MO     := $(PO:.po=.mo)

.PHONY: run migrate test install translations messages clean

# gunicorn's settings are deploy/gunicorn.conf.py's (GUNICORN_WORKERS and GUNICORN_THREADS
# in the environment change the defaults), as for the systemd unit.
run: export GATEBOOK_PUBLIC_URL ?= http://$(LINK_HOST):$(PORT)
run: migrate translations
	@$(FLASK) add-location "Cổng chính" --if-none > /dev/null
	@echo "Check-in URLs (open one on a phone, or print it as a QR poster):"
	@$(FLASK) locations
	@$(FLASK) setup-link
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	GUNICORN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py

# With several servers on PostgreSQL, each may run it: they upgrade in turn (advisory lock).
migrate: $(VENV)/.runtime
	$(FLASK) db upgrade

test: $(VENV)/.test translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.runtime translations

# The virtualenv is rebuilt only when the requirements change.
$(VENV)/.python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Gatebook needs Python 3.11 or newer (set PYTHON=python3.x)")'
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { echo "Python's venv module is missing: on Debian or Ubuntu, apt-get install python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.runtime: requirements.txt $(VENV)/.python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.test: requirements-test.txt requirements.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	@touch $@

# Message catalogues are compiled by the build, never committed as binaries.
translations: $(MO)

%.mo: %.po $(VENV)/.runtime
	$(BIN)/pybabel compile -i $< -o $@

# After changing UI text: extract it and merge it into the catalogues, then translate vi.
messages: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations -w 100 --no-fuzzy-matching

clean:
	rm -rf $(VENV) $(MO)
