"""The notebook's layout, as a student reads it and as papermill parses it, and the shared helpers it is built on.

What they prove:
- the parameters cell holds only plain assignments that papermill parses without a warning;
- no code cell is longer than 60 lines except the profiles table; every function the assignment names is alone in
  its definitions cell and is called by the next code cell (its demo);
- no section calls a helper that is first defined in a later section;
- resolve_profile fails fast, naming the key a profile lacks;
- map_in_length_batches hands fn batches of similar length and puts the results back in the original order;
- Colab's conventions for a course notebook: machinery cells are folded (first line `#@title <what>`,
  cell metadata cellView "form"), while no function the assignment names, nor its demo, is folded; before the first
  of them a student sees at most five open code cells, each the parameters or a cell that loads models or data; the
  knobs are `#@param` form fields; the markdown headings read as the assignment's outline; everything beyond the
  assignment sits in the last section, "Beyond the assignment", every cell of it (and no other) tagged `extra`.
"""
import ast
import json
import logging
import re

import pytest

from notebook import NOTEBOOK

ASSIGNMENT_FUNCTIONS = ("greedy", "sample", "temperature", "topk", "topp", "prepare_articles_for_student_model",
                        "summarize_with_student_model", "prepare_articles_teacher", "summarize_with_teacher_model",
                        "prepare_data_for_distillation")      # the ones a student implements, each with a demo
GIVEN_FUNCTIONS = ("generate_synthetic_data_for_distillation", "fine_tune_student_model")   # named, given
OPEN_FUNCTIONS = ("decode",)        # not named by the assignment, but the loop all of 1.1 runs through
EXTRAS_HEADING = "## Beyond the assignment"


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


# --- Colab's conventions for a course notebook ----------------------------------------------------------------------

def _cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


def _folded(cell):
    return cell["metadata"].get("cellView") == "form"


def _index_of_definition(cells, name):
    return next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and name in _defined_functions(_source(c)))


def test_folded_cells_carry_a_title_and_titled_cells_are_folded():
    for cell in _code_cells():
        first = _source(cell).split("\n", 1)[0]
        titled = re.fullmatch(r"#@title \S.*", first) is not None
        assert titled == _folded(cell), (cell["id"], first)


def test_no_function_the_assignment_names_is_folded_nor_its_demo():
    cells = _code_cells()
    for name in ASSIGNMENT_FUNCTIONS + GIVEN_FUNCTIONS + OPEN_FUNCTIONS:
        index = _index_of_definition(cells, name)
        assert not _folded(cells[index]), name
        if name in ASSIGNMENT_FUNCTIONS:
            assert not _folded(cells[index + 1]), f"the demo of {name}"


def test_machinery_is_folded():
    """Set-up, profiles, and every definitions cell that defines no function the assignment names."""
    named = set(ASSIGNMENT_FUNCTIONS + GIVEN_FUNCTIONS + OPEN_FUNCTIONS)
    for cell in _code_cells():
        tags = cell["metadata"].get("tags", [])
        machinery = {"setup", "profiles"} & set(tags) or ("defs" in tags and not named & set(
            _defined_functions(_source(cell))))
        if machinery:
            assert _folded(cell), cell["id"]


def test_before_the_first_assignment_function_only_the_parameters_and_loading_cells_are_open():
    cells = _code_cells()
    first = min(_index_of_definition(cells, name) for name in ASSIGNMENT_FUNCTIONS)
    open_cells = [c for c in cells[:first] if not _folded(c) or "parameters" in c["metadata"].get("tags", [])]
    assert len(open_cells) <= 5, [c["id"] for c in open_cells]
    for cell in open_cells:
        calls = {node.func.id for node in ast.walk(ast.parse(_source(cell)))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        assert "parameters" in cell["metadata"].get("tags", []) or any(c.startswith("load_") for c in calls), cell["id"]


def test_the_knobs_are_colab_form_fields():
    from notebook import profiles_table
    cell = next(c for c in _code_cells() if "parameters" in c["metadata"].get("tags", []))
    lines = [line for line in _source(cell).splitlines() if re.match(r"[A-Z_]+ = ", line)]
    assert lines and all("#@param" in line for line in lines), [l for l in lines if "#@param" not in l]
    profile = next(line for line in lines if line.startswith("PROFILE = "))
    choices = ast.literal_eval(profile.split("#@param", 1)[1].strip())
    assert choices[0] == "colab" and sorted(choices) == sorted(profiles_table())
    for line in lines:
        value = ast.literal_eval(line.split("=", 1)[1].split("#@param")[0].strip())
        if isinstance(value, bool):
            assert '{type:"boolean"}' in line, line
    assert '{type:"integer"}' in next(line for line in lines if line.startswith("SEED = "))


def test_the_headings_read_as_the_assignments_outline():
    headings = [line for c in _cells() if c["cell_type"] == "markdown"
                for line in _source(c).splitlines() if line.startswith("#")]
    outline = ["## 0 Set-up", "## 1.1", "### 1.1.0", "### 1.1.1", "### 1.1.2", "### 1.1.3", "### 1.1.4", "### 1.1.5",
               "## 1.2", "### Step 0", "### Step 1", "### Step 2", "### Step 3", "### Step 4", EXTRAS_HEADING]
    positions = [next(i for i, h in enumerate(headings) if h.startswith(item)) for item in outline]
    assert positions == sorted(positions), list(zip(outline, positions))
    assert [h for h in headings if h.startswith("## ")][-1] == EXTRAS_HEADING


def test_the_extras_are_the_last_section_and_every_cell_of_it_is_tagged_extra():
    cells = _cells()
    start = next(i for i, c in enumerate(cells) if _source(c).startswith(EXTRAS_HEADING))
    for i, cell in enumerate(cells):
        tagged = "extra" in cell["metadata"].get("tags", [])
        assert tagged == (i >= start), (cell["id"], tagged)
    extras = "\n".join(_source(c) for c in cells[start:])
    for marker in ("def evaluate_parity", "def run_sweeps", "def plot_tradeoff", "def generation_cost",
                   "if RUN_DISTILLATION and RUN_CONTROLS:"):
        assert marker in extras, marker
    before = "\n".join(_source(c) for c in cells[:start])
    for knob in ("EVALUATE_PARITY", "RUN_SWEEPS", "RUN_CONTROLS"):
        used = [c["id"] for c in cells[:start] if c["cell_type"] == "code" and "parameters" not in c["metadata"].get(
            "tags", []) and knob in {n.id for n in ast.walk(ast.parse(_source(c))) if isinstance(n, ast.Name)}]
        assert not used, (knob, used)
    assert "generation_cost(" not in before


def test_open_code_cells_fit_a_100_column_pane():
    """Colab's code pane shows about 100 columns: no line of an open code cell is wider."""
    for cell in _code_cells():
        if not _folded(cell):
            wide = [line for line in _source(cell).splitlines() if len(line) > 100]
            assert not wide, (cell["id"], wide[:3])
