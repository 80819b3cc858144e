"""``seawall backlog``: the digital-forensics examination backlog (import, synthetic data,
priority queue, forecast, what-if simulation, status changes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from seawall.cli.common import (
    AsOfOption,
    BacklogConfigOption,
    DbOption,
    FormatOption,
    check_format,
    console,
    fail,
    parse_as_of,
    print_json,
    print_table,
)


def _cfg(config: str | None, **overrides):
    from seawall.operations.config import backlog_config

    return backlog_config(config, **overrides)


def import_csv(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid",
                                      help="Import the valid rows even if others have errors."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check only; write nothing."),
    fmt: str = FormatOption, config: str | None = BacklogConfigOption, db: str | None = DbOption,
) -> None:
    """Import exhibits from a case-management CSV export (see docs/operations.md for the
    columns).  Exits 1 listing each bad row unless --skip-invalid."""
    from seawall.operations.csv_import import import_backlog
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    check_format(fmt)
    cfg = _cfg(config)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text (save the CSV as UTF-8)")
    with session_scope(db) as session:
        result = import_backlog(session, text, cfg, cli_actor(), skip_invalid=skip_invalid)
        if dry_run:
            session.rollback()
            result.imported = False
    if fmt == "json":
        print_json(result.as_dict())
    else:
        for err in result.errors:
            typer.echo(f"{path}: {err}")
        for warning in result.warnings:
            typer.echo(f"{path}: warning: {warning}")
        state = "imported" if result.imported else "nothing imported"
        console.print(f"{result.rows} rows: {result.created} new, {result.updated} updated, "
                      f"{result.skipped} skipped, {len(result.errors)} error(s); {state}")
    if result.errors and not result.imported:
        raise typer.Exit(1)


def generate(
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same data)."),
    days: int = typer.Option(360, "--days", help="Days of history to generate."),
    per_week: float = typer.Option(14.0, "--per-week", help="Exhibits received per week."),
    no_staff: bool = typer.Option(False, "--no-staff", help="Backlog only, no workforce."),
    as_of: str | None = AsOfOption, db: str | None = DbOption,
) -> None:
    """Write seeded synthetic backlog (and workforce) data for demos and tests."""
    from seawall.operations.synthetic import populate
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        counts = populate(session, cli_actor(), seed, parse_as_of(as_of), days, per_week,
                          staff=not no_staff)
    console.print("synthetic data: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


def queue(
    limit: int = typer.Option(30, "--limit", help="Rows to show (0: all)."),
    fmt: str = FormatOption, as_of: str | None = AsOfOption,
    config: str | None = BacklogConfigOption, db: str | None = DbOption,
) -> None:
    """Waiting exhibits in priority order, each score explained."""
    from seawall.operations import reports
    from seawall.store.db import session_scope

    check_format(fmt)
    cfg = _cfg(config)
    day = parse_as_of(as_of)
    with session_scope(db) as session:
        report = reports.queue(session, cfg, day, limit or None)
    if fmt == "json":
        print_json(report)
        return
    table = Table(title=f"Examination queue as of {day}: {report['waiting']} waiting, "
                        f"{report['in_examination']} in examination")
    for col in ("#", "case", "exhibit", "type", "band", "received", "wait d", "due",
                "score", "why", "scan"):
        table.add_column(col, justify="right" if col in ("#", "wait d", "score") else "left")
    for r in report["items"]:
        band = r["band"] + ("*" if r["band_source"] == "default" else "")
        table.add_row(str(r["rank"]), r["case_reference"], r["exhibit_reference"],
                      r["exhibit_type"], band, r["received"], str(r["waiting_days"]),
                      ("[red]" + r["due"] + "[/red]") if r["overdue"] else r["due"],
                      f"{r['score']:g}", r["why"], escape(r["scan_text"]))
    print_table(table)
    pol = report["policy"]
    console.print(f"policy: always first {', '.join(pol['always_first']) or 'none'}; ageing "
                  f"{pol['ageing_per_day']:g}/day, overdue {pol['overdue_per_day']:g}/day; "
                  f"low-risk work overtakes new arrivals after "
                  f"{pol['starvation_bound_days']} days")


def forecast(
    examiners: int | None = typer.Option(None, "--examiners", help="Override capacity."),
    hours_per_day: float | None = typer.Option(None, "--hours-per-day",
                                               help="Productive hours per examiner per day."),
    items: bool = typer.Option(False, "--items", help="List every exhibit's dates."),
    fmt: str = FormatOption, as_of: str | None = AsOfOption,
    config: str | None = BacklogConfigOption, db: str | None = DbOption,
) -> None:
    """Predicted start/finish per exhibit, breaches, and the clearance date."""
    from seawall.operations import reports
    from seawall.store.db import session_scope

    check_format(fmt)
    cfg = _cfg(config, examiners=examiners, hours_per_day=hours_per_day)
    day = parse_as_of(as_of)
    with session_scope(db) as session:
        report = reports.forecast(session, cfg, day, items=items or fmt == "json")
    if fmt == "json":
        print_json(report)
        return
    table = Table(title=f"Forecast as of {day}: {report['examiners']} examiners x "
                        f"{report['hours_per_day']:g} h/day; deadline applies to the "
                        f"{report['deadline_measure']} of examination")
    for col in ("band", "deadline d", "waiting", "in exam", "predicted breaches",
                "median wait d"):
        table.add_column(col, justify="left" if col == "band" else "right")
    for r in report["bands"]:
        table.add_row(r["label"], str(r["deadline_days"]), str(r["waiting"]),
                      str(r["in_examination"]), str(r["predicted_breaches"]),
                      str(r["median_predicted_wait_days"] or "-"))
    print_table(table)
    effort = ", ".join(f"{k} {v['hours']:g} h ({v['source']}, n={v['history']}, "
                       f"estimates x{v['calibration']:g})" for k, v in report["effort"].items())
    typer.echo(f"effort per exhibit: {effort}")
    typer.echo(f"open work {report['open_hours']:g} h; capacity "
               f"{report['capacity_hours_per_day']:g} h/day vs arrivals "
               f"{report['arrival_hours_per_day']:g} h/day "
               f"({report['arrivals_per_day']:g} exhibits/day over "
               f"{report['arrival_window_days']} days)")
    typer.echo(f"today's backlog done by {report['backlog_done_date'] or 'never (no capacity)'}"
               "; clearance at current arrival rates: "
               + (report["clearance_date"] or f"never (backlog grows "
                                                f"{report['growth_hours_per_week']:g} h/week)"))
    if items:
        t = Table(title="Exhibits")
        for col in ("case", "exhibit", "band", "status", "received", "start", "finish", "due",
                    "breach"):
            t.add_column(col)
        for i in report["items"]:
            t.add_row(i["case_reference"], i["exhibit_reference"], i["band"], i["status"],
                      i["received"], i["predicted_start"] or "-", i["predicted_finish"] or "-",
                      i["due"], "[red]yes[/red]" if i["breach"] else "no")
        print_table(t)


# The scenario options `simulate` and `compare` share.
ExaminersOption = typer.Option(None, "--examiners", help="Examiners in the scenario.")
HoursOption = typer.Option(None, "--hours-per-day", help="Productive hours per examiner "
                                                         "per working day.")
ArrivalsOption = typer.Option(1.0, "--arrivals", help="Arrival rate multiplier (1.2 = +20%).")
AutomatedOption = typer.Option(0.0, "--automated", help="Share of exhibits cleared by "
                                                        "automated triage (0..1).")
DaysOption = typer.Option(None, "--days", help="Horizon in days.")
ReplicationsOption = typer.Option(None, "--replications", help="Runs to pool (default 30); "
                                  "tables show the 10th-90th percentile across them.")
DivertOption = typer.Option([], "--divert", help="BAND=SHARE: divert that share of the "
                            "band's cases out of the DF queue (repeatable), e.g. low=0.3.")
SeedOption = typer.Option(None, "--seed", help="Random seed (same seed, same figures).")


def _scenario(cfg, examiners, hours_per_day, arrival_multiplier, automated_share, days,
              replications, seed, divert):
    from seawall.operations.simulation import Scenario

    scenario = Scenario(examiners=examiners, hours_per_day=hours_per_day,
                        arrival_multiplier=arrival_multiplier, automated_share=automated_share,
                        horizon_days=days, replications=replications, seed=seed,
                        diversion=_diversion(divert, cfg))
    try:
        scenario.validate()
    except ValueError as exc:
        fail(str(exc))
    return scenario


def _diversion(values: list[str], cfg) -> tuple[tuple[str, float], ...]:
    """--divert low=0.3 (repeatable) as ((band, share), ...)."""
    from seawall.operations.bands import normalise_band

    out = []
    for value in values:
        band, sep, share = value.partition("=")
        try:
            key = normalise_band(band, cfg.bands)
            if not sep or key is None:
                raise ValueError
            out.append((key, float(share)))
        except ValueError as exc:
            fail(f"--divert {value!r}: {exc or 'use BAND=SHARE, e.g. low=0.3'}")
    return tuple(out)


def simulate(
    examiners: int | None = ExaminersOption, hours_per_day: float | None = HoursOption,
    arrival_multiplier: float = ArrivalsOption, automated_share: float = AutomatedOption,
    days: int | None = DaysOption, replications: int | None = ReplicationsOption,
    divert: list[str] = DivertOption, seed: int | None = SeedOption,
    charts: Path | None = typer.Option(None, "--charts", file_okay=False,
                                       help="Write SVG charts into this folder."),
    fmt: str = FormatOption, as_of: str | None = AsOfOption,
    config: str | None = BacklogConfigOption, db: str | None = DbOption,
) -> None:
    """What-if: simulate the queue under changed capacity, arrivals or automation, against
    a baseline with the same random streams."""
    from seawall.operations import reports
    from seawall.store.db import session_scope

    check_format(fmt)
    cfg = _cfg(config)
    scenario = _scenario(cfg, examiners, hours_per_day, arrival_multiplier, automated_share,
                         days, replications, seed, divert)
    with session_scope(db) as session:
        report = reports.simulate(session, cfg, parse_as_of(as_of), scenario)
    if charts:
        charts.mkdir(parents=True, exist_ok=True)
        for name, svg in report.charts(cfg).items():
            (charts / f"{name}.svg").write_text(svg, encoding="utf-8")
    data = report.as_dict()
    if fmt == "json":
        print_json(data)
        return
    base, scen = data["baseline"], data["scenario"]

    def ranged(result: dict, key: str) -> str:
        low, high = result["ranges"][key]
        return f"{result[key]} ({low}–{high})"

    def cleared(result: dict) -> str:
        c = result["initial_backlog_cleared"]
        return (f"{c['median_date'] or 'beyond horizon'} ({c['p10_date'] or 'beyond'}–"
                f"{c['p90_date'] or 'beyond horizon'})")

    table = Table(title=f"What-if over {scen['horizon_days']} days, {scen['replications']} "
                        f"runs: mean (10th–90th percentile across runs)")
    table.add_column("measure")
    table.add_column("baseline", justify="right")
    table.add_column("scenario", justify="right")
    table.add_row("examiners", str(base["examiners"]), str(scen["examiners"]))
    table.add_row("backlog start", str(base["backlog_start"]), str(scen["backlog_start"]))
    for key in ("backlog_peak", "backlog_end", "started", "still_waiting"):
        table.add_row(key.replace("_", " "), ranged(base, key), ranged(scen, key))
    table.add_row("today's backlog all started (median date)", cleared(base), cleared(scen))
    for band in cfg.band_order:
        b, s = base["bands"][band], scen["bands"][band]
        label = cfg.bands[band].label
        table.add_row(f"{label}: breaches",
                      f"{b['breaches']} ({b['breaches_range'][0]}–{b['breaches_range'][1]})",
                      f"{s['breaches']} ({s['breaches_range'][0]}–{s['breaches_range'][1]})")
        table.add_row(f"{label}: median / p90 wait d",
                      f"{b['median_wait_days']} / {b['p90_wait_days']}",
                      f"{s['median_wait_days']} / {s['p90_wait_days']}")
    for band in cfg.band_order:
        b, s = (r["by_origin"]["new_arrivals"][band] for r in (base, scen))
        table.add_row(f"{cfg.bands[band].label}, new arrivals: late / median wait d",
                      f"{b['breaches']} of {b['exhibits']} / {b['median_wait_days']}",
                      f"{s['breaches']} of {s['exhibits']} / {s['median_wait_days']}")
    print_table(table)
    if charts:
        console.print(f"charts written to {charts}")


def compare(
    examiners: int | None = ExaminersOption, hours_per_day: float | None = HoursOption,
    arrival_multiplier: float = ArrivalsOption, automated_share: float = AutomatedOption,
    days: int | None = DaysOption, replications: int | None = ReplicationsOption,
    divert: list[str] = DivertOption, seed: int | None = SeedOption,
    chart: Path | None = typer.Option(None, "--chart", dir_okay=False,
                                      help="Write the comparison chart (SVG) here."),
    fmt: str = FormatOption, as_of: str | None = AsOfOption,
    config: str | None = BacklogConfigOption, db: str | None = DbOption,
) -> None:
    """Priority policies side by side (default, strict priority, safeguarding first, FIFO)
    on the same random streams: breaches, and how late new arrivals start, per band."""
    from seawall.operations import reports
    from seawall.store.db import session_scope

    check_format(fmt)
    cfg = _cfg(config)
    scenario = _scenario(cfg, examiners, hours_per_day, arrival_multiplier, automated_share,
                         days, replications, seed, divert)
    with session_scope(db) as session:
        report = reports.compare_policies(session, cfg, parse_as_of(as_of), scenario)
    if chart:
        chart.write_text(report.chart(cfg), encoding="utf-8")
    data = report.as_dict(cfg)
    if fmt == "json":
        print_json(data)
        return
    names = list(data)
    first = data[names[0]]
    table = Table(title=f"Policies over {first['horizon_days']} days, {first['replications']} "
                        "runs each, same random streams: mean (10th–90th percentile)")
    table.add_column("measure")
    for name in names:
        table.add_column(name.replace("_", " "), justify="right")
    table.add_row("open exhibits at end", *[
        f"{d['backlog_end']} ({d['backlog_end_range'][0]}–{d['backlog_end_range'][1]})"
        for d in data.values()])
    table.add_row("today's backlog all started", *[
        d["initial_backlog_cleared"]["median_date"] or "beyond horizon" for d in data.values()])
    for band in cfg.band_order:
        label = cfg.bands[band].label
        table.add_row(f"{label}: breaches", *[
            f"{d['bands'][band]['breaches']} ({d['bands'][band]['breaches_range'][0]}–"
            f"{d['bands'][band]['breaches_range'][1]})" for d in data.values()])
    for band in cfg.band_order:
        label = cfg.bands[band].label
        cells = []
        for d in data.values():
            row = d["new_arrivals"][band]
            share = "–" if row["late_share"] is None else f"{row['late_share']:.0%}"
            cells.append(f"{share} late, median {row['median_wait_days']} d")
        table.add_row(f"{label}, new arrivals", *cells)
    print_table(table)
    for name, d in data.items():
        console.print(f"{name.replace('_', ' ')}: {d['description']}")


def status(
    case: str = typer.Argument(..., help="Case reference."),
    exhibit: str = typer.Argument(..., help="Exhibit reference."),
    new_status: str = typer.Argument(..., help="triaged, in_examination, reported (or one "
                                               "step back)."),
    on: str | None = typer.Option(None, "--on", help="Date of the change (default today)."),
    actual_hours: float | None = typer.Option(None, "--hours",
                                              help="Actual hours spent (when reporting)."),
    db: str | None = DbOption,
) -> None:
    """Move an exhibit along received -> triaged -> in_examination -> reported."""
    from seawall.operations.backlog import set_status
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        item = set_status(session, cli_actor(), case, exhibit, new_status,
                          parse_as_of(on) if on else None, actual_hours)
        console.print(f"{case}/{exhibit}: {item.status}")


def band(
    case: str = typer.Argument(..., help="Case reference."),
    new_band: str = typer.Argument(..., help="very_high, high, medium or low."),
    reason: str | None = typer.Option(None, "--reason",
                                      help="Why (needed to lower a case's band)."),
    config: str | None = BacklogConfigOption, db: str | None = DbOption,
) -> None:
    """Set a case's band on all its backlog items; lowering it needs a reason (audited).
    A lower casework assessment alone never moves a case down the queue."""
    from seawall.operations.backlog import set_band
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    cfg = _cfg(config)
    with session_scope(db) as session:
        before = set_band(session, cli_actor(), cfg, case, new_band, reason)
    console.print(f"{case}: band {before or 'none'} -> {new_band}")


def add(
    case: str = typer.Option(..., "--case", help="Case reference."),
    exhibit_id: str = typer.Option(..., "--exhibit-id", help="Exhibit reference."),
    path: Path | None = typer.Option(None, "--path", help="The exhibit's evidence (folder, "
                                     "file or disk image) at the path every processing "
                                     "node mounts: `seawall process` then scans it."),
    band: str | None = typer.Option(None, "--band", help="very_high, high, medium or low."),
    exhibit_type: str = typer.Option("storage", "--type", help="phone, computer, storage or "
                                     "cloud_return."),
    received: str | None = typer.Option(None, "--received", help="Date received "
                                        "(YYYY-MM-DD; default today)."),
    safeguarding: bool = typer.Option(False, "--safeguarding", help="A child is flagged as "
                                      "currently at risk."),
    config: str | None = BacklogConfigOption, db: str | None = DbOption,
) -> None:
    """Add an exhibit to the backlog (or update it, e.g. with the path of its evidence)."""
    import os

    from seawall.operations.backlog import add_item
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    cfg = _cfg(config)
    try:
        received_on = date.fromisoformat(received) if received else None
    except ValueError:
        fail(f"--received {received!r} is not a YYYY-MM-DD date")
    with session_scope(db) as session:
        item = add_item(session, cli_actor(), cfg, case, exhibit_id,
                        exhibit_type=exhibit_type, received=received_on, band=band,
                        safeguarding=safeguarding, path=os.path.abspath(path) if path else None)
        console.print(f"{case}/{exhibit_id}: {item.status}, band {item.risk_band or '-'}"
                      + (f", evidence {item.path}" if item.path else ""))


def retry(
    case: str = typer.Argument(..., help="Case reference."),
    exhibit: str = typer.Argument(..., help="Exhibit reference."),
    db: str | None = DbOption,
) -> None:
    """Let `seawall process` try a failed exhibit again (after fixing its path)."""
    from seawall.processing.farm import retry as retry_item
    from seawall.store.audit import cli_actor
    from seawall.store.db import session_scope

    with session_scope(db) as session:
        retry_item(session, cli_actor(), case, exhibit)
    console.print(f"{case}/{exhibit}: waiting to be processed again")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Digital-forensics backlog: queue, forecast, what-if.",
                        no_args_is_help=True)
    app.add_typer(group, name="backlog")
    group.command("import")(import_csv)
    group.command("generate")(generate)
    group.command("queue")(queue)
    group.command("forecast")(forecast)
    group.command("simulate")(simulate)
    group.command("compare")(compare)
    group.command("status")(status)
    group.command("band")(band)
    group.command("add")(add)
    group.command("retry")(retry)
