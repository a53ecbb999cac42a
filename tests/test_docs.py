"""The README and docs/ as a reader meets them, and the repository's words.

What they prove:
- README.md is a front door of at most 150 lines, and it gives the two commands that CI and a new user run;
- every relative link in README.md and docs/ points to a file (and, for #anchors, a heading) that exists;
- docs/results.md and docs/benchmarks.md are exactly what scripts/make_results_doc.py writes from the committed
  results, so every figure on them comes from a result file, with the command, commit and machine that made it;
- no tracked file speaks of how the project was made (issue numbers without their repository, work sessions,
  design cards, paths outside the repository): the words a reader cannot follow.
"""
import pathlib
import re
import subprocess

import pytest

from notebook import load_script

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))


def test_readme_is_a_front_door_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 150
    assert "make run" in text and "make test" in text
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), "CI must call the README's test command"


def _anchor(heading):
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_relative_links_resolve(page):
    text = page.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor and file.suffix == ".md":
            headings = [_anchor(h) for h in re.findall(r"^#+ (.+)$", file.read_text(), re.M)]
            assert anchor in headings, f"{page.name} links to {target}: no such heading in {file.name}"


def test_results_page_is_what_its_generator_writes():
    script = load_script("make_results_doc")
    assert (ROOT / "docs" / "results.md").read_text() == script.build("offline", ROOT), \
        "docs/results.md is out of step with results/: run python3 scripts/make_results_doc.py"


def test_benchmarks_page_is_what_its_generator_writes():
    script = load_script("make_results_doc")
    assert (ROOT / "docs" / "benchmarks.md").read_text() == script.build_benchmarks(ROOT), \
        "docs/benchmarks.md is out of step with results/bench/: run python3 scripts/make_results_doc.py"


def test_results_page_names_how_each_table_was_made():
    text = (ROOT / "docs" / "results.md").read_text()
    assert "was not recorded" not in text
    for line in text.splitlines():
        if line.startswith("Made by "):
            assert re.search(r"at commit `[0-9a-f]{7}`", line), line


# Words of how the project was made. A public issue is cited with its repository ("huggingface/evaluate issue 766",
# "QwenLM issues 761, 826"), so only a bare "issue 16" is refused.
PROCESS_WORDS = [
    (r"\b[Ii]ssues? #?\d+", "an issue number without its repository"),
    (r"\b(?:this|that|an earlier|a later|the last|the previous|earlier|later|previous|next) sessions?\b",
     "a work session"),
    (r"\bsession's\b", "a work session"),
    (r"\bdesign card\b", "a design card"),
    (r"\.\./shared|\bGUIDE\.md\b", "a path outside the repository"),
    (r"\b(?:the|this|that) issue's\b", "an issue"),
]
CITED_PROJECT = re.compile(r"([\w.-]+/[\w.-]+|QwenLM|transformers|evaluate|unsloth|colabtools|huggingface_hub|"
                           r"pytorch|datasets|accelerate|olah|FlashInfer|flashinfer)(?:'s)? (?:GitHub )?$")


def _tracked_text_files():
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in names.splitlines():
        path = ROOT / name
        if path.suffix in {".png", ".parquet", ".pdf"} or not path.is_file():
            continue
        try:
            yield name, path.read_text()
        except UnicodeDecodeError:
            continue


def process_words(text):
    """(line number, words, why) of each place in `text` that speaks of how the project was made."""
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for pattern, why in PROCESS_WORDS:
            for match in re.finditer(pattern, line):
                if why.startswith("an issue number") and CITED_PROJECT.search(line[:match.start()]):
                    continue
                found.append((lineno, match.group(0), why))
    return found


def test_the_scan_finds_what_it_looks_for():
    assert process_words("see issue 16 for the budget")
    assert process_words("as this session measured")
    assert process_words("the design card names it")
    assert process_words("default ../shared/colab/pip-freeze.gpu.txt")
    assert not process_words("huggingface/evaluate issue 766 is open; QwenLM issues 761, 826")
    assert not process_words("Runtime → Restart session, then Run all; free Colab sessions are short")


def test_no_tracked_file_speaks_of_how_it_was_made():
    found = [f"{name}:{lineno}: {words!r} ({why})" for name, text in _tracked_text_files()
             if name != "tests/test_docs.py" for lineno, words, why in process_words(text)]
    assert not found, "\n".join(found[:40])


def test_provenance_shows_a_runs_note_after_its_sentence():
    doc = load_script("make_results_doc")
    run = {"command": "make run", "commit": "0123456789abcdef", "dirty": [], "seconds": 600.0,
           "machine": {"arch": "x86_64", "cpu": "AMD EPYC", "cores": 2, "memory_gb": 25.3,
                       "load_average_at_end": [1.0, 1.1, 1.2]}}
    plain = doc.provenance(run)
    assert plain.startswith("Made by `make run` at commit `0123456`") and plain.endswith("1.0, 1.1, 1.2).")
    assert doc.provenance({**run, "note": "Other jobs ran beside it."}) == plain + " Other jobs ran beside it."
