# theorybook: the only entry points a newcomer needs.
#   make book      build the executed HTML book (creates .venv on first use); the chapters
#                  execute JOBS at a time (default: the number of cores)
#   make test      lint and types, unit tests, then every chapter notebook at smoke scale
#   make test-gpu  every chapter (or CHAPTERS="06 07") at paper scale on a CUDA GPU, with
#                  a record per chapter in results/<chapter>/sweeps/paper/
# Scale of `make book`: THEORYBOOK_SCALE=smoke|book|paper (default book), e.g.
#   make book THEORYBOOK_SCALE=smoke

SHELL        := /bin/bash
PYTHON       ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV         ?= .venv
BIN          := $(VENV)/bin
PIP          := $(BIN)/python -m pip
CONSTRAINTS  := constraints.txt
# Processes for the unit tests, the smoke notebooks and the book's chapter execution: the cores.
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)
# A whole number >= 1: xargs -P 0 would start every chapter at once, and pytest -n 0 none in parallel.
ifeq ($(shell echo '$(JOBS)' | grep -Ex '[1-9][0-9]*'),)
$(error JOBS must be a whole number >= 1, got '$(JOBS)')
endif
THEORYBOOK_SCALE ?= book
# glibc malloc keeps freed memory for the next training step instead of faulting it in again
# (theorybook.runtime.MALLOC_ENV, whose values these must equal): every process the targets
# start, test workers and chapter kernels included, inherits them.
export MALLOC_MMAP_THRESHOLD_ := 33554432
export MALLOC_TRIM_THRESHOLD_ := 1073741824
NOTEBOOKS    := $(wildcard chapters/*.ipynb)
# Any Sphinx warning fails the book at the book and paper scales. The smoke preview only prints
# them: its presets skip experiments (ch. 7's neural SDE), so some figure references are unresolved.
WARNINGS_FAIL := $(if $(filter smoke,$(THEORYBOOK_SCALE)),,-W)
# A per-notebook wall-clock limit for the smoke run of `make test` (seconds).
NOTEBOOK_TIMEOUT ?= 600

# Chapters for test-gpu, as number prefixes ("06 07"); empty means all.
CHAPTERS     ?=

.PHONY: help install install-test install-book test test-lint test-unit test-notebooks test-gpu \
        book check-book clean distclean

help:
	@echo "make book   executed HTML book in _build/html (THEORYBOOK_SCALE=$(THEORYBOOK_SCALE))"
	@echo "make test   ruff + mypy, unit tests, chapter notebooks at smoke scale"
	@echo "make test-gpu [CHAPTERS='06 07']   chapters at paper scale on a CUDA GPU"
	@echo "make clean  remove _build and caches (keeps .venv); 'make distclean' removes .venv too"

# --- environment -----------------------------------------------------------------------------
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "theorybook needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c $(CONSTRAINTS) --upgrade pip

# The exact tested versions come from constraints.txt (torch 2.13.0: never an unpinned CUDA build).
$(VENV)/.installed-test: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install --progress-bar off -c $(CONSTRAINTS) -e '.[test]'
	@touch $@

$(VENV)/.installed-book: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install --progress-bar off -c $(CONSTRAINTS) -e '.[book]'
	@touch $@

install-test: $(VENV)/.installed-test
install-book: $(VENV)/.installed-book
install: install-test install-book

# --- tests -----------------------------------------------------------------------------------
test: test-lint test-unit test-notebooks

# ruff (lint and format, notebooks included) and mypy on src/: any finding fails the run.
test-lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Includes the paper-preset tests (marker paper_preset): every chapter's paper configuration is
# built at full size and takes one optimisation step on the CPU.
# Tests run $(JOBS) processes at a time, so each gets one torch thread (the book's thread policy
# reads THEORYBOOK_THREADS); on a loaded 2-core machine two threads per process run ~2-10x slower.
# Tests that check a chapter's smoke run share it within a process (tests/conftest.py): each
# process that needs a chapter's run computes it once. (--dist loadgroup would send them to one
# process, but with the pinned pytest 9.2 and xdist 3.8 it does not group: pytest-xdist #1386.)
test-unit: $(VENV)/.installed-test
	THEORYBOOK_THREADS=1 $(BIN)/python -m pytest -n $(JOBS) tests

test-notebooks: $(VENV)/.installed-test
ifneq ($(strip $(NOTEBOOKS)),)
	THEORYBOOK_SCALE=smoke THEORYBOOK_THREADS=1 $(BIN)/python -m pytest --nbmake -n $(JOBS) \
	    --timeout $(NOTEBOOK_TIMEOUT) -p no:cacheprovider $(NOTEBOOKS)
else
	@echo "no chapter notebooks in chapters/ yet: nothing to execute"
endif

# The one command a GPU machine runs: refuses to start without CUDA, runs each chapter at paper
# scale from a clean kernel and writes results/<chapter>/paper-<time>.json (environment, wall time,
# claims). JAX needs its CUDA build for the JAX chapters: pip install -U "jax[cuda12]".
# The paper-chapters sweep (theorybook.sweep_studies): one cell per chapter, each notebook run from
# a clean kernel at paper scale, one record per chapter in results/<chapter>/sweeps/paper/. A
# rerun runs every chapter again (--rerun); RESUME=1 runs only the chapters not recorded yet.
test-gpu: $(VENV)/.installed-test
	$(BIN)/python scripts/sweep.py run paper-chapters --require-cuda $(if $(RESUME),,--rerun) \
	    $(if $(strip $(CHAPTERS)),--chapters $(CHAPTERS),)

# --- book ------------------------------------------------------------------------------------
# jupyter-cache keys on the code cells only. The execution key below also covers the scale, the
# package sources and the pinned versions: when it changes, cached outputs are dropped and every
# page is rebuilt, so the book never shows outputs of another scale or of older code.
EXECUTION_KEY = $$( (echo "$(THEORYBOOK_SCALE)"; cat $(CONSTRAINTS) pyproject.toml; \
    find src/theorybook -name '*.py' -print0 | LC_ALL=C sort -z | xargs -0 cat) | sha256sum | cut -c1-16)

# The chapters execute first, JOBS at a time (xargs -P, in BOOK_ORDER below), each into
# the execution cache (scripts/execute_chapter.py: myst-nb's own execution); Jupyter Book then finds
# every chapter there and only renders. Every process gets the same thread settings whatever JOBS
# is: torch through THEORYBOOK_THREADS, BLAS through the variables below, and the XLA flags. With
# JAX 0.10 the XLA flags do not stop XLA's CPU client from running on every core the process may
# use, so each job pins itself (and its kernel) to one core, chosen by its xargs slot
# (THEORYBOOK_JOB_SLOT): two jobs, two cores; JOBS=1 pins its one job too, so a sequential build
# computes the same numbers as a parallel one.
BOOK_ENV = THEORYBOOK_SCALE=$(THEORYBOOK_SCALE) THEORYBOOK_PROGRESS=off THEORYBOOK_THREADS=1 \
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 THEORYBOOK_JOBS=$(JOBS) \
    XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
# Longest first (their cold-build times on a 2-core machine: 3, 7, 2 take 4-5 minutes, the others
# about one), so the two cores finish together and the two chapters that train convolutional
# networks (2 and 3) overlap as little as possible; a chapter not listed runs last.
BOOK_LONGEST_FIRST := 03 07 02 01 05 04 06
BOOK_ORDER = $(foreach n,$(BOOK_LONGEST_FIRST),$(filter chapters/$(n)_%,$(NOTEBOOKS))) \
    $(filter-out $(foreach n,$(BOOK_LONGEST_FIRST),chapters/$(n)_%),$(NOTEBOOKS))

book: $(VENV)/.installed-book $(VENV)/.installed-test
	@$(BIN)/python -c 'from theorybook.scales import check_scale; check_scale("$(THEORYBOOK_SCALE)")'
	@key=$(EXECUTION_KEY); all=""; \
	if [ "$$(cat _build/.execution-key 2>/dev/null)" != "$$key" ]; then \
	    echo "execution key changed ($$key): re-executing every chapter"; \
	    rm -rf _build/.jupyter_cache _build/jupyter_execute _build/.doctrees; all="--all"; \
	fi; \
	mkdir -p _build; \
	echo "executing the chapters, $(JOBS) at a time"; \
	$(BIN)/python scripts/execute_chapter.py --prepare || exit 1; \
	printf '%s\n' $(BOOK_ORDER) | $(BOOK_ENV) xargs -P $(JOBS) -n 1 \
	    --process-slot-var=THEORYBOOK_JOB_SLOT $(BIN)/python scripts/execute_chapter.py || exit 1; \
	$(BOOK_ENV) $(BIN)/jupyter-book build . $(WARNINGS_FAIL) --keep-going $$all \
	    && echo "$$key" > _build/.execution-key
	@$(MAKE) --no-print-directory check-book
	@echo
	@echo "The book ($(THEORYBOOK_SCALE) scale) is at $(CURDIR)/_build/html/index.html"

# What a reader sees, checked on the built pages: numbered captioned figures with alt text,
# launch buttons, no progress-bar residue, and the Scorecard's claims files.
check-book: $(VENV)/.installed-test
	THEORYBOOK_BUILT_BOOK=$(CURDIR)/_build/html $(BIN)/python -m pytest -q -p no:cacheprovider \
	    tests/test_built_book.py

clean:
	rm -rf _build .pytest_cache results/figures
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) src/*.egg-info
