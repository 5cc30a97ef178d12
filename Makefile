# mikrobot — every set-up step lives here, so a fresh machine needs only `make demo` / `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Debian packages: Tesseract OCR (with Norwegian) for scanned PDFs; Dovecot, the real IMAP
# server the integration tests start on a loopback port; Chromium, the browser the web
# tests drive with Playwright (it never downloads a browser of its own).
APT_PACKAGES := tesseract-ocr tesseract-ocr-nor dovecot-imapd chromium

.PHONY: install system-packages lint typecheck test demo model fixtures evaluate clean fuzz bench

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
	$(BIN)/ruff check bot parsers tests fixtures bench fuzz
	$(BIN)/ruff format --check bot parsers tests fixtures bench fuzz

typecheck: install
	$(BIN)/mypy --strict bot parsers

# Two test processes (this machine has two cores). Each module runs whole in one of them
# (`--dist loadscope`), so a module's costly fixture (a corpus triaged once) is built once.
# The fault-injection tests (SIGKILL, servers stopped mid-run) run afterwards on their own:
# their timing must not compete with a corpus being OCR-ed next door.
# `make test TEST_WORKERS=0` runs everything in one process.
TEST_WORKERS ?= 2
test: lint typecheck
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope --ignore=tests/e2e/test_faults.py
	$(BIN)/pytest tests/e2e/test_faults.py

# The main job on the embedded default: a Maildir inbox seeded from the fixtures, SQLite,
# replies written as .eml files. Everything lives under var/demo/ and starts afresh.
DEMO := var/demo
# The seeded mail counts as new, not as a backlog from before the first start (reply cut-off).
DEMO_ENV := MIKROBOT_SOURCE=$(DEMO)/inbox MIKROBOT_DATABASE=sqlite:///$(DEMO)/mikrobot.db \
	MIKROBOT_SMTP=$(DEMO)/outbox MIKROBOT_RAW_MAIL_DIR=$(DEMO)/mail \
	MIKROBOT_REPLY_CUTOFF=2000-01-01T00:00:00Z

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

# Fuzz the mail parser with atheris (libFuzzer) for FUZZ_SECONDS; crashes land in var/fuzz/.
FUZZ_SECONDS ?= 60
fuzz: install
	$(PY) -m pip install --quiet -e '.[fuzz]'
	mkdir -p var/fuzz/corpus
	$(PY) fuzz/fuzz_mail.py var/fuzz/corpus fixtures/mail -max_total_time=$(FUZZ_SECONDS) \
	  -max_len=65536 -rss_limit_mb=2048 -timeout=10 -artifact_prefix=var/fuzz/

# Benchmarks (issue #6), not tests: never part of `make test`. Runs against a private Dovecot,
# aiosmtpd and the PostgreSQL at 127.0.0.1:5432, and writes BENCHMARKS.md and docs/bench-*.png
# (about 25 min on 2 cores). BENCH_QUICK=1 is a smoke run of a few minutes, reported apart
# in var/bench/quick/.
bench: install
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
