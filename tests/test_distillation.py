"""Part 1.2 (knowledge distillation): prompt formats, truncation, label masking, the resumable teacher cache,
fine-tuning and ROUGE. Models are the random tiny stand-ins of tests/hub_mirrors.py (the tiny_dir fixture) unless a test needs SmolLM2's real
tokenizer and chat template."""
import ast
import io
import json
import pathlib
import re
import tokenize

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from notebook import code_cells

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"
ARTICLES = (str(DATA / "cnn_dailymail"), "offline")   # the offline profile's articles, laid out like the Hub's


@pytest.fixture(autouse=True)
def fresh_accelerate_state(monkeypatch):
    """Each test starts from a clean accelerate state: transformers 4.56's TrainingArguments(bf16=True) sets
    ACCELERATE_MIXED_PRECISION=bf16 in the environment and its Trainer keeps the process-wide AcceleratorState, so
    after a bf16 Trainer a later fp32 one trains in bf16 too (5.x does neither; the notebook uses one precision per
    session)."""
    from accelerate.state import AcceleratorState
    monkeypatch.delenv("ACCELERATE_MIXED_PRECISION", raising=False)
    AcceleratorState._reset_state(reset_partial_state=True)


@pytest.fixture(scope="module")
def student(nb, tiny_dir):
    """The tiny profile's student: the gpt2 stand-in (1024 positions), fp32, and its tokenizer (pad = EOS)."""
    return nb.make_student(str(tiny_dir / "lm"), device="cpu"), nb.load_tokenizer(str(tiny_dir / "lm"))


@pytest.fixture(scope="module")
def teacher_tokenizer(nb, tiny_dir):
    """The tiny Qwen2-style teacher's tokenizer: a chat template, EOS <|im_end|>."""
    return nb.load_tokenizer(str(tiny_dir / "teacher"))


def _articles(n, words=30):
    """n distinct short articles with ids."""
    return [{"id": f"a{i}", "article": f"Story {i}: " + " ".join(f"word{i}x{j}" for j in range(words + 3 * i))}
            for i in range(n)]


# --- the graded functions' shape -------------------------------------------------------------------------------
# The assignment describes each graded function of Part 1.2 as a formatting step, a tokenizer call and a call of
# model.generate; caching, progress, statistics, the out-of-memory back-off and length sorting belong to the given
# functions (generate_synthetic_data_for_distillation, fine_tune_student_model) or to the folded machinery cells.

GRADED_PART_12 = ("prepare_articles_for_student_model", "summarize_with_student_model", "prepare_articles_teacher",
                  "summarize_with_teacher_model", "prepare_data_for_distillation")
MAX_CODE_LINES, MAX_PARAMETERS = 25, 8


def code_lines(source, function):
    """Lines of `function` (an ast.FunctionDef of `source`, decorators included) that hold code: blank lines,
    comment-only lines and the docstrings of the function and of any function nested in it are not counted."""
    docstrings = set()
    for node in ast.walk(function):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.body \
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            docstrings.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    layout = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in layout:
            lines.update(range(token.start[0], token.end[0] + 1))
    first = min([function.lineno] + [decorator.lineno for decorator in function.decorator_list])
    return len({line for line in lines if first <= line <= function.end_lineno} - docstrings)


def _definition(name):
    """(cell source, ast.FunctionDef) of the notebook's definition of `name`."""
    source = next(s for s in code_cells("defs") if re.search(rf"^def {name}\(", s, flags=re.M))
    return source, next(node for node in ast.parse(source).body
                        if isinstance(node, ast.FunctionDef) and node.name == name)


def test_code_lines_counts_code_only():
    source = ('@decorator\ndef f(a,\n      b):\n    """Doc\n    string."""\n\n    # a comment\n    x = [a,\n'
              '         b]   # trailing\n    def g():\n        """Nested doc."""\n        return x\n    return g\n\ny = 1\n')
    function = ast.parse(source).body[0]
    assert code_lines(source, function) == 8     # decorator, 2 signature lines, 2 of x, def g, return x, return g


@pytest.mark.parametrize("name", GRADED_PART_12)
def test_graded_part_12_functions_do_their_step_and_no_more(name):
    source, function = _definition(name)
    arguments = function.args
    n_parameters = (len(arguments.posonlyargs) + len(arguments.args) + len(arguments.kwonlyargs)
                    + (arguments.vararg is not None) + (arguments.kwarg is not None))
    assert code_lines(source, function) <= MAX_CODE_LINES, code_lines(source, function)
    assert n_parameters <= MAX_PARAMETERS, n_parameters


