"""bench/gpu_check.py at toy sizes on the CPU, so that the GPU check cannot rot before a GPU is lent.

The toy run goes through every check the CUDA run makes (sampler tests in a pytest subprocess, greedy loop vs
model.generate in fp32 and fp16, topp vs Hugging Face's warper, the notebook's Trainer fine-tuning, fp16 teacher
generation, the fp16-guard hook, the time plan of docs/colab.md) and writes the same JSON. Other tests show that
its checks can fail, and that the time plan's phases are docs/colab.md's.
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

CHECKS = {"sampler_tests", "greedy", "topp", "samplers", "training", "teacher", "fp16_guard", "gpu_facts", "time_plan"}


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
                "teacher generation", "fp16 guard", "GPU facts", "time plan"):
        assert f"| {row}" in printed
    for phase in gpu_check.PHASES:                        # the time plan's table, phase by phase
        assert f"\n| {phase} | " in printed


def test_toy_run_figures_are_the_ones_each_check_promises(nb, toy_run):
    checks, sizes = toy_run[1]["checks"], gpu_check.TOY
    sampler = checks["sampler_tests"]
    assert sampler["counts"].get("passed", 0) >= 1 and "failed" not in sampler["counts"]
    assert checks["greedy"]["float32"]["rows_identical"] == sizes["decode_batch"]
    assert "float16" in checks["greedy"]
    assert checks["topp"]["draws_outside_hf_nucleus"] == 0
    assert set(checks["samplers"]["ratios"]) == {f"{m} {v}" for m, v in gpu_check.bench_samplers.SETTINGS}
    assert checks["samplers"]["ok"]                       # the toy run's timings are not judged
    assert gpu_check.FULL["judge_speed"] and not gpu_check.TOY["judge_speed"]
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


def test_toy_run_records_the_devices_facts_and_the_padded_row_sdpa_test(toy_run):
    facts = toy_run[1]["checks"]["gpu_facts"]
    assert facts["facts"]["name"] is None and facts["sheet_differences"] == "CPU: no sheet"
    assert set(facts["padded_row_sdpa"]) == {"float16", "bfloat16", "float32"}
    math_fp16 = facts["padded_row_sdpa"]["float16"]["math"]
    assert math_fp16["ran"] and math_fp16["nan_elsewhere"] is False     # real positions never NaN
    assert facts["sdpa_summary"]["fully_masked_row"]["math"] == "0"      # torch >= 2.5 on this CPU
    assert set(facts["sdpa_summary"]["sdpa_with_mask"]) == {"float16", "bfloat16", "float32"}
    assert facts["notebook_choices"] == {"part_1_1_dtype": "torch.float32", "teacher_load_dtype": "torch.float32",
                                         "trainer_precision": {"fp16": False, "bf16": False},
                                         "after_fp16_overflow": "torch.float32"}


def _run(output=None):
    if output is None:
        return {"ran": False, "error": "refused"}
    masked = torch.zeros_like(output, dtype=torch.bool)
    masked[0, :, :2] = True
    return {"ran": True, "nan_in_all_masked_rows": bool(output[masked].isnan().any()),
            "all_masked_rows_zero": bool((output[masked] == 0).all()), "nan_elsewhere": False, "output": output}


def test_sdpa_summary_names_the_kernel_a_padded_batch_ran_and_what_each_returns_for_a_masked_row():
    """Synthetic runs: the default's output is mem_efficient's bit for bit; cuDNN writes NaN into the all-masked
    rows, math and mem_efficient 0 (with slightly different real rows); flash refuses the mask."""
    zero_rows = torch.ones(2, 4, 6, 16)
    zero_rows[0, :, :2] = 0
    other = zero_rows * 1.001
    nan_rows = zero_rows.clone()
    nan_rows[0, :, :2] = float("nan")
    padded = {"float16": {"default": _run(zero_rows), "math": _run(other), "mem_efficient": _run(zero_rows),
                          "flash": _run(), "cudnn": _run(nan_rows)}}
    sdpa = {"float16": {"math": _run(zero_rows), "mem_efficient": _run(zero_rows), "flash": _run(zero_rows),
                        "cudnn": _run()}}
    summary = gpu_check.sdpa_summary(sdpa, padded)
    assert summary["sdpa_with_mask"] == {"float16": "mem_efficient"}
    assert summary["fully_masked_row"] == {"math": "0", "mem_efficient": "0", "cudnn": "NaN"}
    assert summary["sdpa_runs"] == {"math": ("float16",), "mem_efficient": ("float16",), "flash": ("float16",),
                                    "cudnn": ()}


@pytest.mark.parametrize("name", ["colab-t4", "colab-a100"])
def test_what_the_gpu_check_records_is_what_the_fact_sheet_says(name, monkeypatch):
    """Under a fact sheet, gpu_check's device_facts reads the same facts in the same keys, so a real GPU's record
    compares with its sheet key by key; a differing fact shows up in sheet_differences, and a total memory outside
    the published range too."""
    import gpu_sheets
    sheet = gpu_sheets.apply(name, monkeypatch)
    facts = gpu_check.device_facts(torch.device("cuda"))
    summary = {"sdpa_runs": dict(sheet["sdpa_runs"]), "sdpa_with_mask": dict(sheet["sdpa_with_mask"]),
               "fully_masked_row": dict(sheet["fully_masked_row"])}
    assert gpu_check.sheet_differences(facts, summary, gpu_sheets) == {}
    assert facts["is_bf16_supported"] is True and facts["native_bf16"] is sheet["native_bf16"]
    summary["sdpa_with_mask"]["float16"] = "cudnn"
    summary["fully_masked_row"]["mem_efficient"] = "NaN"
    assert set(gpu_check.sheet_differences(facts, summary, gpu_sheets)) == {"sdpa_with_mask", "fully_masked_row"}
    facts["total_memory"] = (sheet["total_memory_mib_published"][1] + 1) * 2**20
    assert "total_memory" in gpu_check.sheet_differences(facts, summary, gpu_sheets)


def test_machine_info_names_native_bf16_not_torchs_default_answer(monkeypatch):
    import gpu_sheets
    from common import machine_info
    gpu_sheets.apply("colab-t4", monkeypatch)
    info = machine_info()
    assert info["gpu"] == "Tesla T4" and info["gpu_capability"] == [7, 5] and info["gpu_native_bf16"] is False


# --- the time plan: docs/colab.md's table and gpu_check's phases ------------------------------------------------

def test_time_plan_phases_are_those_of_the_docs_table_in_order():
    """gpu_check prints docs/colab.md's phases, each with the page's estimate: same names, same order."""
    estimates = gpu_check.time_plan_estimates()
    assert tuple(estimates) == gpu_check.PHASES
    assert all(estimates.values()), estimates


def test_time_plan_comparison_fails_when_the_docs_rename_a_phase():
    text = (pathlib.Path(gpu_check.ROOT) / "docs" / "colab.md").read_text()
    renamed = gpu_check.time_plan_estimates(text.replace("| teacher decoding |", "| teacher generation |"))
    assert tuple(renamed) != gpu_check.PHASES and "teacher generation" in renamed
    with pytest.raises(ValueError, match="Time plan"):
        gpu_check.time_plan_estimates("# a page without the section\n")


def test_time_plan_section_says_its_figures_are_not_measured():
    text = (pathlib.Path(gpu_check.ROOT) / "docs" / "colab.md").read_text()
    section = text.split(gpu_check.TIME_PLAN_HEADING, 1)[1].split("\n## ", 1)[0]
    assert gpu_check.TIME_PLAN_HEADING.endswith("T4") and "(estimates, not measured)" in text
    assert "**not measured**" in section


def test_time_plan_rows_state_the_colab_profiles_counts():
    """The work column of the teacher's and 1.1.5's rows is the arithmetic of the colab profile (batches, steps):
    a changed profile makes this fail until the table is redone."""
    from notebook import profiles_table
    c = profiles_table()["colab"]
    text = (pathlib.Path(gpu_check.ROOT) / "docs" / "colab.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in text.split(gpu_check.TIME_PLAN_HEADING, 1)[1].splitlines()
            if line.startswith("| ")}
    n_train, n_eval, batch = c["n_train_articles"], c["n_eval_articles"], c["teacher_batch_size"]
    teacher_batches = -(-n_train // batch) + -(-n_eval // batch)
    steps = teacher_batches * c["teacher_max_new_tokens"]
    assert f"{teacher_batches} batches of {batch} " in rows["teacher decoding"]
    assert f"at most {steps:,} steps" in rows["teacher decoding"] and f"{steps:,} steps x" in rows["teacher decoding"]
    assert f"{n_train:,} training and {n_eval} held-out articles" in rows["teacher prefill"]
    assert f"at most {c['article_max_tokens']} article tokens" in rows["teacher prefill"]
    decode_steps = 5 * c["max_len"] * -(-c["n_prompts"] * c["n_per_prompt"] // c["decode_batch_size"])
    assert f"at batch {c['decode_batch_size']}" in rows["1.1.5 decoding"]
    assert f"{decode_steps} steps of GPT-2" in rows["1.1.5 decoding"]
    optimizer_steps = -(-n_train // c["train_batch_size"]) * c["train_epochs"]
    assert f"{optimizer_steps} optimizer steps" in rows["fine-tuning"]
    assert f"batch {c['train_batch_size']} (2 x {c['train_device_batch_size']} accumulated)" in rows["fine-tuning"]


def test_toy_run_time_plan_measures_each_phase_it_can(toy_run):
    plan = toy_run[1]["checks"]["time_plan"]
    assert plan["ok"] and [p["phase"] for p in plan["phases"]] == list(gpu_check.PHASES)
    unmeasured = {p["phase"] for p in plan["phases"] if p["measured_s"] is None}
    assert unmeasured == {"downloads", "1.1.5 scoring", "extra: evaluate parity"}
    assert all(p["estimate"] for p in plan["phases"])
