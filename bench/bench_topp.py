"""topp() against Hugging Face's TopPLogitsWarper + softmax + multinomial.

(100, 50257) float32 CPU logits shaped like a language model's (logit = -1.1 * log(rank), ranks in a random
order per row), p = 0.7. Also checks exactness: over many draws, every token ours draws lies in HF's nucleus.

    python bench/bench_topp.py
"""
import torch
from transformers import TopPLogitsWarper

from common import best_of, load_definitions, machine, zipf_logits

BATCH, VOCAB, P, REPEATS = 100, 50257, 0.7, 10


def hf_topp(logits, warper):
    warped = warper(None, logits)
    return torch.multinomial(torch.softmax(warped, dim=-1), 1).squeeze(-1)


def main():
    nb = load_definitions()
    logits = zipf_logits(VOCAB, batch=BATCH)
    warper = TopPLogitsWarper(P)
    in_hf_nucleus = torch.isfinite(warper(None, logits.clone()))
    for _ in range(20):
        tokens = nb.topp(logits, P)
        assert in_hf_nucleus.gather(-1, tokens.unsqueeze(-1)).all(), "drew outside HF's nucleus"
    nucleus = in_hf_nucleus.sum(-1).float()
    ours = best_of(lambda: nb.topp(logits, P), REPEATS)
    hf = best_of(lambda: hf_topp(logits.clone(), warper), REPEATS)
    print(f"machine: {machine()}")
    print(f"logits ({BATCH}, {VOCAB}) float32, p = {P}; nucleus size per row: "
          f"median {nucleus.median().item():.0f}, max {nucleus.max().item():.0f}")
    print(f"| implementation | ms per call (best of {REPEATS}) |")
    print("| --- | --- |")
    print(f"| HF TopPLogitsWarper + softmax + multinomial | {hf * 1e3:.1f} |")
    print(f"| ours: topp() | {ours * 1e3:.1f} |")
    print(f"speed-up: {hf / ours:.1f}x")


if __name__ == "__main__":
    main()
