"""The one working calendar the forecast and the simulation both use: working weekdays and
bank holidays (configured under ``[capacity]``).

Examiners work only on working days; exhibits arrive on any day.  The forecast counts in
whole working days (:meth:`WorkCalendar.day`); the simulation runs in calendar days from
the report date and turns examiner-days of work into calendar time with
:meth:`WorkCalendar.advance`, so a job of two examiner-days started on a Friday afternoon
ends on Tuesday, not on Sunday.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, timedelta

EPS = 1e-9


class WorkCalendar:
    """Working days from ``start``: the configured weekdays (Monday = 0) minus holidays."""

    def __init__(self, start: date, weekdays: Iterable[int], holidays: Iterable[date] = ()):
        self.weekdays = frozenset(weekdays)
        if not self.weekdays:
            raise ValueError("no working weekdays")
        self.holidays = frozenset(holidays)
        self.start = start
        self._days: list[date] = []
        self._working: dict[int, bool] = {}

    def is_working_date(self, d: date) -> bool:
        return d.weekday() in self.weekdays and d not in self.holidays

    def day(self, index: int) -> date:
        """The ``index``-th working day (0 = the first on or after ``start``)."""
        d = self._days[-1] + timedelta(days=1) if self._days else self.start
        while len(self._days) <= index:
            if self.is_working_date(d):
                self._days.append(d)
            d += timedelta(days=1)
        return self._days[index]

    def working_days_between(self, earlier: date, later: date) -> int:
        """Working days in [earlier, later)."""
        n, d = 0, earlier
        while d < later:
            n += self.is_working_date(d)
            d += timedelta(days=1)
        return n

    # --- continuous time: calendar days since ``start`` -------------------------------------

    def _is_working(self, offset: int) -> bool:
        found = self._working.get(offset)
        if found is None:
            found = self._working[offset] = self.is_working_date(
                self.start + timedelta(days=offset))
        return found

    def next_working(self, t: float) -> float:
        """``t`` if it falls in a working day, else the start of the next working day."""
        day = math.floor(t + EPS)
        if self._is_working(day):
            return max(t, float(day))
        day += 1
        while not self._is_working(day):
            day += 1
        return float(day)

    def advance(self, t: float, work_days: float) -> float:
        """When ``work_days`` of one person's work begun at ``t`` is done."""
        t = self.next_working(t)
        while True:
            left_today = math.floor(t + EPS) + 1 - t
            if work_days <= left_today + EPS:
                return t + work_days
            work_days -= left_today
            t = self.next_working(math.floor(t + EPS) + 1.0)

    def working_share(self) -> float:
        """Working days per calendar day (for fluid estimates): the working weekdays' share
        of the week, less the bank holidays that fall on them in the coming year."""
        year_end = self.start + timedelta(days=365)
        lost = sum(1 for d in self.holidays
                   if self.start <= d < year_end and d.weekday() in self.weekdays)
        return len(self.weekdays) / 7.0 - lost / 365.0
