"""Streaming, transactional, versioned imports of every format, and their error reports."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from seawall.hashsets.base import ImportFailed
from seawall.hashsets.service import import_hashset, list_sets, remove_set
from seawall.store.hashset_models import HashEntry, HashSet, HashSetVersion
from tests.datafiles import data_path
from tests.hashsets.conftest import (
    CTX_US,
    MD5_A,
    SHA1_A,
    make_rds,
    md5n,
    write_vics,
)


def entries(session, name):
    hs = session.scalar(select(HashSet).where(HashSet.name == name))
    rows = session.execute(select(HashEntry.kind, HashEntry.value, HashEntry.category)
                           .where(HashEntry.version_id == hs.current_version_id)).all()
    return {(k, v.hex()): c for k, v, c in rows}


# -- VICS ---------------------------------------------------------------------------------

def test_vics_20_uk_hash_set(session, tmp_path):
    path = write_vics(tmp_path / "uk.json", [
        {"MediaID": 1, "Category": 1, "MD5": MD5_A.upper(), "SHA1": SHA1_A.upper(),
         "IsPrecategorized": "true"},
        {"MediaID": 2, "Category": 2, "MD5": md5n(2)},
        {"MediaID": 3, "Category": 3, "MD5": md5n(3)},
        {"MediaID": 4, "Category": 4, "MD5": md5n(4)},
        {"MediaID": 5, "Category": 0, "MD5": md5n(5)},
        {"MediaID": 6, "Category": None, "MD5": md5n(6)},
        {"MediaID": 7, "MD5": md5n(7), "AlternativeHashes": [
            {"HashName": "SHA256", "HashValue": "ab" * 32}, {"HashName": "PhotoDNA",
                                                             "HashValue": "x"}]},
    ], indent=1)
    v = import_hashset(session, path, "vics", "caid")
    assert v.scheme == "uk" and v.version == 1 and v.rows_read == 7
    assert v.format_detail["dialect"] == "UK" and v.format_detail["data_model"] == "2.0"
    assert v.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    got = entries(session, "caid")
    assert got[("md5", MD5_A)] == "A" and got[("sha1", SHA1_A)] == "A"
    assert [got[("md5", md5n(i))] for i in (2, 3, 4, 5, 6, 7)] == [
        "B", "C", "not_indecent", "uncategorised", "uncategorised", "uncategorised"]
    assert got[("sha256", "ab" * 32)] == "uncategorised"
    assert any("assumption" in w for w in v.warnings)


def test_vics_1x_and_us_dialect_and_cases_shape(session, tmp_path):
    p1 = write_vics(tmp_path / "v1.json", [{"MediaID": "1", "Category": "1", "MD5": md5n(1)}],
                    "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media",
                    key="odata.metadata")
    v = import_hashset(session, p1, "vics", "pv13")
    assert v.scheme == "vics-us" and v.format_detail["dialect"] == "1.x"
    assert entries(session, "pv13") == {("md5", md5n(1)): "CAM"}

    cases = {"@odata.context": CTX_US.replace("#Media", "#Cases"), "value": [
        {"CaseID": "{1}", "CaseNumber": "T-1", "Media": [
            {"MediaID": 1, "Category": 5, "MD5": md5n(10)},
            {"MediaID": 2, "Category": 2, "MD5": md5n(11)}]},
        {"CaseID": "{2}", "Media": [{"MediaID": 3, "Category": 3, "MD5": md5n(12)}]}]}
    p2 = tmp_path / "cases.json"
    p2.write_text("\ufeff" + json.dumps(cases))  # with a UTF-8 BOM, as seen in the wild
    v = import_hashset(session, p2, "vics", "us-cases")
    assert v.rows_read == 3
    assert entries(session, "us-cases") == {("md5", md5n(10)): "non_pertinent",
                                            ("md5", md5n(11)): "CEM", ("md5", md5n(12)): "CGI"}


def test_vics_scheme_file_overrides_uk_codes(session, tmp_path):
    from seawall.hashsets.scheme import load_scheme

    text = load_scheme("uk").toml_text.replace('"1" = "A", "2" = "B"', '"1" = "B", "2" = "A"')
    (tmp_path / "force.toml").write_text(text)
    path = write_vics(tmp_path / "uk.json", [{"Category": 1, "MD5": md5n(1)}])
    import_hashset(session, path, "vics", "caid", scheme_path=tmp_path / "force.toml")
    assert entries(session, "caid") == {("md5", md5n(1)): "B"}


@pytest.mark.parametrize("body, where, message", [
    ('{"@odata.context": "%s", "value": [{"MD5": "%s", "Category": 1},, ]}',
     "line 1, column", "malformed JSON"),
    ('{"@odata.context": "%s", "value": [{"MD5": "%s", "Category": 1}\n',
     "line 2", "end of file"),
    ('{"@odata.context": "%s",\n "value": [\n {"MD5": "%s", "Category": 1},\n {"MD5": 5}]}',
     "record 2 (line 4)", "MD5: expected a hex string"),
    ('{"@odata.context": "%s", "value": [{"MD5": "%s", "Category": 1}, {"Category": 2}]}',
     "record 2", "no MD5, SHA1 or SHA256"),
    ('{"@odata.context": "%s", "value": [{"MD5": "%s", "Category": "A"}]}',
     "record 1", "Category must be an integer"),
    ('{"@odata.context": "%s", "value": [{"MD5": "%s"}, {"MD5": "abc"}]}',
     "record 2", "has 3 hex digits"),
    ('{"@odata.context": "%s", "value": [{"MD5": "%s"}, 7]}', "record 2", "expected an object"),
    ('{"@odata.context": "%s", "value": [{"MD5": "%s"}]} trailing', "line 1",
     "unexpected data after"),
])
def test_vics_bad_input_positions_and_no_partial_state(session, tmp_path, body, where, message):
    good = write_vics(tmp_path / "good.json", [{"Category": 1, "MD5": md5n(99)}])
    import_hashset(session, good, "vics", "caid")
    bad = tmp_path / "bad.json"
    fill = (CTX_US, md5n(1)) if body.count("%s") == 2 else (CTX_US,)
    bad.write_text(body % fill)
    with pytest.raises(ImportFailed) as exc:
        import_hashset(session, bad, "vics", "caid")
    text = str(exc.value)
    assert where in text and message in text, text
    # Nothing partial: version 1 still current and complete, no stray entries or versions.
    hs = session.scalar(select(HashSet).where(HashSet.name == "caid"))
    assert [v.version for v in hs.versions] == [1]
    assert entries(session, "caid") == {("md5", md5n(99)): "A"}
    assert session.scalar(select(func.count()).select_from(HashEntry)) == 1


def test_vics_huge_single_line_streams_and_huge_value_is_refused(session, tmp_path,
                                                                  monkeypatch):
    # 200,000 media on one line (about 14 MB): streamed, never loaded whole.
    path = tmp_path / "one-line.json"
    with open(path, "w") as f:
        f.write(f'{{"@odata.context": "{CTX_US}", "value": [')
        f.write(",".join(f'{{"MediaID":{i},"Category":1,"MD5":"{md5n(i)}"}}'
                         for i in range(200_000)))
        f.write("]}")
    v = import_hashset(session, path, "vics", "big")
    assert v.entry_count == 200_000 and v.rows_read == 200_000

    from seawall.hashsets import jsonstream

    huge = tmp_path / "huge-string.json"
    with open(huge, "w") as f:
        f.write(f'{{"@odata.context": "{CTX_US}", "value": [{{"Comments": "')
        f.write("x" * (3 << 20))  # one 3 MB string, over the (lowered) limit
        f.write('"}]}')
    monkeypatch.setattr(jsonstream, "MAX_VALUE", 1 << 20)
    with pytest.raises(ImportFailed, match="larger than 1 MiB"):
        import_hashset(session, huge, "vics", "big")
    assert session.scalar(select(HashSet.current_version_id)
                          .where(HashSet.name == "big")) == v.id


def test_conflicting_categories_fail_and_duplicates_fold(session, tmp_path):
    dup = write_vics(tmp_path / "dup.json", [{"Category": 1, "MD5": md5n(1)},
                                             {"Category": 1, "MD5": md5n(1).upper()},
                                             {"Category": 2, "MD5": md5n(2)}])
    v = import_hashset(session, dup, "vics", "caid")
    assert v.entry_count == 2 and v.duplicate_count == 1 and v.rows_read == 3
    assert any("duplicate md5" in w for w in v.warnings)

    conflict = write_vics(tmp_path / "conflict.json", [{"Category": 1, "MD5": md5n(5)},
                                                       {"Category": 2, "MD5": md5n(6)},
                                                       {"Category": 3, "MD5": md5n(5)}])
    with pytest.raises(ImportFailed) as exc:
        import_hashset(session, conflict, "vics", "caid")
    assert "#1 (A), #3 (C)" in str(exc.value) and "conflicting categories" in str(exc.value)
    assert entries(session, "caid") == {("md5", md5n(1)): "A", ("md5", md5n(2)): "B"}


# -- NSRL ---------------------------------------------------------------------------------

@pytest.mark.parametrize("minimal", [True, False])
def test_nsrl_rdsv3(session, tmp_path, minimal):
    rows = [("AB" * 32, "CD" * 20, md5n(i).upper()) for i in range(1, 4)]
    rows.append((None, None, MD5_A.upper()))
    path = make_rds(tmp_path / "rds.db", rows, minimal=minimal)
    v = import_hashset(session, path, "nsrl", "nsrl")
    assert v.format_detail["rds"] == ("minimal" if minimal else "full")
    assert v.rows_read == 4
    got = entries(session, "nsrl")
    # The shared sha256/sha1 of rows 1-3 fold into one entry each.
    assert got == {("md5", md5n(1)): "known_benign", ("md5", md5n(2)): "known_benign",
                   ("md5", md5n(3)): "known_benign", ("md5", MD5_A): "known_benign",
                   ("sha256", "ab" * 32): "known_benign", ("sha1", "cd" * 20): "known_benign"}
    assert v.source_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_nsrl_bad_rows_and_not_a_database(session, tmp_path):
    path = make_rds(tmp_path / "rds.db", [(None, None, md5n(1)), (None, None, "XYZ"),
                                          (None, "12", None)])
    with pytest.raises(ImportFailed) as exc:
        import_hashset(session, path, "nsrl", "nsrl")
    assert "DISTINCT_HASH row 2: md5" in str(exc.value)
    assert "DISTINCT_HASH row 3: sha1" in str(exc.value)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(ImportFailed, match="not an SQLite database|no FILE"):
        import_hashset(session, junk, "nsrl", "nsrl")
    assert session.scalar(select(func.count()).select_from(HashSet)) == 0


# -- hash lists and PDQ lists -------------------------------------------------------------

def test_hashlist_md5sum_style_versions_and_sha(session, tmp_path):
    p = tmp_path / "list.txt"
    p.write_text(f"# known good\n{MD5_A}  file one.txt\n{SHA1_A} *bin.exe\n\n{'ef' * 32}\n")
    v1 = import_hashset(session, p, "hashlist", "good", category="known_benign")
    assert v1.entry_count == 3 and v1.counts["kinds"] == {"md5": 1, "sha1": 1, "sha256": 1}
    p.write_text(f"{md5n(9)}\n")
    v2 = import_hashset(session, p, "hashlist", "good", category="known_benign")
    assert v2.version == 2
    assert entries(session, "good") == {("md5", md5n(9)): "known_benign"}
    old = session.get(HashSetVersion, v1.id)
    assert old.status == "superseded" and old.source_sha256 != v2.source_sha256
    [info] = list_sets(session)
    assert info["version"] == 2 and info["versions"] == 2 and info["entries"] == 1


@pytest.mark.parametrize("text, message", [
    ("abc\n", "line 1: 'abc' has 3 hex digits"),
    (f"{MD5_A}\nzz{MD5_A[2:]}\n", "line 2: 'zz"),
    (f"{MD5_A}\n" + "a" * 70000 + "\n", "line 2: longer than 65536 characters"),
])
def test_hashlist_errors(session, tmp_path, text, message):
    p = tmp_path / "list.txt"
    p.write_text(text)
    with pytest.raises(ImportFailed) as exc:
        import_hashset(session, p, "hashlist", "l", category="A")
    assert message in str(exc.value)


def test_hashlist_needs_category_and_a_known_one(session, tmp_path):
    p = tmp_path / "list.txt"
    p.write_text(MD5_A + "\n")
    with pytest.raises(ImportFailed, match="one category"):
        import_hashset(session, p, "hashlist", "l")
    with pytest.raises(ImportFailed, match="'Z' is not in scheme 'uk'"):
        import_hashset(session, p, "hashlist", "l", category="Z")


def test_huge_single_line_hash_list_costs_no_memory(session, tmp_path):
    import resource

    p = tmp_path / "oneline.txt"
    with open(p, "w") as f:
        for _ in range(64):  # 64 MB, no newline
            f.write("a" * (1 << 20))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImportFailed, match="line 1: longer than"):
        import_hashset(session, p, "hashlist", "l", category="A")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 32 * 1024  # KiB


def test_pdq_list_forms(session, tmp_path):
    h1, h2, h3 = "1f" * 32, "2e" * 32, "3d" * 32
    p = tmp_path / "pdq.txt"
    p.write_text(f"{h1.upper()}\n{h2},B\npdq {h3}\n")
    v = import_hashset(session, p, "pdq", "bank", category="A")
    assert entries(session, "bank") == {("pdq", h1): "A", ("pdq", h2): "B", ("pdq", h3): "A"}
    assert v.counts["kinds"] == {"pdq": 3}


@pytest.mark.parametrize("text, message", [
    ("1f" * 16 + "\n", "line 1: PDQ"),  # short hex (pytx #1609)
    ("0" * 64 + "\n", "all-zero"),
    ("1f" * 32 + ",Q\n", "'Q' is not in scheme"),
    ("1f" * 32 + "\n", "no category on the line"),
    ("pdq " + "1f" * 32 + " extra\n", "expected 'HASH'"),
])
def test_pdq_list_errors(session, tmp_path, text, message):
    p = tmp_path / "pdq.txt"
    p.write_text(text)
    with pytest.raises(ImportFailed, match=message):
        import_hashset(session, p, "pdq", "bank")


def test_vpdq_file_and_pytx_lines(session, tmp_path):
    src = data_path("vpdq", "expected", "chair-19-sd-bar.txt")
    v = import_hashset(session, src, "vpdq", "videos", category="C")
    assert v.counts["kinds"] == {"vpdq": 1}
    frames = [line.split(",") for line in src.read_text().split()[:3]]
    items = json.dumps([f"{h},{q},{t}" for _, q, h, t in frames])
    p = tmp_path / "pytx.txt"
    p.write_text(f"vpdq {items}\nvpdq [\"zz,1,0\"]\n")
    with pytest.raises(ImportFailed, match="line 2 frame 1"):
        import_hashset(session, p, "vpdq", "videos2", category="C")


def test_remove_set(session, tmp_path):
    p = tmp_path / "list.txt"
    p.write_text(MD5_A + "\n")
    import_hashset(session, p, "hashlist", "l", category="A")
    assert remove_set(session, "l")
    session.commit()
    assert session.scalar(select(func.count()).select_from(HashEntry)) == 0
    assert not remove_set(session, "l")


def test_wrong_format_for_existing_set(session, tmp_path):
    p = tmp_path / "list.txt"
    p.write_text(MD5_A + "\n")
    import_hashset(session, p, "hashlist", "l", category="A")
    p2 = tmp_path / "pdq.txt"
    p2.write_text("1f" * 32 + "\n")
    with pytest.raises(ImportFailed, match="holds hashlist data"):
        import_hashset(session, p2, "pdq", "l", category="A")


def test_unknown_format_is_an_import_failure_listing_the_formats(session, tmp_path):
    path = tmp_path / "list.txt"
    path.write_text(md5n(1) + "\n")
    with pytest.raises(ImportFailed) as caught:
        import_hashset(session, path, "no-such-format", "set")
    assert "unknown hash-set format 'no-such-format'" in str(caught.value)
    assert "vics" in str(caught.value) and "nsrl" in str(caught.value)
