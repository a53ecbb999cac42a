#!/usr/bin/env python3
"""Write docs/results.md and docs/benchmarks.md, the tables of the committed runs, from the result files alone.

    python3 scripts/make_results_doc.py [--profile offline] [--out docs/results.md] [--bench-out docs/benchmarks.md]

Reads results/<profile>/{run,decoding,distillation,sweeps,run_sweeps}.json and, when present,
results/rerun_kd_seeds/<profile>/{run,distillation}.json. Every figure of the page is read from those files here,
and each table names the command, commit and machine that made it (run.json, written by scripts/record_run.py at
the end of `make run`, `make sweeps` and `make rerun-seeds`). docs/benchmarks.md gathers the tables that `make bench`
writes to results/bench/, each headed by the commit and machine it ran on. `make run` calls this after the notebook,
and tests/test_docs.py checks that the committed pages are what this script writes from the committed results.
"""
import argparse
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
METHODS = ("greedy", "sample", "temperature", "topk", "topp")
METHOD_LABEL = {"greedy": "greedy", "sample": "vanilla sampling", "temperature": "temperature",
                "topk": "top-k", "topp": "top-p"}
SYSTEM_LABEL = {"student_init": "(a) student as initialised",
                "student_distilled": "(b) student fine-tuned on the teacher's summaries (distillation)",
                "student_gold": "(c) student fine-tuned on the reference highlights (same budget)",
                "student_undropped": "whole model the student was cut from, prompted like it, not fine-tuned",
                "teacher": "(d) teacher (greedy: one run)"}
SHORT = {"student_init": "(a) initialised", "student_distilled": "(b) distilled", "student_gold": "(c) gold",
         "student_undropped": "whole model", "teacher": "(d) teacher"}


def read(path):
    """A JSON file as a dict, or None when it does not exist."""
    path = pathlib.Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def num(value, fmt):
    """`value` formatted with `fmt`, or "not measured" for None (a metric a run could not compute)."""
    return "not measured" if value is None else format(value, fmt)


def interval(pair, fmt, scale=1.0):
    """"[lo, hi]" of a two-element list, scaled; "" when the interval is missing or undefined."""
    if not pair or pair[0] is None:
        return ""
    return f"[{pair[0] * scale:{fmt}}, {pair[1] * scale:{fmt}}]"


def provenance(run):
    """One sentence naming the command, commit, machine and wall time of a run.json, then its note if it has one
    (what else ran on the machine, for instance: a run.json's "note" is written by hand)."""
    if run is None:
        return "How these were made was not recorded."
    m = run["machine"]
    commit = (run["commit"] or "unknown")[:7] + (" with local changes" if run["dirty"] else "")
    return (f"Made by `{run['command']}` at commit `{commit}` on {m['arch']}, {m['cpu']}, {m['cores']} cores, "
            f"{m['memory_gb']} GB, no GPU, in {run['seconds'] / 60:.1f} min (load average at the end: "
            f"{', '.join(map(str, m['load_average_at_end'] or []))})."
            + (f" {run['note']}" if run.get("note") else ""))


