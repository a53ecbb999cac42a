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
        texts = [g["continuation"] for g in rows]                           # per-text scores average to the metrics
        assert metrics["fluency"] == pytest.approx(nb.compute_fluency(texts, cola_model, cola_tokenizer))
        scored = [g["fluency"] for g in rows if g["fluency"] is not None]
        assert metrics["fluency"] == pytest.approx(sum(scored) / len(scored))
        assert [g["perplexity"] for g in rows] == nb.compute_perplexity(texts, lm, tokenizer)["perplexities"]
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
    itself (its difference from the seeds' mean is the seed run's own, within noise); vanilla sampling ran from
    1 + NOISE_SEEDS seeds; the plot is written whether or not fluency was measured, with the human reference."""
    lm, tokenizer, cola_model, cola_tokenizer = tiny
    sweeps = nb.run_sweeps(PROMPTS, lm, tokenizer, cola_model, cola_tokenizer, 0, n_per_prompt=2, max_len=5,
                           seed=0, batch_size=100, progress=False)
    assert sweeps["vocab_size"] == len(tokenizer)
    greedy = sweeps["equivalences"]["greedy"]
    assert greedy["topk k=1"] == {"identical": 6, "of": 6, "all_identical": True}
    assert greedy["topp p=0.0"] == {"identical": 6, "of": 6, "all_identical": True}
    vanilla = sweeps["equivalences"]["vanilla_sampling"]
    assert set(vanilla) >= {"seed_values", "seed_sd", "temperature t=1.0", "topk k=V", "topp p=1.0"}
    assert len(sweeps["vanilla_seeds"]) == 1 + nb.NOISE_SEEDS
    assert sweeps["metrics"]["topp p=1.0"] == sweeps["metrics"]["sample"]
    for metric, difference in vanilla["topp p=1.0"]["difference"].items():
        assert difference == pytest.approx(sweeps["metrics"]["sample"][metric] - vanilla["seed_mean"][metric])
    assert vanilla["topp p=1.0"]["within_noise"]
    json.dumps(sweeps)
    import matplotlib.pyplot as plt
    for metrics, name in ((sweeps["metrics"], "with_fluency.png"),
                          ({k: {**v, "fluency": None} for k, v in sweeps["metrics"].items()}, "no_fluency.png")):
        fig = nb.plot_tradeoff(metrics, tmp_path / name, reference=sweeps["metrics"]["greedy"])
        plt.close(fig)
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_equivalence_check_skips_a_metric_whose_noise_is_undefined(nb):
    """When one vanilla-sampling seed has no trigram (distinct-3 undefined), the seed noise of distinct-3 is
    undefined: "within noise" is judged on the other metrics, against NOISE_FACTOR standard deviations of the seeds."""
    row = dict(perplexity=10.0, fluency=None, distinct_1=0.5, distinct_2=0.6, distinct_3=0.7)
    seeds = [row, dict(row, perplexity=10.2, distinct_3=None), dict(row, perplexity=9.8), dict(row, perplexity=10.0)]
    runs = {"sample": row, "temperature t=1.0": dict(row, perplexity=10.3), "topk k=V": dict(row, perplexity=50.0),
            "topp p=1.0": row}
    gens = [{"run": name, "continuation": "a b"} for name in ("greedy", "topk k=1", "topp p=0.0")]
    eq = nb.check_equivalences({"metrics": runs, "generations": gens}, seeds)
    vanilla = eq["vanilla_sampling"]
    assert "distinct_3" not in vanilla["seed_sd"] and "fluency" not in vanilla["seed_sd"]
    assert vanilla["seed_sd"]["perplexity"] == pytest.approx(0.16329931, rel=1e-6)      # sd of 10, 10.2, 9.8, 10
    assert vanilla["temperature t=1.0"]["within_noise"] is True                          # 0.3 <= 3 x 0.163
    assert vanilla["topk k=V"]["within_noise"] is False
    assert eq["greedy"]["topk k=1"]["all_identical"] is True


@pytest.mark.parametrize("df, exact", [(3, 3.1824), (4, 2.7764), (9, 2.2622), (29, 2.0452), (1000, 1.9623)])
def test_student_t_quantile_matches_the_table(nb, df, exact):
    """The 97.5% quantile of Student's t against printed tables, within 0.005 (the expansion is meant for df >= 3)."""
    assert nb.student_t_quantile(0.975, df) == pytest.approx(exact, abs=5e-3)


def test_jackknife_interval_of_a_mean_is_the_t_interval(nb):
    """With one continuation per prompt, the jackknife standard error of a mean is sd / sqrt(n), so perplexities
    1..10 give 5.5 +- t(0.975, 9) * sd / sqrt(10), computed here with numpy; the interval contains the value."""
    import numpy as np
    values = np.arange(1.0, 11.0)
    gens = [{"run": "a", "prompt": f"p{i}", "continuation": f"w{i}", "perplexity": float(v), "fluency": None}
            for i, v in enumerate(values)]
    low, high = nb.interval_over_prompts(gens)["interval"]["a"]["perplexity"]
    half = 2.2622 * values.std(ddof=1) / np.sqrt(10)
    assert low == pytest.approx(5.5 - half, abs=1e-3) and high == pytest.approx(5.5 + half, abs=1e-3)


def test_jackknife_differences_are_paired_and_undefined_metrics_are_none(nb):
    """Two runs whose values move together prompt by prompt (b = a + 1) have a difference interval of exactly
    [-1, -1] although each run's own interval is wide; identical continuations give distinct-n differences of 0;
    a metric never measured (fluency None) or undefined (no trigram in "x y") is [None, None]; pooled distinct-n of
    each run lies inside its interval."""
    gens = [{"run": run, "prompt": f"p{i}", "continuation": f"x{i} y", "perplexity": float(i + shift), "fluency": None}
            for run, shift in (("a", 1), ("b", 2)) for i in range(6)]
    result = nb.interval_over_prompts(gens)
    assert result["difference"]["a - b"]["perplexity"] == pytest.approx([-1.0, -1.0])
    low, high = result["interval"]["a"]["perplexity"]
    assert high - low > 3
    assert result["difference"]["a - b"]["distinct_1"] == pytest.approx([0.0, 0.0])
    assert result["difference"]["a - b"]["fluency"] == [None, None]
    assert result["interval"]["a"]["distinct_3"] == [None, None]
    low, high = result["interval"]["a"]["distinct_1"]
    assert low <= 7 / 12 <= high                                              # 6 distinct x_i plus one "y" of 12
    assert result["n_prompts"] == 6 and result["level"] == 0.95
    with pytest.raises(ValueError, match="at least 3 prompts"):
        nb.interval_over_prompts(gens[:2] + gens[6:8])


