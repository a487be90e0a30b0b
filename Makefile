# Two commands for a fresh machine (see README):
#   make run    set up and start the app on SQLite
#   make test   set up and run the whole test suite (again on PostgreSQL when TEST_DATABASE_URL is set)
# and one to look around:
#   make demo   fill the empty registry with some 300 demo complaints handled over 90 days
#               (`make run` says so on an empty registry; it may run beside `make run`)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := wsgi
# Links in e-mails and on receipts point where `make run` serves (both processes see it).
run demo: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)/

.PHONY: run demo test setup system-deps browser-deps translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Message catalogues (app/translations/<lang>/LC_MESSAGES/messages.po) are compiled to .mo
# (git-ignored) whenever the .po is newer; see docs/languages.md.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard app/translations/*/LC_MESSAGES/messages.po))

app/translations/%.mo: app/translations/%.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

setup: $(VENV)/.installed $(CATALOGUES)

# Re-extract the source strings into messages.pot and merge them into every catalogue;
# then translate what is new or fuzzy, and `make setup` compiles.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k lazy_ngettext:1,2 \
	  --add-location=file --sort-output --no-wrap -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-wrap --ignore-obsolete

run: setup
	$(BIN)/flask db upgrade
	@echo
	@echo "  Complaint registry running on SQLite (instance/registry.sqlite3)"
	@echo "  Open  http://$(HOST):$(PORT)/              the public complaint form"
	@echo "        http://$(HOST):$(PORT)/track         track a complaint"
	@echo "        http://$(HOST):$(PORT)/verify        verify a receipt"
	@echo "        http://$(HOST):$(PORT)/staff/login   the staff desk, with these demo logins:"
	@$(BIN)/flask users demo
	@echo "  Deadlines are enforced every minute beside the web server (flask deadlines watch);"
	@echo "  e-mails land in instance/outbox/ as .eml files, their links on $$PUBLIC_BASE_URL."
	@echo "  Stop both with Ctrl-C."
	@echo
	@if [ -n "$$MAIL_IMAP_HOST" ]; then echo "  The mailbox $$MAIL_IMAP_HOST is fetched as mail arrives (flask mail fetch --watch)."; echo; fi
	@$(BIN)/flask deadlines watch --interval 60 & watcher=$$!; fetcher=; \
	  if [ -n "$$MAIL_IMAP_HOST" ]; then $(BIN)/flask mail fetch --watch & fetcher=$$!; fi; \
	  trap 'kill $$watcher $$fetcher 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/flask run --host $(HOST) --port $(PORT)

# Never automatic: the demo's numbers and signed entries would stay in a registry that later
# became the real one. `flask users demo`, in `make run`'s banner, prints this target's name while
# the registry is empty; seed-demo refuses a registry that is not (and production, always).
demo: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask registry seed-demo

# Debian's Chromium drives the browser tests (Playwright cannot download browsers here);
# poppler-utils turns PDFs into pictures for people to look at; dovecot-imapd is the real IMAP
# server the mail-intake tests fetch from (tests/_imap.py).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null || [ ! -x /usr/sbin/dovecot ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils dovecot-imapd >/dev/null; \
	  else \
	    echo "note: install Debian's chromium, poppler-utils and dovecot-imapd to run the browser and IMAP tests (they are skipped otherwise)"; \
	  fi; \
	fi

browser-deps: system-deps

# The suite runs on several processes (pytest-xdist), each with its own database: one per core
# on SQLite, whose work is all in the test processes; one more on PostgreSQL, whose server does
# part of it (measured on a 2-core machine). SQLITE_WORKERS=0 POSTGRES_WORKERS=0 runs it in one.
# A single test runs plainly: .venv/bin/python -m pytest tests/test_x.py::test_y
CORES := $(shell nproc 2>/dev/null || echo 2)
SQLITE_WORKERS ?= $(CORES)
POSTGRES_WORKERS ?= $(shell echo $$(($(CORES) + 1)))
PYTEST := $(BIN)/python -m pytest --dist worksteal -n

test: setup system-deps
	$(BIN)/ruff check .
	env -u TEST_DATABASE_URL $(PYTEST) $(SQLITE_WORKERS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
	  $(PYTEST) $(POSTGRES_WORKERS); \
	elif [ "$$REQUIRE_POSTGRES" = 1 ]; then \
	  echo "REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set" >&2; exit 1; \
	fi
