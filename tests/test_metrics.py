"""Tests of the 1.1.0 metrics: compute_perplexity, compute_fluency, compute_diversity.

Perplexity is checked two ways: against hand-computed values on a toy LM whose probabilities are known in
closed form, and against an independent one-text-at-a-time implementation of the `evaluate` library's
definition (add_start_token=True) on the real SmolLM2-135M. Fluency is checked with a classifier whose answer
is fixed by its bias, and against unpadded one-text-at-a-time scoring. Diversity is checked by hand.
"""
import math
import types

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from notebook import profiles_table

# ---------------------------------------------------------------- a toy LM with closed-form probabilities

V, A = 10, 2.0                     # vocabulary size; logit of the favoured token
Q = math.exp(A) / (math.exp(A) + V - 1)        # P(next = previous + 1)
R = (1 - Q) / (V - 1)                          # P(any other given token)
BOS = 9


class SuccessorLM(torch.nn.Module):
    """Causal toy LM over tokens 0..V-1: after token x it gives logit A to (x + 1) % V and 0 to the rest, so
    P(x + 1 | ..., x) = Q and P(y | ..., x) = R otherwise. Each position sees only its own token, so padding
    and batching cannot change a result."""

    def __init__(self, context=64):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))         # gives the model a device
        self.config = types.SimpleNamespace(max_position_embeddings=context, name_or_path="successor-lm")

    def forward(self, input_ids, attention_mask=None, use_cache=None):
        logits = A * F.one_hot((input_ids + 1) % V, V).float() + self.anchor
        return types.SimpleNamespace(logits=logits)


class DigitTokenizer:
    """Whitespace-separated integers are the token ids ("3 4 5" -> [3, 4, 5]); no special tokens are added."""
    bos_token_id = BOS

    def __call__(self, texts, add_special_tokens=True):
        return {"input_ids": [[int(word) for word in text.split()] for text in texts]}


def expected_ppl(text):
    """Hand computation: BOS then the text's tokens; each token costs -log Q if it follows its predecessor
    by +1 (mod V), else -log R; perplexity = exp(mean cost)."""
    ids = [BOS] + [int(w) for w in text.split()]
    costs = [-math.log(Q if b == (a + 1) % V else R) for a, b in zip(ids, ids[1:])]
    return math.exp(sum(costs) / len(costs))


def test_perplexity_hand_computed_on_toy_lm(nb):
    """BOS is prepended (the first token is scored after BOS: "0" follows 9 so costs -log Q, "5" costs
    -log R), each text's perplexity is exp(mean NLL of its own tokens), the mean is a plain mean."""
    texts = ["0 1 2", "5", "0 7 8 9", "3 3"]
    hand = [1 / Q,                                                          # 9->0, 0->1, 1->2: all Q
            1 / R,                                                          # 9->5: R
            math.exp(-(3 * math.log(Q) + math.log(R)) / 4),                 # 9->0 Q, 0->7 R, 7->8 Q, 8->9 Q
            1 / R]                                                          # 9->3 R, 3->3 R
    assert [expected_ppl(t) for t in texts] == pytest.approx(hand, rel=1e-12)
    result = nb.compute_perplexity(texts, SuccessorLM(), DigitTokenizer())
    assert result["perplexities"] == pytest.approx(hand, rel=1e-5)
    assert result["mean_perplexity"] == pytest.approx(sum(hand) / len(hand), rel=1e-5)
    assert (result["n_scored"], result["n_empty"], result["n_truncated"]) == (4, 0, 0)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 16])
def test_perplexity_batch_size_does_not_matter(nb, batch_size):
    """Batch sizes that do not divide the 7 texts (of 1 to 6 tokens, so batches are padded) give the same
    per-text values in the input order, not in the sorted-by-length order used internally."""
    texts = ["1 2 3 4 5 6", "4", "2 2", "0 1 2 3", "8 1 5", "6 7 8 0 1", "3 4"]
    result = nb.compute_perplexity(texts, SuccessorLM(), DigitTokenizer(), batch_size=batch_size)
    assert result["perplexities"] == pytest.approx([expected_ppl(t) for t in texts], rel=1e-5)


