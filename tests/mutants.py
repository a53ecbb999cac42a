#!/usr/bin/env python3
"""The mutation check (make mutants): meaningful wrong versions of the code, each of which the tests must catch.

    python tests/mutants.py                 # every mutant; writes results/mutants.md and prints the same table
    python tests/mutants.py --list          # the mutants, without running anything
    python tests/mutants.py NAME [NAME ...] # only these (the report is printed, not written)

Each mutant is one source-text replacement: `old` must occur exactly once in its file (in the notebook: once in all
its code cells together), so a mutant whose target text has changed stops the check instead of silently testing
nothing. A notebook mutant is written to a temporary copy of CSE447_Assignment6.ipynb that the tests load through
the A6_NOTEBOOK environment variable (tests/notebook.py); a script mutant is applied to a copy of the working tree
(tracked and untracked, not ignored, files, with the virtualenvs and models linked), where its `then` commands run
first (the write-up's mutants regenerate writeup/generated/ with the mutated script, as a user would). The tests
named by the mutant then run with `pytest -x`: the mutant is killed when a test fails, and the report names the
first one that did. A mutant that survives makes the check exit with status 1.

mutmut does not fit: it mutates importable .py files in place, while the functions under test live in the
notebook's cells and reach the tests only through A6_NOTEBOOK, so the list below is written by hand.
"""
import argparse
import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "CSE447_Assignment6.ipynb"
REPORT = ROOT / "results" / "mutants.md"
LINKED = (".venv", ".venv-hub", "models")          # ignored folders a copy of the tree links to instead of copying


@dataclasses.dataclass(frozen=True)
class Mutant:
    name: str
    what: str                 # the wrong behaviour, in words
    file: str                 # NOTEBOOK or a path in the repository
    old: str                  # exact text, present once
    new: str
    tests: tuple              # pytest arguments (files, -k expressions)
    then: tuple = ()          # commands run in the mutated copy of the tree before the tests


SAMPLERS = ("tests/test_sampler_weights.py", "tests/test_sampler_exactness.py", "tests/test_decoding.py")
METRICS = ("tests/test_metrics.py",)
KD = ("tests/test_distillation.py", "tests/test_bad_input.py", "tests/test_colab_path.py")
WRITEUP = ("tests/test_writeup.py", "-k", "not tiny_run and not builds")
REGENERATE = ((".venv/bin/python", "scripts/make_writeup.py"),)
GRADING = ("tests/test_grading.py",)

