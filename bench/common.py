"""Shared by the benchmarks: the notebook's definitions and a timer."""
import pathlib
import platform
import sys
import time

import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
from notebook import load_definitions  # noqa: E402


def machine():
    """One line naming the machine and library versions, for the README."""
    import transformers
    return (f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads, "
            f"torch {torch.__version__}, transformers {transformers.__version__}")


def best_of(fn, repeats):
    """Best wall time of `repeats` calls of fn() (the least disturbed by other load), in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