class CountingSuccessorLM(SuccessorLM):
    """SuccessorLM that counts the sequences it is run on."""

    def __init__(self):
        super().__init__()
        self.sequences = 0

    def forward(self, input_ids, **kwargs):
        self.sequences += input_ids.shape[0]
        return super().forward(input_ids, **kwargs)


def test_perplexity_scores_a_repeated_text_once(nb):
    """Greedy repeats each continuation n_per_prompt times: 5 copies of "0 1" and one "3" cost 2 sequences,
    and every copy still gets its own (equal) entry, counted in the mean like evaluate counts it."""
    lm = CountingSuccessorLM()
    result = nb.compute_perplexity(["0 1"] * 5 + ["3"], lm, DigitTokenizer())
    assert lm.sequences == 2
    assert result["perplexities"] == pytest.approx([1 / Q] * 5 + [1 / R], rel=1e-5)
    assert result["mean_perplexity"] == pytest.approx((5 / Q + 1 / R) / 6, rel=1e-5)
    assert result["n_scored"] == 6


def test_perplexity_empty_texts_are_skipped_and_counted(nb):
    """An empty text has no token to score: its entry is None, it is counted in n_empty, and the mean is
    over the others. All-empty and no texts at all give mean None, never a crash."""
    result = nb.compute_perplexity(["", "0 1", "", "4"], SuccessorLM(), DigitTokenizer(), batch_size=3)
    assert result["perplexities"][0] is None and result["perplexities"][2] is None
    assert result["perplexities"][1] == pytest.approx(1 / Q, rel=1e-5)
    assert result["mean_perplexity"] == pytest.approx((1 / Q + 1 / R) / 2, rel=1e-5)
    assert (result["n_scored"], result["n_empty"]) == (2, 2)
    for texts in ([""], []):
        result = nb.compute_perplexity(texts, SuccessorLM(), DigitTokenizer())
        assert result["mean_perplexity"] is None and result["n_scored"] == 0 and result["n_empty"] == len(texts)


def test_perplexity_truncates_to_model_context(nb):
    """With 4 positions, BOS + 3 tokens fit: "0 1 2 7 7" is scored as "0 1 2" (perplexity 1/Q) and counted
    as truncated; a text that fits is untouched."""
    result = nb.compute_perplexity(["0 1 2 7 7", "0 5"], SuccessorLM(context=4), DigitTokenizer())
    assert result["perplexities"] == pytest.approx([1 / Q, expected_ppl("0 5")], rel=1e-5)
    assert result["n_truncated"] == 1


def test_perplexity_rejects_bad_arguments(nb):
    with pytest.raises(ValueError, match="single string"):
        nb.compute_perplexity("0 1 2", SuccessorLM(), DigitTokenizer())
    with pytest.raises(ValueError, match="batch_size"):
        nb.compute_perplexity(["0 1"], SuccessorLM(), DigitTokenizer(), batch_size=0)
    no_bos = DigitTokenizer()
    no_bos.bos_token_id = None
    with pytest.raises(ValueError, match="BOS"):
        nb.compute_perplexity(["0 1"], SuccessorLM(), no_bos)


# ------------------------------------------------------ the evaluate definition, one text at a time, on SmolLM2

@torch.no_grad()
def reference_perplexity(text, model, tokenizer):
    """evaluate's "perplexity" with add_start_token=True for one text, written out plainly: no batching, no
    padding. Tokens without special tokens, BOS in front, exp of the mean of -log p(token | tokens before)."""
    ids = [tokenizer.bos_token_id] + tokenizer(text, add_special_tokens=False)["input_ids"]
    logits = model(torch.tensor([ids])).logits[0].double()                  # (len, V)
    log_probs = torch.log_softmax(logits[:-1], dim=-1).tolist()
    nll = [-log_probs[i][ids[i + 1]] for i in range(len(ids) - 1)]
    return math.exp(sum(nll) / len(nll))