def decoding_section(dec, run):
    """1.1.5: the metrics table with its intervals and the time per method."""
    s = dec["settings"]
    ci = dec.get("intervals", {}).get("interval", {})
    lines = ["## 1.1.5 Decoding", "", provenance(run), "",
             f"First {s['n_prompts']} prompts, {s['n_per_prompt']} continuations each, at most {s['max_len']} new "
             f"tokens; t = {s['t']}, k = {s['k']}, p = {s['p']}; seed {dec['seed']}; LM and perplexity scorer "
             f"`{dec['models']['lm']}` ({dec['dtype']}, {dec['device']}); fluency classifier "
             f"{('`' + dec['models']['cola'] + '`') if dec['models']['cola'] else 'none (not measured)'}. "
             "Brackets: 95% interval over prompts (delete-one-prompt jackknife, Student t).", "",
             "| method | perplexity | fluency | distinct-1 | distinct-2 | distinct-3 | empty | seconds |",
             "| --- | --- | --- | --- | --- | --- | ---: | ---: |"]
    for method in METHODS:
        m, c = dec["metrics"][method], ci.get(method, {})
        t = dec.get("wall_time_s", {}).get(method, {})
        seconds = sum(t.values()) if t else None
        cells = [f"{num(m['perplexity'], '.2f')} {interval(c.get('perplexity'), '.2f')}".strip(),
                 f"{num(m['fluency'], '.3f')} {interval(c.get('fluency'), '.3f')}".strip()]
        cells += [f"{num(m[f'distinct_{n}'], '.3f')} {interval(c.get(f'distinct_{n}'), '.3f')}".strip()
                  for n in (1, 2, 3)]
        lines.append(f"| {METHOD_LABEL[method]} | " + " | ".join(cells)
                     + f" | {m['n_empty']} | {num(seconds, '.0f')} |")
    h = dec["prompt_metrics"]
    lines.append(f"| human-written prompts (reference) | {num(h['perplexity'], '.2f')} | "
                 f"{num(h['fluency'], '.3f')} | " + " | ".join(num(h[f"distinct_{n}"], ".3f") for n in (1, 2, 3))
                 + " | | |")
    lines += ["", "Seconds: generation and scoring of each method's continuations. Which differences lie beyond "
              "the noise is stated in the write-up (paired intervals, `decoding.json` → `intervals.difference`). "
              "The samplers draw by inverting the cumulative distribution with one uniform number per row (top-k "
              "among its k candidates, top-p among the sorted probabilities), so a seed gives other continuations "
              "than `torch.multinomial` would, from the same distributions.", ""]
    return lines


def sweeps_section(sw, run):
    """The sweeps' equivalence checks (the assignment's questions on k = 1, k = |V|, p, t)."""
    eq = sw["equivalences"]
    lines = ["## Sweeps: the equivalences the write-up asks about", "", provenance(run), "",
             f"{sw['settings']['n_prompts']} prompts x {sw['settings']['n_per_prompt']} continuations, "
             f"{sw['settings']['max_len']} new tokens, vocabulary {sw['vocab_size']}, seed {sw['seed']}.", "",
             "| setting | compared with | result |", "| --- | --- | --- |"]
    for run_name, check in eq["greedy"].items():
        lines.append(f"| {run_name} | greedy | {check['identical']} of {check['of']} continuations identical |")
    van = eq["vanilla_sampling"]
    for run_name in ("temperature t=1.0", "topk k=V", "topp p=1.0"):
        if run_name not in van:
            continue
        diff = van[run_name]["difference"]
        worst = max(diff, key=lambda k: abs(diff[k]) / van["seed_sd"][k] if van["seed_sd"].get(k) else 0)
        ratio = abs(diff[worst]) / van["seed_sd"][worst]
        verdict = "within" if van[run_name]["within_noise"] else "outside"
        lines.append(f"| {run_name} | vanilla sampling over {len(van['seed_values']['perplexity'])} seeds | "
                     f"{verdict} {van['noise_factor']} seed standard deviations on every metric (largest: "
                     f"{worst}, {ratio:.1f} sd) |")
    lines.append("")
    return lines


def kd_table(kd):
    """Part 1.2's ROUGE table rows."""
    lines = ["| summariser | runs | ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-L of each run | mean words |",
             "| --- | ---: | ---: | ---: | --- | --- | ---: |"]
    for name, label in SYSTEM_LABEL.items():
        system = kd["systems"].get(name)
        if system is None:
            continue
        r = system["rouge"]
        ci = system.get("rouge_ci_combined", system.get("rouge_ci", {})).get("rougeL")
        each = ", ".join(f"{x * 100:.1f}" for x in system.get("rouge_seeds", {}).get("rougeL", []))
        lines.append(f"| {label} | {system['runs']} | {r['rouge1'] * 100:.1f} | {r['rouge2'] * 100:.1f} | "
                     f"{r['rougeL'] * 100:.1f} {interval(ci, '.1f', 100)} | {each} | "
                     f"{system['summary_words']:.1f} |")
    lines.append(f"| reference highlights | | | | | | {kd['reference_words']:.1f} |")
    return lines


