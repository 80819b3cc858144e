"""Full scans of real disk images through the CLI, checked against The Sleuth Kit."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seawall.cli.app import app
from tests.evidence.helpers import image, tsk_truth

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("name,volume,sector_offset", [
    ("synthetic/triage_ntfs_gpt.E01", "p1", 2048),
    ("synthetic/triage_fat16_mbr.raw", "p1", 2048),
    ("image.dd", "", None),
])
def test_scan_matches_sleuthkit(tmp_path: Path, db_url: str, name: str, volume: str, sector_offset):
    source = image(name)
    # Work on a writable copy so that a write, were there one, could not be hidden by the
    # read-only data folder; then prove bytes and mtime are unchanged.
    exhibit = tmp_path / Path(name).name
    shutil.copy2(source, exhibit)
    exhibit.chmod(0o644)
    before = (hashlib.sha256(exhibit.read_bytes()).hexdigest(), os.stat(exhibit).st_mtime_ns)

    db = db_url
    run("scan", str(exhibit), "--case", "IMG", "--db", db, "--workers", "2", "--no-match")
    rows = json.loads(run("files", "--case", "IMG", "--db", db, "--format", "json"))
    assert (hashlib.sha256(exhibit.read_bytes()).hexdigest(),
            os.stat(exhibit).st_mtime_ns) == before

    truth = tsk_truth([exhibit], sector_offset)
    assert truth, "TSK listed nothing: test set-up problem"
    ours = {(r["path"], r["allocated"]): r for r in rows if r["volume"] == volume
            and r["kind"] in ("file", "ads") and "!/" not in r["path"]}
    deleted_seen = 0
    for path, (deleted, md5) in truth.items():
        row = ours.get((path, not deleted))
        assert row is not None, f"{path} (deleted={deleted}) missing from the scan"
        if md5 is not None and row["error"] is None:
            assert row["md5"] == md5, path
        deleted_seen += deleted
    if name != "image.dd":
        assert deleted_seen >= 3  # the synthetic images hold three recoverable deleted files
    # Archive members inside the image were expanded (the synthetic payload has a zip).
    if name.startswith("synthetic/"):
        assert any("!/" in r["path"] for r in rows)


def test_bogus_image_is_not_reported_as_empty(tmp_path: Path, db_url: str):
    db = db_url
    result = runner.invoke(app, ["scan", str(image("bogus.001")), "--case", "B", "--db", db,
                                 "--no-match"])
    # bogus.001 is no disk image: it is scanned as a single plain file, not as "no files".
    assert result.exit_code == 0, result.output
    rows = json.loads(run("files", "--case", "B", "--db", db, "--format", "json"))
    assert len(rows) == 1 and rows[0]["md5"] is not None


def test_compressed_qcow2_cross_checked(tmp_path: Path, db_url: str):
    """libqcow misreads some zlib-compressed clusters; the scan must notice and not report
    wrong bytes (it reads through qemu-img when installed, and warns)."""
    if not shutil.which("qemu-img"):
        pytest.skip("qemu-img not installed")
    db = db_url
    run("scan", str(image("synthetic/triage_ext4_compressed.qcow2")), "--case", "Q",
        "--exhibit-id", "qcow", "--db", db, "--no-match")
    run("scan", str(image("synthetic/triage_ext4.raw")), "--case", "Q", "--exhibit-id", "raw",
        "--db", db, "--no-match")
    rows = json.loads(run("files", "--case", "Q", "--db", db, "--format", "json"))
    qcow = {(r["path"], r["md5"]) for r in rows if r["exhibit"] == "qcow"}
    raw = {(r["path"], r["md5"]) for r in rows if r["exhibit"] == "raw"}
    assert qcow and qcow == raw

    from seawall.store.db import session_scope
    from seawall.store.models import Exhibit

    with session_scope(db) as session:
        warnings = session.query(Exhibit).filter_by(reference="qcow").one().identity["warnings"]
    assert any("compressed" in w.lower() for w in warnings)


def test_qemu_img_copy_removed_after_scan(tmp_path: Path, db_url: str, monkeypatch):
    """The qemu-img raw copy (as large as the disk) exists while the scan runs and is
    deleted when it ends."""
    if not shutil.which("qemu-img"):
        pytest.skip("qemu-img not installed")
    from seawall.evidence.disk_image import DiskImageSource
    from seawall.scan.pipeline import scan_exhibit

    work = tmp_path / "work"
    qcow = str(image("synthetic/triage_ext4_compressed.qcow2"))
    probe = DiskImageSource([qcow], work_dir=str(work))
    probe.describe()
    assert list(work.glob("qcow-*.raw")), "no raw copy made: the test would prove nothing"
    probe.release_work_files()
    assert list(work.glob("qcow-*")) == []

    original = DiskImageSource.__init__

    def in_work_dir(self, paths, **kw):
        original(self, paths, **{**kw, "work_dir": str(work)})

    monkeypatch.setattr(DiskImageSource, "__init__", in_work_dir)
    summary = scan_exhibit([qcow], "Q", db_url=db_url, workers=1)
    assert summary.files_scanned > 0
    assert list(work.glob("qcow-*")) == []


def test_partition_without_a_file_system_is_an_error_not_an_empty_exhibit(
        tmp_path: Path, db_url: str):
    """An MBR whose only partition holds no file system: the scan says so, and exits 1."""
    import struct

    disk = bytearray(2 << 20)
    disk[446:462] = struct.pack("<B3sB3sII", 0, b"\0" * 3, 0x83, b"\0" * 3, 2048, 2048)
    disk[510:512] = b"\x55\xaa"
    path = tmp_path / "blank-partition.img"
    path.write_bytes(bytes(disk))
    result = runner.invoke(app, ["scan", str(path), "--case", "N", "--db", db_url,
                                 "--no-match"])
    assert result.exit_code == 1, result.output
    assert "error:" in result.output and "no file system found" in result.output
    assert "NOT known to be empty" in " ".join(result.output.split())
    # The exhibit is still recorded, with the error in its identity (reports show it).
    from seawall.store.db import session_scope
    from seawall.store.models import Exhibit

    with session_scope(db_url) as session:
        exhibit = session.query(Exhibit).one()
        assert any("no file system" in e for e in exhibit.identity["errors"])
        assert exhibit.status == "complete"


def test_unsupported_container_is_named(tmp_path: Path, db_url: str):
    """A VirtualBox VDI (no dfVFS back-end) is not "no files": the error names the format
    and how to read it."""
    if not shutil.which("qemu-img"):
        pytest.skip("qemu-img not installed")
    import subprocess

    vdi = tmp_path / "laptop.vdi"
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "vdi", str(image("image.dd")),
                    str(vdi)], check=True)
    result = runner.invoke(app, ["scan", str(vdi), "--case", "V", "--db", db_url,
                                 "--no-match"])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "VirtualBox VDI" in text and "qemu-img convert -O raw" in text
