"""Every GPU-side choice of the notebook, made under GPU fact sheets (tests/gpu_sheets.py: torch.cuda answering as a
Colab T4 or an A100 does, from published facts) and without a GPU, since no GPU is available to the tests.

What they prove:
- the sheets make torch's own logic answer as the GPU does: on a T4, torch.cuda.is_bf16_supported() is True by
  default (emulation) and False with including_emulation=False; on an A100 both are True;
- the notebook's definitions, loaded under each sheet, choose: Part 1.1 in fp16 on any GPU (fp32 on a CPU); the
  teacher loaded in fp16 on a T4, bf16 on an A100; the Trainer's fp16 autocast on a T4, bf16 on an A100, with
  the colab profile's batch plan (4 per device x 2 accumulated) on both; after an fp16 overflow the teacher goes to
  fp32 on a T4 (asking torch.cuda.is_bf16_supported() would send it to emulated bf16) and to bf16 on an A100;
  require_cuda lets the runs go ahead on both, and without a GPU returns False after its banner;
- the sheets' attention facts follow torch's SDPA rules (which kernels run on the GPU, which one a left-padded,
  masked batch runs), every dtype the notebook runs a causal LM in gets a kernel that returns 0 for a fully masked
  row there, and the set-up cell refuses a torch older than 2.5, whose kernels returned NaN;
- the colab profile without a GPU runs every cell of the notebook: every function is defined, the banner says how
  to get a T4, no model or dataset is loaded and no result file is written;
- with the default parameters the extras do nothing: no model is reloaded and no result file written;
- the parity check runs evaluate's own perplexity logic (v0.4.6, tests/evaluate_perplexity.py), which on
  transformers 5 fails for GPT-2's tokenizer as given, and matches compute_perplexity through the notebook's
  padded tokenizer copy.
"""
import ast
import json
import os
import sys
import types

import pytest
import torch
import transformers

import evaluate_perplexity
import gpu_sheets
from notebook import NOTEBOOK, load_definitions, profiles_table

GPUS = list(gpu_sheets.SHEETS)
CHOICES = {   # sheet: (DEVICE type, DTYPE, teacher load dtype, Trainer flags, dtype after an fp16 overflow)
    "colab-t4": ("cuda", torch.float16, torch.float16, {"fp16": True, "bf16": False}, torch.float32),
    "colab-a100": ("cuda", torch.float16, torch.bfloat16, {"fp16": False, "bf16": True}, torch.bfloat16),
    gpu_sheets.NO_GPU: ("cpu", torch.float32, torch.float32, {"fp16": False, "bf16": False}, torch.float32),
}


def _defs_under(name, monkeypatch):
    """The notebook's definitions, executed while torch.cuda answers as sheet `name` (DEVICE and DTYPE are
    computed when they load), and the sheet."""
    sheet = gpu_sheets.apply(name, monkeypatch)
    return load_definitions(), sheet


def _fake_parameter_model(dtype, device):
    parameter = types.SimpleNamespace(dtype=dtype, device=torch.device(device))
    return types.SimpleNamespace(parameters=lambda: iter([parameter]))


def test_every_fact_of_a_sheet_names_its_source():
    doc = gpu_sheets.__doc__
    for name, sheet in gpu_sheets.SHEETS.items():
        assert sheet["sources"] and all(f"* {source}:" in doc or f"; {source}:" in doc for source in sheet["sources"])


@pytest.mark.parametrize("name", GPUS)
def test_torch_answers_as_the_sheet_says(name, monkeypatch):
    sheet = gpu_sheets.apply(name, monkeypatch)
    assert torch.cuda.is_available() and torch.cuda.get_device_name() == sheet["name"]
    assert torch.cuda.get_device_capability() == sheet["capability"]
    assert torch.cuda.is_bf16_supported() is sheet["is_bf16_supported"]                    # torch's own logic
    assert torch.cuda.is_bf16_supported(including_emulation=False) is sheet["native_bf16"]
    assert torch.cuda.get_device_properties(0).total_memory == sheet["total_memory"]


