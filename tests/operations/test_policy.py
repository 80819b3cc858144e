"""Priority policy: band order, ageing, the starvation bound, always-first bands."""

from __future__ import annotations

from datetime import timedelta

from seawall.operations import policy
from seawall.operations.forecast import forecast
from seawall.operations.model import Entry
from seawall.operations.simulation import Scenario, simulate

from .conftest import AS_OF


def entry(ref, band, days_ago, kind="phone", hours=8.0, safeguarding=False, status="triaged"):
    return Entry(ref, "EX1", kind, AS_OF - timedelta(days=days_ago), status=status, band=band,
                 safeguarding=safeguarding, estimated_hours=hours)


def test_riskier_first_when_equally_old(bcfg):
    items = [entry(b, b, 2) for b in ("low", "medium", "high", "very_high")]
    assert [e.band for e in policy.order(items, AS_OF, bcfg)] == [
        "very_high", "high", "medium", "low"]


def test_score_explained(bcfg):
    e = entry("C1", "low", 40)
    # 0 + 40 x 1 + (40 - 30) x 2 = 60
    assert policy.score(e, AS_OF, bcfg) == 60
    assert policy.explain(e, AS_OF, bcfg) == (
        "Low band 0 + waiting 40 d x 1 + overdue 10 d x 2 = 60")


def test_ageing_bound_is_where_low_overtakes_new_work(bcfg):
    bound = bcfg.starvation_bound_days()  # 30 + (60 + 40 - 30) / 3 = 53.3
    assert round(bound, 1) == 53.3
    fresh = entry("NEW", "high", 0, safeguarding=True)
    before = entry("OLD", "low", int(bound))      # 53 days: still behind
    after = entry("OLD", "low", int(bound) + 1)   # 54 days: ahead
    assert policy.order([fresh, before], AS_OF, bcfg)[0].case_reference == "NEW"
    assert policy.order([fresh, after], AS_OF, bcfg)[0].case_reference == "OLD"


def test_very_high_is_always_first(bcfg):
    old_low = entry("OLD", "low", 400)
    new_vh = entry("VH", "very_high", 0)
    assert policy.order([old_low, new_vh], AS_OF, bcfg)[0].case_reference == "VH"
    assert policy.explain(new_vh, AS_OF, bcfg).startswith("always first")


def test_without_ageing_low_risk_starves(bcfg):
    """Control for the next test: with ageing off, a stream of high-risk work that fills
    capacity keeps a low-risk exhibit waiting for the whole horizon."""
    bcfg.ageing_per_day = bcfg.overdue_per_day = 0.0
    result = _flooded(bcfg)
    assert result.waits["low"] == []  # never started


def test_ageing_prevents_starvation_under_flood(bcfg):
    result = _flooded(bcfg)
    assert len(result.waits["low"]) == 1
    # High-risk work waiting in the queue ages too, so the low-risk exhibit needs a little
    # longer than the bound against brand-new work; but it does start, well within the flood.
    # (Arrivals here are not safeguarding-flagged: overtaking them takes 30 + 30 / 3 = 40 d.)
    assert 40 <= result.waits["low"][0] <= 80


def _flooded(bcfg):
    """One examiner, five high-risk and one low-risk exhibit waiting, and high-risk arrivals
    at ~110% of capacity (history: 198 phone exhibits of 8 h over 180 days)."""
    bcfg.examiners, bcfg.hours_per_day = 1, 8.0
    bcfg.working_weekdays = (0, 1, 2, 3, 4, 5, 6)
    bcfg.simulation = {**bcfg.simulation, "service_cv": 0.0}
    history = [Entry(f"H{i}", "EX1", "phone", AS_OF - timedelta(days=1 + i % 180),
                     status="reported", band="high", estimated_hours=8.0,
                     started=AS_OF - timedelta(days=1), reported=AS_OF - timedelta(days=1),
                     actual_hours=8.0) for i in range(198)]
    queued = [entry(f"Q{i}", "high", 0, hours=8.0) for i in range(5)]
    low = entry("LOW", "low", 0, hours=8.0)
    return simulate(history + queued + [low], bcfg, AS_OF,
                    Scenario(horizon_days=120, replications=1, seed=3))


def test_forecast_applies_ageing_as_time_passes(bcfg):
    """Order is decided when an examiner comes free, not today: a medium exhibit that is
    behind a high one today overtakes it once its overdue days count."""
    bcfg.examiners, bcfg.hours_per_day = 1, 6.0
    bcfg.working_weekdays = (0, 1, 2, 3, 4, 5, 6)
    blocker = Entry("A", "EX1", "phone", AS_OF, status="in_examination", band="high",
                    estimated_hours=60.0, started=AS_OF)  # occupies the examiner 10 days
    medium = entry("M", "medium", 19, hours=6.0)  # today 30 + 19 + 2 x 5 = 59
    high = entry("H", "high", 0, hours=6.0)       # today 60
    assert [e.case_reference for e in policy.order([medium, high], AS_OF, bcfg)] == ["H", "M"]
    # Day 10: M = 30 + 29 + 2 x 15 = 89, H = 60 + 10 + 2 x 3 = 76.
    fc = forecast([blocker, medium, high], bcfg, AS_OF)
    assert [i.entry.case_reference for i in fc.items] == ["A", "M", "H"]
    got = {i.entry.case_reference: i for i in fc.items}
    assert got["M"].start == AS_OF + timedelta(days=10)
    assert got["H"].start == AS_OF + timedelta(days=11)
    assert got["M"].rank == 2 and got["H"].rank == 1  # today's queue positions
