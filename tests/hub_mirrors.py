"""Mirrors of the five Hub repositories the `colab` profile names, with the real repositories' file layout and
metadata files but tiny random weights and a few data rows.

    python tests/hub_mirrors.py OUT_DIR     writes OUT_DIR/models/... and OUT_DIR/datasets/...

Each mirror is a git repository on branch `main` (olah, the local Hub server of tests/local_hub.py, serves only
those), laid out as olah's offline mode reads them: `<root>/models/<org>/<name>`, `<root>/datasets/<org>/<name>`, and
`<root>/models/gpt2` for the organisation-less id `gpt2`.

Where a fact comes from is written beside it, as a public citation:
  [hub ID/FILE]  the file FILE of the Hub repository ID: https://huggingface.co/ID/blob/main/FILE for a model,
                 https://huggingface.co/datasets/ID/blob/main/FILE for a dataset; [hub ID tree] its file listing
                 (https://huggingface.co/ID/tree/main, or /datasets/ID/tree/main);
  verified: ...  the value was checked against a public copy of that file, named there (a GitHub repository and
                 path); a copy re-saved by a later transformers differs from the Hub file in key order,
                 transformers_version and the defaults it writes out, not in the values checked;
  not verified against the Hub file   written from the Hub file as remembered: no public copy of that file was
                 found (related evidence, where there is any, is named beside it).
Sizes (layers, widths, vocabulary) are always ours, and so are the data rows; split sizes declared in READMEs are the
fixture's own row counts: the files' names, layout and metadata fields are the real repositories', the sizes are not.

Public copies checked (GitHub repository: path), cited below by letter:
  (a) AbisoyeOnanuga/beebe: gpt2/config.json -- gpt2's config.json with the Hub file's keys (its task max_length
      edited to 250); (b) Fu-fangteng/AIAA_4051_NLP_Final_Proj and LavenderCheng/LLM-Project---Team-5:
      gpt2/config.json, re-saved by transformers 4.54 / 4.38; (c) vanu23/chatbot: gpt2/generation_config.json,
      re-saved by 4.30.2;
  (d) ilyassLambardi/Bilingual-Voice-Ai-Application-: models/Qwen2.5-1.5B-Instruct/config.json and
      generation_config.json, re-saved by transformers 5.1.0;
  (e) chujiezheng/chat_templates: chat_templates/qwen2.5-instruct.jinja, the Qwen2.5-Instruct chat template;
  (f) mingkaid/rl-prompt: examples/text-style-transfer/evaluation/tst_evaluator.py (counts LABEL_0 of
      cointegrated/roberta-large-cola-krishna2020 as fluent) and s-nlp/paradetox:
      evaluation_detox/metric_tools/fluency.py ("label 0 means acceptable", of the Fairseq original it was converted
      from);
  (g) saranscript/huggingface-models: models/cointegrated/roberta-large-cola-krishna2020/README.md and infos.json
      (its model card, and the Hub API's file list of 2021-11: pytorch_model.bin, no model.safetensors then);
  (h) public code that downloads https://huggingface.co/datasets/abisee/cnn_dailymail/resolve/main/3.0.0/<shard>
      and that reads Ximing/ROCStories' columns, found by code search (their repositories were not given: weaker
      evidence, cited as such).
"""
import json
import pathlib
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (GPT2Config, GPT2LMHeadModel, Qwen2Config, Qwen2ForCausalLM, RobertaConfig,
                          RobertaForSequenceClassification)

ROOT = pathlib.Path(__file__).resolve().parents[1]
GPT2_ID = "gpt2"
QWEN_ID = "Qwen/Qwen2.5-1.5B-Instruct"
COLA_ID = "cointegrated/roberta-large-cola-krishna2020"
ROC_ID = "Ximing/ROCStories"
CNN_ID = "abisee/cnn_dailymail"
# [hub abisee/cnn_dailymail tree]: one folder per config, each split in parquet shards <split>-0000k-of-0000n.parquet;
# train in three (3.0.0/train-0000{0,1,2}-of-00003.parquet), validation and test in one each. Verified: (h), 3.0.0.
# 1.0.0/ and 2.0.0/ exist ((h): instructions for a clone remove them); their shard names: not verified against the Hub
# file listing.
CNN_CONFIGS = ("1.0.0", "2.0.0", "3.0.0")
CNN_SHARDS = {"train": 3, "validation": 1, "test": 1}
CNN_ROWS = {"train": 30, "validation": 6, "test": 12}           # ours: 10 train rows per shard
ROC_ROWS = {"train": 20, "validation": 6, "test": 12}           # ours
# [hub Qwen/Qwen2.5-1.5B-Instruct/tokenizer_config.json] "chat_template": the default system prompt, rendered when
# messages[0] is not a system message. Verified against (e), the Qwen2.5-Instruct template (not this repository's file).
QWEN_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

