"""``seawall validate``: Seawall against The Sleuth Kit's results on the bundled images."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from seawall.cli.app import app
from seawall.reports.validation import DEFAULT_DATA


def test_bundled_reference_set_is_small_and_licensed():
    files = [p for p in DEFAULT_DATA.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 3 * 1024 * 1024
    readme = (DEFAULT_DATA / "README.md").read_text()
    assert "Apache License 2.0" in readme
    manifest = json.loads((DEFAULT_DATA / "manifest.json").read_text())
    assert len(manifest["cases"]) >= 4
    assert "Sleuth Kit" in manifest["reference_tools"]["fls"]


def test_validate_passes_and_writes_a_record(tmp_path):
    out = tmp_path / "record.json"
    result = CliRunner().invoke(app, ["validate", "--out", str(out),
                                      "--as-of", "2026-02-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert record["result"] == "PASS" and record["date"] == "2026-02-01T00:00:00Z"
    assert record["tool_versions"]["seawall"] and record["tool_versions"]["pytsk3"]
    for case in record["cases"]:
        assert case["result"] == "pass", case["id"]
        assert case["failed"] == 0 and case["passed"] == case["expected_entries"]
        assert case["media"]["result"] == "pass"
    ntfs = next(c for c in record["cases"] if c["id"] == "ntfs-gpt-ewf")
    assert any(e["path"] == "Documents/notes.txt:secret" for e in ntfs["entries"])
    assert ntfs["accepted"] and ntfs["accepted"][0]["reason"]


def test_validate_fails_loudly_on_any_difference(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    manifest = json.loads((DEFAULT_DATA / "manifest.json").read_text())
    case = next(c for c in manifest["cases"] if c["id"] == "ext2-ewf")
    manifest["cases"] = [case]
    shutil.copytree(DEFAULT_DATA / "images", data / "images")
    (data / "expected").mkdir()
    expected = (DEFAULT_DATA / case["expected"]).read_text()
    line = next(ln for ln in expected.splitlines() if ln.startswith("a_directory/a_file\t"))
    tampered = line[:-1] + ("0" if line[-1] != "0" else "1")  # one MD5 digit changed
    (data / case["expected"]).write_text(expected.replace(line, tampered))
    (data / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "record.json"
    result = CliRunner().invoke(app, ["validate", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert "VALIDATION FAILED" in result.output
    record = json.loads(out.read_text())
    assert record["result"] == "FAIL"
    bad = [e for e in record["cases"][0]["entries"] if e["result"] != "pass"]
    assert [e["path"] for e in bad] == ["a_directory/a_file"] and "md5" in bad[0]["note"]
