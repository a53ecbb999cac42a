"""The benchmarks call the notebook's functions as the notebook defines them: every `nb.<function>(...)` call in
bench/*.py names a function the notebook defines, passes no more positional arguments than it takes, and only
keywords it accepts. (A benchmark is not run by the suite; this catches a signature change that would break it.)"""
import ast
import inspect
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BENCHES = sorted((ROOT / "bench").glob("*.py"))


def notebook_calls(path):
    """(line, function name, number of positional arguments, keywords) of each nb.<name>(...) call in a file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "nb":
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                continue                                   # *args / **kwargs: not checkable here
            yield node.lineno, node.func.attr, len(node.args), [k.arg for k in node.keywords]


@pytest.mark.parametrize("path", BENCHES, ids=lambda p: p.name)
def test_bench_calls_match_the_notebooks_signatures(nb, path):
    for line, name, n_positional, keywords in notebook_calls(path):
        function = getattr(nb, name, None)
        assert function is not None, f"{path.name}:{line}: the notebook defines no {name}"
        if not callable(function):
            continue
        try:
            inspect.signature(function).bind_partial(*range(n_positional), **dict.fromkeys(keywords))
        except TypeError as error:
            raise AssertionError(f"{path.name}:{line}: nb.{name}(...) does not fit its signature: {error}")


def test_the_check_sees_a_wrong_keyword(nb, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("nb.summarize_with_teacher_model(a, m, t, 4, 2, sort_by_length=True)\n")
    with pytest.raises(AssertionError, match="does not fit"):
        test_bench_calls_match_the_notebooks_signatures(nb, bad)