MUTANTS = [
    # --- 1.1.1-1.1.4 the samplers ----------------------------------------------------------------------------------
    Mutant("greedy-last-maximum", "greedy returns the last of tied maxima", NOTEBOOK,
           "    top, next_tokens = next_token_logits.max(dim=-1)\n",
           "    top, next_tokens = next_token_logits.max(dim=-1)\n"
           "    next_tokens = next_token_logits.shape[-1] - 1 - next_token_logits.flip(-1).argmax(dim=-1)\n",
           SAMPLERS),
    Mutant("sample-sharpened-3pc", "vanilla sampling draws from softmax(1.03 z)", NOTEBOOK,
           "probs = torch.softmax(next_token_logits, dim=-1, dtype=torch.float32)   # (B, V)\n"
           "    return _draw(probs).squeeze(-1)",
           "probs = torch.softmax(1.03 * next_token_logits, dim=-1, dtype=torch.float32)   # (B, V)\n"
           "    return _draw(probs).squeeze(-1)", SAMPLERS),
    Mutant("temperature-3pc-off", "temperature divides by 1.03 t", NOTEBOOK,
           "return sample((z - z.amax(dim=-1, keepdim=True)) / t)",
           "return sample((z - z.amax(dim=-1, keepdim=True)) / (1.03 * t))", SAMPLERS),
    Mutant("temperature-without-max-shift", "temperature divides the raw logits (overflows at tiny t)", NOTEBOOK,
           "return sample((z - z.amax(dim=-1, keepdim=True)) / t)", "return sample(z / t)", SAMPLERS),
    Mutant("topk-one-short-at-20", "top-k keeps 19 tokens at k = 20", NOTEBOOK,
           "k = min(k, next_token_logits.shape[-1])", "k = min(k, next_token_logits.shape[-1]) - (k == 20)",
           SAMPLERS),
    Mutant("topp-nucleus-0.97p", "top-p cuts the nucleus at 0.97 p", NOTEBOOK,
           "keep = mass_above < p\n", "keep = mass_above < 0.97 * p\n", SAMPLERS),
    Mutant("topp-ties-by-highest-id", "top-p ranks equal probabilities by the highest token id first", NOTEBOOK,
           "sorted_probs, order = torch.sort(probs, dim=-1, descending=True, stable=True)\n",
           "sorted_probs, order = torch.sort(probs.flip(-1), dim=-1, descending=True, stable=True)\n"
           "    order = probs.shape[-1] - 1 - order\n", SAMPLERS),
    Mutant("draw-biased-to-the-front", "_draw scales its uniform by 0.97 (earlier indices drawn too often)",
           NOTEBOOK, "u = torch.rand_like(total) * total", "u = torch.rand_like(total) * total * 0.97", SAMPLERS),
    # --- 1.1.0 metrics ------------------------------------------------------------------------------------------
    Mutant("perplexity-no-bos", "perplexity scores a text without the BOS in front (its first token unscored)",
           NOTEBOOK, "pad_batch([[bos] + list(token_ids[i]) for i in indices], bos, side=\"right\")",
           "pad_batch([list(token_ids[i]) for i in indices], bos, side=\"right\")", METRICS),
    Mutant("perplexity-counts-padding", "perplexity averages the NLL over padded positions too",
           NOTEBOOK, "mean_nll = (nll * target_mask).sum(dim=-1) / target_mask.sum(dim=-1)",
           "mean_nll = nll.mean(dim=-1)", METRICS),
    Mutant("perplexity-geometric-mean", "mean perplexity is the geometric mean over texts, not the plain mean",
           NOTEBOOK, "\"mean_perplexity\": mean_of_scored(perplexities),",
           "\"mean_perplexity\": float(np.exp(np.mean(np.log(values)))) if values else None,", METRICS),
    Mutant("fluency-wrong-class", "fluency reads class 1 of the CoLA classifier by default (its 'unacceptable')",
           NOTEBOOK, "def compute_fluency(texts, model, tokenizer, batch_size=32, acceptable_class=0):",
           "def compute_fluency(texts, model, tokenizer, batch_size=32, acceptable_class=1):", METRICS),
    Mutant("fluency-left-padding", "fluency scores left-padded batches (RoBERTa reads its first token)",
           NOTEBOOK, "padding_side, tokenizer.padding_side = tokenizer.padding_side, \"right\"",
           "padding_side, tokenizer.padding_side = tokenizer.padding_side, \"left\"", METRICS),
    Mutant("diversity-across-texts", "distinct-n counts n-grams that span two texts",
           NOTEBOOK, "    for text in texts:\n        words = text.split()",
           "    for text in [\" \".join(texts)]:\n        words = text.split()", METRICS + ("-k", "diversity")),
    Mutant("diversity-lowercased", "distinct-n folds case", NOTEBOOK,
           "        words = text.split()\n        for n in DISTINCT_NS:",
           "        words = text.lower().split()\n        for n in DISTINCT_NS:", METRICS + ("-k", "diversity")),
    # --- the decoding loop ----------------------------------------------------------------------------------------
    Mutant("decode-pads-on-the-tokenizers-side", "decode pads its prompts on the caller's tokenizer's side",
           NOTEBOOK, "tokenizer.pad_token_id or 0, \"left\")", "tokenizer.pad_token_id or 0, tokenizer.padding_side)",
           ("tests/test_bad_input.py", "-k", "padding_side")),
    # --- 1.2, the five graded functions -----------------------------------------------------------------------------
    Mutant("student-prompt-right-padded", "prepare_articles_for_student_model pads on the right",
           NOTEBOOK, "input_ids, attention_mask = pad_batch(ids, tokenizer.pad_token_id, side=\"left\")",
           "input_ids, attention_mask = pad_batch(ids, tokenizer.pad_token_id, side=\"right\")", KD),
    Mutant("student-prompt-no-room-for-the-summary", "prepare_articles_for_student_model leaves no room for "
           "max_new_tokens", NOTEBOOK, "budget = max_length - max_new_tokens - n_suffix",
           "budget = max_length - n_suffix", KD),
    Mutant("student-prompt-cuts-the-suffix", "the student's prompt is cut after the suffix, which can lose TL;DR",
           NOTEBOOK, "    return article_ids + tokenizer(TLDR_SUFFIX, add_special_tokens=False)[\"input_ids\"]",
           "    return (article_ids + tokenizer(TLDR_SUFFIX, add_special_tokens=False)[\"input_ids\"])"
           "[:max_article_tokens]", KD),
    Mutant("student-summary-keeps-the-prompt", "summarize_with_student_model returns the prompt with the summary",
           NOTEBOOK, "new_tokens = output[:, batch[\"input_ids\"].shape[1]:]", "new_tokens = output", KD),
    Mutant("student-summary-top-k-50", "summarize_with_student_model samples with generate's default top-k 50 "
           "under top-p", NOTEBOOK, "do_sample=True, top_p=top_p, top_k=0,", "do_sample=True, top_p=top_p, top_k=50,",
           KD),
    Mutant("teacher-prompt-without-system-prompt", "prepare_articles_teacher leaves out the system prompt (Qwen's "
           "template then inserts its own)", NOTEBOOK,
           "messages = [{\"role\": \"system\", \"content\": TEACHER_SYSTEM_PROMPT},\n"
           "                    {\"role\": \"user\", \"content\": user}]",
           "messages = [{\"role\": \"user\", \"content\": user}]", KD),
    Mutant("teacher-summary-keeps-the-preamble", "summarize_with_teacher_model keeps the text before TL;DR:",
           NOTEBOOK, "for summary, has_marker in map(extract_tldr, responses):",
           "for summary, has_marker in ((r.strip(), TLDR_MARKER in r) for r in responses):",
           KD + ("-k", "teacher or synthetic")),
    Mutant("distillation-data-without-eos", "prepare_data_for_distillation ends the summary without EOS",
           NOTEBOOK, "split_special_tokens=True)[\"input_ids\"] + [tokenizer.eos_token_id]",
           "split_special_tokens=True)[\"input_ids\"]", KD),
    Mutant("distillation-labels-on-the-prompt", "prepare_data_for_distillation trains on the article too",
           NOTEBOOK, "\"labels\": [-100] * len(prompt_ids) + summary_ids}", "\"labels\": list(input_ids)}", KD),
    # --- ROUGE ----------------------------------------------------------------------------------------------------
    Mutant("rouge-precision-for-f1", "ROUGE reports precision instead of F1",
           NOTEBOOK, "[score[name].fmeasure for score in scores]", "[score[name].precision for score in scores]",
           ("tests/test_distillation.py", "-k", "rouge")),
    Mutant("rouge-without-stemmer", "ROUGE without the Porter stemmer",
           NOTEBOOK, "rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)",
           "rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=False)",
           ("tests/test_distillation.py", "-k", "rouge")),
    # --- the course staff's grader (grading/grader.py) ----------------------------------------------------------------
    Mutant("grader-tv-bound-doubled", "the grader's TV bound is twice the stated one (wrong samplers pass)",
           "grading/grader.py",
           "    return math.sqrt((cells_with_mass * math.log(2) + math.log(comparisons / alpha)) / (2 * draws))",
           "    return 2 * math.sqrt((cells_with_mass * math.log(2) + math.log(comparisons / alpha)) / (2 * draws))",
           GRADING),
    Mutant("grader-ignores-tokens-outside-v", "the grader does not count drawn tokens outside [0, V)",
           "grading/grader.py", "tv = 0.5 * (float((f - q).abs().sum()) + outside / len(tokens))",
           "tv = 0.5 * float((f - q).abs().sum())", GRADING),
    # --- the write-up's map (scripts/make_writeup.py, fragments regenerated) ----------------------------------------
    Mutant("writeup-temperature-shows-p", "\\DecT shows the top-p setting (its neighbour in decoding.json)",
           "scripts/make_writeup.py", "((\"t\", \"DecT\", \"g\"),", "((\"p\", \"DecT\", \"g\"),", WRITEUP,
           REGENERATE),
    Mutant("writeup-train-count-shows-eval", "\\KDNTrain shows the held-out count (its neighbour)",
           "scripts/make_writeup.py", "fr.value(\"KDNTrain\", kd, src, [\"n_train_articles\"], \"d\")",
           "fr.value(\"KDNTrain\", kd, src, [\"n_eval_articles\"], \"d\")", WRITEUP, REGENERATE),
    Mutant("writeup-kd-interval-over-articles", "the ROUGE table's intervals are over articles only where the "
           "run wrote them over seeds and articles", "scripts/make_writeup.py",
           "    return combined if has_path(kd, combined) else [\"systems\", system, \"rouge_ci\", rouge]",
           "    return [\"systems\", system, \"rouge_ci\", rouge]", WRITEUP, REGENERATE),
]