def test_the_t4_sheet_is_a_15_gb_turing_card_whose_default_bf16_answer_is_emulation(monkeypatch):
    sheet = gpu_sheets.apply("colab-t4", monkeypatch)
    assert 15.0e9 < sheet["total_memory"] < 16.0e9 and sheet["capability"] == (7, 5)
    assert torch.cuda.is_bf16_supported() and not torch.cuda.is_bf16_supported(including_emulation=False)
    assert sheet["sdpa_runs"]["flash"] == sheet["sdpa_runs"]["cudnn"] == ()
    assert "bfloat16" not in sheet["sdpa_runs"]["mem_efficient"]


# --- attention on a left-padded batch, from the sheets' SDPA facts --------------------------------------------------

@pytest.mark.parametrize("name", GPUS)
def test_the_sheets_sdpa_facts_follow_torchs_rules(name):
    """sdp_utils.cpp's rules, applied to the sheet's compute capability: flash and cuDNN from 8.0 on, fp16/bf16 only;
    the memory-efficient kernel takes bf16 from 8.0 on; math takes everything. The kernel a masked batch runs is the
    first of Context.h's order (flash, mem_efficient, math, cudnn) that runs the dtype and takes a mask; cuDNN would
    go first only on 9.x/10.x, which no sheet is."""
    sheet = gpu_sheets.SHEETS[name]
    ampere = sheet["capability"] >= (8, 0)
    assert sheet["capability"][0] not in (9, 10)
    half = ("float16", "bfloat16") if ampere else ()
    assert set(sheet["sdpa_runs"]["flash"]) == set(sheet["sdpa_runs"]["cudnn"]) == set(half)
    assert set(sheet["sdpa_runs"]["mem_efficient"]) == {"float16", "float32", *(("bfloat16",) if ampere else ())}
    assert set(sheet["sdpa_runs"]["math"]) == {"float16", "bfloat16", "float32"}
    for dtype, picked in sheet["sdpa_with_mask"].items():
        first = next(backend for backend in gpu_sheets.SDPA_ORDER if dtype in sheet["sdpa_runs"][backend]
                     and backend not in gpu_sheets.SDPA_TAKES_NO_MASK)
        assert picked == first, (dtype, picked, first)


@pytest.mark.parametrize("name", GPUS)
def test_every_dtype_the_notebook_runs_gets_a_kernel_that_returns_zero_for_a_fully_masked_row(name, monkeypatch):
    """Why load_causal_lm needs nothing more than "sdpa" for left-padded batches: on each GPU, for each dtype the
    notebook runs a causal LM in (Part 1.1's, the teacher's load dtype, and the dtype after an fp16 overflow), the
    kernel a masked batch runs returns 0 for a row whose keys are all masked (torch >= 2.5). On a CPU this is checked
    on this machine's torch (tests/test_left_padding.py)."""
    nb, sheet = _defs_under(name, monkeypatch)
    fp16 = _fake_parameter_model(torch.float16, "cuda")
    dtypes = {nb.DTYPE, nb.teacher_load_dtype(nb.DEVICE), nb.safer_dtype(fp16)}
    for dtype in dtypes:
        kernel = sheet["sdpa_with_mask"][str(dtype).replace("torch.", "")]
        assert sheet["fully_masked_row"].get(kernel) == "0", (dtype, kernel)


def test_the_set_up_cell_refuses_a_torch_whose_sdpa_returned_nan_for_fully_masked_rows():
    cell = next(c for c in _code_cells() if "setup" in c["metadata"].get("tags", []))
    ranges = next(ast.literal_eval(node.value) for node in ast.parse("".join(cell["source"])).body
                  if isinstance(node, ast.Assign) and node.targets[0].id == "TESTED_RANGES")
    from packaging.specifiers import SpecifierSet
    assert "2.4.1" not in SpecifierSet(ranges["torch"]) and "2.5.0" in SpecifierSet(ranges["torch"])


