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

# Triage the sample of the labelled corpus and print the verdicts as a table.
demo: install
	$(BIN)/mikrobot triage fixtures/mail/new_application

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
