"""GPU check of the colab configuration on random-weight models of the real shapes (no Hub, no downloads).

    python bench/gpu_check.py            # with CUDA: full sizes (a few minutes on an H200; budget 8)
    python bench/gpu_check.py --toy      # tiny sizes on the CPU (tests/test_gpu_check.py); the default without CUDA

Needs only torch, transformers, accelerate (the Trainer) and pytest, and this repository (the notebook's "defs"
cells, tests/test_decoding.py). Checks, each timed:
  1. sampler tests: pytest tests/test_decoding.py with A6_TEST_DEVICE set to the device (their fp16/bf16 cases too);
  2. greedy: generate_ids (the loop inside decode) against model.generate greedy on a GPT-2-shaped model, token
     for token in fp32 (must match) and in fp16 (agreement reported), and both timed in fp16 at batch 100;
  3. topp() against Hugging Face's TopPLogitsWarper + softmax + multinomial on (100, 50257) logits, and every
     sampler at the assignment's t, k, p timed against one softmax and HF's warpers (bench/bench_samplers.py);
  4. one fine-tuning configuration: the notebook's fine_tune_student_model (Trainer, fp16 autocast on CUDA, AdamW)
     for 2 steps on GPT-2 size, batch 8 x 833 tokens (4 per pass, 2 accumulated, as the colab profile trains):
     seconds per step and peak GPU memory;
  5. teacher generation: Qwen2.5-1.5B-shaped model in fp16, batch 16, 750-token prompts, 128 new tokens, greedy:
     seconds and peak GPU memory;
  6. the fp16 guard (HOOK): a model whose fp16 logits overflow, through the notebook's guarded_teacher_generate;
     skipped, saying so, while the notebook has no such function;
  7. the GPU's own facts, in the keys of the tests' fact sheets (tests/gpu_sheets.py) and compared with the sheet of
     the same name when there is one: name, compute capability, total memory (CUDA's figure), is_bf16_supported()
     with and without emulation, the SDPA backends enabled and which of them run (fp16, bf16, fp32), which one
     PyTorch picks for a left-padded (masked) batch, and whether it returns NaN or 0 for a query row whose keys are
     all masked (a left-padding position), per backend and dtype; plus the notebook's
     choices on this device (Part 1.1 dtype, teacher load dtype, Trainer precision, fallback after an overflow);
  8. the time plan: the phases of docs/colab.md's table "Time plan of a Run all on a free T4", each with the
     table's estimate (for a T4) and the time measured here for the colab profile's counts (read from the
     notebook's PROFILES): loads from a local folder, the five 1.1.5 decoding runs, the teacher's prefill and
     decoding steps, fine-tuning steps and the student's summary batches, multiplied out; a phase it cannot run
     (downloads, scoring with real tokenizers) says why.
Writes the results as JSON (results/gpu/gpu_check.json; --toy: results/gpu/toy/gpu_check.json) and prints a
Markdown table. Figures from an H200 are H200 figures, not T4 ones.
"""
import argparse
import contextlib
import gc
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import types

import torch
from transformers import GPT2Config, GPT2LMHeadModel, Qwen2Config, Qwen2ForCausalLM, TopPLogitsWarper

import bench_samplers
from common import load_definitions, machine, machine_info, timed, zipf_logits
from notebook import profiles_table

ROOT = pathlib.Path(__file__).resolve().parents[1]

# GPT-2 small and Qwen2.5-1.5B(-Instruct) as their config.json files give them; the colab profile's sizes, the
# batches and lengths read from the notebook's PROFILES, so that a changed profile is what gets measured.
COLAB = profiles_table()["colab"]
FULL = dict(
    gpt2=dict(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=12, n_head=12),
    qwen=dict(vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
              num_attention_heads=12, num_key_value_heads=2, max_position_embeddings=32768, rope_theta=1e6,
              rms_norm_eps=1e-6, tie_word_embeddings=True),
    decode_batch=COLAB["decode_batch_size"], decode_prompt_len=(20, 40), decode_new_tokens=COLAB["max_len"],
    topp_batch=100, topp_p=0.7, repeats=10, judge_speed=True,
    train_batch=COLAB["train_batch_size"], train_device_batch=COLAB["train_device_batch_size"], train_len=833,
    train_summary_len=100,
    teacher_batch=COLAB["teacher_batch_size"], teacher_prompt_len=(700, 750),
    teacher_new_tokens=COLAB["teacher_max_new_tokens"],
    pytest_select=None,
)
TOY = dict(
    gpt2=dict(vocab_size=1000, n_positions=128, n_embd=64, n_layer=2, n_head=2),
    qwen=dict(vocab_size=1000, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=256, tie_word_embeddings=True),
    decode_batch=6, decode_prompt_len=(4, 8), decode_new_tokens=6,
    topp_batch=6, topp_p=0.7, repeats=2, judge_speed=False,   # microsecond timings: noise, not judged
    train_batch=2, train_device_batch=1, train_len=40, train_summary_len=10,
    teacher_batch=2, teacher_prompt_len=(10, 16), teacher_new_tokens=4,
    pytest_select="half_precision",        # 8 of the sampler tests: enough to show the pytest step works
)


