"""The course staff's side: the handout (make handout), the Gradescope autograder (make autograder) and the grader
(make grade), on the reference notebook, the handout, students' usual bugs and submissions that misbehave.

Each notebook is graded once (module-scoped fixtures), through the same worker process a real submission gets."""
import csv
import json
import pathlib
import sys
import zipfile

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grading import grader, tiny                                   # noqa: E402
from grading.autograder import make_autograder                     # noqa: E402
from grading.handout import make_handout                           # noqa: E402
from grading.notebook import POINTS, STUB, defined_names, graded_cells   # noqa: E402

NOTEBOOK = ROOT / "CSE447_Assignment6.ipynb"
TOTAL = sum(POINTS.values())


def with_functions(path, replacements, drop=()):
    """Write a copy of the reference notebook to `path` in which the cell defining each function named in
    `replacements` holds that code instead (its tags kept), and the cells defining the functions in `drop` are
    removed."""
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    cells = graded_cells(nb, names=tuple(POINTS) + ("textbook_probs",))
    for name, code in replacements.items():
        nb.cells[cells[name][0]].source = code
    nb.cells = [c for i, c in enumerate(nb.cells) if i not in {cells[name][0] for name in drop}]
    nbformat.write(nb, str(path))
    return path


# Students' usual bugs, one per graded function.
BUGS = {
    "greedy": "def greedy(next_token_logits):\n    return torch.argmax(next_token_logits)   # no dim: one id\n",
    "sample": "def sample(next_token_logits):\n"
              "    probs = torch.softmax(next_token_logits, dim=0)                # over the batch\n"
              "    return torch.multinomial(probs, 1).squeeze(-1)\n",
    "temperature": "def temperature(next_token_logits, t):\n"
                   "    probs = torch.softmax(next_token_logits, dim=-1) / t          # t after the softmax\n"
                   "    return torch.multinomial(probs, 1).squeeze(-1)\n",
    "topk": "def topk(next_token_logits, k):\n"
            "    values, ids = torch.topk(next_token_logits, min(k + 1, next_token_logits.shape[-1]))\n"
            "    return ids.gather(-1, torch.multinomial(torch.softmax(values, -1), 1)).squeeze(-1)\n",
    "topp": "def topp(next_token_logits, p):\n"
            "    probs = torch.softmax(next_token_logits, dim=-1)\n"
            "    sorted_probs, order = torch.sort(probs, descending=True)\n"
            "    keep = sorted_probs.cumsum(-1) <= p                            # drops the token crossing p\n"
            "    keep[:, 0] = True\n"
            "    pick = torch.multinomial(sorted_probs * keep, 1)\n"
            "    return order.gather(-1, pick).squeeze(-1)\n",
    "prepare_articles_for_student_model":
        "def prepare_articles_for_student_model(articles, tokenizer, *args, **kwargs):\n"
        "    texts = [a + ' TL;DR:' for a in articles]                          # no newline\n"
        "    return tokenizer(texts, return_tensors='pt', padding=True)\n",
    "summarize_with_student_model":
        "def summarize_with_student_model(articles, model, tokenizer, max_new_tokens=20):\n"
        "    batch = prepare_articles_for_student_model(articles, tokenizer)\n"
        "    out = model.generate(**batch, max_new_tokens=max_new_tokens)     # greedy, not top-p\n"
        "    new = out[:, batch['input_ids'].shape[1]:]\n"
        "    return [t.strip() for t in tokenizer.batch_decode(new, skip_special_tokens=True)]\n",
    "prepare_articles_teacher":
        "def prepare_articles_teacher(articles, tokenizer):\n"
        "    return [tokenizer.apply_chat_template(                            # no system prompt\n"
        "        [{'role': 'user', 'content': 'Summarize the following article.\\n\\n' + a\n"
        "          + \"\\n\\nStart your summary with 'TL;DR:'\"}], tokenize=False, add_generation_prompt=True)\n"
        "        for a in articles]\n",
    "summarize_with_teacher_model":
        "def summarize_with_teacher_model(articles, model, tokenizer, max_new_tokens=20):\n"
        "    batch = tokenizer(prepare_articles_teacher(articles, tokenizer), return_tensors='pt', padding=True,\n"
        "                      add_special_tokens=False)\n"
        "    out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False)\n"
        "    new = out[:, batch['input_ids'].shape[1]:]\n"
        "    return [t.strip() for t in tokenizer.batch_decode(new, skip_special_tokens=True)]   # marker kept\n",
    "prepare_data_for_distillation":
        "def prepare_data_for_distillation(articles, summaries, tokenizer, max_length=1024):\n"
        "    out = []\n"
        "    for a, s in zip(articles, summaries):\n"
        "        ids = tokenizer(a + '\\nTL;DR: ' + s)['input_ids'] + [tokenizer.eos_token_id]\n"
        "        out.append({'input_ids': ids, 'attention_mask': [1] * len(ids), 'labels': list(ids)})\n"
        "    return out                                                         # labels not masked\n",
}
HALVES = (("greedy", "temperature", "topp", "summarize_with_student_model", "summarize_with_teacher_model"),
          ("sample", "topk", "prepare_articles_for_student_model", "prepare_articles_teacher",
           "prepare_data_for_distillation"))
