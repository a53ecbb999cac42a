"""The committed offline data: the articles are what the committed script writes, and the held-out articles come
from topics that the training articles never contain (issue: a student must not score by learning a topic's
template)."""
import collections
import json

from notebook import ROOT, load_script, profiles_table

DATA = ROOT / "data" / "cnn_dailymail"


def _make_articles():
    return load_script("make_articles")


def _rows(name):
    return [json.loads(line) for line in (DATA / name).read_text().splitlines()]


def test_committed_articles_equal_what_the_script_writes():
    """Byte for byte: regenerating with the seeded script changes nothing (so the data can be reproduced and
    nobody edited the files by hand)."""
    script = _make_articles()
    train, heldout = script.build()
    assert (DATA / script.FILES["train"]).read_text() == script.render(train)
    assert (DATA / script.FILES["heldout"]).read_text() == script.render(heldout)
    assert (DATA / "README.md").read_text() == script.README


def test_heldout_topics_never_occur_in_training():
    """Every row names its topic; the two files' topic sets are disjoint; each file's topics are balanced (counts
    differ by at most one); ids are unique across files."""
    train, heldout = _rows(_make_articles().FILES["train"]), _rows(_make_articles().FILES["heldout"])
    for rows in (train, heldout):
        assert all(set(row) == {"id", "topic", "article", "highlights"} for row in rows)
        counts = collections.Counter(row["topic"] for row in rows).values()
        assert max(counts) - min(counts) <= 1
    train_topics, heldout_topics = {r["topic"] for r in train}, {r["topic"] for r in heldout}
    assert not train_topics & heldout_topics
    assert len(train_topics) >= 5 and len(heldout_topics) >= 3
    assert not {r["id"] for r in train} & {r["id"] for r in heldout}


def test_articles_cover_what_the_offline_profile_samples():
    """The files hold at least as many training and held-out articles as the offline profile draws
    (n_train_articles, n_eval_articles of the notebook's profiles table), and the profile reads these files."""
    profile, files = profiles_table()["offline"], _make_articles().FILES
    assert profile["articles"][0] == "data/cnn_dailymail"
    assert len(_rows(files["train"])) >= profile["n_train_articles"]
    assert len(_rows(files["heldout"])) >= profile["n_eval_articles"]
