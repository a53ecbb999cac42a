"""The colab profile's run-time guards, tested here without Colab, a GPU or the Hub.

What they prove:
- the set-up cell (executed as the notebook runs it, with importlib.metadata.version, subprocess.run and sys.modules
  faked) accepts versions inside the tested ranges, installs the tested version of a library outside its range in
  Colab (never torch), stops on torch outside its range, stops outside Colab naming package, version and range, and
  asks for a restart when a changed library was already imported; its ranges and pins are requirements.txt's and
  requirements/dev.txt's;
- the colab profile needs CUDA; without it require_cuda prints a banner saying how to select a T4 and returns
  False (RUN_MODELS: the runs are skipped, every function is defined), unless ALLOW_CPU;
- a TEACHER_CACHE under /content/drive/ mounts Drive in Colab and is refused with a ValueError outside Colab or when
  mounting fails; other paths pass untouched;
- Part 1.1's models are released before Part 1.2 loads anything, and nothing later uses them;
- fine-tuning splits the effective batch into accumulated per-device batches, and on an injected
  torch.cuda.OutOfMemoryError restores the weights, halves the per-device batch, doubles the accumulation and ends
  with exactly the weights of a run started at the smaller batch; it gives up clearly at a per-device batch of 1;
- the teacher's batches: on an injected torch.cuda.OutOfMemoryError the batch is halved and retried, and so is
  every later one, with the rows of a run at the smaller batch; the rows cached before stay, each id once; it gives up
  clearly at a batch of 1;
- the fp16 guard: a tiny Qwen2 whose fp16 logits overflow (checked) is switched to fp32 and gives the fp32 run's
  output, directly and through summarize_with_teacher_model; degenerate summaries are counted;
- both generate calls ignore a generation_config.json that sets other values (the output equals the plain one's,
  while plain model.generate's output does change);
- the evaluate parity check reports the largest relative difference, and says it was skipped, without raising,
  when evaluate is missing or the Hub is unreachable; in Colab the set-up cell no longer installs evaluate (the
  check is off by default).
"""
import ast
import importlib.metadata
import json
import math
import re
import shutil
import subprocess
import sys
import types

import pytest
import torch
import transformers
from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

from notebook import NOTEBOOK, ROOT, code_cells, profiles_table

# --- the set-up cell ---------------------------------------------------------------------------------------------

GOOD = {"torch": "2.8.0+cu126", "transformers": "4.57.1", "datasets": "4.0.0", "accelerate": "1.10.1",
        "rouge-score": "0.1.2", "evaluate": "0.4.6"}


def run_setup_cell(monkeypatch, versions, colab, imported=(), pip=None):
    """Execute the set-up cell with `versions` ({package: version, or None when missing}) installed, in Colab or
    not, with `imported` the only checked libraries in sys.modules. pip is faked: it 'installs' what it is given
    into `versions` and records each command line in `pip`. Returns (the cell's namespace, pip)."""
    versions = dict(versions)
    pip = [] if pip is None else pip

    def fake_version(package):
        if versions.get(package) is None:
            raise importlib.metadata.PackageNotFoundError(package)
        return versions[package]

    def fake_run(cmd, check=False, **kwargs):
        pip.append(cmd)
        for requirement in cmd[cmd.index("install") + 2:]:
            package, _, version = requirement.partition("==")
            versions[package] = version or "9.9.9"
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(importlib.metadata, "version", fake_version)
    monkeypatch.setattr(subprocess, "run", fake_run)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    for module in ("transformers", "datasets", "accelerate", "rouge_score"):
        if module not in imported:
            monkeypatch.delitem(sys.modules, module, raising=False)   # restored after the test
    namespace = {}
    exec(compile(code_cells("setup")[0], "setup", "exec"), namespace)
    return namespace, pip


def test_setup_cell_runs_first_and_imports_none_of_the_libraries_it_checks():
    nb = json.loads(NOTEBOOK.read_text())
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert "setup" in first["metadata"].get("tags", [])
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse("".join(first["source"])))
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(ast.parse("".join(first["source"])))
                 if isinstance(node, ast.ImportFrom)}
    assert not imported & {"torch", "transformers", "datasets", "accelerate", "rouge_score"}, imported


def test_setup_cell_ranges_are_the_requirements_and_its_pins_the_tested_versions():
    source = code_cells("setup")[0]
    tree = ast.parse(source)
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
              if isinstance(node, ast.Assign) and node.targets[0].id in ("TESTED_RANGES", "TESTED_VERSIONS")}
    requirements = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, spec = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", line).groups()
            requirements[name] = spec.replace(" ", "")
    pins = dict(re.match(r"([A-Za-z0-9_.-]+)==([^\s#]+)", line).groups()
                for line in (ROOT / "requirements" / "dev.txt").read_text().splitlines() if "==" in line)
    ranges = values["TESTED_RANGES"]
    assert {k: v for k, v in ranges.items() if k != "torch"} == requirements
    assert ranges["torch"] == ">=2.5"     # SDPA returns 0 for fully masked rows; requirements.txt names no torch
    assert values["TESTED_VERSIONS"] == {k: pins[k] for k in ranges if k != "torch"}


