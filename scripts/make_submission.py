"""Write the copy of the notebook that a student hands in to Gradescope: the notebook without the cells tagged
`extra` (the last section, "Beyond the assignment": parity check, sweeps, Part 1.2 controls and cost timing), which
the assignment asks to leave out of the submission "to avoid timeouts".

    python scripts/make_submission.py [NOTEBOOK] [OUT]     (make submission)
    defaults: CSE447_Assignment6.ipynb -> submission/CSE447_Assignment6.ipynb

The cells are removed by nbconvert's own TagRemovePreprocessor; everything else (cell ids, metadata, the
parameters cell with its Colab form fields) is kept as it is, and the copy has no outputs.
"""
import pathlib
import sys

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import TagRemovePreprocessor

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXTRA_TAG = "extra"


def make_submission(notebook=ROOT / "CSE447_Assignment6.ipynb", out=ROOT / "submission" / "CSE447_Assignment6.ipynb"):
    """Write `out`: `notebook` without its cells tagged EXTRA_TAG. Returns the number of cells removed."""
    original = nbformat.read(str(notebook), as_version=4)
    exporter = NotebookExporter()
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={EXTRA_TAG}, enabled=True), enabled=True)
    body, _ = exporter.from_notebook_node(original)
    removed = len(original.cells) - len(nbformat.reads(body, as_version=4).cells)
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body)
    return removed


if __name__ == "__main__":
    args = sys.argv[1:]
    source = pathlib.Path(args[0]) if args else ROOT / "CSE447_Assignment6.ipynb"
    target = pathlib.Path(args[1]) if len(args) > 1 else ROOT / "submission" / "CSE447_Assignment6.ipynb"
    n = make_submission(source, target)
    print(f"wrote {target}: {n} cells tagged {EXTRA_TAG!r} removed")
