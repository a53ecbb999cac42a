"""Left padding with the attention the notebook uses (load_causal_lm: transformers' "sdpa", PyTorch's SDPA).

decode and the teacher left-pad their prompts: under the causal mask a padding position at the start of a row has no
key it may attend to (a fully masked query row). What guards the real positions is PyTorch's SDPA itself: from torch
2.5 on, its math, memory-efficient and CPU flash kernels return 0 for such a row (pytorch/pytorch pulls 131060,
133882), the notebook's set-up cell refuses an older torch, and the GPUs the notebook supports (T4, A100, L4) run
those kernels, never cuDNN's, for a padded batch (tests/gpu_sheets.py, checked in tests/test_gpu_facts.py).

What these tests prove, on this machine's torch (a CPU):
- load_causal_lm loads every causal LM with "sdpa";
- SDPA itself (default choice and the math kernel, fp32, bf16, fp16) returns 0, not NaN, for a fully masked row;
- a left-padded batch gives every real position the logits it has without padding, and no NaN anywhere, for the
  GPT-2 (decoding LM, student) and Qwen2 (teacher) architectures;
- decode and the teacher give, batched and left-padded, the tokens they give one prompt at a time.
"""
import contextlib

import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

PROMPTS = ["Once upon a time", "The cat", "A much longer prompt than the others, which goes on for a while", "Hi"]
ARTICLES = ["The town council met on Monday and approved the budget for the new library after a long debate.",
            "Rain is expected.",
            "A local team won the final after extra time, and the fans stayed in the square until late at night."]


def test_load_causal_lm_uses_pytorchs_sdpa(nb, tiny_dir):
    for name in ("lm", "teacher"):
        model = nb.load_causal_lm(str(tiny_dir / name), device="cpu", dtype=torch.float32)
        assert model.config._attn_implementation == "sdpa"


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("backend", [None, SDPBackend.MATH])
def test_sdpa_returns_zero_for_a_query_row_with_every_key_masked(dtype, backend):
    """A causal boolean mask whose row 0 is left-padded by 2: its first two queries may attend to no key."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 4, 6, 16, generator=g).to(dtype) for _ in range(3))
    keep = torch.ones(2, 6, dtype=torch.bool)
    keep[0, :2] = False
    mask = torch.ones(6, 6, dtype=torch.bool).tril() & keep[:, None, None, :]           # (2, 1, 6, 6)
    with sdpa_kernel(backend) if backend else contextlib.nullcontext():
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert not torch.isnan(out).any()
    assert torch.equal(out[0, :, :2], torch.zeros_like(out[0, :, :2]))


@pytest.mark.parametrize("name", ["lm", "teacher"])
def test_left_padded_batch_gives_real_positions_their_unpadded_logits_and_no_nan(nb, tiny_dir, name):
    """Each prompt alone (no padding) against the same prompts left-padded in one batch: the logits of every real
    position agree (fp32, tolerance 1e-4), and the batch's logits are finite at padding positions too."""
    tokenizer = nb.load_tokenizer(str(tiny_dir / name))
    model = nb.load_causal_lm(str(tiny_dir / name), device="cpu", dtype=torch.float32)
    rows = tokenizer(PROMPTS)["input_ids"]
    ids, mask = nb.pad_batch(rows, tokenizer.pad_token_id, "left")
    assert (mask == 0).any(dim=1).sum() >= 3                   # three of the four rows are padded
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        batched = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits
        assert torch.isfinite(batched).all()
        for row, prompt_ids in enumerate(rows):
            alone = model(input_ids=torch.tensor([prompt_ids])).logits[0]
            torch.testing.assert_close(batched[row, ids.shape[1] - len(prompt_ids):], alone, rtol=1e-4, atol=1e-4)


def test_decode_left_padded_gives_the_tokens_of_one_prompt_at_a_time(nb, tiny_dir):
    """GPT-2 architecture (the tiny gpt2 mirror), greedy, four prompts of different lengths in one batch."""
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    model = nb.load_causal_lm(str(tiny_dir / "lm"), device="cpu", dtype=torch.float32)
    batched = nb.decode(PROMPTS, 8, "greedy", model=model, tokenizer=tokenizer, batch_size=len(PROMPTS))
    one_at_a_time = [nb.decode([p], 8, "greedy", model=model, tokenizer=tokenizer)[0] for p in PROMPTS]
    assert batched == one_at_a_time


def test_teacher_left_padded_gives_the_summaries_of_one_article_at_a_time(nb, tiny_dir):
    """Qwen2 architecture (the tiny random Qwen2.5 mirror), greedy generate() with its KV cache."""
    tokenizer = nb.load_tokenizer(str(tiny_dir / "teacher"))
    model = nb.load_causal_lm(str(tiny_dir / "teacher"), device="cpu", dtype=torch.float32)
    batched = nb.summarize_with_teacher_model(ARTICLES, model, tokenizer, 6, batch_size=len(ARTICLES))
    one_at_a_time = nb.summarize_with_teacher_model(ARTICLES, model, tokenizer, 6, batch_size=1)
    assert batched == one_at_a_time
