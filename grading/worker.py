"""Runs a submission's definitions and calls its graded functions, in a process of its own (started by
grading.grader, which set its limits: memory, file size, time). It answers each call with what the function returned,
as JSON and raw arrays on the pipe whose descriptor it is given; it judges nothing: the grader does.

    python grading/worker.py PLAN.json FD
"""
import io
import json
import os
import socket
import sys
import traceback

PLAN, FD = sys.argv[1], int(sys.argv[2])
OUT = os.fdopen(FD, "wb", buffering=0)


def reply(header, arrays=()):
    """One answer: a JSON line (with each array's dtype, shape and byte count), then the arrays' bytes."""
    header = dict(header, arrays=[{"dtype": str(a.dtype), "shape": list(a.shape), "nbytes": a.nbytes}
                                  for a in arrays])
    OUT.write(json.dumps(header).encode() + b"\n")
    for a in arrays:
        OUT.write(a.tobytes())


def _no_network(*args, **kwargs):
    raise OSError("no network while grading")


socket.socket.connect = _no_network
socket.socket.connect_ex = _no_network
socket.create_connection = _no_network
socket.getaddrinfo = _no_network

import numpy as np       # noqa: E402  (after the network is closed)
import torch             # noqa: E402

torch.set_num_threads(1)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from grading import tiny  # noqa: E402


def describe(error):
    """`Type: message` of an exception, with the line of the submission's code it came from."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("cell ")]
    where = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    text = str(error)
    return f"{type(error).__name__}: {text[:500]}{where}" if text else f"{type(error).__name__}{where}"


def encode(value, depth=0):
    """A JSON-safe picture of what a function returned (tensors as dtype, shape and values)."""
    if depth > 6:
        return {"__object__": type(value).__name__}
    if torch.is_tensor(value) or isinstance(value, np.ndarray):
        array = value.detach().cpu() if torch.is_tensor(value) else value
        if (array.numel() if torch.is_tensor(array) else array.size) > 1_000_000:
            return {"__object__": "tensor too large"}
        return {"__tensor__": str(array.dtype), "shape": list(array.shape), "data": array.tolist()}
    if isinstance(value, dict) or hasattr(value, "keys") and hasattr(value, "__getitem__"):
        return {"__dict__": {str(k): encode(value[k], depth + 1) for k in list(value.keys())[:100]}}
    if isinstance(value, (list, tuple)):
        return [encode(v, depth + 1) for v in list(value)[:10_000]]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value if not isinstance(value, str) else value[:100_000]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return {"__object__": type(value).__name__}


# The grader's own decoding functions, bound in place of the submission's other graded samplers while one is called
# (the reference's temperature calls sample, for one): a bug is charged to the function that has it, once.
def _draw(probs):
    return torch.multinomial(probs, 1).squeeze(-1)


def _greedy(z):
    return z.argmax(-1)


def _sample(z):
    return _draw(torch.softmax(z.double(), -1))


def _temperature(z, t):
    return _sample(z.double() / t)


def _topk(z, k):
    values, ids = torch.topk(z.double(), min(int(k), z.shape[-1]), dim=-1)
    return ids.gather(-1, _draw(torch.softmax(values, -1)).unsqueeze(-1)).squeeze(-1)


def _topp(z, p):
    probs = torch.softmax(z.double(), -1)
    ranked, order = torch.sort(probs, dim=-1, descending=True, stable=True)
    keep = (ranked.cumsum(-1) - ranked < p) | (torch.arange(z.shape[-1]) == 0)
    return order.gather(-1, _draw(ranked * keep).unsqueeze(-1)).squeeze(-1)


SUBSTITUTES = {"greedy": _greedy, "sample": _sample, "temperature": _temperature, "topk": _topk, "topp": _topp}


def sampler_call(ns, fn, call):
    """sampler_call_alone with the other graded samplers bound to the grader's own for the call."""
    saved = {name: ns[name] for name in SUBSTITUTES if name in ns and name != call["fn"]}
    ns.update({name: SUBSTITUTES[name] for name in saved})
    try:
        return sampler_call_alone(fn, call)
    finally:
        ns.update(saved)


def sampler_call_alone(fn, call):
    """fn(logits[, arg]) on the call's rows, each repeated `repeat` times: the tokens it returned."""
    x = torch.tensor(call["rows"], dtype=torch.float32).repeat_interleave(call["repeat"], dim=0)
    before = x.clone()
    out = fn(x) if call["arg"] is None else fn(x, call["arg"])
    untouched = bool(torch.equal(before, x))
    if not torch.is_tensor(out):
        return {"returned": type(out).__name__, "untouched": untouched}, ()
    out = out.detach().cpu()
    header = {"returned": "tensor", "dtype": str(out.dtype), "shape": list(out.shape), "untouched": untouched}
    if out.is_floating_point() or out.is_complex() or out.dtype == torch.bool or out.numel() > 10_000_000:
        return header, ()
    return header, (out.to(torch.int64).numpy(),)


