"""GPU fact sheets: what torch.cuda answers on a given GPU, from published facts, so that every GPU-side choice of
the notebook can be tested on a machine without a GPU.

`apply(name, monkeypatch)` makes torch.cuda answer as that GPU does. Only the lowest layer is replaced
(is_available, device_count, current_device, get_device_properties, empty_cache, synchronize, and the bf16
tensor-creation probe); torch's own is_bf16_supported, get_device_capability and get_device_name run on top of it,
so the sheet shows what torch's real logic answers on that GPU.

Sources of the facts (each sheet names the ones it uses):
  * CUDA_GPUS: NVIDIA, "CUDA GPUs - Compute Capability", https://developer.nvidia.com/cuda-gpus
    (Tesla T4: 7.5; A100: 8.0; L4: 8.9).
  * TURING: NVIDIA Turing GPU architecture whitepaper (2018): Turing tensor cores run FP16, INT8 and INT4 (no
    bf16); the Tesla T4 has 40 SMs.
  * AMPERE: NVIDIA A100 Tensor Core GPU architecture whitepaper (2020): bf16 tensor cores are new in Ampere (8.0);
    the A100 has 108 SMs.
  * TORCH_BF16: torch/cuda/__init__.py, is_bf16_supported(including_emulation=True) (torch 2.13.0, installed in
    the test environment; the same logic in Colab's 2.11): True when get_device_properties(device).major >= 8;
    else False when including_emulation=False; else whether a bf16 tensor can be created on the device (it can on
    a T4: emulation).
  * TORCH_SDPA: aten/src/ATen/native/transformers/cuda/sdp_utils.cpp (pytorch/pytorch main, 2026; its 2024 version
    has the same capability rules): the flash and cuDNN kernels need compute capability >= 8.0 and fp16/bf16; below
    8.0 the memory-efficient kernel takes fp16 and fp32 only (bf16 from 8.0 on); the math kernel takes every dtype;
    flash takes no attn_mask at all (check_for_attn_mask), so a padded batch never runs it; cuDNN is moved to the
    front of the order only on compute capability 9.x and 10.x (check_prefer_cudnn_attention), never below 9.0.
  * TORCH_SDPA_ORDER: aten/src/ATen/Context.h, the default order SDPA tries: flash, memory-efficient, math, cuDNN. The
    math kernel is enabled by default, so below 9.0 cuDNN is never reached unless asked for.
  * SDPA_MASKED_ROWS: since torch 2.5 the math kernel and the fused memory-efficient and CPU flash kernels return 0
    for a query row whose keys are all masked, where they returned NaN before (pytorch/pytorch pulls 131060, 131844,
    133882: _safe_softmax in the math kernel, the same rule in the fused kernels). The NaN reports on left-padded rows
    since then (unslothai/unsloth pull 9848: a B200, fp16, torch 2.13, transformers 5.15.1) come from a GPU where
    cuDNN is preferred; what cuDNN returns for such a row on an 8.0 GPU is not established, so no sheet states it.
  * T4_MEMORY: NVIDIA T4 datasheet: 16 GB GDDR6; Colab: "All our T4s have 16GB"
    (https://github.com/googlecolab/colabtools/issues/4134). total_memory is what CUDA reports
    (cudaGetDeviceProperties' totalGlobalMem: torch.cuda.get_device_properties(0).total_memory, deviceQuery's "Total
    amount of global memory"), the figure bench/gpu_check.py records and compares; not nvidia-smi's memory total. It
    depends on the driver and the ECC setting: public deviceQuery outputs of a Tesla T4 give 15110 MiB
    (15,843,721,216 bytes; a deviceQuery listing at chiemon.github.io/2024/12/25) and 14931 MiB (15,655,829,504 bytes;
    bottlerocket-os/bottlerocket pull 3798). The sheet takes the first; total_memory_mib_published is the range.
  * A100_MEMORY: NVIDIA A100 datasheet: 40 GB HBM2 (Colab's paid A100). total_memory as for the T4: public deviceQuery
    outputs of an A100-SXM4-40GB give 40339 MiB (42,298,834,944 bytes; bottlerocket-os/bottlerocket pull 3873) and
    40441 MiB (42,405,855,232 bytes; upb-pc2.atlassian.net, "NVIDIA A100 40GB with NVLINK"). The sheet takes the
    first (nothing in the notebook reads it).
"""
import types