def kd_differences(kds):
    """ROUGE-L differences (x100) with their intervals over seeds and articles, one column per run."""
    pairs = [("student_distilled", "student_init"), ("student_distilled", "student_gold"),
             ("student_distilled", "student_undropped"), ("student_init", "student_undropped"),
             ("student_distilled", "teacher")]
    header = "| comparison (ROUGE-L x 100) | " + " | ".join(f"seeds {', '.join(map(str, kd['seeds']))}"
                                                             for kd in kds) + " |"
    lines = [header, "| --- |" + " --- |" * len(kds)]
    for a, b in pairs:
        cells = []
        for kd in kds:
            diffs = kd.get("differences_combined") or kd.get("differences") or {}
            if f"{a} - {b}" in diffs:
                lo, hi = diffs[f"{a} - {b}"]["rougeL"]
            elif f"{b} - {a}" in diffs:
                hi, lo = (-x for x in diffs[f"{b} - {a}"]["rougeL"])
            else:
                cells.append("not measured")
                continue
            cells.append(f"[{lo * 100:.1f}, {hi * 100:.1f}]" + (" (not separated)" if lo <= 0 <= hi else ""))
        lines.append(f"| {SHORT[a]} - {SHORT[b]} | " + " | ".join(cells) + " |")
    return lines


def kd_section(kd, run, rerun_kd, rerun_run):
    """Part 1.2: the table, the differences, the second run with other seeds, the cost."""
    s = kd["settings"]
    lines = ["## 1.2 Distillation", "", provenance(run), "",
             f"Teacher `{kd['teacher']}` ({kd['teacher_dtype']}); student `{kd['student']}` "
             f"({kd['student_layers']} of the teacher's {kd['teacher_layers']} layers, "
             f"{kd['student_parameters'] / 1e6:.0f}M parameters); {kd['n_train_articles']} training articles, "
             f"{kd['n_eval_articles']} held-out articles on topics the training articles do not cover; training "
             f"seeds {', '.join(map(str, kd['seeds']))}; student top-p {s['student_top_p']}. ROUGE F1 x 100 against "
             "the reference highlights, the mean over the runs; brackets: 95% interval over seeds and articles "
             f"({kd['bootstrap']['method']}, {kd['bootstrap']['resamples']} resamples).", ""]
    lines += kd_table(kd) + [""]
    kds = [kd] + ([rerun_kd] if rerun_kd else [])
    lines += ["Differences, with `make rerun-seeds` (other training seeds, the same teacher summaries) beside "
              "`make run` where it was run:" if rerun_kd else "Differences:", ""]
    lines += kd_differences(kds) + [""]
    if rerun_kd:
        same = rerun_kd.get("synthetic_fingerprint") == kd.get("synthetic_fingerprint")
        lines += [f"The second run: {provenance(rerun_run)} Teacher summaries "
                  f"{'identical' if same else 'different'} (fingerprint "
                  f"`{rerun_kd.get('synthetic_fingerprint')}`).", ""]
    cost = kd.get("costs")
    if cost:
        per = {who: cost[who]["seconds"] / cost[who]["articles"] for who in ("teacher", "student")}
        lines += [f"Generation cost (same {cost['teacher']['articles']} articles, batch {cost['batch_size']}, "
                  f"{cost['dtype']}, {cost['max_new_tokens']} new tokens): teacher {per['teacher']:.2f} s per "
                  f"article, student {per['student']:.2f} s. Part 1.2 took {kd['minutes']['total']:.1f} min.", ""]
    return lines


