import os
import pathlib
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from notebook import NOTEBOOK, ROOT, load_definitions, load_script  # noqa: E402


@pytest.fixture(scope="session")
def nb():
    """The notebook's definitions (greedy, topp, decode, compute_perplexity, ...), loaded once."""
    return load_definitions()


@pytest.fixture(scope="session")
def hub_mirrors_dir(tmp_path_factory):
    """Git mirrors of the colab profile's five Hub repositories (tests/hub_mirrors.py), built once:
    {"root": folder, "repos": {(repo_type, repo_id): (working tree, commit)}}."""
    from hub_mirrors import build_mirrors
    root = tmp_path_factory.mktemp("hub_mirrors")
    return {"root": root, "repos": build_mirrors(root)}


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory, hub_mirrors_dir):
    """The `tiny` profile's models: lm, teacher and cola are the working trees of the gpt2, Qwen2.5-1.5B-Instruct and
    CoLA mirrors (links into hub_mirrors_dir), so the unit tests meet the real repositories' metadata too."""
    from hub_mirrors import COLA_ID, GPT2_ID, QWEN_ID
    folder = tmp_path_factory.mktemp("tiny")
    for name, repo_id in (("lm", GPT2_ID), ("teacher", QWEN_ID), ("cola", COLA_ID)):
        (folder / name).symlink_to(hub_mirrors_dir["repos"][("model", repo_id)][0], target_is_directory=True)
    return folder


def offline_models_script():
    """scripts/make_offline_models.py as a module (it builds the offline profile's model folders)."""
    return load_script("make_offline_models")


@pytest.fixture(scope="session")
def local_hub(tmp_path_factory, hub_mirrors_dir):
    """A real local Hub: olah (PyPI, .venv-hub) in offline mode on 127.0.0.1, serving hub_mirrors_dir's git mirrors,
    plus the same model repositories in huggingface_hub's cache layout. Yields a dict: endpoint, mirrors, process,
    home, hub_cache, datasets_cache, hub_offline, and "env" / "env_offline" (the two environments of
    local_hub.hub_env); stops olah by its pid at the end.

    What olah 0.5.4 serves faithfully (tried with datasets 4.0.0 / 5.2.0, transformers 5.15 / 5.24 / 4.56):
      * `load_dataset(id, config, data_files=..., split=...)` for both datasets, through the real Hub code path
        (revision lookup, README's YAML, file listing, downloads) -- the split check of datasets 4.x included;
      * `AutoConfig.from_pretrained` and `AutoModelFor*.from_pretrained` (config.json, generation_config.json,
        model.safetensors), the organisation-less id `gpt2` included.
    What it cannot serve:
      * `AutoTokenizer.from_pretrained`: for a file or folder the mirror lacks, olah answers 401 "repository not
        found" (GET .../resolve/main/<missing>: 500) where the Hub answers 404 EntryNotFound; transformers probes
        optional files (added_tokens.json, chat_template.jinja, the folder additional_chat_templates/ through
        /api/models/<id>/tree/main/...) and turns the 401 into RepositoryNotFoundError;
      * `GET /api/models/<id>` without a revision answers 401 (with /revision/main: 200).
    For those, the models are also written to the Hub cache layout (HF_HUB_CACHE/models--<org>--<name>/
    snapshots/<commit>/ and refs/main), which transformers reads with HF_HUB_OFFLINE=1 (env_offline). The two cannot be
    mixed in one process: HF_HUB_OFFLINE=1 also stops datasets' Hub requests (HF_DATASETS_OFFLINE=0 does not lift
    huggingface_hub's own offline switch), and online, transformers asks the server before it reads the cache."""
    from local_hub import HubFront, hub_env, repo_files, start_olah, stop_olah, write_hub_cache
    work = tmp_path_factory.mktemp("local_hub")
    process, olah_endpoint = start_olah(hub_mirrors_dir["root"], work / "olah")
    front = HubFront(olah_endpoint, repo_files(hub_mirrors_dir["repos"]))
    endpoint = front.start()
    hub = {"endpoint": endpoint, "mirrors": hub_mirrors_dir["root"], "process": process, "home": work / "hf_home",
           "hub_cache": work / "hf_home" / "hub", "datasets_cache": work / "hf_home" / "datasets", "hub_offline": "0"}
    for (repo_type, repo_id), (tree, commit) in hub_mirrors_dir["repos"].items():
        if repo_type == "model":
            write_hub_cache(hub["hub_cache"], repo_type, repo_id, tree, commit)
    hub["env"] = hub_env(hub)
    hub["env_offline"] = hub_env({**hub, "hub_offline": "1"})
    hub.update(olah_endpoint=olah_endpoint, front=front)
    try:
        yield hub
    finally:
        front.stop()
        stop_olah(process)


