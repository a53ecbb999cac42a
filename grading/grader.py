"""Grade the graded functions of submitted notebooks, without running the notebooks.

    python -m grading.grader NOTEBOOK [--results results.json]      one notebook
    python -m grading.grader --folder FOLDER                         every .ipynb in FOLDER (make grade)

Only definitions are taken from a submission (grading.notebook.definitions); they run in a worker process
(grading/worker.py) with 4 GiB of address space, 1 MiB of output, a time limit per call, no network, in a temporary
folder, as user nobody where GRADE_AS_NOBODY=1 and the grader runs as root (the Gradescope image). The worker only
reports what each function returned; every check, and every exact distribution, is computed here from the grader's own code.

Sampler checks compare draws with exact distributions by total variation (TV). The bound for a comparison with k
cells of positive probability and n draws is delta = sqrt((k ln 2 + ln(M / ALPHA)) / (2 n)): by the
Bretagnolle-Huber-Carol inequality P(TV >= delta) <= 2^k exp(-2 n delta^2) = ALPHA / M for a correct sampler, and a
union bound over the M comparisons of a submission keeps its false-fail probability <= ALPHA = 1e-6.
"""
import argparse
import csv
import json
import math
import os
import pathlib
import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import nbformat
import numpy as np
import torch

from grading import tiny
from grading.notebook import POINTS, SAMPLERS, definitions, graded_cells

HERE = pathlib.Path(__file__).resolve().parent
ALPHA = 1e-6                       # false-fail probability per submission, for a correct sampler
DRAWS = 50_000                     # draws per row
V = 50
MEMORY = 4 * 2**30                 # address space of the worker
OUTPUT = 2**20                     # bytes the submission may print
SETUP_SECONDS = 90
CALL_SECONDS = float(os.environ.get("GRADE_CALL_SECONDS", 30))     # per call; lowered by the tests
AS_NOBODY = os.environ.get("GRADE_AS_NOBODY") == "1"   # set by the Gradescope image's run_autograder


# --- the rows the samplers are checked on (the grader's own) -----------------------------------------------------

def _permuted(values, seed):
    perm = torch.randperm(V, generator=torch.Generator().manual_seed(seed))
    out = torch.empty(V)
    out[perm] = torch.tensor(values, dtype=torch.float32)
    return out


def check_rows():
    """Named (V,) float32 rows: A random, B nearly flat, C six tokens tied at ranks 17-22 (top-k's cut at k = 20),
    D three tokens tied where top-p's mass crosses 0.7, E with 30 -inf entries."""
    a = torch.randn(V, generator=torch.Generator().manual_seed(447)) * 1.5
    e = a.clone()
    e[torch.randperm(V, generator=torch.Generator().manual_seed(448))[:30]] = -math.inf
    c = _permuted([3.0 - 0.1 * i for i in range(17)] + [1.0] * 6 + [-1.0 - 0.05 * i for i in range(27)], 449)
    d = _permuted([math.log(x) for x in [0.35, 0.2, 0.1, 0.1, 0.1] + [0.15 / 45] * 45], 450)
    return {"A": a, "B": -0.02 * torch.arange(V, dtype=torch.float32), "C": c, "D": d, "E": e}


# (function, argument name, [(value, points, label)], rows): the assignment's value and the edges it asks for.
SETTINGS = {
    "sample": (None, [(None, 3.0, "vanilla sampling")], "ABCE"),
    "temperature": ("t", [(0.8, 1.5, "t = 0.8"), (0.05, 0.75, "t = 0.05"), (20.0, 0.75, "t = 20")], "ACDE"),
    "topk": ("k", [(20, 1.5, "k = 20"), (1, 0.75, "k = 1"), (V, 0.75, f"k = |V| = {V}")], "ABCE"),
    "topp": ("p", [(0.7, 1.5, "p = 0.7"), (0.0, 0.75, "p = 0"), (1.0, 0.75, "p = 1")], "ABDE"),
}
COMPARISONS = sum(len(s[1]) * len(s[2]) for s in SETTINGS.values())      # M


