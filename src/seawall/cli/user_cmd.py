"""``seawall user``: manage web users."""

from __future__ import annotations

from pathlib import Path

import typer

from seawall.accounts.roles import ROLES
from seawall.cli.common import DbOption, console, fail


def add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., "--role",
                             help="|".join(ROLES)),
    password_file: Path | None = typer.Option(
        None, "--password-file", exists=True, dir_okay=False,
        help="Read the password from this file (first line) instead of prompting."),
    db: str | None = DbOption,
) -> None:
    """Add a user (argon2-hashed password)."""
    from seawall.accounts.users import create_user
    from seawall.store import audit
    from seawall.store.db import session_scope

    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        password = lines[0] if lines else ""
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with session_scope(db) as session:
        create_user(session, name, password, role)
        audit.record(session, audit.cli_actor(), "admin.user.add", target=name,
                     details={"role": role})
    console.print(f"user {name} added ({role})")


def list_users(db: str | None = DbOption) -> None:
    """List users and their roles."""
    from sqlalchemy import select

    from seawall.store.accounts_models import User
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            state = "active" if user.active else "inactive"
            if user.locked_until:
                state += f", login delayed until {user.locked_until:%Y-%m-%d %H:%M:%S} UTC"
            typer.echo(f"{user.username}\t{user.role}\t{state}")


def unlock(name: str = typer.Argument(...), db: str | None = DbOption) -> None:
    """Clear the login delay after repeated failed logins."""
    from seawall.accounts.users import find_user
    from seawall.accounts.users import unlock as clear_lockout
    from seawall.store import audit
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        user = find_user(session, name)
        if user is None:
            fail(f"no user {name!r}")
        clear_lockout(session, user)
        audit.record(session, audit.cli_actor(), "admin.user.update", target=name,
                     details={"unlocked": True})
    console.print(f"user {name} unlocked")


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Manage web users.", no_args_is_help=True)
    app.add_typer(users, name="user")
    users.command("add")(add)
    users.command("list")(list_users)
    users.command("unlock")(unlock)