# Qwen2.5-Instruct's template as far as plain chat goes, written here; checked against (e): a system turn first (the
# default one when messages[0] is not a system message); every other message as <|im_start|>role\ncontent<|im_end|>\n;
# then <|im_start|>assistant\n with add_generation_prompt. The real template also renders tools, tool calls and tool
# results (a "tool" turn as a user turn in <tool_response> tags), which the notebook never passes.
QWEN_CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- set rest = messages[1:] %}"
    "{%- else %}"
    "{{- '<|im_start|>system\\n" + QWEN_DEFAULT_SYSTEM + "<|im_end|>\\n' }}"
    "{%- set rest = messages %}"
    "{%- endif %}"
    "{%- for message in rest %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


# --- git ------------------------------------------------------------------------------------------------------------

def git_commit_all(folder, message="mirror"):
    """Make `folder` a git repository on branch main with one commit of everything in it; return the commit hash."""
    run = lambda *args: subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True)
    run("init", "-q", "-b", "main")
    run("add", "-A")
    run("-c", "user.name=tests", "-c", "user.email=tests@localhost", "commit", "-q", "-m", message)
    return run("rev-parse", "HEAD").stdout.strip()


def write_json(path, data):
    """Write `data` as indented JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


# --- tokenizers -------------------------------------------------------------------------------------------------------

def training_text():
    """Text to train the tiny tokenizers on: the committed data files (story prompts and articles)."""
    texts = [path.read_text() for path in sorted(ROOT.glob("data/*.jsonl"))]
    return texts or ["The quick brown fox jumps over the lazy dog."]


def train_byte_level_bpe(special_tokens, vocab_size=512):
    """A byte-level BPE like GPT-2's, Qwen2's and RoBERTa's (Qwen2's real pre-tokenizer adds a regex split first:
    simplified here), with `special_tokens` taking the first ids in the order given."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(special_tokens), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(training_text(), trainer)
    return tok


def save_bpe_files(tok, folder):
    """tokenizer.json plus the slow tokenizer's vocab.json and merges.txt, as the real repositories ship all three."""
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    model = json.loads(tok.to_str())["model"]
    write_json(folder / "vocab.json", model["vocab"])
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    (folder / "merges.txt").write_text("#version: 0.2\n" + "".join(m + "\n" for m in merges))


def blank_token_ids(tok):
    """Ids of tokens that decode to nothing but whitespace (special tokens included)."""
    special = {t.content for t in tok.get_added_tokens_decoder().values()}
    return [i for token, i in tok.get_vocab().items()
            if token in special or not tok.decode([i], skip_special_tokens=True).strip()]


# --- models -----------------------------------------------------------------------------------------------------------

# The keys of gpt2's config.json [hub gpt2/config.json], verified against (a): no transformers_version, no dtype, none
# of the defaults a later transformers writes out (n_inner, pad_token_id, scale_attn_weights, use_cache, ...).
GPT2_CONFIG_KEYS = ("activation_function", "architectures", "attn_pdrop", "bos_token_id", "embd_pdrop", "eos_token_id",
                    "initializer_range", "layer_norm_epsilon", "model_type", "n_ctx", "n_embd", "n_head", "n_layer",
                    "n_positions", "resid_pdrop", "summary_activation", "summary_first_dropout",
                    "summary_proj_to_labels", "summary_type", "summary_use_proj", "task_specific_params", "vocab_size")


