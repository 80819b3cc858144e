"""Workforce planning: where the capability gaps are, what training the caseload needs, and
who could take new work.

A person is *capable* of a task at a band when they hold every credential the task requires
there (see :mod:`.config`), at the required level, with status "held" and not expired.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from seawall.errors import InvalidInput
from seawall.operations import charts
from seawall.operations.config import BacklogConfig
from seawall.operations.model import Entry
from seawall.operations.workforce.config import Headline, Requirement, WorkforceConfig
from seawall.operations.workforce.loading import Person, Workload

# --- gap map and headline figures -----------------------------------------------------------

def capability_columns(cfg: WorkforceConfig, band_order: list[str]) -> list[dict]:
    """One column per task, plus one per band whose requirement differs from the task's
    base (bands with the same stricter requirement share a column)."""
    cols = []
    for task in cfg.tasks.values():
        cols.append({"task": task.key, "band": None, "label": task.label,
                     "requires": [str(r) for r in task.requires]})
        groups: dict[tuple, list[str]] = {}
        for band in reversed(band_order):  # least urgent first, so labels read "high+"
            if band in task.bands and task.bands[band] != task.requires:
                groups.setdefault(task.bands[band], []).append(band)
        for reqs, bands in groups.items():
            cols.append({"task": task.key, "band": bands[0], "bands": bands,
                         "label": f"{task.label} ({bands[0].replace('_', ' ')}"
                                  f"{'+' if len(bands) > 1 else ''})",
                         "requires": [str(r) for r in reqs]})
    return cols


def _in_population(p: Person, population: str) -> bool:
    """Populations are validated with the configuration (see config.POPULATIONS)."""
    kind, _, name = population.partition(":")
    if kind == "role":
        return p.role == name
    if kind == "team":
        return p.team == name
    if population == "dedicated":
        return p.dedicated
    return True  # "all"


def _headline(people: list[Person], cfg: WorkforceConfig, h: Headline, as_of: date) -> dict:
    pop = [p for p in people if _in_population(p, h.population)]
    if h.credential == "profile":
        meets = [p for p in pop if not p.missing(cfg.profile(p.role), as_of)]
    else:
        meets = [p for p in pop if p.holding(Requirement(h.credential), as_of)]
    count = len(pop) - len(meets) if h.lacking else len(meets)
    return {"id": h.id, "label": h.label, "count": count, "population": len(pop),
            "share": round(count / len(pop), 3) if pop else None}


def headline_figures(people: list[Person], cfg: WorkforceConfig, as_of: date) -> list[dict]:
    return [_headline(people, cfg, h, as_of) for h in cfg.headlines]


def expiring(people: list[Person], cfg: WorkforceConfig, as_of: date,
             days: int | None = None) -> list[dict]:
    """Credentials expiring within ``days`` (default: configured warning) or expired
    without a current replacement."""
    days = cfg.expiry_warning_days if days is None else days
    horizon = as_of + timedelta(days=days)
    out = []
    for p in people:
        for h in p.credentials:
            if h.status != "held" or h.expires is None or h.expires > horizon:
                continue
            renewed = any(o is not h and o.code == h.code and (o.level or 0) >= (h.level or 0)
                          and o.current(as_of) and (o.expires is None or o.expires > horizon)
                          for o in p.credentials)
            if renewed:
                continue
            out.append({"staff_number": p.staff_number, "name": p.name, "team": p.team,
                        "credential": h.code, "label": cfg.credential_label(h.code),
                        "level": h.level, "expires": h.expires.isoformat(),
                        "days_left": (h.expires - as_of).days,
                        "state": "expired" if h.expires < as_of else "expiring"})
    return sorted(out, key=lambda r: (r["expires"], r["staff_number"], r["credential"]))


def gap_map(people: list[Person], cfg: WorkforceConfig, band_order: list[str],
            as_of: date) -> dict:
    """Team x capability: how many active staff hold each capability.  A cell is not
    applicable (``applicable`` false, ``share`` None) when the task names the roles that do
    it and no one in the team has one of them."""
    cols = capability_columns(cfg, band_order)
    teams = sorted({p.team for p in people})
    rows = []
    for team in teams:
        members = [p for p in people if p.team == team]
        cells = []
        for col in cols:
            task = cfg.tasks[col["task"]]
            reqs = task.for_band(col["band"])
            n = sum(1 for p in members if not p.missing(reqs, as_of))
            applicable = not task.roles or any(p.role in task.roles for p in members)
            cells.append({"capable": n, "staff": len(members), "applicable": applicable,
                          "share": (round(n / len(members), 3) if members else 0.0)
                          if applicable else None})
        rows.append({"team": team, "staff": len(members), "cells": cells})
    return {"columns": cols, "rows": rows}


def gap_chart(gaps: dict) -> str:
    return charts.heat_map(
        [f"{r['team']} ({r['staff']})" for r in gaps["rows"]],
        [c["label"] for c in gaps["columns"]],
        [[c["share"] for c in r["cells"]] for r in gaps["rows"]],
        [[f"{c['capable']}/{c['staff']}" if c["applicable"] else "n/a" for c in r["cells"]]
         for r in gaps["rows"]],
        "Staff holding each capability (share of team)",
        legend="share of the team holding the capability",
        note="n/a (grey): no one in the team has a role that does this task")


# --- training needed for the current caseload ----------------------------------------------

def caseload_demand(entries: list[Entry], cfg: WorkforceConfig, backlog_hours: dict[str, float]
                    ) -> dict[tuple[str, str], float]:
    """Hours of work per (task, band) in the open caseload: examination from the backlog's
    remaining hours, other tasks as open cases x the task's hours per case."""
    open_cases: dict[str, str] = {}
    for e in entries:
        if e.status != "reported":
            open_cases[e.case_reference] = e.band
    per_band: dict[str, int] = defaultdict(int)
    for band in open_cases.values():
        per_band[band] += 1
    demand: dict[tuple[str, str], float] = {}
    for task in cfg.tasks.values():
        for band, n in per_band.items():
            if task.key == "examination":
                demand[(task.key, band)] = backlog_hours.get(band, 0.0)
            else:
                demand[(task.key, band)] = n * task.hours_per_case
    return demand