def test_setup_cell_accepts_versions_in_range_and_prints_them(monkeypatch, capsys):
    namespace, pip = run_setup_cell(monkeypatch, GOOD, colab=True)
    assert pip == []
    assert namespace["LIBRARY_VERSIONS"] == {k: v for k, v in GOOD.items() if k != "evaluate"}
    printed = capsys.readouterr().out
    assert "transformers 4.57.1" in printed and "torch 2.8.0+cu126" in printed and "datasets 4.0.0" in printed


@pytest.mark.parametrize("transformers_version", ["4.55.4", "5.40.0", None])
def test_setup_cell_in_colab_installs_the_tested_version_of_what_is_outside_its_range(monkeypatch, capsys,
                                                                                     transformers_version):
    versions = {**GOOD, "transformers": transformers_version, "rouge-score": None, "evaluate": None}
    namespace, pip = run_setup_cell(monkeypatch, versions, colab=True)
    assert len(pip) == 1 and pip[0][:4] == [sys.executable, "-m", "pip", "install"]
    assert sorted(pip[0][5:]) == ["rouge-score==0.1.2", "transformers==5.24.0"]   # evaluate: only when on
    assert not any(arg.startswith("torch") for arg in pip[0])
    assert namespace["LIBRARY_VERSIONS"]["transformers"] == "5.24.0"
    assert "installing: transformers==5.24.0" in capsys.readouterr().out


@pytest.mark.parametrize("torch_version, shown", [("2.4.1", r"2\.4\.1"), (None, r"\(not installed\)")])
def test_setup_cell_never_installs_torch_and_stops_when_it_is_outside_its_range(monkeypatch, torch_version, shown):
    pip = []
    with pytest.raises(RuntimeError, match=rf"torch {shown} is outside the tested range >=2\.5.*never installs torch"):
        run_setup_cell(monkeypatch, {**GOOD, "torch": torch_version, "transformers": "4.40.0"}, colab=True, pip=pip)
    assert pip == []                                   # not even transformers: the notebook stops first


@pytest.mark.parametrize("package, version, shown", [("transformers", "4.55.0", "4.55.0"),
                                                     ("datasets", None, r"\(not installed\)")])
def test_setup_cell_outside_colab_stops_naming_package_version_and_range(monkeypatch, package, version, shown):
    with pytest.raises(RuntimeError, match=rf"{package} {shown} is outside the tested range .*requirements\.txt"):
        run_setup_cell(monkeypatch, {**GOOD, package: version}, colab=False)


def test_setup_cell_asks_for_a_restart_when_a_changed_library_was_already_imported(monkeypatch):
    with pytest.raises(RuntimeError, match="Restart session"):
        run_setup_cell(monkeypatch, {**GOOD, "transformers": "4.55.0"}, colab=True, imported=("transformers",))


def test_setup_cell_stops_when_pip_did_not_fix_the_version(monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0))
    versions = {**GOOD, "datasets": "2.0.0"}
    monkeypatch.setattr(importlib.metadata, "version", lambda package: versions[package])
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.delitem(sys.modules, "datasets", raising=False)
    with pytest.raises(RuntimeError, match=r"after pip install: datasets 2\.0\.0 is outside the tested range >=2\.19"):
        exec(compile(code_cells("setup")[0], "setup", "exec"), {})


# --- the GPU requirement -----------------------------------------------------------------------------------------

def test_only_the_colab_profile_needs_cuda_and_the_profiles_cell_checks_it():
    profiles = profiles_table()
    assert {name: settings["needs_cuda"] for name, settings in profiles.items()} == \
        {"colab": True, "offline": False, "tiny": False}
    source = code_cells("profiles")[0]
    assert 'RUN_MODELS = require_cuda(C["needs_cuda"], ALLOW_CPU)' in source
    parameters = code_cells("parameters")[0]
    assert re.search(r"^ALLOW_CPU = False\b", parameters, re.M)


def test_require_cuda_without_a_gpu_says_how_to_select_a_t4_and_skips_the_runs(nb, capsys):
    assert nb.require_cuda(True, False, cuda_available=False) is False
    printed = capsys.readouterr().out
    assert "Runtime → Change runtime type → T4 GPU" in printed and "ALLOW_CPU = True" in printed
    assert "every function is still defined" in printed and "skipped" in printed
    assert nb.require_cuda(True, True, cuda_available=False) is True    # on the CPU on purpose: a warning only
    assert "ALLOW_CPU is True" in capsys.readouterr().out
    assert nb.require_cuda(True, False, cuda_available=True) is True
    assert nb.require_cuda(False, False, cuda_available=False) is True
    assert capsys.readouterr().out == ""


