"""``seawall audit``: check the hash-chained audit log."""

from __future__ import annotations

from pathlib import Path

import typer

from seawall.cli.common import DbOption, console


def verify(
    anchors: Path = typer.Option(None, "--anchors", help="File of 'SEQ HASH …' lines "
                                 "written by 'seawall audit anchor': also check them."),
    db: str | None = DbOption,
) -> None:
    """Verify the chain; exit 1 and list where if any entry was edited, deleted,
    inserted or reordered (or, with --anchors, if the log was rewritten)."""
    from seawall.store import audit
    from seawall.store.db import session_scope

    pairs = _read_anchors(anchors) if anchors else []
    with session_scope(db) as session:
        problems = audit.verify(session) + audit.check_anchors(session, pairs)
        seq, digest = audit.head_hash(session)
    if problems:
        console.print(f"[red]audit log tampered: {len(problems)} problem(s)[/red]")
        for problem in problems:
            typer.echo(problem)
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {seq} entries, head {digest}"
               + (f"; {len(pairs)} anchor(s) match" if pairs else ""))


def anchor(
    append: Path = typer.Option(None, "--append", help="Also append the line to this file "
                                "(keep it outside the database: WORM storage, a signed "
                                "daily log, a printed record)."),
    db: str | None = DbOption,
) -> None:
    """Print the chain head as 'SEQ HASH TIME' to record outside the database."""
    from datetime import UTC, datetime

    from seawall.store import audit
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        seq, digest = audit.head_hash(session)
    line = f"{seq} {digest} {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    typer.echo(line)
    if append:
        with open(append, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def _read_anchors(path: Path) -> list[tuple[int, str]]:
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 2 or not fields[0].isdigit() or len(fields[1]) != 64:
            raise typer.BadParameter(f"{path}:{number}: expected 'SEQ HASH [TIME]'")
        if int(fields[0]) > 0:
            pairs.append((int(fields[0]), fields[1]))
    return pairs


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Audit log.", no_args_is_help=True)
    app.add_typer(group, name="audit")
    group.command("verify")(verify)
    group.command("anchor")(anchor)