def training_needs(people: list[Person], cfg: WorkforceConfig, band_order: list[str],
                   demand: dict[tuple[str, str], float], as_of: date) -> list[dict]:
    """Shortfall per (task, band) over the planning horizon and who is nearest to covering it.

    Qualified people's hours (weekly hours x task share x horizon) are drawn for the most
    urgent band first, since someone qualified for very-high work is usually also used
    there.  Each uncovered band names the people missing the fewest credentials.
    """
    weeks = float(cfg.demand.horizon_weeks)
    share = cfg.demand.task_share
    out = []
    for task in cfg.tasks.values():
        remaining = {p.staff_number: p.hours_per_week * share * weeks for p in people}
        for band in band_order:
            need = demand.get((task.key, band), 0.0)
            if need <= 0:
                continue
            reqs = task.for_band(band)
            capable = [p for p in people if not p.missing(reqs, as_of)]
            covered = 0.0
            for p in sorted(capable, key=lambda p: p.staff_number):
                take = min(remaining[p.staff_number], need - covered)
                remaining[p.staff_number] -= take
                covered += take
                if covered >= need - 1e-9:
                    break
            shortfall = max(0.0, need - covered)
            per_person = 37.0 * share * weeks
            people_needed = math.ceil(shortfall / per_person - 1e-9) if shortfall else 0
            candidates = []
            if people_needed:
                others = [(p, p.missing(reqs, as_of)) for p in people if p not in capable]
                others.sort(key=lambda pm: (len(pm[1]), pm[0].staff_number))
                candidates = [{"staff_number": p.staff_number, "name": p.name, "team": p.team,
                               "needs": [str(r) for r in miss]}
                              for p, miss in others[: max(3, people_needed)]]
            out.append({"task": task.key, "label": task.label, "band": band,
                        "requires": [str(r) for r in reqs],
                        "demand_hours": round(need, 1), "covered_hours": round(covered, 1),
                        "shortfall_hours": round(shortfall, 1), "qualified": len(capable),
                        "people_to_train": people_needed, "candidates": candidates})
    return out


def gap_report(people: list[Person], cfg: WorkforceConfig, bcfg: BacklogConfig,
               entries: list[Entry], backlog_hours: dict[str, float], as_of: date) -> dict:
    """Everything the workforce page and ``seawall workforce gaps`` show."""
    demand = caseload_demand(entries, cfg, backlog_hours)
    return {
        "as_of": as_of.isoformat(), "staff": len(people),
        "headlines": headline_figures(people, cfg, as_of),
        "gap_map": gap_map(people, cfg, bcfg.band_order, as_of),
        "expiring": expiring(people, cfg, as_of),
        "training_needs": training_needs(people, cfg, bcfg.band_order, demand, as_of),
        "horizon_weeks": cfg.demand.horizon_weeks,
    }


# --- assignment suggestions ------------------------------------------------------------------

@dataclass(frozen=True)
class Work:
    """Work to be given to someone: the tasks, their band, the credentials they need and
    the hours they take."""

    tasks: tuple[str, ...]
    band: str | None
    requires: tuple[Requirement, ...]
    hours: float
    exposed: bool


def work(cfg: WorkforceConfig, tasks: Sequence[str], band: str | None,
         hours: float | None = None) -> Work:
    for t in tasks:
        if t not in cfg.tasks:
            raise InvalidInput(f"unknown task {t!r}; expected one of {', '.join(cfg.tasks)}")
    if hours is not None and not 0 < hours <= 1000:
        raise InvalidInput(f"hours must be more than 0 and at most 1000 (not {hours:g})")
    reqs: list[Requirement] = []
    for t in tasks:
        reqs.extend(r for r in cfg.tasks[t].for_band(band) if r not in reqs)
    return Work(tuple(tasks), band, tuple(reqs),
                hours if hours is not None else sum(cfg.tasks[t].hours_per_case for t in tasks),
                any(cfg.tasks[t].exposure for t in tasks))


