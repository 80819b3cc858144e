"""``seawall user``: manage web users."""

from __future__ import annotations

from pathlib import Path

import typer

from seawall.cli.common import DbOption, console, fail
from seawall.store.audit import cli_actor


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Manage web users.", no_args_is_help=True)
    app.add_typer(users, name="user")

    @users.command("add")
    def add(
        name: str = typer.Argument(..., help="User name."),
        role: str = typer.Option(..., "--role",
                                 help="admin|supervisor|examiner|grader|investigator"),
        password_file: Path | None = typer.Option(
            None, "--password-file", exists=True, dir_okay=False,
            help="Read the password from this file (first line) instead of prompting."),
        db: str | None = DbOption,
    ) -> None:
        """Add a user (argon2-hashed password)."""
        from seawall.store import audit
        from seawall.store.db import session_scope
        from seawall.web.auth import create_user

        if password_file is not None:
            lines = password_file.read_text(encoding="utf-8").splitlines()
            password = lines[0] if lines else ""
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            with session_scope(db) as session:
                create_user(session, name, password, role)
                audit.record(session, cli_actor(), "admin.user.add", target=name,
                             details={"role": role})
        except ValueError as exc:
            fail(str(exc))
        console.print(f"user {name} added ({role})")

    @users.command("list")
    def list_users(db: str | None = DbOption) -> None:
        """List users and their roles."""
        from sqlalchemy import select

        from seawall.store.db import session_scope
        from seawall.store.web_models import User

        with session_scope(db) as session:
            for user in session.scalars(select(User).order_by(User.username)):
                state = "active" if user.active else "inactive"
                if user.locked_until:
                    state += f", locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
                typer.echo(f"{user.username}\t{user.role}\t{state}")

    @users.command("unlock")
    def unlock(name: str = typer.Argument(...), db: str | None = DbOption) -> None:
        """Clear a lockout after repeated failed logins."""
        from sqlalchemy import select

        from seawall.store import audit
        from seawall.store.db import session_scope
        from seawall.store.web_models import User

        with session_scope(db) as session:
            user = session.scalar(select(User).where(User.username == name))
            if user is None:
                fail(f"no user {name!r}")
            user.locked_until = None
            user.failed_logins = 0
            audit.record(session, cli_actor(), "admin.user.update", target=name,
                         details={"unlocked": True})
        console.print(f"user {name} unlocked")