# --- data -------------------------------------------------------------------------------------------------------

def test_load_articles_is_seeded_and_disjoint(nb):
    """The same seed picks the same articles, another seed others; train and held-out never share an id."""
    train, heldout = nb.load_articles(ARTICLES, 10, 5, seed=1)
    again, _ = nb.load_articles(ARTICLES, 10, 5, seed=1)
    other, _ = nb.load_articles(ARTICLES, 10, 5, seed=2)
    assert [a["id"] for a in train] == [a["id"] for a in again]
    assert [a["id"] for a in train] != [a["id"] for a in other]
    assert len(train) == 10 and len(heldout) == 5
    assert not {a["id"] for a in train} & {a["id"] for a in heldout}
    assert {"id", "article", "highlights"} <= set(train[0]) <= {"id", "article", "highlights", "topic"}   # offline rows carry a topic
    with pytest.raises(ValueError, match="only"):
        nb.load_articles(ARTICLES, 10_000, 5, seed=1)


# --- student prompts and truncation ------------------------------------------------------------------------------

def test_long_article_is_truncated_but_keeps_suffix_and_fits_context(nb, student):
    """A 5,000-word article (far beyond gpt2's 1024 positions): the prompt ends in "\\nTL;DR:", prompt + max_new_tokens fit
    the context, and the student really generates from it without running out of positions."""
    model, tokenizer = student
    context = nb.context_length(model)
    assert context == 1024                                  # gpt2's n_positions (the mirror's config.json)
    long_article = " ".join(f"word{i % 97}" for i in range(5000))
    batch = nb.prepare_articles_for_student_model([long_article, "A short article."], tokenizer, context, 20)
    assert batch["input_ids"].shape[1] + 20 <= context
    for row, mask in zip(batch["input_ids"], batch["attention_mask"]):
        ids = row[mask.bool()].tolist()
        assert tokenizer.decode(ids).endswith("\nTL;DR:")
    assert batch["attention_mask"][1, 0] == 0 and batch["attention_mask"][1, -1] == 1      # left padding
    summary = nb.summarize_with_student_model([long_article], model, tokenizer, max_new_tokens=20, seed=0)
    assert isinstance(summary[0], str)
    example = nb.prepare_data_for_distillation([long_article], ["A short summary."], tokenizer, context)[0]
    assert len(example["input_ids"]) <= context
    assert tokenizer.decode(example["input_ids"]).endswith("\nTL;DR: A short summary." + tokenizer.eos_token)
    with pytest.raises(ValueError, match="no room"):
        nb.prepare_articles_for_student_model([long_article], tokenizer, max_length=20, max_new_tokens=20)


def test_student_summaries_exclude_prompt_and_match_unbatched_generation(nb, student):
    """Near-greedy top-p (p = 1e-6 keeps only the top token) on a left-padded, length-sorted batch gives, for each
    article, exactly the stripped new text that generate() gives for that article alone: no prompt text, no
    padding effect, no mix-up of order."""
    model, tokenizer = student
    texts = [a["article"] for a in _articles(4)]
    summaries = nb.summarize_with_student_model(texts, model, tokenizer, max_new_tokens=6, top_p=1e-6, batch_size=3)
    for text, summary in zip(texts, summaries):
        ids = torch.tensor([nb.student_prompt_ids(text, tokenizer, 10_000)])
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=6,
                             pad_token_id=tokenizer.pad_token_id)
        assert summary == tokenizer.decode(out[0, ids.shape[1]:], skip_special_tokens=True).strip()
    again = nb.summarize_with_student_model(texts, model, tokenizer, max_new_tokens=6, seed=3)
    assert again == nb.summarize_with_student_model(texts, model, tokenizer, max_new_tokens=6, seed=3)
    with pytest.raises(ValueError, match="top_p"):
        nb.summarize_with_student_model(texts, model, tokenizer, top_p=0)


# --- label masking ----------------------------------------------------------------------------------------------

