# make book: build the book on the official snapshot (data/official/) into _build/html/index.html
# make test: run the tests (make test-slow adds the long checks; make lint the style checks)
# make snapshot: remake data/official/ from the published files in FROM (default ../shared/real-data)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# uv at the version the dev lock pins
UV_VERSION := $(shell sed -n "s/^uv==\([^ ]*\).*/\1/p" requirements-dev.txt)
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
LINTED := src tests benchmarks book

# The folder of published files that `make snapshot` reads.
FROM ?= ../shared/real-data

.PHONY: book test test-slow bench lint lock clean snapshot

# Install a locked requirements file into the venv: with uv when it is on PATH, already in the venv or
# installable from the package index (seconds), else with pip (minutes). Both check every hash, and both
# compile the bytecode at install, as pip does by default: every kernel and worker imports pandas, scipy
# and seaborn, and compiling them again in each process (PYTHONDONTWRITEBYTECODE) doubles a chapter's time.
define install
	@uv=$$(command -v $(BIN)/uv || command -v uv || { $(PIP) uv==$(UV_VERSION) >/dev/null 2>&1 && echo $(BIN)/uv; }); \
	if [ -n "$$uv" ]; then \
	  echo "installing $(1) with $$uv"; \
	  $$uv pip install --quiet --python $(BIN)/python --require-hashes --compile-bytecode -r $(1) && \
	  $$uv pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .; \
	else \
	  echo "uv is not available: installing $(1) with pip"; \
	  $(PIP) --require-hashes -r $(1) && $(PIP) --no-deps --no-build-isolation -e .; \
	fi
endef

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(call install,requirements.txt)
	@touch $(STAMP)

$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(call install,requirements-dev.txt)
	@touch $(DEV_STAMP)

# axe-core, the accessibility engine the site check runs in each page, at the version package-lock.json pins.
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: npm not found: the site check needs axe-core from the npm registry (install Node.js with npm)"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --silent
	@touch $(AXE)

book: $(STAMP)
	$(BIN)/cscbook build

# Remake the committed official snapshot from a folder of published files, whole or not at all.
snapshot: $(STAMP)
	$(BIN)/cscbook snapshot "$(FROM)" --out data/official

test: $(DEV_STAMP) $(AXE)
	$(BIN)/python -m pytest -q -m "not slow" -n 2 --dist loadgroup

test-slow: $(DEV_STAMP) $(AXE)
	$(BIN)/python -m pytest -q -m slow -n 2 --dist loadgroup

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_profiles.py
	$(BIN)/python benchmarks/bench_site.py

# ruff (lint and format) on the package, tests, benchmarks and notebooks; templates carry no outputs.
lint: $(DEV_STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/nbstripout --keep-id --verify $$(git ls-files 'book/*.ipynb')

# Regenerate both locks from pyproject.toml. uv keeps the versions already in the output file; pass
# UPGRADE=--upgrade to move them. The dev lock is constrained to the runtime lock, so both agree.
lock: $(DEV_STAMP)
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11.5 $(UPGRADE) \
	  --custom-compile-command "make lock" -o requirements.txt -q
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11.5 $(UPGRADE) \
	  -c requirements.txt --custom-compile-command "make lock" -o requirements-dev.txt -q

clean:
	rm -rf _build
