"""Exactness of the five samplers, checked with the notebook's own check_sampler and textbook_probs (the check each
demo cell runs), and proof that the check catches wrong samplers.

Each check draws 20,000 tokens per row of a small logit matrix and compares the frequencies with the exact
distribution by total variation (TV) against the bound 0.03 (a correct sampler's expected TV over V <= 8 tokens is
about 0.5 * sqrt(2 V / (pi N)) ~= 0.011). Rows cover a peaked, a flat, a tied (ties at the cut) and a -inf row, a
single finite logit, and fp16 / bf16 input. Deliberately wrong samplers (nucleus one token short, nucleus taken from
the least probable side, temperature applied twice, top-k ties broken the wrong way, vanilla sampling for top-k) must
fail the same check. textbook_probs itself is compared with a plain-Python loop over the sorted probabilities.
"""
import math

import numpy as np
import pytest
import torch

ROWS = torch.tensor([[3.0, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, -2.0],          # peaked
                     [0.0] * 8,                                           # flat
                     [2.0, 1.0, 0.0, 1.0, -1.0, 1.0, 0.0, -3.0],          # ties at places 2-4 and 5-6
                     [-math.inf, 1.0, 0.5, -math.inf, 0.0, 2.0, -math.inf, 1.0],
                     [-math.inf] * 5 + [0.3] + [-math.inf] * 2])          # a single finite logit


def loop_reference(row, t=1.0, k=None, p=None):
    """The definitions written as a loop: probabilities in float64, tokens in order of (probability desc, id asc)."""
    z = np.array(row, dtype=np.float64) / t
    probs = np.exp(z - z.max())
    probs /= probs.sum()
    order = sorted(range(len(probs)), key=lambda i: (-probs[i], i))
    kept, mass = [], 0.0
    for rank, i in enumerate(order):
        if k is not None and rank >= k:
            break
        if p is not None and rank > 0 and mass >= p:
            break
        kept.append(i)
        mass += probs[i]
    out = np.zeros_like(probs)
    out[kept] = probs[kept]
    return out / out.sum()


@pytest.mark.parametrize("kw", [{}, {"t": 0.3}, {"t": 2.0}, {"k": 1}, {"k": 2}, {"k": 3}, {"k": 8}, {"p": 0.0},
                                {"p": 0.3}, {"p": 0.7}, {"p": 0.99}, {"p": 1.0}])
def test_textbook_probs_is_the_loop_definition(nb, kw):
    exact = nb.textbook_probs(ROWS, **kw)
    for row, got in zip(ROWS.tolist(), exact):
        assert np.allclose(got.numpy(), loop_reference(row, **kw), atol=1e-12)


CASES = [("sample", None, {}), ("temperature", 0.1, {"t": 0.1}), ("temperature", 0.8, {"t": 0.8}),
         ("temperature", 1.0, {"t": 1.0}), ("temperature", 10.0, {"t": 10.0}),
         ("topk", 1, {"k": 1}), ("topk", 2, {"k": 2}), ("topk", 3, {"k": 3}), ("topk", 5, {"k": 5}),
         ("topk", 8, {"k": 8}), ("topp", 0.0, {"p": 0.0}), ("topp", 0.3, {"p": 0.3}), ("topp", 0.5, {"p": 0.5}),
         ("topp", 0.7, {"p": 0.7}), ("topp", 0.9, {"p": 0.9}), ("topp", 0.99, {"p": 0.99}), ("topp", 1.0, {"p": 1.0})]


def sampler(nb, method, value):
    return nb.sample if value is None else (lambda z: getattr(nb, method)(z, value))