def test_labels_mask_every_prompt_and_pad_position_only(nb, student):
    """After collation, labels are -100 on every prompt token and every pad, equal to the input ids on every summary
    token and on the final EOS (even though this tokenizer's pad id IS its EOS id), and the unmasked tokens decode to
    " <summary><EOS>"."""
    _, tokenizer = student
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    articles = ["A long article. " * 40, "Short one.", "A medium length article about a river and a court."]
    summaries = ["The court fined the firm.", "Short.", "A river was polluted and fish died."]
    examples = nb.prepare_data_for_distillation(articles, summaries, tokenizer, max_length=256, article_max_tokens=50)
    batch = nb.training_collator(tokenizer)(examples)
    for row, (article, summary) in enumerate(zip(articles, summaries)):
        ids, mask, labels = batch["input_ids"][row], batch["attention_mask"][row], batch["labels"][row]
        n_prompt = len(nb.prepare_articles_for_student_model([article], tokenizer, 256, 0, 50)["input_ids"][0])
        n_real = int(mask.sum())
        assert mask[:n_real].all() and not mask[n_real:].any()                          # right padding
        assert (labels[:n_prompt] == -100).all()                                        # prompt
        assert (labels[n_real:] == -100).all()                                          # padding
        assert (labels[n_prompt:n_real] == ids[n_prompt:n_real]).all()                  # summary + EOS
        assert labels[n_real - 1] == tokenizer.eos_token_id
        assert tokenizer.decode(labels[labels != -100]) == " " + summary + tokenizer.eos_token
        assert tokenizer.decode(ids[:n_prompt]).endswith("\nTL;DR:")
    assert (batch["attention_mask"] == 0).any()                                         # some padding was tested


# --- teacher ----------------------------------------------------------------------------------------------------

def test_teacher_prompt_holds_system_instruction_article_suffix_in_order(nb, teacher_tokenizer):
    """The rendered chat text (tiny Qwen-style template) contains the system prompt, then the instruction, then the
    article, then the TL;DR request, and ends with the assistant's generation prompt."""
    article = "The river flooded the town on Monday."
    prompt = nb.prepare_articles_teacher([article], teacher_tokenizer)[0]
    parts = [nb.TEACHER_SYSTEM_PROMPT, nb.TEACHER_INSTRUCTION, article, nb.TEACHER_SUFFIX]
    positions = [prompt.find(part) for part in parts]
    assert -1 not in positions and positions == sorted(positions), positions
    assert nb.TEACHER_SYSTEM_PROMPT == "You are a helpful assistant and an expert at summarizing articles."
    assert nb.TEACHER_SUFFIX == "Start your summary with 'TL;DR:'"
    assert prompt.endswith("<|im_start|>assistant\n")
    truncated = nb.prepare_articles_teacher(["word " * 500], teacher_tokenizer, article_max_tokens=20)[0]
    assert truncated.count("word") < 30 and nb.TEACHER_SUFFIX in truncated


def test_teacher_prompt_with_smollm2_template_replaces_its_default_system_prompt(nb, offline_models):
    """SmolLM2's real template inserts its own system prompt when none is given; ours must replace it."""
    tokenizer = nb.load_tokenizer(offline_models["full"])
    prompt = nb.prepare_articles_teacher(["An article."], tokenizer)[0]
    assert "SmolLM" not in prompt and prompt.count("<|im_start|>system") == 1
    assert prompt.index(nb.TEACHER_SYSTEM_PROMPT) < prompt.index("An article.") < prompt.index(nb.TEACHER_SUFFIX)


@pytest.mark.parametrize("response, expected", [
    ("TL;DR: The firm was fined.", ("The firm was fined.", True)),
    ("Sure! Here it is.\n\n**TL;DR:** The firm was fined.", ("The firm was fined.", True)),
    ("tl;dr: lower case works too", ("lower case works too", True)),
    ("  The firm was fined, no marker.  ", ("The firm was fined, no marker.", False)),
    ("", ("", False)),
])
def test_extract_tldr(nb, response, expected):
    """Text after the first TL;DR: marker; the whole stripped response (flagged) when it is missing."""
    assert nb.extract_tldr(response) == expected


