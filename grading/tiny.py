"""The grader's tiny stand-ins for Part 1.2: a GPT-2-like student and a Qwen2-like teacher with a chat template,
built from configs and a byte-level BPE trained here on fixed text (no Hub, no files but the tokenizers').

The chat template renders as Qwen2.5-Instruct's does for plain chat (a system turn, the default one when none is
given; each message as <|im_start|>role\\ncontent<|im_end|>\\n; <|im_start|>assistant\\n as the generation prompt):
the template in the Qwen2.5-Instruct repository's tokenizer_config.json ("chat_template"), as far as plain chat goes.
"""
import pathlib

# The assignment's words (Part 1.2, Step 2) and the student format of Step 1.
SYSTEM_PROMPT = "You are a helpful assistant and an expert at summarizing articles."
INSTRUCTION = "Summarize the following article."
SUFFIX = "Start your summary with 'TL;DR:'"
TLDR = "\nTL;DR:"
DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- set rest = messages[1:] %}"
    "{%- else %}"
    "{{- '<|im_start|>system\\n" + DEFAULT_SYSTEM + "<|im_end|>\\n' }}{%- set rest = messages %}"
    "{%- endif %}"
    "{%- for message in rest %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")

# Articles of different lengths (so a batch needs padding), and what the graders' scripted models answer.
ARTICLES = [
    "The city council voted on Tuesday to build a new bridge over the river. Work starts in May.",
    "A small bakery in the old town won a national prize for its bread.",
    "Scientists found that bees can learn to count to four. The study tested two hundred bees over "
    "three summers, and the bees that learned fastest were the youngest ones in each hive.",
]
SUMMARIES = ["A new bridge is coming.", "A bakery won a prize.", "Bees can count."]
CORPUS = " ".join(ARTICLES + SUMMARIES + [SYSTEM_PROMPT, INSTRUCTION, SUFFIX, TLDR, DEFAULT_SYSTEM,
                                          "Here is a short summary of the article you gave me."]) * 3


def _bpe(special_tokens, vocab_size=400):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(special_tokens), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([CORPUS], trainer)
    return tok


def write_tokenizers(folder):
    """Write folder/student and folder/teacher (tokenizer files); return the folder."""
    from transformers import PreTrainedTokenizerFast
    folder = pathlib.Path(folder)
    student = PreTrainedTokenizerFast(tokenizer_object=_bpe(["<|endoftext|>"]), bos_token="<|endoftext|>",
                                      eos_token="<|endoftext|>", unk_token="<|endoftext|>",
                                      pad_token="<|endoftext|>", padding_side="left", model_max_length=1024)
    student.save_pretrained(folder / "student")
    teacher = PreTrainedTokenizerFast(tokenizer_object=_bpe(["<|endoftext|>", "<|im_start|>", "<|im_end|>"]),
                                      eos_token="<|im_end|>", pad_token="<|endoftext|>", padding_side="left",
                                      additional_special_tokens=["<|im_start|>", "<|im_end|>"],
                                      model_max_length=32768)
    teacher.chat_template = CHAT_TEMPLATE
    teacher.save_pretrained(folder / "teacher")
    return folder


def load_tokenizer(folder, which):
    """The student's or the teacher's tokenizer, padding on the left (as the notebook's load_tokenizer)."""
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(str(pathlib.Path(folder) / which))
    tokenizer.padding_side = "left"
    return tokenizer


def student_model(tokenizer):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_embd=16, n_layer=1, n_head=2, n_positions=1024,
                        bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    return GPT2LMHeadModel(config).eval()


def teacher_model(tokenizer):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=4096,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    return Qwen2ForCausalLM(config).eval()
