"""``seawall case``: create cases and assign users to them."""

from __future__ import annotations

import typer

from seawall.cli.common import DbOption, console


def _run(db: str | None, action, message: str) -> None:
    """Run ``action(session)`` in one transaction; False from it means nothing changed."""
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        result = action(session)
    console.print(message if result is not False else f"nothing to do: {message}")


def add(reference: str = typer.Argument(...),
        scheme: str = typer.Option("uk", "--scheme", help="Grading scheme: uk or us."),
        db: str | None = DbOption) -> None:
    """Create a case."""
    from seawall.accounts.assignments import add_case
    from seawall.store.audit import cli_actor

    _run(db, lambda s: add_case(s, reference, scheme, actor=cli_actor()),
         f"case {reference} added ({scheme})")


def assign(case: str = typer.Argument(...), user: str = typer.Argument(...),
           db: str | None = DbOption) -> None:
    """Let USER see CASE."""
    from seawall.accounts.assignments import assign as do_assign
    from seawall.store.audit import cli_actor

    _run(db, lambda s: do_assign(s, case, user, actor=cli_actor()),
         f"{user} assigned to {case}")


def unassign(case: str = typer.Argument(...), user: str = typer.Argument(...),
             db: str | None = DbOption) -> None:
    """Stop USER seeing CASE."""
    from seawall.accounts.assignments import unassign as do_unassign
    from seawall.store.audit import cli_actor

    _run(db, lambda s: do_unassign(s, case, user, actor=cli_actor()),
         f"{user} unassigned from {case}")


def register(app: typer.Typer) -> None:
    cases = typer.Typer(help="Create cases and manage who may see them.", no_args_is_help=True)
    app.add_typer(cases, name="case")
    cases.command("add")(add)
    cases.command("assign")(assign)
    cases.command("unassign")(unassign)