# --- Google Drive for the teacher cache --------------------------------------------------------------------------

@pytest.fixture
def drive(monkeypatch):
    """A fake google.colab.drive whose mount() mounts /content/drive (or fails when .fail is set); os.path.ismount
    says whether it is mounted."""
    state = types.SimpleNamespace(mounted=False, calls=[], fail=None)

    def mount(root):
        state.calls.append(root)
        if state.fail:
            raise state.fail
        state.mounted = True

    real_ismount = __import__("os").path.ismount
    monkeypatch.setattr("os.path.ismount", lambda path: state.mounted if path == "/content/drive" else real_ismount(path))
    colab = types.ModuleType("google.colab")
    colab.drive = types.SimpleNamespace(mount=mount)
    state.colab = colab
    return state


def test_a_drive_cache_in_colab_mounts_drive_once(nb, drive, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", drive.colab)
    path = "/content/drive/MyDrive/a6_teacher_cache.jsonl"
    assert nb.drive_cache_path(path) == path and drive.calls == ["/content/drive"]
    assert nb.drive_cache_path(path) == path and drive.calls == ["/content/drive"]       # mounted: not again


def test_a_drive_cache_is_refused_outside_colab_or_when_mounting_fails(nb, drive, monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    with pytest.raises(ValueError, match="only Colab mounts"):
        nb.drive_cache_path("/content/drive/MyDrive/cache.jsonl")
    monkeypatch.setitem(sys.modules, "google.colab", drive.colab)
    drive.fail = TimeoutError("no answer to the permission dialog")
    with pytest.raises(ValueError, match="mounting /content/drive failed.*permission dialog"):
        nb.drive_cache_path("/content/drive/MyDrive/cache.jsonl")
    assert not (tmp_path / "content").exists()
    for path in (None, str(tmp_path / "cache.jsonl"), "results/colab/teacher_cache.jsonl", "/content/drive2/x.jsonl"):
        assert nb.drive_cache_path(path) == path                   # not on Drive: untouched, nothing mounted
    assert drive.calls == ["/content/drive"]


def test_the_profiles_cell_checks_the_teacher_cache_before_part_1_1():
    assert "drive_cache_path(TEACHER_CACHE)" in code_cells("profiles")[0]


# --- memory: Part 1.1's models are released before Part 1.2 --------------------------------------------------------

def _top_level_names(source):
    """Names a cell's own statements read or write (function bodies excluded)."""
    names = set()

    class Visitor(ast.NodeVisitor):
        def visit_FunctionDef(self, node):
            pass

        def visit_Name(self, node):
            names.add(node.id)

    Visitor().visit(ast.parse(source))
    return names


def test_part_1_1_models_are_released_before_part_1_2_loads_anything():
    cells = [c for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) for c in cells]
    release = [i for i, s in enumerate(sources) if re.search(r"^model = cola_model = .*None", s, re.M)
               and "free_memory()" in s]
    assert release, "no cell sets model and cola_model to None and calls free_memory()"
    first_load = min(i for i, s in enumerate(sources) if "make_student(" in s and "def make_student" not in s)
    assert release[0] < first_load, "Part 1.1's models are released only after Part 1.2 loads its first model"
    # Part 1.2 never touches them; the extras at the end (parity, sweeps) load them again first and free them after.
    extras = min(i for i, c in enumerate(cells) if "extra" in c["metadata"].get("tags", []))
    reload = [i for i, s in enumerate(sources) if re.search(r"^\s*tokenizer, model = load_tokenizer", s, re.M)]
    free_again = [i for i, s in enumerate(sources) if re.search(r"^model = cola_model = .*None", s, re.M)][-1]
    assert len(reload) == 1 and extras <= reload[0] < free_again
    for i, source in enumerate(sources[release[0] + 1:], release[0] + 1):
        if not reload[0] <= i <= free_again:
            assert not _top_level_names(source) & {"model", "cola_model"}, cells[i]["id"]


# --- fine-tuning: accumulation and the out-of-memory backoff --------------------------------------------------------

@pytest.fixture(scope="module")
def training_setup(nb, tiny_dir):
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    articles = [f"Article {i} about the council and the budget of the town number {i}." for i in range(8)]
    examples = nb.prepare_data_for_distillation(articles, [f"Summary {i}." for i in range(8)], tokenizer,
                                                max_length=64)
    return tokenizer, examples


def _student(nb, tiny_dir):
    return nb.load_causal_lm(str(tiny_dir / "lm"), device="cpu", dtype=torch.float32)


def test_fine_tuning_accumulates_per_device_batches_to_the_effective_batch(nb, tiny_dir, training_setup, monkeypatch):
    tokenizer, examples = training_setup
    seen = []
    real_train = transformers.Trainer.train

    def recording_train(self, *args, **kwargs):
        seen.append((self.args.per_device_train_batch_size, self.args.gradient_accumulation_steps))
        return real_train(self, *args, **kwargs)

    monkeypatch.setattr(transformers.Trainer, "train", recording_train)
    nb.fine_tune_student_model(_student(nb, tiny_dir), tokenizer, examples, epochs=1, batch_size=4,
                               device_batch_size=2, learning_rate=1e-3)
    assert seen == [(2, 2)]
    with pytest.raises(ValueError, match="device_batch_size must divide batch_size=4"):
        nb.fine_tune_student_model(_student(nb, tiny_dir), tokenizer, examples, batch_size=4, device_batch_size=3)
    assert profiles_table()["colab"]["train_batch_size"] % profiles_table()["colab"]["train_device_batch_size"] == 0


def test_out_of_memory_halves_the_device_batch_restores_the_weights_and_retries(nb, tiny_dir, training_setup,
                                                                                monkeypatch, capsys):
    tokenizer, examples = training_setup
    settings = dict(epochs=1, batch_size=4, learning_rate=1e-3, seed=5)
    reference = nb.fine_tune_student_model(_student(nb, tiny_dir), tokenizer, examples, device_batch_size=1,
                                           **settings)
    attempts = []
    real_train = transformers.Trainer.train

    def train_out_of_memory_twice(self, *args, **kwargs):
        attempts.append((self.args.per_device_train_batch_size, self.args.gradient_accumulation_steps,
                         {k: v.clone() for k, v in self.model.state_dict().items()}))
        if len(attempts) <= 2:
            with torch.no_grad():                      # a failed attempt has already changed the weights
                for parameter in self.model.parameters():
                    parameter.add_(0.5)
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (injected)")
        return real_train(self, *args, **kwargs)

    monkeypatch.setattr(transformers.Trainer, "train", train_out_of_memory_twice)
    model = _student(nb, tiny_dir)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    tuned = nb.fine_tune_student_model(model, tokenizer, examples, device_batch_size=4, **settings)
    assert [(b, a) for b, a, _ in attempts] == [(4, 1), (2, 2), (1, 4)]
    for _, _, weights in attempts:
        assert all(torch.equal(weights[k], initial[k]) for k in initial), "an attempt did not start from the weights"
    printed = capsys.readouterr().out
    assert "out of GPU memory at a per-device batch of 4: weights restored, retrying with 2 x 2" in printed
    assert "out of GPU memory at a per-device batch of 2: weights restored, retrying with 1 x 4" in printed
    for key, value in reference.state_dict().items():
        torch.testing.assert_close(tuned.state_dict()[key], value, rtol=1e-5, atol=1e-6)


def test_out_of_memory_at_a_device_batch_of_one_gives_up_clearly(nb, tiny_dir, training_setup, monkeypatch):
    tokenizer, examples = training_setup
    sizes = []

    def always_out_of_memory(self, *args, **kwargs):
        sizes.append(self.args.per_device_train_batch_size)
        raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")

    monkeypatch.setattr(transformers.Trainer, "train", always_out_of_memory)
    with pytest.raises(RuntimeError, match="out of GPU memory even at a per-device batch of 1"):
        nb.fine_tune_student_model(_student(nb, tiny_dir), tokenizer, examples, batch_size=4, device_batch_size=4)
    assert sizes == [4, 2, 1]


def test_the_gpu_check_trains_and_teaches_with_the_colab_profiles_batches():
    sys.path.insert(0, str(ROOT / "bench"))
    import gpu_check
    colab = profiles_table()["colab"]
    assert (gpu_check.FULL["train_batch"], gpu_check.FULL["train_device_batch"]) == \
        (colab["train_batch_size"], colab["train_device_batch_size"])
    assert gpu_check.FULL["teacher_batch"] == colab["teacher_batch_size"]


# --- the teacher in fp16 -------------------------------------------------------------------------------------------

def overflowing_teacher(tiny_dir, dtype, scale=1e4):
    """The tiny teacher with its RMSNorm weights multiplied by `scale`: its MLP activations exceed fp16's range
    (65504), so its fp16 logits are non-finite while its fp32 ones are finite."""
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny_dir / "teacher", dtype=torch.float32)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("layernorm.weight"):
                parameter.mul_(scale)
    return model.to(dtype).eval()