def test_teacher_batching_does_not_change_summaries(nb, tiny_dir, teacher_tokenizer, tmp_path):
    """Greedy teacher summaries are the same in batches of 3 taken in the order given, one article at a time, and
    through generate_synthetic_data_for_distillation's longest-first batches; they come back in the articles' order,
    with return_found a flag per article."""
    model = nb.load_causal_lm(str(tiny_dir / "teacher"), device="cpu", dtype=torch.float32)
    articles = _articles(5)
    texts = [a["article"] for a in articles]
    one_by_one = nb.summarize_with_teacher_model(texts, model, teacher_tokenizer, 6, 1)
    batched, found = nb.summarize_with_teacher_model(texts, model, teacher_tokenizer, 6, 3, return_found=True)
    rows = nb.generate_synthetic_data_for_distillation(articles, model, teacher_tokenizer,
                                                       str(tmp_path / "cache.jsonl"), 6, batch_size=3)
    assert batched == one_by_one == [row["summary"] for row in rows]
    assert len(found) == 5 and all(isinstance(flag, bool) for flag in found)
    assert nb.summarize_with_teacher_model([], model, teacher_tokenizer) == []
    with pytest.raises(ValueError, match="batch_size"):
        nb.summarize_with_teacher_model(texts, model, teacher_tokenizer, 6, 0)


def test_teacher_generates_from_the_chat_prompt_with_the_assignments_system_prompt(nb, tiny_dir, teacher_tokenizer,
                                                                                  monkeypatch):
    """The token ids summarize_with_teacher_model hands to generate() are the chat template's rendering of each
    article (prepare_articles_teacher): the assignment's system prompt once, never the template's default one."""
    model = nb.load_causal_lm(str(tiny_dir / "teacher"), device="cpu", dtype=torch.float32)
    seen, real_generate = [], model.generate

    def spy(*args, **kwargs):
        seen.extend(ids[mask.bool()].tolist() for ids, mask in zip(kwargs["input_ids"], kwargs["attention_mask"]))
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(model, "generate", spy)
    articles = ["The river flooded the town on Monday.", "The council approved the budget after a long debate."]
    nb.summarize_with_teacher_model(articles, model, teacher_tokenizer, 2, batch_size=2)
    prompts = [teacher_tokenizer.decode(ids) for ids in seen]
    assert prompts == nb.prepare_articles_teacher(articles, teacher_tokenizer)
    for prompt in prompts:
        assert prompt.count(nb.TEACHER_SYSTEM_PROMPT) == 1 and prompt.count("<|im_start|>system") == 1
        assert "You are Qwen" not in prompt


def test_summarize_longest_first_batches_longest_first_and_counts(nb, capsys):
    """Batches run from the longest item (ties in their order); the counts of missing markers and degenerate
    summaries are returned and printed; nothing runs for no items; a bad batch_size is named."""
    lengths = [5, 9, 5, 7, 9, 1, 5]
    seen = []

    def summarize_batch(positions):
        seen.append(list(positions))
        return ["" if p == 5 else f"summary {p}" for p in positions], [p % 2 == 0 for p in positions]

    counts = nb.summarize_longest_first(summarize_batch, lengths, 3)
    assert seen == [[1, 4, 3], [0, 2, 6], [5]]
    assert (counts["summaries"], counts["missing_marker"], counts["degenerate"], counts["batch_size"]) == (7, 3, 1, 3)
    printed = capsys.readouterr().out
    assert "teacher: 7 summaries in" in printed
    assert "3 responses without 'TL;DR:' kept whole; 1 degenerate (empty or one character repeated)" in printed
    assert nb.summarize_longest_first(summarize_batch, [], 3)["summaries"] == 0 and len(seen) == 3
    with pytest.raises(ValueError, match="batch_size"):
        nb.summarize_longest_first(summarize_batch, lengths, 0)


# --- the resumable teacher cache --------------------------------------------------------------------------------

def _cache_ids(path):
    with open(path) as f:
        return [json.loads(line)["id"] for line in f]


