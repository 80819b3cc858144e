"""Options and helpers shared by the CLI command modules."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console(stderr=True)

DbOption = typer.Option(None, "--db", envvar="SEAWALL_DB",
                        help="Database URL (default sqlite:///seawall.db).")
CaseOption = typer.Option(..., "--case", help="Case reference.")
FormatOption = typer.Option("table", "--format", help="table or json.")
AsOfOption = typer.Option(None, "--as-of", help="Date to report as of (YYYY-MM-DD; "
                          "default today).")


def fail(message: str, code: int = 1) -> NoReturn:
    # escape(): messages quote paths and config keys ("[dialects.US]") that Rich would
    # otherwise take for markup and drop.
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def parse_as_of(value: str | None) -> date:
    """``--as-of`` as a date; today when not given."""
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of {value!r} is not a YYYY-MM-DD date")


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