@pytest.fixture(scope="module")
def teacher_tokenizer(nb, tiny_dir):
    return nb.load_tokenizer(str(tiny_dir / "teacher"))


ARTICLES = ["The town council met on Monday and approved the budget for the new library after a long debate.",
            "Rain is expected across the region this weekend, and the river may rise.",
            "A local team won the final after extra time."]


def _batch(nb, tokenizer, articles=ARTICLES):
    ids, mask = nb.pad_batch(nb.teacher_prompt_ids(articles, tokenizer), tokenizer.pad_token_id, side="left")
    return ids, mask


def test_fp16_guard_switches_an_overflowing_teacher_to_fp32_and_redoes_the_batch(nb, tiny_dir, teacher_tokenizer,
                                                                                 capsys):
    ids, mask = _batch(nb, teacher_tokenizer)
    fp16 = overflowing_teacher(tiny_dir, torch.float16)
    with torch.no_grad():
        assert not torch.isfinite(fp16(input_ids=ids, attention_mask=mask).logits).all(), "precondition: no overflow"
        assert torch.isfinite(overflowing_teacher(tiny_dir, torch.float32)(input_ids=ids,
                                                                           attention_mask=mask).logits).all()
    eos, pad = teacher_tokenizer.eos_token_id, teacher_tokenizer.pad_token_id
    fp32_run = overflowing_teacher(tiny_dir, torch.float16).float()             # the same weights, in fp32
    expected, _ = nb.guarded_teacher_generate(fp32_run, ids, mask, 6, pad, eos)
    assert "switching" not in capsys.readouterr().out                   # fp32: nothing to switch
    output, final = nb.guarded_teacher_generate(fp16, ids, mask, 6, pad, eos)
    assert final is fp16 and next(final.parameters()).dtype == torch.float32     # cast in place: bf16 needs a GPU
    assert torch.equal(output, expected)
    assert "non-finite logits" in capsys.readouterr().out
    reloads = []
    output, final = nb.guarded_teacher_generate(overflowing_teacher(tiny_dir, torch.float16), ids, mask, 6, pad, eos,
                                                reload=lambda dtype: reloads.append(dtype) or
                                                overflowing_teacher(tiny_dir, torch.float16).to(dtype))
    assert reloads == [torch.float32] and torch.equal(output, expected)


