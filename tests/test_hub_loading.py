"""load_story_prompts and load_articles through their Hub branch (the colab profile's), without the Hub.

`datasets.load_dataset` is patched so that a Hub id loads a local copy with that dataset's Hub layout, through
the real `datasets.load_dataset` (same builders, same arguments, only the path swapped):
  * Ximing/ROCStories: train.jsonl, validation.jsonl, test.jsonl with "prompt" and "continuation";
  * abisee/cnn_dailymail, config "3.0.0": 3.0.0/{train,validation,test}-00000-of-00001.parquet with "id", "article",
    "highlights", the splits declared per config in the README's YAML header as on the Hub.
The notebook must import load_dataset inside the function (`from datasets import load_dataset` at call time) so the
patch applies; the GPU machine and Colab's first cells have no `datasets` at the notebook's import time anyway.

"Load only the splits used" is checked on what the library did, not on what it was asked: each test gets its own
datasets cache, and a split counts as loaded when the cache holds its Arrow file. `split="test"` alone does not pass:
datasets still downloads and prepares every split of the dataset and then returns one.
"""
import json
import pathlib
import re

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROC_ID = "Ximing/ROCStories"
CNN_ID, CNN_CONFIG = "abisee/cnn_dailymail", "3.0.0"
ROC_SIZES = {"train": 30, "validation": 8, "test": 12}
CNN_SIZES = {"train": 40, "validation": 10, "test": 15}
CNN_README = """---
configs:
- config_name: 3.0.0
  data_files:
  - split: train
    path: 3.0.0/train-*
  - split: validation
    path: 3.0.0/validation-*
  - split: test
    path: 3.0.0/test-*
---
"""


def roc_rows(split):
    return [{"prompt": f"{split} story {i} begins.", "continuation": f"{split} story {i} ends."}
            for i in range(ROC_SIZES[split])]