class Scripted:
    """model.generate replaced: the real generate runs with the same arguments (2 new tokens), so arguments it
    rejects raise as they would; what comes back is each prompt followed by a scripted answer for its article."""

    def __init__(self, model, tokenizer, answer):
        self.model, self.tokenizer, self.answer, self.calls = model, tokenizer, answer, []
        self.real = model.generate

    def __call__(self, *args, **kwargs):
        input_ids = kwargs.get("input_ids", kwargs.get("inputs", args[0] if args else None))
        mask = kwargs.get("attention_mask")
        self.real(*args, **dict(kwargs, max_new_tokens=2))
        texts = self.tokenizer.batch_decode(input_ids, skip_special_tokens=True)
        rows = [next((j for j, a in enumerate(tiny.ARTICLES) if a in text), -1) for text in texts]
        answers = [self.tokenizer(self.answer(j), add_special_tokens=False)["input_ids"]
                   + [self.tokenizer.eos_token_id] for j in rows]
        width = max(map(len, answers))
        pad = self.tokenizer.pad_token_id
        new = torch.tensor([a + [pad] * (width - len(a)) for a in answers], dtype=torch.long)
        self.calls.append({"settings": {k: encode(v) for k, v in kwargs.items()
                                        if k not in ("input_ids", "inputs", "attention_mask")},
                           "input_ids": torch.as_tensor(input_ids).tolist(),
                           "attention_mask": None if mask is None else torch.as_tensor(mask).tolist(),
                           "articles": rows, "answers": answers})
        return torch.cat([torch.as_tensor(input_ids).cpu(), new], dim=1)


def student_answer(j):
    return " " + (tiny.SUMMARIES[j] if j >= 0 else "No article.")


def teacher_answer(j):
    return "Here is a short summary.\nTL;DR: " + (tiny.SUMMARIES[j] if j >= 0 else "No article.")


def part2_call(ns, fn, call, folder):
    kind = call["kind"]
    which = "teacher" if "teacher" in kind else "student"
    tokenizer = tiny.load_tokenizer(folder, which)
    if kind in ("student_prepare", "teacher_prepare"):
        return {"value": encode(fn(list(tiny.ARTICLES), tokenizer))}, ()
    if kind == "distill":
        return {"value": encode(fn(list(tiny.ARTICLES), list(tiny.SUMMARIES), tokenizer))}, ()
    model = tiny.student_model(tokenizer) if which == "student" else tiny.teacher_model(tokenizer)
    own, own_name = None, call["own_prepare"]
    try:                                       # the submission's own prompts (the summariser may use them)
        own = encode(ns[own_name](list(tiny.ARTICLES), tokenizer))
    except BaseException:                      # noqa: BLE001  (any failure: compared with the grader's only)
        pass
    scripted = Scripted(model, tokenizer, student_answer if which == "student" else teacher_answer)
    model.generate = scripted
    value = fn(list(tiny.ARTICLES), model, tokenizer)
    return {"value": encode(value), "generate_calls": scripted.calls, "own_prepare": own}, ()


def fresh_output():
    """Empty the output file and point print at it again, so each call has OUTPUT bytes to print (a call that
    printed without end fails, the next one does not)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        os.ftruncate(1, 0)
        os.lseek(1, 0, os.SEEK_SET)
    except OSError:
        pass
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True)


def main():
    plan = json.loads(open(PLAN).read())
    ns = {"__name__": "submission"}
    errors = []
    for label, source in plan["pieces"]:
        try:
            exec(compile(source, label, "exec"), ns)
        except BaseException as error:        # noqa: BLE001  (SystemExit and KeyboardInterrupt too)
            errors.append([label, describe(error)])
    reply({"id": "setup", "errors": errors})
    for call in plan["calls"]:
        fn = ns.get(call["fn"])
        if not callable(fn):
            reply({"id": call["id"], "error": f"{call['fn']} is not defined"})
            continue
        fresh_output()
        torch.manual_seed(call["seed"])
        np.random.seed(call["seed"] % 2**32)
        try:
            if call["kind"] == "sampler":
                header, arrays = sampler_call(ns, fn, call)
            else:
                header, arrays = part2_call(ns, fn, call, plan["tokenizers"])
        except BaseException as error:        # noqa: BLE001
            header, arrays = {"error": describe(error),
                              "not_implemented": isinstance(error, NotImplementedError)}, ()
        try:
            json.dumps(header)
        except (TypeError, ValueError) as error:
            header, arrays = {"error": f"the result could not be read: {error}"}, ()
        reply(dict(header, id=call["id"]), arrays)
    reply({"id": "done"})


main()
