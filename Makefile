# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates the virtual environment when it is missing.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# torch/torchvision are pinned here to the builds on this machine's disk; the package itself
# only declares ranges in its extras, so users bring their own build.
TORCH_PINS := torch==2.14.1 torchvision==0.29.1

.PHONY: venv demo test docs lint bench-quick clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH_PINS)
	$(PY) -m pip install --quiet -e ".[dev,dask,docs,torch,weights,yolo]"
	touch $@

demo: venv
	$(VENV)/bin/skmoe demo

# The suite includes a smoke run of every benchmark's --quick mode (tests/test_benchmarks_*.py).
# Two test workers on two cores: one compute thread each, or torch and BLAS oversubscribe.
# Whole files to each worker, in collection order: tests/conftest.py puts the slow ones first.
# First the environment a failure elsewhere would be compared with (CPU, threads, versions).
# Then the documentation site: its examples run, and a broken one fails the build.
TEST_ENV := HF_HUB_OFFLINE=1 YOLO_OFFLINE=1 OMP_NUM_THREADS=1

test: venv
	$(TEST_ENV) $(PY) -c "import skmoe; skmoe.show_versions()"
	$(TEST_ENV) $(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder
	$(MAKE) docs

# The documentation site, examples executed, every warning an error; open
# docs/_build/html/index.html. Then a headless Chromium opens three of its pages
# (tests/test_docs_site.py; skipped without Chromium) and keeps their screenshots in
# docs/_build/screenshots/.
docs: venv
	HF_HUB_OFFLINE=1 YOLO_OFFLINE=1 $(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html
	SKMOE_DOCS_SITE=docs/_build/html $(PY) -m pytest -p no:cacheprovider -p no:xdist -q -rs tests/test_docs_site.py

bench-quick: venv
	$(PY) benchmarks/bench_search.py --quick

lint: venv
	$(VENV)/bin/ruff check skmoe tests benchmarks docs

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis docs/_build docs/generated docs/auto_examples