# The submission's own copies of the grader's oracle, edited to agree with its bugs: never used by the grader.
FORGED_ORACLE = ("def textbook_probs(logits, t=1.0, k=None, p=None):\n    return torch.softmax(logits.double(), -1)\n"
                 "\n\ndef check_sampler(*args, **kwargs):\n    return True\n")

FORGED = "FORGED, NOT THE GRADER'S"


def misbehaving(results_path):
    """One function per kind of bad submission."""
    teacher = ("def prepare_articles_teacher(articles, tokenizer):\n"
               f"    for path in ({str(results_path)!r}, 'results.json'):\n"
               f"        open(path, 'w').write({FORGED!r})                      # writes the grader's files\n"
               "    return [tokenizer.apply_chat_template(\n"
               "        [{'role': 'system', 'content': 'You are a helpful assistant and an expert at summarizing "
               "articles.'},\n"
               "         {'role': 'user', 'content': 'Summarize the following article.\\n\\n' + a\n"
               "          + \"\\n\\nStart your summary with 'TL;DR:'\"}], tokenize=False, add_generation_prompt=True)\n"
               "        for a in articles]\n")
    return {
        "greedy": "def greedy(next_token_logits):\n    return next_token_logits.argmax(-1\n",       # syntax error
        "sample": "def sample(next_token_logits):\n    torch.manual_seed(0)                       # reseeds\n"
                  "    return torch.multinomial(torch.softmax(next_token_logits, -1), 1).squeeze(-1)\n",
        "temperature": "def temperature(next_token_logits, t):\n    raise ValueError('t must be positive')\n",
        "topk": "def topk(next_token_logits, k):\n    while True:\n        pass\n",                        # hangs
        "topp": "def topp(next_token_logits, p):\n    while True:\n        print('x' * 1000)\n",
        "prepare_articles_for_student_model":
            "def prepare_articles_for_student_model(articles, tokenizer):\n"
            "    return torch.ones(2**40)                                           # 4 TiB\n",
        "summarize_with_student_model": "def summarize_with_student_model(articles, model, tokenizer):\n"
                                        "    return 42\n",
        "prepare_articles_teacher": teacher,
        "prepare_data_for_distillation": "import os\n\ndef prepare_data_for_distillation(articles, summaries, "
                                         "tokenizer):\n    os._exit(3)\n",
    }


