"""The decoding loop: KV-cached, left-padded, batched decoding that matches Hugging Face's generate."""
import types

import pytest
import torch

PROMPTS = [
    "Jenny wanted to learn how to bake bread.",
    "Tom's car broke down on the highway late at night, and his phone battery was almost empty.",
    "The class went on a trip.",
    "Maria had been saving money for months to buy a new bicycle for her daughter's birthday.",
]


class CountingLM(torch.nn.Module):
    """A fake causal LM: after token x it predicts x + 1 (mod vocab) with certainty.
    It checks that decode feeds one new token per step with the cache, and counts forward calls."""

    def __init__(self, vocab=50):
        super().__init__()
        self.vocab, self.calls, self.weight = vocab, 0, torch.nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, attention_mask, position_ids, use_cache=True, cache=None):
        self.calls += 1
        if cache is not None:
            assert input_ids.shape[1] == 1, "with a cache, only the new token is fed"
            assert attention_mask.shape[1] == cache + 1
        logits = torch.full((*input_ids.shape, self.vocab), -10.0)
        logits.scatter_(-1, ((input_ids + 1) % self.vocab).unsqueeze(-1), 10.0)
        return types.SimpleNamespace(logits=logits, cache=attention_mask.shape[1])


def test_generate_ids_stops_each_row_at_eos_and_the_batch_when_all_stopped(nb):
    model, eos, pad = CountingLM(), 9, 0
    input_ids = torch.tensor([[0, 5], [2, 3]])          # rows reach EOS (9) after 4 and 6 new tokens
    out = nb.generate_ids(model, input_ids, torch.ones_like(input_ids), 20, "greedy", eos, pad)
    assert out.tolist() == [[6, 7, 8, 9, pad, pad], [4, 5, 6, 7, 8, 9]]
    assert model.calls == 6                               # the prompt pass + 5 cached steps, not 20


def test_generate_ids_respects_max_len(nb):
    model = CountingLM()
    out = nb.generate_ids(model, torch.tensor([[1]]), torch.ones(1, 1, dtype=torch.long), 3, "greedy", None, 0)
    assert out.tolist() == [[2, 3, 4]] and model.calls == 3


def test_decode_rejects_unknown_method_and_arguments(nb, tiny_dir):
    tokenizer, model = nb.load_tokenizer(tiny_dir / "lm"), nb.load_causal_lm(tiny_dir / "lm")
    with pytest.raises(ValueError, match="beam"):
        nb.decode(["a"], 3, "beam", model=model, tokenizer=tokenizer)
    with pytest.raises(ValueError, match="top_p"):
        nb.decode(["a"], 3, "topp", model=model, tokenizer=tokenizer, top_p=0.5)


def test_same_seed_same_generations(nb, tiny_dir):
    tokenizer, model = nb.load_tokenizer(tiny_dir / "lm"), nb.load_causal_lm(tiny_dir / "lm")
    runs = [nb.decode(PROMPTS, 12, "topp", model=model, tokenizer=tokenizer, seed=s, p=0.9) for s in (1, 1, 2)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_output_order_follows_prompts_across_chunks(nb, tiny_dir):
    """decode sorts prompts by length and splits them into chunks; greedy output must not depend on that."""
    tokenizer, model = nb.load_tokenizer(tiny_dir / "lm"), nb.load_causal_lm(tiny_dir / "lm")
    together = nb.decode(PROMPTS, 10, "greedy", model=model, tokenizer=tokenizer, batch_size=3)
    alone = [nb.decode([p], 10, "greedy", model=model, tokenizer=tokenizer)[0] for p in PROMPTS]
    assert together == alone


def test_greedy_matches_generate_and_single_prompts_on_smollm2(nb, smollm2):
    """On a real LM (SmolLM2-135M), greedy decoding of a left-padded batch of prompts of different lengths gives
    exactly the tokens of model.generate(do_sample=False), and of decoding each prompt alone."""
    model, tokenizer = smollm2
    ours = nb.decode(PROMPTS, 24, "greedy", model=model, tokenizer=tokenizer)
    batch = tokenizer(PROMPTS, return_tensors="pt", padding=True)
    with torch.no_grad():
        ref_ids = model.generate(**batch, do_sample=False, max_new_tokens=24, pad_token_id=tokenizer.pad_token_id)
    reference = tokenizer.batch_decode(ref_ids[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
    assert ours == reference
    alone = [nb.decode([p], 24, "greedy", model=model, tokenizer=tokenizer)[0] for p in PROMPTS]
    assert ours == alone


def test_default_model_and_tokenizer_are_the_notebooks(nb, tiny_dir):
    tokenizer, model = nb.load_tokenizer(tiny_dir / "lm"), nb.load_causal_lm(tiny_dir / "lm")
    nb.model, nb.tokenizer = model, tokenizer
    try:
        assert nb.decode(PROMPTS[:2], 5, "greedy") == nb.decode(PROMPTS[:2], 5, "greedy", model=model,
                                                                  tokenizer=tokenizer)
    finally:
        del nb.model, nb.tokenizer
