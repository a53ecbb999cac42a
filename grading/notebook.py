"""Read a notebook's code by function name: the cells that define the graded functions, the definitions a grader may
run from a submission, and the handout's stubs (each graded function's body replaced).

Nothing here runs a notebook's code; it only parses it (ast).
"""
import ast
import re

# The graded functions and their points: the assignment's rubric (Part 1.1: 4 points per decoding algorithm; Part
# 1.2: the points of each function named in its steps).
POINTS = {"greedy": 4.0, "sample": 4.0, "temperature": 4.0, "topk": 4.0, "topp": 4.0,
          "prepare_articles_for_student_model": 1.0, "summarize_with_student_model": 1.5,
          "prepare_articles_teacher": 1.0, "summarize_with_teacher_model": 1.5,
          "prepare_data_for_distillation": 2.5}
SAMPLERS = ("greedy", "sample", "temperature", "topk", "topp")
EXTRA_TAG = "extra"       # "Beyond the assignment": left out of the handout and never run by the grader
DEFS_TAG = "defs"         # definition cells (machinery and graded functions)
STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
_MAGIC = re.compile(r"^(\s*)([!%])", re.MULTILINE)


def tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def source(cell):
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def code_cells(nb):
    """(index, source, tags) of every code cell not tagged extra, in notebook order."""
    return [(i, source(c), tags(c)) for i, c in enumerate(nb["cells"])
            if c.get("cell_type") == "code" and EXTRA_TAG not in tags(c)]


def without_magics(text):
    """IPython's shell (!) and magic (%) lines commented out, so the cell parses as Python."""
    return _MAGIC.sub(r"\1# \2", text)


def defined_names(text):
    """Names of the functions a cell defines at its top level; None if the cell does not parse."""
    try:
        tree = ast.parse(without_magics(text))
    except SyntaxError:
        return None
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def graded_cells(nb, names=tuple(POINTS)):
    """{name: (cell index, error or None)} for each graded function whose defining cell is found: by parsing, or for
    a cell with a syntax error by a line `def name(`. A name defined in no cell is missing from the dict."""
    found = {}
    for index, text, _ in code_cells(nb):
        defined = defined_names(text)
        if defined is None:
            try:
                ast.parse(without_magics(text))
            except SyntaxError as error:
                message = f"syntax error in its cell, line {error.lineno}: {error.msg}"
            for name in names:
                if re.search(rf"^\s*def\s+{name}\s*\(", text, re.MULTILINE):
                    found[name] = (index, message)
            continue
        for name in set(names) & defined:
            found[name] = (index, None)        # the last definition wins, as when the notebook runs
    return found


def _kept(node):
    """Statements a cell with a graded function contributes: imports, function and class definitions, and
    assignments without calls (constants); never an expression or a statement that runs code."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return not any(isinstance(sub, (ast.Call, ast.Await, ast.Yield, ast.Lambda)) for sub in ast.walk(node.value))
    return False


def definitions(nb):
    """The code a grader runs from a notebook, as [(label, source)] in notebook order: each machinery cell (tagged
    defs, defining no graded function) whole; from every other code cell only its imports, definitions and
    constant assignments, so a model load or an experiment left in a cell never runs. Cells tagged extra are
    skipped; a cell that does not parse contributes nothing (graded_cells reports it)."""
    pieces = []
    for index, text, cell_tags in code_cells(nb):
        text = without_magics(text)
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
        if DEFS_TAG in cell_tags and not names & set(POINTS):
            pieces.append((f"cell {index}", text))
            continue
        kept = [node for node in tree.body if _kept(node)]
        if kept:
            pieces.append((f"cell {index}", ast.unparse(ast.Module(body=kept, type_ignores=[]))))
    return pieces


def stub_function(text, name):
    """`text` (a cell) with the body of function `name` replaced by STUB, keeping its decorators, signature,
    docstring and everything else in the cell, line for line."""
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name)
    lines = text.split("\n")
    body = node.body
    has_doc = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
               and isinstance(body[0].value.value, str))
    first = body[1] if has_doc and len(body) > 1 else (None if has_doc else body[0])
    indent = " " * (first.col_offset if first is not None else body[0].col_offset)
    keep_to = body[0].end_lineno if has_doc else body[0].lineno - 1      # 1-based: the last line kept
    stub = [indent + line for line in STUB]
    return "\n".join(lines[:keep_to] + stub + lines[node.end_lineno:])
