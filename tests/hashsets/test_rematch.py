"""``seawall hashset import … --rematch``: no case keeps counts from a replaced version, and
the report names the versions it used."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from seawall.reports.model import build_report
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_factory
from seawall.store.models import Case, Exhibit, FileRecord
from tests.hashsets.conftest import MD5_A, md5n


def seawall(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seawall", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def _report(db_url: str, case: str) -> dict:
    session = session_factory(db_url)()
    try:
        return build_report(session, case)
    finally:
        session.close()


def test_rematch_moves_every_case_to_the_new_version(db_url, session, tmp_path):
    for ref in ("OP-1", "OP-2"):
        case = Case(reference=ref, scheme="uk")
        ex = Exhibit(case=case, reference="EX-1", source_kind="folder")
        session.add_all([case, ex, FileRecord(exhibit=ex, file_key="1", path="/a.jpg",
                                              md5=MD5_A, media_class="image")])
    session.commit()
    v1 = tmp_path / "v1.txt"
    v1.write_text(f"{MD5_A}\n")
    run = seawall("hashset", "import", v1, "--format", "hashlist", "--name", "list",
                  "--category", "A", "--db", db_url)
    assert run.returncode == 0, run.stderr
    for ref in ("OP-1", "OP-2"):
        assert seawall("match", "--case", ref, "--db", db_url).returncode == 0

    v2 = tmp_path / "v2.txt"
    v2.write_text(f"{MD5_A}\n{md5n(1)}\n")
    run = seawall("hashset", "import", v2, "--format", "hashlist", "--name", "list",
                  "--category", "B", "--db", db_url)  # without --rematch: old counts stay
    assert "--rematch" in run.stdout + run.stderr
    report = _report(db_url, "OP-1")
    assert report["counts"]["total"]["A"]["still"] == 1
    assert [(h["version"], h["current"]) for h in report["hash_sets"]] == [(1, False),
                                                                           (2, True)]

    v3 = tmp_path / "v3.txt"
    v3.write_text(f"{MD5_A}\n{md5n(2)}\n")
    run = seawall("hashset", "import", v3, "--format", "hashlist", "--name", "list",
                  "--category", "C", "--rematch", "--db", db_url)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "re-matched 2 case(s)" in out and "OP-1 (1 of 1 files matched)" in out
    for ref in ("OP-1", "OP-2"):
        report = _report(db_url, ref)
        assert report["counts"]["total"]["C"]["still"] == 1
        assert report["counts"]["total"].get("A", {}).get("still", 0) == 0
        # Only the version in use is named: no superseded version left behind.
        assert [(h["set"], h["version"], h["current"]) for h in report["hash_sets"]] == [
            ("list", 3, True)]
        assert report["files"][0]["basis"]["hash_sets"] == [{"set": "list", "version": 3}]
    session.expire_all()
    rematched = sorted(ref for ref, details in session.execute(
        select(AuditEntry.case_reference, AuditEntry.details)
        .where(AuditEntry.action == "case.match")) if (details or {}).get("rematch"))
    assert rematched == ["OP-1", "OP-2"]