@pytest.mark.parametrize("method,value,kw", CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_every_sampler_draws_its_exact_distribution(nb, method, value, kw, dtype):
    logits = ROWS.to(dtype)
    exact = nb.textbook_probs(logits.float(), **kw)
    assert nb.check_sampler(f"{method} {kw} {dtype}", sampler(nb, method, value), logits, exact)


def zipf_and_flat_rows():
    """A flat row and a Zipf-like row over V = 300 > TOPP_CANDIDATES + 1 tokens."""
    gen = torch.Generator().manual_seed(0)
    zipf = -1.1 * torch.log(torch.randperm(300, generator=gen).double() + 1)
    return torch.stack([torch.zeros(300, dtype=torch.float64), zipf]).float()


def test_topp_candidates_and_rejection_paths_on_a_larger_vocabulary(nb):
    """V = 300 > TOPP_CANDIDATES + 1: a flat row (every token tied, the cut inside the tie) and a Zipf-like row, at p
    where the nucleus ends among the candidates (p < 0.5) and where rejection samples it. Over V = 300 tokens a
    correct sampler's expected TV with 20,000 draws is ~0.034 at most (the flat row): bound 0.05."""
    logits = zipf_and_flat_rows()
    for p in (0.3, 0.95):
        exact = nb.textbook_probs(logits, p=p)
        assert nb.check_sampler(f"topp p={p}", lambda z: nb.topp(z, p), logits, exact, bound=0.05)


@pytest.mark.parametrize("p", [0.5, 0.7, 0.9])
def test_topp_rejection_with_ties_at_the_cut(nb, p):
    """bfloat16 logits on V = 300 in steps of 0.25 tie in groups of up to ~20 tokens, so the cut falls inside a tie
    and the rejection sampler's tie passes (equal probabilities with a smaller id rank above the drawn token) decide.
    Bound 0.05 as above."""
    gen = torch.Generator().manual_seed(2)
    logits = ((torch.randn(3, 300, generator=gen) * 8).round() / 4).bfloat16()
    assert len(logits[0].unique()) < 100                     # the ties are there
    exact = nb.textbook_probs(logits.float(), p=p)
    assert nb.check_sampler(f"topp p={p} bf16", lambda z: nb.topp(z, p), logits, exact, bound=0.05)


@pytest.mark.parametrize("p", [1e-9, 0.1, 0.5, 0.7, 0.9, 0.99])
def test_the_nucleus_test_agrees_with_the_sorted_definition_for_every_token(nb, p):
    """_in_nucleus, asked about every token of rows with many ties (bfloat16 logits in steps of 0.25, a flat row, tied
    maxima) and of Zipf-like rows, answers exactly the textbook nucleus (a stable sort of the float32 probabilities,
    the ones the sampler sees) on every one of these rows."""
    gen = torch.Generator().manual_seed(3)
    tied = ((torch.randn(4, 300, generator=gen) * 8).round() / 4).bfloat16().float()
    zipf = -1.1 * torch.log(torch.stack([torch.randperm(300, generator=gen) for _ in range(2)]).float() + 1)
    flat, maxima = torch.zeros(1, 300), torch.zeros(1, 300)
    maxima[0, [7, 40, 41, 299]] = 5.0
    probs = torch.softmax(torch.cat([tied, zipf, flat, maxima]), dim=-1)            # (8, 300) float32
    order = torch.sort(-probs.double(), dim=-1, stable=True).indices
    sorted_probs = probs.double().gather(-1, order)
    keep = (sorted_probs.cumsum(-1) - sorted_probs < p) | (torch.arange(300) == 0)
    expected = torch.zeros_like(keep).scatter(-1, order, keep)                       # (8, 300) bool
    rows, vocab = probs.shape
    token = torch.arange(vocab).repeat(rows).view(-1, 1)                            # every token of every row
    batch = probs.repeat_interleave(vocab, dim=0)
    inside = nb._in_nucleus(batch, None, token, batch.gather(-1, token), p, torch.empty_like(batch))
    assert torch.equal(inside.view(rows, vocab), expected)


def test_topp_at_a_tiny_p_draws_the_first_maximum(nb):
    """p = 1e-9 > 0 goes through the rejection sampler (V = 8), where rounding in the mass test is of that order: the
    first of the most probable tokens must still be accepted (and only it), so the sampler ends."""
    rows = torch.cat([ROWS, torch.tensor([[1.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0, 0.0]])])   # tied maxima: token 1
    torch.manual_seed(0)
    batch = rows.repeat(200, 1)
    assert torch.equal(nb.topp(batch, 1e-9), nb.greedy(batch))


def test_topk_ties_at_the_kth_place_keep_the_smallest_ids(nb):
    """Row 2 ties tokens 1, 3, 5 at the 2nd place: k = 2 keeps token 1 only, k = 3 tokens 1 and 3 - never 5."""
    torch.manual_seed(0)
    batch = ROWS[2:3].expand(4000, -1)
    assert set(nb.topk(batch, 2).tolist()) == {0, 1}
    assert set(nb.topk(batch, 3).tolist()) == {0, 1, 3}
    tied = torch.zeros(1, 1000)
    tied[0, 500:] = 1.0                      # 500 tied maxima: k = 20 keeps ids 500-519
    tokens = nb.topk(tied.expand(4000, -1), 20)
    assert tokens.min() >= 500 and tokens.max() <= 519 and len(tokens.unique()) == 20


def test_top_candidates_equal_torch_topk(nb):
    gen = torch.Generator().manual_seed(1)
    values = torch.randn(7, 5003, generator=gen)
    values[2, :100] = -math.inf
    for k in (1, 5, 21, 65):
        top, ids = nb._top(values, k)
        assert torch.equal(top, torch.topk(values, k).values)
        assert torch.equal(values.gather(-1, ids), top)


# --- the check fails wrong samplers ----------------------------------------------------------------------------

def wrong_samplers(nb):
    """Samplers with classic mistakes, each paired with the distribution it should have drawn."""
    def nucleus_one_short(z, p):            # keeps tokens whose inclusive mass is < p: drops the one crossing p
        probs = torch.softmax(z.float(), -1)
        sp, order = torch.sort(probs, descending=True, stable=True)
        keep = (sp.cumsum(-1) < p) | (torch.arange(z.shape[-1]) == 0)
        return order.gather(-1, torch.multinomial(sp * keep, 1)).squeeze(-1)

    def nucleus_from_the_wrong_side(z, p):  # accumulates from the least probable token
        probs = torch.softmax(z.float(), -1)
        sp, order = torch.sort(probs, descending=False, stable=True)
        keep = (sp.cumsum(-1) - sp < p) & (sp > 0)
        keep[:, -1] |= ~keep.any(-1)
        return order.gather(-1, torch.multinomial(sp * keep, 1)).squeeze(-1)

    def temperature_twice(z, t):
        return nb.temperature(z.float() / t, t)

    def topk_ties_largest_id(z, k):         # ties at the k-th place broken towards the largest id
        return (z.shape[-1] - 1) - nb.topk(z.flip(-1), k)

    return [("nucleus one short", lambda z: nucleus_one_short(z, 0.7), {"p": 0.7}),
            ("nucleus one short", lambda z: nucleus_one_short(z, 0.9), {"p": 0.9}),
            ("nucleus from the wrong side", lambda z: nucleus_from_the_wrong_side(z, 0.7), {"p": 0.7}),
            ("temperature applied twice", lambda z: temperature_twice(z, 0.8), {"t": 0.8}),
            ("temperature applied twice", lambda z: temperature_twice(z, 2.0), {"t": 2.0}),
            ("top-k ties by the largest id", lambda z: topk_ties_largest_id(z, 2), {"k": 2}),
            ("vanilla sampling as top-k", lambda z: nb.sample(z), {"k": 3})]


def test_the_check_fails_each_wrong_sampler(nb):
    for name, wrong, kw in wrong_samplers(nb):
        assert not nb.check_sampler(name, wrong, ROWS, nb.textbook_probs(ROWS, **kw)), name


@pytest.mark.parametrize("path,defines,line,wrong,p", [
    # the rejection test: the drawn token's own mass counted as ranked above it
    ("rejection", "def _mass_above(", "return mass + c.double() * count, count",
     "return mass + c.double() * count + q.double(), count", 0.7),
    # the candidates (p < 0.5): each candidate's own mass counted as ranked above it
    ("candidates", "def topp(", "size = (mass_above < p).sum(-1).clamp(min=1)",
     "size = (mass_above + top_probs.double() < p).sum(-1).clamp(min=1)", 0.3)])
def test_the_check_fails_a_notebook_whose_topp_is_one_token_short(nb, tmp_path, path, defines, line, wrong, p):
    """Mutate the notebook's own top-p, on each of its two paths, so that the token that crosses p is dropped, and
    load it: the same check, on rows that take that path, must fail (the 8-token rows go to rejection; at p = 0.3 the
    Zipf-like row's nucleus ends among the candidates; bound 0.05 there as in the larger-vocabulary test)."""
    import json
    from notebook import NOTEBOOK, load_definitions
    book = json.loads(NOTEBOOK.read_text())
    cell = next(c for c in book["cells"] if defines in "".join(c["source"]))
    source = "".join(cell["source"])
    assert line in source
    cell["source"] = source.replace(line, wrong)
    file = tmp_path / "mutant.ipynb"
    file.write_text(json.dumps(book))
    mutant = load_definitions(file)
    rows, bound = (ROWS, 0.03) if path == "rejection" else (zipf_and_flat_rows(), 0.05)
    exact = nb.textbook_probs(rows, p=p)
    assert nb.check_sampler(f"topp p={p}", lambda z: nb.topp(z, p), rows, exact, bound=bound)
    assert not mutant.check_sampler(f"mutant topp p={p}", lambda z: mutant.topp(z, p), rows, exact, bound=bound)
