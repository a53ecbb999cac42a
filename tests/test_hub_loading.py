"""The colab profile's Hub loaders against a real local Hub server and mirrors with the real repositories' metadata.

Nothing is patched: each check runs the notebook's own function (load_story_prompts, load_articles, load_tokenizer,
...) in a fresh Python process whose environment alone (local_hub.hub_env: HF_ENDPOINT, HF_HOME, HF_HUB_CACHE,
HF_DATASETS_CACHE, HF_HUB_OFFLINE) points the libraries at the `local_hub` fixture (conftest.py): olah serving the
git mirrors of tests/hub_mirrors.py behind local_hub.HubFront, which answers as the Hub does where olah does not (a
missing file or folder: 404 EntryNotFound, not 401; see the fixture's docstring). What olah alone cannot serve is
asserted here too, and the Hub cache layout (HF_HUB_OFFLINE=1) is checked as the other way in. The mirrors carry the Hub's metadata: abisee/cnn_dailymail's README declares `configs:` and
`dataset_info:` for 1.0.0, 2.0.0 and 3.0.0, with which datasets 4.x checks the built splits against the declared ones.

"Load only the splits used" is checked on what the library did, not on what it was asked: each run gets its own
datasets cache, and a split counts as loaded when the cache holds its Arrow file. `split="test"` alone does not pass:
datasets still downloads and prepares every split of the dataset and then returns one.
"""
import json
import pathlib
import re
import subprocess
import sys

import pytest

from hub_mirrors import (CNN_ID, CNN_ROWS, COLA_ID, GPT2_ID, QWEN_DEFAULT_SYSTEM, QWEN_ID, ROC_ID, ROC_ROWS, cnn_rows,
                         roc_rows)
from local_hub import hub_env

TESTS = pathlib.Path(__file__).resolve().parent
CNN_CONFIG = "3.0.0"

# Run in the child: the notebook's definitions, then CODE, whose `result` is printed as JSON on the last line. An
# exception becomes {"error": its class name, "message": its text}.
CHILD = """
import json, sys, traceback
sys.path.insert(0, {tests!r})
from notebook import load_definitions
nb = load_definitions()
try:
{code}
except Exception as err:
    traceback.print_exc()
    result = {{"error": type(err).__name__, "message": str(err)}}
print("RESULT " + json.dumps(result))
"""


def run_with_hub(hub, code, tmp_path, offline=False, timeout=300):
    """Run `code` (which sets `result`) in a child Python with the hub's environment and a datasets cache of its own
    under tmp_path. Returns (result, stdout, datasets cache folder)."""
    datasets_cache = tmp_path / "datasets_cache"
    env = hub_env({**hub, "datasets_cache": datasets_cache, "hub_offline": "1" if offline else "0"})
    indented = "\n".join("    " + line for line in code.strip().splitlines())
    done = subprocess.run([sys.executable, "-c", CHILD.format(tests=str(TESTS), code=indented)], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=TESTS.parent)
    last = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and last, f"child failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    return json.loads(last[-1][len("RESULT "):]), done.stdout + done.stderr, datasets_cache


def loaded_splits(datasets_cache):
    """Splits whose Arrow file the datasets cache holds (train, validation, test)."""
    names = {re.search(r"-(train|validation|test)(-\d{5}-of-\d{5})?\.arrow$", p.name)
             for p in pathlib.Path(datasets_cache).rglob("*.arrow")}
    return {m.group(1) for m in names if m}


def no_error(result, output):
    """Fail with the child's exception and output when `result` is one."""
    assert not (isinstance(result, dict) and "error" in result), f"{result}\n{output[-4000:]}"


# --- ROCStories ------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def roc_run(local_hub, tmp_path_factory):
    """load_story_prompts("Ximing/ROCStories", 5) through the server, once: (prompts, output, datasets cache)."""
    return run_with_hub(local_hub, f"result = nb.load_story_prompts({ROC_ID!r}, 5)", tmp_path_factory.mktemp("roc"))


def test_story_prompts_are_the_first_n_of_the_hub_test_split(roc_run):
    prompts, output, _ = roc_run
    no_error(prompts, output)
    assert prompts == [row["prompt"] for row in roc_rows("test")[:5]]


