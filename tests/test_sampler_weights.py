"""The weights each sampler draws from, compared with the exact distribution to float precision; the draw itself
checked exactly; and the power of the draw-based checks, proved on wrong samplers.

What they prove:
- Weights. Every random sampler hands its weights to one helper, `_draw` (weights (B, N) >= 0 -> one index per row).
  Replacing `_draw` in the loaded notebook by a recorder that keeps the weights and returns every index
  (arange(N) for each row) makes the sampler return, in place of its draw, the token behind each index: so the
  distribution each row draws from is known exactly, token by token. It must equal textbook_probs (float64; the
  definitions of 1.1.2-1.1.4, itself checked against a loop in test_sampler_exactness.py) within float32 rounding
  (relative 1e-4, absolute 1e-9; exactly 0 wherever the exact probability is 0), on 384 random rows of V = 2 to
  300 in fp32, fp16 and bf16 (ties, -inf entries) at every t, k and p the notebook uses and the edges (t tiny and
  huge, k = 1 and k > V, p = 0 and 1), and on two rows each of the real vocabularies (GPT-2's 50,257 in fp32,
  Qwen2.5's 151,936 in bf16) at the assignment's values. Top-k keeps
  whichever tokens tied at the k-th place torch.topk returns, so it is compared on the partition that merges tokens
  of equal logit (and must keep exactly min(k, V) tokens); top-p ranks equal probabilities by token id (its stable
  sort), as textbook_probs does. A 3% temperature error, a 3% sharpened softmax, a nucleus of 0.97 p and one token
  short at k = 20 each move some weight by far more than the tolerance: the meta-tests below fail them.
- The draw. `_draw` with torch.rand_like replaced by chosen uniforms u returns, for each row, the first index whose
  cumulative weight exceeds u x total (inverse CDF), never an index of weight 0, for u from 0 to just below 1.
- Power of the draw-only checks (DRAW_CHECKS: end to end through the real `_draw`, on rows built so that each
  classic error moves a lot of mass): each check compares per-token counts with their binomial expectation at
  |z| <= 4.5 (a correct sampler fails it with probability < 2e-4 per check); for each named error the test states
  the expected shift in standard errors, at least 7.1 here, so the wrong sampler passes with probability below 1%
  (P(|Z + 7.1| <= 4.5) < 0.5%). The meta-test runs the four wrong samplers (3% temperature, 3% sharpened, nucleus of
  0.97 p, one token short at k = 20) and the right ones through the same checks.
"""
import math

import pytest
import torch

BIG_V = (50_257, 151_936)                   # GPT-2's and Qwen2.5's vocabularies
SMALL_V = (2, 8, 50, 300)
DTYPES = (torch.float32, torch.float16, torch.bfloat16)
RTOL, ATOL = 1e-4, 1e-9                     # float32 softmax of logits up to ~100 apart; far below any 3% error
CUT_EPS = 1e-4                              # float32 against float64 sums of up to 151,936 probabilities


class Recorder:
    """Stands in for the notebook's _draw: keeps the weights, returns every index of each row."""

    def __init__(self):
        self.weights = []

    def __call__(self, weights):
        self.weights.append(weights.detach().clone())
        rows, n = weights.shape
        return torch.arange(n).expand(rows, n)


def drawn_distribution(nb, monkeypatch, sampler, logits):
    """(q, n): the distribution over the vocabulary that `sampler` draws each row of `logits` from (float64,
    (R, V)), rebuilt from the weights it hands to _draw and the token behind each index; n is the number of
    indices it draws among."""
    recorder = Recorder()
    monkeypatch.setattr(nb, "_draw", recorder)
    tokens = sampler(logits)
    monkeypatch.undo()
    assert len(recorder.weights) == 1, "one draw per call"
    weights = recorder.weights[0].double()
    rows, n = weights.shape
    tokens = tokens.reshape(rows, n)
    assert (weights >= 0).all() and torch.isfinite(weights).all()
    ordered = tokens.sort(dim=-1).values
    assert (ordered[:, 1:] != ordered[:, :-1]).all(), "an index maps to one token, each token once"
    q = torch.zeros(rows, logits.shape[-1], dtype=torch.float64).scatter_add_(1, tokens, weights)
    return q / q.sum(-1, keepdim=True), n


