"""The five decoding functions (1.1.1-1.1.4): exact distributions, support, equivalences, precision, validation.

Distribution tests draw N samples in one call (a batch of N identical rows) and compare the empirical
distribution with the exact one, computed independently here in float64, by total variation (TV).
With V = 40 categories and N = 40,000 draws, E[TV] <= 0.5 * sqrt(2 V / (pi N)) ~= 0.013, so the bound
TV < 0.03 passes a correct sampler with margin, while every wrong variant tested below is off by > 0.06.

The logits are made on the CPU; the sampled batches (`draws`, `random_batch`) go to A6_TEST_DEVICE (default "cpu";
bench/gpu_check.py sets "cuda" to run these tests on a GPU in fp16/bf16 too).
"""
import math
import os
import pathlib
import sys

import numpy as np
import pytest
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bench"))
from common import zipf_logits  # noqa: E402  (logit = -1.1 * log(rank), ranks in a random order)

DEVICE = torch.device(os.environ.get("A6_TEST_DEVICE", "cpu"))
N_DRAWS = 40_000
TV_BOUND = 0.03
V = 40


def empirical(tokens, vocab):
    return np.bincount(tokens.cpu().numpy(), minlength=vocab) / len(tokens)


def exact_softmax(logits, t=1.0):
    z = logits.double().numpy() / t
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def exact_topk(logits, k):
    probs = exact_softmax(logits)
    keep = np.argsort(-probs, kind="stable")[:k]
    out = np.zeros_like(probs)
    out[keep] = probs[keep]
    return out / out.sum()


def exact_topp(logits, p):
    """Smallest set of most probable tokens with mass >= p (at least one), renormalised: a plain loop."""
    probs = exact_softmax(logits)
    out = np.zeros_like(probs)
    mass = 0.0
    for i in np.argsort(-probs, kind="stable"):
        out[i] = probs[i]
        mass += probs[i]
        if mass >= p:
            break
    return out / out.sum()


def tv(a, b):
    return 0.5 * np.abs(a - b).sum()


def draws(fn, logits, *args, seed=0):
    torch.manual_seed(seed)
    batch = logits.unsqueeze(0).expand(N_DRAWS, -1).contiguous().to(DEVICE)
    return fn(batch, *args)


# --- exact distributions -------------------------------------------------------------------------------

def test_sample_matches_softmax(nb):
    logits = zipf_logits(V)
    assert tv(empirical(draws(nb.sample, logits), V), exact_softmax(logits)) < TV_BOUND


@pytest.mark.parametrize("t", [0.3, 0.8, 1.0, 2.5])
def test_temperature_matches_scaled_softmax(nb, t):
    logits = zipf_logits(V, seed=1)
    emp = empirical(draws(nb.temperature, logits, t), V)
    assert tv(emp, exact_softmax(logits, t)) < TV_BOUND
    if t != 1.0:   # the bound separates t from an untempered sampler
        assert tv(exact_softmax(logits, t), exact_softmax(logits)) > 2 * TV_BOUND


@pytest.mark.parametrize("k", [1, 2, 5, 20, V])
def test_topk_matches_renormalised_top_k(nb, k):
    logits = zipf_logits(V, seed=2)
    emp = empirical(draws(nb.topk, logits, k), V)
    assert tv(emp, exact_topk(logits, k)) < TV_BOUND
    assert (emp[exact_topk(logits, k) == 0] == 0).all(), "drew a token outside the top k"


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.7, 0.9, 0.99, 1.0])
def test_topp_matches_exact_nucleus(nb, p):
    logits = zipf_logits(V, seed=3)
    exact = exact_topp(logits, p)
    emp = empirical(draws(nb.topp, logits, p), V)
    assert tv(emp, exact) < TV_BOUND
    assert (emp[exact == 0] == 0).all(), "drew a token outside the nucleus"


def test_topp_keeps_the_token_that_crosses_p(nb):
    """Probabilities 0.4, 0.35, 0.15, 0.1. At p = 0.76 the nucleus is the first three tokens (0.4 + 0.35 = 0.75 <
    0.76, so the third, which crosses p, belongs to it): the classic off-by-one (keeping only tokens whose inclusive
    cumulative mass is < p) drops the third and is off by TV = 0.15 / 0.9 ~= 0.17. At p = 0.7 it is the first two
    (0.75 >= 0.7 already)."""
    logits = torch.tensor([0.4, 0.35, 0.15, 0.1]).log()
    emp = empirical(draws(nb.topp, logits, 0.76), 4)
    assert tv(emp, np.array([0.4, 0.35, 0.15, 0.0]) / 0.9) < TV_BOUND
    assert emp[2] > 0.1
    emp = empirical(draws(nb.topp, logits, 0.7), 4)       # 0.75 >= 0.7: exactly two tokens
    assert tv(emp, np.array([0.4, 0.35, 0.0, 0.0]) / 0.75) < TV_BOUND
    assert emp[2] == 0


def test_topp_draws_from_a_nucleus_of_1800_tokens(nb):
    """A flat distribution over 2,000 tokens with p = 0.9: the nucleus is the first 1,800 tokens by id (equal
    probabilities rank by token id): the draws cover it and never go beyond it."""
    vocab = 2000
    logits = torch.zeros(vocab)
    torch.manual_seed(0)
    tokens = nb.topp(logits.unsqueeze(0).expand(N_DRAWS, -1), 0.9)
    drawn = torch.unique(tokens)
    assert len(drawn) >= 1790                   # ~22 draws expected per token: every one of them turns up
    assert drawn.max().item() <= 1800           # 1,800 by id; the 1,801st only where float32 sums put it at p


