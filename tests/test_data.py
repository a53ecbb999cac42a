"""The committed offline data: the articles are what the committed script writes, and the held-out articles come
from topics that the training articles never contain (issue: a student must not score by learning a topic's
template)."""
import collections
import json

from notebook import ROOT, load_script

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
    """The offline profile draws 100 training and 20 held-out articles; the files must hold at least that many."""
    files = _make_articles().FILES
    assert len(_rows(files["train"])) >= 100 and len(_rows(files["heldout"])) >= 20
