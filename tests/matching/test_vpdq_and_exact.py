from __future__ import annotations

import numpy as np
import pytest

from seawall.matching.exact_index import ExactIndex
from seawall.matching.vpdq import VideoBank, VpdqPolicy, match_percent, unique_frames
from tests.datafiles import data_path


def load(name):
    frames = []
    for line in data_path("vpdq", "expected", name).read_text().split():
        _, q, h, _ = line.split(",")
        frames.append((bytes.fromhex(h), int(q)))
    return unique_frames(frames)


@pytest.mark.parametrize("query, compared, qpct, cpct", [
    ("chair-19-sd-bar.txt", "chair-22-sd-sepia-bar.txt", 100.0, 85.82),
    ("chair-19-sd-bar.txt", "chair-22-with-large-logo-bar.txt", 10.5, 10.58),
    ("chair-19-sd-bar.txt", "chair-20-sd-bar.txt", 100.0, 92.76),
    ("chair-orig-22-sd-bar.txt", "chair-22-sd-sepia-bar.txt", 100.0, 100.0),
])
def test_readme_chair_percentages(query, compared, qpct, cpct):
    """The figures in tests/data/README.md (vPDQ), by brute force and by the index."""
    q, c = load(query), load(compared)
    got = match_percent(q, c)
    assert round(got[0], 1) == round(qpct, 1) and round(got[1], 2) == cpct
    bank = VideoBank([load("doorknob-hd-no-bar.txt"), c])
    assert bank.match(q)[1] == pytest.approx(got)


def test_threshold_side_is_the_seized_video():
    policy = VpdqPolicy()
    assert policy.accepts(100.0, 10.0)  # a clip of a known video: matches
    assert not policy.accepts(10.5, 10.58)  # the logo-bar chair: no match
    assert VpdqPolicy(query_pct=0, compared_pct=80).accepts(10.0, 85.0)


def test_exact_index_lookup_and_prefix_collisions(tmp_path):
    rng = np.random.default_rng(0)
    digests = rng.integers(0, 256, size=(5000, 16), dtype=np.uint8)
    digests[1, :8] = digests[0, :8]
    digests[2, :8] = digests[0, :8]  # three digests share a 64-bit prefix
    index = ExactIndex.build(digests)
    index.save(tmp_path / "ex")
    loaded = ExactIndex.load(tmp_path / "ex")
    queries = np.vstack([digests[[2, 0, 1, 4999]], rng.integers(0, 256, (50, 16), np.uint8)])
    queries[-1, :8] = digests[0, :8]  # shares the prefix, differs after it
    got = loaded.lookup(queries)
    assert got[:4].tolist() == [2, 0, 1, 4999]
    assert (got[4:] == -1).all()
    assert ExactIndex.build(digests[:0]).lookup(queries).tolist() == [-1] * len(queries)
