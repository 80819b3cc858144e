"""The on-disk PDQ index cache must never hand back another set's entry ids."""

from __future__ import annotations

import numpy as np

from seawall.hashsets.service import import_hashset, remove_set
from seawall.matching.pdq_index import BRUTE_FORCE_BELOW, words_to_hex
from seawall.matching.service import file_results, match_case
from seawall.store.models import Case, Exhibit, FileRecord


def test_cached_index_is_not_reused_when_version_ids_are_reused(session, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAWALL_INDEX_DIR", str(tmp_path / "idx"))
    rng = np.random.default_rng(7)
    bank = sorted(words_to_hex(rng.integers(0, 2**64, size=(BRUTE_FORCE_BELOW + 500, 4),
                                            dtype=np.uint64)))
    # Entries are stored in hash order, so with a sorted bank and alternating categories an
    # entry id off by an odd amount names the wrong category.
    (tmp_path / "bank.txt").write_text(
        "".join(f"{h},{'A' if i % 2 else 'C'}\n" for i, h in enumerate(bank)))
    case = Case(reference="OP-1", scheme="uk")
    exhibit = Exhibit(case=case, reference="EX-1", source_kind="folder")
    session.add_all([case, exhibit])
    rec = FileRecord(exhibit=exhibit, file_key="k", path="/x", md5="ab" * 16, sha1="ab" * 20,
                     sha256="ab" * 32, media_class="image", pdq=bank[1001], pdq_quality=100)
    session.add(rec)
    session.commit()

    def load(small: int) -> None:
        (tmp_path / "small.txt").write_text("".join(f"{i:032x}\n" for i in range(1, small + 1)))
        import_hashset(session, tmp_path / "small.txt", "hashlist", "small", category="B")
        import_hashset(session, tmp_path / "bank.txt", "pdq", "big")
        match_case(session, "OP-1")
        session.commit()

    load(10)  # caches the index of "big" (version id 2) on disk
    assert file_results(session, [rec.id])[rec.id].category == "A"
    remove_set(session, "big")
    remove_set(session, "small")
    session.commit()
    load(51)  # SQLite hands out version id 2 again; the entry ids move by 41
    result = file_results(session, [rec.id])[rec.id]
    assert result.category == "A"
    assert [(m.set, m.distance, m.category) for m in result.matches] == [
        ("big", 0, "A")]


def test_cached_index_naming_other_entries_is_rebuilt(session, tmp_path, monkeypatch):
    """Defence in depth behind the cache key: a cached index whose rows name entries that
    are not this version's (same hashes) is rebuilt, not trusted."""
    from seawall.matching import service

    monkeypatch.setenv("SEAWALL_INDEX_DIR", str(tmp_path / "idx"))
    rng = np.random.default_rng(3)
    bank = sorted(words_to_hex(rng.integers(0, 2**64, size=(BRUTE_FORCE_BELOW + 10, 4),
                                            dtype=np.uint64)))
    (tmp_path / "bank.txt").write_text("".join(f"{h},A\n" for h in bank))
    version = import_hashset(session, tmp_path / "bank.txt", "pdq", "big")
    session.commit()
    index, ids = service._load_pdq_index(session, version)  # builds and caches
    path = service._index_path(session, version)
    np.save(path / "entry_ids.npy", np.asarray(ids) + 1)  # now names the neighbours
    assert not service._cache_fits(session, version, index, np.load(path / "entry_ids.npy"))
    _, reloaded = service._load_pdq_index(session, version)
    assert np.array_equal(np.asarray(reloaded), np.asarray(ids))