def free_memory():
    """Drop unreferenced tensors and, with CUDA, return cached blocks and reset the peak-memory counter."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gib(device):
    """Peak GPU memory allocated since the last free_memory(), in GiB; None on the CPU."""
    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if device.type == "cuda" else None


def random_model(kind, sizes, device, dtype):
    """A randomly initialised GPT-2 ("gpt2") or Qwen2 ("qwen") causal LM of the given shape, built directly on
    `device` (no 6 GB CPU detour for Qwen2.5-1.5B), in `dtype`, eval mode, with the attention load_causal_lm
    gives every causal LM ("sdpa"). EOS is the last vocabulary id."""
    extra = {"attn_implementation": "sdpa"}
    if kind not in ("gpt2", "qwen"):
        raise ValueError(f"kind must be 'gpt2' or 'qwen', got {kind!r}")
    eos = sizes[kind]["vocab_size"] - 1
    with torch.device(device):
        if kind == "gpt2":
            model = GPT2LMHeadModel(GPT2Config(**sizes["gpt2"], bos_token_id=eos, eos_token_id=eos, **extra))
        else:
            model = Qwen2ForCausalLM(Qwen2Config(**sizes["qwen"], bos_token_id=eos, eos_token_id=eos,
                                                 pad_token_id=eos, **extra))
    return model.to(dtype).eval()


def left_padded_batch(batch, length_range, vocab, pad, device, seed=0):
    """Random prompts of lengths drawn from `length_range` (inclusive), left-padded with `pad`.

    Returns:
        (input_ids, attention_mask): (batch, max length) LongTensors on `device`; token ids avoid `pad`.
    """
    g = torch.Generator().manual_seed(seed)
    low, high = length_range
    lengths = torch.randint(low, high + 1, (batch,), generator=g)
    width = int(lengths.max())
    input_ids = torch.full((batch, width), pad, dtype=torch.long)
    attention_mask = torch.zeros((batch, width), dtype=torch.long)
    for row, n in enumerate(lengths.tolist()):
        input_ids[row, width - n:] = torch.randint(0, pad, (n,), generator=g)
        attention_mask[row, width - n:] = 1
    return input_ids.to(device), attention_mask.to(device)


# --- 1. sampler tests on the device ------------------------------------------------------------------------

def check_sampler_tests(device, sizes):
    """Run tests/test_decoding.py with its sampled batches on `device`; the pass/fail counts from pytest."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "test_decoding.py")]
    if sizes["pytest_select"]:
        cmd += ["-k", sizes["pytest_select"]]
    env = {**os.environ, "A6_TEST_DEVICE": str(device)}
    began = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    summary = (proc.stdout.strip().splitlines() or [""])[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", summary)}
    return {"ok": proc.returncode == 0, "seconds": round(seconds, 1), "counts": counts, "summary": summary,
            "output_tail": None if proc.returncode == 0 else (proc.stdout + proc.stderr)[-3000:]}


# --- 2. greedy decode loop against model.generate ----------------------------------------------------------

def hf_greedy(model, input_ids, attention_mask, new_tokens, eos):
    """model.generate's plain greedy continuation: (B, n) new tokens, settings explicit."""
    out = model.generate(input_ids=input_ids, attention_mask=attention_mask, do_sample=False, num_beams=1,
                         max_new_tokens=new_tokens, pad_token_id=eos, eos_token_id=eos, repetition_penalty=1.0)
    return out[:, input_ids.shape[1]:]


def rows_identical(a, b):
    """Rows of two (B, n_a), (B, n_b) token tensors equal over their common length."""
    n = min(a.shape[1], b.shape[1])
    return int((a[:, :n] == b[:, :n]).all(dim=1).sum())


def check_greedy(nb, device, sizes):
    """generate_ids greedy == model.generate greedy on a random GPT-2-shaped model: in fp32 every row must match;
    in fp16 (what Colab runs) agreement is reported (near-ties of a random model may flip). Both timed in each."""
    result = {"batch": sizes["decode_batch"], "new_tokens": sizes["decode_new_tokens"]}
    eos = sizes["gpt2"]["vocab_size"] - 1
    ids, mask = left_padded_batch(sizes["decode_batch"], sizes["decode_prompt_len"], eos, eos, device)
    for dtype in (torch.float32, torch.float16):
        name = str(dtype).replace("torch.", "")
        torch.manual_seed(0)
        model = random_model("gpt2", sizes, device, dtype)
        ours_fn = lambda: nb.generate_ids(model, ids, mask, sizes["decode_new_tokens"], "greedy", eos, eos)  # noqa: E731
        hf_fn = lambda: hf_greedy(model, ids, mask, sizes["decode_new_tokens"], eos)  # noqa: E731
        ours_fn(), hf_fn()                                                         # warm-up (kernels, allocator)
        ours, ours_s = timed(ours_fn)
        hf, hf_s = timed(hf_fn)
        result[name] = {"rows_identical": rows_identical(ours, hf), "ours_seconds": round(ours_s, 3),
                        "hf_seconds": round(hf_s, 3), "ours_tokens_per_s": round(ours.numel() / ours_s),
                        "hf_tokens_per_s": round(hf.numel() / hf_s)}
        del model
        free_memory()
    result["ok"] = result["float32"]["rows_identical"] == sizes["decode_batch"]
    return result


# --- 3. topp against Hugging Face's warper -----------------------------------------------------------------

def hf_topp(logits, warper):
    """Hugging Face's top-p: TopPLogitsWarper, softmax, one multinomial draw per row."""
    return torch.multinomial(torch.softmax(warper(None, logits), dim=-1), 1).squeeze(-1)


def check_topp(nb, device, sizes, dtype):
    """Time topp() and HF's top-p on (B, V) Zipf-like logits in `dtype`; every token drawn by ours must lie in
    HF's nucleus (20 draws per row), computed from the same logits in fp32 (in fp16 HF's own cumulative sum rounds,
    which would move the boundary; ours works in fp32/fp64 whatever the input dtype)."""
    vocab, p = sizes["gpt2"]["vocab_size"], sizes["topp_p"]
    logits = zipf_logits(vocab, batch=sizes["topp_batch"]).to(device=device, dtype=dtype)
    warper = TopPLogitsWarper(p)
    in_nucleus = torch.isfinite(warper(None, logits.float()))
    outside = sum(int((~in_nucleus.gather(-1, nb.topp(logits, p).unsqueeze(-1))).sum()) for _ in range(20))
    ours = min(timed(lambda: nb.topp(logits, p))[1] for _ in range(sizes["repeats"]))
    hf = min(timed(lambda: hf_topp(logits.clone(), warper))[1] for _ in range(sizes["repeats"]))
    return {"ok": outside == 0, "logits": list(logits.shape), "dtype": str(dtype).replace("torch.", ""), "p": p,
            "draws_outside_hf_nucleus": outside, "ours_ms": round(ours * 1e3, 3), "hf_ms": round(hf * 1e3, 3),
            "speedup": round(hf / ours, 2)}


def check_sampler_speed(nb, device, sizes):
    """Every sampler over the sweeps' grids (bench_samplers.SETTINGS: t, k, p with their edges) on (topp_batch,
    GPT-2 vocab) float32 logits: ratios to one softmax and HF's time over ours. ok: ours is no slower than HF's
    warper + softmax + multinomial at any grid value (k = 1 and p = 0 have no HF counterpart); judged only at the
    real sizes (sizes["judge_speed"]), not on the toy run's microsecond timings."""
    shape = (sizes["topp_batch"], sizes["gpt2"]["vocab_size"])
    soft, rows = bench_samplers.measure(nb, shape, torch.float32, bench_samplers.SETTINGS, sizes["repeats"], device)
    slower = [f"{m} {v}" for (m, v), (_, hf, speedup) in rows.items() if hf is not None and speedup < 1]
    return {"ok": not (slower and sizes["judge_speed"]), "slower_than_hf": slower, "logits": list(shape),
            "softmax_ms": round(soft * 1e3, 3),
            "ratios": {f"{m} {v}": {"ours_over_softmax": round(a, 2), "hf_over_ours": b and round(c, 1)}
                       for (m, v), (a, b, c) in rows.items()}}


# --- 4. one fine-tuning configuration ------------------------------------------------------------------------

def padding_tokenizer():
    """A two-token fast tokenizer that stands in for the student's where fine-tuning only pads token ids (GPT-2's own
    tokenizer is not on the GPU machine, which has no Hub); its pad token is id 0."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"<pad>": 0, "<unk>": 1}, unk_token="<unk>")),
                                   pad_token="<pad>", unk_token="<unk>")


def random_training_examples(n, length, summary_len, vocab, seed=0):
    """n examples shaped like prepare_data_for_distillation's: `length` tokens, labels -100 except the last
    `summary_len` (the summary and its EOS). Lists of ints, as the Trainer receives them."""
    g = torch.Generator().manual_seed(seed)
    examples = []
    for _ in range(n):
        ids = torch.randint(0, vocab - 1, (length,), generator=g).tolist()
        examples.append({"input_ids": ids, "attention_mask": [1] * length,
                         "labels": [-100] * (length - summary_len) + ids[length - summary_len:]})
    return examples


def check_training(nb, device, sizes):
    """The notebook's fine_tune_student_model (Trainer; fp16 autocast and GradScaler on CUDA; AdamW) for 2 steps
    of batch train_batch x train_len tokens on a GPT-2-shaped fp32 model, train_device_batch examples per forward pass
    (gradients accumulated, as the colab profile trains): seconds per step and peak memory."""
    free_memory()
    torch.manual_seed(0)
    model = random_model("gpt2", sizes, device, torch.float32).train()
    free_memory()                                         # the peak counts from the fp32 weights on
    vocab = sizes["gpt2"]["vocab_size"]
    examples = random_training_examples(2 * sizes["train_batch"], sizes["train_len"], sizes["train_summary_len"], vocab)
    log = []
    _, seconds = timed(lambda: nb.fine_tune_student_model(model, padding_tokenizer(), examples, epochs=1,
                                                          batch_size=sizes["train_batch"], learning_rate=5e-5,
                                                          device_batch_size=sizes["train_device_batch"],
                                                          log_history=log))
    runtime = next((entry["train_runtime"] for entry in log if "train_runtime" in entry), seconds)
    losses = [entry["loss"] for entry in log if "loss" in entry]
    result = {"ok": bool(losses) and all(math.isfinite(loss) for loss in losses),
              "batch": sizes["train_batch"], "device_batch": sizes["train_device_batch"],
              "tokens_per_example": sizes["train_len"], "steps": 2,
              "seconds_per_step": round(runtime / 2, 3), "seconds_with_setup": round(seconds, 2),  # first step warms up
              "losses": losses, "peak_gib": peak_gib(device), "precision": nb.training_precision(nb.DEVICE)}
    del model
    free_memory()
    return result


# --- 5. teacher generation ------------------------------------------------------------------------------------

def check_teacher(nb, device, sizes):
    """Greedy generation with a Qwen2.5-1.5B-shaped model in fp16 (as Colab loads the teacher on a T4):
    teacher_batch left-padded prompts, exactly teacher_new_tokens new tokens; seconds (after a 2-token warm-up),
    the prompt's forward pass alone (prefill_seconds, last position's logits only, as generate computes them) and
    the rest per new token (seconds_per_step), and peak memory."""
    free_memory()
    dtype = torch.float16
    torch.manual_seed(0)
    model = random_model("qwen", sizes, device, dtype)
    free_memory()                                         # built in fp32, then halved: count from the fp16 weights
    eos = sizes["qwen"]["vocab_size"] - 1
    n_new = sizes["teacher_new_tokens"]
    ids, mask = left_padded_batch(sizes["teacher_batch"], sizes["teacher_prompt_len"], eos, eos, device, seed=1)
    settings = dict(do_sample=False, num_beams=1, pad_token_id=eos, eos_token_id=eos, use_cache=True)
    prefill = lambda: model(input_ids=ids, attention_mask=mask, logits_to_keep=1).logits[:, -1]  # noqa: E731
    with torch.no_grad():
        prefill()
        model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=2, **settings)       # warm-up
        prompt_logits, prefill_seconds = timed(prefill)         # the prompt's pass alone, as generate makes it
        out, seconds = timed(lambda: model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n_new,
                                                    min_new_tokens=n_new, **settings))
    n_params = sum(p.numel() for p in model.parameters())
    result = {"ok": out.shape[1] - ids.shape[1] == n_new and bool(torch.isfinite(prompt_logits).all()),
              "dtype": str(dtype).replace("torch.", ""), "parameters_millions": round(n_params / 1e6, 1),
              "batch": sizes["teacher_batch"], "prompt_tokens": ids.shape[1], "new_tokens": n_new,
              "seconds": round(seconds, 2), "tokens_per_s": round(sizes["teacher_batch"] * n_new / seconds),
              "prefill_seconds": round(prefill_seconds, 4),
              "seconds_per_step": round(max(seconds - prefill_seconds, 0.0) / n_new, 5),
              "peak_gib": peak_gib(device)}
    del model
    free_memory()
    return result


# --- 6. the fp16 guard (hook) ----------------------------------------------------------------------------------

def overflowing_model(sizes, device, dtype, scale=1e4):
    """A small Qwen2 (the toy shape) whose RMSNorm weights are multiplied by `scale`: the MLP's intermediate
    activations then exceed fp16's range (65504), so its fp16 logits are non-finite while fp32 ones are finite
    (the way Qwen2-family models fail in fp16, made certain). fp16 matmuls run on the CPU too."""
    torch.manual_seed(0)
    model = random_model("qwen", TOY, device, torch.float32)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("layernorm.weight"):
                param.mul_(scale)
    return model.to(dtype)


def check_fp16_guard(nb, device, sizes):
    """HOOK for the notebook's fp16 guard ("The teacher in fp16" in docs/colab.md).

    Always checks the precondition: the overflowing model's fp16 logits are non-finite, its fp32 logits finite.
    Then, if the notebook defines guarded_teacher_generate, calls it with the fp16 model and expects it to notice
    and switch. Assumed contract (edit this call if the notebook's function differs):
        guarded_teacher_generate(model, input_ids, attention_mask, max_new_tokens, pad_token_id, eos_token_id,
                                 reload) -> (output_ids, model)
    where reload(dtype) returns the teacher in `dtype` (bf16 where the GPU supports it, else fp32); output_ids are
    (B, L + n) like model.generate's, and the model returned is the one it finished with.
    """
    eos = TOY["qwen"]["vocab_size"] - 1
    ids, mask = left_padded_batch(2, (6, 10), eos, eos, device, seed=2)
    with torch.no_grad():
        fp16_logits = overflowing_model(sizes, device, torch.float16)(input_ids=ids, attention_mask=mask).logits
        fp32_logits = overflowing_model(sizes, device, torch.float32)(input_ids=ids, attention_mask=mask).logits
    result = {"fp16_logits_nonfinite": not bool(torch.isfinite(fp16_logits).all()),
              "fp32_logits_finite": bool(torch.isfinite(fp32_logits).all())}
    precondition = result["fp16_logits_nonfinite"] and result["fp32_logits_finite"]
    guard = getattr(nb, "guarded_teacher_generate", None)
    if guard is None:
        result.update(ok=precondition, skipped="the notebook has no guarded_teacher_generate yet: guard not exercised")
        return result
    try:
        out, final_model = guard(overflowing_model(sizes, device, torch.float16), ids, mask, 4, eos, eos,
                                 lambda dtype: overflowing_model(sizes, device, dtype))
    except TypeError as err:       # the notebook's signature differs from the contract above
        result.update(ok=False, error=f"guarded_teacher_generate does not take the hook's arguments: {err}")
        return result
    with torch.no_grad():
        logits = final_model(input_ids=out, attention_mask=torch.ones_like(out)).logits
    result.update(final_dtype=str(next(final_model.parameters()).dtype).replace("torch.", ""),
                  final_logits_finite=bool(torch.isfinite(logits).all()), new_tokens=out.shape[1] - ids.shape[1])
    result["ok"] = precondition and result["final_dtype"] != "float16" and result["final_logits_finite"]
    return result


# --- 7. the GPU's own facts --------------------------------------------------------------------------------------

SDPA_BACKENDS = ("math", "mem_efficient", "flash", "cudnn")
SDPA_DTYPES = (torch.float16, torch.bfloat16, torch.float32)


def device_facts(device):
    """What torch says about `device`, in the keys of tests/gpu_sheets.py: name, capability, total_memory,
    is_bf16_supported (torch's default, including_emulation=True), native_bf16 (including_emulation=False), and
    which SDPA backends are enabled (torch.backends.cuda.*_sdp_enabled). None for each GPU fact on a CPU."""
    facts = dict.fromkeys(("name", "capability", "total_memory", "is_bf16_supported", "native_bf16"))
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        facts.update(name=props.name, capability=[props.major, props.minor], total_memory=props.total_memory,
                     is_bf16_supported=torch.cuda.is_bf16_supported(),
                     native_bf16=torch.cuda.is_bf16_supported(including_emulation=False))
    facts["sdpa_enabled"] = {name: getattr(torch.backends.cuda, f"{name}_sdp_enabled")() for name in SDPA_BACKENDS
                             if hasattr(torch.backends.cuda, f"{name}_sdp_enabled")}
    return facts


def sdpa_run(device, dtype, backend, masked):
    """F.scaled_dot_product_attention on (2, 4, 6, 16) inputs with only `backend` allowed (None: PyTorch's choice).
    masked: a causal boolean mask whose row 0 is left-padded by 2 positions, so that its first two queries have
    every key masked. Returns {"ran", "nan_in_all_masked_rows", "all_masked_rows_zero", "nan_elsewhere", "output"}
    (output: the (2, 4, 6, 16) result, on the CPU) or {"ran": False, "error"}."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    kinds = {"math": SDPBackend.MATH, "mem_efficient": SDPBackend.EFFICIENT_ATTENTION,
             "flash": SDPBackend.FLASH_ATTENTION, "cudnn": getattr(SDPBackend, "CUDNN_ATTENTION", None)}
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 4, 6, 16, generator=g).to(device, dtype) for _ in range(3))
    mask = None
    if masked:
        keep = torch.ones(2, 6, dtype=torch.bool)
        keep[0, :2] = False                                                        # row 0: two pads on the left
        mask = (torch.ones(6, 6, dtype=torch.bool).tril() & keep[:, None, None, :]).to(device)   # (2, 1, 6, 6)
    try:
        context = sdpa_kernel(kinds[backend]) if backend else contextlib.nullcontext()
        with context, torch.no_grad():
            out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                                    is_causal=not masked)
    except Exception as err:                   # the backend refuses this device, dtype or mask
        return {"ran": False, "error": f"{type(err).__name__}: {str(err).splitlines()[0][:160]}"}
    out = out.float().cpu()
    nan = torch.isnan(out)
    all_masked = torch.zeros_like(nan)
    if masked:
        all_masked[0, :, :2] = True
    return {"ran": True, "nan_in_all_masked_rows": bool(nan[all_masked].any()) if masked else None,
            "all_masked_rows_zero": bool((out[all_masked] == 0).all()) if masked else None,
            "nan_elsewhere": bool(nan[~all_masked].any()), "output": out}