SMOLLM2_TEXTS = [
    " She planted the seeds in neat rows and watered them every morning.",
    " The horse",
    "!",
    " He had never seen so many stars. The night was cold, and the fire had gone out hours ago, so he pulled "
    "the blanket tighter and listened to the wind moving through the tall grass behind the barn.",
    " Mom said no.",
    "",
    " It rained all weekend, which ruined the picnic but saved the garden.",
]


@pytest.fixture(scope="module")
def smollm2_reference(smollm2):
    """reference_perplexity of each SMOLLM2_TEXTS entry (None for the empty one), computed once."""
    model, tokenizer = smollm2
    return [None if text == "" else reference_perplexity(text, model, tokenizer) for text in SMOLLM2_TEXTS]


@pytest.mark.parametrize("padding_side", ["left", "right"])
def test_perplexity_matches_evaluate_definition_on_smollm2(nb, smollm2, smollm2_reference, padding_side):
    """On the real offline LM, batched perplexity (batch 3 over 6 scored texts of 1 to ~45 tokens) equals the
    one-text-at-a-time reference within relative 1e-3, per text and for the mean, whichever side the
    tokenizer is set to pad on."""
    model, tokenizer = smollm2
    tokenizer.padding_side = padding_side
    result = nb.compute_perplexity(SMOLLM2_TEXTS, model, tokenizer, batch_size=3)
    tokenizer.padding_side = "left"
    for got, want in zip(result["perplexities"], smollm2_reference):
        assert (got is None) == (want is None)
        if want is not None:
            assert abs(got - want) / want < 1e-3
    scored = [e for e in smollm2_reference if e is not None]
    assert abs(result["mean_perplexity"] - sum(scored) / len(scored)) / (sum(scored) / len(scored)) < 1e-3
    assert result["n_empty"] == 1
    assert 1 < min(scored) and max(scored) < 1e5                          # a real LM, not a degenerate one


# ---------------------------------------------------------------------------------------------- fluency

FLUENCY_TEXTS = ["The cat sat on the mat.", "cat the mat sat on", "She went home.", "",
                 "A much longer sentence about a garden, tomatoes, rain, and a neighbour who helped.", "Yes"]


@pytest.fixture(scope="module")
def cola(tiny_dir):
    """The tiny profile's random RoBERTa classifier and its tokenizer (fp32, CPU)."""
    model = AutoModelForSequenceClassification.from_pretrained(tiny_dir / "cola").eval()
    return model, AutoTokenizer.from_pretrained(tiny_dir / "cola")


def test_fluency_honours_the_acceptable_class(nb, cola):
    """A classifier whose head ignores the text and has bias (+4, -4) gives P(class 0) = sigmoid(8) = 0.99966
    for every text, so fluency is that with acceptable_class=0 and 1 - that with acceptable_class=1: an
    inverted index would be off by ~1."""
    model, tokenizer = cola
    biased = AutoModelForSequenceClassification.from_config(model.config).eval()
    with torch.no_grad():
        biased.classifier.out_proj.weight.zero_()
        biased.classifier.out_proj.bias.copy_(torch.tensor([4.0, -4.0]))
    p0 = 1 / (1 + math.exp(-8))
    assert nb.compute_fluency(FLUENCY_TEXTS, biased, tokenizer, acceptable_class=0) == pytest.approx(p0, abs=1e-6)
    assert nb.compute_fluency(FLUENCY_TEXTS, biased, tokenizer, acceptable_class=1) == pytest.approx(1 - p0, abs=1e-6)