def exact(row, name, value):
    """Admissible exact distributions of one row for sampler `name` at `value`, as [(label, probs, cells)]:
    probs over V tokens (float64) and cells, a (V,) map of tokens to the cells compared. By token id (a stable sort),
    and where tokens tie at the cut also: all tied tokens kept, and any choice among them (the tied tokens merged
    into one cell, compared with the by-id distribution)."""
    z = row.double() / (value if name == "temperature" else 1.0)
    probs = torch.softmax(z, -1)
    order = torch.sort(-z, stable=True).indices
    ranked = probs[order]
    rank = torch.arange(V)
    finite = torch.isfinite(z[order])
    keep = finite.clone()
    if name == "topk":
        keep &= rank < value
    elif name == "topp":
        keep &= ((ranked.cumsum(-1) - ranked) < value) | (rank == 0)
    kept = torch.zeros(V, dtype=torch.bool)
    kept[order] = keep
    byid = torch.where(kept, probs, 0.0)
    identity = torch.arange(V)
    out = [("by token id", byid / byid.sum(), identity)]
    cut = z[order][keep].min()
    tied = z == cut
    if name in ("topk", "topp") and bool((tied & ~kept).any()):
        every = torch.where(kept | tied, probs, 0.0)
        cells = identity.clone()
        cells[tied] = int(tied.nonzero()[0])
        out += [("any choice among the tied tokens", byid / byid.sum(), cells),
                ("all tied tokens kept", every / every.sum(), identity)]
    return out


def tv_bound(cells_with_mass, draws=DRAWS, comparisons=COMPARISONS, alpha=ALPHA):
    """delta with 2^k exp(-2 n delta^2) = alpha / M (the Bretagnolle-Huber-Carol inequality, union bound)."""
    return math.sqrt((cells_with_mass * math.log(2) + math.log(comparisons / alpha)) / (2 * draws))


def compare(tokens, row, name, value):
    """(passed, message) for the draws of one row: TV from each admissible distribution, against its bound."""
    counts = np.bincount(np.clip(tokens, -1, V) + 1, minlength=V + 2)
    outside = counts[0] + counts[-1]
    freq = torch.tensor(counts[1:-1], dtype=torch.float64) / len(tokens)
    best = None
    for label, probs, cells in exact(row, name, value):
        f = torch.zeros(V, dtype=torch.float64).index_add_(0, cells, freq)
        q = torch.zeros(V, dtype=torch.float64).index_add_(0, cells, probs)
        tv = 0.5 * (float((f - q).abs().sum()) + outside / len(tokens))
        delta = tv_bound(int((q > 0).sum()))
        if best is None or tv - delta < best[0] - best[1]:
            best = (tv, delta, label)
        if tv < delta:
            return True, f"TV {tv:.4f} < {delta:.4f} ({label})"
    tv, delta, label = best
    wrong = "; tokens outside [0, V) drawn" if outside else ""
    return False, f"TV {tv:.4f} >= bound {delta:.4f} from the exact distribution ({label}){wrong}"


# --- plans: the calls each graded function gets ---------------------------------------------------------------------

CONTRACT_ARGS = {"greedy": None, "sample": None, "temperature": 0.8, "topk": 4, "topp": 0.9}
GREEDY_ROWS = 64


def greedy_rows():
    rand = torch.randn(GREEDY_ROWS, V, generator=torch.Generator().manual_seed(451))
    tied = torch.zeros(4, V)
    tied[0, [3, 7, 40]] = 2.0
    tied[1, :] = -math.inf
    tied[1, [5, 9]] = 0.5
    tied[2, 30:] = -math.inf
    tied[2, 31] = 1.0
    tied[3] = -5.0
    tied[3, 49] = -1.0
    return rand, tied


def plan_calls():
    calls = []
    for name in SAMPLERS:
        for seed in (1, 2):
            calls.append({"id": f"{name}/contract{seed}", "fn": name, "kind": "sampler", "rows": [[0.0] * 8],
                          "repeat": 2000, "arg": CONTRACT_ARGS[name], "seed": seed})
    rand, tied = greedy_rows()
    calls.append({"id": "greedy/random", "fn": "greedy", "kind": "sampler", "rows": rand.tolist(), "repeat": 1,
                  "arg": None, "seed": 3})
    calls.append({"id": "greedy/ties", "fn": "greedy", "kind": "sampler", "rows": tied.tolist(), "repeat": 1,
                  "arg": None, "seed": 3})
    rows = check_rows()
    for name, (_, settings, which) in SETTINGS.items():
        for i, (value, _, _) in enumerate(settings):
            calls.append({"id": f"{name}/dist{i}", "fn": name, "kind": "sampler", "arg": value, "seed": 10 + i,
                          "rows": [[x if math.isfinite(x) else -math.inf for x in rows[r].tolist()] for r in which],
                          "repeat": DRAWS})
    for name, kind, own in (("prepare_articles_for_student_model", "student_prepare", None),
                            ("summarize_with_student_model", "student_summarize",
                             "prepare_articles_for_student_model"),
                            ("prepare_articles_teacher", "teacher_prepare", None),
                            ("summarize_with_teacher_model", "teacher_summarize", "prepare_articles_teacher"),
                            ("prepare_data_for_distillation", "distill", None)):
        calls.append({"id": f"{name}/call", "fn": name, "kind": kind, "own_prepare": own, "seed": 0})
    return calls


