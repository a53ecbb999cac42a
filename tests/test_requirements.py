"""The pinned environments of make test-colab, test and test-compat (requirements/).

What they prove:
- requirements/colab.txt is byte for byte what scripts/colab_pins.py writes from the committed copy of Colab's
  pip freeze (requirements/colab-pip-freeze.gpu.txt), so nobody edited it by hand and it names the runtime it is from;
- every pin taken from Colab is Colab's version, torch's without its local build suffix (+cu128);
- the Makefile builds .venv-colab from the Python minor release that the freeze file's header names;
- the test tools that Colab lacks are pinned as in requirements/dev.txt;
- the script refuses a freeze file that lacks a package it pins, or whose header names no Python;
- inside .venv-colab: the interpreter and torch are Colab's releases (skipped in the other virtualenvs).
"""
import importlib.metadata
import pathlib
import re
import sys

import pytest

from notebook import ROOT, load_script

REQUIREMENTS = ROOT / "requirements"
IN_COLAB_VIRTUALENV = pathlib.Path(sys.prefix).name == ".venv-colab"


def _pins(path):
    """{normalised name: version} of the `name==version` lines of a requirements or freeze file."""
    script = load_script("colab_pins")
    return {script.normalise(m.group(1)): m.group(2) for m in
            (re.match(r"([A-Za-z0-9_.-]+)==([^\s#]+)", line) for line in path.read_text().splitlines()) if m}


def test_colab_requirements_are_what_the_script_writes_from_the_committed_freeze():
    script = load_script("colab_pins")
    assert script.DEFAULT_FREEZE == REQUIREMENTS / "colab-pip-freeze.gpu.txt"
    assert script.DEFAULT_OUT == REQUIREMENTS / "colab.txt"
    header, pins = script.read_freeze(script.DEFAULT_FREEZE)
    assert any("googlecolab/backend-info" in line for line in header)     # the freeze copy names its source
    assert script.DEFAULT_OUT.read_text() == script.render(script.DEFAULT_FREEZE, header, pins)


def test_colab_pins_are_colabs_versions_and_torch_without_its_build_suffix():
    script = load_script("colab_pins")
    freeze, colab = _pins(script.DEFAULT_FREEZE), _pins(REQUIREMENTS / "colab.txt")
    assert "+" in freeze["torch"]                                         # 2.11.0+cu128: a build of PyTorch's index
    assert colab["torch"] == freeze["torch"].split("+")[0]
    for name in script.FROM_COLAB:
        assert colab[script.normalise(name)] == freeze[script.normalise(name)], name


def test_makefile_builds_the_colab_virtualenv_on_colabs_python():
    script = load_script("colab_pins")
    header, _ = script.read_freeze(script.DEFAULT_FREEZE)
    makefile = (ROOT / "Makefile").read_text()
    colab_python = re.search(r"^COLAB_PYTHON := (\S+)", makefile, re.M).group(1)
    assert colab_python == script.python_release(header).rsplit(".", 1)[0]          # 3.13 (Colab: 3.13.15)
    assert "$(PYTHON_COLAB) -m venv --clear .venv-colab" in makefile


def test_colab_test_tools_are_pinned_as_in_dev_requirements():
    script = load_script("colab_pins")
    dev = _pins(REQUIREMENTS / "dev.txt")
    for name in ("papermill", "gguf", "rouge-score"):
        assert script.NOT_IN_COLAB[name] == dev[script.normalise(name)], name


def test_colab_pins_refuse_a_freeze_without_a_pinned_package_or_a_python(tmp_path):
    script = load_script("colab_pins")
    header, pins = script.read_freeze(script.DEFAULT_FREEZE)
    with pytest.raises(KeyError, match="torch"):
        script.requirement_lines({k: v for k, v in pins.items() if k != "torch"})
    with pytest.raises(ValueError, match="names no Python release"):
        script.render(script.DEFAULT_FREEZE, [line for line in header if "Python 3" not in line], pins)


@pytest.mark.skipif(not IN_COLAB_VIRTUALENV, reason="checks .venv-colab only (make test-colab)")
def test_colab_virtualenv_runs_colabs_python_and_torch():
    script = load_script("colab_pins")
    header, pins = script.read_freeze(script.DEFAULT_FREEZE)
    assert "%d.%d" % sys.version_info[:2] == script.python_release(header).rsplit(".", 1)[0]
    assert importlib.metadata.version("torch").split("+")[0] == pins["torch"][1].split("+")[0]
