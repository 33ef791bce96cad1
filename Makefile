# The two commands of the README. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The board's browser tests drive Debian's Chromium (never a downloaded one): `make test`
# installs it when missing, unless ARTFARM_SKIP_BROWSER=1 says to skip those tests.
CHROMIUM ?= /usr/bin/chromium
BROWSER := $(if $(filter 1,$(ARTFARM_SKIP_BROWSER)),,$(CHROMIUM))

.PHONY: setup demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/artfarm models placeholders books/gingerbear_01
	$(BIN)/artfarm validate books/gingerbear_01
	$(BIN)/artfarm demo books/gingerbear_01

test: $(STAMP) $(BROWSER)
	$(BIN)/ruff check .
	$(BIN)/pytest

$(CHROMIUM):
	if [ "$$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