@torch.no_grad()
def reference_fluency(texts, model, tokenizer, acceptable_class):
    """Mean P(acceptable) scoring one non-blank text at a time: no padding at all."""
    probs = []
    for text in [t for t in texts if t.strip()]:
        batch = tokenizer([text], return_tensors="pt")
        probs.append(torch.softmax(model(**batch).logits[0], dim=-1)[acceptable_class].item())
    return sum(probs) / len(probs)


@pytest.mark.parametrize("batch_size", [1, 4, 32])
@pytest.mark.parametrize("padding_side", ["left", "right"])
def test_fluency_independent_of_batching_and_padding_side(nb, cola, batch_size, padding_side):
    """On the random classifier (whose answer depends on the text, so on padding if it leaked in), batches of
    1, 4 (not dividing the 5 non-blank texts) and 32 with the tokenizer set to pad left or right all equal unpadded one-by-one
    scoring; the tokenizer's padding side is restored afterwards."""
    model, tokenizer = cola
    want = reference_fluency(FLUENCY_TEXTS, model, tokenizer, 1)
    tokenizer.padding_side = padding_side
    got = nb.compute_fluency(FLUENCY_TEXTS, model, tokenizer, batch_size=batch_size, acceptable_class=1)
    assert tokenizer.padding_side == padding_side
    tokenizer.padding_side = "right"
    assert got == pytest.approx(want, abs=1e-5)


def test_left_padding_would_change_the_answer(cola):
    """Guards the test above: this classifier reads its first token, so left-padded scoring differs from
    unpadded scoring by more than the 1e-5 tolerance (a left-padding implementation would fail)."""
    model, tokenizer = cola
    tokenizer.padding_side = "left"
    batch = tokenizer([t for t in FLUENCY_TEXTS if t], return_tensors="pt", padding=True)
    tokenizer.padding_side = "right"
    with torch.no_grad():
        left = torch.softmax(model(**batch).logits, dim=-1)[:, 1].mean().item()
    assert abs(left - reference_fluency(FLUENCY_TEXTS, model, tokenizer, 1)) > 1e-4


