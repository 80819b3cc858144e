"""Workforce data read from the database: people with their credentials, open work per
person, and grading exposure from the grading stage's welfare counters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from seawall.operations.workforce.config import Requirement, WorkforceConfig
from seawall.store.accounts_models import User
from seawall.store.grading_models import ExposureDay
from seawall.store.operations_models import Allocation, BacklogItem, Staff


@dataclass(frozen=True)
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

    def missing(self, reqs: Sequence[Requirement], as_of: date) -> list[Requirement]:
        return [r for r in reqs if self.holding(r, as_of) is None]

    def why_missing(self, req: Requirement, as_of: date) -> str:
        """``req`` with what the person has instead: 'abe_interview (expired on 2026-02-01)',
        'pip>=2 (holds level 1)', 'scaidp (in training)'."""
        same = [h for h in self.credentials if h.code == req.code]
        expired = [h for h in same if h.status == "held" and h.expires and h.expires < as_of
                   and (req.min_level is None or (h.level or 0) >= req.min_level)]
        if expired:
            return f"{req} (expired on {max(h.expires for h in expired if h.expires)})"
        lower = [h.level or 0 for h in same if h.current(as_of)]
        if lower:
            return f"{req} (holds level {max(lower)})"
        status = sorted({h.status.replace('_', ' ') for h in same if h.status != "held"})
        return f"{req} ({', '.join(status)})" if status else str(req)


@dataclass
class Workload:
    open_allocations: int = 0
    open_hours: float = 0.0
    in_examination: int = 0


def load_people(session: Session, cfg: WorkforceConfig, active_only: bool = True,
                staff_number: str | None = None) -> list[Person]:
    query = select(Staff).options(selectinload(Staff.credentials), selectinload(Staff.team))
    if active_only:
        query = query.where(Staff.active.is_(True))
    if staff_number is not None:
        query = query.where(Staff.staff_number == staff_number)
    out = []
    for s in session.scalars(query.order_by(Staff.staff_number)).all():
        dedicated = s.dedicated_ocsa
        if dedicated is None:
            dedicated = cfg.dedicated(s.role)
        out.append(Person(
            s.staff_number, s.name, s.team.name if s.team else "(no team)", s.role, dedicated,
            s.hours_per_week, s.username,
            [Held(c.code, c.level, c.status, c.achieved_on, c.expires_on)
             for c in s.credentials], s.active))
    return out


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
