"""Load the notebook's definitions (its cells tagged "defs") without running its experiments."""
import json
import os
import pathlib
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOK = pathlib.Path(os.environ.get("A6_NOTEBOOK", ROOT / "CSE447_Assignment6.ipynb"))  # override: mutation checks


def code_cells(tag, path=NOTEBOOK):
    """Sources of the code cells carrying `tag`, in notebook order."""
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"]
            if c["cell_type"] == "code" and tag in c.get("metadata", {}).get("tags", [])]


def profiles_table(path=NOTEBOOK):
    """The PROFILES dict of the cell tagged "profiles", evaluated on its own (the rest of that cell is not run)."""
    import ast
    tree = ast.parse(code_cells("profiles", path)[0])
    table = next(node for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "PROFILES")
    return eval(compile(ast.Expression(table.value), str(path), "eval"), {})


def load_definitions(path=NOTEBOOK):
    """Execute every "defs" cell in one fresh namespace and return it as a module-like object."""
    module = types.ModuleType("assignment6")
    module.__dict__["__name__"] = "assignment6"
    for source in code_cells("defs", path):
        exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def load_script(name):
    """scripts/<name>.py as a module (make_articles, make_offline_models, make_submission, ...)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
