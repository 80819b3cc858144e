"""The shipped demo exhibit (data/demo/) matches its ground truth, and its hash sets match it.

Checked with The Sleuth Kit (the peer tool), not with Seawall: the partition table, the
``fls -r -p`` listing, the bytes of every allocated and deleted file (``icat``), and that every
entry of the three demo hash sets names something that really is in the exhibit.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pdqhash
import pyewf
import pytest

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
E01 = DEMO / "demo-exhibit.E01"
HASHSETS = DEMO / "hashsets"
OFFSET = 2048
VICS_CONTEXT = re.compile(
    r"^http://github\.com/VICSDATAMODEL/ProjectVic/DataModels/2\.0\.xml/UK/\$metadata#Media$"
)

needs_tsk = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("mmls", "fls", "icat")),
    reason="The Sleuth Kit (Debian sleuthkit) is not installed",
)


def _tsk(*args: str) -> bytes:
    return subprocess.run(list(args), check=True, capture_output=True, timeout=60).stdout


def _expected_rows() -> list[dict]:
    lines = (DEMO / "expected_md5.tsv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, ln.split("\t"), strict=True)) for ln in lines[1:]]


def _members(name: str, data: bytes, depth: int = 0):
    """(path, bytes) of every member of zip/tar archives, recursively."""
    if depth > 3:
        return
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for zi in zf.infolist():
                if not zi.is_dir():
                    inner = zf.read(zi)
                    yield f"{name}/{zi.filename}", inner
                    yield from _members(f"{name}/{zi.filename}", inner, depth + 1)
    elif len(data) > 262 and data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            for ti in tf.getmembers():
                if ti.isfile():
                    inner = tf.extractfile(ti).read()
                    yield f"{name}/{ti.name}", inner
                    yield from _members(f"{name}/{ti.name}", inner, depth + 1)


@pytest.fixture(scope="module")
def exhibit_files() -> dict[str, bytes]:
    """path -> bytes of every file TSK lists (allocated and deleted) plus archive members."""
    if not all(shutil.which(t) for t in ("fls", "icat")):
        pytest.skip("The Sleuth Kit is not installed")
    files: dict[str, bytes] = {}
    for row in _expected_rows():
        data = _tsk("icat", "-o", str(OFFSET), str(E01), row["inode"])
        files[row["path"]] = data
        files.update(_members(row["path"], data))
    return files


def test_demo_is_small_and_complete():
    for name in ("demo-exhibit.E01", "README.md", "expected_fls.txt", "expected_md5.tsv",
                 "manifest.tsv", "exhibit-info.json"):
        assert (DEMO / name).is_file(), name
    for name in ("demo-vics.json", "demo-known-benign.txt", "demo-pdq.txt"):
        assert (HASHSETS / name).is_file(), name
    total = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert total < 6 * 1024 * 1024


@needs_tsk
def test_partition_table():
    mm = _tsk("mmls", str(E01)).decode()
    fat = [ln for ln in mm.splitlines() if "FAT16" in ln]
    assert len(fat) == 1
    assert int(fat[0].split()[2]) == OFFSET
    info = json.loads((DEMO / "exhibit-info.json").read_text())
    assert info["partition_start_sector"] == OFFSET


@needs_tsk
def test_fls_listing_matches_expected():
    fls = _tsk("fls", "-r", "-p", "-o", str(OFFSET), str(E01)).decode("utf-8")
    assert fls == (DEMO / "expected_fls.txt").read_text(encoding="utf-8")
    deleted = [ln for ln in fls.splitlines() if ln.startswith("r/r * ")]
    assert len(deleted) >= 2
    assert any(ln.lower().endswith((".jpg", ".png")) for ln in deleted)  # a deleted picture
    assert "Pictures/Café Größe – 日本.jpg" in fls  # non-ASCII name survives


@needs_tsk
def test_every_file_reads_back_with_expected_md5(exhibit_files):
    rows = _expected_rows()
    assert len(rows) >= 20
    assert sum(r["allocated"] == "0" for r in rows) >= 2
    for row in rows:
        data = exhibit_files[row["path"]]
        assert len(data) == int(row["size"]), row["path"]
        assert hashlib.md5(data).hexdigest() == row["md5"], row["path"]


@needs_tsk
def test_manifest_agrees_with_exhibit(exhibit_files):
    lines = (DEMO / "manifest.tsv").read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    rows = [dict(zip(head, ln.split("\t"), strict=True)) for ln in lines[1:]]
    assert {r["path"] for r in rows} == set(exhibit_files)
    for r in rows:
        data = exhibit_files[r["path"]]
        assert hashlib.sha256(data).hexdigest() == r["sha256"], r["path"]


def test_e01_media_hash_matches_info():
    info = json.loads((DEMO / "exhibit-info.json").read_text())
    h = pyewf.handle()
    h.open([str(E01)])
    try:
        assert h.get_media_size() == info["media_bytes"]
        md5 = hashlib.md5()
        while chunk := h.read(1 << 20):
            md5.update(chunk)
    finally:
        h.close()
    assert md5.hexdigest() == info["media_md5"]


def test_vics_json_fields():
    doc = json.loads((HASHSETS / "demo-vics.json").read_text(encoding="utf-8-sig"))
    assert VICS_CONTEXT.match(doc["@odata.context"])
    media = doc["value"]
    assert len(media) >= 5
    assert len({m["MediaID"] for m in media}) == len(media)
    for m in media:
        assert isinstance(m["MediaID"], int)
        assert m["Category"] in (1, 2, 3)  # UK dialect, Seawall default: 1=A 2=B 3=C
        assert re.fullmatch(r"[0-9A-F]{32}", m["MD5"])
        assert re.fullmatch(r"[0-9A-F]{40}", m["SHA1"])
        assert isinstance(m["MediaSize"], int) and m["MediaSize"] > 0
        for flag in ("IsPrecategorized", "VictimIdentified", "OffenderIdentified",
                     "IsDistributed"):
            assert m[flag] in ("true", "false")
    assert {m["Category"] for m in media} == {1, 2, 3}


@needs_tsk
def test_vics_entries_are_in_exhibit(exhibit_files):
    by_md5 = {hashlib.md5(d).hexdigest(): d for d in exhibit_files.values()}
    doc = json.loads((HASHSETS / "demo-vics.json").read_text(encoding="utf-8-sig"))
    for m in doc["value"]:
        data = by_md5.get(m["MD5"].lower())
        assert data is not None, m["MD5"]
        assert hashlib.sha1(data).hexdigest() == m["SHA1"].lower()
        assert len(data) == m["MediaSize"]


@needs_tsk
def test_known_benign_entries_are_in_exhibit(exhibit_files):
    lines = (HASHSETS / "demo-known-benign.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 3
    for ln in lines:
        md5, path = ln.split("  ", 1)
        assert re.fullmatch(r"[0-9a-f]{32}", md5)
        assert hashlib.md5(exhibit_files[path]).hexdigest() == md5


@needs_tsk
def test_pdq_entries_have_near_duplicates_in_exhibit(exhibit_files):
    from PIL import Image

    def hexes(data: bytes) -> tuple[list[str], list[str]]:
        with Image.open(io.BytesIO(data)) as im:
            hashes, _q = pdqhash.compute_dihedral(np.asarray(im.convert("RGB")))
        return [np.packbits(h.astype(np.uint8)).tobytes().hex() for h in hashes]

    dihedral = {}
    for path, data in exhibit_files.items():
        try:
            dihedral[path] = hexes(data)
        except Exception:  # not a picture
            continue
    lines = (HASHSETS / "demo-pdq.txt").read_text().splitlines()
    assert len(lines) >= 2
    rotated_only = 0
    for ln in lines:
        h, cat = ln.split(",")
        assert re.fullmatch(r"[0-9a-f]{64}", h) and cat in ("A", "B", "C")
        best = {p: min((int(h, 16) ^ int(x, 16)).bit_count() for x in d)
                for p, d in dihedral.items()}
        plain = {p: (int(h, 16) ^ int(d[0], 16)).bit_count() for p, d in dihedral.items()}
        path = min(best, key=best.get)
        assert 0 < best[path] <= 31, (h, path, best[path])  # near, not identical
        if plain[path] > 31:
            rotated_only += 1  # only a dihedral (rotated/flipped) variant matches
    assert rotated_only >= 1
