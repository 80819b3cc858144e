"""Options and helpers shared by the CLI command modules."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

console = Console(stderr=True)

DbOption = typer.Option(None, "--db", envvar="SEAWALL_DB",
                        help="Database URL (default sqlite:///seawall.db).")
CaseOption = typer.Option(..., "--case", help="Case reference.")


def fail(message: str, code: int = 1) -> None:
    # escape(): messages quote paths and config keys ("[dialects.US]") that Rich would
    # otherwise take for markup and drop.
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


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