def write_gpt2(folder):
    """gpt2 (openai-community/gpt2): GPT2LMHeadModel, tokenizer with <|endoftext|> as its only special token. The
    config values are those of [hub gpt2/config.json], each verified against (a) and (b)."""
    tok = train_byte_level_bpe(["<|endoftext|>"])
    save_bpe_files(tok, folder)
    eot = tok.token_to_id("<|endoftext|>")                      # 50256 on the Hub (the last id); 0 here
    config = GPT2Config(
        vocab_size=tok.get_vocab_size(), n_embd=32, n_layer=2, n_head=2,      # ours (50257, 768, 12, 12 on the Hub)
        n_positions=1024, n_ctx=1024,                           # [hub gpt2/config.json] verified (a) (b)
        bos_token_id=eot, eos_token_id=eot,                     # [hub gpt2/config.json] both 50256, no pad id; (a) (b)
        activation_function="gelu_new", resid_pdrop=0.1, embd_pdrop=0.1, attn_pdrop=0.1,   # verified (a) (b)
        layer_norm_epsilon=1e-5, initializer_range=0.02,       # [hub gpt2/config.json] verified (a) (b)
        summary_type="cls_index", summary_use_proj=True, summary_activation=None,           # verified (a) (b)
        summary_proj_to_labels=True, summary_first_dropout=0.1,                              # verified (a) (b)
        task_specific_params={"text-generation": {"do_sample": True, "max_length": 50}},     # verified (b)
        architectures=["GPT2LMHeadModel"])                      # [hub gpt2/config.json] verified (a) (b)
    # model.safetensors: [hub gpt2 tree], not verified against the Hub file listing (the 2021 listing in (g)'s
    # gpt2/infos.json predates it: pytorch_model.bin, tf_model.h5, flax_model.msgpack, rust_model.ot, ...)
    GPT2LMHeadModel(config).save_pretrained(folder)
    patch_json(folder / "config.json", keep=GPT2_CONFIG_KEYS)
    # [hub gpt2/generation_config.json]: only these keys, verified (c); its transformers_version "4.26.0.dev0": not
    # verified against the Hub file ((c) is a copy re-saved by 4.30.2)
    write_json(folder / "generation_config.json", {"_from_model_config": True, "bos_token_id": eot,
                                                   "eos_token_id": eot, "transformers_version": "4.26.0.dev0"})
    # [hub gpt2/tokenizer_config.json]: model_max_length 1024 and nothing else (so no pad token, and the special
    # tokens come from GPT2Tokenizer's defaults: <|endoftext|> for bos, eos and unk). Not verified against the Hub
    # file; that GPT2Tokenizer defaults bos, eos and unk to <|endoftext|> and sets no pad token is transformers' own
    # (tokenization_gpt2.py).
    write_json(folder / "tokenizer_config.json", {"model_max_length": 1024})
    (folder / "README.md").write_text("---\nlanguage: en\nlicense: mit\n---\n# gpt2 (tiny random mirror)\n")


# The keys of Qwen2.5-1.5B-Instruct's config.json [hub Qwen/Qwen2.5-1.5B-Instruct/config.json], written by
# transformers 4.43.1: rope_theta at the top level, no layer_types, no pad_token_id, no dtype. The values are verified
# against (d) (re-saved by transformers 5.1.0, so it has rope_parameters, layer_types and a null sliding_window
# instead); the key set and transformers_version "4.43.1" are not verified against the Hub file (seen only in quoted
# copies whose repositories the search did not give).
QWEN_CONFIG_KEYS = ("architectures", "attention_dropout", "bos_token_id", "eos_token_id", "hidden_act", "hidden_size",
                    "initializer_range", "intermediate_size", "max_position_embeddings", "max_window_layers",
                    "model_type", "num_attention_heads", "num_hidden_layers", "num_key_value_heads", "rms_norm_eps",
                    "rope_theta", "sliding_window", "tie_word_embeddings", "torch_dtype", "transformers_version",
                    "use_cache", "use_sliding_window", "vocab_size")


