"""Variants that real-world hash-set files have: tool output quirks, odd paths, nulls."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from seawall.hashsets.base import ImportFailed
from seawall.hashsets.service import import_hashset
from seawall.store.hashset_models import HashEntry, HashSet
from tests.hashsets.conftest import CTX_US, MD5_A, SHA1_A, make_rds, md5n, write_vics
from tests.hashsets.test_imports import entries

SHA256_A = "ab" * 32


@pytest.mark.parametrize("code", ["\u00b2", "--1"])
def test_vics_category_that_int_refuses_is_an_error_not_a_crash(session, tmp_path, code):
    # str.isdigit() passes "²" (and "--1" once "-" is stripped); int() then raised.
    path = write_vics(tmp_path / "v.json", [{"MD5": md5n(1), "Category": "1"},
                                            {"MD5": md5n(2), "Category": code}])
    with pytest.raises(ImportFailed, match="record 2 .*Category must be an integer"):
        import_hashset(session, path, "vics", "caid")
    assert session.scalar(select(func.count()).select_from(HashEntry)) == 0


def test_vics_without_value_list_is_rejected(session, tmp_path):
    good = write_vics(tmp_path / "good.json", [{"Category": 1, "MD5": md5n(1)}])
    import_hashset(session, good, "vics", "caid")
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"@odata.context": CTX_US}))
    with pytest.raises(ImportFailed, match="no 'value' list"):
        import_hashset(session, meta, "vics", "caid")
    assert entries(session, "caid") == {("md5", md5n(1)): "A"}  # not replaced by nothing


def test_vics_null_media_list_and_null_alternative_hash(session, tmp_path):
    cases = {"@odata.context": CTX_US.replace("#Media", "#Cases"), "value": [
        {"CaseID": "{1}", "Media": None},  # .NET serialisers write empty lists as null
        {"CaseID": "{2}", "Media": [
            {"Category": 1, "MD5": MD5_A, "AlternativeHashes": [
                {"HashName": "SHA1", "HashValue": None},
                {"HashName": "SHA256", "HashValue": ""},
                {"HashName": "SHA256", "HashValue": SHA256_A}]}]}]}
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases, indent=2))
    import_hashset(session, path, "vics", "cases")
    assert entries(session, "cases") == {("md5", MD5_A): "CAM", ("sha256", SHA256_A): "CAM"}


def test_vics_case_under_media_context_says_so(session, tmp_path):
    path = write_vics(tmp_path / "v.json", [{"CaseID": "{1}", "Media": [{"MD5": md5n(1)}]}],
                      CTX_US)
    with pytest.raises(ImportFailed, match="record 1 .*should end #Cases"):
        import_hashset(session, path, "vics", "caid")


def test_nsrl_in_a_folder_named_with_hash_and_question_mark(session, tmp_path):
    # Unescaped, "file:/…/Case #12?/rds.db?mode=ro" opened (and created) ".../Case ".
    folder = tmp_path / "Case #12? 100%"
    folder.mkdir()
    path = make_rds(folder / "rds.db", [(None, None, MD5_A.upper())])
    import_hashset(session, path, "nsrl", "nsrl")
    assert entries(session, "nsrl") == {("md5", MD5_A): "known_benign"}
    assert not (tmp_path / "Case ").exists()


def test_hashlist_real_tool_outputs(session, tmp_path):
    lines = [
        f"\\{MD5_A}  a\\\\b.txt",  # GNU md5sum, file name with a backslash
        f"SHA1 (x.bin) = {SHA1_A}",  # md5sum --tag / shasum --tag / macOS md5
    ]
    p = tmp_path / "list.txt"
    p.write_bytes("\n".join(lines).encode() + f"\n{md5n(3)}  caf".encode() + b"\xe9\n")
    import_hashset(session, p, "hashlist", "l", category="known_benign")
    assert entries(session, "l") == {("md5", MD5_A): "known_benign",
                                     ("sha1", SHA1_A): "known_benign",
                                     ("md5", md5n(3)): "known_benign"}


def test_hashlist_hashdeep_output(session, tmp_path):
    p = tmp_path / "hashdeep.txt"
    p.write_text("%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## Invoked from: /x\n"
                 f"## $ hashdeep -r .\n##\n5,{MD5_A},{SHA256_A},/x/a, b.txt\n")
    v = import_hashset(session, p, "hashlist", "hd", category="known_benign")
    assert v.rows_read == 1
    assert entries(session, "hd") == {("md5", MD5_A): "known_benign",
                                      ("sha256", SHA256_A): "known_benign"}
    p.write_text(f"%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n5,{MD5_A},zz,/a\n"
                 f"5,{MD5_A}\n")
    with pytest.raises(ImportFailed) as exc:
        import_hashset(session, p, "hashlist", "hd", category="known_benign")
    assert "line 3: sha256: 'zz' is not hexadecimal" in str(exc.value)
    assert "line 4: expected 4 hashdeep fields" in str(exc.value)
    assert session.scalar(select(HashSet.current_version_id)
                          .where(HashSet.name == "hd")) == v.id


def test_hashlist_utf16_with_bom(session, tmp_path):
    # PowerShell 5 redirection writes UTF-16LE with a BOM.
    p = tmp_path / "ps.txt"
    p.write_bytes(f"{MD5_A}\r\n{SHA1_A}\r\n".encode("utf-16"))
    import_hashset(session, p, "hashlist", "l", category="A")
    assert entries(session, "l") == {("md5", MD5_A): "A", ("sha1", SHA1_A): "A"}


def test_pdq_empty_category_column_takes_default(session, tmp_path):
    p = tmp_path / "pdq.txt"
    p.write_text("1f" * 32 + ",\n" + "2e" * 32 + ",B\n")
    import_hashset(session, p, "pdq", "bank", category="A")
    assert entries(session, "bank") == {("pdq", "1f" * 32): "A", ("pdq", "2e" * 32): "B"}


def test_empty_import_is_allowed_but_warned(tmp_path):
    from seawall.hashsets.service import import_hashset
    from seawall.store.db import session_scope

    url = f"sqlite:///{tmp_path / 'h.db'}"
    full, empty = tmp_path / "full.txt", tmp_path / "empty.txt"
    full.write_text("d41d8cd98f00b204e9800998ecf8427e\n")
    empty.write_text("# nothing here\n")
    with session_scope(url) as session:
        first = import_hashset(session, full, "hashlist", "L", category="A")
        assert first.warnings == []
        second = import_hashset(session, empty, "hashlist", "L", category="A")
        assert second.entry_count == 0
        assert second.warnings[0] == ("the file holds no entries: this version is empty and "
                                      "replaces version 1 (1 entries)")
