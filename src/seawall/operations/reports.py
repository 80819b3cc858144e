"""Report builders shared by the CLI, the web pages and the JSON API, so all three show
the same figures for the same data and date."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy.orm import Session

from seawall.operations import backlog
from seawall.operations.config import BacklogConfig, backlog_config
from seawall.operations.simulation import Progress, Scenario
from seawall.operations.workforce import loading, planning
from seawall.operations.workforce.config import WorkforceConfig, load_workforce_config


def configs(backlog_path=None, workforce_path=None, **overrides
            ) -> tuple[BacklogConfig, WorkforceConfig]:
    bcfg = backlog_config(backlog_path, **overrides)
    return bcfg, load_workforce_config(workforce_path, bcfg.band_order)


def queue(session: Session, bcfg: BacklogConfig, as_of: date, limit: int | None = None) -> dict:
    return backlog.queue_report(backlog.load_entries(session, bcfg), bcfg, as_of, limit)


def forecast(session: Session, bcfg: BacklogConfig, as_of: date, items: bool = True) -> dict:
    return backlog.forecast_report(backlog.load_entries(session, bcfg), bcfg, as_of, items)[0]


def simulate(session: Session, bcfg: BacklogConfig, as_of: date, scenario: Scenario,
             progress: Progress | None = None) -> backlog.SimulationReport:
    return backlog.simulation_report(backlog.load_entries(session, bcfg), bcfg, as_of,
                                     scenario, progress)


def compare_policies(session: Session, bcfg: BacklogConfig, as_of: date,
                     scenario: Scenario) -> backlog.PolicyComparison:
    return backlog.policy_report(backlog.load_entries(session, bcfg), bcfg, as_of, scenario)


def _backlog_hours(session: Session, bcfg: BacklogConfig, as_of: date):
    entries = backlog.load_entries(session, bcfg)
    _summary, fc = backlog.forecast_report(entries, bcfg, as_of, items=False)
    hours: dict[str, float] = defaultdict(float)
    for item in fc.items:
        hours[item.entry.band] += item.hours
    return entries, dict(hours)


def gaps(session: Session, bcfg: BacklogConfig, wcfg: WorkforceConfig, as_of: date) -> dict:
    entries, hours = _backlog_hours(session, bcfg, as_of)
    people = loading.load_people(session, wcfg)
    return planning.gap_report(people, wcfg, bcfg, entries, hours, as_of)


def suggestions(session: Session, wcfg: WorkforceConfig, tasks: list[str], band: str | None,
                as_of: date, hours: float | None = None,
                exposure: dict[str, dict] | None = None, limit: int = 5) -> dict:
    """Assignment suggestions; ``exposure`` (by staff number) replaces the grading
    counters when given (e.g. exposure kept in another system)."""
    people = loading.load_people(session, wcfg)
    if exposure is None:
        exposure = loading.load_exposure(session, people, as_of)
    return planning.suggest(people, wcfg, tasks, band, as_of,
                             loading.load_workload(session, wcfg), exposure, hours, limit)


def staff_list(session: Session, wcfg: WorkforceConfig, as_of: date) -> list[dict]:
    out = []
    for p in loading.load_people(session, wcfg, active_only=False):
        out.append({
            "staff_number": p.staff_number, "name": p.name, "team": p.team, "role": p.role,
            "dedicated_ocsa": p.dedicated, "hours_per_week": p.hours_per_week,
            "active": p.active,
            "credentials": [{"code": h.code, "level": h.level, "status": h.status,
                             "achieved": h.achieved.isoformat() if h.achieved else None,
                             "expires": h.expires.isoformat() if h.expires else None,
                             "current": h.current(as_of)} for h in p.credentials],
            "capabilities": sorted(t for t, task in wcfg.tasks.items()
                                   if not p.missing(task.requires, as_of)),
        })
    return out
