# mikrobot — every set-up step lives here, so a fresh machine needs only `make demo` / `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Debian packages: Tesseract OCR (with Norwegian) for scanned PDFs; Dovecot, the real IMAP
# server the integration tests start on a loopback port.
APT_PACKAGES := tesseract-ocr tesseract-ocr-nor dovecot-imapd

.PHONY: install system-packages lint typecheck test demo model fixtures evaluate clean

# Installs only what is missing; `apt-get update` runs once, before the first install.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: system-packages $(STAMP)

lint: install
	$(BIN)/ruff check bot parsers tests fixtures
	$(BIN)/ruff format --check bot parsers tests fixtures

typecheck: install
	$(BIN)/mypy --strict bot parsers

test: lint typecheck
	$(BIN)/pytest

# The main job on the embedded default: a Maildir inbox seeded from the fixtures, SQLite,
# replies written as .eml files. Everything lives under var/demo/ and starts afresh.
DEMO := var/demo
DEMO_ENV := MIKROBOT_SOURCE=$(DEMO)/inbox MIKROBOT_DATABASE=sqlite:///$(DEMO)/mikrobot.db \
	MIKROBOT_SMTP=$(DEMO)/outbox MIKROBOT_RAW_MAIL_DIR=$(DEMO)/mail

demo: install
	rm -rf $(DEMO)
	$(PY) fixtures/seed_maildir.py $(DEMO)/inbox --per-category 6
	$(DEMO_ENV) $(BIN)/mikrobot run --once
	$(DEMO_ENV) $(BIN)/mikrobot tickets
	@echo "replies written to $(DEMO)/outbox/ ($$(ls $(DEMO)/outbox | wc -l) files);" \
	  "triaged mail moved to $(DEMO)/inbox/.Triaged.<category>/"

# Rebuild the labelled corpus (deterministic: the same bytes every time).
fixtures: install
	$(PY) fixtures/generate.py

# Retrain the committed text classifier on the train split.
model: install
	$(BIN)/mikrobot train

# The figures in the README: accuracy on the test split the model never saw.
evaluate: install
	$(BIN)/mikrobot evaluate --split test

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
