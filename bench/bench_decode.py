"""The notebook's decoding loop against model.generate and against a loop without the KV cache.

Offline model (SmolLM2-135M-Instruct, fp32, CPU), the 10 committed story prompts x 10 = batch 100, 50 new
tokens, greedy and top-p (p = 0.7). Tokens per second count every sequence's positions, up to the step at which
the batch stopped (rows that ended early count their padding too, in both implementations alike).

    python bench/bench_decode.py [--max-len 50] [--repeats 2]
"""
import argparse
import functools
import json
import pathlib

import torch

from common import load_definitions, machine, timed

print = functools.partial(print, flush=True)  # noqa: A001  (progress shows while it runs)

ROOT = pathlib.Path(__file__).resolve().parents[1]


@torch.no_grad()
def no_cache_loop(nb, model, input_ids, attention_mask, max_len, method, eos, pad, **kwargs):
    """The textbook loop: every step runs the model over the whole sequence so far (no KV cache)."""
    finished = torch.zeros(input_ids.shape[0], dtype=torch.bool)
    new = []
    for _ in range(max_len):
        position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
        logits = model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids).logits
        next_tokens = nb.pick_next_tokens(logits[:, -1, :], method, **kwargs).masked_fill(finished, pad)
        new.append(next_tokens)
        finished |= next_tokens == eos
        if finished.all():
            break
        input_ids = torch.cat([input_ids, next_tokens[:, None]], dim=-1)
        attention_mask = torch.cat([attention_mask, attention_mask.new_ones(len(attention_mask), 1)], dim=-1)
    return torch.stack(new, dim=-1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-len", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-cache", action="store_true", help="also time the loop without the KV cache (slow)")
    args = parser.parse_args()
    nb = load_definitions()
    lm = str(ROOT / "models/offline/smollm2-135m-instruct")     # written by scripts/make_offline_models.py
    tokenizer = nb.load_tokenizer(lm)
    model = nb.load_causal_lm(lm, device="cpu", dtype=torch.float32)
    prompts = [json.loads(line)["prompt"] for line in (ROOT / "data/rocstories/test.jsonl").read_text().splitlines()]
    prompts = [p for p in prompts[:10] for _ in range(10)]
    batch = tokenizer(prompts, return_tensors="pt", padding=True)
    ids, mask, eos, pad = batch["input_ids"], batch["attention_mask"], tokenizer.eos_token_id, tokenizer.pad_token_id
    B, L = ids.shape

    def ours(method, **kw):
        return nb.generate_ids(model, ids, mask, args.max_len, method, eos, pad, **kw)

    def hf(method, **kw):
        sampling = dict(do_sample=True, top_p=kw["p"], top_k=0) if method == "topp" else dict(do_sample=False)
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=args.max_len, pad_token_id=pad,
                             **sampling)
        return out[:, L:]

    def no_cache(method, **kw):
        return no_cache_loop(nb, model, ids, mask, args.max_len, method, eos, pad, **kw)

    print(f"machine: {machine()}")
    print(f"model: SmolLM2-135M-Instruct fp32; batch {B}, prompt length {L} (left-padded), {args.max_len} new tokens")
    print("| method | implementation | tokens/s | ours / this |")
    print("| --- | --- | --- | --- |")
    for method, kw in (("greedy", {}), ("topp", {"p": 0.7})):
        rates = {}
        for name, fn, repeats in (("ours: decode loop", ours, args.repeats), ("HF model.generate", hf, args.repeats),
                                  ("no KV cache", no_cache, 1 if args.no_cache else 0)):
            best = 0.0
            for r in range(repeats):
                torch.manual_seed(r)
                out, seconds = timed(lambda: fn(method, **kw))
                best = max(best, out.numel() / seconds)
            rates[name] = best
            if name == "ours: decode loop" and method == "greedy":
                greedy_ours = out
            if name == "HF model.generate" and method == "greedy":
                n = min(out.shape[1], greedy_ours.shape[1])
                assert torch.equal(out[:, :n], greedy_ours[:, :n]), "greedy differs from model.generate"
        rates = {name: rate for name, rate in rates.items() if rate > 0}
        for name, rate in rates.items():
            print(f"| {method} | {name} | {rate:.0f} | {rates['ours: decode loop'] / rate:.2f}x |")


if __name__ == "__main__":
    main()
