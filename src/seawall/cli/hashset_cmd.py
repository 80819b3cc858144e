"""``seawall hashset import|list|remove``: known-hash sets."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from seawall.cli.common import (
    CaseOption,
    DbOption,
    FormatOption,
    audit_cli,
    check_format,
    console,
    fail,
    print_json,
)
from seawall.store.hashset_defaults import DEFAULT_PDQ_DISTANCE


def import_cmd(
    file: Path = typer.Argument(..., help="Hash-set file to import."),
    fmt: str = typer.Option(..., "--format", help="vics, nsrl, hashlist, pdq or vpdq."),
    name: str = typer.Option(..., "--name", help="Set name; a re-import adds a version."),
    scheme: str = typer.Option(None, "--scheme",
                               help="Category scheme (uk, vics-us, …; VICS: by dialect)."),
    scheme_file: Path = typer.Option(None, "--scheme-file", help="A force's own scheme TOML."),
    category: str = typer.Option(None, "--category",
                                 help="Category for the whole list (hashlist, pdq, vpdq)."),
    dialect: str = typer.Option(None, "--dialect", help="Override the VICS dialect."),
    untrusted: bool = typer.Option(False, "--untrusted",
                                   help="Show matches but never let them set a category."),
    pdq_distance: int = typer.Option(
        DEFAULT_PDQ_DISTANCE, "--pdq-distance", min=0, max=255,
        help="PDQ matches of this set count within this Hamming distance (0-255)."),
    role: str = typer.Option(
        "positive", "--role",
        help="positive, or negative: known false positives (flat, generic pictures); a "
             "file matching one is never categorised by PDQ."),
    rematch: bool = typer.Option(
        False, "--rematch", help="Then match every case again, so no case keeps counts "
                                 "from a replaced version."),
    db: str = DbOption,
) -> None:
    """Import FILE as a new version of hash set NAME (all or nothing)."""
    from seawall.hashsets.base import ImportFailed
    from seawall.hashsets.service import import_hashset
    from seawall.store.db import session_factory

    session = session_factory(db)()
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn()]
    try:
        with Progress(*columns, console=console, transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int | None) -> None:
                if stage not in tasks:
                    label = {"hash": "hashing source", "index": "indexing entries"}.get(
                        stage, f"importing {file.name}")
                    tasks[stage] = bar.add_task(label, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            version = import_hashset(session, file, fmt, name, scheme=scheme,
                                     scheme_path=scheme_file, category=category,
                                     dialect=dialect, trusted=not untrusted,
                                     pdq_distance=pdq_distance, role=role, progress=progress)
        console.print(
            f"[green]imported[/green] {name} version {version.version}: "
            f"{version.entry_count:,} entries from {version.rows_read:,} records "
            f"({version.duplicate_count:,} duplicates folded) in {version.import_seconds:.1f}s; "
            f"scheme {version.scheme}; PDQ distance {version.pdq_distance}; role "
            f"{version.role}; sha256 {version.source_sha256}")
        if header := version.format_detail.get("header"):
            console.print(f"skipped the header on line {header['line']}; columns read by "
                          f"name: {escape(', '.join(header['columns']))}")
        audit_cli(db, "admin.hashset.import", target=name, details={
            "version": version.version, "format": fmt, "file": str(file.absolute()),
            "source_sha256": version.source_sha256, "entries": version.entry_count,
            "trusted": not untrusted, "pdq_distance": pdq_distance, "role": role})
        if rematch:
            _rematch(session, db)
        elif version.version > 1:
            console.print("cases matched before keep their matches against the previous "
                          "version until `seawall match --case …` is run again (or "
                          "import with --rematch)")
        for w in version.warnings[:10]:
            console.print(f"[yellow]warning:[/yellow] {escape(w)}")
        if len(version.warnings) > 10:
            console.print(f"[yellow]… {len(version.warnings) - 10} more warnings[/yellow]")
    except ImportFailed as exc:
        console.print(f"[red]import of {file} rejected; nothing was changed[/red]")
        for issue in exc.issues:
            console.print(f"  {issue}", markup=False, highlight=False)
        if exc.truncated:
            console.print(f"  (stopped after {len(exc.issues)} errors)")
        raise typer.Exit(1) from None
    finally:
        session.close()


def _rematch(session, db: str | None) -> None:
    from seawall.matching.service import rematch_all

    with console.status("re-matching…") as status:
        summaries = rematch_all(session, lambda ref: status.update(f"re-matching {ref}"))
    session.commit()
    for summary in summaries:
        audit_cli(db, "case.match", case=summary["case"], details={
            "rematch": True, "files": summary["files"],
            "files_matched": summary["files_matched"],
            "sets": [f"{s['set']} v{s['version']}" for s in summary["sets"]]})
    console.print(f"re-matched {len(summaries)} case(s) against the current versions: "
                  + escape(", ".join(f"{s['case']} ({s['files_matched']} of {s['files']} "
                                     "files matched)" for s in summaries)))


def list_cmd(
    fmt: str = FormatOption,
    db: str = DbOption,
) -> None:
    """List hash sets with their current version and provenance."""
    from seawall.hashsets.service import list_sets
    from seawall.store.db import session_scope

    check_format(fmt)
    with session_scope(db) as session:
        sets = list_sets(session)
    if fmt == "json":
        print_json(sets)
        return
    table = Table("name", "format", "scheme", "version", "entries", "kinds", "PDQ distance",
                  "role", "imported", "source sha256")
    for s in sets:
        kinds = ", ".join(f"{k} {n:,}" for k, n in sorted(s["kinds"].items()))
        table.add_row(s["name"] + ("" if s["trusted"] else " (untrusted)"), s["format"],
                      s["scheme"], str(s["version"]), f"{s['entries']:,}", kinds,
                      str(s["pdq_distance"]), s["role"] or "",
                      (s["imported_at"] or "")[:19], (s["source_sha256"] or "")[:16] + "…")
    console.print(table)


def held_cmd(
    case: str = CaseOption,
    fmt: str = FormatOption,
    db: str = DbOption,
) -> None:
    """List the set entries whose PDQ matches are held for review in a case (flood)."""
    from seawall.matching.service import held_entries
    from seawall.store.db import session_scope

    check_format(fmt)
    with session_scope(db) as session:
        held = held_entries(session, case)
    audit_cli(db, "case.hashset.held", case=case, details={"entries": len(held)})
    if fmt == "json":
        print_json(held)
        return
    table = Table("set", "version", "entry", "PDQ", "category", "files")
    for h in held:
        table.add_row(h["set"] or "?", str(h["version"]), str(h["entry_id"]), h["pdq"] or "",
                      h["category"], str(h["files"]))
    console.print(table)


def remove_cmd(
    name: str = typer.Argument(..., help="Set name."),
    db: str = DbOption,
) -> None:
    """Remove a set, all its versions, and the matches made against it."""
    from seawall.hashsets.service import remove_set
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        if not remove_set(session, name):
            fail(f"no hash set {name!r}")
    audit_cli(db, "admin.hashset.remove", target=name)
    console.print(f"removed hash set {name}; run `seawall match` to refresh case results")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Import, list and remove known-hash sets.", no_args_is_help=True)
    app.add_typer(group, name="hashset")
    group.command("import")(import_cmd)
    group.command("list")(list_cmd)
    group.command("remove")(remove_cmd)
    group.command("held")(held_cmd)
