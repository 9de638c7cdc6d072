# neurosim: two commands for a new user.
#   make demo   installs everything into .venv (compiling the kernels once) and runs the built-in
#               default design
#   make test   installs everything into .venv and runs the test suite (notebooks included)
#   make docs   builds the documentation site into site/
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OUT    ?= out
STAMP  := $(VENV)/.installed

.PHONY: demo test docs install system-deps clean

# The install ends with `python -m neurosim.warmup`: it compiles the Numba kernels of a run once,
# into Numba's cache (a 0.5 s run of the default design with another seed and no cortex or template
# cache, so only compiled code is kept: neurosim/warmup.py). Without it the first `neurosim run`
# compiles them (a minute or more on 2 cores); a `pip install` user gets that on the first run.
$(STAMP): pyproject.toml
	bash .ci/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,notebooks,docs]"
	$(PY) -m neurosim.warmup
	touch $(STAMP)

install: $(STAMP)

system-deps:
	bash .ci/system-deps.sh

demo: $(STAMP)
	mkdir -p $(OUT)
	$(VENV)/bin/neurosim run -o $(OUT)/demo.h5 --render $(OUT)/demo.png

test: $(STAMP)
	$(PY) -m pytest -q -ra --nbmake tests notebooks

# the tutorial pages show the notebooks' outputs and figures: execute them into docs/tutorials/
# (git-ignored) first; mkdocs-jupyter then renders the stored outputs (execute: false)
docs: $(STAMP)
	mkdir -p docs/tutorials
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 \
		--output-dir docs/tutorials notebooks/*.ipynb
	$(PY) docs/gallery.py
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --quiet

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache site
