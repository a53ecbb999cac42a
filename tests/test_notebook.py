"""End to end: the whole notebook, top to bottom, with the tiny profile (the `tiny_run` fixture of conftest.py);
and the committed notebook's hygiene."""
import json

from notebook import NOTEBOOK


def test_committed_notebook_has_no_outputs_and_one_parameters_cell():
    nb = json.loads(NOTEBOOK.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1 and 'PROFILE = "colab"' in "".join(tagged[0]["source"])


def test_only_the_parameters_and_profiles_cells_name_a_profile():
    nb = json.loads(NOTEBOOK.read_text())
    for cell in nb["cells"]:
        tags = cell["metadata"].get("tags", [])
        if cell["cell_type"] == "code" and "parameters" not in tags and "profiles" not in tags:
            source = "".join(cell["source"])
            assert '"offline"' not in source and '"tiny"' not in source and '"colab"' not in source, source[:200]


def test_tiny_run_writes_the_decoding_results(tiny_run):
    report = json.loads((tiny_run / "decoding.json").read_text())
    text = json.dumps(report)
    for method in ("greedy", "sample", "temperature", "topk", "topp"):
        assert method in text
    generations = [json.loads(line) for line in (tiny_run / "generations.jsonl").read_text().splitlines()]
    assert len(generations) == 5 * 3 * 2                      # methods x n_prompts x n_per_prompt (tiny)


def test_tiny_run_writes_the_sweeps_and_the_plot(tiny_run):
    assert json.loads((tiny_run / "sweeps.json").read_text())
    assert (tiny_run / "tradeoff.png").stat().st_size > 1000


def test_tiny_run_writes_the_distillation_results(tiny_run):
    report = json.loads((tiny_run / "distillation.json").read_text())
    assert set(report["systems"]) == {"student_init", "student_distilled", "student_gold", "teacher"}  # tiny: no drop
    assert {"teacher", "student", "batch_size", "dtype"} <= set(report["costs"]) and report["controls"] is True
    for row in report["systems"].values():
        assert set(row["rouge"]) == set(row["rouge_ci"]) == {"rouge1", "rouge2", "rougeL"}
        assert row["summary_words"] >= 0
    assert report["teacher_summaries_empty"] == 0 and set(report["topics"]) == {"train", "heldout"}


def _make_sweeps_parameters():
    """The -p NAME VALUE pairs of the Makefile's `sweeps` recipe, PROFILE and RESULTS_DIR aside (the test chooses
    where results go), and the files the recipe copies into results/offline/."""
    import pathlib
    import re
    makefile = (pathlib.Path(__file__).resolve().parents[1] / "Makefile").read_text()
    recipe = re.search(r"^sweeps:.*?\n((?:\t.*\n)+)", makefile, re.M).group(1).replace("\\\n", " ")
    parameters = [(name, value) for name, value in re.findall(r"-p ([A-Z_]+) (\S+)", recipe)
                  if name not in ("PROFILE", "RESULTS_DIR")]
    copied = re.search(r"\bcp ((?:\S+ )+)results/offline/", recipe).group(1).split()
    return parameters, {pathlib.Path(path).name for path in copied}


def test_make_sweeps_runs_part_11_and_the_sweeps_without_part_12(local_hub, tmp_path):
    """The notebook run with `make sweeps`'s parameters (Part 1.2 off, sweeps on) writes the Part 1.1 results, the
    sweeps and the plot, and neither distillation.json nor a teacher cache: what `make sweeps` promises."""
    from conftest import run_tiny_notebook
    parameters, copied = _make_sweeps_parameters()
    assert dict(parameters) == {"RUN_DISTILLATION": "False", "RUN_SWEEPS": "True", "RUN_CONTROLS": "False"}
    assert copied == {"sweeps.json", "tradeoff.png"}          # decoding.json stays make run's
    results = run_tiny_notebook(NOTEBOOK, tmp_path, local_hub, parameters=parameters)
    assert {"decoding.json", "generations.jsonl", "sweeps.json", "tradeoff.png"} <= {p.name for p in results.iterdir()}
    assert not (results / "distillation.json").exists()
    assert not (tmp_path / "teacher_cache.jsonl").exists()
    sweeps = json.loads((results / "sweeps.json").read_text())
    assert sweeps["profile"] == "tiny" and sweeps["metrics"]