def masked_row_result(run):
    """"0", "NaN" or "other": what a masked sdpa_run returned for the all-masked rows."""
    return "NaN" if run["nan_in_all_masked_rows"] else "0" if run["all_masked_rows_zero"] else "other"


def sdpa_summary(sdpa, padded):
    """The SDPA facts in the keys of tests/gpu_sheets.py, from check_gpu_facts' runs:
    sdpa_runs {backend: dtypes it ran (unmasked)}; sdpa_with_mask {dtype: the backend whose masked output is the
    default choice's, bit for bit (None: no single one)}; fully_masked_row {backend: "0" | "NaN" | "other" |
    "mixed" over the dtypes it ran masked}."""
    runs = {backend: tuple(dtype for dtype, by_backend in sdpa.items() if by_backend[backend]["ran"])
            for backend in SDPA_BACKENDS}
    with_mask = {}
    for dtype, by_backend in padded.items():
        default = by_backend["default"]
        same = [backend for backend in SDPA_BACKENDS if default["ran"] and by_backend[backend]["ran"]
                and torch.equal(by_backend[backend]["output"].nan_to_num(7.0), default["output"].nan_to_num(7.0))]
        with_mask[dtype] = same[0] if len(same) == 1 else None
    rows = {}
    for backend in SDPA_BACKENDS:
        results = {masked_row_result(by_backend[backend]) for by_backend in padded.values()
                   if by_backend[backend]["ran"]}
        if results:
            rows[backend] = results.pop() if len(results) == 1 else "mixed"
    return {"sdpa_runs": runs, "sdpa_with_mask": with_mask, "fully_masked_row": rows}