def mutate_text(text, old, new, where):
    count = text.count(old)
    if count != 1:
        raise SystemExit(f"{where}: the mutant's original text occurs {count} times, not once:\n{old}")
    return text.replace(old, new)


def mutate_notebook(source, old, new):
    """The notebook JSON text with `old` replaced by `new` in the one code cell that holds it."""
    nb = json.loads(source)
    cells = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    count = sum("".join(cell["source"]).count(old) for cell in cells)
    if count != 1:
        raise SystemExit(f"{NOTEBOOK}: the mutant's original text occurs {count} times in the code cells, not "
                         f"once:\n{old}")
    for cell in cells:
        text = "".join(cell["source"])
        if old in text:
            cell["source"] = text.replace(old, new).splitlines(keepends=True)
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def copy_tree(dest):
    """The working tree's files (tracked and untracked, not ignored) copied to `dest`; LINKED folders linked."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for name in LINKED:
        if (ROOT / name).exists():
            (dest / name).symlink_to((ROOT / name).resolve(), target_is_directory=True)


def first_failure(output):
    """The first failed (or erroring) test named in pytest's short summary, or None."""
    match = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.M)
    return match.group(1) if match else None


def run_mutant(mutant, work):
    """Apply `mutant` in the folder `work`, run its tests; returns (killer or None, seconds, output tail)."""
    env = {**os.environ}
    if mutant.file == NOTEBOOK:
        cwd = ROOT
        copy = work / NOTEBOOK
        copy.write_text(mutate_notebook((ROOT / NOTEBOOK).read_text(), mutant.old, mutant.new))
        env["A6_NOTEBOOK"] = str(copy)
    else:
        cwd = work / "tree"
        cwd.mkdir()
        copy_tree(cwd)
        target = cwd / mutant.file
        target.write_text(mutate_text(target.read_text(), mutant.old, mutant.new, mutant.file))
        for command in mutant.then:
            subprocess.run(command, cwd=cwd, check=True, capture_output=True, env=env)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutant.tests],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    output = done.stdout + done.stderr
    killer = first_failure(output) if done.returncode != 0 else None
    if done.returncode != 0 and killer is None:
        killer = f"pytest exit status {done.returncode} (no test named)"
    return killer, time.perf_counter() - began, output[-3000:]


