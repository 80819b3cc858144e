"""Options and helpers shared by the CLI command modules."""

from __future__ import annotations

import typer
from rich.console import Console

console = Console(stderr=True)

DbOption = typer.Option(None, "--db", envvar="SEAWALL_DB",
                        help="Database URL (default sqlite:///seawall.db).")
CaseOption = typer.Option(..., "--case", help="Case reference.")


def fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)
