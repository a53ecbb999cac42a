"""Exactness of the five samplers, checked with the notebook's own check_sampler and textbook_probs (the check each
demo cell runs), and proof that the check catches wrong samplers.

Each check draws 20,000 tokens per row of a small logit matrix and compares the frequencies with the exact
distribution by total variation (TV) against the bound 0.03 (a correct sampler's expected TV over V <= 8 tokens is
about 0.5 * sqrt(2 V / (pi N)) ~= 0.011). Rows cover a peaked, a flat, a tied (ties at the cut) and a -inf row, a
single finite logit, and fp16 / bf16 input. Deliberately wrong samplers (nucleus one token short, nucleus taken from
the least probable side, temperature applied twice, k + 1 tokens kept, vanilla sampling for top-k) must
fail the same check. Top-k keeps whichever tokens tied at the k-th place torch.topk returns, so its draws are
compared on classes of equal logits (check_sampler's merge_ties). textbook_probs itself is compared with a plain-Python loop over the sorted probabilities.
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
    assert nb.check_sampler(f"{method} {kw} {dtype}", sampler(nb, method, value), logits, exact,
                            merge_ties=method == "topk")


def zipf_and_flat_rows():
    """A flat row and a Zipf-like row over V = 300 tokens."""
    gen = torch.Generator().manual_seed(0)
    zipf = -1.1 * torch.log(torch.randperm(300, generator=gen).double() + 1)
    return torch.stack([torch.zeros(300, dtype=torch.float64), zipf]).float()


def test_topp_on_a_larger_vocabulary(nb):
    """V = 300: a flat row (every token tied, the cut inside the tie) and a Zipf-like row, at a small and a large p.
    Over V = 300 tokens a correct sampler's expected TV with 20,000 draws is ~0.034 at most (the flat row): bound
    0.05."""
    logits = zipf_and_flat_rows()
    for p in (0.3, 0.95):
        exact = nb.textbook_probs(logits, p=p)
        assert nb.check_sampler(f"topp p={p}", lambda z: nb.topp(z, p), logits, exact, bound=0.05)


@pytest.mark.parametrize("p", [0.5, 0.7, 0.9])
def test_topp_with_ties_at_the_cut(nb, p):
    """bfloat16 logits on V = 300 in steps of 0.25 tie in groups of up to ~20 tokens, so the cut falls inside a tie,
    where the stable sort decides (equal probabilities with a smaller id rank first). Bound 0.05 as above."""
    gen = torch.Generator().manual_seed(2)
    logits = ((torch.randn(3, 300, generator=gen) * 8).round() / 4).bfloat16()
    assert len(logits[0].unique()) < 100                     # the ties are there
    exact = nb.textbook_probs(logits.float(), p=p)
    assert nb.check_sampler(f"topp p={p} bf16", lambda z: nb.topp(z, p), logits, exact, bound=0.05)


def test_topp_at_a_tiny_p_draws_the_first_maximum(nb):
    """p = 1e-9 > 0 is not special-cased: the nucleus is the first of the most probable tokens alone (the mass ranked
    above the second is already >= p), so top-p draws exactly greedy's token, tied maxima included."""
    rows = torch.cat([ROWS, torch.tensor([[1.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0, 0.0]])])   # tied maxima: token 1
    torch.manual_seed(0)
    batch = rows.repeat(200, 1)
    assert torch.equal(nb.topp(batch, 1e-9), nb.greedy(batch))


def test_topk_keeps_exactly_k_tokens_when_ties_cross_the_cut(nb):
    """Row 2 ties tokens 1, 3, 5 at the 2nd place: k = 2 keeps token 0 and one of them, k = 3 token 0 and two of them
    (which ones is torch.topk's choice); 500 tied maxima at k = 20: exactly 20 of them, each drawn."""
    torch.manual_seed(0)
    batch = ROWS[2:3].expand(4000, -1)
    for k in (2, 3):
        drawn = set(nb.topk(batch, k).tolist())
        assert 0 in drawn and len(drawn) == k and drawn - {0} <= {1, 3, 5}
    tied = torch.zeros(1, 1000)
    tied[0, 500:] = 1.0
    tokens = nb.topk(tied.expand(4000, -1), 20)
    assert tokens.min() >= 500 and len(tokens.unique()) == 20


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

    def topk_one_too_many(z, k):            # keeps k + 1 tokens
        return nb.topk(z, k + 1)

    return [("nucleus one short", lambda z: nucleus_one_short(z, 0.7), {"p": 0.7}),
            ("nucleus one short", lambda z: nucleus_one_short(z, 0.9), {"p": 0.9}),
            ("nucleus from the wrong side", lambda z: nucleus_from_the_wrong_side(z, 0.7), {"p": 0.7}),
            ("temperature applied twice", lambda z: temperature_twice(z, 0.8), {"t": 0.8}),
            ("temperature applied twice", lambda z: temperature_twice(z, 2.0), {"t": 2.0}),
            ("top-k keeps k + 1 tokens", lambda z: topk_one_too_many(z, 2), {"k": 2}),
            ("top-k keeps k + 1 tokens", lambda z: topk_one_too_many(z, 3), {"k": 3}),
            ("vanilla sampling as top-k", lambda z: nb.sample(z), {"k": 3})]


def test_the_check_fails_each_wrong_sampler(nb):
    for name, wrong, kw in wrong_samplers(nb):
        assert not nb.check_sampler(name, wrong, ROWS, nb.textbook_probs(ROWS, **kw)), name


@pytest.mark.parametrize("rows_name,p", [("small", 0.7), ("zipf", 0.3)])
def test_the_check_fails_a_notebook_whose_topp_is_one_token_short(nb, tmp_path, rows_name, p):
    """Mutate the notebook's own top-p so that the token that crosses p is dropped (its own mass counted as ranked
    above it), and load it: the same check must fail, on the 8-token rows and on the 300-token Zipf-like and flat
    rows (bound 0.05 there, as in the larger-vocabulary test)."""
    import json
    from notebook import NOTEBOOK, load_definitions
    line, wrong = "keep = mass_above < p\n", "keep = mass_above + sorted_probs < p\n"
    book = json.loads(NOTEBOOK.read_text())
    cell = next(c for c in book["cells"] if "def topp(" in "".join(c["source"]))
    source = "".join(cell["source"])
    assert source.count(line) == 1
    cell["source"] = source.replace(line, wrong)
    file = tmp_path / "mutant.ipynb"
    file.write_text(json.dumps(book))
    mutant = load_definitions(file)
    rows, bound = (ROWS, 0.03) if rows_name == "small" else (zipf_and_flat_rows(), 0.05)
    exact = nb.textbook_probs(rows, p=p)
    assert nb.check_sampler(f"topp p={p}", lambda z: nb.topp(z, p), rows, exact, bound=bound)
    assert not mutant.check_sampler(f"mutant topp p={p}", lambda z: mutant.topp(z, p), rows, exact, bound=bound)