@pytest.mark.parametrize("name", [*GPUS, gpu_sheets.NO_GPU])
def test_the_notebook_chooses_device_and_dtypes_from_the_gpus_facts(name, monkeypatch, capsys):
    nb, sheet = _defs_under(name, monkeypatch)
    device, dtype, teacher, precision, fallback = CHOICES[name]
    assert nb.DEVICE.type == device and nb.DTYPE == dtype                                   # Part 1.1
    assert nb.load_causal_lm.__defaults__ == (nb.DEVICE, dtype)
    assert nb.load_classifier.__defaults__ == (nb.DEVICE, dtype)
    assert nb.teacher_load_dtype(nb.DEVICE) == teacher and nb.training_precision(nb.DEVICE) == precision
    assert nb.safer_dtype(_fake_parameter_model(torch.float16, device)) == fallback
    assert nb.safer_dtype(_fake_parameter_model(torch.bfloat16, device)) == torch.float32
    assert nb.safer_dtype(_fake_parameter_model(torch.float32, device)) is None
    assert nb.native_bf16(nb.DEVICE) is (name == "colab-a100")
    if device == "cuda":
        assert nb.device_name() == f"cuda ({sheet['name']})"
        nb.free_memory()
        assert sheet["calls"] == ["empty_cache"]
    else:      # a CPU: the offline profile's cpu_bf16 decides
        assert nb.teacher_load_dtype(nb.DEVICE, cpu_bf16=True) == torch.bfloat16
        assert nb.training_precision(nb.DEVICE, cpu_bf16=True) == {"fp16": False, "bf16": True}
    assert nb.require_cuda(True, False) is (device == "cuda")
    assert ("Runtime → Change runtime type → T4 GPU" in capsys.readouterr().out) is (device == "cpu")


def test_the_teacher_cell_loads_in_the_dtype_teacher_load_dtype_picks():
    cells = [c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    source = next("".join(c["source"]) for c in cells if "teacher = load_causal_lm(" in "".join(c["source"]))
    assert 'load_causal_lm(C["teacher"], dtype=teacher_load_dtype(DEVICE, C["cpu_bf16"]))' in source


class _Built(Exception):
    """Raised by the recording TrainingArguments once it has the keywords."""


@pytest.mark.parametrize("name", GPUS)
def test_the_trainer_gets_the_precision_and_batch_plan_of_the_gpu(name, monkeypatch):
    nb, _ = _defs_under(name, monkeypatch)
    colab = profiles_table()["colab"]
    seen = {}

    def record(**kwargs):
        seen.update(kwargs)
        raise _Built

    nb.TrainingArguments = record
    with pytest.raises(_Built):
        nb.fine_tune_student_model(torch.nn.Linear(2, 2), None, [{"input_ids": [1]}],
                                   batch_size=colab["train_batch_size"], cpu_bf16=colab["cpu_bf16"],
                                   device_batch_size=colab["train_device_batch_size"])
    assert {key: seen[key] for key in ("fp16", "bf16")} == CHOICES[name][3]
    assert seen["use_cpu"] is False and seen["dataloader_pin_memory"] is True
    assert (seen["per_device_train_batch_size"], seen["gradient_accumulation_steps"]) == (4, 2)


# --- the colab profile on a machine without a GPU ------------------------------------------------------------------

def _code_cells():
    return [c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]


def _refuse(what, calls):
    def refuse(*args, **kwargs):
        calls.append((what, args[:1]))
        raise AssertionError(f"{what} called: {args[:1]}")
    return refuse


@pytest.fixture
def no_loading(monkeypatch):
    """Every from_pretrained of the notebook's model and tokenizer classes, and datasets.load_dataset, recorded and
    refused. Returns the list of calls."""
    calls = []
    for cls in (transformers.AutoTokenizer, transformers.AutoModelForCausalLM,
                transformers.AutoModelForSequenceClassification):
        monkeypatch.setattr(cls, "from_pretrained", _refuse(f"{cls.__name__}.from_pretrained", calls))
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets, "load_dataset", _refuse("load_dataset", calls))
    return calls


