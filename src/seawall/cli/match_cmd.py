"""``seawall match`` and ``seawall counts``."""

from __future__ import annotations

from contextlib import ExitStack

import typer
from rich.console import Console
from rich.markup import escape
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
from seawall.cluster import cluster_client


def match(
    case: str = CaseOption,
    radius: int = typer.Option(
        None, "--radius", help="PDQ Hamming radius (0-255) for every set, overriding each "
                               "set's own --pdq-distance (default: the set's)."),
    vpdq_query_pct: float = typer.Option(
        80.0, "--vpdq-query-pct", help="vPDQ: percent of the seized video's frames to match."),
    vpdq_compared_pct: float = typer.Option(
        0.0, "--vpdq-compared-pct", help="vPDQ: percent of the known video's frames to match."),
    flood_limit: int = typer.Option(
        50, "--flood-limit", min=1, help="A set entry PDQ-matching more distinct files of "
        "the case than this is held for review (not counted)."),
    cluster: str = typer.Option(None, "--cluster", help="Dask scheduler address: run PDQ "
                                "searches on the cluster (workers must see the index folder)."),
    db: str = DbOption,
) -> None:
    """Match every file of a case against every current hash-set version."""
    from seawall.matching import service
    from seawall.matching.vpdq import VpdqPolicy
    from seawall.store.db import session_scope

    if radius is not None and not 0 <= radius <= 255:
        fail("--radius must be between 0 and 255")
    with ExitStack() as stack:
        client = None
        if cluster:
            client = stack.enter_context(cluster_client(cluster))
        session = stack.enter_context(session_scope(db))
        if not service.has_hashsets(session):
            fail("no hash sets imported (seawall hashset import …)")
        with console.status("matching…") as status:
            summary = service.match_case(
                session, case, radius=radius,
                vpdq_policy=VpdqPolicy(vpdq_query_pct, vpdq_compared_pct),
                progress=lambda stage, n, t: status.update(f"matching: {stage}"),
                client=client, flood_limit=flood_limit)
    audit_cli(db, "case.match", case=case, details={
        "radius": radius, "files": summary["files"], "files_matched": summary["files_matched"],
        "sets": [f"{s['set']} v{s['version']}" for s in summary["sets"]],
        "held": summary["held"]})
    sets = ", ".join(f"{s['set']} v{s['version']}" + (" (negative)" if s["role"] == "negative"
                                                      else "") for s in summary["sets"])
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary["matches"].items())) or "none"
    console.print(f"case {case}: {summary['files']} files, {summary['files_matched']} matched "
                  f"({kinds}) against {sets}")
    for h in summary["held"]:
        console.print(f"[yellow]held for review:[/yellow] {escape(h['set'])} v{h['version']} "
                      f"entry {h['entry_id']} ({escape(h['category'])}) PDQ-matched "
                      f"{h['files']} files (more than {flood_limit}); not counted until a "
                      "supervisor reviews it (seawall hashset held)")
    for w in summary["warnings"][:10]:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}")


def counts(
    case: str = CaseOption,
    fmt: str = FormatOption,
    db: str = DbOption,
) -> None:
    """Per-exhibit and case totals per category, still and moving, distinct by hash."""
    from seawall.matching.counts import case_counts
    from seawall.store.db import session_scope

    check_format(fmt)
    with session_scope(db) as session:
        result = case_counts(session, case)
    audit_cli(db, "case.counts", case=case, details={"format": fmt})
    if fmt == "json":
        print_json(result)
        return
    print_counts(result, Console())


def print_counts(result: dict, out: Console) -> None:
    """The counts of ``case_counts`` as a table: a row per category, a column per exhibit
    and the case total (distinct by hash), each cell "still / moving"."""
    table = Table(title=f"Case {result['case']} ({result['scheme']} scheme): still / moving")
    table.add_column("category")
    exhibits = list(result["exhibits"].items())
    for name, _ in exhibits:
        table.add_column(name, justify="right")
    table.add_column("case total (distinct)", justify="right")
    for category in result["total"]:
        cells = [cnt[category] for _, cnt in exhibits] + [result["total"][category]]
        table.add_row(category, *[f"{c['still']} / {c['moving']}" for c in cells])
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command()(match)
    app.command()(counts)
