"""Write the Gradescope autograder: a zip with setup.sh and run_autograder at its root (Gradescope's format: setup.sh
builds the image once; run_autograder runs per submission, reads /autograder/submission/ and writes
/autograder/results/results.json), requirements.txt, and the grader's package.

    python -m grading.autograder [OUT]        (make autograder)   default: dist/autograder.zip
"""
import pathlib
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ("__init__.py", "notebook.py", "tiny.py", "worker.py", "grader.py")


def make_autograder(out=ROOT / "dist" / "autograder.zip"):
    """Write the zip (the same bytes for the same sources: fixed timestamps); return its member names."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    members = [(f"grading/{name}", ROOT / "grading" / name, 0o644) for name in PACKAGE]
    members += [(name, ROOT / "grading" / "gradescope" / name, mode) for name, mode in
                (("setup.sh", 0o755), ("run_autograder", 0o755), ("requirements.txt", 0o644))]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path, mode in members:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return [name for name, _, _ in members]


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist" / "autograder.zip"
    print(f"wrote {target}: {', '.join(make_autograder(target))}")