def test_fp16_guard_raises_when_fp32_logits_are_non_finite_too(nb, tiny_dir, teacher_tokenizer):
    ids, mask = _batch(nb, teacher_tokenizer)
    broken = overflowing_teacher(tiny_dir, torch.float32, scale=float("nan"))
    with pytest.raises(RuntimeError, match="in torch.float32 too"):
        nb.guarded_teacher_generate(broken, ids, mask, 4, teacher_tokenizer.pad_token_id,
                                    teacher_tokenizer.eos_token_id)


def test_bf16_weights_survive_fp16_and_back_exactly_in_the_normal_range():
    """The guard's claim: a bf16-trained weight loaded in fp16 and cast to fp32 (or back to bf16) is unchanged when
    its magnitude is in fp16's normal range [2**-14, 65504]."""
    weights = (torch.randn(100_000, generator=torch.Generator().manual_seed(0)) * 0.05).to(torch.bfloat16)
    normal = (weights.float().abs() >= 2 ** -14) & (weights.float().abs() <= 65504)
    assert normal.sum() > 90_000
    assert torch.equal(weights.to(torch.float16).float()[normal], weights.float()[normal])
    assert torch.equal(weights.to(torch.float16).to(torch.bfloat16)[normal], weights[normal])


def test_summarize_with_teacher_model_recovers_from_fp16_overflow(nb, tiny_dir, teacher_tokenizer, capsys):
    expected = nb.summarize_with_teacher_model(ARTICLES, overflowing_teacher(tiny_dir, torch.float16).float(),
                                               teacher_tokenizer, 6, 2)
    capsys.readouterr()
    fp16 = overflowing_teacher(tiny_dir, torch.float16)
    assert nb.summarize_with_teacher_model(ARTICLES, fp16, teacher_tokenizer, 6, 2) == expected
    printed = capsys.readouterr().out
    assert printed.count("switching the teacher to torch.float32") == 1          # once; later batches stay fp32
    assert next(fp16.parameters()).dtype == torch.float32


@pytest.mark.parametrize("text, degenerate", [("", True), ("  \n", True), ("!!!!!!!!", True), ("! ! !", True),
                                              ("TL;DR: Rain.", False), ("ok", False)])
def test_degenerate_response(nb, text, degenerate):
    assert nb.degenerate_response(text) is degenerate