def test_synthetic_data_resumes_after_interruption(nb, tiny_dir, teacher_tokenizer, tmp_path, monkeypatch):
    """Generation dies in its 3rd batch (an injected exception). The cache then holds the two finished batches;
    a rerun generates only the missing articles, and the cache ends with every article exactly once, the rows of
    the first run unchanged. A torn last line (death mid-write) is dropped and regenerated."""
    model = nb.load_causal_lm(str(tiny_dir / "teacher"), device="cpu", dtype=torch.float32)
    articles = _articles(10)
    cache = tmp_path / "drive" / "teacher_cache.jsonl"                      # its folder does not exist yet
    real_generate, calls = model.generate, []

    def failing_generate(*args, **kwargs):
        calls.append(kwargs["input_ids"].shape[0])
        if len(calls) == 3:
            raise RuntimeError("injected: runtime disconnected")
        return real_generate(*args, **kwargs)

    model.generate = failing_generate
    with pytest.raises(RuntimeError, match="injected"):
        nb.generate_synthetic_data_for_distillation(articles, model, teacher_tokenizer, str(cache), 4, batch_size=3)
    first_ids = _cache_ids(cache)
    assert len(first_ids) == 6 and len(set(first_ids)) == 6
    first_rows = nb.read_teacher_cache(str(cache))

    model.generate = real_generate
    generated = []
    real_summarize = nb.summarize_with_teacher_model

    def spy(texts, *args, **kwargs):
        generated.extend(texts)
        return real_summarize(texts, *args, **kwargs)

    monkeypatch.setattr(nb, "summarize_with_teacher_model", spy)
    rows = nb.generate_synthetic_data_for_distillation(articles, model, teacher_tokenizer, str(cache), 4, batch_size=3)
    by_text = {a["article"]: a["id"] for a in articles}
    assert sorted(by_text[t] for t in generated) == sorted(set(a["id"] for a in articles) - set(first_ids))
    final_ids = _cache_ids(cache)
    assert sorted(final_ids) == sorted(a["id"] for a in articles)                    # each exactly once
    assert [r["id"] for r in rows] == [a["id"] for a in articles]
    final_rows = nb.read_teacher_cache(str(cache))
    assert all(final_rows[i] == first_rows[i] for i in first_ids)                     # not regenerated

    generated.clear()
    nb.generate_synthetic_data_for_distillation(articles, model, teacher_tokenizer, str(cache), 4, batch_size=3)
    assert generated == [] and _cache_ids(cache) == final_ids                         # complete: nothing to do

    with open(cache, "a") as f:                                                       # die mid-write
        f.write('{"id": "a11", "summ')
    more = articles + _articles(12)[10:]
    nb.generate_synthetic_data_for_distillation(more, model, teacher_tokenizer, str(cache), 4, batch_size=3)
    assert sorted(_cache_ids(cache)) == sorted(a["id"] for a in more)


# --- fine-tuning and ROUGE --------------------------------------------------------------------------------------

@torch.no_grad()
def summary_loss(nb, model, examples, tokenizer, batch_size=8):
    """Mean cross-entropy per labelled token (summary + EOS) of `model` on `examples`, batched by the notebook's
    training collator; the model is left in eval mode."""
    model.eval()
    collate = nb.training_collator(tokenizer)
    total, count = 0.0, 0
    for start in range(0, len(examples), batch_size):
        batch = collate(examples[start:start + batch_size])
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float()
        labels = batch["labels"][:, 1:]                                     # token t is predicted at position t-1
        total += F.cross_entropy(logits[:, :-1].transpose(1, 2), labels, ignore_index=-100, reduction="sum").item()
        count += int((labels != -100).sum())
    return total / count


@pytest.mark.parametrize("cpu_bf16", [False, True])
def test_fine_tuning_lowers_the_training_loss(nb, tiny_dir, cpu_bf16):
    """Four epochs on six examples lower the mean loss per summary token on those examples by over 10 %
    (a random 512-token model starts near ln 512 = 6.2), in fp32 and with bf16 autocast; the model comes back in
    eval mode, in fp32, and the Trainer logs."""
    model = nb.make_student(str(tiny_dir / "lm"), device="cpu")
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    examples = _examples(nb, tokenizer, 6)
    before = summary_loss(nb, model, examples, tokenizer)
    log = []
    tuned = nb.fine_tune_student_model(model, tokenizer, examples, epochs=4, batch_size=3, learning_rate=3e-3,
                                       seed=0, cpu_bf16=cpu_bf16, log_history=log)
    after = summary_loss(nb, tuned, examples, tokenizer)
    assert after < 0.9 * before, (before, after)
    assert not tuned.training and any("loss" in entry for entry in log)
    assert next(tuned.parameters()).dtype == torch.float32


def _examples(nb, tokenizer, n, summaries=None, max_length=256):
    """prepare_data_for_distillation examples of n _articles (40 article tokens) and their summaries (default:
    "Story i is about words.")."""
    summaries = [f"Story {i} is about words." for i in range(n)] if summaries is None else summaries
    return nb.prepare_data_for_distillation([a["article"] for a in _articles(n)], summaries, tokenizer, max_length,
                                            article_max_tokens=40)


