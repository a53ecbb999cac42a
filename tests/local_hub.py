"""A real local Hugging Face Hub for the tests: olah (PyPI, pinned in the Makefile's .venv-hub) in offline mode,
serving the mirrors of tests/hub_mirrors.py on 127.0.0.1, plus the Hub cache layout for what olah cannot serve.

The pieces, each a small function: `start_olah` / `stop_olah` (by the pid we started), `write_hub_cache` (the
`models--<org>--<name>/snapshots/<commit>/` layout of huggingface_hub's cache, filled from the mirrors' git trees) and
`hub_env` (the environment variables that make a subprocess, such as papermill running the notebook, resolve the
colab profile's ids through the libraries' own code). See the `local_hub` fixture in conftest.py for what is served
by which.
"""
import os
import pathlib
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
OLAH_CLI = ROOT / ".venv-hub" / "bin" / "olah-cli"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def olah_config(mirrors, repos, port):
    """olah's TOML configuration: offline (never contacts huggingface.co), serving the git mirrors under `mirrors`."""
    return (f'[basic]\nhost = "127.0.0.1"\nport = {port}\nrepos-path = "{repos}"\n'
            f'mirrors-path = ["{mirrors}"]\n\n[accessibility]\noffline = true\n')


def start_olah(mirrors, work, timeout=60):
    """Start olah-cli serving `mirrors` (folder of tests/hub_mirrors.py's layout); `work` holds its config, cache
    and log. Waits until it answers HTTP. Returns (process, endpoint)."""
    if not OLAH_CLI.exists():
        raise FileNotFoundError(f"{OLAH_CLI} is missing: run `make .venv-hub/.installed`")
    work = pathlib.Path(work)
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = work / "olah.toml"
    config.write_text(olah_config(mirrors, work / "repos", port))
    log = open(work / "olah.log", "w")
    process = subprocess.Popen([str(OLAH_CLI), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT,
                               cwd=work, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"olah-cli exited with {process.returncode}: {(work / 'olah.log').read_text()[-2000:]}")
        if answers(endpoint):
            return process, endpoint
        time.sleep(0.3)
    stop_olah(process)
    raise TimeoutError(f"olah-cli did not answer on {endpoint} within {timeout} s")


def answers(endpoint):
    """Whether an HTTP server answers at `endpoint` (any status counts)."""
    try:
        urllib.request.urlopen(endpoint + "/", timeout=2).close()
        return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def stop_olah(process, timeout=10):
    """Stop the olah process we started (by its pid: SIGTERM, then SIGKILL if it lingers)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def status(url):
    """HTTP status of GET `url`."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def write_hub_cache(cache, repo_type, repo_id, folder, commit):
    """Copy the git working tree `folder` (committed as `commit`) into huggingface_hub's cache layout under `cache`
    (HF_HUB_CACHE): <type>s--<org>--<name>/snapshots/<commit>/<files> and refs/main holding the commit. Returns the
    snapshot folder."""
    repo = pathlib.Path(cache) / f"{repo_type}s--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    files = subprocess.run(["git", "ls-files"], cwd=folder, check=True, capture_output=True, text=True).stdout.split()
    for name in files:
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pathlib.Path(folder) / name, snapshot / name)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def hub_env(hub, base=None):
    """Environment for a subprocess that must resolve the colab ids against `hub` (the local_hub fixture's dict):
    datasets through olah (HF_ENDPOINT), models from the Hub cache offline (HF_HUB_OFFLINE=1, HF_HUB_CACHE),
    datasets' own cache in the test's folder (HF_DATASETS_CACHE), HF_HOME there too (no token, no user cache).
    `base` defaults to os.environ."""
    env = dict(os.environ if base is None else base)
    env.update({
        "HF_ENDPOINT": hub["endpoint"],
        "HF_HOME": str(hub["home"]),
        "HF_HUB_CACHE": str(hub["hub_cache"]),
        "HF_DATASETS_CACHE": str(hub["datasets_cache"]),
        "HF_HUB_OFFLINE": hub["hub_offline"],
        "HF_HUB_DISABLE_TELEMETRY": "1",
    })
    env.pop("HF_TOKEN", None)
    return env
