"""The five samplers read as the assignment's answer key, and never make the host wait for the device more than once.

* Size: the five graded samplers together with every notebook function they reach (each counted once) take at most
  80 code lines, top-p with its own at most 55 (code lines: not blank, not a comment, not a docstring).
* Host syncs: on CUDA, `.item()` / `bool(t)`, `nonzero()`, `masked_select` and indexing with a boolean mask each make
  the host wait for the GPU. A TorchDispatchMode counts those operations per call on a CPU (the same ATen calls run on
  CUDA): at most one per call (the check that names bad rows), at the assignment's values and at the sweeps' edges.
"""
import ast
import inspect
import math

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from notebook import code_cells

SAMPLERS = ("greedy", "sample", "temperature", "topk", "topp")


def notebook_functions():
    """{name: ast.FunctionDef} of every function the notebook's "defs" cells define at top level."""
    functions = {}
    for source in code_cells("defs"):
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                functions[node.name] = node
    return functions


def reached(name, functions, seen=None):
    """`name` and every notebook function it calls or names, transitively."""
    seen = set() if seen is None else seen
    if name in seen:
        return seen
    seen.add(name)
    for node in ast.walk(functions[name]):
        if isinstance(node, ast.Name) and node.id in functions:
            reached(node.id, functions, seen)
    return seen


def code_lines(function):
    """Lines of a function that hold code: its docstring, comment-only and blank lines not counted."""
    lines = set()
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    lines.add(function.lineno)                                  # the def line
    for statement in body:
        for node in ast.walk(statement):
            if hasattr(node, "lineno"):
                lines.update(range(node.lineno, node.end_lineno + 1))
    for decorator in function.decorator_list:
        lines.update(range(decorator.lineno, decorator.end_lineno + 1))
    return len(lines)


def test_code_lines_of_the_samplers_and_their_helpers():
    functions = notebook_functions()
    every = set().union(*(reached(name, functions) for name in SAMPLERS))
    total = sum(code_lines(functions[name]) for name in every)
    topp = sum(code_lines(functions[name]) for name in reached("topp", functions))
    print({name: code_lines(functions[name]) for name in sorted(every)}, total, topp)
    assert total <= 80, f"the samplers and the helpers they reach take {total} code lines ({sorted(every)})"
    assert topp <= 55, f"topp and its helpers take {topp} code lines"


def test_code_lines_counts_what_it_should():
    """The counter itself: docstring, comments and blank lines are not code; a continued line counts each line."""
    source = inspect.cleandoc('''
        def f(x):
            """Doc
            string."""
            # a comment

            y = (x +
                 1)          # two lines
            return y
        ''')
    assert code_lines(ast.parse(source).body[0]) == 4


SYNC_OPS = {"aten::_local_scalar_dense", "aten::nonzero", "aten::masked_select", "aten::item", "aten::is_nonzero"}


class CountSyncs(TorchDispatchMode):
    """Counts the ATen calls that make the host wait for the device: .item()/bool() (_local_scalar_dense), nonzero,
    masked_select, and index / index_put with a boolean index."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func._schema.name
        if name in SYNC_OPS:
            self.calls.append(name)
        elif name in ("aten::index", "aten::index_put", "aten::index_put_", "aten::_index_put_impl_"):
            indices = args[1] if len(args) > 1 else ()
            if any(torch.is_tensor(i) and i.dtype == torch.bool for i in indices or ()):
                self.calls.append(name + " (boolean mask)")
        return func(*args, **(kwargs or {}))


def zipf_logits(rows=16, vocab=5000, seed=0):
    gen = torch.Generator().manual_seed(seed)
    ranks = torch.stack([torch.randperm(vocab, generator=gen) for _ in range(rows)]).float() + 1
    return -1.1 * torch.log(ranks)


# The assignment's values (t = 0.8, k = 20, p = 0.7) and the sweeps' grids with their edges.
CALLS = ([("greedy", None), ("sample", None)]
         + [("temperature", t) for t in (0.8, 0.3, 0.5, 1.0, 1.5, 1e-30, 1e6)]
         + [("topk", k) for k in (20, 1, 5, 100, 5000, 10 ** 6)]
         + [("topp", p) for p in (0.7, 0.0, 0.3, 0.5, 0.9, 1.0)])


@pytest.mark.parametrize("method,value", CALLS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_at_most_one_host_sync_per_call(nb, method, value, dtype):
    logits = zipf_logits().to(dtype)
    logits[3, :100] = -math.inf                                    # -inf entries are legal
    sampler = getattr(nb, method)
    args = (logits,) if value is None else (logits, value)
    with CountSyncs() as counter:
        tokens = sampler(*args)
    assert tokens.shape == (16,) and tokens.dtype == torch.long
    assert len(counter.calls) <= 1, f"{method}({value}) synced {len(counter.calls)} times: {counter.calls}"


def test_the_sync_counter_sees_what_it_must(nb):
    """The counter itself: it counts .item(), nonzero, masked_select and boolean-mask indexing, and not a plain
    sampler-like sequence of tensor ops; a sampler written with torch.multinomial's check-free path is not needed."""
    x = torch.randn(4, 10)
    with CountSyncs() as counter:
        x.sum().item()
        bool(x.max() > 0)
        (x > 0).nonzero()
        x[x > 0]
        x.masked_select(x > 0)
        torch.softmax(x, -1).cumsum(-1)
    assert len(counter.calls) == 5, counter.calls