def test_the_colab_profile_without_a_gpu_defines_every_function_and_runs_nothing(monkeypatch, tmp_path, capsys,
                                                                                 no_loading):
    gpu_sheets.apply(gpu_sheets.NO_GPU, monkeypatch)
    namespace = {"__name__": "__main__"}
    for cell in _code_cells():                                # the whole notebook, in order, as Run all runs it
        source = "".join(cell["source"])
        exec(compile(source, cell.get("id", "cell"), "exec"), namespace)
        if "parameters" in cell["metadata"].get("tags", []):
            assert namespace["PROFILE"] == "colab" and namespace["ALLOW_CPU"] is False     # the defaults
            namespace["RESULTS_DIR"] = str(tmp_path / "results")
    printed = capsys.readouterr().out
    assert namespace["RUN_MODELS"] is False and "NO GPU" in printed
    assert "Runtime → Change runtime type → T4 GPU" in printed and "ALLOW_CPU = True" in printed
    defined = {node.name for cell in _code_cells() if "defs" in cell["metadata"].get("tags", [])
               for node in ast.parse("".join(cell["source"])).body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert len(defined) > 50 and not [name for name in defined if name not in namespace]
    assert no_loading == []
    assert os.listdir(tmp_path / "results" / "colab") == []


@pytest.mark.parametrize("name, allow_cpu, shown", [("colab-t4", False, "on cuda (Tesla T4)"),
                                                     (gpu_sheets.NO_GPU, True, "ALLOW_CPU is True")])
def test_the_profiles_cell_lets_the_runs_go_ahead_on_a_t4_or_with_allow_cpu(name, allow_cpu, shown, monkeypatch,
                                                                           tmp_path, capsys):
    gpu_sheets.apply(name, monkeypatch)
    namespace = {"__name__": "__main__"}
    for cell in _code_cells():
        if {"defs", "parameters", "profiles"} & set(cell["metadata"].get("tags", [])):
            exec(compile("".join(cell["source"]), "cell", "exec"), namespace)
            if "parameters" in cell["metadata"]["tags"]:
                namespace.update(RESULTS_DIR=str(tmp_path), ALLOW_CPU=allow_cpu)
    assert namespace["RUN_MODELS"] is True and namespace["RUN_DISTILLATION"] is True
    printed = capsys.readouterr().out
    assert "NO GPU" not in printed and shown in printed


# --- with the default parameters, no extra does any work --------------------------------------------------------

def test_with_the_default_parameters_no_extra_reloads_a_model_or_writes_a_file(monkeypatch, tmp_path, capsys):
    nb, _ = _defs_under("colab-t4", monkeypatch)
    namespace = nb.__dict__
    cells = _code_cells()
    exec(compile("".join(next(c for c in cells if "parameters" in c["metadata"].get("tags", []))["source"]),
                 "parameters", "exec"), namespace)
    calls = []
    for name in ("load_tokenizer", "load_causal_lm", "load_classifier", "evaluate_parity_metric",
                 "load_story_prompts", "load_articles", "make_student"):
        namespace[name] = _refuse(name, calls)
    namespace.update(C=profiles_table()["colab"], RUN_MODELS=True, OUT=str(tmp_path), prompts=["A prompt."],
                     prompt_metrics={}, evaluation={"generations": [], "metrics": {}})
    for cell in cells:
        tags = cell["metadata"].get("tags", [])
        if "extra" in tags and "defs" not in tags:
            exec(compile("".join(cell["source"]), cell.get("id", "extra"), "exec"), namespace)
    assert calls == [] and os.listdir(tmp_path) == []
    assert "evaluate parity check off" in capsys.readouterr().out


# --- the parity check against evaluate's own metric logic -----------------------------------------------------------

TEXTS = ["the council met on monday", "rain", "a local team won the final after extra time", "rain"]


@pytest.mark.skipif(transformers.__version__.startswith("4."), reason="the attribute still exists in 4.x")
def test_evaluates_metric_fails_for_gpt2s_own_tokenizer_on_transformers_5(tiny_dir):
    assert transformers.AutoTokenizer.from_pretrained(str(tiny_dir / "lm")).pad_token is None    # GPT-2's case
    with pytest.raises(AttributeError, match="special_tokens_map_extended"):
        evaluate_perplexity.compute(TEXTS, model_id=str(tiny_dir / "lm"), device="cpu")


def test_evaluate_parity_runs_evaluates_metric_through_a_padded_tokenizer_copy(nb, tiny_dir, monkeypatch, capsys):
    module = types.ModuleType("evaluate")
    module.load = lambda name, module_type=None: types.SimpleNamespace(compute=evaluate_perplexity.compute)
    monkeypatch.setitem(sys.modules, "evaluate", module)
    model = nb.load_causal_lm(str(tiny_dir / "lm"), device="cpu", dtype=torch.float32)
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))                  # pads on the left, for generation
    largest = nb.evaluate_parity(TEXTS, model, tokenizer, nb.evaluate_parity_metric(), batch_size=16)
    assert largest is not None and largest < 1e-4, capsys.readouterr().out
    assert tokenizer.padding_side == "left"                             # the notebook's tokenizer is untouched