@dataclass
class Assessment:
    """Whether one person may take some work: the hard rules broken (``reasons``), what
    the suggestion rests on (``notes``) and what to check first (``warnings``)."""

    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    load: float = 0.0
    exposure_share: float | None = None


def assess(p: Person, cfg: WorkforceConfig, job: Work, as_of: date,
           workload: Workload | None = None, exposure: dict | None = None) -> Assessment:
    """The hard rules of :func:`suggest` (and of recording an allocation) for one person."""
    a = cfg.assignment
    out = Assessment()
    if not p.active:
        out.reasons.append("not active")
    missing = p.missing(job.requires, as_of)
    if missing:
        out.reasons.append("lacks " + ", ".join(p.why_missing(r, as_of) for r in missing))
    else:
        held = [h for h in (p.holding(r, as_of) for r in job.requires) if h is not None]
        soonest = min((h for h in held if h.expires), key=lambda h: h.expires or date.max,
                      default=None)
        out.notes.append("holds " + ", ".join(str(r) for r in job.requires)
                         + (f" (soonest expiry {soonest.code} {soonest.expires})"
                            if soonest else ""))
    w = workload or Workload()
    capacity = max(p.hours_per_week, 1e-9)
    out.load = (w.open_hours + job.hours) / capacity
    if w.open_allocations >= a.max_open_allocations:
        out.reasons.append(f"{w.open_allocations} open allocations "
                           f"(limit {a.max_open_allocations})")
    elif out.load > a.max_load_share + 1e-9:
        out.reasons.append(f"open work would be {out.load:.0%} of weekly hours "
                           f"(limit {a.max_load_share:.0%})")
    out.notes.append(f"{w.open_allocations} open allocations, {w.open_hours:g} h open work "
                     f"+ {job.hours:g} h = {out.load:.0%} of {p.hours_per_week:g} h/week")
    if w.in_examination:
        out.notes.append(f"{w.in_examination} exhibit(s) in examination")
    if not job.exposed:
        out.exposure_share = 0.0
        return out
    if exposure is None:
        # Unknown is not zero: someone whose grading happens outside Seawall may be at
        # their limit already.
        out.warnings.append("grading exposure unknown (no Seawall login linked and no "
                            "--exposure figures): check it before allocating")
        return out
    item_limit, minute_limit = a.weekly_items_graded_limit, a.weekly_grading_minutes_limit
    items, minutes = exposure.get("items_graded_7d", 0), exposure.get("minutes_7d", 0)
    if exposure.get("paused_today"):
        out.reasons.append("reached their own daily welfare limit today")
    if item_limit and items >= item_limit:
        out.reasons.append(f"graded {items} items in 7 days (limit {item_limit})")
    if minute_limit and minutes >= minute_limit:
        out.reasons.append(f"{minutes} min grading in 7 days (limit {minute_limit})")
    out.exposure_share = max(items / item_limit if item_limit else 0.0,
                             minutes / minute_limit if minute_limit else 0.0)
    out.notes.append(f"exposure last 7 days: {items} items, {minutes} min "
                     f"({out.exposure_share:.0%} of limit)")
    return out


def suggest(people: list[Person], cfg: WorkforceConfig, tasks: list[str], band: str | None,
            as_of: date, workload: dict[str, Workload] | None = None,
            exposure: dict[str, dict] | None = None, hours: float | None = None,
            limit: int = 5) -> dict:
    """Rank who could take work needing ``tasks`` at ``band``, explaining each suggestion.

    Hard rules: every required credential current; fewer than ``max_open_allocations`` open
    allocations; open work plus this work within ``max_load_share`` of weekly hours; for
    exposure tasks (grading, examination) the weekly welfare limits and the person's own
    daily limits.  Among those left, the least loaded and least exposed come first; people
    whose exposure is unknown come after everyone whose exposure is known, with a warning.
    """
    job = work(cfg, tasks, band, hours)
    workload = workload or {}
    exposure = exposure or {}
    suggestions, excluded = [], []
    for p in people:
        if not p.active:
            continue
        verdict = assess(p, cfg, job, as_of, workload.get(p.staff_number),
                         exposure.get(p.staff_number))
        row = {"staff_number": p.staff_number, "name": p.name, "team": p.team,
               "role": p.role, "load_share": round(verdict.load, 3),
               "exposure_share": (None if verdict.exposure_share is None
                                  else round(verdict.exposure_share, 3))}
        if verdict.reasons:
            excluded.append({**row, "reasons": verdict.reasons})
        else:
            known = verdict.exposure_share is not None
            suggestions.append({**row, "score": round(verdict.load + (
                verdict.exposure_share or 0.0), 3), "exposure_known": known,
                "why": "; ".join(verdict.notes), "warnings": verdict.warnings})
    suggestions.sort(key=lambda r: (not r["exposure_known"], r["score"], r["staff_number"]))
    return {"tasks": tasks, "band": band, "hours": job.hours,
            "requires": [str(r) for r in job.requires],
            "suggestions": suggestions[:limit], "eligible": len(suggestions),
            "excluded": sorted(excluded, key=lambda r: r["staff_number"])}
