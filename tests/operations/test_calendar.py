"""One working calendar (working weekdays and bank holidays) for the forecast and the
simulation: on the same deterministic backlog both start each exhibit on the same day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from seawall.errors import ConfigError
from seawall.operations.calendar import WorkCalendar
from seawall.operations.config import backlog_config
from seawall.operations.forecast import forecast
from seawall.operations.model import Entry
from seawall.operations.simulation import Scenario, simulate

from .conftest import AS_OF  # a Monday

HOLIDAY = AS_OF + timedelta(days=4)  # the Friday


def test_forecast_and_simulation_share_the_calendar(bcfg):
    bcfg.examiners, bcfg.hours_per_day = 1, 8.0
    bcfg.working_weekdays = (0, 1, 2, 3, 4)
    bcfg.bank_holidays = (HOLIDAY,)
    bcfg.simulation = {**bcfg.simulation, "service_cv": 0.0}
    # Received long ago (outside the arrival window: no new arrivals), one examiner-day each.
    received = AS_OF - timedelta(days=200)
    entries = [Entry(f"C{i}", "EX1", "phone", received, band="low", estimated_hours=8.0)
               for i in range(6)]
    fc = forecast(entries, bcfg, AS_OF)
    starts = sorted((i.start - received).days for i in fc.items)
    # Mon, Tue, Wed, Thu, (Friday's bank holiday, the weekend), Mon, Tue.
    assert starts == [200, 201, 202, 203, 207, 208]
    sim = simulate(entries, bcfg, AS_OF, Scenario(horizon_days=20, replications=1, seed=1))
    assert sorted(round(w, 6) for w in sim.waits["low"]) == starts


def test_calendar_turns_examiner_days_into_calendar_time():
    cal = WorkCalendar(AS_OF, range(5), [HOLIDAY])
    assert cal.advance(0.0, 1.0) == 1.0                # Monday's work ends Monday night
    assert cal.advance(3.5, 1.0) == 7.5                # Thu noon + 1 day: Mon noon
    assert cal.next_working(5.2) == 7.0                # Saturday -> Monday
    assert cal.day(4) == AS_OF + timedelta(days=7)
    assert cal.working_share() == pytest.approx(5 / 7 - 1 / 365)


def test_bank_holidays_are_configured(tmp_path):
    path = tmp_path / "force.toml"
    path.write_text("[capacity]\nbank_holidays = [2026-12-25, \"2026-12-28\"]\n",
                    encoding="utf-8")
    assert backlog_config(path).bank_holidays == (date(2026, 12, 25), date(2026, 12, 28))
    path.write_text("[capacity]\nbank_holidays = [\n  \"2026-13-01\",\n]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"force.toml:\d+: capacity.bank_holidays\[0\]"):
        backlog_config(path)
