"""match_case / file_results / case_counts end to end on a real SQLite database."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from seawall.hashsets.service import import_hashset, remove_set
from seawall.matching import FileVerdict, SetMatch
from seawall.matching.counts import case_counts
from seawall.matching.pdq_index import words_to_hex
from seawall.matching.service import file_results, has_hashsets, match_case
from seawall.store.grading_models import FinalGrade
from seawall.store.models import Case, Exhibit, FileRecord, VideoFrame
from tests.datafiles import data_path
from tests.hashsets.conftest import make_rds, write_vics

VPDQ = data_path("vpdq", "expected")


def digest(name: str, algo: str = "md5") -> str:
    return hashlib.new(algo, name.encode()).hexdigest()


def flipped(hex_hash: str, bits: list[int]) -> str:
    v = int(hex_hash, 16)
    for b in bits:
        v ^= 1 << b
    return f"{v:064x}"


class World:
    """A case with two exhibits and a handful of benign synthetic file records."""

    def __init__(self, session, scheme="uk"):
        self.s = session
        self.case = Case(reference="OP-1", scheme=scheme)
        session.add(self.case)
        self.ex = {ref: Exhibit(case=self.case, reference=ref, source_kind="folder")
                   for ref in ("EX-1", "EX-2")}
        session.add_all(self.ex.values())
        session.flush()
        self.n = 0

    def file(self, exhibit="EX-1", name=None, media="image", pdq=None, quality=100,
             dihedral=None, frames=None):
        self.n += 1
        name = name or f"f{self.n}"
        rec = FileRecord(exhibit=self.ex[exhibit], file_key=f"k{self.n}", path=f"/{name}",
                         md5=digest(name), sha1=digest(name, "sha1"),
                         sha256=digest(name, "sha256"), media_class=media, pdq=pdq,
                         pdq_quality=quality if pdq else None,
                         pdq_dihedral=" ".join(dihedral) if dihedral else None)
        self.s.add(rec)
        self.s.flush()
        for i, (h, q) in enumerate(frames or []):
            self.s.add(VideoFrame(file_id=rec.id, frame_number=i, timestamp=i / 30, pdq=h,
                                  quality=q))
        self.s.flush()
        return rec


def test_exact_pdq_dihedral_quality_and_policy(session, tmp_path):
    rng = np.random.default_rng(5)
    bank = words_to_hex(rng.integers(0, 2**64, size=(5, 4), dtype=np.uint64))
    w = World(session)
    a = w.file(name="cat-a")
    b = w.file(name="cat-b-and-benign")
    benign = w.file(name="nsrl-only")
    unknown = w.file(name="nobody-knows")
    near = w.file(name="near", pdq=flipped(bank[0], [1, 70, 200]))
    rot = w.file(name="rotated", pdq="ab" * 32,
                 dihedral=["ab" * 32, "cd" * 32, flipped(bank[1], list(range(31))), *["ef" * 32]
                           * 5])
    lowq = w.file(name="flat", pdq=bank[2], quality=49)
    far = w.file(name="far", pdq=flipped(bank[3], list(range(32))))
    session.commit()
    assert not has_hashsets(session)

    write_vics(tmp_path / "caid.json", [
        {"Category": 1, "MD5": a.md5.upper()},
        {"Category": 2, "MD5": b.md5},
        {"Category": 4, "SHA1": digest("nsrl-only", "sha1")}])
    import_hashset(session, tmp_path / "caid.json", "vics", "caid")
    make_rds(tmp_path / "rds.db", [(b.sha256.upper(), None, None),
                                   (benign.sha256.upper(), None, None)])
    import_hashset(session, tmp_path / "rds.db", "nsrl", "nsrl")
    (tmp_path / "bank.txt").write_text(
        f"{bank[0]},C\n{bank[1]},B\n{bank[2]},A\n{bank[3]},A\n")
    import_hashset(session, tmp_path / "bank.txt", "pdq", "pdqbank")
    assert has_hashsets(session)

    summary = match_case(session, "OP-1")
    session.commit()
    assert summary["files"] == 8
    assert summary["matches"] == {"md5": 2, "sha1": 1, "sha256": 2, "pdq": 2}
    assert {s["set"] for s in summary["sets"]} == {"caid", "nsrl", "pdqbank"}

    res = file_results(session, [a.id, b.id, benign.id, unknown.id, near.id, rot.id, lowq.id,
                                 far.id])
    assert res[a.id].as_dict() == {"category": "A", "known_benign": False, "matches": [
        {"set": "caid", "version": 1, "kind": "md5", "distance": 0, "category": "A"}]}
    # Most severe trusted match wins; an NSRL hit never hides a graded one.
    assert res[b.id].category == "B" and not res[b.id].known_benign
    assert [m.set for m in res[b.id].matches] == ["nsrl", "caid"]
    assert res[benign.id].as_dict() == {
        "category": "not_indecent", "known_benign": True, "matches": [
        {"set": "nsrl", "version": 1, "kind": "sha256", "distance": 0,
         "category": "known_benign"},
        {"set": "caid", "version": 1, "kind": "sha1", "distance": 0,
         "category": "not_indecent"}]}
    assert res[unknown.id] == FileVerdict(category=None, known_benign=False, matches=())
    assert res[near.id].matches == (SetMatch(set="pdqbank", version=1, kind="pdq",
                                             distance=3, category="C"),)
    assert res[rot.id].category == "B" and res[rot.id].matches[0].distance == 31
    assert res[lowq.id].matches == ()  # quality 49: never PDQ-matched
    assert res[far.id].matches == ()  # 32 bits: outside the radius

    # A new version: matches name it after re-matching; old matches named the old one.
    (tmp_path / "bank.txt").write_text(f"{bank[0]},A\n")
    import_hashset(session, tmp_path / "bank.txt", "pdq", "pdqbank")
    assert file_results(session, [near.id])[near.id].matches[0].version == 1
    match_case(session, "OP-1", radius=2)
    session.commit()
    assert file_results(session, [near.id])[near.id].matches == ()
    match_case(session, "OP-1")
    session.commit()
    got = file_results(session, [near.id])[near.id]
    assert got.category == "A" and got.matches[0].version == 2

    assert remove_set(session, "caid")
    session.commit()
    assert file_results(session, [a.id])[a.id].matches == ()


def test_local_grade_untrusted_and_foreign_scheme(session, tmp_path):
    w = World(session)
    f1, f2, f3 = w.file(name="one"), w.file(name="two"), w.file(name="three")
    session.commit()
    (tmp_path / "l1.txt").write_text(f"{f1.md5}\n{f2.md5}\n")
    import_hashset(session, tmp_path / "l1.txt", "hashlist", "untrusted-a", category="A",
                   trusted=False)
    (tmp_path / "l2.txt").write_text(f"{f3.md5}\n")
    import_hashset(session, tmp_path / "l2.txt", "hashlist", "us", category="CAM",
                   scheme="vics-us")
    match_case(session, "OP-1")
    session.commit()
    res = file_results(session, [f1.id, f2.id, f3.id])
    assert res[f1.id].category is None and res[f1.id].matches[0].indicative
    assert res[f3.id].category is None and not res[f3.id].known_benign
    assert res[f3.id].matches[0].category == "CAM"

    # A final local grade (dual grading) overrides; a provider is asked per case.
    calls = []

    def provider(sess, ref):
        calls.append(ref)
        return {f1.id: "C", f2.id: "N"}

    res = file_results(session, [f1.id, f2.id], local_grades=provider)
    assert calls == ["OP-1"]
    assert res[f1.id].category == "C" and res[f1.id].local_grade == "C"
    assert res[f2.id].category == "not_indecent" and res[f2.id].known_benign
    assert case_counts(session, "OP-1", provider)["total"]["C"]["still"] == 1

    # By default the final grades come from the store (what grading settled).
    assert case_counts(session, "OP-1")["total"]["C"]["still"] == 0
    session.add(FinalGrade(case_id=f1.exhibit.case_id, file_id=f1.id, category="C",
                           method="consensus", decided_by="alice,bob"))
    session.commit()
    assert file_results(session, [f1.id])[f1.id].local_grade == "C"
    assert case_counts(session, "OP-1")["total"]["C"]["still"] == 1


def test_counts_shape_distinct_across_exhibits_and_vpdq(session, tmp_path):
    w = World(session)
    a1 = w.file("EX-1", name="same-a")
    w.file("EX-1", name="same-a")  # same content twice in one exhibit
    w.file("EX-2", name="same-a")  # and again on another exhibit
    w.file("EX-2", name="benign")
    w.file("EX-2", name="unknown-still")
    w.file("EX-2", name="doc", media="other")  # not media: never counted
    frames = []
    for line in (VPDQ / "chair-19-sd-bar.txt").read_text().split():
        _, q, h, _ = line.split(",")
        frames.append((h, int(q)))
    vid = w.file("EX-1", name="clip", media="video", frames=frames)
    w.file("EX-1", name="unknown-video", media="video")
    session.commit()
    (tmp_path / "a.txt").write_text(f"{a1.md5}\n")
    import_hashset(session, tmp_path / "a.txt", "hashlist", "a", category="A")
    (tmp_path / "b.txt").write_text(f"{digest('benign')}\n")
    import_hashset(session, tmp_path / "b.txt", "hashlist", "b", category="known_benign")
    import_hashset(session, VPDQ / "chair-22-sd-sepia-bar.txt", "vpdq", "videos", category="B")
    import_hashset(session, VPDQ / "chair-22-with-large-logo-bar.txt", "vpdq", "logo",
                   category="A")
    summary = match_case(session, "OP-1")
    session.commit()
    counts = case_counts(session, "OP-1")
    cols = ["A", "B", "C", "uncategorised", "not_indecent", "known_benign", "unknown"]
    assert counts["case"] == "OP-1" and counts["scheme"] == "uk"
    assert list(counts["total"]) == cols and list(counts["exhibits"]) == ["EX-1", "EX-2"]
    assert all(set(v) == {"still", "moving"} for v in counts["total"].values())
    assert counts["exhibits"]["EX-1"]["A"] == {"still": 1, "moving": 0}
    assert counts["exhibits"]["EX-2"]["A"] == {"still": 1, "moving": 0}
    assert counts["total"]["A"] == {"still": 1, "moving": 0}  # distinct by hash
    assert counts["total"]["known_benign"] == {"still": 1, "moving": 0}
    assert counts["total"]["unknown"]["still"] == 1
    if frames:
        assert summary["matches"]["vpdq"] == 1  # the sepia copy, not the logo-bar one
        m = [x.as_dict() for x in file_results(session, [vid.id])[vid.id].matches]
        assert m == [{"set": "videos", "version": 1, "kind": "vpdq", "distance": None,
                      "category": "B", "query_pct": 100.0, "compared_pct": 85.82}]
        assert counts["total"]["B"] == {"still": 0, "moving": 1}
        assert counts["total"]["unknown"]["moving"] == 1


def test_large_bank_uses_cached_disk_index(session, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAWALL_INDEX_DIR", str(tmp_path / "idx"))
    rng = np.random.default_rng(2)
    bank = words_to_hex(rng.integers(0, 2**64, size=(21000, 4), dtype=np.uint64))
    (tmp_path / "bank.txt").write_text("\n".join(bank) + "\n")
    import_hashset(session, tmp_path / "bank.txt", "pdq", "big", category="C")
    w = World(session)
    f = w.file(name="x", pdq=flipped(bank[12345], [0, 1, 2]))
    session.commit()
    match_case(session, "OP-1")
    assert any(p.name.startswith("pdq-v") for p in (tmp_path / "idx").iterdir())
    match_case(session, "OP-1")  # second run loads the memory-mapped copy
    session.commit()
    assert file_results(session, [f.id])[f.id].matches[0].distance == 3


def test_unknown_case(session):
    with pytest.raises(LookupError):
        match_case(session, "nope")
    with pytest.raises(LookupError):
        case_counts(session, "nope")
