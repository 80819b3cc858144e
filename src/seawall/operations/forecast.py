"""Deterministic forecast of the current backlog.

Method (documented in docs/operations.md):

* **Effort.**  Per exhibit type, completed work reported in the last ``history_days`` teaches
  the effort: once ``min_history`` exhibits of a type have actual hours, the type's effort is
  their mean, and estimates are scaled by sum(actual) / sum(estimated) over those with both
  (estimators are usually optimistic).  Below that, packaged defaults and raw estimates.
* **Schedule.**  ``examiners`` work ``hours_per_day`` productive hours on each working day.
  Exhibits already in examination keep an examiner for their remaining effort (estimated
  effort minus a full day's hours per working day since they started, at least one hour).
  Whenever an examiner comes free, they take the waiting exhibit with the highest priority
  score *on that date* (:mod:`seawall.operations.policy`), so ageing is applied as time
  passes.  Start and finish dates follow from the working calendar.
* **Breach.**  The band deadline (calendar days from receipt) applies to the start or the
  finish of examination, as configured; an exhibit breaches if its predicted date is later.
* **Clearance.**  Arrivals are measured over the history window as hours of work per
  calendar day; capacity is examiners x hours x working days / 7.  If capacity exceeds
  arrivals, the open work clears in remaining hours / (capacity - arrivals) days, a fluid
  (Little's law) approximation; otherwise the backlog grows and there is no clearance date.

The per-exhibit schedule covers today's backlog only: future high-risk arrivals will push
low-risk work back, which the simulation (:mod:`seawall.operations.simulation`) shows.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from seawall.operations import policy
from seawall.operations.config import BacklogConfig
from seawall.operations.model import Entry

EPS = 1e-9


@dataclass
class TypeEffort:
    exhibit_type: str
    hours: float
    calibration: float
    history: int
    source: str  # "history" or "default"
    samples: list[float] = field(default_factory=list)


@dataclass
class EffortModel:
    types: dict[str, TypeEffort]

    def hours(self, entry: Entry) -> float:
        """Expected effort of ``entry`` in examiner hours."""
        effort = self.types[entry.exhibit_type]
        if entry.estimated_hours is not None and entry.estimated_hours > 0:
            return entry.estimated_hours * effort.calibration
        return effort.hours


def learn_effort(entries: Iterable[Entry], cfg: BacklogConfig, as_of: date) -> EffortModel:
    """Effort per exhibit type from completed work in the history window (see module doc)."""
    since = as_of - timedelta(days=cfg.history_days)
    done: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        if (e.status == "reported" and e.actual_hours and e.actual_hours > 0
                and e.reported is not None and since <= e.reported <= as_of):
            done[e.exhibit_type].append(e)
    types = {}
    for key, spec in cfg.exhibit_types.items():
        rows = sorted(done.get(key, []), key=lambda e: (e.reported, e.key))
        if len(rows) >= cfg.min_history:
            actual = [e.actual_hours for e in rows]
            paired = [e for e in rows if e.estimated_hours]
            calibration = 1.0
            if len(paired) >= cfg.min_history:
                calibration = (sum(e.actual_hours for e in paired)
                               / sum(e.estimated_hours for e in paired))
            types[key] = TypeEffort(key, sum(actual) / len(actual), calibration, len(rows),
                                    "history", actual)
        else:
            types[key] = TypeEffort(key, spec.default_hours, 1.0, len(rows), "default")
    return EffortModel(types)


@dataclass
class Arrivals:
    """Measured arrival rates over the history window (per calendar day)."""

    window_days: int
    per_day: float
    hours_per_day: float
    mix: dict[tuple[str, str], float]  # (band, type) -> share of arrivals
    safeguarding_share: float
    # Share flagged per band: history shows safeguarding concentrated in the urgent bands,
    # so one overall share would flag low-risk arrivals that never are.
    safeguarding_by_band: dict[str, float] = field(default_factory=dict)


def arrivals(entries: Iterable[Entry], cfg: BacklogConfig, as_of: date,
             effort: EffortModel) -> Arrivals:
    """Exhibits received in the history window (any status): rate, band/type mix, hours."""
    entries = list(entries)
    since = as_of - timedelta(days=cfg.history_days)
    recent = [e for e in entries if since <= e.received < as_of]
    if not recent:
        return Arrivals(cfg.history_days, 0.0, 0.0, {}, 0.0)
    # A shorter record than the window (a new system) must not dilute the rate.
    first = min(e.received for e in entries)
    window = max(1, min(cfg.history_days, (as_of - first).days))
    counts: dict[tuple[str, str], int] = defaultdict(int)
    hours = 0.0
    for e in recent:
        counts[(e.band, e.exhibit_type)] += 1
        hours += effort.types[e.exhibit_type].hours
    n = len(recent)
    per_band: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in recent:
        per_band[e.band][0] += 1
        per_band[e.band][1] += e.safeguarding
    return Arrivals(window, n / window, hours / window,
                    {k: v / n for k, v in sorted(counts.items())},
                    sum(1 for e in recent if e.safeguarding) / n,
                    {band: flagged / total for band, (total, flagged)
                     in sorted(per_band.items())})


@dataclass
class ItemForecast:
    entry: Entry
    rank: int | None  # position in today's queue (None: already in examination)
    score: float | None
    hours: float
    start: date | None
    finish: date | None
    due: date
    breach: bool
    examiner_slot: int | None

    def as_dict(self) -> dict:
        e = self.entry
        return {
            "case_reference": e.case_reference, "exhibit_reference": e.exhibit_reference,
            "exhibit_type": e.exhibit_type, "band": e.band, "band_source": e.band_source,
            "status": e.status, "received": e.received.isoformat(),
            "safeguarding": e.safeguarding, "rank": self.rank,
            "score": None if self.score is None else round(self.score, 2),
            "hours": round(self.hours, 2),
            "predicted_start": self.start.isoformat() if self.start else None,
            "predicted_finish": self.finish.isoformat() if self.finish else None,
            "due": self.due.isoformat(), "breach": self.breach,
        }


@dataclass
class Forecast:
    as_of: date
    examiners: int
    hours_per_day: float
    items: list[ItemForecast]
    effort: EffortModel
    arrivals: Arrivals
    capacity_hours_per_day: float  # per calendar day
    open_hours: float
    clearance_date: date | None
    backlog_done_date: date | None  # last predicted finish with no new arrivals
    growth_hours_per_week: float

    def by_band(self, cfg: BacklogConfig) -> list[dict]:
        rows = []
        for band in cfg.band_order:
            items = [i for i in self.items if i.entry.band == band]
            waits = sorted((i.start - i.entry.received).days for i in items
                           if i.start and i.entry.waiting)
            rows.append({
                "band": band, "label": cfg.bands[band].label,
                "deadline_days": cfg.bands[band].deadline_days,
                "waiting": sum(1 for i in items if i.entry.waiting),
                "in_examination": sum(1 for i in items if not i.entry.waiting),
                "predicted_breaches": sum(1 for i in items if i.breach),
                "median_predicted_wait_days": waits[len(waits) // 2] if waits else None,
            })
        return rows

    def summary(self, cfg: BacklogConfig) -> dict:
        return {
            "as_of": self.as_of.isoformat(), "examiners": self.examiners,
            "hours_per_day": self.hours_per_day,
            "deadline_measure": cfg.deadline_measure,
            "open_exhibits": len(self.items),
            "waiting": sum(1 for i in self.items if i.entry.waiting),
            "open_hours": round(self.open_hours, 1),
            "predicted_breaches": sum(1 for i in self.items if i.breach),
            "capacity_hours_per_day": round(self.capacity_hours_per_day, 2),
            "arrivals_per_day": round(self.arrivals.per_day, 3),
            "arrival_hours_per_day": round(self.arrivals.hours_per_day, 2),
            "arrival_window_days": self.arrivals.window_days,
            "growth_hours_per_week": round(self.growth_hours_per_week, 1),
            "clearance_date": self.clearance_date.isoformat() if self.clearance_date else None,
            "backlog_done_date": (self.backlog_done_date.isoformat()
                                  if self.backlog_done_date else None),
            "effort": {k: {"hours": round(t.hours, 2), "calibration": round(t.calibration, 3),
                           "history": t.history, "source": t.source}
                       for k, t in self.effort.types.items()},
            "bands": self.by_band(cfg),
        }


def _ceil_day(hours: float, per_day: float) -> int:
    return max(0, math.ceil(hours / per_day - EPS) - 1)


def forecast(entries: Iterable[Entry], cfg: BacklogConfig, as_of: date) -> Forecast:
    """Schedule every open exhibit as described in the module docstring."""
    entries = list(entries)
    effort = learn_effort(entries, cfg, as_of)
    arr = arrivals(entries, cfg, as_of, effort)
    cal = cfg.calendar(as_of)
    h = cfg.hours_per_day
    items: list[ItemForecast] = []
    free = [(0.0, slot) for slot in range(cfg.examiners)]
    heapq.heapify(free)

    def book(hours: float) -> tuple[float, float, int] | None:
        if not free:
            return None
        t, slot = heapq.heappop(free)
        heapq.heappush(free, (t + hours, slot))
        return t, t + hours, slot

    def dates(span):
        if span is None:
            return None, None, None
        t0, t1, slot = span
        return cal.day(int(t0 / h + EPS)), cal.day(_ceil_day(t1, h)), slot

    in_exam = sorted((e for e in entries if e.status == "in_examination"),
                     key=lambda e: (e.started or e.received, e.key))
    for e in in_exam:
        total = effort.hours(e)
        done = h * cal.working_days_between(e.started, as_of) if e.started else 0.0
        remaining = max(1.0, total - done)
        start, finish, slot = dates(book(remaining))
        due = policy.due_date(e, cfg)
        when = (e.started or start) if cfg.deadline_measure == "start" else finish
        items.append(ItemForecast(e, None, None, remaining, e.started or start, finish, due,
                                  when is None or when > due, slot))

    # Within one (band, safeguarding) group the oldest always scores highest, so only the
    # group heads compete at each dispatch: O(n x groups) rather than O(n^2).
    groups: dict[tuple[str, bool], deque[Entry]] = defaultdict(deque)
    for e in sorted((e for e in entries if e.waiting),
                    key=lambda e: (e.received, e.case_reference, e.exhibit_reference)):
        groups[(e.band, e.safeguarding)].append(e)
    today_rank = {id(e): i + 1 for i, e in enumerate(policy.order(entries, as_of, cfg))}
    while any(groups.values()):
        t = free[0][0] if free else 0.0
        day = cal.day(int(t / h + EPS)) if free else as_of
        best = min((g[0] for g in groups.values() if g),
                   key=lambda e: policy.sort_key(e, day, cfg))
        groups[(best.band, best.safeguarding)].popleft()
        hours = effort.hours(best)
        start, finish, slot = dates(book(hours))
        due = policy.due_date(best, cfg)
        when = start if cfg.deadline_measure == "start" else finish
        items.append(ItemForecast(best, today_rank[id(best)], policy.score(best, as_of, cfg),
                                  hours, start, finish, due, when is None or when > due, slot))

    open_hours = sum(i.hours for i in items)
    capacity = cfg.examiners * h * cal.working_share()
    net = capacity - arr.hours_per_day
    clearance = None
    if open_hours <= EPS:
        clearance = as_of
    elif net > EPS:
        clearance = as_of + timedelta(days=math.ceil(open_hours / net - EPS))
    finishes = [i.finish for i in items if i.finish]
    done_date = max(finishes) if finishes and len(finishes) == len(items) else None
    if not items:
        done_date = as_of
    return Forecast(as_of, cfg.examiners, h, items, effort, arr, capacity, open_hours,
                    clearance, done_date, -net * 7.0)
