"""The code path of `evaluate`'s "perplexity" metric at v0.4.6 (the newest release on PyPI), re-stated step by step
so that the notebook's parity check can be tested offline against it: `evaluate.load("perplexity")` fetches the
metric script from the Hub, and the evaluate package is not installed here.

Source: huggingface/evaluate, tag v0.4.6, metrics/perplexity/perplexity.py, Perplexity._compute. Its steps:
  1. device: "gpu" -> "cuda"; anything but "gpu", "cpu", "cuda" is refused;
  2. AutoModelForCausalLM.from_pretrained(model_id) and AutoTokenizer.from_pretrained(model_id): `model_id` is
     whatever from_pretrained opens, a local folder included;
  3. if the tokenizer has no pad token and batch_size > 1: the first value of
     tokenizer.special_tokens_map_extended becomes the pad token. transformers 5 removed that attribute, so this
     step raises AttributeError for GPT-2 (no pad token) at the default batch_size of 16
     (huggingface/evaluate issue 766);
  4. all texts are tokenised at once without special tokens, padded to the longest (the tokenizer's own padding
     side), with the attention mask;
  5. per batch of `batch_size` texts: the BOS id is prepended to every row (mask 1), the logits are computed with
     the attention mask, and each row's perplexity is exp(sum of the masked token cross-entropies of positions
     1.. / number of those positions);
  6. returns {"perplexities": [...], "mean_perplexity": their mean}.
`max_length` (truncation) is left out: the notebook does not pass it.
"""
import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def compute(predictions, model_id, batch_size=16, add_start_token=True, device=None):
    """evaluate 0.4.6's perplexity metric's compute(), as listed in the module docstring."""
    if device is not None:
        if device not in ("gpu", "cpu", "cuda"):
            raise AssertionError("device should be either gpu or cpu.")
        device = "cuda" if device == "gpu" else device
    else:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = AutoModelForCausalLM.from_pretrained(model_id).to(device)
    tokenizer = AutoTokenizer.from_pretrained(model_id)
    if tokenizer.pad_token is None and batch_size > 1:
        special = list(tokenizer.special_tokens_map_extended.values())     # AttributeError on transformers 5
        tokenizer.add_special_tokens({"pad_token": special[0]})
    encodings = tokenizer(predictions, add_special_tokens=False, padding=True, return_tensors="pt",
                          return_attention_mask=True).to(device)
    ids, masks = encodings["input_ids"], encodings["attention_mask"]
    if add_start_token and not bool((masks.sum(1) >= 1).all()):
        raise AssertionError("Each input text must be at least one token long.")
    perplexities = []
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    for start in range(0, len(ids), batch_size):
        batch, mask = ids[start:start + batch_size], masks[start:start + batch_size]
        if add_start_token and tokenizer.bos_token_id is not None:
            bos = torch.full((batch.shape[0], 1), tokenizer.bos_token_id, device=device)
            batch = torch.cat([bos, batch], dim=1)
            mask = torch.cat([torch.ones_like(bos, dtype=torch.int64), mask], dim=1)
        with torch.no_grad():
            logits = model(batch, attention_mask=mask).logits
        shift_mask = mask[..., 1:]
        nll = loss(logits[..., :-1, :].transpose(1, 2), batch[..., 1:]) * shift_mask
        perplexities += torch.exp(nll.sum(1) / shift_mask.sum(1)).tolist()
    return {"perplexities": perplexities, "mean_perplexity": float(np.mean(perplexities))}