def test_topp_on_rows_with_different_nucleus_sizes(nb):
    """One call, two kinds of rows: a peaked row (nucleus of 1) and a flat row (nucleus of all 40)."""
    peaked = torch.full((V,), -20.0)
    peaked[7] = 10.0
    flat = torch.zeros(V)
    batch = torch.stack([peaked, flat]).repeat(N_DRAWS // 2, 1)
    torch.manual_seed(0)
    tokens = nb.topp(batch, 0.95)
    assert (tokens[0::2] == 7).all()
    assert tv(empirical(tokens[1::2], V), np.full(V, 1 / V)) < TV_BOUND * 2


# --- support: -inf logits are never drawn ---------------------------------------------------------------

@pytest.mark.parametrize("method,args", [("sample", ()), ("temperature", (1.7,)), ("topk", (V,)),
                                          ("topp", (0.999,)), ("topp", (1.0,))])
def test_minus_inf_logits_are_never_drawn(nb, method, args):
    logits = zipf_logits(V, seed=4)
    banned = torch.tensor([0, 5, 17, 39])
    logits[banned] = -math.inf
    tokens = draws(getattr(nb, method), logits, *args)
    assert not torch.isin(tokens, banned.to(tokens.device)).any()


# --- equivalences ---------------------------------------------------------------------------------------

def random_batch(batch=64, vocab=1000, seed=0):
    return (torch.randn(batch, vocab, generator=torch.Generator().manual_seed(seed)) * 3).to(DEVICE)


def test_greedy_is_argmax(nb):
    logits = random_batch()
    assert torch.equal(nb.greedy(logits), logits.argmax(dim=-1))


def test_topk_1_and_topp_0_are_greedy(nb):
    logits = random_batch(seed=1)
    assert torch.equal(nb.topk(logits, 1), nb.greedy(logits))
    assert torch.equal(nb.topp(logits, 0.0), nb.greedy(logits))


def test_tiny_temperature_approaches_greedy(nb):
    logits = random_batch(seed=2)
    assert torch.equal(nb.temperature(logits, 1e-6), nb.greedy(logits))


def test_topp_1_is_vanilla_sampling_draw_for_draw(nb):
    logits = random_batch(seed=3)
    torch.manual_seed(5)
    a = nb.topp(logits, 1.0)
    torch.manual_seed(5)
    b = nb.sample(logits)
    assert torch.equal(a, b)


@pytest.mark.parametrize("method,args", [("temperature", (1.0,)), ("topk", (V,)), ("topk", (10 * V,)),
                                          ("topp", (1.0,))])
def test_vanilla_equivalents_match_softmax(nb, method, args):
    logits = zipf_logits(V, seed=6)
    assert tv(empirical(draws(getattr(nb, method), logits, *args), V), exact_softmax(logits)) < TV_BOUND


# --- precision, device, shapes, no mutation ---------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("method,args,exact", [
    ("sample", (), lambda z: exact_softmax(z)),
    ("temperature", (0.8,), lambda z: exact_softmax(z, 0.8)),
    ("topk", (5,), lambda z: exact_topk(z, 5)),
    ("topp", (0.7,), lambda z: exact_topp(z, 0.7)),
])
def test_half_precision_inputs(nb, dtype, method, args, exact):
    logits = zipf_logits(V, seed=7).to(dtype)
    tokens = draws(getattr(nb, method), logits, *args)
    assert tokens.dtype == torch.long
    assert tv(empirical(tokens, V), exact(logits.float())) < TV_BOUND
    assert nb.greedy(logits.unsqueeze(0)).item() == logits.float().argmax().item()


@pytest.mark.parametrize("method,args", [("greedy", ()), ("sample", ()), ("temperature", (0.8,)),
                                          ("topk", (20,)), ("topp", (0.7,))])
def test_output_shape_dtype_device_and_no_mutation(nb, method, args):
    logits = random_batch(batch=5, vocab=300, seed=8)
    logits[0, :10] = -math.inf
    before = logits.clone()
    tokens = getattr(nb, method)(logits, *args)
    assert tokens.shape == (5,) and tokens.dtype == torch.long and tokens.device == logits.device
    assert torch.equal(logits, before), f"{method} modified its input"


# --- validation -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("t", [0, -1.0, float("nan"), float("inf"), "0.8", None])
def test_temperature_rejects_bad_t(nb, t):
    with pytest.raises(ValueError, match="temperature t") as err:
        nb.temperature(random_batch(batch=2), t)
    assert repr(t) in str(err.value)


@pytest.mark.parametrize("k", [0, -3, 2.5, "20", None, True])
def test_topk_rejects_bad_k(nb, k):
    with pytest.raises(ValueError, match="k must") as err:
        nb.topk(random_batch(batch=2), k)
    assert repr(k) in str(err.value)


@pytest.mark.parametrize("p", [-0.1, 1.1, float("nan"), "0.7", None])
def test_topp_rejects_bad_p(nb, p):
    with pytest.raises(ValueError, match="p must") as err:
        nb.topp(random_batch(batch=2), p)
    assert repr(p) in str(err.value)


@pytest.mark.parametrize("bad", [torch.zeros(5), torch.zeros(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)])
def test_logits_must_be_a_2d_float_tensor(nb, bad):
    for fn in (nb.greedy, nb.sample):
        with pytest.raises(ValueError, match="next_token_logits"):
            fn(bad)


def test_numpy_integer_k_is_accepted(nb):
    logits = random_batch(batch=3)
    assert torch.equal(nb.topk(logits, np.int64(1)), nb.greedy(logits))
