"""Bank controls: a PDQ distance per set version, and negative sets (known false positives)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from seawall.hashsets.base import ImportFailed
from seawall.hashsets.service import import_hashset, list_sets
from seawall.matching.pdq_index import words_to_hex
from seawall.matching.service import file_results, held_entries, match_case
from seawall.reports.model import build_report
from seawall.reports.service import drill_rows
from tests.matching.test_service import World, flipped


@pytest.fixture()
def bank():
    return words_to_hex(np.random.default_rng(15).integers(0, 2**64, size=(3, 4),
                                                           dtype=np.uint64))


def test_pdq_distance_is_stored_per_version_and_used_by_matching(session, tmp_path, bank):
    w = World(session)
    at_20 = w.file(name="twenty-bits", pdq=flipped(bank[0], list(range(20))))
    at_8 = w.file(name="eight-bits", pdq=flipped(bank[1], list(range(8))))
    session.commit()
    (tmp_path / "strict.txt").write_text(f"{bank[0]},A\n{bank[1]},B\n")
    version = import_hashset(session, tmp_path / "strict.txt", "pdq", "strict", pdq_distance=10)
    assert version.pdq_distance == 10
    (tmp_path / "loose.txt").write_text(f"{bank[0]},C\n")
    import_hashset(session, tmp_path / "loose.txt", "pdq", "loose")  # default 31
    summary = match_case(session, "OP-1")
    session.commit()
    assert {s["set"]: s["pdq_distance"] for s in summary["sets"]} == {"strict": 10, "loose": 31}
    got = file_results(session, [at_20.id, at_8.id])
    # 20 bits: beyond "strict"'s 10 (its A does not count), within "loose"'s 31.
    assert [(m.set, m.distance) for m in got[at_20.id].matches] == [("loose", 20)]
    assert got[at_20.id].category == "C"
    assert got[at_8.id].category == "B"
    assert match_case(session, "OP-1", radius=25)["radius"] == 25  # an explicit override
    assert {s["name"]: s["pdq_distance"] for s in list_sets(session)} == {"strict": 10,
                                                                          "loose": 31}
    hash_sets = {h["set"]: h for h in build_report(session, "OP-1")["hash_sets"]}
    assert (hash_sets["strict"]["pdq_distance"], hash_sets["loose"]["pdq_distance"]) == (10, 31)
    with pytest.raises(ImportFailed, match="--pdq-distance: 256 is not between 0 and 255"):
        import_hashset(session, tmp_path / "loose.txt", "pdq", "loose", pdq_distance=256)


def test_negative_set_stops_pdq_categorisation_but_not_exact(session, tmp_path, bank):
    w = World(session)
    flat = w.file(name="flat-blue", pdq=flipped(bank[0], [3]))
    flat_exact = w.file(name="flat-and-known", pdq=flipped(bank[0], [4, 5]))
    normal = w.file(name="normal", pdq=flipped(bank[1], [1]))
    session.commit()
    (tmp_path / "bank.txt").write_text(f"{bank[0]},A\n{bank[1]},B\n")
    import_hashset(session, tmp_path / "bank.txt", "pdq", "partner")
    (tmp_path / "known.txt").write_text(f"{flat_exact.md5}\n")
    import_hashset(session, tmp_path / "known.txt", "hashlist", "exact", category="C")
    (tmp_path / "flat.txt").write_text(f"{flipped(bank[0], [3, 9])}\n")
    version = import_hashset(session, tmp_path / "flat.txt", "pdq", "flat", role="negative",
                             pdq_distance=4)  # no --category needed
    assert version.role == "negative"
    match_case(session, "OP-1")
    session.commit()
    got = file_results(session, [flat.id, flat_exact.id, normal.id])
    # flat-blue: 1 bit from the negative entry, so partner's PDQ A does not count.
    assert got[flat.id].category is None and not got[flat.id].known_benign
    assert {m.set: m.excluded is not None and m.indicative
            for m in got[flat.id].matches} == {"flat": True, "partner": True}
    # flat-and-known: 4 bits from the negative entry (within its 4); its exact C counts.
    assert got[flat_exact.id].category == "C"
    assert got[normal.id].category == "B"

    report = build_report(session, "OP-1")
    by_path = {f["full_path"]: f for f in report["files"]}
    notes = by_path["/flat-blue"]["basis"]["notes"]
    assert "partner v1 pdq: PDQ match not counted: the file matches negative set flat v1" in notes
    assert any(n.startswith("flat v1 pdq: negative set") for n in notes)
    assert by_path["/flat-blue"]["category"] == "unknown"
    assert by_path["/flat-and-known"]["basis"]["method"] == "exact"
    assert {h["set"]: h["role"] for h in report["hash_sets"]} == {
        "partner": "positive", "exact": "positive", "flat": "negative"}
    rows = {r["full_path"]: r for r in drill_rows(report)}
    assert "negative set flat v1" in rows["/flat-blue"]["notes"]
    with pytest.raises(ImportFailed, match="--role: 'neutral' is not one of positive, negative"):
        import_hashset(session, tmp_path / "flat.txt", "pdq", "flat", role="neutral")


def seawall(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seawall", *map(str, args)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "250"})


def test_cli_import_with_distance_and_role_and_list(db_url, tmp_path, bank):
    (tmp_path / "flat.txt").write_text(f"{bank[0]}\n")
    run = seawall("hashset", "import", tmp_path / "flat.txt", "--format", "pdq", "--name",
                  "flat", "--role", "negative", "--pdq-distance", "12", "--db", db_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "PDQ distance 12; role negative" in run.stdout + run.stderr
    [listed] = json.loads(seawall("hashset", "list", "--format", "json", "--db", db_url).stdout)
    assert (listed["pdq_distance"], listed["role"]) == (12, "negative")
    listing = seawall("hashset", "list", "--db", db_url)
    table = listing.stdout + listing.stderr
    assert "negative" in table and "12" in table
    run = seawall("hashset", "import", tmp_path / "flat.txt", "--format", "pdq", "--name",
                  "flat", "--pdq-distance", "300", "--category", "A", "--db", db_url)
    assert run.returncode != 0


def test_flood_entry_is_held_for_review_not_counted(session, tmp_path, bank):
    w = World(session)
    flat = [w.file(name=f"flat-{i}", pdq=flipped(bank[0], [i])) for i in range(4)]
    fine = [w.file(name=f"fine-{i}", pdq=flipped(bank[1], [i])) for i in range(3)]
    session.commit()
    (tmp_path / "bank.txt").write_text(f"{bank[0]},A\n{bank[1]},B\n")
    import_hashset(session, tmp_path / "bank.txt", "pdq", "partner")
    summary = match_case(session, "OP-1", flood_limit=3)
    session.commit()
    # bank[0] matched 4 distinct files (> 3): held; bank[1] matched 3: counts.
    assert [(h["set"], h["category"], h["files"]) for h in summary["held"]] == [
        ("partner", "A", 4)]
    got = file_results(session, [r.id for r in flat + fine])
    assert all(got[r.id].category is None for r in flat)
    assert all(got[r.id].category == "B" for r in fine)
    assert "held for review" in (got[flat[0].id].matches[0].excluded or "")
    assert held_entries(session, "OP-1") == [{
        "set": "partner", "version": 1, "entry_id": summary["held"][0]["entry_id"],
        "pdq": bank[0], "category": "A", "files": 4}]
    notes = {f["full_path"]: f["basis"]["notes"] for f in build_report(session, "OP-1")["files"]}
    assert any("held for review" in n for n in notes["/flat-0"])
    assert match_case(session, "OP-1")["held"] == []  # default limit 50
    session.commit()
    assert held_entries(session, "OP-1") == []


def test_cli_flood_limit_and_held_listing(db_url, session, tmp_path, bank):
    w = World(session)
    for i in range(3):
        w.file(name=f"flat-{i}", pdq=flipped(bank[0], [i]))
    session.commit()
    (tmp_path / "bank.txt").write_text(f"{bank[0]},A\n")
    seawall("hashset", "import", tmp_path / "bank.txt", "--format", "pdq", "--name", "p",
            "--db", db_url)
    run = seawall("match", "--case", "OP-1", "--flood-limit", "2", "--db", db_url)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "held for review: p v1" in run.stdout + run.stderr
    [held] = json.loads(seawall("hashset", "held", "--case", "OP-1", "--format", "json",
                                "--db", db_url).stdout)
    assert (held["set"], held["pdq"], held["files"]) == ("p", bank[0], 3)


def test_trust_is_recorded_per_version(session, tmp_path, bank):
    w = World(session)
    known = w.file(name="known")
    session.commit()
    (tmp_path / "v1.txt").write_text(f"{known.md5}\n")
    import_hashset(session, tmp_path / "v1.txt", "hashlist", "partner", category="A")
    match_case(session, "OP-1")
    session.commit()
    (tmp_path / "v2.txt").write_text(f"{known.md5}\n{bank[0][:32]}\n")
    import_hashset(session, tmp_path / "v2.txt", "hashlist", "partner", category="A",
                   trusted=False)
    # Not re-matched: the match names version 1, imported trusted, and still decides.
    assert file_results(session, [known.id])[known.id].category == "A"
    report = build_report(session, "OP-1")
    assert [(h["version"], h["trusted"]) for h in report["hash_sets"]] == [(1, True),
                                                                            (2, False)]
    match_case(session, "OP-1")
    session.commit()
    verdict = file_results(session, [known.id])[known.id]
    assert verdict.category is None and verdict.matches[0].indicative
    assert [(h["version"], h["trusted"]) for h in build_report(session, "OP-1")["hash_sets"]
            ] == [(2, False)]