@pytest.fixture(scope="session")
def offline_models():
    """{"full": folder, "student": folder}: the offline profile's SmolLM2 folders, written by
    scripts/make_offline_models.py once per transformers major version into ~/.cache/cse447-a6/ (kept between
    pytest runs: dequantising takes ~35 s), so that two virtualenvs never rewrite each other's folders."""
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


def run_tiny_notebook(notebook, out, hub, extras=True, parameters=()):
    """Execute `notebook` with papermill on the tiny profile (the colab profile's very Hub ids, served by `hub`, the
    local_hub fixture, through its environment alone: nothing in the notebook is patched), writing to `out`; the
    extras (sweeps, controls) on or off; `parameters`: further (name, value) pairs passed with -p, after those.
    Returns the results folder, out/results/tiny."""
    flag = str(bool(extras))
    cmd = [sys.executable, "-m", "papermill", str(notebook), str(out / "executed.ipynb"), "-k", "python3",
           "-p", "PROFILE", "tiny", "-p", "RESULTS_DIR", str(out / "results"), "-p", "RUN_SWEEPS", flag,
           "-p", "RUN_CONTROLS", flag, "-p", "TEACHER_CACHE", str(out / "teacher_cache.jsonl"),
           "--cwd", str(ROOT), "--no-progress-bar"]
    for name, value in parameters:
        cmd += ["-p", name, value]
    from local_hub import hub_env
    env = hub_env({**hub, "datasets_cache": out / "datasets_cache"})
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stderr[-5000:]
    return out / "results" / "tiny"


@pytest.fixture(scope="session")
def tiny_run(request, tmp_path_factory):
    """Execute the whole notebook with papermill (PROFILE=tiny: the colab profile's names, served by the local Hub;
    sweeps and controls on) once per pytest run; return the results folder it wrote (decoding.json, generations.jsonl,
    sweeps.json, tradeoff.png, distillation.json). Used by the end-to-end tests and by the write-up tests, which read
    what a run really writes. About a minute on 2 cores, plus building the mirrors.

    A6_TINY_RUN=FOLDER reuses the results folder of an earlier tiny run instead (to iterate on the write-up tests
    without rerunning the notebook); CI leaves it unset, so there the notebook always runs."""
    reuse = os.environ.get("A6_TINY_RUN")
    if reuse:
        return pathlib.Path(reuse)
    return run_tiny_notebook(NOTEBOOK, tmp_path_factory.mktemp("run"), request.getfixturevalue("local_hub"))


@pytest.fixture(scope="session")
def tiny_submission_run(local_hub, tmp_path_factory):
    """The Gradescope copy (scripts/make_submission.py: the notebook without its extra cells) executed end to end on
    the tiny profile; returns its results folder."""
    out = tmp_path_factory.mktemp("submission")
    load_script("make_submission").make_submission(NOTEBOOK, out / "CSE447_Assignment6.ipynb")
    return run_tiny_notebook(out / "CSE447_Assignment6.ipynb", out, local_hub, extras=False)
