"""The copy a student hands in to Gradescope (`make submission`, scripts/make_submission.py): the notebook without
its cells tagged `extra`, made by nbconvert's TagRemovePreprocessor.

What they prove: the copy has no `extra` cell and every other cell unchanged and in order; it still defines every
function the assignment names; and it runs end to end on the tiny profile (the `tiny_submission_run` fixture of
conftest.py), writing the assignment's result files (decoding.json, generations.jsonl, distillation.json without
the controls) and none of the extras' (sweeps.json, tradeoff.png)."""
import json

from notebook import NOTEBOOK, load_definitions, load_script
from test_layout import ASSIGNMENT_FUNCTIONS, GIVEN_FUNCTIONS


def _script():
    return load_script("make_submission")


def test_the_submission_is_the_notebook_without_its_extra_cells(tmp_path):
    out = tmp_path / "submission" / "CSE447_Assignment6.ipynb"
    removed = _script().make_submission(NOTEBOOK, out)
    original = json.loads(NOTEBOOK.read_text())["cells"]
    kept = [c for c in original if "extra" not in c["metadata"].get("tags", [])]
    copy = json.loads(out.read_text())["cells"]
    assert removed == len(original) - len(kept) > 0
    assert [(c["id"], c["source"], c["metadata"]) for c in copy] == [(c["id"], c["source"], c["metadata"]) for c in kept]
    assert all(not c.get("outputs") for c in copy if c["cell_type"] == "code")


def test_the_submission_defines_every_function_the_assignment_names(tmp_path):
    out = tmp_path / "CSE447_Assignment6.ipynb"
    _script().make_submission(NOTEBOOK, out)
    namespace = load_definitions(out)
    for name in ASSIGNMENT_FUNCTIONS + GIVEN_FUNCTIONS:
        assert callable(getattr(namespace, name, None)), name
    for extra in ("evaluate_parity", "run_sweeps", "plot_tradeoff", "generation_cost"):
        assert not hasattr(namespace, extra), extra


def test_the_submission_runs_end_to_end_without_the_extras(tiny_submission_run):
    names = {p.name for p in tiny_submission_run.iterdir()}
    assert {"decoding.json", "generations.jsonl", "distillation.json"} <= names
    assert not names & {"sweeps.json", "tradeoff.png"}
    report = json.loads((tiny_submission_run / "distillation.json").read_text())
    assert report["controls"] is False and report["costs"] == {}
    assert set(report["systems"]) == {"student_init", "student_distilled", "teacher"}