import torch

SHEETS = {
    "colab-t4": dict(
        name="Tesla T4",
        capability=(7, 5),                                  # CUDA_GPUS
        total_memory=15110 * 2**20,                         # T4_MEMORY: what CUDA reports
        total_memory_mib_published=(14931, 15110),          # T4_MEMORY
        multi_processor_count=40,                           # TURING (40 SMs)
        bf16_tensor_creation=True,                          # TORCH_BF16: emulation succeeds
        is_bf16_supported=True,                             # TORCH_BF16, default including_emulation=True
        native_bf16=False,                                  # TURING; TORCH_BF16 with including_emulation=False
        sdpa_runs={"math": ("float16", "bfloat16", "float32"),       # TORCH_SDPA: the dtypes each kernel runs
                   "mem_efficient": ("float16", "float32"), "flash": (), "cudnn": ()},
        sdpa_with_mask={"float16": "mem_efficient", "bfloat16": "math",   # TORCH_SDPA, TORCH_SDPA_ORDER: the kernel
                        "float32": "mem_efficient"},                    # a padded (masked) batch runs, per dtype
        fully_masked_row={"math": "0", "mem_efficient": "0"},          # SDPA_MASKED_ROWS
        sources=("CUDA_GPUS", "TURING", "TORCH_BF16", "TORCH_SDPA", "TORCH_SDPA_ORDER", "SDPA_MASKED_ROWS",
                 "T4_MEMORY"),
    ),
    "colab-a100": dict(
        name="NVIDIA A100-SXM4-40GB",
        capability=(8, 0),                                  # CUDA_GPUS
        total_memory=40339 * 2**20,                         # A100_MEMORY: what CUDA reports
        total_memory_mib_published=(40339, 40441),          # A100_MEMORY
        multi_processor_count=108,                          # AMPERE
        bf16_tensor_creation=True,
        is_bf16_supported=True,                             # TORCH_BF16: major >= 8
        native_bf16=True,                                   # AMPERE
        sdpa_runs={"math": ("float16", "bfloat16", "float32"),       # TORCH_SDPA
                   "mem_efficient": ("float16", "bfloat16", "float32"),
                   "flash": ("float16", "bfloat16"), "cudnn": ("float16", "bfloat16")},
        sdpa_with_mask={"float16": "mem_efficient", "bfloat16": "mem_efficient",   # TORCH_SDPA, TORCH_SDPA_ORDER
                        "float32": "mem_efficient"},
        fully_masked_row={"math": "0", "mem_efficient": "0"},          # SDPA_MASKED_ROWS
        sources=("CUDA_GPUS", "AMPERE", "TORCH_BF16", "TORCH_SDPA", "TORCH_SDPA_ORDER", "SDPA_MASKED_ROWS",
                 "A100_MEMORY"),
    ),
}
NO_GPU = "no-gpu"
SDPA_ORDER = ("flash", "mem_efficient", "math", "cudnn")             # TORCH_SDPA_ORDER
SDPA_TAKES_NO_MASK = ("flash",)                                      # TORCH_SDPA: check_for_attn_mask


def apply(name, monkeypatch):
    """Make torch.cuda answer as GPU `name` of SHEETS does (or, for NO_GPU, as a machine without CUDA). Returns the
    sheet (a dict; NO_GPU: {"name": None}) with "calls", a list that records empty_cache / synchronize calls."""
    calls = []
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: calls.append("empty_cache"))
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: calls.append("synchronize"))
    if name == NO_GPU:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
        return {"name": None, "calls": calls}
    sheet = SHEETS[name]
    props = types.SimpleNamespace(name=sheet["name"], major=sheet["capability"][0], minor=sheet["capability"][1],
                                  total_memory=sheet["total_memory"],
                                  multi_processor_count=sheet["multi_processor_count"])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: props)
    monkeypatch.setattr(torch.cuda, "_check_bf16_tensor_supported", lambda device: sheet["bf16_tensor_creation"])
    monkeypatch.setattr(torch.version, "hip", None)
    return {**sheet, "calls": calls}