def write_qwen(folder):
    """Qwen/Qwen2.5-1.5B-Instruct: Qwen2ForCausalLM, <|endoftext|> then <|im_start|>, <|im_end|> (151643-151645 on
    the Hub [hub Qwen/Qwen2.5-1.5B-Instruct/tokenizer_config.json] "added_tokens_decoder": here 0-2), the Hub's
    generation_config.json and a chat template that renders as Qwen2.5-Instruct's."""
    tok = train_byte_level_bpe(["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    save_bpe_files(tok, folder)
    eot, im_start, im_end = (tok.token_to_id(t) for t in ("<|endoftext|>", "<|im_start|>", "<|im_end|>"))
    config = Qwen2Config(
        vocab_size=tok.get_vocab_size(), hidden_size=32, intermediate_size=64, num_hidden_layers=2,   # ours
        num_attention_heads=2, num_key_value_heads=1,           # ours; grouped-query attention as on the Hub (12 / 2)
        # below: [hub Qwen/Qwen2.5-1.5B-Instruct/config.json], each value verified against (d)
        max_position_embeddings=32768, rope_theta=1000000.0, rms_norm_eps=1e-6,
        use_sliding_window=False, max_window_layers=21,         # 21 of the Hub's 28 layers; inert with no window
        hidden_act="silu", attention_dropout=0.0, initializer_range=0.02, use_cache=True,
        bos_token_id=eot, eos_token_id=im_end,                  # bos 151643 (<|endoftext|>), eos 151645 (<|im_end|>)
        tie_word_embeddings=True,
        architectures=["Qwen2ForCausalLM"])
    torch.manual_seed(1)
    model = Qwen2ForCausalLM(config)
    # Blank tokens (special and whitespace-only) embed as 0, so with tied embeddings their logits are 0, below most
    # random logits: the random teacher writes words, not a blank summary (which Part 1.2 leaves out of training).
    with torch.no_grad():
        model.model.embed_tokens.weight[blank_token_ids(tok)] = 0.0
    model.save_pretrained(folder)
    # torch_dtype bfloat16 (the weights here are fp32: tiny) and sliding_window 32768 (unused: use_sliding_window is
    # false): not verified against the Hub file ((d) was re-saved as float16 with the window nulled, as transformers 5
    # does here; both values appear in the quoted copies mentioned above QWEN_CONFIG_KEYS)
    patch_json(folder / "config.json", keep=QWEN_CONFIG_KEYS, rope_theta=1000000.0, sliding_window=32768,
               torch_dtype="bfloat16", transformers_version="4.43.1")
    # [hub Qwen/Qwen2.5-1.5B-Instruct/generation_config.json], ids ours, values verified against (d): bos and pad
    # 151643, eos [151645, 151643], sampling on at temperature 0.7, top_p 0.8, top_k 20, repetition_penalty 1.1;
    # its transformers_version "4.37.0": not verified against the Hub file ((d) is re-saved by 5.1.0)
    write_json(folder / "generation_config.json", {
        "bos_token_id": eot, "pad_token_id": eot, "do_sample": True, "eos_token_id": [im_end, eot],
        "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8, "top_k": 20,
        "transformers_version": "4.37.0"})
    added = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False,
                      "special": True} for t, i in (("<|endoftext|>", eot), ("<|im_start|>", im_start),
                                                     ("<|im_end|>", im_end))}
    # [hub Qwen/Qwen2.5-1.5B-Instruct/tokenizer_config.json]: not verified against the Hub file itself. The start
    # (add_bos_token and add_prefix_space false, 151643-151645 as added tokens) matches the tokenizer_config.json of
    # Qwen2.5-Instruct derivatives (the same tokenizer) on huggingface.co mirror pages found by search; the other keys
    # match a quoted copy of a Qwen2.5 tokenizer_config.json (repository not given), which lists 13 additional
    # special tokens (vision and tool tokens besides these two)
    write_json(folder / "tokenizer_config.json", {
        "add_bos_token": False, "add_prefix_space": False, "added_tokens_decoder": added,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],   # the two the notebook meets
        "bos_token": None,                                      # no BOS token
        "chat_template": QWEN_CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False, "errors": "replace",
        "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",  # two different tokens
        "model_max_length": 131072, "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer", "unk_token": None})
    (folder / "README.md").write_text("---\nlicense: apache-2.0\nbase_model: Qwen/Qwen2.5-1.5B\n---\n"
                                      "# Qwen2.5-1.5B-Instruct (tiny random mirror)\n")


