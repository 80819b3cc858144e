"""Command-line access to case data is audited like the web app's, in the same chain."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from seawall.cli.app import app
from seawall.store.audit import cli_actor, verify
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from tests.conftest import picture_bytes

runner = CliRunner()


def run(*args: str) -> None:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_cli_reads_exports_and_changes_are_audited(tmp_path: Path, db_url: str):
    exhibit = tmp_path / "exhibit"
    exhibit.mkdir()
    known = picture_bytes(7)
    (exhibit / "a.jpg").write_bytes(known)
    (exhibit / "b.txt").write_text("benign\n")
    listing = tmp_path / "known.txt"
    listing.write_text(hashlib.md5(known).hexdigest() + "\n")
    db = ("--db", db_url)

    run("hashset", "import", str(listing), "--format", "hashlist", "--name", "L",
        "--category", "A", *db)
    run("scan", str(exhibit), "--case", "C1", "--workers", "1", *db)
    run("files", "--case", "C1", "--format", "json", *db)
    run("match", "--case", "C1", *db)
    run("counts", "--case", "C1", "--format", "json", *db)
    run("report", "--case", "C1", "--format", "json", "--out", str(tmp_path / "r.json"), *db)
    run("export", "--case", "C1", "--format", "dfxml", "--out", str(tmp_path / "x.xml"), *db)
    run("hashset", "remove", "L", *db)

    with session_scope(db_url) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert verify(session) == []
    got = [(e.action, e.case_reference) for e in entries]
    assert got == [
        ("admin.hashset.import", None), ("scan.start", "C1"), ("scan.finish", "C1"),
        ("case.files.list", "C1"), ("case.match", "C1"), ("case.counts", "C1"),
        ("case.report", "C1"), ("case.export", "C1"), ("admin.hashset.remove", None)]
    assert {e.actor for e in entries} == {cli_actor()}
    by_action = {e.action: e for e in entries}
    assert by_action["scan.finish"].details["files_scanned"] == 2
    assert by_action["case.files.list"].details["records"] == 2
    assert by_action["case.export"].target == str(tmp_path / "x.xml")
    assert by_action["case.match"].details["files_matched"] == 1
    assert by_action["admin.hashset.import"].details["entries"] == 1


def test_refused_access_is_not_logged_as_access(tmp_path: Path, db_url: str):
    result = runner.invoke(app, ["files", "--case", "NOPE", "--db", db_url])
    assert result.exit_code == 1
    with session_scope(db_url) as session:
        assert session.scalars(select(AuditEntry.action)).all() == []


def test_error_messages_keep_bracketed_text(tmp_path: Path, db_url: str):
    """Rich markup must not eat "[...]" in messages (config keys, paths)."""
    from seawall.cli.common import console, fail

    with console.capture() as captured:
        try:
            fail("add a [dialects.US] table to the scheme file")
        except Exception:  # typer.Exit
            pass
    assert "[dialects.US]" in captured.get()