def test_story_prompts_load_only_the_test_split(roc_run):
    prompts, output, cache = roc_run
    no_error(prompts, output)
    assert loaded_splits(cache) == {"test"}, f"loaded {sorted(loaded_splits(cache))}"


def test_story_prompts_asking_for_more_than_the_test_split_has_fails_clearly(local_hub, tmp_path):
    result, output, _ = run_with_hub(local_hub, f"result = nb.load_story_prompts({ROC_ID!r}, {ROC_ROWS['test'] + 1})",
                                     tmp_path)
    assert result.get("error") == "ValueError", output[-3000:]
    assert re.search(rf"{re.escape(ROC_ID)} has {ROC_ROWS['test']} prompts", result["message"])


# --- CNN/DailyMail ---------------------------------------------------------------------------------------------------
# On datasets 4.x these fail with ExpectedMoreSplitsError {'test', 'validation'} while load_hub_split keeps the split
# check: the README's dataset_info declares three splits, a data_files= load builds one.

@pytest.fixture(scope="module")
def cnn_run(local_hub, hub_mirrors_dir, tmp_path_factory):
    """load_articles(("abisee/cnn_dailymail", "3.0.0"), 7, 4, seed=447) through the server, once, and the same draw
    from the mirror's working tree opened as a local folder: ({"hub": ..., "files": ...}, output, cache)."""
    folder = tmp_path_factory.mktemp("cnn")
    local = str(hub_mirrors_dir["repos"][("dataset", CNN_ID)][0])
    code = (f"result = {{'hub': nb.load_articles(({CNN_ID!r}, {CNN_CONFIG!r}), 7, 4, seed=447),\n"
            f"          'files': nb.load_articles(({local!r}, {CNN_CONFIG!r}), 7, 4, seed=447)}}")
    return run_with_hub(local_hub, code, folder)


def test_articles_come_from_the_train_and_test_splits_with_the_hub_fields(cnn_run):
    result, output, _ = cnn_run
    no_error(result, output)
    train, heldout = result["hub"]
    assert len(train) == 7 and len(heldout) == 4
    by_id = {row["id"]: row for split in CNN_ROWS for row in cnn_rows(CNN_CONFIG, split)}
    for rows, split in ((train, "train"), (heldout, "test")):
        for row in rows:
            assert set(row) == {"id", "article", "highlights"}
            assert row["id"].startswith(f"{CNN_CONFIG}-{split}-"), f"{row['id']} is not from 3.0.0's {split} split"
            assert row == by_id[row["id"]]


def test_articles_pick_the_same_rows_from_the_hub_as_from_local_files(cnn_run):
    """A Hub id and a local folder laid out like it draw the same rows with the same seed: one loading path."""
    result, output, _ = cnn_run
    no_error(result, output)
    assert result["hub"] == result["files"]


def test_articles_load_only_the_train_and_test_splits(cnn_run):
    result, output, cache = cnn_run
    no_error(result, output)
    assert loaded_splits(cache) == {"train", "test"}, f"loaded {sorted(loaded_splits(cache))}"


def test_articles_asking_for_more_than_a_split_has_fails_clearly(local_hub, tmp_path):
    code = f"result = nb.load_articles(({CNN_ID!r}, {CNN_CONFIG!r}), 3, {CNN_ROWS['test'] + 1}, seed=0)"
    result, output, _ = run_with_hub(local_hub, code, tmp_path)
    assert result.get("error") == "ValueError", f"{result}\n{output[-3000:]}"
    assert f"only {CNN_ROWS['test']}" in result["message"]


# --- the models: config, weights, tokenizer through the libraries' own resolution ------------------------------------