def report(rows, seconds, commit):
    killed = sum(killer is not None for _, killer, _ in rows)
    lines = ["# Mutation check", "",
             f"Written by `make mutants` (`tests/mutants.py`) at commit {commit}: {killed} of {len(rows)} mutants "
             f"killed, {seconds / 60:.1f} minutes on this machine. Each mutant is one wrong version of the code "
             "(its text replacement is in `tests/mutants.py`); \"killed by\" is the first test that failed on it.", "",
             "| mutant | file | what is wrong | killed by | seconds |", "| --- | --- | --- | --- | ---: |"]
    for mutant, killer, took in rows:
        lines.append(f"| `{mutant.name}` | `{mutant.file}` | {mutant.what.replace('|', '/')} | "
                     f"{'`' + killer + '`' if killer else '**survived**'} | {took:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="run only these mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args(argv)
    known = {m.name: m for m in MUTANTS}
    if len(known) != len(MUTANTS):
        raise SystemExit("two mutants share a name")
    if args.list:
        for mutant in MUTANTS:
            print(f"{mutant.name:45} {mutant.file:28} {mutant.what}")
        return 0
    unknown = [name for name in args.names if name not in known]
    if unknown:
        raise SystemExit(f"unknown mutants: {unknown}")
    chosen = [known[name] for name in args.names] if args.names else MUTANTS
    for mutant in chosen:                   # every original text still there, once, before anything runs
        if mutant.file == NOTEBOOK:
            mutate_notebook((ROOT / NOTEBOOK).read_text(), mutant.old, mutant.new)
        else:
            mutate_text((ROOT / mutant.file).read_text(), mutant.old, mutant.new, mutant.file)
    began, rows = time.perf_counter(), []
    for mutant in chosen:
        with tempfile.TemporaryDirectory(prefix=f"mutant-{mutant.name}-") as work:
            killer, took, tail = run_mutant(mutant, Path(work))
        rows.append((mutant, killer, took))
        print(f"{mutant.name}: {'killed by ' + killer if killer else 'SURVIVED'} ({took:.0f} s)", flush=True)
        if killer is None:
            print(tail)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    text = report(rows, time.perf_counter() - began, commit)
    print(text)
    if not args.names:
        REPORT.write_text(text)
    return 0 if all(killer for _, killer, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
