"""scripts/make_offline_models.py: the offline profile's stand-in models, built outside the notebook (which opens them
with from_pretrained alone). Layer dropping is checked on SmolLM2 (Llama naming) and on the tiny GPT-2 and Qwen2
models; the folders the script writes are checked for what the offline profile relies on."""
import json

import pytest
import torch

from conftest import offline_models_script


@pytest.fixture(scope="module")
def script():
    return offline_models_script()


def test_drop_decoder_layers_copies_the_kept_layers(nb, script, smollm2):
    """The offline student: SmolLM2 (30 layers, Llama naming) without layers 3, 6, ..., 27 has 21 layers whose
    weights are the teacher's remaining ones in order, with embeddings and final norm unchanged; the teacher is
    untouched; dropping no layer, all layers or a missing one is refused."""
    teacher, _ = smollm2
    drop = tuple(range(3, 30, 3))
    student = script.drop_decoder_layers(teacher, drop)
    kept = [i for i in range(30) if i not in drop]
    assert student.config.num_hidden_layers == len(student.model.layers) == 21
    assert teacher.config.num_hidden_layers == len(teacher.model.layers) == 30
    for j, i in enumerate(kept):
        assert torch.equal(student.model.layers[j].mlp.up_proj.weight, teacher.model.layers[i].mlp.up_proj.weight)
        assert torch.equal(student.model.layers[j].self_attn.q_proj.weight,
                           teacher.model.layers[i].self_attn.q_proj.weight)
    assert torch.equal(student.model.embed_tokens.weight, teacher.model.embed_tokens.weight)
    assert torch.equal(student.model.norm.weight, teacher.model.norm.weight)
    assert sum(p.numel() for p in student.parameters()) < sum(p.numel() for p in teacher.parameters())
    for bad in ((), range(30), (30,)):
        with pytest.raises(ValueError, match="drop must"):
            script.drop_decoder_layers(teacher, bad)


def test_drop_decoder_layers_on_gpt2_and_qwen2_naming(nb, script, tiny_dir):
    """GPT-2 ("transformer.h.N") and Qwen2 ("model.layers.N", per-layer attention types) students keep the right
    layer and still generate."""
    lm = nb.load_causal_lm(str(tiny_dir / "lm"), device="cpu", dtype=torch.float32)
    small = script.drop_decoder_layers(lm, [0])
    assert len(small.transformer.h) == 1
    assert torch.equal(small.transformer.h[0].mlp.c_fc.weight, lm.transformer.h[1].mlp.c_fc.weight)
    qwen = nb.load_causal_lm(str(tiny_dir / "teacher"), device="cpu", dtype=torch.float32)
    small_qwen = script.drop_decoder_layers(qwen, [1])
    assert len(small_qwen.model.layers) == 1
    assert torch.equal(small_qwen.model.layers[0].mlp.up_proj.weight, qwen.model.layers[0].mlp.up_proj.weight)
    ids = torch.tensor([[1, 2, 3]])
    for model in (small, small_qwen):
        assert model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=3, do_sample=False,
                              pad_token_id=0).shape == (1, 6)


def test_the_script_writes_folders_that_from_pretrained_opens_as_the_offline_profile_names_them(nb, script,
                                                                                               offline_models):
    """The student folder is the full model without the script's STUDENT_DROP_LAYERS (21 of 30 layers left, its
    stamp lists them); both folders load with the notebook's plain loaders; the profile names the same folder names."""
    from notebook import profiles_table
    full = nb.load_causal_lm(offline_models["full"], device="cpu", dtype=torch.float32)
    student = nb.make_student(offline_models["student"], device="cpu")
    assert (full.config.num_hidden_layers, student.config.num_hidden_layers) == (30, 21)
    stamp = json.loads((__import__("pathlib").Path(offline_models["student"]) / script.STAMP).read_text())
    assert stamp["dropped_layers"] == list(script.STUDENT_DROP_LAYERS)
    kept = [i for i in range(30) if i not in script.STUDENT_DROP_LAYERS]
    assert torch.equal(student.model.layers[1].self_attn.k_proj.weight, full.model.layers[kept[1]].self_attn.k_proj.weight)
    offline = profiles_table()["offline"]
    assert offline["student"].endswith("/" + script.STUDENT) and offline["lm"].endswith("/" + script.FULL)
    assert offline["teacher"] == offline["student_undropped"] == offline["lm"]


def test_a_folder_from_another_transformers_major_is_rebuilt(script, tmp_path, monkeypatch):
    """A folder stamped by another transformers major version is not current (its tokenizer files may name classes
    this version lacks); a missing stamp is not current either."""
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert not script.is_current(folder)
    (folder / script.STAMP).write_text(json.dumps({"transformers_major": script.transformers_major()}))
    assert script.is_current(folder)
    (folder / script.STAMP).write_text(json.dumps({"transformers_major": "3"}))
    assert not script.is_current(folder)
