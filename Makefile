# The commands README names. `make book` and `make test` set everything up on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Evidence first, then the lessons: `make notebooks` regenerates each lesson's evidence boxes from the claims its evidence notebooks have just produced
NOTEBOOKS := $(sort $(wildcard book/evidence/*.ipynb)) $(sort $(wildcard book/*.ipynb))
LINTED := relu_course tests book
# The lock (requirements.txt) is resolved on Python 3.11, the oldest that numpy 2.4, scipy 1.17,
# scikit-learn 1.9 and IPython 9 support; `make setup` refuses an older python3 in one line.
LOCK_PYTHON := 3.11
# Browser for the browser tests only (`make book` never needs one): the first Chromium or Chrome
# on PATH, else Debian's /usr/bin/chromium, which `make browser` installs where apt-get exists.
CHROMIUM ?= $(or $(shell command -v chromium chromium-browser google-chrome google-chrome-stable 2>/dev/null | head -n 1),/usr/bin/chromium)
export RELU_COURSE_CHROMIUM := $(CHROMIUM)
# Where pip finds torch besides PyPI: empty takes PyPI's build for the platform (CUDA on Linux,
# Apple's MPS on macOS); TORCH_INDEX=https://download.pytorch.org/whl/cpu takes the CPU build.
TORCH_INDEX ?=
# Progress bars off for every scripted run (figures still render inline in the kernels).
export RELU_COURSE_PROGRESS := 0
export PYTHONHASHSEED := 0
# The committed outputs are CPU outputs computed on 1 thread, whatever the machine (a GPU, 1 or
# 16 cores, a loaded one): `make notebooks` writes them and nbval compares against them under the
# same pins. One thread because the course's tensors are small (threads gain little) and a busy
# or one-core machine then computes the same sums, no slower than its own timing allows.
PINNED_ENV := RELU_COURSE_DEVICE=cpu OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

.PHONY: setup lock lint book test unit nbval seed1 site browser notebooks robustness lab mindeps serve clean latest platforms browser-deps

## setup: .venv with the locked environment and the package (editable) and the Jupyter kernel.
## Every other target runs it first. The browser tests also need Chromium (see $(CHROMIUM) below).
setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; need = tuple(map(int, "$(LOCK_PYTHON)".split("."))); \
		sys.exit(0 if v >= need else "make setup: the locked environment (requirements.txt) needs Python >= $(LOCK_PYTHON), and $(PYTHON) is %d.%d; install 3.11 and run: make setup PYTHON=python3.11" % v) \
		if v <= need else print("make setup: note: the lock is resolved on Python $(LOCK_PYTHON); on %d.%d pip may pick other wheels than it pins" % v)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$$(grep -E '^pip==' requirements.txt)"
	$(BIN)/python -m pip install --quiet -r requirements.txt $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (relu-course)" > /dev/null
	touch $(STAMP)

$(CHROMIUM):
	@if command -v apt-get > /dev/null; then \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium > /dev/null; \
	else \
		echo "The browser tests need Chromium or Chrome: install one (macOS: brew install --cask chromium;"; \
		echo "Windows: install Chrome) and run: make browser CHROMIUM=/path/to/it"; exit 1; \
	fi

## lock: resolve requirements.in into requirements.txt, every package pinned (pip-compile keeps
## the current pins that still fit; UPGRADE=1 moves everything to the newest versions)
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		$(if $(UPGRADE),--upgrade) --output-file requirements.txt requirements.in
	@if grep -i -E '^(nvidia|triton)' requirements.txt; then \
		echo "make lock: requirements.txt pulls CUDA packages; torch must stay the CPU build"; exit 1; fi

## lint: ruff over the package, the tests and the notebooks (rules and line lengths: pyproject.toml
## and book/ruff.toml). Fix with: .venv/bin/ruff format $(LINTED) && .venv/bin/ruff check --fix $(LINTED)
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

## book: build the website from the committed outputs (no execution; fails on any warning)
book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The website is at file://$(CURDIR)/_build/html/index.html (or run: make serve)"

## test: lint first, then package tests, nbval over every notebook (the one execution compared with
## the committed outputs), every notebook once more with base seed 1 (seed1: no comparison, any
## error fails), the strict book build from the committed outputs nbval has just verified, and
## tests of the built site (static checks, then in headless Chromium). The kernels run on one
## thread each, so two targets at a time (TEST_JOBS) keep two cores busy; site and browser wait
## for book, so any -j is safe. Each target's output is printed when it ends.
## Order: with two slots, nbval runs from the start in one while the other runs unit, book and
## site, then seed1; the browser tests take the first slot nbval frees. The two long executions
## then overlap with everything else, which keeps the whole run under 10 minutes on 2 cores.
TEST_JOBS ?= 2
test: setup browser-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target nbval unit site seed1 browser

## browser-deps: Chromium for the browser tests (see CHROMIUM above)
browser-deps: $(CHROMIUM)

unit: $(STAMP)
	$(BIN)/python -m pytest tests -m "not site and not browser" -q

nbval: $(STAMP)
	$(PINNED_ENV) $(BIN)/python -m pytest --nbval $(NOTEBOOKS) --nbval-sanitize-with tests/nbval_sanitize.cfg -q --durations=0 -p no:cacheprovider

site: book
	$(BIN)/python -m pytest tests -m "site" -q

## browser: the built site in headless Chromium
browser: book browser-deps
	$(BIN)/python -m pytest tests -m "browser" -q
	@echo "Screenshots of every page: $(CURDIR)/_build/screenshots/"

## notebooks: re-execute every notebook in place on the CPU, 1 thread (commit the result),
## dropping per-cell timestamps so a re-run diffs only where an output changed; prints each time
notebooks: $(STAMP)
	$(PINNED_ENV) $(BIN)/python tests/execute_notebooks.py $(NOTEBOOKS)
	$(BIN)/python tests/sync_evidence.py

## robustness: every notebook executed with each base seed in SEEDS (no output comparison, nothing
## written); any error, a claims check included, fails. Prints pass/fail and time per notebook and seed.
## JOBS: kernels at once (one thread each; JOBS=2 on two cores halves the time).
SEEDS ?= 1 2 3
JOBS ?= 1
robustness: $(STAMP)
	$(PINNED_ENV) $(BIN)/python tests/robustness.py --seeds $(SEEDS) --jobs $(JOBS) $(NOTEBOOKS)

## seed1: every notebook executed once more with base seed 1, as a reader's other draw would run it
## (no output comparison, nothing written; part of `make test`)
seed1: $(STAMP)
	$(PINNED_ENV) $(BIN)/python tests/robustness.py --seeds 1 $(NOTEBOOKS)

## lab: JupyterLab on book/ with the course's kernel
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=book

## mindeps: the oldest versions pyproject.toml declares (each `>=` floor installed exactly, plus the
## kernel and test tools) in a temporary venv; runs the unit tests and executes every notebook
## without comparing or writing outputs. Not part of `make test`. MINDEPS_PYTHON: the interpreter
## (the package's requires-python floor is 3.10). Downloads torch's PyPI build (CUDA libraries
## included, about 3 GB) on first use: the local CPU wheel exists only for torch 2.13.0.
MINDEPS_PYTHON ?= $(PYTHON)
MINDEPS_VENV ?= $(or $(TMPDIR),/tmp)/relu-course-mindeps
mindeps:
	rm -rf $(MINDEPS_VENV)
	$(MINDEPS_PYTHON) -m venv $(MINDEPS_VENV)
	floors=$$($(MINDEPS_VENV)/bin/python tests/floors.py) && echo "Floors: $$floors" && \
		$(MINDEPS_VENV)/bin/python -m pip install --quiet $$floors ipykernel nbclient nbformat pytest hypothesis pyyaml
	$(MINDEPS_VENV)/bin/python -m pip install --quiet --no-deps .
	$(MINDEPS_VENV)/bin/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	$(MINDEPS_VENV)/bin/python -m pip list 2>/dev/null | grep -i -E '^(numpy|torch|matplotlib|scikit-learn|scipy|tqdm|ipython|ipykernel) '
	$(MINDEPS_VENV)/bin/python -m pytest tests -q -p no:cacheprovider -m "not site and not browser" \
		--ignore=tests/test_site.py --ignore=tests/test_browser.py --ignore=tests/test_publishing.py
	$(PINNED_ENV) $(MINDEPS_VENV)/bin/python tests/execute_notebooks.py --no-write $(NOTEBOOKS)

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

## platforms: resolve the lock for Linux x86-64, macOS arm64 (14+) and Windows x86-64 from the
## registry's wheels (uv's resolver, which evaluates markers for the target; nothing is installed);
## prints each platform's torch and what it adds beyond the lock, and fails if a pin has no wheel
## there. Installs uv into the venv. Not part of `make test` (it needs the registry).
PLATFORMS ?= linux mac windows
platforms: $(STAMP)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/python tests/resolve_platforms.py $(PLATFORMS)

serve: book
	$(BIN)/python -m http.server --directory _build/html 8000

clean:
	rm -rf _build .pytest_cache .hypothesis