def write_cola(folder):
    """cointegrated/roberta-large-cola-krishna2020: RobertaForSequenceClassification with the default labels
    LABEL_0 / LABEL_1, class 0 = acceptable. Its model card [hub cointegrated/roberta-large-cola-krishna2020/README.md]
    does not say which class is acceptable (verified against (g)); public code does: LABEL_0 is fluent, and label 0
    means acceptable in the Fairseq original it was converted from (f). The config.json itself: not verified against
    the Hub file. Files [hub cointegrated/roberta-large-cola-krishna2020 tree]: config.json, merges.txt,
    special_tokens_map.json, tokenizer.json, tokenizer_config.json, vocab.json, README.md, verified against the
    2021-11 listing in (g); the weights there are pytorch_model.bin, and whether main now also holds the
    model.safetensors written here is not verified against the Hub file listing."""
    specials = ["<s>", "<pad>", "</s>", "<unk>"]                # ids 0-3 as in roberta-large's vocab.json
    tok = train_byte_level_bpe(specials)
    mask = tok.get_vocab_size()
    tok.add_special_tokens(["<mask>"])                          # the last id (50264 in roberta-large's vocab.json)
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True,
                                                      add_prefix_space=False)
    save_bpe_files(tok, folder)
    config = RobertaConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,  # ours
        intermediate_size=64,                                   # ours (1024, 24, 16, 4096 in roberta-large)
        # below: roberta-large's values (512 positions + RoBERTa's 2 skipped ids; bos, pad, eos 0, 1, 2), as
        # [hub roberta-large/config.json] gives them; not verified against either Hub file (printouts of
        # roberta-large's loaded config found by search, repositories not given, show the same)
        max_position_embeddings=514, type_vocab_size=1,
        bos_token_id=0, pad_token_id=1, eos_token_id=2,
        hidden_act="gelu", layer_norm_eps=1e-5, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
        num_labels=2,                                           # LABEL_0 / LABEL_1, no names: verified (f)
        architectures=["RobertaForSequenceClassification"])     # verified against (g)'s infos.json
    torch.manual_seed(2)
    RobertaForSequenceClassification(config).save_pretrained(folder)
    # Only the default names, verified (f): rl-prompt's pipeline gets "LABEL_0" back. Written out (transformers 5
    # leaves defaults out of config.json); whether the Hub file spells them out is not verified against the Hub
    # file: either way a loaded config has id2label {0: LABEL_0, 1: LABEL_1}
    patch_json(folder / "config.json", drop=("dtype",), id2label={"0": "LABEL_0", "1": "LABEL_1"},
               label2id={"LABEL_0": 0, "LABEL_1": 1})
    # RoBERTa's special tokens; special_tokens_map.json and tokenizer_config.json contents: not verified against the
    # Hub files (that both files exist: (g))
    tokens = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
              "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}
    write_json(folder / "special_tokens_map.json", tokens)
    write_json(folder / "tokenizer_config.json", {**tokens, "errors": "replace", "add_prefix_space": False,
                                                  "trim_offsets": True, "model_max_length": 512,
                                                  "tokenizer_class": "RobertaTokenizer"})
    # The model card, as (g) has it: no metadata block, and no word on which label is acceptable
    (folder / "README.md").write_text("# roberta-large-cola-krishna2020 (tiny random mirror)\n\nThis is a "
                                      "RoBERTa-large classifier trained on the CoLA corpus.\n")
    assert mask == tok.token_to_id("<mask>")


def patch_json(path, drop=(), keep=None, **fields):
    """Remove the keys `drop` from the JSON file `path` (and, given `keep`, every key not in it), then set `fields`."""
    data = json.loads(path.read_text())
    for key in list(data):
        if key in drop or (keep is not None and key not in keep):
            del data[key]
    data.update(fields)
    write_json(path, data)


# --- datasets ---------------------------------------------------------------------------------------------------------

def roc_rows(split):
    """ROCStories rows: columns prompt and continuation (public code reads these two: (h)); the prompt names its split
    and index."""
    return [{"prompt": f"The {split} story {i} begins with a walk.", "continuation": f"It ends well ({split} {i})."}
            for i in range(ROC_ROWS[split])]


def cnn_rows(config, split):
    """CNN/DailyMail rows: columns article, highlights, id, all strings (verified against tensorflow/datasets:
    docs/community_catalog/huggingface/cnn_dailymail.md, the features of configs 1.0.0 and 3.0.0); ids say their
    config and split."""
    return [{"article": f"Article {i} of the {split} split of {config}. The council met on Monday. " * 3,
             "highlights": f"The council met ({split} {i}).", "id": f"{config}-{split}-{i:03d}"}
            for i in range(CNN_ROWS[split])]


def cnn_shard_names(config, split):
    """File names of a split's parquet shards, as [hub abisee/cnn_dailymail tree] names them (see CNN_SHARDS):
    3.0.0/train-00000-of-00003.parquet, ..."""
    n = CNN_SHARDS[split]
    return [f"{config}/{split}-{k:05d}-of-{n:05d}.parquet" for k in range(n)]


