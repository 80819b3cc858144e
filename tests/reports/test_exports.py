"""VICS round trip, CASE/UCO validation with case_validate, DFXML against the schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from seawall.exports.registry import EXPORTERS
from seawall.exports.schema import SEAWALL_NS, dfxml_schema, validate_dfxml
from seawall.exports.vics import ExportError
from seawall.hashsets.service import import_hashset
from seawall.matching import service as matching
from seawall.store.db import get_engine, session_factory, session_scope
from seawall.store.models import Exhibit, FileRecord
from tests.reports.conftest import CASE, scan_folders


def _export(built, fmt: str, out: Path, **options) -> int:
    with session_scope(built.db_url) as s:
        return EXPORTERS.get(fmt)(s, CASE, out, **options)


def _categories(db_url: str) -> dict[tuple[str, str], str | None]:
    with session_scope(db_url) as s:
        rows = s.execute(select(FileRecord.id, Exhibit.reference, FileRecord.path)
                         .join(Exhibit).where(FileRecord.media_class.in_(["image", "video"])))
        rows = list(rows)
        results = matching.file_results(s, [r[0] for r in rows])
    return {(ref, path): results[fid].category for fid, ref, path in rows}


def test_vics_uk_export_round_trip(built, tmp_path):
    out = tmp_path / "case.json"
    n = _export(built, "vics", out, dialect="UK")
    doc = json.loads(out.read_text())
    assert doc["@odata.context"].endswith("/2.0.xml/UK/$metadata#Cases")
    media = doc["value"][0]["Media"]
    assert n == len(media) == 6  # distinct MD5s, known-benign left out
    text = out.read_text()
    assert "RelativeFilePath" not in text  # never media bytes, nor a package of them
    local = [m for m in media if m["IsPrecategorized"] == "false" and m["Category"] == 2]
    assert len(local) == 1 and local[0]["PrecategorizationSource"].startswith(
        "Seawall local grade")
    assert "grader1,grader2" in local[0]["Comments"]
    pic0 = next(m for m in media if m["Category"] == 1)
    assert {f["SourceID"] for f in pic0["MediaFiles"]} == {"EX-1", "EX-2"}
    assert len(pic0["MediaFiles"]) == 3

    # Re-import the export as a hash set into a fresh database holding the same exhibits,
    # with no other sets and no local grades: every exported category comes back.
    db2 = f"sqlite:///{tmp_path / 'second.db'}"
    get_engine(db2)
    session = session_factory(db2)()
    try:
        import_hashset(session, out, "vics", "reimported")
    finally:
        session.close()
    scan_folders(db2, built.exhibits)
    with session_scope(db2) as s:
        matching.match_case(s, CASE)
    before, after = _categories(built.db_url), _categories(db2)
    assert before.keys() == after.keys()
    for key, category in before.items():
        if category is not None:
            assert after[key] == category, key
        elif key[1].endswith("pic4.jpg"):
            assert after[key] is None  # known-benign: not exported, not matched
        else:
            assert after[key] == "uncategorised", key  # exported with Category null


def test_vics_dialect_must_have_a_code_table(built, tmp_path):
    with pytest.raises(ExportError, match="no code table"):
        _export(built, "vics", tmp_path / "us.json", dialect="US")


def test_vics_us_dialect_for_a_us_case():
    from seawall.exports.vics import build_vics

    report = {"case": {"reference": "US-1", "scheme": "vics-us"},
              "columns": [{"name": "CAM"}, {"name": "unknown"}],
              "files": [{"category": "CAM", "md5": "ae5b468c7707a1f3d36c49b1fe2ef850",
                         "sha1": None, "sha256": None, "pdq": None, "size": 5,
                         "media_type": "image/jpeg", "full_path": "/a/b.jpg",
                         "allocated": True, "exhibit": "X",
                         "basis": {"method": "exact", "hash_sets": [{"set": "s", "version": 1}],
                                   "match_kinds": ["md5"]}}]}
    doc = build_vics(report, "US")
    assert doc["@odata.context"].endswith("/2.0.xml/US/$metadata#Cases")
    assert doc["value"][0]["Media"][0]["Category"] == 1
    with pytest.raises(ExportError, match="no code table"):
        build_vics(report, "UK")  # the vics-us scheme has no UK table


@pytest.mark.skipif(not shutil.which("case_validate")
                    and not (Path(sys.executable).parent / "case_validate").exists(),
                    reason="case-utils not installed")
def test_case_uco_export_validates_offline(built, tmp_path):
    out = tmp_path / "case.jsonld"
    n = _export(built, "case", out)
    graph = json.loads(out.read_text())["@graph"]
    # Folder exhibits have no image files: every File node is a file found in them.
    assert n == 10 == sum(1 for g in graph if g["@type"] == "uco-observable:File")
    records = [g for g in graph if g["@type"] == "case-investigation:ProvenanceRecord"]
    assert sorted(r["case-investigation:exhibitNumber"] for r in records) == ["EX-1", "EX-2"]
    files = [g for g in graph if g["@type"] == "uco-observable:File"]
    facets = {f["@type"] for g in files for f in g["uco-core:hasFacet"]}
    assert facets == {"uco-observable:FileFacet", "uco-observable:ContentDataFacet"}
    tool = Path(sys.executable).parent / "case_validate"
    # Offline: any attempt to fetch an ontology or context would hit a dead proxy and fail.
    env = {**os.environ, "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    res = subprocess.run([str(tool) if tool.exists() else "case_validate", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Conforms: True" in res.stdout


def test_dfxml_valid_against_schema(built, tmp_path):
    out = tmp_path / "case.dfxml"
    _export(built, "dfxml", out)
    assert validate_dfxml(out) == []
    assert SEAWALL_NS in out.read_text()  # extensions kept (PDQ), removed only to validate

    strict = tmp_path / "strict.dfxml"
    _export(built, "dfxml", strict, dialect="strict")
    assert SEAWALL_NS not in strict.read_text().split("<metadata>", 1)[1]
    assert dfxml_schema().validate(etree.parse(str(strict)))  # valid as written


def test_dfxml_validation_catches_errors(built, tmp_path):
    out = tmp_path / "case.dfxml"
    _export(built, "dfxml", out)
    text = out.read_text()
    # Out of schema order: filesize before filename.
    bad = text.replace("<fileobject>\n", "<fileobject>\n    <filesize>1</filesize>\n", 1)
    (tmp_path / "bad1.dfxml").write_text(bad)
    assert validate_dfxml(tmp_path / "bad1.dfxml")
    # A foreign element outside a fileobject is not a documented extension.
    bad = text.replace("<source>", "<seawall:stray>x</seawall:stray>\n  <source>", 1)
    (tmp_path / "bad2.dfxml").write_text(bad)
    assert validate_dfxml(tmp_path / "bad2.dfxml")


def test_exports_are_registered():
    assert {"vics", "case", "dfxml"} <= set(EXPORTERS.names())