def random_rows(n_rows, vocab, dtype, seed):
    """(n_rows, vocab) logits: spreads from 0.5 to 8; every third row rounded to steps of 0.5 (ties); every
    fourth row with its last and ~30% of its other entries -inf (never the first); cast to dtype (fp16 / bf16
    round, and tie, further)."""
    gen = torch.Generator().manual_seed(seed)
    scale = torch.tensor([0.5, 2.0, 8.0]).repeat(n_rows)[:n_rows, None]
    z = torch.randn(n_rows, vocab, generator=gen) * scale
    z[::3] = (z[::3] * 2).round() / 2
    masked = torch.rand(n_rows, vocab, generator=gen) < 0.3
    masked[:, -1] = True
    masked[:, 0] = False
    masked[torch.arange(n_rows) % 4 != 1] = False
    return z.masked_fill(masked, -math.inf).to(dtype)


def row_sets(big=False):
    """(name, logits) of the row sets the weight checks run on: 32 rows of each small V in each dtype, or (big) two
    rows of each real vocabulary (GPT-2's in fp32, Qwen2.5's in bf16)."""
    if big:
        return [("V=50257 float32", random_rows(2, BIG_V[0], torch.float32, seed=1)),
                ("V=151936 bfloat16", random_rows(2, BIG_V[1], torch.bfloat16, seed=2))]
    return [(f"V={v} {str(d)[6:]}", random_rows(32, v, d, seed=v)) for v in SMALL_V for d in DTYPES]


ROW_SETS, BIG_ROW_SETS = row_sets(), row_sets(big=True)


def assert_close(q, exact, where):
    """q equals exact within float32 rounding, and is exactly 0 wherever exact is."""
    assert (q[exact == 0] == 0).all(), f"{where}: weight on a token of probability 0"
    error = (q - exact).abs() - (RTOL * exact + ATOL)
    assert (error <= 0).all(), f"{where}: off by {(q - exact).abs().max().item():.3g}"


def merge_ties(dist, logits):
    """dist (R, V) summed over classes of equal logit, per row (a class is indexed by its first token)."""
    first = torch.stack([torch.unique(row, return_inverse=True)[1] for row in logits.double()])
    return torch.zeros_like(dist).scatter_add_(1, first, dist)


T_VALUES = (1e-300, 1e-30, 0.3, 0.8, 1.0, 3.0, 1e6)
K_VALUES = (1, 2, 20, 100, 10**9)
P_VALUES = (0.0, 0.3, 0.7, 0.9, 0.99, 1.0)


def check_sample(nb, monkeypatch, sample=None, row_sets=ROW_SETS):
    for name, logits in row_sets:
        q, n = drawn_distribution(nb, monkeypatch, sample or nb.sample, logits)
        assert_close(q, nb.textbook_probs(logits.double()), f"sample {name}")


def check_temperature(nb, monkeypatch, t, temperature=None, row_sets=ROW_SETS):
    temperature = temperature or nb.temperature
    for name, logits in row_sets:
        q, _ = drawn_distribution(nb, monkeypatch, lambda z: temperature(z, t), logits)
        assert_close(q, nb.textbook_probs(logits.double(), t=t), f"temperature t={t} {name}")


def check_topk(nb, monkeypatch, k, topk=None, row_sets=ROW_SETS):
    topk = topk or nb.topk
    for name, logits in row_sets:
        q, n = drawn_distribution(nb, monkeypatch, lambda z: topk(z, k), logits)
        assert n == min(k, logits.shape[-1]), f"topk k={k} {name}: draws among {n} tokens"
        exact = nb.textbook_probs(logits.double(), k=k)
        assert_close(merge_ties(q, logits), merge_ties(exact, logits), f"topk k={k} {name}")