def sheet_differences(facts, summary, sheets_module=None):
    """{key: [sheet's value, this GPU's]} for every fact where tests/gpu_sheets.py's sheet of the same GPU name
    differs from what this GPU answered (summary: sdpa_summary's); a string when no sheet has that name. The total
    memory differs when it lies outside the range of published values (it depends on the driver and ECC)."""
    if sheets_module is None:
        sys.path.insert(0, str(ROOT / "tests"))
        import gpu_sheets as sheets_module
    sheet = next((s for s in sheets_module.SHEETS.values() if s["name"] == facts["name"]), None)
    if sheet is None:
        return f"no fact sheet for {facts['name']!r}"
    differences = {key: [sheet[key], facts[key]] for key in ("name", "is_bf16_supported", "native_bf16")
                   if sheet[key] != facts[key]}
    if sheet["capability"] != tuple(facts["capability"] or ()):
        differences["capability"] = [sheet["capability"], tuple(facts["capability"] or ())]
    low, high = sheet["total_memory_mib_published"]
    if not low <= (facts["total_memory"] or 0) / 2**20 <= high:
        differences["total_memory"] = [sheet["total_memory_mib_published"], facts["total_memory"]]
    runs = {backend: tuple(sorted(dtypes)) for backend, dtypes in summary["sdpa_runs"].items()}
    if {b: tuple(sorted(d)) for b, d in sheet["sdpa_runs"].items()} != runs:
        differences["sdpa_runs"] = [sheet["sdpa_runs"], summary["sdpa_runs"]]
    if sheet["sdpa_with_mask"] != summary["sdpa_with_mask"]:
        differences["sdpa_with_mask"] = [sheet["sdpa_with_mask"], summary["sdpa_with_mask"]]
    rows = {backend: summary["fully_masked_row"].get(backend) for backend in sheet["fully_masked_row"]}
    if sheet["fully_masked_row"] != rows:
        differences["fully_masked_row"] = [sheet["fully_masked_row"], rows]
    return differences