MODEL_FACTS_ONLINE = f"""
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer
gpt2 = AutoConfig.from_pretrained({GPT2_ID!r})
qwen = AutoModelForCausalLM.from_pretrained({QWEN_ID!r})
qwen_config = AutoConfig.from_pretrained({QWEN_ID!r})     # as config.json says (a loaded model may be in fp32)
cola = AutoModelForSequenceClassification.from_pretrained({COLA_ID!r})
try:
    AutoTokenizer.from_pretrained({GPT2_ID!r})
    tokenizer_online = "loaded"
except Exception as err:
    tokenizer_online = type(err).__name__   # olah alone: RepositoryNotFoundError (its 401 for a missing file)
gen = qwen.generation_config
result = {{"gpt2": [gpt2.n_positions, gpt2.bos_token_id, gpt2.eos_token_id, gpt2.activation_function],
          "qwen": [qwen_config.tie_word_embeddings, str(getattr(qwen_config, "dtype", None) or qwen_config.torch_dtype)],
          "qwen_generation": [gen.do_sample, gen.temperature, gen.top_p, gen.top_k, gen.repetition_penalty,
                              gen.eos_token_id, gen.pad_token_id],
          "cola": {{str(k): v for k, v in cola.config.id2label.items()}},
          "tokenizer_online": tokenizer_online}}
"""

MODEL_FACTS_OFFLINE = f"""
import torch
from transformers import AutoTokenizer
raw = AutoTokenizer.from_pretrained({GPT2_ID!r})
gpt2 = nb.load_tokenizer({GPT2_ID!r})
lm = nb.load_causal_lm({GPT2_ID!r}, device="cpu", dtype=torch.float32)
qwen = nb.load_tokenizer({QWEN_ID!r})
cola_model, cola = nb.load_classifier({COLA_ID!r}, device="cpu", dtype=torch.float32)
chat = [{{"role": "user", "content": "Hi"}}]
result = {{"gpt2_raw": [raw.bos_token, raw.eos_token, raw.pad_token, raw.model_max_length],
          "gpt2": [gpt2.pad_token, gpt2.padding_side, nb.context_length(lm)],
          "qwen": [qwen.eos_token, qwen.pad_token, qwen.bos_token, qwen.eos_token_id != qwen.pad_token_id],
          "qwen_chat": qwen.apply_chat_template(chat, tokenize=False, add_generation_prompt=True),
          "qwen_chat_system": qwen.apply_chat_template([{{"role": "system", "content": "S"}}] + chat, tokenize=False),
          "cola": [cola.bos_token, cola.eos_token, cola.pad_token, cola.unk_token, cola.mask_token, cola.padding_side,
                   cola_model.config.id2label[0]]}}
"""


def test_models_through_the_server_carry_the_hub_metadata(local_hub, tmp_path):
    """Config, weights and tokenizer through the server: gpt2's 1024 positions and its one BOS = EOS token, Qwen's
    tied embeddings, bf16 and generation_config.json, CoLA's LABEL_0 / LABEL_1."""
    result, output, _ = run_with_hub(local_hub, MODEL_FACTS_ONLINE, tmp_path)
    no_error(result, output)
    assert result["gpt2"] == [1024, result["gpt2"][2], result["gpt2"][1], "gelu_new"]
    assert result["qwen"][0] is True and "bfloat16" in result["qwen"][1], result["qwen"]
    do_sample, temperature, top_p, top_k, repetition_penalty, eos, pad = result["qwen_generation"]
    assert (do_sample, temperature, top_p, top_k, repetition_penalty) == (True, 0.7, 0.8, 20, 1.1)
    assert isinstance(eos, list) and len(eos) == 2 and pad == eos[1] != eos[0]
    assert result["cola"] == {"0": "LABEL_0", "1": "LABEL_1"}
    assert result["tokenizer_online"] == "loaded"


def test_olah_alone_cannot_serve_a_tokenizer_which_is_why_the_front_exists(local_hub, tmp_path):
    """Straight to olah (no HubFront), AutoTokenizer fails: olah answers 401 for the optional files it probes. If this
    starts to pass, olah serves missing files as the Hub does and HubFront can go."""
    result, output, _ = run_with_hub({**local_hub, "endpoint": local_hub["olah_endpoint"]}, MODEL_FACTS_ONLINE, tmp_path)
    no_error(result, output)
    assert result["tokenizer_online"] == "RepositoryNotFoundError", result