def test_synthetic_data_counts_degenerate_summaries_and_missing_markers(nb, tiny_dir, teacher_tokenizer, tmp_path,
                                                                       monkeypatch, capsys):
    """Canned responses through the whole path (summarize_with_teacher_model, extract_tldr, the cache): "!!!!!!" and
    "" are degenerate and lack the marker; the cache records which responses held it."""
    tokenizer = teacher_tokenizer
    responses = ["!!!!!!", "TL;DR: The council approved it.", ""]
    canned = {tuple(nb.teacher_prompt_ids([article], tokenizer)[0]):
              tokenizer(response, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
              for article, response in zip(ARTICLES, responses)}

    def generate(model, input_ids, attention_mask, max_new_tokens, pad_token_id, eos_token_id, reload=None):
        rows = [canned[tuple(ids[mask.bool()].tolist())] for ids, mask in zip(input_ids, attention_mask)]
        new, _ = nb.pad_batch(rows, pad_token_id, side="right")
        return torch.cat([input_ids, new], dim=1), model

    monkeypatch.setattr(nb, "guarded_teacher_generate", generate)
    model = nb.load_causal_lm(str(tiny_dir / "teacher"), device="cpu", dtype=torch.float32)
    articles = [{"id": f"a{i}", "article": text} for i, text in enumerate(ARTICLES)]
    cache = str(tmp_path / "cache.jsonl")
    rows = nb.generate_synthetic_data_for_distillation(articles, model, tokenizer, cache, 8, batch_size=3)
    assert [row["summary"] for row in rows] == ["!!!!!!", "The council approved it.", ""]
    assert [nb.read_teacher_cache(cache)[a["id"]]["tldr_found"] for a in articles] == [False, True, False]
    assert "2 responses without 'TL;DR:' kept whole; 2 degenerate (empty or one character repeated)" in \
        capsys.readouterr().out


# --- the teacher's batch: halved when the GPU runs out of memory --------------------------------------------------

def _articles(n):
    return [{"id": f"a{i}", "article": f"Story {i}: " + " ".join(f"word{i}x{j}" for j in range(10 + 3 * i))}
            for i in range(n)]


def _cache_ids(path):
    with open(path) as f:
        return [json.loads(line)["id"] for line in f]


def _out_of_memory_when(model, fails, monkeypatch):
    """model.generate raises torch.cuda.OutOfMemoryError when fails(call number, batch size) says so; returns the
    batch size of every call."""
    sizes, real_generate = [], model.generate

    def generate(*args, **kwargs):
        sizes.append(kwargs["input_ids"].shape[0])
        if fails(len(sizes), sizes[-1]):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (injected)")
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(model, "generate", generate)
    return sizes


def test_teacher_out_of_memory_halves_the_batch_and_gives_the_smaller_batchs_rows(nb, tiny_dir, teacher_tokenizer,
                                                                                  tmp_path, monkeypatch, capsys):
    """A GPU that holds at most 2 prompts: the batch of 8 fails, then 4, and the run goes on at 2. Every article is
    summarised once, and the rows (and the cache) are those of a run started at batch 2, whose batches these are."""
    model = nb.load_causal_lm(str(tiny_dir / "teacher"), device="cpu", dtype=torch.float32)
    articles = _articles(9)
    reference = nb.generate_synthetic_data_for_distillation(articles, model, teacher_tokenizer,
                                                            str(tmp_path / "reference.jsonl"), 4, batch_size=2)
    sizes = _out_of_memory_when(model, lambda call, size: size > 2, monkeypatch)
    cache = str(tmp_path / "cache.jsonl")
    rows = nb.generate_synthetic_data_for_distillation(articles, model, teacher_tokenizer, cache, 4, batch_size=8)
    assert sizes == [8, 4, 2, 2, 2, 2, 1]
    assert rows == reference
    assert sorted(_cache_ids(cache)) == sorted(a["id"] for a in articles)              # each id once
    assert nb.read_teacher_cache(cache) == nb.read_teacher_cache(str(tmp_path / "reference.jsonl"))
    printed = capsys.readouterr().out
    assert "out of GPU memory at a batch of 8: retrying it as batches of 4" in printed
    assert "out of GPU memory at a batch of 4: retrying it as batches of 2" in printed


def test_teacher_out_of_memory_keeps_the_cached_batches(nb, tiny_dir, teacher_tokenizer, tmp_path, monkeypatch):
    """The second batch fails once: it is retried as batches of half its size; the first batch's rows, already
    cached, are neither lost nor generated again. When a batch of one fails, a RuntimeError says so, and the
    batches that finished before it stay cached."""
    model = nb.load_causal_lm(str(tiny_dir / "teacher"), device="cpu", dtype=torch.float32)
    articles = _articles(8)
    cache = str(tmp_path / "cache.jsonl")
    sizes = _out_of_memory_when(model, lambda call, size: call == 2, monkeypatch)
    rows = nb.generate_synthetic_data_for_distillation(articles, model, teacher_tokenizer, cache, 4, batch_size=4)
    assert sizes == [4, 4, 2, 2]
    ids = _cache_ids(cache)
    assert sorted(ids) == sorted(a["id"] for a in articles) and [r["id"] for r in rows] == [a["id"] for a in articles]
    assert set(ids[:4]) == {"a7", "a6", "a5", "a4"}          # the longest four, the first batch, written once

    monkeypatch.undo()
    sizes = _out_of_memory_when(model, lambda call, size: call > 1, monkeypatch)
    more = _articles(11)                                    # three more: a10 and a9 fit, then a8 alone fails
    with pytest.raises(RuntimeError, match="out of GPU memory even at a batch of 1"):
        nb.generate_synthetic_data_for_distillation(more, model, teacher_tokenizer, cache, 4, batch_size=2)
    assert sizes == [2, 1]
    assert sorted(_cache_ids(cache)) == sorted([a["id"] for a in articles] + ["a10", "a9"])


# --- generation settings: nothing inherited from generation_config.json -------------------------------------------

OTHER_SETTINGS = dict(do_sample=True, temperature=0.3, top_k=5, top_p=0.5, repetition_penalty=3.0,
                      no_repeat_ngram_size=2, typical_p=0.5, min_p=0.1, min_new_tokens=5, suppress_tokens=[7],
                      begin_suppress_tokens=[9], bad_words_ids=[[11]], epsilon_cutoff=1e-3, eta_cutoff=1e-3)


def _same_weights(tiny_dir, name, tmp_path, generation_config):
    folder = tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(tiny_dir / name, folder)
    (folder / "generation_config.json").unlink(missing_ok=True)
    generation_config.save_pretrained(folder)
    return transformers.AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).eval()


