"""Write requirements/colab.txt: Colab's own versions of the packages the notebook and its tests use.

    python scripts/colab_pins.py [FREEZE] [OUT]

FREEZE is Colab's published `pip freeze` (repository googlecolab/backend-info, file pip-freeze.gpu.txt), by default the
copy committed here, requirements/colab-pip-freeze.gpu.txt; OUT the requirements file (default requirements/colab.txt).
The header of the output repeats the freeze file's header, so the pins say which Colab runtime (date) they come from.
When Colab publishes a new runtime, copy its pip-freeze.gpu.txt over requirements/colab-pip-freeze.gpu.txt (with a
header naming the commit and its date) and run this again: that is the whole update. `make test-colab` builds its
virtualenv from the Python minor release that the freeze file's header names (Python 3.13 now): see the Makefile.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_FREEZE = ROOT / "requirements" / "colab-pip-freeze.gpu.txt"
DEFAULT_OUT = ROOT / "requirements" / "colab.txt"

# Taken at Colab's version: what the notebook and its tests import, and the libraries under them whose version changes
# what those do (datasets' and evaluate's I/O stack, rouge-score's and nltk's dependencies, the Jupyter kernel stack
# papermill drives). Colab ships every one of them.
FROM_COLAB = [
    "transformers", "datasets", "accelerate", "huggingface_hub", "tokenizers", "safetensors", "hf-xet",
    "numpy", "pyarrow", "pandas", "matplotlib", "tqdm", "packaging", "fsspec", "filelock", "PyYAML", "regex",
    "requests", "httpx", "Jinja2", "psutil", "dill", "multiprocess", "xxhash", "aiohttp",
    "absl-py", "nltk", "six", "click", "joblib",                       # rouge-score and nltk
    "pytest", "nbclient", "nbformat", "nbconvert", "ipykernel", "ipython", "jupyter_client", "pyzmq", "tornado", "traitlets",
]

# Not in Colab's runtime. The first two are what the notebook's set-up cell installs there: rouge-score at the
# version it pins, evaluate unpinned (so the newest release on PyPI when these pins were written). The rest is test
# tooling, at requirements/dev.txt's versions.
NOT_IN_COLAB = {
    "rouge-score": "0.1.2",     # the set-up cell's pin
    "evaluate": "0.4.6",        # the set-up cell installs it unpinned: the newest release (checked with pip index)
    "papermill": "2.7.0",       # requirements/dev.txt
    "gguf": "0.19.0",           # requirements/dev.txt (the offline profile's SmolLM2 GGUF)
}

# torch at Colab's version without its local build suffix: Colab's is 2.11.0+cu128 from PyTorch's own index (not
# reachable here); `torch==2.11.0` takes PyPI's build of the same release (CUDA 13.0, about 3 GB with its nvidia-*
# packages), which runs on a CPU. The build, and the GPU, are the differences from Colab that remain.
TORCH = "torch"


def read_freeze(path):
    """(header lines, {normalised name: (name as written, version)}) of a pip freeze file."""
    header, pins = [], {}
    for line in pathlib.Path(path).read_text().splitlines():
        if line.startswith("#"):
            header.append(line)
        elif "==" in line:
            name, version = line.split("==", 1)
            pins[normalise(name)] = (name.strip(), version.strip())
    return header, pins


def normalise(name):
    """PEP 503 name: lower case, runs of -_. as one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(pins):
    """The pinned lines; raises KeyError naming a package of FROM_COLAB that the freeze file lacks."""
    missing = [name for name in [TORCH, *FROM_COLAB] if normalise(name) not in pins]
    if missing:
        raise KeyError(f"not in Colab's freeze file any more: {missing}; move them to NOT_IN_COLAB or drop them")
    torch_version, _, build = pins[normalise(TORCH)][1].partition("+")
    lines = [f"torch=={torch_version}   # Colab: {torch_version}+{build}, from PyTorch's index; here PyPI's build"]
    lines += [f"{pins[normalise(name)][0]}=={pins[normalise(name)][1]}" for name in FROM_COLAB]
    for name, version in NOT_IN_COLAB.items():
        if normalise(name) in pins:
            raise ValueError(f"{name} is in Colab's runtime now ({pins[normalise(name)][1]}): move it to FROM_COLAB")
        lines.append(f"{name}=={version}   # not in Colab's runtime")
    return lines


def python_release(header):
    """The Python release ("3.13.15") that the freeze file's header names; ValueError when it names none."""
    for line in header:
        match = re.search(r"\bPython (\d+\.\d+\.\d+)", line)
        if match:
            return match.group(1)
    raise ValueError("the freeze file's header names no Python release (a line such as '#   Python 3.13.15')")


def render(freeze_path, header, pins):
    """The text of requirements/colab.txt."""
    torch_colab = pins[normalise(TORCH)][1]
    python = python_release(header)
    top = ["# Colab's runtime versions for `make test-colab` (.venv-colab), written by scripts/colab_pins.py from",
           f"# {freeze_path.name}, whose header reads:"]
    top += ["#   " + line.lstrip("# ") for line in header]
    top += [f"# make test-colab installs them on Python {python.rsplit('.', 1)[0]} (Colab: {python}). Differences from "
            f"Colab that remain: no GPU, and",
            f"# torch's build: PyPI's {torch_colab.partition('+')[0]} (a CUDA build, run on the CPU) for Colab's "
            f"{torch_colab} from PyTorch's index.",
            "# Do not edit by hand: rerun `python scripts/colab_pins.py` on a newer pip-freeze.gpu.txt."]
    return "\n".join(top + requirement_lines(pins)) + "\n"


def main(argv):
    freeze_path = pathlib.Path(argv[1]) if len(argv) > 1 else DEFAULT_FREEZE
    out_path = pathlib.Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    header, pins = read_freeze(freeze_path)
    out_path.write_text(render(freeze_path, header, pins))
    print(f"wrote {out_path} from {freeze_path}")


if __name__ == "__main__":
    main(sys.argv)
