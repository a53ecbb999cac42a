"""The notebook's layout, as a student reads it and as papermill parses it, and the shared helpers it is built on.

What they prove:
- the parameters cell holds only plain assignments that papermill parses without a warning;
- no code cell is longer than 60 lines except the profiles table; every function the assignment names is alone in
  its definitions cell and is called by the next code cell (its demo);
- no section calls a helper that is first defined in a later section;
- resolve_profile fails fast, naming the key a profile lacks;
- map_in_length_batches hands fn batches of similar length and puts the results back in the original order.
"""
import ast
import json
import logging
import re

import pytest

from notebook import NOTEBOOK

ASSIGNMENT_FUNCTIONS = ("greedy", "sample", "temperature", "topk", "topp", "prepare_articles_for_student_model",
                        "summarize_with_student_model", "prepare_articles_teacher", "summarize_with_teacher_model",
                        "prepare_data_for_distillation")


def _code_cells():
    nb = json.loads(NOTEBOOK.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _source(cell):
    return "".join(cell["source"])


def _defined_functions(source):
    return [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)]


def test_parameters_cell_is_plain_values_that_papermill_parses(caplog):
    from papermill import inspect_notebook
    cell = next(c for c in _code_cells() if "parameters" in c["metadata"].get("tags", []))
    for node in ast.parse(_source(cell)).body:
        assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant), ast.dump(node)[:120]
    with caplog.at_level(logging.WARNING, logger="papermill"):
        params = inspect_notebook(str(NOTEBOOK))
    assert not [r for r in caplog.records if "Unable to parse" in r.getMessage()]
    assert set(params) >= {"PROFILE", "SEED", "RUN_SWEEPS", "RUN_DISTILLATION", "TEACHER_CACHE"}


def test_code_cells_are_short_except_the_profiles_table():
    for cell in _code_cells():
        if "profiles" not in cell["metadata"].get("tags", []):
            assert len(_source(cell).splitlines()) <= 60, cell.get("id")


@pytest.mark.parametrize("name", ASSIGNMENT_FUNCTIONS)
def test_each_assignment_function_is_alone_in_its_cell_and_followed_by_a_demo(name):
    cells = _code_cells()
    index = next(i for i, c in enumerate(cells) if name in _defined_functions(_source(c)))
    assert _defined_functions(_source(cells[index])) == [name]
    demo = _source(cells[index + 1])
    assert "defs" not in cells[index + 1]["metadata"].get("tags", []) and re.search(rf"\b{name}\(", demo), demo[:200]


def test_no_cell_uses_a_function_defined_later():
    """A name called in a cell must not be a function that only a later cell defines."""
    cells = _code_cells()
    defined_at = {}
    for i, cell in enumerate(cells):
        for name in _defined_functions(_source(cell)):
            defined_at.setdefault(name, i)
    for i, cell in enumerate(cells):
        tree = ast.parse(_source(cell))
        local = set(_defined_functions(_source(cell)))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                if name in defined_at and name not in local:
                    assert defined_at[name] < i, f"cell {cell.get('id')} calls {name}, defined later"


def test_resolve_profile_names_a_missing_key(nb):
    profiles = {"a": {"lm": "x", "n": 1}, "b": {"lm": "gpt2", "n": 2}}
    assert nb.resolve_profile(profiles, "b") == {"lm": "gpt2", "n": 2}
    with pytest.raises(ValueError, match="'c'"):
        nb.resolve_profile(profiles, "c")
    with pytest.raises(ValueError, match=r"profile 'b' does not define \['extra'\]"):
        nb.resolve_profile({**profiles, "a": {**profiles["a"], "extra": 0}}, "a")


def test_map_in_length_batches_sorts_batches_and_restores_order(nb):
    lengths = [5, 1, 4, 2, 3, 1]
    seen = []

    def fn(indices):
        seen.append([lengths[i] for i in indices])
        return [f"item{i}" for i in indices]

    assert nb.map_in_length_batches(fn, lengths, 2) == [f"item{i}" for i in range(6)]
    assert seen == [[1, 1], [2, 3], [4, 5]]
    seen.clear()
    nb.map_in_length_batches(fn, lengths, 4, longest_first=True)
    assert seen == [[5, 4, 3, 2], [1, 1]]
    seen.clear()
    nb.map_in_length_batches(fn, lengths, 3, sort=False)
    assert seen == [[5, 1, 4], [2, 3, 1]]
    with pytest.raises(ValueError, match="batch_size"):
        nb.map_in_length_batches(fn, lengths, 0)
