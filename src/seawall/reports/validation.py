"""Method validation: Seawall against reference results from The Sleuth Kit.

``data/validation/manifest.json`` lists reference images, each with the listing and MD5s that
TSK's ``fls``/``icat`` produced (``expected/<case>.tsv``, written by
``scripts/build_validation_set.py``) and the media MD5 from ``ewfverify``.  For each case we

1. check the image files are the ones the expectations were made from (SHA-256);
2. scan them with Seawall into a throw-away database;
3. compare every expected entry with Seawall's record of the same path: kind, allocation,
   size and MD5; anything missing, extra or different is a failure.  Archive members are
   outside TSK's scope and are counted, not compared; reviewed exceptions listed under
   ``accepted`` in the manifest are compared as stated there, with their reason recorded;
4. verify the media hash through Seawall's evidence layer (E01 embedded-hash check).

The result is a validation record (JSON): per case expected vs found and pass/fail, tool and
library versions, platform and date — the evidence the Forensic Science Regulator's Code
asks for when a method is claimed to be validated.
"""

from __future__ import annotations

import csv
import hashlib
import json
import platform
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy import select

import seawall
from seawall.reports.model import iso

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "data" / "validation"
LIBRARIES = ("dfvfs", "pytsk3", "libewf-python", "SQLAlchemy", "pdqhash", "vpdq", "pillow",
             "numpy", "lxml")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict:
    out = {"seawall": seawall.__version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _tsk_version() -> str:
    if not shutil.which("fls"):
        return "not installed (expected results were produced earlier; see the manifest)"
    out = subprocess.run(["fls", "-V"], capture_output=True, text=True, timeout=30)
    return (out.stdout or out.stderr).strip()


def _expected(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    for r in rows:
        r["allocated"] = int(r["allocated"])
        r["size"] = int(r["size"]) if r["size"] != "" else None
        r["md5"] = r["md5"] or None
    return rows


def _found_kind(rec) -> str:
    if rec.kind in ("symlink", "ads"):
        return rec.kind
    if rec.md5 is None and rec.size is None and rec.inode in (None, "", "0"):
        return "name_only"
    return "file"


def _scan(images: list[Path], case_id: str, work: Path) -> tuple[list[dict], int, dict]:
    from seawall.scan.pipeline import scan_exhibit
    from seawall.store.db import session_scope
    from seawall.store.models import Exhibit, FileRecord

    url = f"sqlite:///{work / (case_id + '.db')}"
    scan_exhibit([str(p) for p in images], "VALIDATION", exhibit_reference=case_id,
                 db_url=url, workers=1)
    found, members = [], 0
    with session_scope(url) as session:
        exhibit = session.scalar(select(Exhibit).where(Exhibit.reference == case_id))
        for rec in session.scalars(select(FileRecord).where(FileRecord.exhibit_id == exhibit.id)
                                   .order_by(FileRecord.path, FileRecord.id)):
            if rec.parent_key is not None or rec.kind == "archive_member":
                members += 1
                continue
            found.append({"path": rec.path.lstrip("/"), "volume": rec.volume,
                          "kind": _found_kind(rec), "allocated": int(bool(rec.allocated)),
                          "size": rec.size, "md5": rec.md5, "error": rec.error})
        identity = dict(exhibit.identity or {})
    return found, members, identity


def _verify_media(images: list[Path]) -> dict:
    """Media MD5 and embedded-hash verdict as Seawall's evidence layer computes them."""
    from seawall.evidence.disk_image import DiskImageSource

    source = DiskImageSource([str(p) for p in images], verify=True)
    try:
        info = source.describe()
    finally:
        source.close()
    ewf = info.get("ewf") or {}
    ver = ewf.get("verification") or info.get("verification") or {}
    return {"media_md5": ver.get("media_md5"), "verdict": ver.get("result"),
            "stored_md5": ewf.get("stored_md5")}


def _compare(expected: list[dict], found: list[dict], volume: str,
             accepted: dict[str, dict]) -> list[dict]:
    by_path: dict[str, list[dict]] = {}
    for f in found:
        by_path.setdefault(f["path"], []).append(f)
    rows = []
    for exp in expected:
        cands = by_path.get(exp["path"], [])
        # Same name twice (e.g. two deleted entries): pair with the closest candidate.
        cands.sort(key=lambda f: (f["kind"] != exp["kind"], f["md5"] != exp["md5"]))
        got = cands.pop(0) if cands else None
        rule = accepted.get(exp["path"])
        fields: tuple[str, ...] = ("kind", "allocated", "size", "md5")
        if rule and rule.get("compare") == "presence":
            fields = ()
        problems = []
        if got is None:
            problems.append("missing: not found by Seawall")
        else:
            if got["volume"] != volume:
                problems.append(f"volume {got['volume']!r}, expected {volume!r}")
            for field in fields:
                if exp[field] != got[field]:
                    problems.append(f"{field} {got[field]!r}, expected {exp[field]!r}")
        rows.append({
            "path": exp["path"], "expected": {k: exp[k] for k in ("kind", "allocated", "size",
                                                                  "md5")},
            "found": None if got is None else {k: got[k] for k in ("kind", "allocated", "size",
                                                                   "md5", "error")},
            "result": "FAIL" if problems else "pass",
            "note": "; ".join(problems) or (f"accepted: {rule['reason']}" if rule else ""),
        })
    for path in sorted(by_path):
        for extra in by_path[path]:
            rows.append({"path": path, "expected": None,
                         "found": {k: extra[k] for k in ("kind", "allocated", "size", "md5",
                                                         "error")},
                         "result": "FAIL", "note": "unexpected: not listed by the reference"})
    return rows


def run_validation(data_dir: Path | None = None, as_of: str | None = None,
                   work_dir: Path | None = None) -> dict:
    """Run every case of the reference set; return the validation record."""
    from seawall.reports.model import parse_as_of

    data_dir = Path(data_dir or DEFAULT_DATA)
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    started = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    cases = []
    with tempfile.TemporaryDirectory(prefix="seawall-validate-", dir=work_dir) as tmp:
        for case in manifest["cases"]:
            images = [data_dir / p for p in case["images"]]
            record = {"id": case["id"], "description": case["description"],
                      "images": case["images"], "reference": case["expected"],
                      "checks": []}
            integrity = []
            for rel, digest in case.get("image_sha256", {}).items():
                got = _sha256(data_dir / rel) if (data_dir / rel).is_file() else None
                integrity.append({"image": rel, "expected_sha256": digest, "found_sha256": got,
                                  "result": "pass" if got == digest else "FAIL"})
            record["image_integrity"] = integrity
            if any(i["result"] != "pass" for i in integrity):
                record.update(result="FAIL", summary="reference image missing or altered")
                cases.append(record)
                continue
            expected = _expected(data_dir / case["expected"])
            found, members, identity = _scan(images, case["id"], Path(tmp))
            accepted = {a["path"]: a for a in case.get("accepted", [])}
            rows = _compare(expected, found, case.get("volume", ""), accepted)
            media = _verify_media(images)
            # An embedded hash, when the format stores one, must also have verified.
            media_ok = media["media_md5"] == case["media_md5"] and (
                not media["stored_md5"] or media["verdict"] == "verified")
            record["media"] = {"expected_md5": case["media_md5"],
                               "expected_from": case["media_md5_tool"], **media,
                               "result": "pass" if media_ok else "FAIL"}
            failed = [r for r in rows if r["result"] != "pass"]
            record.update(
                expected_entries=len(expected), found_entries=len(found),
                compared=len(rows), passed=len(rows) - len(failed), failed=len(failed),
                archive_members_not_compared=members,
                scan_warnings=identity.get("warnings", []), scan_errors=identity.get("errors", []),
                accepted=case.get("accepted", []), entries=rows,
                result="pass" if not failed and media_ok else "FAIL")
            cases.append(record)
    ok = all(c["result"] == "pass" for c in cases)
    return {
        "title": "Seawall method validation record",
        "method": "listing and hashing of files in disk images (scan stage)",
        "date": iso(parse_as_of(as_of) if as_of else started),
        "result": "PASS" if ok else "FAIL",
        "summary": {"cases": len(cases), "passed": sum(c["result"] == "pass" for c in cases),
                    "failed": sum(c["result"] != "pass" for c in cases)},
        "tool_versions": _versions(),
        "platform": {"system": platform.system(), "release": platform.release(),
                     "machine": platform.machine()},
        "reference": {"tools_when_built": manifest.get("reference_tools", {}),
                      "sleuthkit_installed_now": _tsk_version(),
                      "generated_by": manifest.get("generated_by")},
        "acceptance_criteria": "every expected entry found with the same kind, allocation "
                               "state, size and MD5; no unexpected entries; media MD5 equal to "
                               "the reference and the embedded hash verified",
        "cases": cases,
    }
