"""Tests of the 1.1.5 evaluation and the sweeps (evaluate_decoding, run_sweeps, plot_tradeoff) on the tiny
random models: the plumbing, the bookkeeping and the greedy / vanilla-sampling equivalences."""
import json

import pytest
import torch


@pytest.fixture(scope="module")
def tiny(nb, tiny_dir):
    """The tiny profile's LM, its tokenizer, and its CoLA-style classifier with tokenizer, fp32 on the CPU."""
    cpu, fp32 = torch.device("cpu"), torch.float32
    lm = nb.load_causal_lm(str(tiny_dir / "lm"), device=cpu, dtype=fp32)
    tokenizer = nb.load_tokenizer(str(tiny_dir / "lm"))
    cola_model, cola_tokenizer = nb.load_classifier(str(tiny_dir / "cola"), device=cpu, dtype=fp32)
    return lm, tokenizer, cola_model, cola_tokenizer


PROMPTS = ["Marisol wanted to grow tomatoes.", "Devin had never ridden a horse before. His aunt", "It rained."]


def test_evaluate_decoding_bookkeeping(nb, tiny):
    """Five runs x 3 prompts x 2 continuations: 30 generations, each prompt twice per run in prompt order,
    each run's parameters recorded; every metric computed (tiny has a classifier) and a probability; greedy
    continues a repeated prompt identically; timings recorded per run."""
    lm, tokenizer, cola_model, cola_tokenizer = tiny
    result = nb.evaluate_decoding(PROMPTS, nb.decoding_runs(), lm, tokenizer, cola_model, cola_tokenizer, 0,
                                  n_per_prompt=2, max_len=6, seed=1, batch_size=4, progress=False)
    assert list(result["metrics"]) == ["greedy", "sample", "temperature", "topk", "topp"]
    assert len(result["generations"]) == 5 * 3 * 2
    for name, (method, kwargs) in nb.decoding_runs().items():
        rows = [g for g in result["generations"] if g["run"] == name]
        assert [g["prompt"] for g in rows] == [p for p in PROMPTS for _ in range(2)]
        assert all(g["method"] == method and all(g[key] == value for key, value in kwargs.items()) for g in rows)
        metrics = result["metrics"][name]
        assert 0 <= metrics["fluency"] <= 1
        assert metrics["perplexity"] is None or metrics["perplexity"] > 1
        assert metrics["n_empty"] == sum(g["continuation"] == "" for g in rows)
        assert set(result["wall_time_s"][name]) == {"generate", "metrics"}
    greedy = nb.run_texts(result, "greedy")
    assert greedy[0::2] == greedy[1::2]
    assert {g["run"]: g.get("k") for g in result["generations"]}["topk"] == 20
    json.dumps(result)                                                       # everything is JSON-serialisable


def test_evaluate_decoding_repeats_with_the_seed_and_reports_fluency_not_measured(nb, tiny):
    """The same seed gives the same continuations; without a classifier, fluency is None (not measured)
    while perplexity and diversity are still computed."""
    lm, tokenizer, cola_model, cola_tokenizer = tiny
    runs = {"topp": ("topp", {"p": 0.7})}
    kwargs = dict(n_per_prompt=2, max_len=6, seed=3, batch_size=100, progress=False)
    first = nb.evaluate_decoding(PROMPTS, runs, lm, tokenizer, cola_model, cola_tokenizer, 0, **kwargs)
    again = nb.evaluate_decoding(PROMPTS, runs, lm, tokenizer, None, None, None, **kwargs)
    assert nb.run_texts(first, "topp") == nb.run_texts(again, "topp")
    assert again["metrics"]["topp"]["fluency"] is None
    assert again["metrics"]["topp"]["distinct_1"] == first["metrics"]["topp"]["distinct_1"]
    assert "n/a" in nb.format_metrics_table(again["metrics"])
    with pytest.raises(ValueError, match="n_per_prompt"):
        nb.evaluate_decoding(PROMPTS, runs, lm, tokenizer, n_per_prompt=0)


def test_sweep_runs_cover_the_grids(nb):
    """2 baselines + 5 temperatures + 5 k values + 6 p values; k = V is the vocabulary size."""
    runs = nb.sweep_runs(vocab_size=512)
    assert len(runs) == 2 + 5 + 5 + 6
    assert runs["topk k=V"] == ("topk", {"k": 512}) and runs["topk k=1"] == ("topk", {"k": 1})
    assert runs["topp p=0.0"] == ("topp", {"p": 0.0}) and runs["temperature t=1.0"] == ("temperature", {"t": 1.0})


def test_run_sweeps_shows_the_equivalences(nb, tiny, tmp_path):
    """On the tiny LM, k = 1 and p = 0 reproduce greedy's 6 continuations exactly; p = 1 is vanilla sampling
    itself (difference 0, within noise); the plot is written whether or not fluency was measured."""
    lm, tokenizer, cola_model, cola_tokenizer = tiny
    sweeps = nb.run_sweeps(PROMPTS, lm, tokenizer, cola_model, cola_tokenizer, 0, n_per_prompt=2, max_len=5,
                           seed=0, batch_size=100, progress=False)
    assert sweeps["vocab_size"] == len(tokenizer)
    greedy = sweeps["equivalences"]["greedy"]
    assert greedy["topk k=1"] == {"identical": 6, "of": 6, "all_identical": True}
    assert greedy["topp p=0.0"] == {"identical": 6, "of": 6, "all_identical": True}
    vanilla = sweeps["equivalences"]["vanilla_sampling"]
    assert set(vanilla) >= {"seed_noise", "temperature t=1.0", "topk k=V", "topp p=1.0"}
    assert all(d == 0 for d in vanilla["topp p=1.0"]["difference"].values())
    assert vanilla["topp p=1.0"]["within_noise"]
    json.dumps(sweeps)
    import matplotlib.pyplot as plt
    for metrics, name in ((sweeps["metrics"], "with_fluency.png"),
                          ({k: {**v, "fluency": None} for k, v in sweeps["metrics"].items()}, "no_fluency.png")):
        fig = nb.plot_tradeoff(metrics, tmp_path / name)
        plt.close(fig)
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_equivalence_check_skips_a_metric_whose_noise_is_undefined(nb):
    """When one vanilla-sampling run has no trigram (distinct-3 undefined), the seed noise of distinct-3 is
    undefined: "within noise" is judged on the other metrics instead of failing."""
    row = dict(perplexity=10.0, fluency=None, distinct_1=0.5, distinct_2=0.6, distinct_3=0.7)
    runs = {"sample": row, "temperature t=1.0": dict(row, perplexity=10.1), "topk k=V": dict(row, perplexity=50.0),
            "topp p=1.0": row}
    gens = [{"run": name, "continuation": "a b"} for name in ("greedy", "topk k=1", "topp p=0.0")]
    noise = {"metrics": {"sample": dict(row, perplexity=10.2, distinct_3=None)}}
    eq = nb.check_equivalences({"metrics": runs, "generations": gens}, noise)
    assert "distinct_3" not in eq["vanilla_sampling"]["seed_noise"]
    assert eq["vanilla_sampling"]["temperature t=1.0"]["within_noise"] is True
    assert eq["vanilla_sampling"]["topk k=V"]["within_noise"] is False
    assert eq["greedy"]["topk k=1"]["all_identical"] is True
