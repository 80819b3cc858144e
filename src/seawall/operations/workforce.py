"""Workforce: who holds which training and accreditations, which capabilities that gives,
where the gaps are, and who could take new work.

A *credential* is something a person holds with dates (a course, an accreditation level, a
welfare screening).  A *task* (risk assessment, grading, interview, examination) needs a set
of credentials, which may be stricter for higher risk bands; all of this is configuration
(defaults/workforce.toml).  A person is *capable* of a task at a band when they hold every
required credential, at the required level, with status "held" and not expired.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from seawall.operations import charts
from seawall.operations.config import BacklogConfig, ConfigError
from seawall.operations.model import Entry
from seawall.store import audit
from seawall.store.models import utcnow
from seawall.store.operations_models import Allocation, BacklogItem, Staff

_REQ = re.compile(r"^\s*([a-z0-9_]+)\s*(?:>=\s*(\d+))?\s*$")


@dataclass(frozen=True)
class Requirement:
    code: str
    min_level: int | None = None

    def __str__(self) -> str:
        return self.code + (f">={self.min_level}" if self.min_level is not None else "")


def parse_requirement(text: str, credentials: dict) -> Requirement:
    match = _REQ.match(str(text))
    if not match:
        raise ConfigError(f"bad requirement {text!r} (use 'code' or 'code>=LEVEL')")
    code, level = match.group(1), match.group(2)
    if code not in credentials:
        raise ConfigError(f"requirement {text!r}: unknown credential {code!r}")
    return Requirement(code, int(level) if level else None)


@dataclass
class Task:
    key: str
    label: str
    requires: tuple[Requirement, ...]
    bands: dict[str, tuple[Requirement, ...]]
    hours_per_case: float
    exposure: bool

    def for_band(self, band: str | None) -> tuple[Requirement, ...]:
        return self.bands.get(band, self.requires) if band else self.requires


@dataclass
class WorkforceConfig:
    credentials: dict[str, dict]
    roles: dict[str, dict]
    tasks: dict[str, Task]
    assignment: dict
    demand: dict
    headlines: list[dict]
    expiry_warning_days: int

    def credential_label(self, code: str) -> str:
        return self.credentials.get(code, {}).get("label", code)

    def profile(self, role: str) -> tuple[Requirement, ...]:
        return tuple(parse_requirement(r, self.credentials)
                     for r in self.roles.get(role, {}).get("profile", []))


def parse_config(raw: dict, bands: list[str] | None = None) -> WorkforceConfig:
    """Validate the workforce configuration (see defaults/workforce.toml)."""
    creds = raw.get("credentials", {})
    if not creds:
        raise ConfigError("no credentials configured")
    tasks = {}
    for key, spec in raw.get("tasks", {}).items():
        per_band = {}
        for band, reqs in spec.get("bands", {}).items():
            if bands is not None and band not in bands:
                raise ConfigError(f"tasks.{key}.bands: unknown band {band!r}")
            per_band[band] = tuple(parse_requirement(r, creds) for r in reqs)
        tasks[key] = Task(key, spec.get("label", key),
                          tuple(parse_requirement(r, creds) for r in spec.get("requires", [])),
                          per_band, float(spec.get("hours_per_case", 0.0)),
                          bool(spec.get("exposure", False)))
    roles = raw.get("roles", {})
    for role, spec in roles.items():
        for req in spec.get("profile", []):
            parse_requirement(req, creds)
        if "dedicated_ocsa" not in spec:
            raise ConfigError(f"roles.{role}: dedicated_ocsa missing")
    assignment = raw.get("assignment", {})
    for task in assignment.get("new_case_tasks", []):
        if task not in tasks:
            raise ConfigError(f"assignment.new_case_tasks: unknown task {task!r}")
    headlines = raw.get("headlines", [])
    for h in headlines:
        code = h.get("lacking") or h.get("holding")
        if code != "profile" and code not in creds:
            raise ConfigError(f"headline {h.get('id')}: unknown credential {code!r}")
    return WorkforceConfig(creds, roles, tasks, assignment, raw.get("demand", {}), headlines,
                           int(raw.get("expiry_warning_days", 90)))


@dataclass
class Held:
    code: str
    level: int | None
    status: str
    achieved: date | None
    expires: date | None

    def current(self, as_of: date) -> bool:
        return self.status == "held" and (self.expires is None or self.expires >= as_of)


@dataclass
class Person:
    staff_number: str
    name: str
    team: str
    role: str
    dedicated: bool
    hours_per_week: float
    username: str | None = None
    credentials: list[Held] = field(default_factory=list)
    active: bool = True

    def holding(self, req: Requirement, as_of: date) -> Held | None:
        """The current credential meeting ``req`` (highest level, latest expiry), if any."""
        found = [h for h in self.credentials if h.code == req.code and h.current(as_of)
                 and (req.min_level is None or (h.level or 0) >= req.min_level)]
        return max(found, key=lambda h: (h.level or 0, h.expires or date.max), default=None)

    def missing(self, reqs, as_of: date) -> list[Requirement]:
        return [r for r in reqs if self.holding(r, as_of) is None]


def load_people(session: Session, cfg: WorkforceConfig, active_only: bool = True) -> list[Person]:
    query = select(Staff).options(selectinload(Staff.credentials), selectinload(Staff.team))
    if active_only:
        query = query.where(Staff.active.is_(True))
    out = []
    for s in session.scalars(query.order_by(Staff.staff_number)).all():
        dedicated = s.dedicated_ocsa
        if dedicated is None:
            dedicated = bool(cfg.roles.get(s.role, {}).get("dedicated_ocsa", False))
        out.append(Person(
            s.staff_number, s.name, s.team.name if s.team else "(no team)", s.role, dedicated,
            s.hours_per_week, s.username,
            [Held(c.code, c.level, c.status, c.achieved_on, c.expires_on)
             for c in s.credentials], s.active))
    return out


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
    if population == "all":
        return True
    if population == "dedicated":
        return p.dedicated
    if population.startswith("role:"):
        return p.role == population[5:]
    if population.startswith("team:"):
        return p.team == population[5:]
    raise ConfigError(f"unknown headline population {population!r}")


def headline_figures(people: list[Person], cfg: WorkforceConfig, as_of: date) -> list[dict]:
    out = []
    for h in cfg.headlines:
        pop = [p for p in people if _in_population(p, h.get("population", "all"))]
        code = h.get("lacking") or h.get("holding")
        if code == "profile":
            meets = [p for p in pop if not p.missing(cfg.profile(p.role), as_of)]
        else:
            meets = [p for p in pop if p.holding(Requirement(code), as_of)]
        count = len(pop) - len(meets) if h.get("lacking") else len(meets)
        out.append({"id": h.get("id"), "label": h.get("label"), "count": count,
                    "population": len(pop),
                    "share": round(count / len(pop), 3) if pop else None})
    return out


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
    """Team x capability: how many active staff hold each capability."""
    cols = capability_columns(cfg, band_order)
    teams = sorted({p.team for p in people})
    rows = []
    for team in teams:
        members = [p for p in people if p.team == team]
        cells = []
        for col in cols:
            reqs = cfg.tasks[col["task"]].for_band(col["band"])
            n = sum(1 for p in members if not p.missing(reqs, as_of))
            cells.append({"capable": n, "staff": len(members),
                          "share": round(n / len(members), 3) if members else 0.0})
        rows.append({"team": team, "staff": len(members), "cells": cells})
    return {"columns": cols, "rows": rows}


def gap_chart(gaps: dict) -> str:
    return charts.heat_map(
        [f"{r['team']} ({r['staff']})" for r in gaps["rows"]],
        [c["label"] for c in gaps["columns"]],
        [[c["share"] for c in r["cells"]] for r in gaps["rows"]],
        [[f"{c['capable']}/{c['staff']}" for c in r["cells"]] for r in gaps["rows"]],
        "Staff holding each capability (share of team)")


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
    weeks = float(cfg.demand.get("horizon_weeks", 12))
    share = float(cfg.demand.get("task_share", 0.6))
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
        "horizon_weeks": cfg.demand.get("horizon_weeks", 12),
    }


# --- assignment suggestions ------------------------------------------------------------------

@dataclass
class Workload:
    open_allocations: int = 0
    open_hours: float = 0.0
    in_examination: int = 0


def load_workload(session: Session, cfg: WorkforceConfig) -> dict[str, Workload]:
    out: dict[str, Workload] = defaultdict(Workload)
    rows = session.execute(
        select(Staff.staff_number, Allocation.task, Allocation.hours)
        .join(Allocation, Allocation.staff_id == Staff.id)
        .where(Allocation.closed_at.is_(None))).all()
    for number, task, hours in rows:
        w = out[number]
        w.open_allocations += 1
        default = cfg.tasks[task].hours_per_case if task in cfg.tasks else 0.0
        w.open_hours += hours if hours is not None else default
    exams = session.execute(
        select(Staff.staff_number, func.count(BacklogItem.id))
        .join(BacklogItem, BacklogItem.examiner_id == Staff.id)
        .where(BacklogItem.status == "in_examination").group_by(Staff.staff_number)).all()
    for number, n in exams:
        out[number].in_examination = int(n)
    return dict(out)


def load_exposure(session: Session, people: list[Person], as_of: date) -> dict[str, dict]:
    """Grading exposure per staff number over the last 7 days and today, from the grading
    package's counters (linked by Seawall username), with the user's daily limits."""
    try:
        from seawall.store.web_models import ExposureDay, User
    except ImportError:
        return {}
    by_user = {p.username: p.staff_number for p in people if p.username}
    if not by_user:
        return {}
    since = as_of - timedelta(days=6)
    out: dict[str, dict] = {}
    users = session.scalars(select(User).where(User.username.in_(list(by_user)))).all()
    for user in users:
        rows = session.execute(
            select(ExposureDay.day, func.sum(ExposureDay.items_graded),
                   func.sum(ExposureDay.seconds_grading), func.sum(ExposureDay.reveals))
            .where(ExposureDay.user_id == user.id, ExposureDay.day >= since,
                   ExposureDay.day <= as_of).group_by(ExposureDay.day)).all()
        week_items = sum(int(r[1] or 0) for r in rows)
        week_minutes = sum(int(r[2] or 0) for r in rows) // 60
        today = [r for r in rows if r[0] == as_of]
        today_reveals = int(today[0][3] or 0) if today else 0
        today_minutes = int(today[0][2] or 0) // 60 if today else 0
        paused = ((user.daily_reveal_limit is not None
                   and today_reveals >= user.daily_reveal_limit)
                  or (user.daily_grading_minutes_limit is not None
                      and today_minutes >= user.daily_grading_minutes_limit))
        out[by_user[user.username]] = {"items_graded_7d": week_items,
                                       "minutes_7d": week_minutes, "paused_today": paused}
    return out


def suggest(people: list[Person], cfg: WorkforceConfig, tasks: list[str], band: str | None,
            as_of: date, workload: dict[str, Workload] | None = None,
            exposure: dict[str, dict] | None = None, hours: float | None = None,
            limit: int = 5) -> dict:
    """Rank who could take work needing ``tasks`` at ``band``, explaining each suggestion.

    Hard rules: every required credential current; fewer than ``max_open_allocations`` open
    allocations; open work plus this work within ``max_load_share`` of weekly hours; for
    exposure tasks (grading, examination) the weekly welfare limits and the person's own
    daily limits.  Among those left, the least loaded and least exposed come first.
    """
    for t in tasks:
        if t not in cfg.tasks:
            raise ValueError(f"unknown task {t!r}; expected one of {', '.join(cfg.tasks)}")
    workload = workload or {}
    exposure = exposure or {}
    a = cfg.assignment
    max_alloc = int(a.get("max_open_allocations", 8))
    max_share = float(a.get("max_load_share", 1.0))
    item_limit = a.get("weekly_items_graded_limit")
    minute_limit = a.get("weekly_grading_minutes_limit")
    exposed = any(cfg.tasks[t].exposure for t in tasks)
    hours = hours if hours is not None else sum(cfg.tasks[t].hours_per_case for t in tasks)
    reqs: list[Requirement] = []
    for t in tasks:
        reqs.extend(r for r in cfg.tasks[t].for_band(band) if r not in reqs)
    suggestions, excluded = [], []
    for p in people:
        if not p.active:
            continue
        reasons, notes = [], []
        missing = p.missing(reqs, as_of)
        if missing:
            reasons.append("lacks " + ", ".join(str(r) for r in missing))
        else:
            held = [p.holding(r, as_of) for r in reqs]
            expiries = [h for h in held if h.expires]
            soonest = min(expiries, key=lambda h: h.expires, default=None)
            notes.append("holds " + ", ".join(str(r) for r in reqs)
                         + (f" (soonest expiry {soonest.code} {soonest.expires})"
                            if soonest else ""))
        w = workload.get(p.staff_number, Workload())
        capacity = max(p.hours_per_week, 1e-9)
        load = (w.open_hours + hours) / capacity
        if w.open_allocations >= max_alloc:
            reasons.append(f"{w.open_allocations} open allocations (limit {max_alloc})")
        elif load > max_share + 1e-9:
            reasons.append(f"open work would be {load:.0%} of weekly hours "
                           f"(limit {max_share:.0%})")
        notes.append(f"{w.open_allocations} open allocations, {w.open_hours:g} h open work "
                     f"+ {hours:g} h = {load:.0%} of {p.hours_per_week:g} h/week")
        if w.in_examination:
            notes.append(f"{w.in_examination} exhibit(s) in examination")
        ex_share = 0.0
        if exposed:
            e = exposure.get(p.staff_number)
            if e is None:
                notes.append("no grading exposure recorded in Seawall")
            else:
                items, minutes = e.get("items_graded_7d", 0), e.get("minutes_7d", 0)
                if e.get("paused_today"):
                    reasons.append("reached their own daily welfare limit today")
                if item_limit and items >= item_limit:
                    reasons.append(f"graded {items} items in 7 days (limit {item_limit})")
                if minute_limit and minutes >= minute_limit:
                    reasons.append(f"{minutes} min grading in 7 days (limit {minute_limit})")
                shares = [items / item_limit if item_limit else 0.0,
                          minutes / minute_limit if minute_limit else 0.0]
                ex_share = max(shares)
                notes.append(f"exposure last 7 days: {items} items, {minutes} min "
                             f"({ex_share:.0%} of limit)")
        row = {"staff_number": p.staff_number, "name": p.name, "team": p.team,
               "role": p.role, "load_share": round(load, 3),
               "exposure_share": round(ex_share, 3)}
        if reasons:
            excluded.append({**row, "reasons": reasons})
        else:
            suggestions.append({**row, "score": round(load + ex_share, 3),
                                "why": "; ".join(notes)})
    suggestions.sort(key=lambda r: (r["score"], r["staff_number"]))
    return {"tasks": tasks, "band": band, "hours": hours,
            "requires": [str(r) for r in reqs],
            "suggestions": suggestions[:limit], "eligible": len(suggestions),
            "excluded": sorted(excluded, key=lambda r: r["staff_number"])}


def allocate(session: Session, actor: str, staff_number: str, case_reference: str, task: str,
             band: str | None = None, hours: float | None = None,
             reason: str | None = None) -> Allocation:
    """Record that ``staff_number`` takes ``task`` on a case; audited.  Caller commits."""
    staff = session.scalar(select(Staff).where(Staff.staff_number == staff_number))
    if staff is None:
        raise ValueError(f"no staff member {staff_number!r}")
    row = Allocation(staff=staff, case_reference=case_reference, task=task, risk_band=band,
                     hours=hours, allocated_by=actor, reason=reason)
    session.add(row)
    audit.record(session, actor, "operations.allocate", case=case_reference,
                 target=staff_number, details={"task": task, "band": band, "hours": hours})
    session.flush()
    return row


def close_allocation(session: Session, actor: str, allocation_id: int,
                     at: datetime | None = None) -> None:
    row = session.get(Allocation, allocation_id)
    if row is None:
        raise ValueError(f"no allocation {allocation_id}")
    row.closed_at = at or utcnow()
    audit.record(session, actor, "operations.allocation.close", case=row.case_reference,
                 target=str(allocation_id))
