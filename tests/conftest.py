import os
import pathlib
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from notebook import NOTEBOOK, ROOT, load_definitions  # noqa: E402


@pytest.fixture(scope="session")
def nb():
    """The notebook's definitions (greedy, topp, decode, compute_perplexity, ...), loaded once."""
    return load_definitions()


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """A folder with the tiny random models of the `tiny` profile (lm, teacher, cola), built once."""
    from tiny_models import build_tiny_models
    folder = tmp_path_factory.mktemp("tiny")
    build_tiny_models(folder)
    return folder


def offline_models_script():
    """scripts/make_offline_models.py as a module (it builds the offline profile's model folders)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_offline_models", ROOT / "scripts" / "make_offline_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def offline_models():
    """{"full": folder, "student": folder}: the offline profile's SmolLM2 folders, written by
    scripts/make_offline_models.py once per transformers major version into ~/.cache/cse447-a6/ (kept between
    sessions: dequantising takes ~35 s), so that two virtualenvs never rewrite each other's folders."""
    import transformers
    major = transformers.__version__.split(".")[0]
    return offline_models_script().make_offline_models(
        os.path.expanduser(f"~/.cache/cse447-a6/offline-models-transformers{major}"))


@pytest.fixture(scope="session")
def smollm2(nb, offline_models):
    """SmolLM2-135M-Instruct (the offline profile's LM and teacher), loaded from its folder with from_pretrained, fp32
    on the CPU."""
    tokenizer = nb.load_tokenizer(offline_models["full"])
    model = nb.load_causal_lm(offline_models["full"], device="cpu", dtype=__import__("torch").float32)
    return model, tokenizer


@pytest.fixture(scope="session")
def tiny_run(request, tmp_path_factory):
    """Execute the whole notebook with papermill (PROFILE=tiny, sweeps and controls on) once per session; return the results
    folder it wrote (decoding.json, generations.jsonl, sweeps.json, tradeoff.png, distillation.json). Used by the
    end-to-end tests and by the write-up tests, which read what a run really writes. About half a minute on 2
    cores, plus building the tiny models.

    A6_TINY_RUN=FOLDER reuses the results folder of an earlier tiny run instead (to iterate on the write-up tests
    without rerunning the notebook); CI leaves it unset, so there the notebook always runs."""
    reuse = os.environ.get("A6_TINY_RUN")
    if reuse:
        return pathlib.Path(reuse)
    tiny_dir = request.getfixturevalue("tiny_dir")
    out = tmp_path_factory.mktemp("run")
    cmd = [sys.executable, "-m", "papermill", str(NOTEBOOK), str(out / "executed.ipynb"), "-k", "python3",
           "-p", "PROFILE", "tiny", "-p", "TINY_DIR", str(tiny_dir), "-p", "RESULTS_DIR", str(out / "results"),
           "-p", "RUN_SWEEPS", "True", "-p", "RUN_CONTROLS", "True", "-p", "TEACHER_CACHE", str(out / "teacher_cache.jsonl"),
           "--cwd", str(ROOT), "--no-progress-bar"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-5000:]
    return out / "results" / "tiny"