def build(profile="offline", root=ROOT):
    """The page as a string."""
    folder = root / "results" / profile
    dec, kd, sw = (read(folder / f"{name}.json") for name in ("decoding", "distillation", "sweeps"))
    rerun = root / "results" / "rerun_kd_seeds" / profile
    lines = ["# Results of the committed runs", "",
             "Written by `scripts/make_results_doc.py` from the files in `results/` (do not edit: rerun it). "
             f"Profile `{profile}`" + (": SmolLM2-135M-Instruct stand-ins on a CPU, **not** GPT-2 or Qwen "
                                       "numbers; no T4 was available, so the `colab` profile's figures are not "
                                       "measured." if profile == "offline" else "."), ""]
    if dec:
        lines += decoding_section(dec, read(folder / "run.json"))
    if sw:
        lines += sweeps_section(sw, read(folder / "run_sweeps.json"))
    if kd:
        rerun_run = read(rerun / "run.json")           # a second run is shown only with its provenance
        lines += kd_section(kd, read(folder / "run.json"),
                            read(rerun / "distillation.json") if rerun_run else None, rerun_run)
    return "\n".join(lines).rstrip() + "\n"


BENCHMARKS = (  # results/bench/ file, heading, what it compares
    ("samplers_cpu.md", "The five samplers",
     "Every sampler against one bare `torch.softmax` on the same logits and against Hugging Face's warpers "
     "(`TemperatureLogitsWarper`, `TopKLogitsWarper`, `TopPLogitsWarper`, then softmax and `torch.multinomial`), "
     "over every t, k and p the notebook uses, on LM-shaped (Zipf-like) logits of GPT-2's and Qwen2.5's vocabulary "
     "sizes in fp32, fp16 and bf16; the table's last line says whether ours is no slower than Hugging Face's in "
     "every cell. `make bench` runs `python bench/bench_samplers.py --repeats 3 --out "
     "results/bench/samplers_cpu.md` (best of 3 interleaved rounds) with glibc's malloc keeping freed memory (as PyTorch's CUDA allocator does), "
     "so that page faults on fresh tensors do not swamp the timings."),
    ("decode_cpu.md", "The decoding loop",
     "`decode`'s KV-cached loop against `model.generate` with the same method, batch and length (SmolLM2-135M "
     "stands in for GPT-2). `python bench/bench_decode.py --max-len 50 --repeats 1`."),
    ("teacher_cpu.md", "The teacher's batching",
     "Part 1.2's teacher generation in length-sorted batches, in unsorted batches and one article at a time "
     "(SmolLM2-135M-Instruct in bf16): articles per second and the share of prompt positions that are left padding. "
     "`python bench/bench_teacher.py --bf16`."),
    ("training_loss_cpu.md", "The fine-tuning loss",
     "`LabelledLossTrainer` (the LM head applied to labelled positions only) against the Trainer's stock loss, "
     "the same loss and gradients. `python bench/bench_training_loss.py --n-examples 32`."),
)


def build_benchmarks(root=ROOT):
    """docs/benchmarks.md as a string: an introduction, then each results/bench/ table that exists."""
    lines = ["# Benchmarks", "",
             "Written by `scripts/make_results_doc.py` from `results/bench/` (do not edit: rerun `make bench`, "
             "which writes those files, and the script). Free Colab sessions are short, so speed is part of "
             "correctness: each benchmark times the notebook's code against the best implementation we know, as "
             "ratios measured in one process. Each table's first line names the commit and the machine it ran on. "
             "They ran on a CPU: no GPU was available to us, so none is a T4 figure (`bench/gpu_check.py` times the "
             "samplers, the decoding loop, a fine-tuning step and the teacher on CUDA where a GPU is there).", ""]
    for name, heading, what in BENCHMARKS:
        path = root / "results" / "bench" / name
        lines += [f"## {heading}", "", what, ""]
        if path.exists():
            lines += [f"From [`results/bench/{name}`](../results/bench/{name}):", "",
                      path.read_text().strip(), ""]
        else:
            lines += ["Not measured at the committed code: `make bench` writes it.", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="offline")
    parser.add_argument("--out", default=str(ROOT / "docs" / "results.md"))
    parser.add_argument("--bench-out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    for out, text in ((args.out, build(args.profile)), (args.bench_out, build_benchmarks())):
        out = pathlib.Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
