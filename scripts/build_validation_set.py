#!/usr/bin/env python3
"""Build Seawall's method-validation reference set (``data/validation/``) with The Sleuth Kit.

The expected listings and hashes are produced by a *different* tool than Seawall's own
reader: TSK's command-line programs (``fls -r -p`` for the listing, ``icat`` for the bytes of
every file and stream), and ``ewfverify`` (libewf) / Python's hashlib for the media hash.
``seawall validate`` then scans the same images and compares (src/seawall/reports/validation.py).

Scope rules (what a TSK entry becomes in ``expected/<case>.tsv``), kept here and in the
README so the validation record can be reviewed:

* regular files (``r/r``, ``-/r``) and NTFS named ``$DATA`` streams (``path:stream``, attribute
  type 128) are expected with their size and MD5 (from ``icat``);
* NTFS attributes of other types (144 ``$INDEX_ROOT``, 160 ``$INDEX_ALLOCATION``: directory
  indexes such as ``$ObjId:$O``) are index data, not file content: not expected;
* an NTFS file that TSK lists only through such attributes or named streams (no unnamed
  ``$DATA``: ``$Secure``, ``$Extend/$Quota``), or whose MFT entry has no ``$DATA`` at all
  (``icat``: "Attribute 128 not found", e.g. orphan entries), is expected as a file of size 0;
* deleted names with no recoverable metadata (``r/- * 0``) are expected as ``name_only``;
* symbolic links (``l/l``) are expected as ``symlink`` (no content compared);
* directories, TSK virtual files (``v/v`` ``$MBR``, ``$FAT1``…, ``V/V $OrphanFiles``) and FAT
  volume-label entries are not files and are not expected.

Usage::

    .venv/bin/python scripts/build_validation_set.py [--shared ../shared] [--out data/validation]

Needs Debian ``sleuthkit``, ``ewf-tools`` (and ``faketime``, optional: fixes the acquisition
date written into the FAT16 E01 this script makes from a raw image).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FLS_LINE = re.compile(r"^(?P<type>\S+/\S+) (?P<deleted>\* )?(?P<addr>[0-9-]+):\t(?P<path>.*)$")
EMPTY_MD5 = hashlib.md5(b"").hexdigest()

# (case id, source under shared/testdata/images, file name here, sector offset, volume,
#  description, licence note)
CASES = [
    ("ext2-ewf", "image.E01", "image.E01", 0, "",
     "EWF (EnCase) image of an ext2 file system with deleted names and an orphan inode",
     "dfVFS test data, Apache-2.0"),
    ("ext2-raw", "image.dd", "image.dd", 0, "",
     "raw ext2 image with deleted names and a symbolic link", "dfVFS test data, Apache-2.0"),
    ("ext2-ewf-2", "ext2.E01", "ext2.E01", 0, "",
     "EWF image of a 4 MiB ext2 file system with a symbolic link", "dfVFS test data, Apache-2.0"),
    ("ntfs-gpt-ewf", "synthetic/triage_ntfs_gpt.E01", "triage_ntfs_gpt.E01", 2048, "p1",
     "EWF image of a GPT disk with an NTFS partition: alternate data streams, deleted files, "
     "a deleted folder, NTFS metadata files, non-ASCII names",
     "synthetic (made for this project), Apache-2.0"),
    ("fat16-mbr-ewf", "synthetic/triage_fat16_mbr.raw", "triage_fat16_mbr.E01", 2048, "p1",
     "EWF image (made here with ewfacquire from triage_fat16_mbr.raw) of an MBR disk with a "
     "FAT16 partition: deleted files, a deleted folder, a fragmented file, non-ASCII names",
     "synthetic (made for this project), Apache-2.0"),
]
# Reviewed, documented exceptions: compared on presence only (Seawall does not read content).
ACCEPTED = {
    "ntfs-gpt-ewf": [{"path": "$BadClus:$Bad", "compare": "presence",
                      "reason": "sparse NTFS bad-cluster map: icat writes no bytes for its "
                                "sparse runs while its nominal size is the volume size; "
                                "Seawall records the nominal size and, by design, does not "
                                "read the (all sparse) content"}],
}


def run(*args: str) -> bytes:
    return subprocess.run(list(args), check=True, capture_output=True, timeout=300).stdout


def icat(image: Path, off: list[str], addr: str) -> bytes:
    out = subprocess.run(["icat", *off, str(image), addr], capture_output=True, timeout=300)
    if out.returncode == 0:
        return out.stdout
    if b"Attribute 128 not found" in out.stderr:
        return b""  # an NTFS entry without any $DATA attribute: a file of size 0
    sys.exit(f"icat {addr} failed: {out.stderr.decode(errors='replace')}")


def tool_version(*args: str) -> str:
    try:
        out = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
    except OSError:
        return "not installed"
    return (out.stdout or out.stderr).strip().splitlines()[0]


def make_image(src: Path, dest: Path) -> None:
    if src.suffix.upper() == ".E01" or src.suffix == ".dd":
        shutil.copyfile(src, dest)
        return
    # A raw disk is too big to ship; acquire it into a compressed E01 (same media bytes).
    target = dest.with_suffix("")
    for old in dest.parent.glob(target.name + ".E0*"):
        old.unlink()
    cmd = ["ewfacquire", "-u", "-t", str(target), "-f", "encase6", "-c", "deflate:best",
           "-C", "SEAWALL-VALIDATION", "-D", f"made from {src.name}", "-E", src.stem,
           "-e", "scripts/build_validation_set.py", "-N", "synthetic, benign", str(src)]
    if shutil.which("faketime"):
        cmd = ["faketime", "2024-06-01 10:00:00", *cmd]
    run(*cmd)


def media_md5(image: Path, raw_source: Path) -> tuple[str, str]:
    if image.suffix.upper() == ".E01":
        out = run("ewfverify", "-q", str(image)).decode()
        stored = re.search(r"MD5 hash stored in file:\s+([0-9a-f]{32})", out)
        calc = re.search(r"MD5 hash calculated over data:\s+([0-9a-f]{32})", out)
        if not calc or (stored and stored.group(1) != calc.group(1)):
            sys.exit(f"{image}: ewfverify did not verify:\n{out}")
        return calc.group(1), tool_version("ewfverify", "-V")
    return hashlib.md5(image.read_bytes()).hexdigest(), "Python hashlib (raw image bytes)"


def expected_rows(image: Path, offset: int) -> list[dict]:
    off = ["-o", str(offset)] if offset else []
    listing = run("fls", "-r", "-p", *off, str(image)).decode("utf-8")
    rows: list[dict] = []
    ntfs_bases: dict[str, dict] = {}
    for line in listing.splitlines():
        m = FLS_LINE.match(line)
        if not m:
            sys.exit(f"unparsed fls line: {line!r}")
        ftype, addr, path = m.group("type"), m.group("addr"), m.group("path")
        allocated = 0 if m.group("deleted") else 1
        name_t, meta_t = ftype.split("/")
        if "(Volume Label Entry)" in path or ftype in ("v/v", "V/V") or "d" in (name_t, meta_t):
            continue
        parts = addr.split("-")
        base = path.split(":", 1)[0] if len(parts) == 3 else path
        if len(parts) == 3:
            info = ntfs_bases.setdefault(base, {"unnamed": False, "allocated": allocated})
            if ":" not in path and parts[1] == "128":
                info["unnamed"] = True
            if parts[1] != "128":
                continue  # index attribute: directory data, not file content
        if ftype == "l/l":
            rows.append({"path": path, "kind": "symlink", "allocated": allocated,
                         "size": "", "md5": ""})
            continue
        if addr == "0":
            rows.append({"path": path, "kind": "name_only", "allocated": allocated,
                         "size": "", "md5": ""})
            continue
        data = icat(image, off, addr)
        kind = "ads" if len(parts) == 3 and ":" in path else "file"
        rows.append({"path": path, "kind": kind, "allocated": allocated, "size": len(data),
                     "md5": hashlib.md5(data).hexdigest()})
    for base, info in ntfs_bases.items():
        if not info["unnamed"]:
            rows.append({"path": base, "kind": "file", "allocated": info["allocated"],
                         "size": 0, "md5": EMPTY_MD5})
    return sorted(rows, key=lambda r: (r["path"], r["kind"], r["allocated"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--out", type=Path, default=REPO / "data" / "validation")
    args = ap.parse_args()
    for tool in ("fls", "icat", "ewfverify", "ewfacquire"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (apt-get install sleuthkit ewf-tools)")
    src_dir = args.shared / "testdata" / "images"
    (args.out / "images").mkdir(parents=True, exist_ok=True)
    (args.out / "expected").mkdir(parents=True, exist_ok=True)
    cases = []
    for case_id, src, name, offset, volume, description, licence in CASES:
        image = args.out / "images" / name
        make_image(src_dir / src, image)
        md5, md5_tool = media_md5(image, src_dir / src)
        rows = expected_rows(image, offset)
        tsv = args.out / "expected" / f"{case_id}.tsv"
        with open(tsv, "w", encoding="utf-8", newline="\n") as fh:
            fh.write("path\tkind\tallocated\tsize\tmd5\n")
            for r in rows:
                fh.write(f"{r['path']}\t{r['kind']}\t{r['allocated']}\t{r['size']}\t{r['md5']}\n")
        cases.append({
            "id": case_id, "description": description, "licence": licence,
            "images": [f"images/{name}"],
            "image_sha256": {f"images/{name}": hashlib.sha256(image.read_bytes()).hexdigest()},
            "source": f"shared/testdata/images/{src}",
            "sector_offset": offset, "volume": volume,
            "expected": f"expected/{case_id}.tsv", "expected_entries": len(rows),
            "media_md5": md5, "media_md5_tool": md5_tool,
            "accepted": ACCEPTED.get(case_id, []),
        })
        print(f"{case_id}: {len(rows)} expected entries, media MD5 {md5}")
    manifest = {
        "title": "Seawall method-validation reference set",
        "generated_by": "scripts/build_validation_set.py",
        "reference_tools": {"fls": tool_version("fls", "-V"), "icat": tool_version("icat", "-V"),
                            "ewfverify": tool_version("ewfverify", "-V")},
        "cases": cases,
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                            + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
