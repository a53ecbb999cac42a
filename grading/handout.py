"""Write the student's notebook from the reference: the cells tagged extra ("Beyond the assignment") removed, and
each graded function's body replaced by `# YOUR CODE HERE` and `raise NotImplementedError`, its decorators,
signature and docstring kept. Everything else (loaders, decoding loop, evaluation cells, machinery, cell metadata)
stays as it is.

    python -m grading.handout [NOTEBOOK] [OUT]       (make handout)
    defaults: CSE447_Assignment6.ipynb -> dist/student/CSE447_Assignment6.ipynb

Both steps are nbconvert preprocessors run by its NotebookExporter: its own TagRemovePreprocessor, and
StubGradedFunctions below, which finds each graded function's cell by the function's name.
"""
import pathlib
import sys

import nbformat
from nbconvert.exporters import NotebookExporter
from nbconvert.preprocessors import ClearOutputPreprocessor, Preprocessor, TagRemovePreprocessor

from grading.notebook import EXTRA_TAG, POINTS, defined_names, stub_function

ROOT = pathlib.Path(__file__).resolve().parents[1]


class StubGradedFunctions(Preprocessor):
    """Replace the body of every graded function (POINTS) with the stub; fail if one is defined nowhere."""

    def preprocess(self, nb, resources):
        missing = set(POINTS)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            names = (defined_names(cell.source) or set()) & set(POINTS)
            for name in sorted(names):
                cell.source = stub_function(cell.source, name)
            missing -= names
        if missing:
            raise ValueError(f"graded functions defined in no cell: {sorted(missing)}")
        return nb, resources


def make_handout(notebook=ROOT / "CSE447_Assignment6.ipynb",
                 out=ROOT / "dist" / "student" / "CSE447_Assignment6.ipynb"):
    """Write the handout to `out`; return it as a notebook node."""
    exporter = NotebookExporter()
    for preprocessor in (TagRemovePreprocessor(remove_cell_tags={EXTRA_TAG}), ClearOutputPreprocessor(),
                         StubGradedFunctions()):
        preprocessor.enabled = True
        exporter.register_preprocessor(preprocessor, enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.read(str(notebook), as_version=4))
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body)
    return nbformat.reads(body, as_version=4)


if __name__ == "__main__":
    args = sys.argv[1:]
    target = pathlib.Path(args[1]) if len(args) > 1 else ROOT / "dist" / "student" / "CSE447_Assignment6.ipynb"
    handout = make_handout(pathlib.Path(args[0]) if args else ROOT / "CSE447_Assignment6.ipynb", target)
    print(f"wrote {target}: {len(handout.cells)} cells, {len(POINTS)} graded functions stubbed")
