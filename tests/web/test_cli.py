"""The user, case, audit and serve commands."""

from __future__ import annotations

import importlib

import pytest
import typer
from sqlalchemy import select, text
from typer.testing import CliRunner

from seawall.store.accounts_models import CaseAssignment, User
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope

MODULES = ["seawall.cli.web_cmd", "seawall.cli.user_cmd", "seawall.cli.case_cmd",
           "seawall.cli.audit_cmd"]


@pytest.fixture
def cli(empty_db_url):
    app = typer.Typer()
    for name in MODULES:
        importlib.import_module(name).register(app)
    url = empty_db_url
    runner = CliRunner()

    def run(*args, input=None):
        return runner.invoke(app, [*args, "--db", url], input=input)

    run.url = url
    return run


def test_user_case_and_audit_commands(cli, tmp_path):
    pw = tmp_path / "pw.txt"
    pw.write_text("a sufficiently long password\n")
    assert cli("user", "add", "erin", "--role", "grader", "--password-file", str(pw)).exit_code == 0
    result = cli("user", "add", "frank", "--role", "supervisor",
                 input="another long password\nanother long password\n")
    assert result.exit_code == 0, result.output
    assert cli("user", "add", "erin", "--role", "grader", "--password-file", str(pw)).exit_code == 1
    assert cli("user", "add", "gus", "--role", "wizard", "--password-file", str(pw)).exit_code == 1

    assert cli("case", "assign", "OP-1", "erin").exit_code == 1  # no such case yet
    assert cli("case", "add", "OP-1", "--scheme", "us").exit_code == 0
    assert cli("case", "add", "OP-1").exit_code == 1
    assert cli("case", "assign", "OP-1", "erin").exit_code == 0
    assert cli("case", "assign", "OP-1", "nobody").exit_code == 1
    with session_scope(cli.url) as s:
        assert s.scalar(select(CaseAssignment.id)) is not None
        erin = s.scalar(select(User).where(User.username == "erin"))
        assert erin.role == "grader" and erin.password_hash.startswith("$argon2")
    assert cli("case", "unassign", "OP-1", "erin").exit_code == 0
    with session_scope(cli.url) as s:
        assert s.scalar(select(CaseAssignment.id)) is None
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions == ["admin.user.add", "admin.user.add", "admin.case.add",
                       "admin.case.assign", "admin.case.unassign"]
    assert "erin\tgrader\tactive" in cli("user", "list").output

    result = cli("audit", "verify")
    assert result.exit_code == 0 and "intact: 5 entries" in result.output
    with session_scope(cli.url) as s:
        s.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    result = cli("audit", "verify")
    assert result.exit_code == 1 and "seq 3" in result.output


def test_serve_command_registered(cli):
    result = cli("serve", "--help")
    assert result.exit_code == 0 and "--host" in result.output and "--port" in result.output