def cnn_readme(sizes):
    """The README's YAML [hub abisee/cnn_dailymail/README.md] since the dataset was converted to parquet: dataset_info
    (features and, per config, the split names with num_bytes / num_examples: here the fixture's own) and configs
    (file patterns per config). Not verified against the Hub file line by line: its blame page on huggingface.co shows
    the three per-config blocks the conversion added, and paperswithcode_id, pretty_name and the summarization task
    are in its earlier revisions' YAML. `sizes[config][split]` = (num_bytes, num_examples)."""
    lines = ["---", "language:", "- en", "license: apache-2.0", "task_categories:", "- summarization",
             "paperswithcode_id: cnn-daily-mail-1", "pretty_name: CNN / Daily Mail", "dataset_info:"]
    for config in CNN_CONFIGS:
        lines += [f"- config_name: {config}", "  features:"]
        for name in ("article", "highlights", "id"):
            lines += [f"  - name: {name}", "    dtype: string"]
        lines += ["  splits:"]
        for split in CNN_SHARDS:
            num_bytes, num_examples = sizes[config][split]
            lines += [f"  - name: {split}", f"    num_bytes: {num_bytes}", f"    num_examples: {num_examples}"]
        total = sum(b for b, _ in sizes[config].values())
        lines += [f"  download_size: {total}", f"  dataset_size: {total}"]
    lines += ["configs:"]
    for config in CNN_CONFIGS:
        lines += [f"- config_name: {config}", "  data_files:"]
        for split in CNN_SHARDS:
            lines += [f"  - split: {split}", f"    path: {config}/{split}-*"]
    lines += ["---", "# Dataset Card for CNN Dailymail Dataset (tiny mirror: a few rows per split)", ""]
    return "\n".join(lines)


def write_cnn(folder):
    """abisee/cnn_dailymail: three configs, each split's rows in its Hub-named parquet shards, the README's YAML."""
    sizes = {}
    for config in CNN_CONFIGS:
        sizes[config] = {}
        for split, names in ((s, cnn_shard_names(config, s)) for s in CNN_SHARDS):
            rows = cnn_rows(config, split)
            per_shard = len(rows) // len(names)
            for k, name in enumerate(names):
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(pa.Table.from_pylist(rows[k * per_shard:(k + 1) * per_shard]), folder / name)
            num_bytes = sum(len(r["article"]) + len(r["highlights"]) + len(r["id"]) for r in rows)
            sizes[config][split] = (num_bytes, len(rows))
    (folder / "README.md").write_text(cnn_readme(sizes))


def write_roc(folder):
    """Ximing/ROCStories: train.jsonl, validation.jsonl, test.jsonl at the root, a README without configs
    [hub Ximing/ROCStories tree]: not verified against the Hub file listing (public code loads its train, validation
    and test splits by name: (h))."""
    folder.mkdir(parents=True, exist_ok=True)
    for split in ROC_ROWS:
        (folder / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in roc_rows(split)))
    # [hub Ximing/ROCStories/README.md]: its license field, not verified against the Hub file
    (folder / "README.md").write_text("---\nlicense: unknown\n---\n# ROCStories (tiny mirror)\n")


# --- all of them ------------------------------------------------------------------------------------------------------

MODEL_WRITERS = {GPT2_ID: write_gpt2, QWEN_ID: write_qwen, COLA_ID: write_cola}
DATASET_WRITERS = {CNN_ID: write_cnn, ROC_ID: write_roc}


def mirror_path(root, repo_id, repo_type="model"):
    """Where olah's offline mode looks for `repo_id`: <root>/models/<org>/<name> (<root>/models/<name> without an
    org)."""
    return pathlib.Path(root) / f"{repo_type}s" / repo_id


def build_mirrors(root, seed=0):
    """Write every mirror under `root`, each one committed to git on branch main. Returns
    {(type, id): (folder, commit)}."""
    torch.manual_seed(seed)
    built = {}
    for repo_type, writers in (("model", MODEL_WRITERS), ("dataset", DATASET_WRITERS)):
        for repo_id, write in writers.items():
            folder = mirror_path(root, repo_id, repo_type)
            folder.mkdir(parents=True, exist_ok=True)
            write(folder)
            built[(repo_type, repo_id)] = (folder, git_commit_all(folder, f"tiny mirror of {repo_id}"))
    return built


if __name__ == "__main__":
    for key, (folder, commit) in build_mirrors(sys.argv[1] if len(sys.argv) > 1 else "hub_mirrors").items():
        print(key, folder, commit)
