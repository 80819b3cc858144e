"""The command line maps Seawall's errors once: ``error: <message>`` and the kind's status."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from seawall import errors
from seawall.cli.common import SeawallGroup


def seawall(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seawall", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_unknown_case_is_not_found(db_url):
    for command in (["counts", "--case", "NOPE"], ["files", "--case", "NOPE"],
                    ["report", "--case", "NOPE", "--format", "json", "--out", "x.json"],
                    ["casework", "show", "NOPE"]):
        run = seawall(*command, "--db", db_url)
        assert (run.returncode, run.stderr.strip()) == (1, "error: no case 'NOPE'"), command
        assert run.stdout == ""


def test_message_is_not_taken_for_markup(db_url):
    run = seawall("counts", "--case", "[red]OP[/red]", "--db", db_url)
    assert run.returncode == 1 and "no case '[red]OP[/red]'" in run.stderr


def test_invalid_input_and_config_error(db_url, tmp_path):
    run = seawall("export", "--case", "NOPE", "--format", "nope", "--out", str(tmp_path / "x"),
                  "--db", db_url)
    assert run.returncode == 1 and run.stderr.startswith("error: unknown export format 'nope'")
    bad = tmp_path / "ops.toml"
    bad.write_text("[bands.high]\ndeadline_days = 'soon'\n")
    run = seawall("backlog", "queue", "--config", str(bad), "--db", db_url)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("error: invalid configuration: ") and "bands.high" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("kind", [errors.NotFound, errors.InvalidInput, errors.ConfigError,
                                  errors.AccessDenied, errors.Conflict, errors.Unavailable,
                                  errors.SeawallError])
def test_every_kind_maps_to_its_exit_status(kind):
    app = typer.Typer(cls=SeawallGroup)

    @app.command()
    def boom() -> None:
        raise kind("it went [wrong]")

    @app.command()
    def other() -> None:  # a second command makes ``boom`` a subcommand, as in seawall
        pass

    result = CliRunner().invoke(app, ["boom"])
    assert result.exit_code == kind.exit_code
    assert "it went [wrong]" in result.output and "error:" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_one_command_style():
    """Commands are top-level functions that ``register(app)`` adds; no command module
    imports another's private helpers (shared ones live in cli/common.py)."""
    import ast
    from pathlib import Path

    import seawall.cli

    for path in Path(seawall.cli.__file__).parent.glob("*_cmd.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        registers = [n for n in tree.body
                     if isinstance(n, ast.FunctionDef) and n.name == "register"]
        assert len(registers) == 1, path.name
        nested = [n.name for n in ast.walk(registers[0])
                  if isinstance(n, ast.FunctionDef) and n is not registers[0]]
        assert nested == [], (path.name, nested)
        private = [f"{n.module}.{a.name}" for n in ast.walk(tree)
                   if isinstance(n, ast.ImportFrom) and (n.module or "").endswith("_cmd")
                   for a in n.names if a.name.startswith("_")]
        assert private == [], (path.name, private)
