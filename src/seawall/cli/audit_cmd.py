"""``seawall audit``: check the hash-chained audit log."""

from __future__ import annotations

import typer

from seawall.cli.common import DbOption, console


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Audit log.", no_args_is_help=True)
    app.add_typer(group, name="audit")

    @group.command("verify")
    def verify(db: str | None = DbOption) -> None:
        """Verify the chain; exit 1 and list where if any entry was edited, deleted,
        inserted or reordered."""
        from seawall.store import audit
        from seawall.store.db import session_scope

        with session_scope(db) as session:
            problems = audit.verify(session)
            seq, digest = audit.head_hash(session)
        if problems:
            console.print(f"[red]audit log tampered: {len(problems)} problem(s)[/red]")
            for problem in problems:
                typer.echo(problem)
            raise typer.Exit(1)
        typer.echo(f"audit log intact: {seq} entries, head {digest}")