def check_gpu_facts(nb, device):
    """The GPU's facts (device_facts), which SDPA backends run per dtype with a causal mask and with a left-padded
    mask (NaN or 0 in all-masked rows, NaN elsewhere), which backend PyTorch picks for the padded one, the notebook's
    choices on this device, and the differences from the tests' fact sheet of this GPU. Facts are recorded, not
    judged: ok unless a masked SDPA gives NaN outside the all-masked rows (real positions)."""
    facts = device_facts(device)
    name = lambda dtype: str(dtype).replace("torch.", "")  # noqa: E731
    sdpa = {name(dtype): {backend: sdpa_run(device, dtype, backend, masked=False) for backend in SDPA_BACKENDS}
            for dtype in SDPA_DTYPES}
    padded = {name(dtype): {backend or "default": sdpa_run(device, dtype, backend, masked=True)
                            for backend in (None, *SDPA_BACKENDS)}
              for dtype in SDPA_DTYPES}
    summary = sdpa_summary(sdpa, padded)
    for runs in (*sdpa.values(), *padded.values()):        # the outputs were only for the comparison
        for run in runs.values():
            run.pop("output", None)
    fp16_param = types.SimpleNamespace(dtype=torch.float16, device=device)
    choices = {"part_1_1_dtype": str(nb.pick_dtype(device)), "teacher_load_dtype": str(nb.teacher_load_dtype(device)),
               "trainer_precision": nb.training_precision(device),
               "after_fp16_overflow": str(nb.safer_dtype(types.SimpleNamespace(parameters=lambda: iter([fp16_param]))))}
    result = {"facts": facts, "sdpa_runs": sdpa, "padded_row_sdpa": padded, "sdpa_summary": summary,
              "notebook_choices": choices,
              "sheet_differences": sheet_differences(facts, summary) if device.type == "cuda" else "CPU: no sheet",
              "ok": not any(run.get("nan_elsewhere") for runs in padded.values() for run in runs.values())}
    return result


