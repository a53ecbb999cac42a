"""A Hub download that stalls partway: the load ends within a bound with a message naming the file, and what was
downloaded is reused.

The server is the local Hub of conftest.py (olah and its mirrors) behind local_hub.StallingFront, which sends part of
gpt2's model.safetensors and then holds the connection open without sending more, as the frozen Colab downloads do.
The loader runs in a fresh Python (test_hub_loading.run_with_hub) whose environment sets the Hub client's own read
timeout, HF_HUB_DOWNLOAD_TIMEOUT, to 2 s (huggingface_hub reads it once, at import). The client writes a download in
10 MB chunks (constants.DOWNLOAD_CHUNK_SIZE) and resumes after the last one written; the mirror's file is 272 kB, so
the child lowers the chunk to 64 kB to give the stall a chunk to resume after.
"""
import time

import pytest

from hub_mirrors import GPT2_ID
from local_hub import HubFront, StallingFront, repo_files
from test_hub_loading import no_error, run_with_hub

TIMEOUT_S = 2
CHUNK = 65536
FIRST_BYTES = 100_000                # what the stalled response sends: one whole 64 kB chunk and part of another
RETRIES = 5                          # huggingface_hub's http_get: retries in a row without data, at most
BOUND_S = (RETRIES + 1) * (TIMEOUT_S + 1) + 30     # each try: the timeout and 1 s of sleep; 30 s to start and load

LOAD = f"""
import time
import torch
import huggingface_hub.constants
huggingface_hub.constants.DOWNLOAD_CHUNK_SIZE = {CHUNK}
began = time.monotonic()
try:
    model = nb.load_causal_lm({GPT2_ID!r}, device="cpu", dtype=torch.float32)
    result = {{"weights": [float(p.double().sum()) for p in model.parameters()]}}
except Exception as err:
    result = {{"error": type(err).__name__, "message": str(err)}}
result["seconds"] = time.monotonic() - began
"""


@pytest.fixture
def front_for(local_hub, hub_mirrors_dir):
    """front_for(cls, **settings): a front of that class before the test run's olah, stopped after the test."""
    fronts = []

    def make(cls, **settings):
        front = cls(local_hub["olah_endpoint"], repo_files(hub_mirrors_dir["repos"]), **settings)
        fronts.append(front)
        return front, {**local_hub, "endpoint": front.start()}
    yield make
    for front in fronts:
        front.stop()


@pytest.fixture
def read_timeout(monkeypatch):
    monkeypatch.setenv("HF_HUB_DOWNLOAD_TIMEOUT", str(TIMEOUT_S))


def load_through(hub, home, tmp_path):
    """LOAD in a child whose Hub cache is `home` (empty at first: the weights are downloaded)."""
    hub = {**hub, "home": home, "hub_cache": home / "hub"}
    return run_with_hub(hub, LOAD, tmp_path, timeout=BOUND_S + 60)[:2]


def mirror_weights(hub_mirrors_dir):
    import torch
    from transformers import AutoModelForCausalLM
    folder = hub_mirrors_dir["repos"][("model", GPT2_ID)][0]
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    return [float(p.detach().double().sum()) for p in model.parameters()]


def test_a_download_that_stalls_once_resumes_after_the_bytes_it_wrote(front_for, read_timeout, hub_mirrors_dir,
                                                                       tmp_path):
    """The first GET sends 100,000 bytes and stalls; the client times out and asks for the rest with a Range request
    starting after the one whole chunk it wrote (bytes=65536-), not for the whole file again, and the model loads
    with the mirror's weights."""
    front, hub = front_for(StallingFront, repo_id=GPT2_ID, filename="model.safetensors", first_bytes=FIRST_BYTES,
                           stalls=1, hold=60)
    result, output = load_through(hub, tmp_path / "hf_home", tmp_path)
    no_error(result, output)
    assert [(asked, what) for _, asked, what in front.gets] == [(None, "stalled"), (f"bytes={CHUNK}-", "whole")]
    assert result["weights"] == pytest.approx(mirror_weights(hub_mirrors_dir))


def test_a_download_that_stays_stalled_fails_in_bounded_time_naming_the_file_and_a_rerun_completes(
        front_for, read_timeout, hub_mirrors_dir, tmp_path):
    """Every GET of the weights stalls (the first after 100,000 bytes, the retries at once) for 60 s: the load stops
    after the client's retries, well before the server would have let go, with a TimeoutError that names the file and
    says to rerun the cell. The rerun, against a server that answers, completes with the mirror's weights and does not
    download again the files the first run finished (config.json)."""
    home = tmp_path / "hf_home"
    began = time.monotonic()
    stalling, hub = front_for(StallingFront, repo_id=GPT2_ID, filename="model.safetensors", first_bytes=FIRST_BYTES,
                              stalls=1000, hold=60)
    result, output = load_through(hub, home, tmp_path)
    assert time.monotonic() - began < BOUND_S, f"took {time.monotonic() - began:.0f} s\n{output[-3000:]}"
    assert result.get("error") == "TimeoutError", f"{result}\n{output[-3000:]}"
    assert "gpt2: downloading model.safetensors from the Hub stalled" in result["message"]
    assert "Rerun this cell" in result["message"] and f"no data for {TIMEOUT_S} s" in result["message"]
    # Bounded, and more than one try: 1.27 does not retry a request whose response never starts, 2.4 does (at most
    # RETRIES + 1 tries), and 0.36 (beside transformers 4.56) retries such a request once more (7 tries measured).
    assert 2 <= len(stalling.gets) <= 2 * (RETRIES + 1) and stalling.gets[0][2] == "stalled"
    assert any(method == "GET" and path.endswith("/config.json") for method, path, _ in stalling.calls)

    healthy, hub = front_for(HubFront)
    result, output = load_through(hub, home, tmp_path)
    no_error(result, output)
    assert result["weights"] == pytest.approx(mirror_weights(hub_mirrors_dir))
    gets = [path for method, path, _ in healthy.calls if method == "GET"]
    assert any(path.endswith("/model.safetensors") for path in gets), gets
    assert not any(path.endswith("/config.json") for path in gets), gets


def test_other_errors_pass_through_the_stall_check(nb):
    """hub_download changes only timeouts: a missing model stays what the library raised."""
    with pytest.raises(ValueError, match="not a model"):
        with nb.hub_download("x"):
            raise ValueError("not a model")
    assert nb.stalled_download(OSError("Can't load the model")) is None
    timed_out = OSError("Can't load the model")
    timed_out.__cause__ = TimeoutError("timed out")
    assert nb.stalled_download(timed_out) == "an unknown file"


def test_the_setup_cell_turns_xet_off_unless_the_user_chose(monkeypatch):
    """HF_HUB_DISABLE_XET=1 (set before huggingface_hub is imported, which reads it once): Xet downloads do not use
    HF_HUB_DOWNLOAD_TIMEOUT. A value the user set is kept."""
    from test_colab_path import GOOD, run_setup_cell
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "")
    monkeypatch.delenv("HF_HUB_DISABLE_XET")
    run_setup_cell(monkeypatch, GOOD, colab=True)
    import os
    assert os.environ["HF_HUB_DISABLE_XET"] == "1"
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "0")
    run_setup_cell(monkeypatch, GOOD, colab=True)
    assert os.environ["HF_HUB_DISABLE_XET"] == "0"
