"""The PDQ index returns exactly what brute force returns."""

from __future__ import annotations

import numpy as np
import pytest

from seawall.matching.pdq_index import PdqIndex, brute_force, hex_to_words, words_to_hex
from tests.datafiles import data_path

HASHLISTS = data_path("pdq", "hashlists")


def rand(rng, n):
    return rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)


def flip(rows, k, rng):
    out = rows.copy()
    for i in range(len(out)):
        for b in rng.choice(256, int(k[i]), replace=False):
            out[i, b // 64] ^= np.uint64(1) << np.uint64(b % 64)
    return out


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("radius", [0, 11, 31, 40])
def test_random_banks_equal_brute_force(seed, radius):
    rng = np.random.default_rng(seed)
    bank = rand(rng, 3000)
    near = flip(bank[rng.integers(0, 3000, 300)], rng.integers(0, 48, 300), rng)
    queries = np.vstack([near, rand(rng, 100)])
    index = PdqIndex.build(bank, force_tables=True)
    assert same(index.search(queries, radius), brute_force(bank, queries, radius))


def test_clustered_bank_with_duplicates():
    rng = np.random.default_rng(9)
    centres = rand(rng, 50)
    bank = flip(centres[rng.integers(0, 50, 2000)], rng.integers(0, 20, 2000), rng)
    bank = np.vstack([bank, bank[:100]])  # exact duplicates: each is reported
    queries = flip(centres, rng.integers(0, 30, 50), rng)
    index = PdqIndex.build(bank, force_tables=True)
    got = index.search(queries, 31)
    assert same(got, brute_force(bank, queries, 31))
    assert len(got[0]) > 1000


@pytest.mark.parametrize("n", [0, 1, 2])
@pytest.mark.parametrize("tables", [True, False])
def test_tiny_banks(n, tables):
    rng = np.random.default_rng(n)
    bank = rand(rng, n)
    queries = np.vstack([bank, flip(bank, [31] * n, rng), flip(bank, [32] * n, rng),
                         rand(rng, 3)])
    index = PdqIndex.build(bank, force_tables=tables)
    got = index.search(queries, 31)
    assert same(got, brute_force(bank, queries, 31))
    assert len(got[0]) == 2 * n  # the hash itself and the 31-bit copy; not the 32-bit one


def test_malformed_entries_skip_or_raise():
    rng = np.random.default_rng(1)
    good = words_to_hex(rand(rng, 10))
    entries = [good[0], "00" * 16, good[1], "zz" * 32, None, good[2].upper(), *good[3:]]
    with pytest.raises(ValueError, match="entry 1"):
        PdqIndex.from_hex(entries)
    index, where = PdqIndex.from_hex(entries, on_error="skip", force_tables=True)
    assert where == [0, 2, 5, 6, 7, 8, 9, 10, 11, 12]
    bank = hex_to_words([e.lower() for e in entries if e and len(e) == 64 and "z" not in e])
    q = hex_to_words(good)
    assert same(index.search(q, 31), brute_force(bank, q, 31))


def test_save_load_mmap_roundtrip(tmp_path):
    rng = np.random.default_rng(3)
    bank = rand(rng, 25000)  # over the brute-force threshold: real tables
    index = PdqIndex.build(bank)
    assert index.has_tables
    index.save(tmp_path / "ix")
    loaded = PdqIndex.load(tmp_path / "ix")
    assert isinstance(loaded.hashes, np.memmap)
    q = flip(bank[:200], rng.integers(0, 40, 200), rng)
    assert same(loaded.search(q, 31), brute_force(bank, q, 31))
    (tmp_path / "ix" / "meta.json").write_text('{"format": "other", "version": 1}')
    with pytest.raises(ValueError, match="not a seawall-pdq-mih"):
        PdqIndex.load(tmp_path / "ix")


def test_upstream_needles_and_haystack():
    hay = hex_to_words(HASHLISTS.joinpath("haystack.txt").read_text().split())
    needles = hex_to_words(HASHLISTS.joinpath("needles.txt").read_text().split())
    index = PdqIndex.build(hay, force_tables=True)
    for radius in (0, 31, 63):
        assert same(index.search(needles, radius), brute_force(hay, needles, radius))


def test_huge_family_is_searched_in_bounded_groups(monkeypatch):
    import seawall.matching.pdq_index as pdq_index

    rng = np.random.default_rng(4)
    one = rand(rng, 1)
    bank = np.vstack([np.repeat(one, 5000, axis=0), rand(rng, 2000)])
    monkeypatch.setattr(pdq_index, "CANDIDATE_CAP", 1000)
    index = PdqIndex.build(bank, force_tables=True)
    q = np.vstack([one, flip(one, [20], rng), bank[-3:]])
    got = index.search(q, 31)
    assert same(got, brute_force(bank, q, 31)) and len(got[0]) == 10003
