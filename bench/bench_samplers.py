"""Every sampler against one bare torch.softmax on the same logits and against Hugging Face's warpers.

LM-shaped logits (logit = -1.1 * log(rank), ranks in a random order per row) of shape (100, 50257) (GPT-2) and
(16, 151936) (Qwen2.5), in float32, float16 and bfloat16, on the CPU (or --device cuda). Every value the notebook
uses: t = 0.8 and the sweep's 0.3-1.5 (plus 0.1 and 10), k = 20 and the sweep's 1-100 and |V|, p = 0.7 and the
sweep's 0-1 (plus 0.95, 0.99). The last line says whether ours is no slower than HF in every cell. Each row gives the best of N calls, interleaved round by round with the softmax
and HF's warpers + softmax + multinomial, as ratios measured in this one process. `make bench` runs it with glibc's
malloc keeping freed memory (BENCH_MALLOC in the Makefile), so that page faults on fresh tensors do not swamp the work.

    python bench/bench_samplers.py --repeats 3 --out results/bench/samplers_cpu.md   # as make bench runs it
    python bench/bench_samplers.py --quick     # fewer settings and repeats
"""
import argparse
import os
import pathlib
import sys
import time

import torch
from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

from common import load_definitions, machine, synchronize, zipf_logits

SHAPES = ((100, 50257), (16, 151936))
DTYPES = (torch.float32, torch.float16, torch.bfloat16)
SETTINGS = ([("sample", None)] + [("temperature", t) for t in (0.1, 0.3, 0.5, 0.8, 1.0, 1.5, 10.0)]
            + [("topk", k) for k in (1, 5, 20, 100, "V")]
            + [("topp", p) for p in (0.0, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 1.0)])
QUICK = [("sample", None), ("temperature", 0.8), ("topk", 20), ("topk", 100), ("topp", 0.7), ("topp", 0.95)]


def ours(nb, method, value):
    if method == "sample":
        return nb.sample
    return lambda logits: getattr(nb, method)(logits, value)


def hf(method, value):
    """HF's warper for the method (none for vanilla sampling), then softmax and one multinomial per row."""
    warper = {"sample": None, "temperature": lambda: TemperatureLogitsWarper(value),
              "topk": lambda: TopKLogitsWarper(value), "topp": lambda: TopPLogitsWarper(value)}[method]
    warper = warper() if warper else None

    def run(logits):
        scores = logits.float() if warper is None else warper(None, logits.float())
        return torch.multinomial(torch.softmax(scores, dim=-1), 1).squeeze(-1)
    return run


def timed(fn, logits):
    synchronize()
    start = time.perf_counter()
    fn(logits)
    synchronize()
    return time.perf_counter() - start


def measure(nb, shape, dtype, settings, repeats, device):
    """{setting: (ours / softmax, hf / softmax)} and the softmax's best time; best of `repeats` rounds."""
    batch, vocab = shape
    logits = zipf_logits(vocab, batch=batch).to(device=device, dtype=dtype)
    fns = {"softmax": lambda z: torch.softmax(z, dim=-1)}
    for method, value in settings:
        v = vocab if value == "V" else value
        if method == "topp" and v == 0.0 or method == "topk" and v == 1:
            hf_fn = None                   # HF's warpers do not take p = 0 / k = 1 as greedy sampling
        else:
            hf_fn = hf(method, v)
        fns[(method, value, "ours")] = ours(nb, method, v)
        if hf_fn is not None:
            fns[(method, value, "hf")] = hf_fn
    best = dict.fromkeys(fns, float("inf"))
    for fn in fns.values():
        fn(logits)                                                        # warm-up
    for _ in range(repeats):
        for name, fn in fns.items():
            best[name] = min(best[name], timed(fn, logits))
    soft = best["softmax"]
    rows = {}
    for method, value in settings:
        mine = best[(method, value, "ours")]
        theirs = best.get((method, value, "hf"))
        rows[(method, value)] = (mine / soft, None if theirs is None else theirs / soft,
                                 None if theirs is None else theirs / mine)
    return soft, rows


def malloc():
    """How glibc's malloc was set for this run (the Makefile keeps freed memory: see BENCH_MALLOC there)."""
    settings = [f"{name}={os.environ[name]}" for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
                if name in os.environ]
    return "malloc " + (", ".join(settings) if settings else "defaults")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the assignment's values only, 3 repeats")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=None, help="also write the Markdown table to this file")
    args = parser.parse_args(argv)
    nb = load_definitions()
    settings, repeats = (QUICK, 3) if args.quick else (SETTINGS, args.repeats)
    device = torch.device(args.device)
    lines = [f"machine: {machine()}; device {device}; best of {repeats} interleaved rounds; "
             f"load average at the start {os.getloadavg()[0]:.1f} (other processes share the CPU); {malloc()}", "",
             "ratios to one torch.softmax on the same logits (lower is better); HF: its warper + softmax + "
             "multinomial; last column: how many times faster ours is than HF", ""]
    cells = []                                       # (sampler, shape, dtype, HF / ours)
    for shape in SHAPES:
        for dtype in DTYPES:
            soft, rows = measure(nb, shape, dtype, settings, repeats, device)
            name = str(dtype).replace("torch.", "")
            lines += [f"### {shape} {name}: softmax {soft * 1e3:.2f} ms", "",
                      "| sampler | ours / softmax | HF / softmax | HF / ours |", "| --- | --- | --- | --- |"]
            for (method, value), (mine, theirs, speedup) in rows.items():
                label = method if value is None else f"{method} {'t' if method == 'temperature' else method[-1]}={value}"
                cells.append((label, shape, name, speedup))
                lines.append(f"| {label} | {mine:.2f} | {'-' if theirs is None else f'{theirs:.1f}'} | "
                             f"{'-' if speedup is None else f'{speedup:.1f}'} |")
            lines.append("")
            print("\n".join(lines[-len(rows) - 5:]), flush=True)
    slower = [cell for cell in cells if cell[-1] is not None and cell[-1] < 1]
    lines.append("ours no slower than HF in every cell: " + ("yes" if not slower else
                 "no: " + "; ".join(f"{label} {shape} {dtype} ({speedup:.2f}x)"
                                    for label, shape, dtype, speedup in slower)))
    lines.append(f"load average at the end {os.getloadavg()[0]:.1f}")
    text = "\n".join(lines) + "\n"
    if args.out:
        pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
