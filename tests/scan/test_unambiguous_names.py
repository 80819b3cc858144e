"""A file literally named ``a\\xff.bin`` and one whose name holds the byte 0xFF never print
alike: a backslash is escaped too (``\\\\``), in every output that shows names."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from seawall.evidence._common import display_name, display_text
from tests.conftest import picture_bytes

LITERAL = "/a\\\\xff.bin"  # shown form of the name a\xff.bin (a backslash, x, f, f)
BYTE = "/a\\xff.bin"  # shown form of the name a<0xFF>.bin


def test_display_name_escapes_the_backslash_and_keeps_the_raw_bytes():
    assert display_name(b"a\\xff.bin") == ("a\\\\xff.bin", b"a\\xff.bin")
    assert display_name(b"a\xff.bin") == ("a\\xff.bin", b"a\xff.bin")
    assert display_name(b"a\\\xff") == ("a\\\\\\xff", b"a\\\xff")
    assert display_name(b"plain.jpg") == ("plain.jpg", None)
    assert display_text("dir\\name") == ("dir\\\\name", b"dir\\name")
    assert display_text("t\udcff") == ("t\\xff", b"t\xff")  # tarfile's surrogateescape


def seawall(*args) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "seawall", *map(str, args)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.mark.skipif(sys.platform != "linux", reason="names with a 0xFF byte need Linux")
def test_every_output_tells_the_two_names_apart(db_url, tmp_path):
    exhibit = tmp_path / "exhibit"
    exhibit.mkdir()
    # Pictures, so that reports (which list media) show them too.
    for name, body in ((b"a\\xff.bin", picture_bytes(1)), (b"a\xff.bin", picture_bytes(2))):
        with open(os.fsencode(exhibit) + b"/" + name, "wb") as f:
            f.write(body)
    db = ("--db", db_url)
    known = tmp_path / "known.txt"  # graded, so the HTML report's appendix lists them too
    known.write_text("".join(hashlib.md5(picture_bytes(n)).hexdigest() + "\n" for n in (1, 2)))
    seawall("hashset", "import", known, "--format", "hashlist", "--name", "L", "--category",
            "A", *db)
    seawall("scan", exhibit, "--case", "C1", "--workers", "1", *db)

    listed = json.loads(seawall("files", "--case", "C1", "--format", "json", *db).stdout)
    assert sorted(f["path"] for f in listed) == sorted([LITERAL, BYTE])
    tsv = seawall("files", "--case", "C1", "--format", "tsv", *db).stdout
    assert tsv.count(LITERAL) == 1 and tsv.count(BYTE) == 1

    for fmt in ("json", "html"):
        out = tmp_path / f"report.{fmt}"
        seawall("report", "--case", "C1", "--format", fmt, "--out", out, *db)
        text = out.read_text()
        if fmt == "json":
            paths = [f["full_path"] for f in json.loads(text)["files"]]
            assert sorted(paths) == sorted([LITERAL, BYTE]), paths
        else:
            assert text.count(LITERAL) >= 1 and text.count(BYTE) >= 1, fmt
    for fmt in ("dfxml", "case"):
        out = tmp_path / f"export.{fmt}"
        seawall("export", "--case", "C1", "--format", fmt, "--out", out, *db)
        text = out.read_text()
        if fmt == "case":
            text = json.dumps(json.loads(text), ensure_ascii=False).replace("\\\\", "\\")
        assert text.count(LITERAL) == 1 and text.count(BYTE) == 1, fmt
