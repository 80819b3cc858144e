"""Category report: figures, basis, identity, reproducibility, PDF text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from seawall.cli.app import app
from seawall.matching.counts import case_counts
from seawall.reports.model import build_report
from seawall.reports.service import write_report
from seawall.store.db import session_scope
from tests.reports.conftest import AS_OF, CASE


@pytest.fixture(scope="module")
def report(built) -> dict:
    with session_scope(built.db_url) as s:
        return build_report(s, CASE, AS_OF)


def test_counts_match_case_counts_and_expected_figures(built, report):
    with session_scope(built.db_url) as s:
        assert report["counts"] == case_counts(s, CASE)
    total = report["counts"]["total"]
    assert total["A"] == {"still": 1, "moving": 0}
    assert total["B"] == {"still": 2, "moving": 0}
    assert total["C"] == {"still": 1, "moving": 1}
    assert total["known_benign"] == {"still": 1, "moving": 0}
    assert total["unknown"] == {"still": 1, "moving": 0}
    ex2 = report["counts"]["exhibits"]["EX-2"]
    assert ex2["A"]["still"] == 1 and ex2["unknown"]["still"] == 1


def test_basis_of_each_count(report):
    a = report["basis"]["total"]["A"]["still"]
    assert a["distinct"] == 1 and a["files"] == 3  # one picture, three copies
    assert a["methods"]["exact"] == 1
    assert a["hash_sets"] == [{"set": "test-vics", "version": 1}]
    b = report["basis"]["total"]["B"]["still"]
    assert b["methods"]["local_grade"] == 1 and b["methods"]["exact"] == 1
    assert b["local_grades"] == 1
    kb = report["basis"]["total"]["known_benign"]["still"]
    assert kb["hash_sets"] == [{"set": "test-benign", "version": 1}]
    assert report["basis"]["total"]["unknown"]["still"]["methods"]["none"] == 1
    assert report["local_grades"] == {"final_grades": 1, "by_method": {"consensus": 1}}


def test_identity_and_drill_down(report):
    refs = [e["reference"] for e in report["exhibits"]]
    assert refs == ["EX-1", "EX-2"]
    ex1 = report["exhibits"][0]
    assert ex1["scan_started"] and ex1["scan_finished"] and ex1["tool_version"]
    assert "dfvfs" in ex1["dependency_versions"]
    assert ex1["images"] == [{"name": "EX-1", "size": None}]
    assert ex1["verification"]["result"].startswith("not applicable")
    assert {h["set"] for h in report["hash_sets"]} == {"test-vics", "test-benign"}
    assert all(h["source_sha256"] for h in report["hash_sets"])
    assert report["errors"]["files_with_errors"] >= 0
    files = report["files"]
    assert len(files) == 9  # every picture and video, every copy
    graded = [f for f in files if f["basis"]["method"] == "local_grade"]
    assert [f["path"] for f in graded] == ["/DCIM/pic3.jpg"]
    assert graded[0]["basis"]["local_grade"]["decided_by"] == "grader1,grader2"
    assert all(f["md5"] and f["sha256"] for f in files)


def test_reproducible_csv_json_html(built, tmp_path):
    runner = CliRunner()
    for fmt in ("csv", "json", "html"):
        a, b = tmp_path / "a" / f"r.{fmt}", tmp_path / "b" / f"r.{fmt}"
        write_report(built.db_url, CASE, fmt, a, as_of=AS_OF)
        result = runner.invoke(app, ["report", "--case", CASE, "--format", fmt, "--out", str(b),
                                     "--as-of", AS_OF, "--db", built.db_url])
        assert result.exit_code == 0, result.output
        assert a.read_bytes() == b.read_bytes(), fmt
    files = (tmp_path / "a" / "r.files.csv").read_text().splitlines()
    assert files[0].startswith("exhibit,full_path,") and len(files) == 10
    counts = (tmp_path / "a" / "r.csv").read_text()
    assert "total,A,Category A,still,1,3,0,0,1,0,0,0,test-vics v1" in counts
    html = (tmp_path / "a" / "r.html").read_text()
    assert "<svg" in html and "Streamlined Forensic Report" in html
    doc = json.loads((tmp_path / "a" / "r.json").read_text())
    assert doc["report"]["generated_at"] == AS_OF


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_pdf_text_is_reproducible_and_shows_figures(built, tmp_path):
    texts = []
    for name in ("a.pdf", "b.pdf"):
        write_report(built.db_url, CASE, "pdf", tmp_path / name, as_of=AS_OF)
        texts.append(subprocess.run(["pdftotext", "-layout", str(tmp_path / name), "-"],
                                    check=True, capture_output=True, text=True).stdout)
    assert texts[0] == texts[1]
    text = texts[0]
    rows = {m.group(1): tuple(int(x) for x in m.groups()[1:]) for m in re.finditer(
        r"^\s*(Category [ABC]|Known benign \(e\.g\. NSRL\), not graded|Unknown: awaiting a "
        r"grade)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", text, re.M)}
    assert rows["Category A"] == (1, 0, 1)
    assert rows["Category B"] == (2, 0, 2)
    assert rows["Category C"] == (1, 1, 2)
    assert rows["Known benign (e.g. NSRL), not graded"] == (1, 0, 1)
    assert rows["Unknown: awaiting a grade"] == (1, 0, 1)
    assert f"Case {CASE}" in text and "Method" in text and "Limitations" in text
    assert "/DCIM/pic3.jpg" in text  # appendix lists the graded files


def test_unknown_case_fails_cleanly(built, tmp_path):
    result = CliRunner().invoke(app, ["report", "--case", "NOPE", "--format", "json", "--out",
                                      str(tmp_path / "x.json"), "--db", built.db_url])
    assert result.exit_code == 1
