# The commands README names. `make book` and `make test` set everything up on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
# Progress bars off for every scripted run (figures still render inline in the kernels).
export RELU_COURSE_PROGRESS := 0
export PYTHONHASHSEED := 0

.PHONY: setup book test unit nbval site browser browser-deps notebooks serve clean latest

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (relu-course)" > /dev/null
	touch $(STAMP)

## book: build the website from freshly executed notebooks (fails on any warning or error)
book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The website is at file://$(CURDIR)/_build/html/index.html (or run: make serve)"

## test: package tests, nbval over every notebook, strict book build, tests of the built site
## (static checks, then in headless Chromium)
test: unit nbval book site browser

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not site and not browser" -q

nbval: $(STAMP)
	$(BIN)/python -m pytest --nbval $(NOTEBOOKS) --nbval-sanitize-with tests/nbval_sanitize.cfg -q --durations=0 -p no:cacheprovider

site: $(STAMP)
	$(BIN)/python -m pytest tests -m "site" -q

## browser: the built site in headless Chromium (Debian's package; installed here when missing)
browser: $(STAMP) browser-deps
	$(BIN)/python -m pytest tests -m "browser" -q
	@echo "Screenshots of every page: $(CURDIR)/_build/screenshots/"

CHROMIUM ?= /usr/bin/chromium
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium > /dev/null; \
	fi

## notebooks: re-execute every notebook in place (commit the result), printing each one's time
notebooks: $(STAMP)
	$(BIN)/python tests/execute_notebooks.py $(NOTEBOOKS)

## latest: the course as a Colab reader gets it: a fresh venv with the newest CPU build of torch
## and the newest numpy, scipy, matplotlib, scikit-learn, tqdm and kernel tools; every notebook
## executed with no output comparison, base seed drawn at random and printed (SEED=n reruns one).
## LATEST_TORCH_INDEX: where CPU builds of torch live (CI: https://download.pytorch.org/whl/cpu;
## empty: pip's own indexes). Writes nothing in the tree but build/ and the package's egg-info.
LATEST_VENV ?= $(or $(TMPDIR),/tmp)/relu-course-latest
LATEST_PYTHON ?= $(PYTHON)
LATEST_TORCH_INDEX ?=
SEED ?=
latest:
	rm -rf $(LATEST_VENV)
	$(LATEST_PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	spec=$$($(LATEST_VENV)/bin/python tests/run_latest.py torch-spec --index-url "$(LATEST_TORCH_INDEX)") && \
		echo "Installing $$spec" && \
		$(LATEST_VENV)/bin/python -m pip install --quiet "$$spec" $(if $(LATEST_TORCH_INDEX),--index-url $(LATEST_TORCH_INDEX))
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade numpy scipy matplotlib scikit-learn tqdm ipykernel nbclient nbformat
	$(LATEST_VENV)/bin/python -m pip install --quiet .
	$(LATEST_VENV)/bin/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	RELU_COURSE_SEED="$(SEED)" $(LATEST_VENV)/bin/python tests/run_latest.py run $(NOTEBOOKS)

serve:
	$(BIN)/python -m http.server --directory _build/html 8000

clean:
	rm -rf _build .pytest_cache .hypothesis
