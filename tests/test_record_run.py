"""scripts/record_run.py: what run.json says about a run's commit and local changes.

What they prove: a tracked file changed outside the paths a run writes is listed by its exact path (the porcelain
status's leading space is not lost), while the files a run itself writes (results/, out/, writeup/generated/,
docs/results.md) are not; the commit is HEAD's.
"""
import json
import shutil
import subprocess

from notebook import ROOT, load_script


def _git(folder, *args):
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True).stdout


def test_run_json_lists_only_changes_a_run_does_not_make(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "results" / "offline").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "record_run.py", repo / "scripts" / "record_run.py")
    (repo / "Makefile").write_text("run:\n")
    (repo / "results" / "offline" / "decoding.json").write_text("{}\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    (repo / "results" / "offline" / "decoding.json").write_text('{"new": 1}\n')     # written by the run
    record = load_script("record_run")
    monkeypatch.setattr(record, "ROOT", repo)
    assert record.changed_files() == []
    (repo / "Makefile").write_text("run:\n\ttrue\n")                                 # a local change
    assert record.changed_files() == ["Makefile"]
    record.main([str(repo / "results" / "offline" / "run.json"), "--command", "make run", "--seconds", "12.3"])
    written = json.loads((repo / "results" / "offline" / "run.json").read_text())
    assert written["commit"] == _git(repo, "rev-parse", "HEAD").strip() and written["dirty"] == ["Makefile"]
    assert written["seconds"] == 12.3 and written["machine"]["cores"] >= 1
