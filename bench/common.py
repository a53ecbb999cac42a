"""Shared by the benchmarks, the GPU check and the sampler tests: the notebook's definitions, the machine
description, timers, and LM-shaped (Zipf-like) logits."""
import os
import pathlib
import platform
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from notebook import load_definitions, load_script  # noqa: E402,F401  (re-exported for the benchmarks)


def machine_info():
    """The machine and library versions as a dict (for JSON results): CPU, torch threads, load average,
    torch / transformers / CUDA versions, and the GPU's name and memory when CUDA is available."""
    import transformers
    info = {
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cuda": torch.version.cuda,
        "gpu": None,
    }
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info["gpu"] = props.name
        info["gpu_memory_gib"] = round(props.total_memory / 2**30, 1)
        info["gpu_capability"] = [props.major, props.minor]
        # is_bf16_supported() defaults to including_emulation=True, which answers True on a T4 (7.5) too
        info["gpu_native_bf16"] = torch.cuda.is_bf16_supported(including_emulation=False)
    return info


def commit():
    """The repository's commit (short hash, "+changes" when tracked files other than those runs write differ from
    it), or "unknown": scripts/record_run.py's own reading, which run.json records."""
    record_run = load_script("record_run")
    head = record_run.git("rev-parse", "--short", "HEAD")
    if head is None:
        return "unknown"
    return head + ("+changes" if record_run.changed_files() else "")


def machine():
    """One line naming the commit, the machine and library versions, for the docs."""
    info = machine_info()
    line = (f"commit {commit()}; {info['cpu']}, {os.cpu_count()} cores, {info['torch_threads']} torch threads, "
            f"torch {info['torch']}, transformers {info['transformers']}")
    if info["gpu"]:
        line += f", {info['gpu']} ({info['gpu_memory_gib']} GiB, CUDA {info['cuda']})"
    return line


def synchronize():
    """Wait for queued CUDA work (a no-op without CUDA), so that wall-clock timings cover the GPU's work."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def timed(fn):
    """(fn(), seconds it took), CUDA work included."""
    synchronize()
    start = time.perf_counter()
    out = fn()
    synchronize()
    return out, time.perf_counter() - start


def best_of(fn, repeats):
    """Best wall time of `repeats` calls of fn() (the least disturbed by other load), in seconds."""
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive int, got {repeats!r}")
    return min(timed(fn)[1] for _ in range(repeats))


def zipf_logits(vocab, seed=0, batch=None):
    """Logits shaped like a language model's: logit = -1.1 * log(rank), the ranks 1..vocab in a random order.

    Args:
        vocab: number of tokens V.
        seed: seed of the orders (the same seed gives the same logits).
        batch: None for one row, else the number of rows B, each with its own order.
    Returns:
        float32 CPU tensor of shape (V,) when batch is None, else (B, V). The single row equals the first row
        of any batch drawn with the same seed.
    """
    if isinstance(vocab, bool) or not isinstance(vocab, int) or vocab < 1:
        raise ValueError(f"vocab must be a positive int, got {vocab!r}")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
        raise ValueError(f"batch must be None or a positive int, got {batch!r}")
    generator = torch.Generator().manual_seed(seed)
    rows = 1 if batch is None else batch
    ranks = torch.stack([torch.randperm(vocab, generator=generator) for _ in range(rows)]).double() + 1
    logits = (-1.1 * ranks.log()).float()                                     # (rows, V)
    return logits[0] if batch is None else logits
