"""Fine-tuning speed: the notebook's LabelledLossTrainer against Hugging Face's own Trainer loss.

Both run the notebook's fine_tune_student_model on the offline student (SmolLM2-135M-Instruct without 9 of its 30
decoder layers) over examples built by prepare_data_for_distillation from the committed training articles and their
reference highlights, as the offline profile trains (256 article tokens, batch 8, bf16 autocast unless --fp32). The
stock Trainer projects every position onto the 49,152-token vocabulary; LabelledLossTrainer projects only the labelled
ones. Prints seconds per optimisation step (the run's wall time less a one-step warm-up run) and the final training
loss of each, which should agree closely (the same loss; float rounding differs).

    python bench/bench_training_loss.py [--n-examples 48] [--epochs 1] [--threads N] [--fp32]
"""
import argparse
import json
import os
import pathlib
import time

import torch
import transformers

from common import load_definitions, machine

ROOT = pathlib.Path(__file__).resolve().parents[1]
STUDENT = ROOT / "models/offline/smollm2-135m-instruct-21-layers"     # written by scripts/make_offline_models.py


def run(nb, trainer_class, examples, tokenizer, epochs, cpu_bf16):
    """(seconds, last logged training loss) of one fine-tuning from the initial student with trainer_class."""
    nb.LabelledLossTrainer = trainer_class         # fine_tune_student_model looks the name up when it runs
    model = nb.make_student(str(STUDENT), device="cpu")
    log = []
    began = time.perf_counter()
    nb.fine_tune_student_model(model, tokenizer, examples, epochs=epochs, batch_size=8, learning_rate=1e-4, seed=0,
                               cpu_bf16=cpu_bf16, log_history=log)
    seconds = time.perf_counter() - began
    losses = [entry["loss"] for entry in log if "loss" in entry]
    return seconds, losses[-1] if losses else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-examples", type=int, default=48)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--fp32", action="store_true", help="train in fp32 instead of bf16 autocast")
    parser.add_argument("--data", default=str(ROOT / "data/cnn_dailymail/offline/train-00000-of-00001.jsonl"))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.n_examples < 16 or args.n_examples % 8:
        raise ValueError(f"--n-examples must be a multiple of 8 and at least 16, got {args.n_examples}")

    nb = load_definitions()
    ours = nb.LabelledLossTrainer
    with open(args.data) as f:
        rows = [json.loads(line) for line in f if line.strip()][:args.n_examples]
    tokenizer = nb.load_tokenizer(str(STUDENT))
    examples = nb.prepare_data_for_distillation([row["article"] for row in rows], [row["highlights"] for row in rows],
                                                tokenizer, 2048, article_max_tokens=256)
    n_tokens = sum(len(example["input_ids"]) for example in examples)
    n_labelled = sum(sum(label != -100 for label in example["labels"]) for example in examples)
    steps = len(examples) // 8 * args.epochs
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    print(f"{len(examples)} examples, {n_tokens / len(examples):.0f} tokens each on average, {n_labelled / n_tokens:.0%} "
          f"of them labelled; batch 8, {steps} steps, {'fp32' if args.fp32 else 'bf16 autocast'}")

    rows_out = []
    for name, trainer_class in (("LabelledLossTrainer (notebook)", ours), ("Trainer (Hugging Face's loss)",
                                                                            transformers.Trainer)):
        warm, _ = run(nb, trainer_class, examples[:8], tokenizer, 1, not args.fp32)      # one step: set-up cost
        seconds, loss = run(nb, trainer_class, examples, tokenizer, args.epochs, not args.fp32)
        rows_out.append((name, (seconds - warm) / (steps - 1), seconds, loss))
    nb.LabelledLossTrainer = ours

    print("\n| loss | s per step | whole run (s) | last logged loss |")
    print("| --- | ---: | ---: | ---: |")
    for name, per_step, seconds, loss in rows_out:
        print(f"| {name} | {per_step:.2f} | {seconds:.1f} | {loss:.4f} |")
    print(f"\nspeed-up per step: {rows_out[1][1] / rows_out[0][1]:.2f}x. Load average now {os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