def cnn_rows(split):
    """Rows as the Hub has them (columns article, highlights, id); ids say their split."""
    return [{"article": f"Article {i} of the {split} split. " * 5, "highlights": f"Highlight {i} ({split}).",
             "id": f"{split}-{i:03d}"} for i in range(CNN_SIZES[split])]


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """Local copies of both datasets and a patched datasets.load_dataset. Yields an object with
    .calls (the (path, args, kwargs) the notebook passed) and .loaded_splits() (splits whose Arrow file exists)."""
    roc, cnn = tmp_path / "ROCStories", tmp_path / "cnn_dailymail"
    roc.mkdir()
    for split in ROC_SIZES:
        (roc / f"{split}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in roc_rows(split)))
    (cnn / CNN_CONFIG).mkdir(parents=True)
    (cnn / "README.md").write_text(CNN_README)
    for split in CNN_SIZES:
        pq.write_table(pa.Table.from_pylist(cnn_rows(split)), cnn / CNN_CONFIG / f"{split}-00000-of-00001.parquet")
    mirrors = {ROC_ID: roc, CNN_ID: cnn}
    cache = tmp_path / "datasets_cache"
    real_load_dataset = datasets.load_dataset

    class Hub:
        calls = []

        @staticmethod
        def loaded_splits():
            names = {re.search(r"-(train|validation|test)(-\d{5}-of-\d{5})?\.arrow$", p.name)
                     for p in cache.rglob("*.arrow")}
            return {m.group(1) for m in names if m}

    def fake_load_dataset(path, *args, **kwargs):
        if path not in mirrors:
            raise AssertionError(f"load_dataset called with {path!r}, not a Hub id this test provides")
        Hub.calls.append((path, args, kwargs))
        return real_load_dataset(str(mirrors[path]), *args, **{**kwargs, "cache_dir": str(cache)})

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    return Hub


# --- ROCStories --------------------------------------------------------------------------------------------

def test_story_prompts_are_the_first_n_of_the_hub_test_split(nb, hub):
    prompts = nb.load_story_prompts(ROC_ID, 5)
    assert prompts == [row["prompt"] for row in roc_rows("test")[:5]]
    assert [call[0] for call in hub.calls] == [ROC_ID], "the Hub branch did not go through datasets.load_dataset"


def test_story_prompts_load_only_the_test_split(nb, hub):
    nb.load_story_prompts(ROC_ID, 2)
    assert hub.loaded_splits() == {"test"}, f"loaded {sorted(hub.loaded_splits())}; calls: {hub.calls}"


def test_story_prompts_asking_for_more_than_the_test_split_has_fails_clearly(nb, hub):
    with pytest.raises(ValueError, match=rf"{re.escape(ROC_ID)} has {ROC_SIZES['test']} prompts"):
        nb.load_story_prompts(ROC_ID, ROC_SIZES["test"] + 1)


# --- CNN/DailyMail -----------------------------------------------------------------------------------------

def test_articles_come_from_the_train_and_test_splits_with_the_hub_fields(nb, hub):
    train, heldout = nb.load_articles((CNN_ID, CNN_CONFIG), 7, 4, seed=447)
    assert len(train) == 7 and len(heldout) == 4
    by_id = {row["id"]: row for split in CNN_SIZES for row in cnn_rows(split)}
    for rows, split in ((train, "train"), (heldout, "test")):
        for row in rows:
            assert set(row) == {"id", "article", "highlights"}
            assert row["id"].startswith(f"{split}-"), f"{row['id']} is not from the {split} split"
            assert row == by_id[row["id"]]
    assert all(call[0] == CNN_ID for call in hub.calls) and hub.calls


def test_articles_pick_the_same_rows_from_the_hub_as_from_local_files(nb, hub, tmp_path):
    """The Hub branch and the .jsonl branch draw the same indices with the same seed: one selection rule."""
    files = []
    for split in ("train", "test"):
        path = tmp_path / f"{split}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in cnn_rows(split)))
        files.append(str(path))
    assert nb.load_articles((CNN_ID, CNN_CONFIG), 9, 5, seed=3) == nb.load_articles(tuple(files), 9, 5, seed=3)


def test_articles_load_only_the_train_and_test_splits(nb, hub):
    nb.load_articles((CNN_ID, CNN_CONFIG), 3, 2, seed=0)
    assert hub.loaded_splits() == {"train", "test"}, f"loaded {sorted(hub.loaded_splits())}; calls: {hub.calls}"


def test_articles_asking_for_more_than_a_split_has_fails_clearly(nb, hub):
    with pytest.raises(ValueError, match=f"only {CNN_SIZES['test']}"):
        nb.load_articles((CNN_ID, CNN_CONFIG), 3, CNN_SIZES["test"] + 1, seed=0)


# --- the fallback when the Hub's file names change ---------------------------------------------------------------
# load_story_prompts and load_articles name the split's files (data_files=), which are known from the datasets' Hub
# pages only. If the Hub renames them, the data_files load raises FileNotFoundError and the split is loaded with
# split= alone (every split prepared: slower, same rows), saying so.

def test_story_prompts_fall_back_to_a_plain_split_load_when_the_files_were_renamed(nb, hub, tmp_path, capsys):
    roc = tmp_path / "ROCStories"
    (roc / "data").mkdir()
    for split in ROC_SIZES:
        (roc / f"{split}.jsonl").rename(roc / "data" / f"{split}-00000-of-00001.jsonl")
    assert nb.load_story_prompts(ROC_ID, 4) == [row["prompt"] for row in roc_rows("test")[:4]]
    assert [("data_files" in kwargs) for _, _, kwargs in hub.calls] == [True, False]
    assert "loading its test split with split= alone" in capsys.readouterr().out


def test_articles_fall_back_to_a_plain_split_load_when_the_files_were_renamed(nb, hub, tmp_path, capsys):
    cnn = tmp_path / "cnn_dailymail"
    for split in CNN_SIZES:
        (cnn / CNN_CONFIG / f"{split}-00000-of-00001.parquet").rename(cnn / CNN_CONFIG / f"{split}.parquet")
    (cnn / "README.md").write_text(CNN_README.replace("-*", ".parquet"))
    train, heldout = nb.load_articles((CNN_ID, CNN_CONFIG), 5, 3, seed=1)
    assert all(row["id"].startswith("train-") for row in train) and all(row["id"].startswith("test-") for row in heldout)
    assert [("data_files" in kwargs) for _, _, kwargs in hub.calls] == [True, False, True, False]
    assert capsys.readouterr().out.count("with split= alone") == 2
