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
  * TORCH_SDPA: aten/src/ATen/native/transformers/cuda/sdp_utils.cpp: the flash kernel needs compute capability
    >= 8.0; below 8.0 the memory-efficient kernel takes fp16 and fp32 only (bf16 from 8.0 on).
  * T4_MEMORY: NVIDIA T4 datasheet: 16 GB GDDR6; Colab: "All our T4s have 16GB"
    (https://github.com/googlecolab/colabtools/issues/4134). torch.cuda.get_device_properties(0).total_memory on
    Colab T4 runtimes, as printed in public Colab notebooks: 15079-15109 MiB depending on the driver; this sheet
    takes 15102 MiB (15,835,594,752 bytes, about 15.8e9), nvidia-smi's total being larger (15360 MiB) than what
    the CUDA context can allocate.
  * A100_MEMORY: NVIDIA A100 datasheet: 40 GB HBM2 (Colab's paid A100); the sheet takes 40 GiB, the nominal size
    (nothing in the notebook reads it).
"""
import types

import torch

SHEETS = {
    "colab-t4": dict(
        name="Tesla T4",
        capability=(7, 5),                                  # CUDA_GPUS
        total_memory=15102 * 2**20,                         # T4_MEMORY
        multi_processor_count=40,                           # TURING (40 SMs)
        bf16_tensor_creation=True,                          # TORCH_BF16: emulation succeeds
        is_bf16_supported=True,                             # TORCH_BF16, default including_emulation=True
        native_bf16=False,                                  # TURING; TORCH_BF16 with including_emulation=False
        flash_sdpa=False,                                   # TORCH_SDPA
        mem_efficient_sdpa_bf16=False,                      # TORCH_SDPA
        sources=("CUDA_GPUS", "TURING", "TORCH_BF16", "TORCH_SDPA", "T4_MEMORY"),
    ),
    "colab-a100": dict(
        name="NVIDIA A100-SXM4-40GB",
        capability=(8, 0),                                  # CUDA_GPUS
        total_memory=40 * 2**30,                            # A100_MEMORY (nominal)
        multi_processor_count=108,                          # AMPERE
        bf16_tensor_creation=True,
        is_bf16_supported=True,                             # TORCH_BF16: major >= 8
        native_bf16=True,                                   # AMPERE
        flash_sdpa=True,                                    # TORCH_SDPA
        mem_efficient_sdpa_bf16=True,                       # TORCH_SDPA
        sources=("CUDA_GPUS", "AMPERE", "TORCH_BF16", "TORCH_SDPA", "A100_MEMORY"),
    ),
}
NO_GPU = "no-gpu"


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