# --- 8. the time plan ------------------------------------------------------------------------------------------

# The phases of the table "Time plan of a Run all on a free T4" in docs/colab.md, in its order (a test checks both).
PHASES = ("downloads", "model loads", "1.1.5 decoding", "1.1.5 scoring", "teacher prefill", "teacher decoding",
          "fine-tuning", "evaluation", "extra: evaluate parity", "extra: sweeps", "extra: controls",
          "extra: one more training seed")
TIME_PLAN_HEADING = "## Time plan of a Run all on a free T4"


def time_plan_estimates(text=None):
    """{phase: estimate} from the time-plan table of docs/colab.md (columns: phase, work, what bounds it,
    estimate, source), in the table's order; `text`: the page's text (default: read it)."""
    text = (ROOT / "docs" / "colab.md").read_text() if text is None else text
    if TIME_PLAN_HEADING not in text:
        raise ValueError(f"docs/colab.md has no section {TIME_PLAN_HEADING!r}")
    section = text.split(TIME_PLAN_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 5 and cells[0] != "phase" and set(cells[0]) - set("- "):
            rows[cells[0]] = cells[3]
    return rows


def colab_counts(kind_sizes):
    """The counts of a Run all that the time plan multiplies by: the notebook's colab profile (full sizes), or the
    tiny profile's (toy sizes, to keep the arithmetic exercised)."""
    return profiles_table()["tiny"] if kind_sizes is TOY else COLAB


def measure_loads(nb, device, sizes):
    """Seconds of the notebook's load_causal_lm for a GPT-2-shaped model (saved in fp32, loaded in fp16) and a
    Qwen2.5-1.5B-shaped one (saved in bf16 as on the Hub, loaded in fp16), each from a local folder written just
    before (so read from the page cache, as right after a download)."""
    seconds = {}
    with tempfile.TemporaryDirectory() as folder:
        for kind, saved in (("gpt2", torch.float32), ("qwen", torch.bfloat16)):
            torch.manual_seed(0)
            path = os.path.join(folder, kind)
            random_model(kind, sizes, device, saved).save_pretrained(path)
            free_memory()
            model, seconds[kind] = timed(lambda: nb.load_causal_lm(path, device=device, dtype=torch.float16))
            del model
            free_memory()
    return seconds


def measure_decoding_runs(nb, device, sizes, counts):
    """Seconds of generate_ids for each of 1.1.5's runs (decoding_runs) on a GPT-2-shaped fp16 model, at the
    profile's decode batch and max_len, every row decoding all max_len tokens (no EOS): {run: seconds}."""
    torch.manual_seed(0)
    model = random_model("gpt2", sizes, device, torch.float16)
    pad = sizes["gpt2"]["vocab_size"] - 1
    ids, mask = left_padded_batch(counts["decode_batch_size"], sizes["decode_prompt_len"], pad, pad, device)
    seconds = {}
    with torch.no_grad():
        nb.generate_ids(model, ids, mask, 2, "greedy", None, pad)                      # warm-up
        for run, (method, kwargs) in nb.decoding_runs().items():
            _, seconds[run] = timed(lambda: nb.generate_ids(model, ids, mask, counts["max_len"], method, None, pad,
                                                            **kwargs))
    del model
    free_memory()
    return seconds


def measure_student_batch(device, sizes, counts):
    """Seconds of one batch of the student's summaries: a GPT-2-shaped fp32 model (as fine-tuned), the profile's
    student batch of prompts as long as the teacher's, top-p sampling of exactly student_max_new_tokens tokens."""
    torch.manual_seed(0)
    model = random_model("gpt2", sizes, device, torch.float32)
    pad = sizes["gpt2"]["vocab_size"] - 1
    ids, mask = left_padded_batch(counts["student_batch_size"], sizes["teacher_prompt_len"], pad, pad, device)
    n_new = counts["student_max_new_tokens"]
    settings = dict(do_sample=True, top_p=counts["student_top_p"], top_k=0, pad_token_id=pad, eos_token_id=pad)
    with torch.no_grad():
        model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=2, **settings)     # warm-up
        _, seconds = timed(lambda: model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n_new,
                                                  min_new_tokens=n_new, **settings))
    del model
    free_memory()
    return seconds