def check_topp(nb, monkeypatch, p, topp=None, row_sets=ROW_SETS):
    """Top-p keeps exactly the tokens textbook_probs keeps, except where float32 and float64 sums may disagree (a
    token whose mass ranked above it is within CUT_EPS of p: either way is right), and draws from the kept tokens in
    proportion to their probabilities."""
    topp = topp or nb.topp
    for name, logits in row_sets:
        q, _ = drawn_distribution(nb, monkeypatch, lambda z: topp(z, p), logits)
        probs = torch.softmax(logits.double(), dim=-1)
        exact = nb.textbook_probs(logits.double(), p=p)
        sorted_probs, order = torch.sort(probs, dim=-1, descending=True, stable=True)
        above = torch.zeros_like(probs).scatter_(1, order, sorted_probs.cumsum(-1) - sorted_probs)
        unsure = (above - p).abs() <= CUT_EPS
        kept = q > 0
        assert ((kept == (exact > 0)) | unsure | (probs == 0)).all(), f"topp p={p} {name}: another nucleus"
        chosen = probs * kept
        assert_close(q, chosen / chosen.sum(-1, keepdim=True), f"topp p={p} {name}")


def test_the_row_sets_hold_ties_and_minus_inf():
    for name, logits in ROW_SETS + BIG_ROW_SETS:
        assert any(len(row.unique()) < len(row) for row in logits), name
        assert torch.isinf(logits).any(-1).sum() >= max(1, logits.shape[0] // 5), name
        assert torch.isfinite(logits).any(-1).all(), name


def test_sample_draws_from_the_softmax(nb, monkeypatch):
    check_sample(nb, monkeypatch)


@pytest.mark.parametrize("t", T_VALUES)
def test_temperature_draws_from_the_scaled_softmax(nb, monkeypatch, t):
    check_temperature(nb, monkeypatch, t)


@pytest.mark.parametrize("k", K_VALUES)
def test_topk_draws_from_the_renormalised_top_k(nb, monkeypatch, k):
    check_topk(nb, monkeypatch, k)


@pytest.mark.parametrize("p", P_VALUES)
def test_topp_draws_from_the_renormalised_nucleus(nb, monkeypatch, p):
    check_topp(nb, monkeypatch, p)


def test_the_real_vocabularies_at_the_assignments_values(nb, monkeypatch):
    """GPT-2's and Qwen2.5's vocabulary sizes (two rows each, fp32 and bf16): sampling, t = 0.8, k = 20, p = 0.7."""
    check_sample(nb, monkeypatch, row_sets=BIG_ROW_SETS)
    check_temperature(nb, monkeypatch, 0.8, row_sets=BIG_ROW_SETS)
    check_topk(nb, monkeypatch, 20, row_sets=BIG_ROW_SETS)
    check_topp(nb, monkeypatch, 0.7, row_sets=BIG_ROW_SETS)


def wrong_weights(nb):
    """(name, check that must fail): the errors the weight checks are built to catch."""
    return [("temperature 3% off", lambda mp: check_temperature(nb, mp, 0.8, lambda z, t: nb.temperature(z, 1.03 * t))),
            ("sample 3% sharpened", lambda mp: check_sample(nb, mp, lambda z: nb.sample(1.03 * z.float()))),
            ("nucleus of 0.97 p", lambda mp: check_topp(nb, mp, 0.7, lambda z, p: nb.topp(z, 0.97 * p))),
            ("one token short at k = 20", lambda mp: check_topk(nb, mp, 20, lambda z, k: nb.topk(z, k - 1)))]


@pytest.mark.parametrize("index", range(4))
def test_the_weight_checks_fail_the_classic_errors(nb, monkeypatch, index):
    name, check = wrong_weights(nb)[index]
    with pytest.raises(AssertionError):
        check(monkeypatch)


# --- the draw ------------------------------------------------------------------------------------------------------

def test_draw_inverts_the_cumulative_weights(nb, monkeypatch):
    """With chosen uniforms u, _draw returns the first index whose cumulative weight exceeds u x total: a loop in
    float64 over the same weights gives the same index, for rows with zeros (first, inside, last) and u from 0 to
    just below 1; an index of weight 0 is never returned."""
    gen = torch.Generator().manual_seed(5)
    weights = torch.rand(6, 40, generator=gen)
    weights[weights < 0.3] = 0
    weights[:, 0] = 0
    weights[:, -1] = 0
    weights[0] = 0
    weights[0, 17] = 2.5                                     # one token of weight: always drawn
    for u in (0.0, 1e-9, 0.1, 0.37, 0.5, 0.999, 1 - 2**-53):
        monkeypatch.setattr(torch, "rand_like", lambda x: torch.full_like(x, u))
        got = nb._draw(weights).squeeze(-1).tolist()
        monkeypatch.undo()
        for row, index in zip(weights.double().tolist(), got):
            assert index == inverse_cdf(row, u) and row[index] > 0, (u, index, row)


def inverse_cdf(row, u):
    """The first index whose running sum of weights exceeds u x total; the last index of weight > 0 if rounding
    leaves u x total at the total."""
    target, running = u * sum(row), 0.0
    for i, weight in enumerate(row):
        running += weight
        if running > target:
            return i
    return max(i for i, weight in enumerate(row) if weight > 0)


# --- the power of the draw-only checks ------------------------------------------------------------------------------

Z_BOUND = 4.5          # a correct sampler exceeds it on any of <= 20 tokens with probability < 20 x 6.8e-6


def counts_check(sampler, logits, exact, draws, seed=0):
    """True if, for every token, |count - draws x q| <= Z_BOUND standard errors (binomial), drawing `draws` tokens
    with sampler(row repeated)."""
    torch.manual_seed(seed)
    tokens = sampler(logits.expand(draws, -1))
    counts = torch.bincount(tokens, minlength=logits.shape[-1]).double()
    q = exact.double().flatten()
    sd = (draws * q * (1 - q)).sqrt()
    z = (counts - draws * q).abs() / sd.clamp(min=1e-300)
    return bool(((z <= Z_BOUND) | ((q == 0) & (counts == 0))).all())


def shift(q_right, q_wrong, draws):
    """The largest shift of a token's expected count, in standard errors of the correct sampler's count."""
    return max(abs(a - b) * draws / math.sqrt(draws * a * (1 - a)) if 0 < a < 1 else (math.inf if a != b else 0)
               for a, b in zip(q_right.tolist(), q_wrong.tolist()))


TWO_TOKENS = torch.tensor([[2.4, 0.0]])          # P(token 0) = sigmoid(2.4 / t): most sensitive to t near here
NUCLEUS = torch.tensor([[0.49, 0.2, 0.2, 0.11]]).log()   # mass above the third token 0.69: kept at p = 0.7, dropped
                                                        # at 0.97 x 0.7 = 0.679
TOP_40 = -0.05 * torch.arange(40.0)[None]        # 40 distinct logits: the 20th token has mass 0.034 of the top 20

DRAW_CHECKS = {        # name: (logits, exact distribution's arguments, draws, the error it is built to catch)
    "temperature": (TWO_TOKENS, {"t": 0.8}, 400_000, "temperature 3% off"),
    "sample": (TWO_TOKENS / 0.8, {}, 400_000, "sample 3% sharpened"),
    "topp": (NUCLEUS, {"p": 0.7}, 20_000, "nucleus of 0.97 p"),
    "topk": (TOP_40, {"k": 20}, 20_000, "one token short at k = 20"),
}


def draw_samplers(nb):
    """{check: (right sampler, wrong sampler)}."""
    return {"temperature": (lambda z: nb.temperature(z, 0.8), lambda z: nb.temperature(z, 1.03 * 0.8)),
            "sample": (nb.sample, lambda z: nb.sample(1.03 * z)),
            "topp": (lambda z: nb.topp(z, 0.7), lambda z: nb.topp(z, 0.97 * 0.7)),
            "topk": (lambda z: nb.topk(z, 20), lambda z: nb.topk(z, 19))}


@pytest.mark.parametrize("check", list(DRAW_CHECKS))
def test_each_draw_check_has_the_power_it_states(nb, check):
    """The error each check is built for shifts some token's expected count by >= 7.1 standard errors (so it
    passes with probability < 1%: it needs |Z + 7.1| <= 4.5); the right sampler passes the check, the wrong one
    fails it."""
    logits, kw, draws, _ = DRAW_CHECKS[check]
    right, wrong = draw_samplers(nb)[check]
    exact = nb.textbook_probs(logits.double(), **kw)[0]
    wrong_kw = {"temperature": {"t": 0.8 * 1.03}, "sample": {"t": 1 / 1.03}, "topp": {"p": 0.7 * 0.97},
                "topk": {"k": 19}}[check]
    wrong_exact = nb.textbook_probs((logits if check != "sample" else logits).double(), **wrong_kw)[0]
    assert shift(exact, wrong_exact, draws) >= 7.1
    assert counts_check(right, logits, exact, draws)
    assert not counts_check(wrong, logits, exact, draws)
