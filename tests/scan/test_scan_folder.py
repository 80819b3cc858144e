"""End-to-end scans of a folder exhibit through the CLI, into a real SQLite database."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image
from typer.testing import CliRunner

from seawall.cli.app import app

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def snapshot(root: Path) -> dict:
    """Bytes and mtimes of every regular file under root (without following links)."""
    state = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    state[path] = (hashlib.sha256(fh.read()).hexdigest(), st.st_mtime_ns)
            else:
                state[path] = ("special", st.st_mtime_ns)
    return state


def scan_json(exhibit: Path, db: str, *extra: str) -> list[dict]:
    run("scan", str(exhibit), "--case", "C1", "--db", db, "--no-match", *extra)
    return json.loads(run("files", "--case", "C1", "--db", db, "--format", "json"))


def test_folder_scan_records_every_file(folder_exhibit: Path, tmp_path: Path, db_url: str):
    db = db_url
    before = snapshot(folder_exhibit)
    rows = scan_json(folder_exhibit, db, "--workers", "2")
    assert snapshot(folder_exhibit) == before, "the scan modified the exhibit"

    by_path = {r["path"]: r for r in rows}
    for key in ("exhibit", "path", "inode", "allocated", "size", "md5", "sha1", "sha256",
                "media_type", "pdq", "pdq_quality", "error"):
        assert all(key in r for r in rows), key

    # Every regular file hashed with the right digests.
    for dirpath, _dirs, names in os.walk(folder_exhibit):
        for name in names:
            full = Path(dirpath) / name
            if not full.is_file() or full.is_symlink():
                continue
            rel = "/" + str(full.relative_to(folder_exhibit))
            row = by_path.get(rel) or next(r for r in rows if r["path"].endswith(name[-8:]))
            data = full.read_bytes()
            assert row["md5"] == hashlib.md5(data).hexdigest()
            assert row["sha1"] == hashlib.sha1(data).hexdigest()
            assert row["sha256"] == hashlib.sha256(data).hexdigest()
            assert row["size"] == len(data)

    jpeg = by_path["/DCIM/100PHONE/IMG_0001.jpg"]
    assert jpeg["media_type"] == "image/jpeg"
    img = np.asarray(Image.open(folder_exhibit / "DCIM/100PHONE/IMG_0001.jpg").convert("RGB"))
    ref, quality = pdqhash.compute(img)
    ref_hex = "".join(f"{int(''.join(map(str, ref[i:i + 8])), 2):02x}" for i in range(0, 256, 8))
    distance = bin(int(ref_hex, 16) ^ int(jpeg["pdq"], 16)).count("1")
    assert distance <= 12 and jpeg["pdq_quality"] == quality

    video = by_path["/DCIM/clip.mp4"]
    assert video["media_type"].startswith("video/") and video["error"] is None
    from seawall.store.db import session_scope
    from seawall.store.models import VideoFrame

    with session_scope(db) as session:
        frames = session.query(VideoFrame).all()
    assert len(frames) >= 2 and all(len(f.pdq) == 64 for f in frames)

    lying = by_path["/Documents/holiday.doc"]
    assert lying["media_type"] == "image/jpeg" and lying["extension_mismatch"] is True
    assert by_path["/Documents/broken.jpg"]["md5"] is not None
    assert by_path["/Documents/broken.jpg"]["error"]  # truncated image: hashed, PDQ error
    assert by_path["/Documents/empty.bin"]["md5"] == hashlib.md5(b"").hexdigest()
    assert by_path["/Documents/pipe"]["md5"] is None and by_path["/Documents/pipe"]["error"]
    assert "/DCIM/loop" in by_path and by_path["/DCIM/loop"]["md5"] is None

    # Archive members are recorded (never extracted to disk), traversal names kept verbatim.
    members = [r for r in rows if "!/" in r["path"]]
    assert {m["path"].split("!/", 1)[1] for m in members} >= {"inner/pic_a.jpg", "../escape.jpg"}
    assert not (folder_exhibit.parent / "escape.jpg").exists()

    # Non-UTF-8 name preserved (escaped for display).
    assert any("\\xe9" in r["path"] for r in rows)


def test_dfxml_export(folder_exhibit: Path, tmp_path: Path, db_url: str):
    from lxml import etree

    db = db_url
    rows = scan_json(folder_exhibit, db)
    out = tmp_path / "out.dfxml"
    run("export", "--case", "C1", "--format", "dfxml", "--out", str(out), "--db", db)
    tree = etree.parse(str(out))
    ns = {"d": "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"}
    objects = tree.findall(".//d:fileobject", ns)
    assert len(objects) == len(rows)
    md5s = {o.findtext("d:hashdigest[@type='md5']", namespaces=ns) for o in objects}
    assert md5s - {None} == {r["md5"] for r in rows} - {None}
    assert {e.text for e in tree.findall(".//{*}exhibit")} == {"exhibit"}
    pdqs = tree.findall(".//{*}pdq")
    assert {p.text for p in pdqs} == {r["pdq"] for r in rows if r["pdq"]}