@pytest.mark.parametrize("name", ["lm", "teacher", "offline student"])
def test_labelled_loss_is_the_models_own_loss_and_gradient(nb, tiny_dir, offline_models, tmp_path, name):
    """LabelledLossTrainer.compute_loss equals model(labels=...).loss, as a mean and as a sum over num_items_in_batch,
    and so do its gradients (to 1e-5 relative), for the GPT-2 and Qwen2 stand-ins and the offline SmolLM2 student
    (whose LM head is tied to its embeddings)."""
    import transformers
    folder = offline_models["student"] if name == "offline student" else tiny_dir / name
    model = nb.make_student(str(folder), device="cpu").train()
    torch.manual_seed(0)
    tokenizer = nb.load_tokenizer(str(folder))
    batch = nb.training_collator(tokenizer)(_examples(nb, tokenizer, 3))
    args = transformers.TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none")
    trainer = nb.LabelledLossTrainer(model=model, args=args)
    assert trainer.model_accepts_loss_kwargs                 # so the sum branch is the one training takes
    n_items = int((batch["labels"][:, 1:] != -100).sum()) + 7  # as if the accumulated batch had 7 more tokens

    def loss_and_grads(loss_fn):
        model.zero_grad()
        with torch.random.fork_rng():
            torch.manual_seed(1)                              # the same dropout masks for both losses
            loss = loss_fn()
        loss.backward()
        return loss.item(), [p.grad.clone() for p in model.parameters() if p.grad is not None]

    for kwargs in ({}, {"num_items_in_batch": n_items}):
        ours, our_grads = loss_and_grads(lambda: trainer.compute_loss(model, dict(batch), **kwargs))
        theirs, their_grads = loss_and_grads(lambda: model(**batch, **kwargs).loss)
        assert ours == pytest.approx(theirs, rel=1e-5), kwargs
        assert len(our_grads) == len(their_grads) > 0
        for mine, reference in zip(our_grads, their_grads):
            torch.testing.assert_close(mine, reference, rtol=1e-4, atol=1e-6)


