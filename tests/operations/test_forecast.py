"""Forecast on a small, hand-computable backlog; effort learning; clearance date."""

from __future__ import annotations

from datetime import date, timedelta

from seawall.operations.calendar import WorkCalendar
from seawall.operations.forecast import forecast, learn_effort
from seawall.operations.model import Entry

from .conftest import AS_OF


def waiting(ref, band, days_ago, hours, kind="phone"):
    return Entry(ref, "EX1", kind, AS_OF - timedelta(days=days_ago), status="triaged",
                 band=band, estimated_hours=hours)


def test_hand_computed_schedule(bcfg):
    # Two examiners, 6 productive hours a day, every day a working day, no history.
    bcfg.examiners, bcfg.hours_per_day = 2, 6.0
    bcfg.working_weekdays = (0, 1, 2, 3, 4, 5, 6)
    items = [
        waiting("VH", "very_high", 0, 8.0),   # always first
        waiting("LOW", "low", 40, 6.0),       # score 0 + 40 + 2 x 10 = 60
        waiting("HIGH", "high", 2, 12.0),     # score 60 + 2 = 62
    ]
    fc = forecast(items, bcfg, AS_OF)
    got = {i.entry.case_reference: i for i in fc.items}
    day = lambda n: AS_OF + timedelta(days=n)  # noqa: E731
    # Examiner 1: VH hours 0-8 -> days 0..1.  Examiner 2: HIGH hours 0-12 -> days 0..1.
    # Examiner 1 is free first (hour 8 = day 1): LOW hours 8-14 -> days 1..2.
    assert [i.entry.case_reference for i in fc.items] == ["VH", "HIGH", "LOW"]
    assert (got["VH"].start, got["VH"].finish) == (day(0), day(1))
    assert (got["HIGH"].start, got["HIGH"].finish) == (day(0), day(1))
    assert (got["LOW"].start, got["LOW"].finish) == (day(1), day(2))
    # Deadlines (to the start): VH due day 1, HIGH due day 5, LOW was due 10 days ago.
    assert [got[k].breach for k in ("VH", "HIGH", "LOW")] == [False, False, True]
    assert fc.backlog_done_date == day(2)
    assert fc.open_hours == 26.0
    # No arrivals in the history window: clearance = 26 h / (2 x 6 h per day) -> 3 days.
    assert fc.clearance_date == day(3)


def test_weekends_and_in_examination(bcfg):
    bcfg.examiners, bcfg.hours_per_day = 1, 5.0
    bcfg.working_weekdays = (0, 1, 2, 3, 4)
    friday = date(2026, 3, 6)
    started = Entry("RUN", "EX1", "phone", friday - timedelta(days=10), status="in_examination",
                    band="medium", estimated_hours=12.0, started=friday - timedelta(days=1))
    queued = Entry("Q", "EX1", "storage", friday - timedelta(days=1), status="received",
                   band="high", estimated_hours=5.0)
    fc = forecast([started, queued], bcfg, friday)
    got = {i.entry.case_reference: i for i in fc.items}
    # RUN: 12 h - 5 h done on Thursday = 7 h left: Friday 5 h + Monday 2 h.
    assert got["RUN"].hours == 7.0 and got["RUN"].finish == date(2026, 3, 9)
    # Q: Monday hours 2-5 then Tuesday 0-2 -> starts Monday, finishes Tuesday.
    assert (got["Q"].start, got["Q"].finish) == (date(2026, 3, 9), date(2026, 3, 10))
    assert got["Q"].breach is False  # due Thursday 12th (7 days from receipt)


def test_effort_learned_from_history(bcfg):
    bcfg.min_history = 3
    done = [Entry(f"D{i}", "EX1", "computer", AS_OF - timedelta(days=60), status="reported",
                  band="low", estimated_hours=10.0, started=AS_OF - timedelta(days=30),
                  reported=AS_OF - timedelta(days=20), actual_hours=h)
            for i, h in enumerate([12.0, 15.0, 18.0])]
    few = done[:1] + [Entry("P", "EX1", "phone", AS_OF - timedelta(days=60), status="reported",
                            band="low", reported=AS_OF - timedelta(days=5), actual_hours=3.0)]
    model = learn_effort(done + few[1:], bcfg, AS_OF)
    computer = model.types["computer"]
    assert computer.source == "history" and computer.hours == 15.0
    assert computer.calibration == 1.5  # 45 actual / 30 estimated
    assert model.types["phone"].source == "default"  # one completed phone is not enough
    new = Entry("N", "EX1", "computer", AS_OF, estimated_hours=8.0)
    assert model.hours(new) == 12.0
    assert model.hours(Entry("N2", "EX1", "computer", AS_OF)) == 15.0


def test_growing_backlog_has_no_clearance_date(bcfg):
    bcfg.examiners, bcfg.hours_per_day = 1, 1.0
    history = [Entry(f"H{i}", "EX1", "phone", AS_OF - timedelta(days=i + 1), band="low",
                     status="triaged") for i in range(30)]
    fc = forecast(history, bcfg, AS_OF)
    assert fc.clearance_date is None and fc.growth_hours_per_week > 0


def test_no_examiners_means_no_dates(bcfg):
    bcfg.examiners = 0
    fc = forecast([waiting("A", "low", 1, 5.0)], bcfg, AS_OF)
    assert fc.items[0].start is None and fc.items[0].breach and fc.backlog_done_date is None


def test_calendar_skips_weekends():
    cal = WorkCalendar(date(2026, 3, 6), range(5))  # a Friday
    assert [cal.day(i) for i in range(3)] == [date(2026, 3, 6), date(2026, 3, 9),
                                              date(2026, 3, 10)]
