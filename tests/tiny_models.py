"""Random tiny models for the `tiny` profile: a GPT-2-style LM (also the student), a Qwen2-style chat teacher
and a RoBERTa CoLA-style classifier, sharing one small byte-level BPE tokenizer trained here.

    python tests/tiny_models.py OUT_DIR     writes OUT_DIR/lm, OUT_DIR/teacher, OUT_DIR/cola
"""
import pathlib
import sys

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM,
                          RobertaConfig, RobertaForSequenceClassification)

ROOT = pathlib.Path(__file__).resolve().parents[1]
EOS = "<|endoftext|>"
CHAT_TOKENS = ["<|im_start|>", "<|im_end|>"]
# A Qwen-style chat template: a system turn when given, each message in <|im_start|>role ... <|im_end|> blocks.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def training_text():
    """Text to train the tiny tokenizer on: the committed data (not the docs, so editing them changes nothing)."""
    texts = []
    for pattern in ("data/**/*.jsonl",):
        for path in sorted(ROOT.glob(pattern)):
            texts.append(path.read_text())
    return texts or ["The quick brown fox jumps over the lazy dog."]


def build_tokenizer(vocab_size=512):
    """Byte-level BPE (like GPT-2's) with EOS as BOS/EOS/pad/unk and the chat tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOS, *CHAT_TOKENS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(training_text(), trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=EOS, eos_token=EOS, unk_token=EOS,
                                   pad_token=EOS, additional_special_tokens=CHAT_TOKENS)
    fast.chat_template = CHAT_TEMPLATE
    fast.model_max_length = 256
    return fast


def build_tiny_models(out_dir, seed=0):
    """Write tokenizer + random weights to out_dir/{lm,teacher,cola}. Returns out_dir as a Path."""
    out = pathlib.Path(out_dir)
    torch.manual_seed(seed)
    tokenizer = build_tokenizer()
    vocab, eos = len(tokenizer), tokenizer.eos_token_id
    lm = GPT2LMHeadModel(GPT2Config(vocab_size=vocab, n_positions=256, n_embd=32, n_layer=2, n_head=2,
                                    bos_token_id=eos, eos_token_id=eos))
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    teacher = Qwen2ForCausalLM(Qwen2Config(vocab_size=vocab, hidden_size=32, intermediate_size=64,
                                           num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                                           max_position_embeddings=512, bos_token_id=eos, eos_token_id=im_end,
                                           pad_token_id=eos, tie_word_embeddings=True))
    # Special and whitespace-only tokens score 0, below most random logits, so that the random teacher writes words
    # rather than a blank summary (which Part 1.2 leaves out of the training data).
    blank = [i for i in range(vocab) if not tokenizer.decode([i], skip_special_tokens=True).strip()]
    with torch.no_grad():
        teacher.model.embed_tokens.weight[blank] = 0.0
    cola = RobertaForSequenceClassification(RobertaConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2,
                                                          num_attention_heads=2, intermediate_size=64,
                                                          max_position_embeddings=258, pad_token_id=eos,
                                                          bos_token_id=eos, eos_token_id=eos, num_labels=2))
    for name, model in (("lm", lm), ("teacher", teacher), ("cola", cola)):
        model.save_pretrained(out / name)
        tokenizer.save_pretrained(out / name)
    teacher_tok = PreTrainedTokenizerFast.from_pretrained(out / "teacher")
    teacher_tok.eos_token = "<|im_end|>"          # like Qwen2.5-Instruct: a chat turn ends with <|im_end|>
    teacher_tok.save_pretrained(out / "teacher")
    return out


if __name__ == "__main__":
    print(build_tiny_models(sys.argv[1] if len(sys.argv) > 1 else "tiny_models"))
