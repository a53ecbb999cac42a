"""Run the grader's distribution checks on the reference samplers many times (fresh seeds), in this process, and
report how close to its bound each check came: the largest TV / bound over all runs, and the number of failed
checks (the bound allows a failed submission with probability <= 1e-6).

    python -m grading.false_fail [NOTEBOOK] [--runs N]
"""
import argparse
import math
import pathlib

import nbformat
import torch

from grading import grader
from grading.notebook import definitions

ROOT = pathlib.Path(__file__).resolve().parents[1]


def reference_samplers(notebook):
    ns = {"__name__": "reference"}
    for label, source in definitions(nbformat.read(str(notebook), as_version=4)):
        exec(compile(source, label, "exec"), ns)
    return ns


def ratios(ns, seed):
    """TV / bound of every comparison the grader makes (the best admissible one per row), for one run."""
    rows, out = grader.check_rows(), []
    for name, (_, settings, which) in grader.SETTINGS.items():
        for i, (value, _, _) in enumerate(settings):
            torch.manual_seed(seed * 1000 + i)
            x = torch.stack([rows[r] for r in which]).repeat_interleave(grader.DRAWS, dim=0)
            tokens = (ns[name](x) if value is None else ns[name](x, value)).view(len(which), -1).numpy()
            for j, r in enumerate(which):
                best = math.inf
                for _, probs, cells in grader.exact(rows[r], name, value):
                    counts = torch.bincount(torch.as_tensor(tokens[j]), minlength=grader.V).double()
                    f = torch.zeros(grader.V, dtype=torch.float64).index_add_(0, cells, counts / grader.DRAWS)
                    q = torch.zeros(grader.V, dtype=torch.float64).index_add_(0, cells, probs)
                    tv = 0.5 * float((f - q).abs().sum())
                    best = min(best, tv / grader.tv_bound(int((q > 0).sum())))
                out.append((f"{name} {value} row {r}", best))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook", nargs="?", default=str(ROOT / "CSE447_Assignment6.ipynb"))
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    ns = reference_samplers(args.notebook)
    worst, fails, checks = ("", 0.0), 0, 0
    for run in range(args.runs):
        for label, ratio in ratios(ns, 10_000 + run):
            checks += 1
            fails += ratio >= 1
            if ratio > worst[1]:
                worst = (f"{label}, run {run}", ratio)
    print(f"{args.runs} runs, {checks} comparisons ({grader.COMPARISONS} per run, {grader.DRAWS} draws per row): "
          f"{fails} failed; largest TV / bound {worst[1]:.3f} ({worst[0]})")
