"""Left padding under an attention kernel that returns NaN for a query row that may attend to no key.

decode and the teacher left-pad their prompts: under the causal mask a padding position at the start of a row has no
key it may attend to. On a CPU, PyTorch's SDPA returns 0 for such a row, so the hazard never shows here; some CUDA
kernels return NaN (unslothai/unsloth 9708, huggingface/transformers 47651), which a zero attention weight carries
into the real positions of the next layer. `nan_for_unattended_rows` makes torch's SDPA behave like those kernels:
it computes the real answer, then writes NaN into every query row whose mask allows no key. Under it, the notebook's
models (loaded by load_causal_lm, with PAD_SAFE_SDPA attention) must give the same tokens batched and left-padded as
one prompt at a time; the same models with transformers' plain "sdpa" show that the injection bites (NaN logits,
which the samplers' checks and the teacher's finite-logits guard stop with an error, never silently).
"""
import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM

PROMPTS = ["Once upon a time", "The cat", "A much longer prompt than the others, which goes on for a while", "Hi"]
ARTICLES = ["The town council met on Monday and approved the budget for the new library after a long debate.",
            "Rain is expected.",
            "A local team won the final after extra time, and the fans stayed in the square until late at night."]


@pytest.fixture
def nan_for_unattended_rows(monkeypatch):
    """torch.nn.functional.scaled_dot_product_attention that returns NaN for every query row whose boolean mask is all
    False (or whose float mask is all -inf), as the CUDA kernels reported do. Returns a dict counting such rows."""
    real = F.scaled_dot_product_attention
    seen = {"rows": 0}

    def sdpa(query, key, value, attn_mask=None, *args, **kwargs):
        out = real(query, key, value, attn_mask, *args, **kwargs)
        if attn_mask is not None:
            dead = ~attn_mask.any(-1) if attn_mask.dtype == torch.bool else torch.isneginf(attn_mask).all(-1)
            seen["rows"] += int(dead.sum())
            out = out.masked_fill(dead.unsqueeze(-1), float("nan"))
        return out

    monkeypatch.setattr(F, "scaled_dot_product_attention", sdpa)
    return seen


def plain_sdpa(folder):
    return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="sdpa").eval()


def test_load_causal_lm_uses_the_pad_safe_attention(nb, tiny_dir):
    for name in ("lm", "teacher"):
        model = nb.load_causal_lm(str(tiny_dir / name), device="cpu", dtype=torch.float32)
        assert model.config._attn_implementation == nb.PAD_SAFE_SDPA


def test_decode_left_padded_gives_the_tokens_of_one_prompt_at_a_time(nb, tiny_dir, nan_for_unattended_rows):
    """GPT-2 architecture (the tiny gpt2 mirror), greedy, four prompts of different lengths in one batch."""
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    model = nb.load_causal_lm(str(tiny_dir / "lm"), device="cpu", dtype=torch.float32)
    batched = nb.decode(PROMPTS, 8, "greedy", model=model, tokenizer=tokenizer, batch_size=len(PROMPTS))
    one_at_a_time = [nb.decode([p], 8, "greedy", model=model, tokenizer=tokenizer)[0] for p in PROMPTS]
    assert batched == one_at_a_time
    assert nan_for_unattended_rows["rows"] == 0          # no row was left with nothing to attend to

    with pytest.raises(ValueError, match="NaN"):         # the same model with plain SDPA: NaN logits, stopped
        nb.decode(PROMPTS, 8, "greedy", model=plain_sdpa(str(tiny_dir / "lm")), tokenizer=tokenizer,
                  batch_size=len(PROMPTS))
    assert nan_for_unattended_rows["rows"] > 0


def test_teacher_left_padded_gives_the_summaries_of_one_article_at_a_time(nb, tiny_dir, nan_for_unattended_rows):
    """Qwen2 architecture (the tiny random Qwen2.5 mirror), greedy generate() with its KV cache."""
    tokenizer = nb.load_tokenizer(str(tiny_dir / "teacher"))
    model = nb.load_causal_lm(str(tiny_dir / "teacher"), device="cpu", dtype=torch.float32)
    batched = nb.summarize_with_teacher_model(ARTICLES, model, tokenizer, 6, batch_size=len(ARTICLES))
    one_at_a_time = nb.summarize_with_teacher_model(ARTICLES, model, tokenizer, 6, batch_size=1)
    assert batched == one_at_a_time
    assert nan_for_unattended_rows["rows"] == 0

    with pytest.raises(RuntimeError, match="non-finite logits"):      # plain SDPA: the finite-logits guard stops
        nb.summarize_with_teacher_model(ARTICLES, plain_sdpa(str(tiny_dir / "teacher")), tokenizer, 6,
                                        batch_size=len(ARTICLES))
    assert nan_for_unattended_rows["rows"] > 0


def test_pad_safe_attention_changes_no_real_position(nb, tiny_dir):
    """Without the NaN injection: the logits of every real position of a left-padded batch are those of the plain
    SDPA model (the padding rows, which nothing attends to, are the only ones the mask changes)."""
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    ids, mask = nb.pad_batch(tokenizer(PROMPTS)["input_ids"], tokenizer.pad_token_id, "left")
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    safe = nb.load_causal_lm(str(tiny_dir / "lm"), device="cpu", dtype=torch.float32)
    with torch.no_grad():
        ours = safe(input_ids=ids, attention_mask=mask, position_ids=positions).logits
        theirs = plain_sdpa(str(tiny_dir / "lm"))(input_ids=ids, attention_mask=mask, position_ids=positions).logits
    real = mask.bool()
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours[real], theirs[real])