def test_labelled_loss_accumulates_gradients_as_the_trainers_own_loss(nb, tiny_dir, tmp_path):
    """Two micro-batches of unequal summary lengths through Trainer.training_step, as gradient accumulation runs
    them (num_items_in_batch = the labelled tokens of both): LabelledLossTrainer accumulates the gradients that
    Hugging Face's own Trainer loss accumulates, i.e. it is scaled for accumulation as the Trainer expects (a mean
    per micro-batch would weight the short batch's tokens more)."""
    import transformers
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    summaries = [f"Story {i} is about" + " words" * (1 + 8 * i) + "." for i in range(4)]     # unequal lengths
    examples = _examples(nb, tokenizer, 4, summaries, max_length=512)
    collate = nb.training_collator(tokenizer)
    batches = [collate(examples[:2]), collate(examples[2:])]
    n_items = sum(int((batch["labels"][:, 1:] != -100).sum()) for batch in batches)
    args = transformers.TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none",
                                          gradient_accumulation_steps=2)

    def accumulated(trainer_class):
        model = nb.make_student(str(tiny_dir / "lm"), device="cpu")
        trainer = trainer_class(model=model, args=args)
        trainer.current_gradient_accumulation_steps = 2
        for i, batch in enumerate(batches):
            with torch.random.fork_rng():
                torch.manual_seed(i)                              # the same dropout masks for both
                trainer.training_step(model, dict(batch), num_items_in_batch=torch.tensor(n_items))
        return [p.grad.clone() for p in model.parameters()]

    ours, theirs = accumulated(nb.LabelledLossTrainer), accumulated(transformers.Trainer)
    for mine, reference in zip(ours, theirs):
        torch.testing.assert_close(mine, reference, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("cpu_bf16, expected", [(False, {torch.float32}), (True, {torch.bfloat16})])
def test_fine_tuning_runs_decoder_and_head_in_the_precision_asked_for(nb, tiny_dir, cpu_bf16, expected):
    """During fine_tune_student_model every Linear of the decoder and the LM head computes in bf16 with
    cpu_bf16=True (autocast reaches the labelled loss, which bypasses model.forward) and in fp32 without it."""
    model = nb.make_student(str(tiny_dir / "lm"), device="cpu")
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    examples = _examples(nb, tokenizer, 4)
    seen = {"head": set(), "decoder": set()}
    head = model.get_output_embeddings()
    hooks = [module.register_forward_hook(lambda m, i, out, where=("head" if module is head else "decoder"):
                                          seen[where].add(out.dtype))
             for module in model.modules() if isinstance(module, torch.nn.Linear) or module is head]
    hooks += [module.register_forward_hook(lambda m, i, out: seen["decoder"].add(out.dtype))
              for module in model.modules() if type(module).__name__ == "Conv1D"]     # GPT-2's projections
    try:
        nb.fine_tune_student_model(model, tokenizer, examples, epochs=1, batch_size=2, learning_rate=1e-3, seed=0,
                                   cpu_bf16=cpu_bf16)
    finally:
        for hook in hooks:
            hook.remove()
    assert seen["head"] == expected and seen["decoder"] == expected, seen


@pytest.mark.parametrize("summary, expected", [
    ("The firm was fined. It will appeal the", "The firm was fined."),
    ("The firm was fined. It will appeal.", "The firm was fined. It will appeal."),
    ('He said "we will appeal."', 'He said "we will appeal."'),
    ("Fined! Appeal? Maybe not\nthe", "Fined! Appeal?"),
    ("no full sentence at all", "no full sentence at all"),
    ("", ""),
])
def test_trim_unfinished_sentence(nb, summary, expected):
    """A teacher summary cut by max_new_tokens loses its unfinished last sentence; a finished one is kept whole."""
    assert nb.trim_unfinished_sentence(summary) == expected


def test_rouge_scores_bounds(nb):
    """Identical texts score 1 on every ROUGE; texts with no word in common score 0; an empty prediction scores 0."""
    same = nb.rouge_scores(["the court fined the firm"], ["the court fined the firm"])
    assert same == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert nb.rouge_scores(["cats", ""], ["dogs bark", "dogs bark"]) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    with pytest.raises(ValueError):
        nb.rouge_scores(["a"], [])


def test_summary_rows_give_means_intervals_lengths_and_paired_differences(nb):
    """Each row's ROUGE is the mean of rouge_per_article; its interval contains the mean; the difference of a row
    with itself is [0, 0]; a summariser that copies the references beats one that writes unrelated words on every
    resample; mean lengths are in words."""
    references = [f"The council of town {i} approved a budget of {i} million dollars." for i in range(8)]
    good = list(references)
    bad = [f"Dogs bark at night number {i}." for i in range(8)]
    result = nb.summary_rows({"good": {447: good}, "bad": {447: bad}, "good again": {447: good}}, references,
                             n_resamples=300, seed=0)
    for name, texts in (("good", good), ("bad", bad)):
        row = result["systems"][name]
        assert row["rouge"] == pytest.approx(nb.rouge_scores(texts, references))
        for kind, (low, high) in row["rouge_ci"].items():
            assert low - 1e-12 <= row["rouge"][kind] <= high + 1e-12
        assert row["summary_words"] == sum(len(t.split()) for t in texts) / 8
    assert result["systems"]["good"]["rouge"]["rougeL"] == pytest.approx(1.0)
    assert result["differences"]["good - good again"]["rougeL"] == [0.0, 0.0]
    assert result["differences"]["good - bad"]["rougeL"][0] > 0.5
    assert result["reference_words"] == 12 and result["n_articles"] == 8
    assert result["bootstrap"] == {"resamples": 300, "confidence": 0.95, "method": nb.SEED_ARTICLE_METHOD}
    assert result["differences_combined"] == result["differences"] and result["seeds"] == [447]   # one seed


def test_seed_article_bootstrap_with_one_seed_is_the_article_bootstrap(nb):
    """With one seed the pooled samples are exactly the article bootstrap's (same draws, same order)."""
    scores = np.random.default_rng(3).random((3, 1, 12))
    pooled = nb.seed_article_bootstrap(scores, n_resamples=50, seed=7)
    plain = nb.bootstrap(lambda draw: scores[:, 0, draw].mean(axis=-1), 12, n_resamples=50, seed=7)
    assert pooled.shape == (50, 3) and np.array_equal(pooled, plain)


def test_seed_article_bootstrap_pools_the_seeds_with_paired_draws(nb):
    """Known answers. Without article noise (every article scores its seed's value) the pooled samples are the seed
    means, n_resamples of each, so the 95% interval runs from the lowest seed mean to the highest; with article
    noise, each seed's block holds that seed's draws and a difference is paired: two systems that differ by exactly
    0.1 on every article of every seed differ by exactly 0.1 on every sample."""
    flat = np.array([[[0.2] * 5, [0.4] * 5, [0.3] * 5]])                    # 1 system, 3 seeds, 5 articles
    samples = nb.seed_article_bootstrap(flat, n_resamples=40, seed=0)
    assert samples.shape == (120, 1)
    assert np.allclose(samples[:40], 0.2) and np.allclose(samples[40:80], 0.4) and np.allclose(samples[80:], 0.3)
    assert nb.percentile_interval(samples[:, 0]) == pytest.approx([0.2, 0.4])
    base = np.random.default_rng(0).random((1, 2, 30))
    samples = nb.seed_article_bootstrap(np.concatenate([base + 0.1, base]), n_resamples=100, seed=1)
    assert np.allclose(samples[:, 0] - samples[:, 1], 0.1)
    with pytest.raises(ValueError, match="shape"):
        nb.seed_article_bootstrap(np.zeros((2, 10)))


def test_summary_rows_combine_the_seeds_and_call_a_difference_only_beyond_both(nb):
    """Seeds that disagree: "a" copies the references with seed 1 and writes unrelated words with seed 2, "b" writes
    unrelated words with both. The difference over articles of the mean over seeds excludes 0 (every article gains
    the same), but the combined interval runs down to 0 (seed 2's run shows no gain), so it is not beyond the
    noise. The teacher's single run counts for every seed; seeds that do not match are refused."""
    references = [f"The council of town {i} approved a budget of {i} million dollars." for i in range(8)]
    bad = [f"Dogs bark at night number {i}." for i in range(8)]
    result = nb.summary_rows({"a": {1: list(references), 2: bad}, "b": {1: bad, 2: bad},
                              "teacher": {1: list(references)}}, references, n_resamples=200, seed=0)
    low, high = result["differences"]["a - b"]["rougeL"]
    assert low > 0.4 and high < 0.5                           # articles alone: a clear gain of 0.44
    low, high = result["differences_combined"]["a - b"]["rougeL"]
    assert low <= 1e-12 and high > 0.8                        # seed 2 gains nothing, seed 1 gains 0.89
    assert result["systems"]["a"]["rouge_seeds"]["rougeL"] == pytest.approx([1.0, 1 / 9])
    assert result["systems"]["a"]["runs"] == 2 and result["systems"]["teacher"]["runs"] == 1
    assert result["systems"]["teacher"]["rouge_ci_combined"]["rougeL"] == pytest.approx([1.0, 1.0])
    assert result["systems"]["teacher"]["rouge_seeds"]["rougeL"] == pytest.approx([1.0])      # its one run
    assert result["seeds"] == [1, 2]
    with pytest.raises(ValueError, match="seeds"):
        nb.summary_rows({"a": {1: bad, 2: bad}, "b": {1: bad, 3: bad}}, references)


@pytest.mark.parametrize("seeds, n, expected", [(None, 1, [447]), (None, 3, [447, 448, 449]), ([5, 9], 1, [5, 9]),
                                                ((12,), 4, [12])])
def test_training_seeds(nb, seeds, n, expected):
    assert nb.training_seeds(seeds, n, 447) == expected


@pytest.mark.parametrize("seeds, n", [([], 1), ([1, 1], 1), ([1.5], 1), (None, 0), (None, True), ("447", 1)])
def test_training_seeds_refuses_bad_values(nb, seeds, n):
    with pytest.raises(ValueError):
        nb.training_seeds(seeds, n, 447)


def test_generation_cost_times_exactly_the_new_tokens_and_leaves_the_model_alone(nb, tiny_dir):
    """generation_cost counts exactly new_tokens per prompt (min = max new tokens, so EOS does not stop it early),
    reports a positive time, and does not change the model's dtype."""
    model = nb.load_causal_lm(str(tiny_dir / "lm"), device="cpu", dtype=torch.float32)
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    prompts = tokenizer(["A short one.", "A somewhat longer prompt than the first."])["input_ids"]
    cost = nb.generation_cost(model, prompts, batch_size=2, new_tokens=5, pad_token_id=tokenizer.pad_token_id,
                              dtype=torch.bfloat16)
    assert cost["articles"] == 2 and cost["new_tokens"] == 2 * 5 and cost["seconds"] > 0
    assert next(model.parameters()).dtype == torch.float32