@pytest.fixture(scope="module")
def tokenizers(tmp_path_factory):
    return tiny.write_tokenizers(tmp_path_factory.mktemp("grading-tokenizers"))


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    return make_handout(NOTEBOOK, tmp_path_factory.mktemp("student") / "CSE447_Assignment6.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory, tokenizers, handout):
    """The reference, the handout and the two notebooks of students' bugs, graded as a folder (make grade)."""
    folder = tmp_path_factory.mktemp("submissions")
    nbformat.write(nbformat.read(str(NOTEBOOK), as_version=4), str(folder / "reference.ipynb"))
    nbformat.write(handout, str(folder / "handout.ipynb"))
    for i, half in enumerate(HALVES):
        replacements = {name: BUGS[name] for name in half}
        if i == 0:
            replacements["textbook_probs"] = FORGED_ORACLE
        with_functions(folder / f"bugs{i}.ipynb", replacements)
    rows = grader.grade_folder(folder, tokenizers)
    results = {p.name.split(".")[0]: json.loads(p.read_text()) for p in folder.glob("*.results.json")}
    return folder, rows, results


@pytest.fixture(scope="module")
def bad(tmp_path_factory, tokenizers, monkeypatch_module):
    folder = tmp_path_factory.mktemp("bad")
    results = folder / "bad.results.json"
    monkeypatch_module.setattr(grader, "CALL_SECONDS", 10)
    path = with_functions(folder / "bad.ipynb", misbehaving(results), drop=("summarize_with_teacher_model",))
    grader.grade_file(path, results, tokenizers)
    return json.loads(results.read_text()), folder


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def by_name(result):
    return {t["name"]: t for t in result["tests"]}


def test_reference_scores_full_marks(graded):
    result = graded[2]["reference"]
    assert result["score"] == TOTAL == 27.5
    for name, test in by_name(result).items():
        assert test["score"] == test["max_score"] == POINTS[name], test["output"]


def test_handout_scores_zero_with_one_message_per_function(graded):
    result = graded[2]["handout"]
    assert result["score"] == 0
    for name, test in by_name(result).items():
        assert test["score"] == 0
        assert test["output"].count("\n") == 0 and "NotImplementedError" in test["output"], test["output"]


def test_grades_csv_has_one_row_per_notebook_and_a_column_per_function(graded):
    folder, rows, results = graded
    with open(folder / "grades.csv") as f:
        table = list(csv.DictReader(f))
    assert [r["submission"] for r in table] == sorted(p.name for p in folder.glob("*.ipynb"))
    assert list(table[0]) == ["submission", "total", *POINTS]
    for r in table:
        result = results[r["submission"].split(".")[0]]
        assert float(r["total"]) == result["score"] == sum(float(r[name]) for name in POINTS)


@pytest.mark.parametrize("half", [0, 1])
def test_each_usual_bug_loses_points_there_and_nowhere_else(graded, half):
    tests = by_name(graded[2][f"bugs{half}"])
    for name in POINTS:
        if name in HALVES[half]:
            assert tests[name]["score"] < POINTS[name], (name, tests[name]["output"])
            assert "[0/" in tests[name]["output"]                 # the feedback names the failed check
        else:
            assert tests[name]["score"] == POINTS[name], (name, tests[name]["output"])


def test_partly_right_answers_earn_part(graded):
    tests = {name: by_name(graded[2][f"bugs{half}"])[name] for half in (0, 1) for name in HALVES[half]}
    # temperature after the softmax is vanilla sampling: it keeps the contract's point, not t = 0.8's nor t = 0.05's
    assert 1 <= tests["temperature"]["score"] <= 4 - 1.5 - 0.75
    assert tests["prepare_data_for_distillation"]["score"] == pytest.approx(2.5 - 0.75)   # only the masking lost
    assert tests["prepare_articles_teacher"]["score"] == pytest.approx(0.75)              # only the system prompt
    assert "You are Qwen" in tests["prepare_articles_teacher"]["output"]                  # what came back


def test_bad_submissions_get_results(bad):
    result, folder = bad
    tests = by_name(result)
    assert set(tests) == set(POINTS)
    expected = {"greedy": "syntax error", "temperature": "ValueError: t must be positive",
                "topk": "ran past its 10 s limit", "topp": "OSError",
                "prepare_articles_for_student_model": "Error", "summarize_with_student_model": "got 42",
                "summarize_with_teacher_model": "no cell defines it",
                "prepare_data_for_distillation": "ended its process"}
    for name, text in expected.items():
        assert tests[name]["score"] == 0 and text in tests[name]["output"], (name, tests[name]["output"])
    assert tests["sample"]["score"] == pytest.approx(3.75)          # right draws, but the same on every call
    assert "[0/0.25] rows drawn independently" in tests["sample"]["output"]
    assert tests["prepare_articles_teacher"]["score"] == 1.0         # right prompts; its writes change nothing
    assert FORGED not in (folder / "bad.results.json").read_text()
    assert result["score"] == pytest.approx(4.75)


def test_handout_stubs_graded_bodies_keeps_everything_else(handout):
    reference = nbformat.read(str(NOTEBOOK), as_version=4)
    kept = [c for c in reference.cells if "extra" not in c.metadata.get("tags", [])]
    assert len(handout.cells) == len(kept) < len(reference.cells)
    for old, new in zip(kept, handout.cells):
        names = (defined_names(old.source) or set()) & set(POINTS) if old.cell_type == "code" else set()
        assert new.metadata == old.metadata
        if not names:
            assert new.source == old.source
            continue
        assert "\n".join(STUB) in new.source.replace("    ", "")
        for name in names:
            signature = old.source[old.source.index(f"def {name}("):].split('"""')[:2]
            assert '"""'.join(signature) in new.source                 # signature and docstring kept
    assert not any(c.source.startswith("## Beyond the assignment") for c in handout.cells)


def test_autograder_zip_has_gradescope_layout(tmp_path):
    out = tmp_path / "autograder.zip"
    names = make_autograder(out)
    with zipfile.ZipFile(out) as zf:
        assert set(zf.namelist()) == set(names)
        assert {"setup.sh", "run_autograder", "requirements.txt", "grading/grader.py",
                "grading/worker.py"} <= set(names)
        assert zf.getinfo("run_autograder").external_attr >> 16 & 0o111
        assert "/autograder/results/results.json" in zf.read("run_autograder").decode()


def test_tv_bound_gives_the_stated_false_fail_probability():
    """2^k exp(-2 n delta^2) summed over the M comparisons of a submission is ALPHA = 1e-6."""
    import math
    for k in (1, 8, 50):
        delta = grader.tv_bound(k)
        assert 2 ** k * math.exp(-2 * grader.DRAWS * delta ** 2) * grader.COMPARISONS == pytest.approx(1e-6)


def test_exact_distributions_admit_every_tie_rule():
    """Row C ties six tokens across top-k's cut at k = 20 and row D three across top-p's at p = 0.7: by token id,
    all tied kept, and any choice (the tied tokens merged) are admissible; elsewhere only the one distribution."""
    rows = grader.check_rows()
    assert [label for label, _, _ in grader.exact(rows["C"], "topk", 20)] == [
        "by token id", "any choice among the tied tokens", "all tied tokens kept"]
    assert len(grader.exact(rows["D"], "topp", 0.7)) == 3
    assert len(grader.exact(rows["A"], "topk", 20)) == len(grader.exact(rows["A"], "topp", 0.7)) == 1
    everything = grader.exact(rows["C"], "topk", 20)[2][1]
    assert int((everything > 0).sum()) == 23


def test_draws_outside_the_vocabulary_count_against_a_sampler():
    """Counts proportional to row A's exact distribution pass compare(); the same counts with 3% more draws outside
    [0, V) (-1 and V) fail: the outside mass is missing from the in-range frequencies and counts once more as drawn
    where the exact distribution has nothing, so TV = (0.03 + 0.03) / 2 = 0.03 against the bound 0.023 (counted only
    the first way it would be 0.015, a pass)."""
    import numpy as np
    row = grader.check_rows()["A"]
    _, probs, _ = grader.exact(row, "sample", None)[0]
    counts = np.round(probs.numpy() * grader.DRAWS * 0.97).astype(int)
    inside = np.repeat(np.arange(grader.V), counts)
    assert grader.compare(inside, row, "sample", None)[0]
    outside = grader.DRAWS - len(inside)
    tokens = np.concatenate([inside, np.full(outside // 2, -1), np.full(outside - outside // 2, grader.V)])
    assert not grader.compare(tokens, row, "sample", None)[0]