@pytest.mark.parametrize("name", ["teacher", "lm"])
def test_generate_calls_ignore_the_models_generation_config(nb, tiny_dir, teacher_tokenizer, tmp_path, name):
    tokenizer = teacher_tokenizer if name == "teacher" else nb.load_tokenizer(str(tiny_dir / "lm"))
    config = transformers.AutoConfig.from_pretrained(tiny_dir / name)
    token_ids = dict(bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id)
    plain = _same_weights(tiny_dir, name, tmp_path, GenerationConfig(**token_ids))
    other = _same_weights(tiny_dir, name, tmp_path, GenerationConfig(**token_ids, **OTHER_SETTINGS))
    ids, mask = _batch(nb, teacher_tokenizer) if name == "teacher" else (None, None)
    if name == "teacher":
        settings = dict(input_ids=ids, attention_mask=mask, max_new_tokens=8, do_sample=False,
                        pad_token_id=tokenizer.pad_token_id)
        assert not torch.equal(plain.generate(**settings), other.generate(**settings)), "precondition: no effect"
        assert nb.summarize_with_teacher_model(ARTICLES, plain, tokenizer, 8, 3) == \
            nb.summarize_with_teacher_model(ARTICLES, other, tokenizer, 8, 3)
    else:
        batch = nb.prepare_articles_for_student_model(ARTICLES, tokenizer, 256, 8)
        settings = dict(**batch, max_new_tokens=8, do_sample=True, top_p=0.9, pad_token_id=tokenizer.pad_token_id)
        torch.manual_seed(0)
        first = plain.generate(**settings)
        torch.manual_seed(0)
        assert not torch.equal(first, other.generate(**settings)), "precondition: no effect"
        assert nb.summarize_with_student_model(ARTICLES, plain, tokenizer, 8, 0.9, seed=3) == \
            nb.summarize_with_student_model(ARTICLES, other, tokenizer, 8, 0.9, seed=3)


def test_plain_generation_keywords_exist_in_this_transformers():
    source = "\n".join(code_cells("defs"))
    table = next(node for node in ast.parse(source).body if isinstance(node, ast.Assign)
                 and getattr(node.targets[0], "id", None) == "PLAIN_GENERATION")
    keys = [kw.arg for kw in table.value.keywords]
    assert all(hasattr(GenerationConfig(), key) for key in keys), [k for k in keys if not hasattr(GenerationConfig(), k)]


# --- the evaluate parity check -------------------------------------------------------------------------------------

