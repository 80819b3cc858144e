"""Options and helpers shared by the CLI command modules, and where errors are mapped.

Commands do not catch Seawall's errors: :class:`SeawallGroup`, the root command group, turns
any :class:`~seawall.errors.SeawallError` into ``error: <message>`` on stderr and the exit
status of its kind (see seawall/errors.py).  A command calls :func:`fail` itself only for a
problem it finds in its own options.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from seawall.errors import SeawallError, user_message

console = Console(stderr=True)

DbOption = typer.Option(None, "--db", envvar="SEAWALL_DB",
                        help="Database URL (default sqlite:///seawall.db).")
CaseOption = typer.Option(..., "--case", help="Case reference.")
FormatOption = typer.Option("table", "--format", help="table or json.")
BacklogConfigOption = typer.Option(None, "--config", envvar="SEAWALL_OPERATIONS_CONFIG",
                                   help="Backlog policy TOML overriding the packaged "
                                        "defaults.")
AsOfOption = typer.Option(None, "--as-of", help="Date to report as of (YYYY-MM-DD; "
                          "default today).")


def fail(message: str, code: int = 1) -> NoReturn:
    # escape(): messages quote paths and config keys ("[dialects.US]") that Rich would
    # otherwise take for markup and drop.
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


class SeawallGroup(TyperGroup):
    """The ``seawall`` command group: maps every SeawallError once, for all subcommands."""

    def invoke(self, ctx):  # ctx: typer's own (vendored) click Context
        try:
            return super().invoke(ctx)
        except SeawallError as exc:
            fail(user_message(exc), exc.exit_code)

    def get_help_option(self, ctx):
        # Typer coerces an unset flag (None) through a pydantic adapter: passing through a
        # group to a subcommand would import pydantic (~70 ms) for nothing.  Unset is False.
        option = super().get_help_option(ctx)
        if option is not None:
            option.default = False
        return option


def parse_as_of(value: str | None) -> date:
    """``--as-of`` as a date; today when not given."""
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of {value!r} is not a YYYY-MM-DD date")


def read_json(path: str):
    """The JSON document in the file at ``path`` (``-``: stdin); exit 2 when it cannot be
    read or parsed, like any other unusable input file."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
        return json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}", 2)
    except json.JSONDecodeError as exc:
        fail(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}", 2)


def check_format(fmt: str) -> None:
    if fmt not in ("table", "json"):
        fail("--format must be table or json")


def print_json(data) -> None:
    """``--format json`` output on stdout (dates and other values as strings)."""
    json.dump(data, sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")


def print_table(table: Table) -> None:
    """A report table on stdout, wide enough that reference columns do not wrap."""
    Console(width=160).print(table)


def audit_cli(db: str | None, action: str, *, case: str | None = None,
              target: str | None = None, details: dict | None = None) -> None:
    """Append a command-line access to case data to the audit log (actor ``cli:<login>``).

    The command line reaches the database directly, with the database's own credentials as
    its authentication; the log is then the record of who read, exported or changed case
    data from it, next to the web app's entries in the same hash chain."""
    from seawall.store import audit
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        audit.record(session, audit.cli_actor(), action, case=case, target=target,
                     details=details)