def test_the_front_answers_404_only_for_what_a_mirror_lacks(local_hub):
    """HubFront's two differences from olah, decided from the mirrors' git trees: a file or folder a mirror lacks is a
    404 with X-Error-Code EntryNotFound (the Hub's answer), a file it holds goes to olah as it is."""
    import urllib.error
    import urllib.request

    def head(path):
        request = urllib.request.Request(local_hub["endpoint"] + path, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers.get("X-Error-Code")
        except urllib.error.HTTPError as err:
            return err.code, err.headers.get("X-Error-Code")

    assert head("/gpt2/resolve/main/added_tokens.json") == (404, "EntryNotFound")
    assert head("/gpt2/resolve/main/config.json")[0] == 200
    assert head("/datasets/abisee/cnn_dailymail/resolve/main/README.md")[0] == 200
    assert head("/datasets/abisee/cnn_dailymail/resolve/main/dataset_infos.json") == (404, "EntryNotFound")
    assert head("/api/models/gpt2/tree/main/additional_chat_templates") == (404, "EntryNotFound")


@pytest.mark.parametrize("offline", [False, True], ids=["through the server", "from the Hub cache"])
def test_tokenizers_and_loaders_carry_the_hub_metadata(local_hub, tmp_path, offline):
    """Through the server, and with HF_HUB_OFFLINE=1 from the Hub cache layout: gpt2 has no pad token (load_tokenizer
    pads with EOS), Qwen's EOS <|im_end|> and pad <|endoftext|> are two tokens and its template inserts the default
    system prompt; the notebook's loaders give what the profile relies on."""
    result, output, _ = run_with_hub(local_hub, MODEL_FACTS_OFFLINE, tmp_path, offline=offline)
    no_error(result, output)
    assert result["gpt2_raw"] == ["<|endoftext|>", "<|endoftext|>", None, 1024]
    assert result["gpt2"] == ["<|endoftext|>", "left", 1024]
    assert result["qwen"] == ["<|im_end|>", "<|endoftext|>", None, True]
    assert result["qwen_chat"] == (f"<|im_start|>system\n{QWEN_DEFAULT_SYSTEM}<|im_end|>\n"
                                   "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert result["qwen_chat_system"] == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
    assert result["cola"] == ["<s>", "</s>", "<pad>", "<unk>", "<mask>", "right", "LABEL_0"]


# --- the fallback, and what is not caught -------------------------------------------------------------------------
# load_hub_split names each split's files (data_files=), known from the Hub pages only. If the Hub renames them, no file
# matches (FileNotFoundError "Unable to find ...") and the split is loaded with split= alone, saying so. A dataset that
# does not exist (DatasetNotFoundError, also a FileNotFoundError) is not retried.

def test_renamed_files_fall_back_to_a_plain_split_load(nb, hub_mirrors_dir, tmp_path, capsys):
    """A local copy of the CNN/DailyMail mirror (the same loading path as the Hub's) whose 3.0.0 shards were renamed
    to <split>.parquet, its README following them."""
    import shutil
    folder = tmp_path / "cnn"
    shutil.copytree(hub_mirrors_dir["repos"][("dataset", CNN_ID)][0], folder, ignore=shutil.ignore_patterns(".git"))
    for i, shard in enumerate(sorted((folder / CNN_CONFIG).glob("*.parquet"))):   # train-00000-of-00003 -> train_0
        shard.rename(shard.with_name(f"{shard.name.split('-')[0]}_{i}.parquet"))
    readme = folder / "README.md"
    readme.write_text(readme.read_text().replace(f"path: {CNN_CONFIG}/train-*", f"path: {CNN_CONFIG}/train*.parquet")
                      .replace(f"path: {CNN_CONFIG}/test-*", f"path: {CNN_CONFIG}/test*.parquet")
                      .replace(f"path: {CNN_CONFIG}/validation-*", f"path: {CNN_CONFIG}/validation*.parquet"))
    train, heldout = nb.load_articles((str(folder), CNN_CONFIG), 5, 3, seed=1)
    assert all(r["id"].startswith(f"{CNN_CONFIG}-train-") for r in train)
    assert all(r["id"].startswith(f"{CNN_CONFIG}-test-") for r in heldout)
    assert capsys.readouterr().out.count("with split= alone") == 2


def test_a_dataset_that_does_not_exist_is_not_retried(local_hub, tmp_path):
    result, output, _ = run_with_hub(local_hub, 'result = nb.load_story_prompts("nobody/no-such-dataset", 1)', tmp_path)
    assert result.get("error") == "DatasetNotFoundError", f"{result}\n{output[-2000:]}"
    assert "split= alone" not in output