def _hf_perplexities(model, tokenizer, texts):
    """Perplexity of each text as evaluate's metric computes it (BOS prepended), one text at a time via the loss."""
    values = []
    for text in texts:
        ids = torch.tensor([[tokenizer.bos_token_id] + tokenizer(text, add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            values.append(math.exp(model(input_ids=ids, labels=ids).loss.item()))
    return values


def _fake_evaluate(compute=None, load_error=None):
    module = types.ModuleType("evaluate")
    calls = []

    def load(name, module_type=None):
        if load_error:
            raise load_error
        return types.SimpleNamespace(compute=lambda **kwargs: calls.append(kwargs) or compute(**kwargs))

    module.load, module.calls = load, calls
    return module


def test_evaluate_parity_reports_the_largest_relative_difference(nb, tiny_dir, monkeypatch, capsys):
    model = nb.load_causal_lm(str(tiny_dir / "lm"), device="cpu", dtype=torch.float32)
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    texts = ["the council met", "the council met", "rain is expected", "  "]
    exact = _fake_evaluate(lambda predictions, **kw: {"perplexities": _hf_perplexities(model, tokenizer,
                                                                                      predictions)})
    monkeypatch.setitem(sys.modules, "evaluate", exact)
    assert nb.evaluate_parity(texts, model, tokenizer, nb.evaluate_parity_metric()) < 1e-4
    assert exact.calls[0]["predictions"] == ["the council met", "rain is expected"]       # distinct, not blank
    assert exact.calls[0]["add_start_token"] is True and exact.calls[0]["batch_size"] == 16
    off = _fake_evaluate(lambda predictions, **kw: {"perplexities": [1.02 * p for p in _hf_perplexities(
        model, tokenizer, predictions)]})
    monkeypatch.setitem(sys.modules, "evaluate", off)
    assert nb.evaluate_parity(texts, model, tokenizer, nb.evaluate_parity_metric()) == pytest.approx(0.02 / 1.02,
                                                                                                    rel=1e-3)
    assert "largest relative difference" in capsys.readouterr().out


@pytest.mark.parametrize("module, reason", [
    (None, "not installed"),
    (_fake_evaluate(load_error=ConnectionError("Couldn't reach 'perplexity' on the Hub")), "ConnectionError"),
    (_fake_evaluate(load_error=FileNotFoundError("perplexity.py not found")), "FileNotFoundError"),
])
def test_evaluate_parity_is_skipped_without_evaluate_or_the_hub(nb, monkeypatch, capsys, module, reason):
    monkeypatch.setitem(sys.modules, "evaluate", module)
    assert nb.evaluate_parity_metric() is None           # asked before the extras reload any model
    printed = capsys.readouterr().out
    assert "evaluate parity check skipped" in printed and reason in printed


def test_the_parity_check_follows_the_evaluation_cell_behind_its_parameter():
    nb_json = json.loads(NOTEBOOK.read_text())
    ids = [c["id"] for c in nb_json["cells"]]
    parity = next(c for c in nb_json["cells"] if c["cell_type"] == "code" and "evaluate_parity(" in "".join(c["source"])
                  and "def evaluate_parity" not in "".join(c["source"]))
    assert ids.index(parity["id"]) > ids.index("evaluation")
    source = "".join(parity["source"])
    assert "if parity_metric is not None:" in source and 'row["run"] == "greedy"' in source
    assert re.search(r"^EVALUATE_PARITY = False\b", code_cells("parameters")[0], re.M)   # an extra: off by default


@pytest.mark.parametrize("transformers_version, expected", [("4.57.1", "datasets==4.8.5"), ("5.24.0", "datasets==5.2.0"),
                                                            ("4.40.0", "datasets==5.2.0")])
def test_setup_cell_installs_a_datasets_release_that_fits_the_transformers_major(monkeypatch, transformers_version,
                                                                               expected):
    """A missing datasets is installed at a release whose huggingface-hub range fits the transformers that will run:
    4.8.5 beside a transformers 4.x in range (datasets 5.x needs huggingface-hub >= 1.0, which 4.x refuses), 5.2.0
    beside 5.x, and 5.2.0 when an out-of-range 4.x is itself replaced by the tested 5.24.0."""
    versions = {**GOOD, "transformers": transformers_version, "datasets": None}
    namespace, pip = run_setup_cell(monkeypatch, versions, colab=True)
    assert len(pip) == 1 and expected in pip[0]
    assert namespace["DATASETS_FOR_TRANSFORMERS_4"] in (ROOT / "requirements" / "compat.txt").read_text()


def test_the_finite_check_allows_masked_tokens_but_not_nan_inf_or_empty_rows(nb):
    """-inf entries are how other logits processors mask tokens (EOS before min_new_tokens, say): legal. NaN, +inf,
    or a row with no finite score stop the batch."""
    check = nb.CheckFiniteLogits()
    ids = torch.zeros(2, 3, dtype=torch.long)
    masked = torch.tensor([[0.0, -float("inf"), 1.0], [2.0, 1.0, -float("inf")]])
    assert torch.equal(check(ids, masked), masked)
    for bad in (torch.tensor([[0.0, float("nan"), 1.0], [1.0, 1.0, 1.0]]),
                torch.tensor([[0.0, float("inf"), 1.0], [1.0, 1.0, 1.0]]),
                torch.tensor([[-float("inf")] * 3, [1.0, 1.0, 1.0]])):
        with pytest.raises(nb.NonFiniteLogits):
            check(ids, bad)
