"""Write requirements-colab.txt: Colab's own versions of the packages the notebook and its tests use.

    python scripts/colab_pins.py [FREEZE] [OUT]

FREEZE is Colab's published `pip freeze` (repository googlecolab/backend-info, file pip-freeze.gpu.txt; default
../shared/colab/pip-freeze.gpu.txt), OUT the requirements file (default requirements-colab.txt). The header of the
output repeats the freeze file's header, so the pins say which Colab runtime (date) they come from. When Colab
publishes a new runtime, copy its pip-freeze.gpu.txt over the old one and run this again: that is the whole update.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEFAULT_FREEZE = ROOT.parent / "shared" / "colab" / "pip-freeze.gpu.txt"
DEFAULT_OUT = ROOT / "requirements-colab.txt"

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
# tooling, at requirements-dev.txt's versions.
NOT_IN_COLAB = {
    "rouge-score": "0.1.2",     # the set-up cell's pin
    "evaluate": "0.4.6",        # the set-up cell installs it unpinned: the newest release (checked with pip index)
    "papermill": "2.7.0",       # requirements-dev.txt
    "gguf": "0.19.0",           # requirements-dev.txt (the offline profile's SmolLM2 GGUF)
}

# Colab ships torch 2.11.0+cu128 for Python 3.13. This machine has only the torch 2.13.0 CPU build for Python 3.11 on
# disk; PyPI's Linux torch wheels for Python 3.13 are CUDA builds that pull ~20 nvidia-* packages (several GB), and
# download.pytorch.org (the CPU builds) cannot be reached. So: Python 3.11 and torch 2.13.0 CPU, the two differences
# from Colab that remain.
TORCH = "torch==2.13.0"


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
    missing = [name for name in FROM_COLAB if normalise(name) not in pins]
    if missing:
        raise KeyError(f"not in Colab's freeze file any more: {missing}; move them to NOT_IN_COLAB or drop them")
    lines = [TORCH + "   # Colab: torch 2.11 for Python 3.13; see scripts/colab_pins.py"]
    lines += [f"{pins[normalise(name)][0]}=={pins[normalise(name)][1]}" for name in FROM_COLAB]
    for name, version in NOT_IN_COLAB.items():
        if normalise(name) in pins:
            raise ValueError(f"{name} is in Colab's runtime now ({pins[normalise(name)][1]}): move it to FROM_COLAB")
        lines.append(f"{name}=={version}   # not in Colab's runtime")
    return lines


def render(freeze_path, header, lines):
    """The text of requirements-colab.txt."""
    top = ["# Colab's runtime versions for `make test-colab` (.venv-colab), written by scripts/colab_pins.py from",
           f"# {freeze_path.name}, whose header reads:"]
    top += ["#   " + line.lstrip("# ") for line in header]
    top += ["# Differences from Colab that remain: Python 3.11 (not 3.13) and torch 2.13.0 CPU (not 2.11.0+cu128), no GPU.",
            "# Do not edit by hand: rerun `python scripts/colab_pins.py` on a newer pip-freeze.gpu.txt."]
    return "\n".join(top + lines) + "\n"


def main(argv):
    freeze_path = pathlib.Path(argv[1]) if len(argv) > 1 else DEFAULT_FREEZE
    out_path = pathlib.Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    header, pins = read_freeze(freeze_path)
    out_path.write_text(render(freeze_path, header, requirement_lines(pins)))
    print(f"wrote {out_path} from {freeze_path}")


if __name__ == "__main__":
    main(sys.argv)
