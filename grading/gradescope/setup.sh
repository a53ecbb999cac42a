#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder's image (Ubuntu): Python, the grader's packages
# (requirements.txt: CPU-only torch, transformers, tokenizers, nbformat), and the grader readable by user nobody,
# as whom the submissions' code runs.
set -euo pipefail
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip python3-venv
python3 -m venv /opt/grader
/opt/grader/bin/pip install -q --upgrade pip
/opt/grader/bin/pip install -q -r /autograder/source/requirements.txt
chmod -R a+rX /autograder/source /opt/grader
