"""``seawall workforce``: staff, training and accreditations, the capability gap map, and
assignment suggestions."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from seawall.cli.common import (
    AsOfOption,
    DbOption,
    FormatOption,
    check_format,
    console,
    fail,
    parse_as_of,
    print_json,
    print_table,
)

WorkforceConfigOption = typer.Option(None, "--config", envvar="SEAWALL_WORKFORCE_CONFIG",
                                     help="Workforce TOML overriding the packaged defaults.")


def _cfgs(workforce_path: str | None):
    from seawall.operations.reports import configs

    return configs(None, workforce_path)


def _import(kind: str, path: Path, skip_invalid: bool, fmt: str, config, db) -> None:
    from seawall.operations import csv_import
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    check_format(fmt)
    _bcfg, wcfg = _cfgs(config)
    func = csv_import.import_staff if kind == "staff" else csv_import.import_credentials
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text (save the CSV as UTF-8)")
    with session_scope(db) as session:
        result = func(session, text, wcfg, cli_actor(), skip_invalid=skip_invalid)
    if fmt == "json":
        print_json(result.as_dict())
    else:
        for err in result.errors:
            typer.echo(f"{path}: {err}")
        console.print(f"{result.rows} rows: {result.created} new, {result.updated} updated, "
                      f"{result.skipped} skipped; "
                      + ("imported" if result.imported else "nothing imported"))
    if result.errors and not result.imported:
        raise typer.Exit(1)


def import_staff(
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    skip_invalid: bool = typer.Option(False, "--skip-invalid"),
    fmt: str = FormatOption, config: str | None = WorkforceConfigOption,
    db: str | None = DbOption,
) -> None:
    """Import the staff register (staff_number, name, team, role, hours_per_week, ...)."""
    _import("staff", path, skip_invalid, fmt, config, db)


def import_credentials(
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    skip_invalid: bool = typer.Option(False, "--skip-invalid"),
    fmt: str = FormatOption, config: str | None = WorkforceConfigOption,
    db: str | None = DbOption,
) -> None:
    """Import training and accreditations (staff_number, credential, level, achieved,
    expires, status)."""
    _import("credentials", path, skip_invalid, fmt, config, db)


def generate(
    seed: int = typer.Option(1, "--seed"), as_of: str | None = AsOfOption,
    db: str | None = DbOption,
) -> None:
    """Write seeded synthetic backlog and workforce data (same as ``backlog generate``)."""
    from seawall.operations.synthetic import populate
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        counts = populate(session, cli_actor(), seed, parse_as_of(as_of))
    console.print("synthetic data: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


def staff(fmt: str = FormatOption, as_of: str | None = AsOfOption,
          config: str | None = WorkforceConfigOption, db: str | None = DbOption) -> None:
    """The register: staff, roles, credentials and base capabilities."""
    from seawall.operations import reports
    from seawall.store.db import session_scope

    check_format(fmt)
    _bcfg, wcfg = _cfgs(config)
    day = parse_as_of(as_of)
    with session_scope(db) as session:
        rows = reports.staff_list(session, wcfg, day)
    if fmt == "json":
        print_json(rows)
        return
    table = Table(title=f"Staff as of {day}")
    for col in ("staff no", "name", "team", "role", "dedicated", "credentials", "capabilities"):
        table.add_column(col)
    for r in rows:
        creds = ", ".join(c["code"] + (f"{c['level']}" if c["level"] else "")
                          + ("" if c["current"] else " (lapsed)") for c in r["credentials"])
        table.add_row(r["staff_number"], r["name"], r["team"], r["role"],
                      "yes" if r["dedicated_ocsa"] else "no", creds,
                      ", ".join(r["capabilities"]))
    print_table(table)


def gaps(
    chart: Path | None = typer.Option(None, "--chart", dir_okay=False,
                                      help="Write the heat map as SVG here."),
    fmt: str = FormatOption, as_of: str | None = AsOfOption,
    config: str | None = WorkforceConfigOption, db: str | None = DbOption,
) -> None:
    """Gap map (team x capability), headline figures, expiring accreditations and the
    training needed for the current caseload."""
    from seawall.operations import reports
    from seawall.operations.workforce.planning import gap_chart
    from seawall.store.db import session_scope

    check_format(fmt)
    bcfg, wcfg = _cfgs(config)
    day = parse_as_of(as_of)
    with session_scope(db) as session:
        report = reports.gaps(session, bcfg, wcfg, day)
    if chart:
        chart.write_text(gap_chart(report["gap_map"]), encoding="utf-8")
    if fmt == "json":
        print_json(report)
        return
    for h in report["headlines"]:
        share = "-" if h["share"] is None else f"{h['share']:.0%}"
        typer.echo(f"{share:>5}  {h['label']} ({h['count']} of {h['population']})")
    cols = report["gap_map"]["columns"]
    table = Table(title=f"Capability gap map as of {day} (capable / team size)")
    table.add_column("team")
    for c in cols:
        table.add_column(c["label"], justify="right")
    for r in report["gap_map"]["rows"]:
        table.add_row(r["team"], *[f"{c['capable']}/{c['staff']}" if c["applicable"]
                                   else "n/a" for c in r["cells"]])
    print_table(table)
    exp = Table(title="Expired or expiring accreditations")
    for col in ("expires", "days", "staff", "name", "team", "credential"):
        exp.add_column(col)
    for e in report["expiring"]:
        exp.add_row(e["expires"], str(e["days_left"]), e["staff_number"], e["name"], e["team"],
                    e["label"] + (f" (level {e['level']})" if e["level"] else ""))
    print_table(exp)
    need = Table(title=f"Training needed for the current caseload "
                       f"({report['horizon_weeks']} weeks)")
    for col in ("task", "band", "demand h", "covered h", "qualified", "to train", "nearest"):
        need.add_column(col)
    for n in report["training_needs"]:
        if not n["people_to_train"]:
            continue
        nearest = "; ".join(f"{c['name']} ({c['staff_number']}) needs {', '.join(c['needs'])}"
                            for c in n["candidates"])
        need.add_row(n["label"], n["band"], f"{n['demand_hours']:g}", f"{n['covered_hours']:g}",
                     str(n["qualified"]), str(n["people_to_train"]), nearest)
    print_table(need)


def suggest(
    task: list[str] = typer.Option(..., "--task", help="Task(s), e.g. grading; 'new-case' "
                                                       "for a new case's tasks."),
    band: str | None = typer.Option(None, "--band", help="Risk band of the work."),
    hours: float | None = typer.Option(None, "--hours", help="Expected hours of the work."),
    exposure: Path | None = typer.Option(None, "--exposure", dir_okay=False,
                                         help="JSON {staff_number: {items_graded_7d, "
                                              "minutes_7d}} instead of Seawall's counters."),
    limit: int = typer.Option(5, "--limit"),
    fmt: str = FormatOption, as_of: str | None = AsOfOption,
    config: str | None = WorkforceConfigOption, db: str | None = DbOption,
) -> None:
    """Who could take this work, respecting capability, workload and welfare limits."""
    from seawall.operations import reports
    from seawall.operations.bands import normalise_band
    from seawall.store.db import session_scope

    check_format(fmt)
    bcfg, wcfg = _cfgs(config)
    tasks: list[str] = []
    for t in task:
        tasks.extend(wcfg.assignment.new_case_tasks if t == "new-case" else [t])
    try:
        band = normalise_band(band, bcfg.bands)
    except ValueError as exc:
        fail(str(exc))
    given = None
    if exposure:
        try:
            given = json.loads(exposure.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"{exposure}: {exc}")
    with session_scope(db) as session:
        report = reports.suggestions(session, wcfg, tasks, band, parse_as_of(as_of), hours,
                                     given, limit)
    if fmt == "json":
        print_json(report)
        return
    typer.echo(f"{', '.join(tasks)} at {band or 'any'} band needs "
               f"{', '.join(report['requires'])}: {report['eligible']} eligible")
    for i, s in enumerate(report["suggestions"], 1):
        typer.echo(f"{i}. {s['name']} ({s['staff_number']}, {s['team']}): {s['why']}")
        for warning in s["warnings"]:
            typer.echo(f"   warning: {warning}")
    if report["excluded"]:
        typer.echo(f"not suggested ({len(report['excluded'])}):")
        for e in report["excluded"][:15]:
            typer.echo(f"  {e['name']} ({e['staff_number']}): {'; '.join(e['reasons'])}")


def allocate(
    staff_number: str = typer.Argument(...), case: str = typer.Argument(...),
    task: str = typer.Option(..., "--task"), band: str | None = typer.Option(None, "--band"),
    hours: float | None = typer.Option(None, "--hours"),
    reason: str | None = typer.Option(None, "--reason"),
    override_reason: str | None = typer.Option(
        None, "--override-reason", help="Record it although a capability, workload or "
                                        "welfare rule says no (audited with the rules)."),
    as_of: str | None = AsOfOption,
    config: str | None = WorkforceConfigOption, db: str | None = DbOption,
) -> None:
    """Record an allocation (counts towards the person's workload); audited.  Refused when
    the person is inactive, lacks the credentials, or is at a workload or welfare limit."""
    from seawall.operations.bands import normalise_band
    from seawall.operations.workforce.allocations import allocate as do_allocate
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    bcfg, wcfg = _cfgs(config)
    try:
        band = normalise_band(band, bcfg.bands)
    except ValueError as exc:
        fail(str(exc))
    with session_scope(db) as session:
        row = do_allocate(session, cli_actor(), wcfg, staff_number, case, task, band,
                          hours, reason, parse_as_of(as_of), override_reason)
        console.print(f"allocation {row.id}: {staff_number} -> {case} ({task})")


def allocations(
    staff_number: str | None = typer.Option(None, "--staff", help="One person's only."),
    fmt: str = FormatOption, db: str | None = DbOption,
) -> None:
    """Open allocations (the workload suggestions count), oldest first per person."""
    from seawall.operations.workforce.allocations import open_allocations
    from seawall.store.db import session_scope

    check_format(fmt)
    with session_scope(db) as session:
        rows = open_allocations(session, staff_number)
    if fmt == "json":
        print_json([r.as_dict() for r in rows])
        return
    table = Table(title=f"Open allocations ({len(rows)})")
    for col in ("id", "staff", "name", "case", "task", "band", "hours", "allocated"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r.id), r.staff_number, r.name, r.case_reference, r.task,
                      r.band or "", "" if r.hours is None else f"{r.hours:g}",
                      f"{r.allocated_at:%Y-%m-%d}")
    print_table(table)


def close(
    allocation_id: int = typer.Argument(..., help="Allocation id (see `allocations`)."),
    db: str | None = DbOption,
) -> None:
    """Close an allocation when the work is done, so it stops counting towards the
    person's workload; audited."""
    from seawall.operations.workforce.allocations import close_allocation
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        row = close_allocation(session, cli_actor(), allocation_id)
        console.print(f"allocation {allocation_id} closed ({row.staff.staff_number}, "
                      f"{row.case_reference}, {row.task})")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Workforce: training, capability gaps, assignment suggestions.",
                        no_args_is_help=True)
    app.add_typer(group, name="workforce")
    group.command("import-staff")(import_staff)
    group.command("import-credentials")(import_credentials)
    group.command("generate")(generate)
    group.command("staff")(staff)
    group.command("gaps")(gaps)
    group.command("suggest")(suggest)
    group.command("allocate")(allocate)
    group.command("allocations")(allocations)
    group.command("close")(close)
