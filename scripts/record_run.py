#!/usr/bin/env python3
"""Record how a results folder was made: the command, the commit, the machine and the wall time.

    python3 scripts/record_run.py OUT_JSON --command "make run" --seconds 1417

Writes OUT_JSON (e.g. results/offline/run.json), which scripts/make_results_doc.py reads so that docs/results.md
names the command, commit and machine beside every figure. The commit is `git rev-parse HEAD` of this checkout;
`dirty` lists the tracked files that differ from it, leaving out what a run itself writes (results/, out/,
writeup/generated/, docs/results.md, docs/benchmarks.md), so a clean clone that ran `make run` records `dirty: []`.
"""
import argparse
import json
import os
import pathlib
import platform
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]
WRITTEN_BY_A_RUN = ("results/", "out/", "writeup/generated/", "docs/results.md", "docs/benchmarks.md")


def git(*args):
    """Output of a git command run at the repository root, trailing newlines removed (leading spaces are part of
    `git status --porcelain`'s format); None outside a git checkout."""
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.rstrip()
    except (OSError, subprocess.CalledProcessError):
        return None


def changed_files():
    """Tracked files that differ from HEAD, other than the ones a run writes."""
    status = git("status", "--porcelain", "--untracked-files=no") or ""
    paths = [line[3:] for line in status.splitlines() if line.strip()]
    return [p for p in paths if not p.startswith(WRITTEN_BY_A_RUN)]


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (Linux), else platform.processor()."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine():
    """What the run ran on: architecture, CPU, cores, memory, load average at the end."""
    memory_gb = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gb = round(pages / 1e9, 1)
    except (ValueError, OSError, AttributeError):
        pass
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {"arch": platform.machine(), "cpu": cpu_model(), "cores": os.cpu_count(), "memory_gb": memory_gb,
            "load_average_at_end": load}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the JSON file to write")
    parser.add_argument("--command", required=True, help="the command that made the results")
    parser.add_argument("--seconds", type=float, required=True, help="its wall time")
    args = parser.parse_args(argv)
    if args.seconds < 0:
        raise SystemExit(f"--seconds must be >= 0, got {args.seconds}")
    record = {"command": args.command, "commit": git("rev-parse", "HEAD"), "dirty": changed_files(),
              "seconds": round(args.seconds, 1), "machine": machine()}
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {out}: {args.command} at {str(record['commit'])[:10]}, {args.seconds / 60:.1f} min")


if __name__ == "__main__":
    main()