# --- the worker -------------------------------------------------------------------------------------------------------

def _limits(run_as_nobody):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT, OUTPUT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # a write past the limit fails instead of killing
        if run_as_nobody:
            os.setgid(65534)
            os.setgroups([])
            os.setuid(65534)
    return apply


def _reader(stream, answers):
    """Read the worker's answers (a JSON line, then the bytes of its arrays) into a queue; None at the end."""
    try:
        while True:
            line = stream.readline(10_000_000)
            if not line:
                break
            header = json.loads(line)
            arrays = []
            for spec in header.get("arrays", []):
                if spec["dtype"] != "int64" or spec["nbytes"] != 8 * math.prod(spec["shape"]):
                    raise ValueError("unexpected array")
                data = stream.read(spec["nbytes"])
                arrays.append(np.frombuffer(data, dtype=np.int64).reshape(spec["shape"]))
            answers.put((header, arrays))
    except (ValueError, json.JSONDecodeError, OSError):
        pass
    answers.put(None)


def run_submission(pieces, calls, tokenizers):
    """{call id: (header, arrays)} for each call, the worker restarted after any call that killed it or ran past
    its time limit (that call answered with an error); plus the setup errors."""
    answers, setup_errors, left = {}, [], list(calls)
    run_as_nobody = AS_NOBODY and os.geteuid() == 0
    while left:
        work = pathlib.Path(tempfile.mkdtemp(prefix="grade-"))
        plan = work / "plan.json"
        plan.write_text(json.dumps({"pieces": pieces, "calls": left, "tokenizers": str(tokenizers)}))
        if run_as_nobody:
            os.chown(work, 65534, 65534)
        read, write = os.pipe()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "HF_HUB_OFFLINE": "1",
               "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1",
               "TOKENIZERS_PARALLELISM": "false", "MPLCONFIGDIR": str(work)}
        with open(work / "output.txt", "wb") as output:
            worker = subprocess.Popen([sys.executable, str(HERE / "worker.py"), str(plan), str(write)],
                                      cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                      stderr=subprocess.STDOUT, pass_fds=(write,), start_new_session=True,
                                      preexec_fn=_limits(run_as_nobody))
        os.close(write)
        queue_ = queue.Queue()
        threading.Thread(target=_reader, args=(os.fdopen(read, "rb"), queue_), daemon=True).start()
        limit, started = SETUP_SECONDS, False
        try:
            while left:
                try:
                    item = queue_.get(timeout=limit)
                except queue.Empty:
                    item = "timeout"
                if item is None or item == "timeout":
                    why = (f"ran past its {limit} s limit" if item == "timeout" else
                           "ended its process (killed for memory, or exited)")
                    if not started:
                        setup_errors.append(["setup", f"loading the notebook's definitions {why}"])
                        for call in left:
                            answers[call["id"]] = ({"error": f"not run: loading the definitions {why}"}, [])
                        left = []
                    else:                  # this call, and the later calls of the same function, fail
                        answers[left[0]["id"]] = ({"error": f"the call {why}"}, [])
                        for call in left[1:]:
                            if call["fn"] == left[0]["fn"]:
                                answers[call["id"]] = ({"error": f"not run: an earlier call {why}"}, [])
                        left = [call for call in left[1:] if call["fn"] != left[0]["fn"]]
                    break
                header, arrays = item
                if header["id"] == "setup":
                    setup_errors += header.get("errors", [])
                    started, limit = True, CALL_SECONDS
                elif header["id"] == "done":
                    left = []
                elif left and header["id"] == left[0]["id"]:
                    answers[header["id"]] = (header, arrays)
                    left = left[1:]
        finally:
            try:
                os.killpg(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            worker.wait()
            shutil.rmtree(work, ignore_errors=True)
    return answers, setup_errors


# --- verdicts ---------------------------------------------------------------------------------------------------------

class Score:
    """Points and feedback lines of one graded function."""

    def __init__(self, name):
        self.name, self.lines, self.points = name, [], 0.0

    def add(self, points, maximum, message):
        self.points += points
        self.lines.append(f"[{points:g}/{maximum:g}] {message}")


def sampler_contract(name, answers):
    s = Score(name)
    one, _ = answers[f"{name}/contract1"]
    if "error" in one:
        s.add(0, 1, f"contract: calling {name} on a (2000, 8) batch raised {one['error']}")
        return s
    if one.get("returned") != "tensor":
        s.add(0, 1, f"contract: returned {one.get('returned')}, expected a (B,) integer torch.Tensor")
        return s
    s.add(0.25 * (one["shape"] == [2000]), 0.25, f"returns shape (B,) = (2000,): got {tuple(one['shape'])}")
    integer = one["dtype"] in ("torch.int64", "torch.int32", "torch.int16", "torch.int8", "torch.uint8")
    s.add(0.25 * integer, 0.25, f"returns integer token ids: got {one['dtype']}")
    s.add(0.25 * one["untouched"], 0.25, "leaves next_token_logits unchanged" if one["untouched"] else
          "leaves next_token_logits unchanged: the input tensor was modified in place")
    two, arrays2 = answers[f"{name}/contract2"]
    _, arrays1 = answers[f"{name}/contract1"]
    if name == "greedy":
        ok = bool(arrays1) and int(arrays1[0].min()) >= 0 and int(arrays1[0].max()) < 8
        s.add(0.25 * ok, 0.25, "token ids in [0, V)" + ("" if ok else ": got ids outside it"))
        return s
    fresh = (bool(arrays1) and bool(arrays2) and arrays1[0].shape == arrays2[0].shape
             and len(set(arrays1[0].tolist())) > 1 and not np.array_equal(arrays1[0], arrays2[0]))
    s.add(0.25 * fresh, 0.25, "rows drawn independently, new draws on every call" if fresh else
          "rows drawn independently, new draws on every call: 2000 uniform rows all got the same token, or two "
          "calls under different seeds returned the same draws (one draw shared by the batch, or a reseeded "
          "generator)")
    return s


def grade_greedy(answers):
    s = sampler_contract("greedy", answers)
    rand, tied = greedy_rows()
    for key, rows, points, what in (("random", rand, 2.0, f"argmax of {GREEDY_ROWS} random rows"),
                                    ("ties", tied, 1.0, "argmax of rows with ties at the top and -inf entries")):
        header, arrays = answers[f"greedy/{key}"]
        if "error" in header or not arrays or arrays[0].size != len(rows):     # (B, 1) is read as (B,)
            got = header.get("error") or f"shape {header.get('shape')}, dtype {header.get('dtype')}"
            s.add(0, points, f"{what}: {got}")
            continue
        best = rows.max(-1, keepdim=True).values
        ok = [0 <= t < V and bool(rows[i, t] == best[i, 0]) for i, t in enumerate(arrays[0].reshape(-1).tolist())]
        bad = [i for i, x in enumerate(ok) if not x]
        s.add(points * sum(ok) / len(ok), points, f"{what}: {sum(ok)}/{len(ok)} right (any maximal token counts)"
              + (f"; row {bad[0]}: expected one of {torch.nonzero(rows[bad[0]] == best[bad[0], 0]).flatten().tolist()},"
                 f" got {arrays[0].reshape(-1)[bad[0]]}" if bad else ""))
    return s


def grade_distribution(name, answers):
    s = sampler_contract(name, answers)
    _, settings, which = SETTINGS[name]
    rows = check_rows()
    for i, (value, points, label) in enumerate(settings):
        header, arrays = answers[f"{name}/dist{i}"]
        n = len(which) * DRAWS
        if "error" in header or not arrays or arrays[0].size != n:             # (B, 1) is read as (B,)
            got = header.get("error") or (f"returned {header.get('returned')}, shape {header.get('shape')}, "
                                          f"dtype {header.get('dtype')}")
            s.add(0, points, f"{label}: expected ({n},) integer tokens: {got}")
            continue
        draws = arrays[0].reshape(len(which), DRAWS)
        results = [compare(draws[j], rows[r], name, value) for j, r in enumerate(which)]
        passed = sum(ok for ok, _ in results)
        detail = "; ".join(f"row {r}: {'pass' if ok else 'FAIL'}, {msg}" for r, (ok, msg) in zip(which, results))
        s.add(points * passed / len(which), points, f"{label}, {DRAWS} draws per row, distribution of "
              f"{passed}/{len(which)} rows matches the exact one: {detail}")
    return s


def _rows(value):
    """Token-id rows of a returned tensor or list of lists (None if neither)."""
    if isinstance(value, dict) and "__tensor__" in value:
        value = value["data"]
    if isinstance(value, list) and all(isinstance(r, list) and all(isinstance(x, int) for x in r) for r in value):
        return value
    return None


def _field(value, key):
    if isinstance(value, dict) and "__dict__" in value:
        return value["__dict__"].get(key)
    return None


def student_prompts(tokenizer):
    """Accepted token ids of each article's student prompt: "<article>\\nTL;DR:" tokenised whole or in two parts."""
    out = []
    for article in tiny.ARTICLES:
        variants = set()
        for a in (article, article.strip()):
            variants.add(tuple(tokenizer(a + tiny.TLDR, add_special_tokens=False)["input_ids"]))
            variants.add(tuple(tokenizer(a, add_special_tokens=False)["input_ids"]
                               + tokenizer(tiny.TLDR, add_special_tokens=False)["input_ids"]))
        out.append(variants)
    return out


def _attended(ids, mask):
    return [[t for t, m in zip(r, mr) if m] for r, mr in zip(ids, mask)] if mask else [list(r) for r in ids]


def _shown(value, limit=300):
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _call(s, answers, what="3 articles"):
    """The header of the one call made to s's function; None, with all its points lost, if the call raised."""
    header, _ = answers[f"{s.name}/call"]
    if "error" in header:
        s.add(0, POINTS[s.name], f"calling it on {what} raised {header['error']}")
        return None
    return header


def grade_student_prepare(answers, tokenizers):
    s = Score("prepare_articles_for_student_model")
    header = _call(s, answers)
    if header is None:
        return s
    value = header["value"]
    ids, mask = _rows(_field(value, "input_ids")), _rows(_field(value, "attention_mask"))
    shaped = ids is not None and mask is not None and len(ids) == 3 and all(
        len(r) == len(ids[0]) for r in ids + mask)
    s.add(0.25 * shaped, 0.25, "returns input_ids and attention_mask as (B, L) batches" if shaped else
          f"expected a dict with input_ids and attention_mask, (3, L) each; got {_shown(value)}")
    if not shaped:
        s.add(0, 0.75, "prompt tokens and padding: not checked without input_ids and attention_mask")
        return s
    tokenizer = tiny.load_tokenizer(tokenizers, "student")
    expected = student_prompts(tokenizer)
    got = _attended(ids, mask)
    right = [tuple(g) in e for g, e in zip(got, expected)]
    s.add(0.5 * sum(right) / 3, 0.5, f'"<article>\\nTL;DR:" tokenised: {sum(right)}/3 rows right'
          + ("" if all(right) else f"; row {right.index(False)} decodes to "
             f"{tokenizer.decode(got[right.index(False)])!r}, expected "
             f"{tiny.ARTICLES[right.index(False)] + tiny.TLDR!r}"))
    pad = all(t == tokenizer.pad_token_id for r, mr in zip(ids, mask) for t, m in zip(r, mr) if not m)
    ones = all(set(m) <= {0, 1} for m in mask)
    s.add(0.25 * (pad and ones), 0.25, "padding with the pad token, attention_mask 0 on it and 1 elsewhere"
          + ("" if pad and ones else f": mask {mask}"))
    return s


def _generate_rows(calls):
    """(article index, attended prompt ids, left padded, settings) of every row passed to generate."""
    out = []
    for call in calls:
        mask = call["attention_mask"]
        for r, row in enumerate(call["input_ids"]):
            m = mask[r] if mask else [1] * len(row)
            left = bool(m) and m[-1] == 1
            out.append((call["articles"][r], [t for t, k in zip(row, m) if k], left, call["settings"],
                        call["answers"][r]))
    return out


def _own_prompt_rows(own, tokenizer):
    """The submission's own prompts as token-id rows (from a dict with input_ids, or strings)."""
    ids, mask = _rows(_field(own, "input_ids")), _rows(_field(own, "attention_mask"))
    if ids is not None:
        return [tuple(r) for r in _attended(ids, mask)]
    if isinstance(own, list) and all(isinstance(x, str) for x in own):
        return [tuple(tokenizer(x, add_special_tokens=False)["input_ids"]) for x in own]
    return []


def grade_summarize(name, answers, tokenizers, which):
    s = Score(name)
    header = _call(s, answers)
    if header is None:
        return s
    tokenizer = tiny.load_tokenizer(tokenizers, which)
    rows = _generate_rows(header["generate_calls"])
    own = set(_own_prompt_rows(header.get("own_prepare"), tokenizer))
    if which == "student":
        accepted = [e | own for e in student_prompts(tokenizer)]
    else:
        accepted = [{tuple(tokenizer(p, add_special_tokens=False)["input_ids"])} | own for p in teacher_prompts()]
    seen = {row[0] for row in rows}
    right = [row for row in rows if row[0] >= 0 and tuple(row[1]) in accepted[row[0]]]
    prompt_ok = bool(rows) and len(right) == len(rows) and seen == {0, 1, 2}
    what = ('"<article>\\nTL;DR:"' if which == "student" else
            "the chat prompts (system prompt, instruction, article, suffix; or those of your "
            "prepare_articles_teacher)")
    s.add(0.25 * prompt_ok, 0.25, f"model.generate gets {what} for every article" + (
        "" if prompt_ok else f"; got {len(rows)} rows, {len(right)} right, articles seen {sorted(seen)}"
        + (f"; a row decodes to {tokenizer.decode(rows[0][1])!r}" if rows else "")))
    left = bool(rows) and all(row[2] for row in rows)
    s.add(0.25 * left, 0.25, "batches left-padded with an attention_mask, so generation continues each prompt"
          + ("" if left else ": the last position of a row was padding, or no attention_mask was passed"))
    if which == "student":
        settings = rows[0][3] if rows else {}
        sampled = bool(rows) and all(r[3].get("do_sample") is True and isinstance(r[3].get("top_p"), (int, float))
                                     and 0 < r[3]["top_p"] < 1 for r in rows)
        s.add(0.5 * sampled, 0.5, "top-p sampling through generate (do_sample=True, 0 < top_p < 1)"
              + ("" if sampled else f": generate got {_shown(settings)}"))
        expected = [t.strip() for t in (" " + x for x in tiny.SUMMARIES)]
        how = "the generated text only (no prompt), one per article in order"
    else:
        expected = list(tiny.SUMMARIES)
        how = 'the text after "TL;DR:" in each response, one per article in order'
    value = header["value"]
    got = value if isinstance(value, list) and all(isinstance(x, str) for x in value) else None
    maximum = POINTS[name] - s_max(s)
    if got is None or len(got) != 3:
        s.add(0, maximum, f"returns {how}: expected a list of 3 strings, got {_shown(value)}")
        return s
    ok = [g.strip() == e for g, e in zip(got, expected)]
    s.add(maximum * sum(ok) / 3, maximum, f"returns {how}: {sum(ok)}/3 right" + (
        "" if all(ok) else f"; the model answered {tokenizer.decode(rows[0][4]) if rows else ''!r}, expected "
        f"{expected}, got {got}"))
    return s


def s_max(score):
    return sum(float(line.split("/")[1].split("]")[0]) for line in score.lines)


def teacher_prompts():
    return [f"<|im_start|>system\n{tiny.SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n{tiny.INSTRUCTION}\n\n{a}\n\n"
            f"{tiny.SUFFIX}<|im_end|>\n<|im_start|>assistant\n" for a in tiny.ARTICLES]


def grade_teacher_prepare(answers, tokenizers):
    import re
    s = Score("prepare_articles_teacher")
    header = _call(s, answers)
    if header is None:
        return s
    tokenizer = tiny.load_tokenizer(tokenizers, "teacher")
    value = header["value"]
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        texts = value
    else:
        ids = _rows(_field(value, "input_ids")) or _rows(value)
        texts = [tokenizer.decode(r) for r in _attended(ids, _rows(_field(value, "attention_mask")))] if ids else None
    if not texts or len(texts) != 3:
        s.add(0, 1, f"expected 3 prompts (strings, or token ids); got {_shown(value)}")
        return s
    pattern = re.compile(r"<\|im_start\|>system\n(.*?)<\|im_end\|>\n<\|im_start\|>user\n(.*?)<\|im_end\|>\n"
                         r"<\|im_start\|>assistant\n", re.DOTALL)
    found = [pattern.fullmatch(t.replace("<|endoftext|>", "")) for t in texts]
    template = all(found)
    s.add(0.25 * template, 0.25, "rendered by the chat template: a system turn, one user turn, the generation prompt"
          + ("" if template else f"; got {texts[0][:300]!r}"))
    if not template:
        s.add(0, 0.75, "system prompt, instruction, article and suffix: not checked without the chat template")
        return s
    system = all(m.group(1).strip() == tiny.SYSTEM_PROMPT for m in found)
    s.add(0.25 * system, 0.25, f"system prompt {tiny.SYSTEM_PROMPT!r}" + ("" if system else
                                                                          f"; got {found[0].group(1)!r}"))
    users = [m.group(2) for m in found]
    order = [u.find(tiny.INSTRUCTION) < u.find(a.strip()) < u.rfind(tiny.SUFFIX) and tiny.INSTRUCTION in u
             for u, a in zip(users, tiny.ARTICLES)]
    s.add(0.5 * sum(order) / 3, 0.5, f"user turn: {tiny.INSTRUCTION!r}, the article, {tiny.SUFFIX!r} in that order: "
          f"{sum(order)}/3 right" + ("" if all(order) else f"; got {users[order.index(False)]!r}"))
    return s


def grade_distill(answers, tokenizers):
    s = Score("prepare_data_for_distillation")
    header = _call(s, answers, "3 articles and summaries")
    if header is None:
        return s
    value = header["value"]
    examples = None
    if isinstance(value, list) and len(value) == 3:
        examples = [(_field(v, "input_ids"), _field(v, "labels"), _field(v, "attention_mask")) for v in value]
        examples = [(i["data"] if isinstance(i, dict) else i, l["data"] if isinstance(l, dict) else l,
                     m["data"] if isinstance(m, dict) else m) for i, l, m in examples]
    elif _rows(_field(value, "input_ids")) is not None and _rows(_field(value, "labels")) is not None:
        ids, labels = _rows(_field(value, "input_ids")), _rows(_field(value, "labels"))
        mask = _rows(_field(value, "attention_mask")) or [[1] * len(r) for r in ids]
        examples = list(zip(ids, labels, mask))
    shaped = examples is not None and len(examples) == 3 and all(
        isinstance(i, list) and isinstance(l, list) and len(i) == len(l) for i, l, _ in examples)
    s.add(0.5 * shaped, 0.5, "one example per article with input_ids and labels of equal length" + (
        "" if shaped else f"; got {_shown(value)}"))
    if not shaped:
        s.add(0, 2.0, "text, labels: not checked without input_ids and labels")
        return s
    tokenizer = tiny.load_tokenizer(tokenizers, "student")
    prompts = student_prompts(tokenizer)
    text_ok = masked = copied = 0
    notes = []
    for j, (ids, labels, mask) in enumerate(examples):
        keep = [k for k, m in enumerate(mask or [1] * len(ids)) if m]
        ids, labels = [ids[k] for k in keep], [labels[k] for k in keep]
        n = next((len(p) for p in prompts[j] if tuple(ids[:len(p)]) == p), None)
        rest = tokenizer.decode(ids[n:], skip_special_tokens=True).strip() if n is not None else None
        if n is not None and rest == tiny.SUMMARIES[j]:
            text_ok += 1
        else:
            notes.append(f"example {j} reads {tokenizer.decode(ids)!r}, expected "
                         f"{tiny.ARTICLES[j] + tiny.TLDR + ' ' + tiny.SUMMARIES[j]!r} (then EOS)")
        if n is None:
            continue
        if all(x == -100 for x in labels[:n]):
            masked += 1
        else:
            notes.append(f"example {j}: labels on the prompt are {labels[:n][:12]}..., expected -100")
        if labels[n:] == ids[n:] and n < len(ids):
            copied += 1
        else:
            notes.append(f"example {j}: labels on the summary {labels[n:]} != its input_ids {ids[n:]}")
    s.add(0.75 * text_ok / 3, 0.75, f'input_ids read "<article>\\nTL;DR:<summary>": {text_ok}/3')
    s.add(0.75 * masked / 3, 0.75, f"labels -100 on every prompt token: {masked}/3")
    s.add(0.5 * copied / 3, 0.5, f"labels equal input_ids on the summary tokens: {copied}/3")
    s.lines += notes[:4]
    return s


# --- one submission, a folder ---------------------------------------------------------------------------------------

def grade_notebook(path, tokenizers):
    """{name: Score} for one notebook file (never raises for a bad submission)."""
    scores = {}
    try:
        nb = nbformat.read(str(path), as_version=4)
        cells, pieces = graded_cells(nb), definitions(nb)
    except Exception as error:                                    # noqa: BLE001
        for name in POINTS:
            scores[name] = Score(name)
            scores[name].add(0, POINTS[name], f"the notebook could not be read: {type(error).__name__}: {error}")
        return scores
    answers, setup_errors = run_submission(pieces, plan_calls(), tokenizers)
    graders = {"greedy": lambda: grade_greedy(answers),
               **{n: (lambda n=n: grade_distribution(n, answers)) for n in SAMPLERS if n != "greedy"},
               "prepare_articles_for_student_model": lambda: grade_student_prepare(answers, tokenizers),
               "summarize_with_student_model": lambda: grade_summarize("summarize_with_student_model", answers,
                                                                       tokenizers, "student"),
               "prepare_articles_teacher": lambda: grade_teacher_prepare(answers, tokenizers),
               "summarize_with_teacher_model": lambda: grade_summarize("summarize_with_teacher_model", answers,
                                                                       tokenizers, "teacher"),
               "prepare_data_for_distillation": lambda: grade_distill(answers, tokenizers)}
    for name in POINTS:
        ids = [k for k in answers if k.startswith(name + "/")]
        headers = [answers[k][0] for k in ids]
        if name not in cells:
            why = "no cell defines it"
        elif cells[name][1]:
            why = cells[name][1]
        elif all(h.get("not_implemented") for h in headers):
            why = "it raises NotImplementedError (not implemented yet)"
        elif all("is not defined" in h.get("error", "") for h in headers):
            why = "it is not defined after its cell runs: " + "; ".join(f"{c}: {e}" for c, e in setup_errors)
        else:
            why = None
        if why:
            scores[name] = Score(name)
            scores[name].add(0, POINTS[name], f"{name}: {why}")
            continue
        try:
            scores[name] = graders[name]()
        except Exception as error:                                # noqa: BLE001  (a result nobody expected)
            scores[name] = Score(name)
            scores[name].add(0, POINTS[name], f"could not be graded: {type(error).__name__}: {error}")
        scores[name].points = round(min(scores[name].points, POINTS[name]), 4)
    return scores


def results_json(scores, seconds):
    """Gradescope's results.json: one test per graded function."""
    return {"score": round(sum(s.points for s in scores.values()), 4), "execution_time": round(seconds, 1),
            "output": "Code points of Parts 1.1 and 1.2, graded from the functions alone (the notebook is not run).",
            "tests": [{"name": name, "score": scores[name].points, "max_score": POINTS[name],
                       "output": "\n".join(scores[name].lines), "visibility": "visible"} for name in POINTS]}


def grade_file(path, out, tokenizers):
    began = time.perf_counter()
    scores = grade_notebook(path, tokenizers)
    result = results_json(scores, time.perf_counter() - began)
    pathlib.Path(out).write_text(json.dumps(result, indent=2) + "\n")
    return result


def grade_folder(folder, tokenizers):
    """Grade every .ipynb of `folder`: <name>.results.json beside each, and grades.csv."""
    folder = pathlib.Path(folder)
    rows = []
    for path in sorted(folder.glob("*.ipynb")):
        result = grade_file(path, path.with_suffix(".results.json"), tokenizers)
        row = {"submission": path.name, "total": result["score"]}
        row.update({t["name"]: t["score"] for t in result["tests"]})
        rows.append(row)
        print(f"{path.name}: {result['score']:g} / {sum(POINTS.values()):g} ({result['execution_time']} s)")
    with open(folder / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["submission", "total", *POINTS])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?")
    parser.add_argument("--results", default="results.json")
    parser.add_argument("--folder")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="grade-tokenizers-") as folder:
        tokenizers = tiny.write_tokenizers(folder)
        os.chmod(folder, 0o755)
        if args.folder:
            grade_folder(args.folder, tokenizers)
        else:
            result = grade_file(args.notebook, args.results, tokenizers)
            print(f"{args.notebook}: {result['score']:g} / {sum(POINTS.values()):g}")


if __name__ == "__main__":
    main()
