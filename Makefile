# The doors a person uses. `make html` and `make test` set up everything they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.polybook-installed
POLYBOOK := $(BIN)/polybook
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: setup envs env-% browser axe latex gettext notebooks html pdf eval lib serve test lint typecheck bench clean

REFERENCE := $(VENV)/reference

$(STAMP): pyproject.toml
	@echo "polybook: setting up $(VENV) (polybook, Sphinx, Jupyter; about 30 s the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --quiet -e '.[test]'
	@# d2l-en's published library, the reference the tests compare our extraction with
	$(BIN)/python -m pip download --quiet --quiet --no-deps --dest $(REFERENCE) d2l==1.0.3
	@touch $(STAMP)

setup: $(STAMP)

# Debian's Chromium for the browser tests (never a browser download of a test tool's own)
browser:
	@command -v chromium >/dev/null || { \
	  echo "polybook: installing Debian's chromium for the browser tests"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# axe-core (npm) for the browser tests' accessibility checks; npm from Debian when missing
AXE := node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): package.json
	@command -v npm >/dev/null || { \
	  echo "polybook: installing Debian's npm for the accessibility checks"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null; }
	npm install --no-audit --no-fund --silent
	@touch $(AXE)

# Debian's TeX Live with CJK fonts for the PDFs, and poppler-utils to check them in the tests
LATEX_PACKAGES := texlive-xetex texlive-lang-cjk texlive-lang-chinese texlive-lang-japanese \
	texlive-lang-korean fonts-noto-cjk latexmk xindy librsvg2-bin poppler-utils
latex:
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null && command -v xindy >/dev/null \
	  && command -v rsvg-convert >/dev/null \
	  && command -v pdftotext >/dev/null && fc-list | grep -q "Noto Serif CJK" || { \
	  echo "polybook: installing TeX Live and CJK fonts from Debian (a few minutes, once)"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(LATEX_PACKAGES) >/dev/null; }

# Debian's gettext: the tests check that `translate export` writes PO files msgfmt accepts
gettext:
	@command -v msgfmt >/dev/null || { \
	  echo "polybook: installing Debian's gettext for the PO tests"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gettext >/dev/null; }

# One environment per framework, in a per-user cache shared by every clone (first time: minutes)
envs: setup
	$(POLYBOOK) env

env-%: setup
	$(POLYBOOK) env --framework $*

notebooks: setup
	$(POLYBOOK) build notebooks --framework all -j $(JOBS)

html: envs
	$(POLYBOOK) build html --framework all -j $(JOBS)

pdf: envs latex
	$(POLYBOOK) build pdf --lang all -j $(JOBS)

eval: envs
	$(POLYBOOK) eval -j $(JOBS)

lib: setup
	$(POLYBOOK) lib

serve: envs
	$(POLYBOOK) serve

lint: setup
	$(BIN)/ruff check tools tests benchmarks
	$(BIN)/ruff format --check tools tests benchmarks

typecheck: setup
	$(BIN)/mypy

test: lint typecheck envs browser axe latex gettext
	$(POLYBOOK) lib --check
	$(POLYBOOK) translate check
	@# every notebook of the book, in every framework (cached: only what changed runs)
	$(POLYBOOK) eval -j $(JOBS)
	$(BIN)/python -m pytest

bench: envs latex
	$(BIN)/python benchmarks/bench_notebooks.py
	$(BIN)/python benchmarks/bench_library.py
	$(BIN)/python benchmarks/bench_eval.py
	$(BIN)/python benchmarks/bench_dask.py
	$(BIN)/python benchmarks/bench_site.py --pdf
	$(BIN)/python benchmarks/bench_serve.py

clean:
	rm -rf _build