def batches(n, batch_size):
    """How many batches of at most `batch_size` hold `n` items."""
    return -(-n // batch_size)


def plan_measurements(checks, loads, runs, student_batch_s, counts, sweep_run_count):
    """{phase: (seconds or None, how)} for every phase of PHASES, from this run's measurements multiplied by the
    profile's counts (`counts`), or None with the reason a phase is not measured here."""
    teacher, training = checks["teacher"], checks["training"]
    n_train, n_eval, tb = counts["n_train_articles"], counts["n_eval_articles"], counts["teacher_batch_size"]
    teacher_batches = batches(n_train, tb) + batches(n_eval, tb)
    steps = batches(n_train, counts["train_batch_size"]) * counts["train_epochs"]
    fine_tune = training["seconds_per_step"] * steps
    student_batches = batches(n_eval, counts["student_batch_size"])
    evaluation = 2 * student_batches * student_batch_s                              # before and after
    decode_batches = batches(counts["n_prompts"] * counts["n_per_prompt"], counts["decode_batch_size"])
    decoding = sum(runs.values()) * decode_batches
    sweep_batches = batches(counts["n_prompts"] * counts["sweep_n_per_prompt"], counts["decode_batch_size"])
    cost_batches = batches(n_eval, tb)           # generation_cost: 2 passes, teacher and student at the teacher's batch
    teacher_cost_batch = teacher["prefill_seconds"] + counts["student_max_new_tokens"] * teacher["seconds_per_step"]
    cost = 2 * cost_batches * (teacher_cost_batch + student_batch_s)
    return {
        "downloads": (None, "not measured here: the GPU machine has no Hub"),
        "model loads": (loads["gpt2"] + loads["qwen"],
                        f"load_causal_lm from a local folder: GPT-2 shape {loads['gpt2']:.1f} s, Qwen2.5-1.5B shape "
                        f"{loads['qwen']:.1f} s (RoBERTa-large and the fp32 student not included)"),
        "1.1.5 decoding": (decoding, f"{len(runs)} runs x {decode_batches} batch(es) of {counts['decode_batch_size']} "
                                     f"x {counts['max_len']} tokens, generate_ids in fp16: "
                                     + ", ".join(f"{r} {s:.2f} s" for r, s in runs.items())),
        "1.1.5 scoring": (None, "not measured here: needs GPT-2's and RoBERTa-large's tokenizers (from the Hub)"),
        "teacher prefill": (teacher["prefill_seconds"] * teacher_batches,
                            f"{teacher_batches} batches x {teacher['prefill_seconds']:.3f} s "
                            f"(batch {teacher['batch']}, {teacher['prompt_tokens']} prompt positions)"),
        "teacher decoding": (teacher["seconds_per_step"] * teacher_batches * counts["teacher_max_new_tokens"],
                             f"{teacher_batches} batches x {counts['teacher_max_new_tokens']} steps x "
                             f"{teacher['seconds_per_step'] * 1e3:.1f} ms (batch {teacher['batch']})"),
        "fine-tuning": (fine_tune, f"{steps} steps x {training['seconds_per_step']:.3f} s"),
        "evaluation": (evaluation, f"2 x {student_batches} batches x {student_batch_s:.2f} s of student summaries "
                                   f"(ROUGE not included)"),
        "extra: evaluate parity": (None, "not measured here: needs pip and the Hub"),
        "extra: sweeps": (None if sweep_run_count is None else
                          sum(runs.values()) / len(runs) * sweep_batches * sweep_run_count
                          * counts["sweep_max_len"] / counts["max_len"],
                          f"{sweep_run_count} decoding runs x {sweep_batches} batch(es) at the mean 1.1.5 batch's time "
                          f"per token (scoring not included)"),
        "extra: controls": (fine_tune + evaluation / 2 + cost,
                            "one more fine-tuning, one pass of student summaries, generation_cost's 2 passes of "
                            "teacher and student batches"),
        "extra: one more training seed": (fine_tune + evaluation, "one more fine-tuning and 2 passes of student "
                                                                  "summaries (controls off)"),
    }


def check_time_plan(nb, device, sizes, checks, estimates=None):
    """The time plan's phases (PHASES) with docs/colab.md's estimate beside the time measured here for the counts
    of the profile (colab with full sizes). ok when the page's table names exactly PHASES, in order, and every
    measurement ran."""
    estimates = time_plan_estimates() if estimates is None else estimates
    counts = colab_counts(sizes)
    loads = measure_loads(nb, device, sizes)
    runs = measure_decoding_runs(nb, device, sizes, counts)
    student_batch_s = measure_student_batch(device, sizes, counts)
    sweep_run_count = (len(nb.sweep_runs(sizes["gpt2"]["vocab_size"])) + nb.NOISE_SEEDS
                       if hasattr(nb, "sweep_runs") else None)
    measured = plan_measurements(checks, loads, runs, student_batch_s, counts, sweep_run_count)
    phases = [{"phase": phase, "estimate": estimates.get(phase),
               "measured_s": None if seconds is None else round(seconds, 1), "how": how}
              for phase, (seconds, how) in ((phase, measured[phase]) for phase in PHASES)]
    return {"ok": tuple(estimates) == PHASES, "docs_phases": list(estimates), "phases": phases,
            "counts_of_profile": "tiny" if sizes is TOY else "colab"}


def format_seconds(seconds):
    """'42 s' below two minutes, else '3.5 min'; 'not measured' for None."""
    if seconds is None:
        return "not measured"
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def time_plan_table(plan, gpu):
    """Markdown table of check_time_plan's phases: estimate (T4, docs/colab.md) beside the time measured on `gpu`."""
    lines = [f"| phase | estimate on a T4 (docs/colab.md, not measured) | measured on {gpu} | how |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {p['phase']} | {p['estimate'] or 'NOT IN docs/colab.md'} | {format_seconds(p['measured_s'])} | "
              f"{p['how']} |" for p in plan["phases"]]
    return "\n".join(lines)


# --- report ----------------------------------------------------------------------------------------------------

def table(results):
    """Markdown table: one row per check, with its key figures."""
    c = results["checks"]
    rows = []
    if "sampler_tests" in c:
        s = c["sampler_tests"]
        rows.append(("sampler tests on the device", s["ok"], s["summary"]))
    g = c["greedy"]
    detail = "; ".join(f"{name}: {g[name]['rows_identical']}/{g['batch']} rows identical, {g['new_tokens']} tokens in "
                       f"{g[name]['ours_seconds']} s ours ({g[name]['ours_tokens_per_s']} tok/s), "
                       f"{g[name]['hf_seconds']} s generate ({g[name]['hf_tokens_per_s']} tok/s)"
                       for name in ("float32", "float16"))
    rows.append(("greedy generate_ids = model.generate (GPT-2 shape)", g["ok"], detail))
    t = c["topp"]
    rows.append(("topp vs TopPLogitsWarper", t["ok"],
                 f"{t['logits']} {t['dtype']}, p = {t['p']}: ours {t['ours_ms']} ms, HF {t['hf_ms']} ms "
                 f"({t['speedup']}x); {t['draws_outside_hf_nucleus']} draws outside HF's nucleus"))
    if "samplers" in c:
        r = c["samplers"]
        rows.append(("samplers vs softmax and HF", r["ok"], f"{r['logits']} float32, softmax {r['softmax_ms']} ms; "
                     f"slower than HF at: {', '.join(r['slower_than_hf']) or 'none'}; "
                     + "; ".join(f"{name}: {v['ours_over_softmax']}x softmax, HF/ours {v['hf_over_ours']}"
                                 for name, v in r["ratios"].items())))
    f = c["training"]
    rows.append(("fine-tuning step (Trainer, GPT-2 shape)", f["ok"],
                 f"batch {f['batch']} ({f['device_batch']} per pass, accumulated) x {f['tokens_per_example']} tokens, "
                 f"autocast {f['precision']}: "
                 f"{f['seconds_per_step']} s/step, peak {f['peak_gib']} GiB"))
    q = c["teacher"]
    rows.append(("teacher generation (Qwen2.5-1.5B shape)", q["ok"],
                 f"{q['parameters_millions']}M parameters {q['dtype']}, batch {q['batch']}, prompt {q['prompt_tokens']}, "
                 f"{q['new_tokens']} new: {q['seconds']} s ({q['tokens_per_s']} tok/s), peak {q['peak_gib']} GiB"))
    h = c["fp16_guard"]
    rows.append(("fp16 guard", h["ok"], h.get("skipped") or h.get("error") or
                 f"finished in {h['final_dtype']}, logits finite {h['final_logits_finite']}"))
    if "gpu_facts" in c:
        k = c["gpu_facts"]
        facts = k["facts"]
        rows.append(("GPU facts (vs the tests' fact sheet)", k["ok"],
                     f"{facts['name']}, capability {facts['capability']}, {facts['total_memory']} bytes, "
                     f"is_bf16_supported {facts['is_bf16_supported']} (native {facts['native_bf16']}); "
                     f"fp16 SDPA that runs: {[b for b, r in k['sdpa_runs']['float16'].items() if r['ran']]}; "
                     f"all-masked row (fp16, bf16, fp32): {k['sdpa_summary']['fully_masked_row']}; "
                     f"padded batch runs: {k['sdpa_summary']['sdpa_with_mask']}; "
                     f"notebook: {k['notebook_choices']}; sheet differences: {k['sheet_differences']}"))
    if "time_plan" in c:
        plan = c["time_plan"]
        rows.append(("time plan (vs docs/colab.md)", plan["ok"],
                     f"phases of docs/colab.md: {plan['docs_phases']}; counts of the {plan['counts_of_profile']} "
                     f"profile; table below"))
    lines = [f"machine: {results['machine_line']}; mode {results['mode']}; {results['seconds']} s in all", "",
             "| check | ok | result |", "| --- | --- | --- |"]
    lines += [f"| {name} | {'yes' if ok else 'NO'} | {detail} |" for name, ok, detail in rows]
    if "time_plan" in c:
        gpu = results["machine"].get("gpu") or "this CPU (toy sizes)"
        lines += ["", "Time plan of a Run all, phase by phase (docs/colab.md):", "",
                  time_plan_table(c["time_plan"], gpu)]
    return "\n".join(lines)


def run_checks(toy, skip_pytest=False):
    """All checks at toy sizes on the CPU (toy=True) or full sizes on CUDA. Returns the results dict."""
    device = torch.device("cpu" if toy else "cuda")
    sizes = TOY if toy else FULL
    began = time.perf_counter()
    nb = load_definitions()
    checks = {}
    if not skip_pytest:
        checks["sampler_tests"] = check_sampler_tests(device, sizes)
    checks["greedy"] = check_greedy(nb, device, sizes)
    checks["topp"] = check_topp(nb, device, sizes, torch.float16 if device.type == "cuda" else torch.float32)
    checks["samplers"] = check_sampler_speed(nb, device, sizes)
    checks["training"] = check_training(nb, device, sizes)
    checks["teacher"] = check_teacher(nb, device, sizes)
    checks["fp16_guard"] = check_fp16_guard(nb, device, sizes)
    checks["gpu_facts"] = check_gpu_facts(nb, device)
    checks["time_plan"] = check_time_plan(nb, device, sizes, checks)
    return {"mode": "toy (CPU)" if toy else "full (CUDA)", "machine": machine_info(), "machine_line": machine(),
            "sizes": sizes, "checks": checks,
            "ok": all(check["ok"] for check in checks.values()), "seconds": round(time.perf_counter() - began, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toy", action="store_true", help="tiny sizes on the CPU (the default without CUDA)")
    parser.add_argument("--out", default=None, help="JSON file (default results/gpu/gpu_check.json, "
                                                     "results/gpu/toy/gpu_check.json with --toy)")
    parser.add_argument("--skip-pytest", action="store_true", help="leave out the sampler tests")
    args = parser.parse_args(argv)
    toy = args.toy or not torch.cuda.is_available()
    if toy and not args.toy:
        print("no CUDA: running the toy sizes on the CPU")
    out = pathlib.Path(args.out or ROOT / "results" / "gpu" / ("toy" if toy else "") / "gpu_check.json")
    results = run_checks(toy, args.skip_pytest)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwrote {out}")
    return 0 if results["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
