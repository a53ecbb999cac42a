"""Teacher throughput: length-sorted batches vs unsorted batches vs one article at a time.

Runs the notebook's summarize_with_teacher_model (greedy, KV cache) on the offline teacher, SmolLM2-135M-Instruct,
over the committed training articles, in the order generate_synthetic_data_for_distillation uses (longest prompt
first), in the articles' own order, and one article at a time, and prints articles per second and the fraction of
prompt positions that were left padding.

    python bench/bench_teacher.py [--n-articles 30] [--batch-size 10] [--max-new-tokens 48] [--threads N] [--bf16]
"""
import argparse
import json
import os
import pathlib
import time

import torch

from common import load_definitions, machine

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-articles", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--article-max-tokens", type=int, default=None,
                        help="cap on article tokens (default: none, so prompt lengths vary as the articles do)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--bf16", action="store_true", help="teacher in bf16 (the offline profile's cpu_bf16)")
    parser.add_argument("--data", default=str(ROOT / "data/cnn_dailymail/offline/train-00000-of-00001.jsonl"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    nb = load_definitions()
    with open(args.data) as f:
        articles = [json.loads(line)["article"] for line in f if line.strip()][:args.n_articles]
    teacher = str(ROOT / "models/offline/smollm2-135m-instruct")   # written by scripts/make_offline_models.py
    tokenizer = nb.load_tokenizer(teacher)
    dtype = torch.bfloat16 if args.bf16 else torch.float32
    model = nb.load_causal_lm(teacher, device="cpu", dtype=dtype)
    lengths = [len(ids) for ids in tokenizer(nb.prepare_articles_teacher(articles, tokenizer, args.article_max_tokens),
                                             add_special_tokens=False)["input_ids"]]
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"SmolLM2-135M-Instruct, {str(dtype).replace('torch.', '')}, CPU; {len(articles)} articles, "
          f"prompts {min(lengths)}-{max(lengths)} tokens, greedy, max_new_tokens={args.max_new_tokens}")
    nb.summarize_with_teacher_model(articles[:2], model, tokenizer, 4, 2)                  # warm-up

    longest_first = sorted(range(len(articles)), key=lambda i: lengths[i], reverse=True)
    modes = [("length-sorted batches", args.batch_size, longest_first),
             ("unsorted batches", args.batch_size, list(range(len(articles)))),
             ("one article at a time", 1, list(range(len(articles))))]
    results = {}
    for name, batch_size, order in modes:
        began = time.perf_counter()
        summaries = nb.summarize_with_teacher_model([articles[i] for i in order], model, tokenizer,
                                                    args.max_new_tokens, batch_size, args.article_max_tokens)
        seconds = time.perf_counter() - began
        batches = [[lengths[i] for i in order[j:j + batch_size]] for j in range(0, len(order), batch_size)]
        padded = sum(len(b) * max(b) - sum(b) for b in batches) / sum(len(b) * max(b) for b in batches)
        results[name] = dict(seconds=seconds, padded=padded,
                             summaries=dict(zip(order, summaries)))

    base = results["one article at a time"]
    print("\n| mode | batch | seconds | articles/s | vs one at a time | prompt positions that are padding |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, batch_size, _ in modes:
        r = results[name]
        print(f"| {name} | {batch_size} | {r['seconds']:.1f} | {len(articles) / r['seconds']:.2f} | "
              f"{base['seconds'] / r['seconds']:.2f}x | {r['padded']:.1%} |")
    same = sum(results["length-sorted batches"]["summaries"][i] == base["summaries"][i] for i in range(len(articles)))
    print(f"\n{same} of {len(articles)} greedy summaries identical between sorted batches and one at a time "
          f"(batching changes float rounding only). Load average now {os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