class CountingTokenizer:
    """Wraps a tokenizer and counts how many texts it is asked to tokenise."""

    def __init__(self, tokenizer):
        self.__dict__["inner"], self.__dict__["texts_seen"] = tokenizer, 0

    def __call__(self, texts, **kwargs):
        self.__dict__["texts_seen"] += len(texts)
        return self.inner(texts, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __setattr__(self, name, value):
        setattr(self.inner, name, value)


def test_fluency_tokenises_each_text_once(nb, cola):
    """With batch size 2 over 5 non-blank texts, each batch tokenises its own texts: 5 texts in all, not 5
    per batch."""
    model, tokenizer = cola
    counting = CountingTokenizer(tokenizer)
    nb.compute_fluency(FLUENCY_TEXTS, model, counting, batch_size=2, acceptable_class=0)
    assert counting.texts_seen == 5


def test_fluency_skips_blank_texts(nb, cola):
    """Empty and whitespace-only texts are not scored (as perplexity skips empty ones): adding them does not
    change the mean, and only blank texts give None."""
    model, tokenizer = cola
    alone = nb.compute_fluency(["She went home."], model, tokenizer, acceptable_class=0)
    assert nb.compute_fluency(["", "She went home.", "  \n"], model, tokenizer, acceptable_class=0) == \
        pytest.approx(alone, abs=1e-6)
    assert nb.compute_fluency(["", " "], model, tokenizer, acceptable_class=0) is None


def test_fluency_rejects_bad_arguments_and_handles_no_texts(nb, cola):
    model, tokenizer = cola
    for bad in (2, -1, None, True, 0.0):
        with pytest.raises(ValueError, match="acceptable_class"):
            nb.compute_fluency(["a"], model, tokenizer, acceptable_class=bad)
    # The assignment-style call uses class 0, "acceptable" for cointegrated/roberta-large-cola-krishna2020.
    texts = ["a b c", "the cat"]
    assert nb.compute_fluency(texts, model, tokenizer) == nb.compute_fluency(texts, model, tokenizer, acceptable_class=0)
    assert nb.compute_fluency(texts, model, tokenizer) != nb.compute_fluency(texts, model, tokenizer, acceptable_class=1)
    with pytest.raises(ValueError, match="batch_size"):
        nb.compute_fluency(["a"], model, tokenizer, batch_size=0, acceptable_class=0)
    assert nb.compute_fluency([], model, tokenizer, acceptable_class=0) is None


def test_profiles_keep_the_acceptable_class_beside_the_classifier():
    """In the profiles table, cointegrated/roberta-large-cola-krishna2020 has acceptable = class 0 (GUIDE);
    a profile without a classifier has no index either."""
    for name, profile in profiles_table().items():
        if profile["cola"] == "cointegrated/roberta-large-cola-krishna2020":
            assert profile["cola_acceptable_class"] == 0, name
        if profile["cola"] is None:
            assert profile["cola_acceptable_class"] is None, name
        else:
            assert profile["cola_acceptable_class"] in (0, 1), name


def test_load_classifier_none_means_not_measured(nb, tiny_dir):
    assert nb.load_classifier(None) == (None, None)
    model, tokenizer = nb.load_classifier(str(tiny_dir / "cola"), device=torch.device("cpu"), dtype=torch.float32)
    assert not model.training and tokenizer.padding_side == "right"


# -------------------------------------------------------------------------------------------- diversity

def test_diversity_hand_computed(nb):
    """["the cat sat", "the cat ran"]: unigrams the, cat, sat, the, cat, ran (4 unique of 6); bigrams
    the-cat, cat-sat, the-cat, cat-ran (3 of 4; "sat the" spans two texts and is not one); trigrams 2 of 2."""
    result = nb.compute_diversity(["the cat sat", "the cat ran"])
    assert result == {"distinct_1": 4 / 6, "unique_1": 4, "total_1": 6,
                      "distinct_2": 3 / 4, "unique_2": 3, "total_2": 4,
                      "distinct_3": 2 / 2, "unique_3": 2, "total_3": 2}


def test_diversity_pools_repeats_across_texts(nb):
    """Ten copies of one 4-word text: 4 unique unigrams of 40, 3 bigrams of 30, 2 trigrams of 20."""
    result = nb.compute_diversity(["a b c d"] * 10)
    assert (result["distinct_1"], result["distinct_2"], result["distinct_3"]) == (0.1, 0.1, 0.1)
    assert (result["unique_1"], result["unique_2"], result["unique_3"]) == (4, 3, 2)


def test_diversity_whitespace_tokens_case_and_punctuation_kept(nb):
    """Any whitespace run separates tokens; "Dog", "dog" and "dog." are three different tokens."""
    result = nb.compute_diversity(["  dog\tDog\n dog. dog  "])
    assert (result["unique_1"], result["total_1"]) == (3, 4)
    assert (result["unique_2"], result["total_2"]) == (3, 3)


def test_diversity_empty_and_single_word(nb):
    """No n-gram at all: distinct-n is None (undefined), counts 0. A single word: distinct-1 = 1 and no
    bigrams or trigrams; empty strings beside it add nothing."""
    for texts in ([], [""], ["", "   "]):
        result = nb.compute_diversity(texts)
        assert all(result[f"distinct_{n}"] is None and result[f"unique_{n}"] == 0 for n in (1, 2, 3))
    result = nb.compute_diversity(["", "word", ""])
    assert (result["distinct_1"], result["unique_1"], result["total_1"]) == (1.0, 1, 1)
    assert result["distinct_2"] is None and result["distinct_3"] is None and result["total_2"] == 0
    assert nb.compute_diversity(["hi", "hi"])["distinct_1"] == 0.5
    with pytest.raises(ValueError, match="single string"):
        nb.compute_diversity("the cat sat")
