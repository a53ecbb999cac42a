"""bench/gpu_check.py at toy sizes on the CPU, so that the GPU check cannot rot before a GPU is lent.

The toy run goes through every check the CUDA run makes (sampler tests in a pytest subprocess, greedy loop vs
model.generate in fp32 and fp16, topp vs Hugging Face's warper, the notebook's Trainer fine-tuning, fp16 teacher
generation, the fp16-guard hook) and writes the same JSON. Two more tests show that its checks can fail.
"""
import contextlib
import io
import json
import pathlib
import sys
import types

import pytest
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "bench"))
import gpu_check  # noqa: E402

CHECKS = {"sampler_tests", "greedy", "topp", "samplers", "training", "teacher", "fp16_guard"}


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    """(exit code, results JSON, printed table) of `python bench/gpu_check.py --toy --out ...`, run in-process."""
    out = tmp_path_factory.mktemp("gpu") / "gpu_check.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = gpu_check.main(["--toy", "--out", str(out)])
    return code, json.loads(out.read_text()), printed.getvalue()


def test_toy_run_passes_every_check_and_writes_them(toy_run):
    code, results, printed = toy_run
    assert code == 0 and results["ok"], json.dumps(results["checks"], indent=1)[:3000]
    assert set(results["checks"]) == CHECKS
    assert results["mode"] == "toy (CPU)" and results["machine"]["torch"] == torch.__version__
    for row in ("sampler tests", "greedy generate_ids", "topp vs", "samplers vs softmax", "fine-tuning step",
                "teacher generation", "fp16 guard"):
        assert f"| {row}" in printed


def test_toy_run_figures_are_the_ones_each_check_promises(nb, toy_run):
    checks, sizes = toy_run[1]["checks"], gpu_check.TOY
    sampler = checks["sampler_tests"]
    assert sampler["counts"].get("passed", 0) >= 1 and "failed" not in sampler["counts"]
    assert checks["greedy"]["float32"]["rows_identical"] == sizes["decode_batch"]
    assert "float16" in checks["greedy"]
    assert checks["topp"]["draws_outside_hf_nucleus"] == 0
    assert set(checks["samplers"]["ratios"]) == {f"{m} {v}" for m, v in gpu_check.bench_samplers.QUICK}
    assert len(checks["training"]["losses"]) == 2
    assert checks["teacher"]["new_tokens"] == sizes["teacher_new_tokens"] and checks["teacher"]["dtype"] == "float16"
    guard = checks["fp16_guard"]
    assert guard["fp16_logits_nonfinite"] and guard["fp32_logits_finite"], "the overflow model does not overflow"
    if not hasattr(nb, "guarded_teacher_generate"):
        assert "no guarded_teacher_generate" in guard["skipped"]


def test_greedy_check_fails_for_a_loop_that_differs_from_generate(nb):
    off_by_one = types.SimpleNamespace(generate_ids=lambda *args, **kw: (nb.generate_ids(*args, **kw) + 1) % 1000)
    result = gpu_check.check_greedy(off_by_one, torch.device("cpu"), gpu_check.TOY)
    assert not result["ok"] and result["float32"]["rows_identical"] == 0


def test_topp_check_fails_for_a_sampler_that_ignores_the_nucleus(nb):
    vanilla = types.SimpleNamespace(topp=lambda logits, p: nb.sample(logits))
    result = gpu_check.check_topp(vanilla, torch.device("cpu"), gpu_check.TOY, torch.float32)
    assert not result["ok"] and result["draws_outside_hf_nucleus"] > 0


@pytest.mark.parametrize("missing", ["rouge_score", "datasets", "gguf", "papermill", "matplotlib"])
def test_notebook_definitions_load_without_a_package_the_gpu_machine_lacks(missing, monkeypatch):
    """The GPU machine has torch, transformers, accelerate and pytest only; gpu_check.py and the sampler tests load
    the notebook's defs cells there, so those cells may import the others only inside the functions that use them."""
    from notebook import load_definitions
    for name in [m for m in sys.modules if m == missing or m.startswith(missing + ".")] + [missing]:
        monkeypatch.setitem(sys.modules, name, None)          # `import missing` now raises ImportError
    load_definitions()
