# neurosim: two commands for a new user.
#   make demo   installs everything into .venv and runs the built-in default design
#   make test   installs everything into .venv and runs the test suite (notebooks included)
#   make docs   builds the documentation site into site/
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
OUT    ?= out
STAMP  := $(VENV)/.installed

.PHONY: demo test docs install system-deps clean

$(STAMP): pyproject.toml
	bash .ci/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,notebooks,docs]"
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
