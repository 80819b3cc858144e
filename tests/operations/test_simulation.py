"""What-if simulation: reproducible with a seed, sensible in direction; charts stable."""

from __future__ import annotations

from seawall.operations import backlog, charts
from seawall.operations.simulation import Scenario, compare, simulate
from seawall.operations.synthetic import backlog_entries

from .conftest import AS_OF


def test_same_seed_same_result(bcfg):
    entries = backlog_entries(seed=4, as_of=AS_OF, days=200)
    scenario = Scenario(horizon_days=90, replications=2, seed=11, automated_share=0.2)
    one = simulate(entries, bcfg, AS_OF, scenario)
    two = simulate(entries, bcfg, AS_OF, scenario)
    assert one.summary() == two.summary()
    assert one.backlog == two.backlog and one.waits == two.waits
    other = simulate(entries, bcfg, AS_OF, Scenario(horizon_days=90, replications=2, seed=12,
                                                    automated_share=0.2))
    assert other.waits != one.waits


def test_more_capacity_and_automation_help(bcfg):
    entries = backlog_entries(seed=2, as_of=AS_OF)
    base, more = compare(entries, bcfg, AS_OF, Scenario(examiners=bcfg.examiners + 3,
                                                        horizon_days=120, replications=2))
    assert more.backlog[-1] < base.backlog[-1]
    assert sum(more.breaches.values()) < sum(base.breaches.values())
    _b, auto = compare(entries, bcfg, AS_OF, Scenario(automated_share=0.8, horizon_days=120,
                                                      replications=2))
    assert auto.backlog[-1] < base.backlog[-1]
    _b, flood = compare(entries, bcfg, AS_OF, Scenario(arrival_multiplier=1.5,
                                                       horizon_days=120, replications=2))
    assert flood.backlog[-1] > base.backlog[-1]
    # Very high work always goes first, so it waits least.
    med = lambda res, band: sorted(res.waits[band])[len(res.waits[band]) // 2]  # noqa: E731
    assert med(base, "very_high") < med(base, "low")


def test_charts_are_deterministic_svg(bcfg):
    entries = backlog_entries(seed=3, as_of=AS_OF, days=200)
    scenario = Scenario(examiners=8, horizon_days=60, replications=1, seed=5)
    first = backlog.simulation_report(entries, bcfg, AS_OF, scenario).charts(bcfg)
    second = backlog.simulation_report(entries, bcfg, AS_OF, scenario).charts(bcfg)
    assert set(first) == {"backlog", "waiting", "breaches"}
    for name, svg in first.items():
        assert svg.startswith("<?xml") and "<svg" in svg and "<script" not in svg
        assert svg == second[name], name
    assert charts.data_uri(first["backlog"]).startswith("data:image/svg+xml;base64,")


def test_default_runs_and_spread_across_them(bcfg):
    """At least 30 runs by default; every figure carries its 10th-90th percentile across
    runs, and the clearance of today's backlog is a range of dates."""
    entries = backlog_entries(seed=2, as_of=AS_OF)
    result = simulate(entries, bcfg, AS_OF, Scenario(horizon_days=120))
    assert result.replications >= 30 and len(result.runs) == result.replications
    summary = result.summary()
    assert summary["percentiles"] == [10, 90]
    for key in ("backlog_end", "backlog_peak", "started", "still_waiting"):
        low, high = summary["ranges"][key]
        assert low <= summary[key] <= high, key
    assert summary["ranges"]["backlog_end"][0] < summary["ranges"]["backlog_end"][1]
    for band, row in summary["bands"].items():
        low, high = row["breaches_range"]
        assert low <= row["breaches"] <= high, band
    cleared = summary["initial_backlog_cleared"]
    assert cleared["runs"] == result.replications
    if cleared["p90_day"] is not None:
        assert cleared["p10_day"] <= cleared["median_day"] <= cleared["p90_day"]
        assert cleared["p10_date"] <= cleared["median_date"] <= cleared["p90_date"]
    # The per-day band lies around the mean line.
    low, high = result.backlog_percentile(10), result.backlog_percentile(90)
    assert all(lo <= m + 1e-9 and m <= hi + 1e-9
               for lo, m, hi in zip(low, result.backlog, high, strict=True))


def test_replications_are_honoured(bcfg):
    entries = backlog_entries(seed=2, as_of=AS_OF, days=120)
    result = simulate(entries, bcfg, AS_OF, Scenario(horizon_days=30, replications=7))
    assert result.replications == 7 and len(result.runs) == 7
    assert result.summary()["replications"] == 7


def test_new_arrivals_are_reported_apart_from_todays_backlog(bcfg):
    entries = backlog_entries(seed=2, as_of=AS_OF)
    result = simulate(entries, bcfg, AS_OF, Scenario(horizon_days=120, replications=10))
    summary = result.summary()
    origins = summary["by_origin"]
    assert set(origins) == {"backlog", "new_arrivals"}
    waiting_today = sum(1 for e in entries if e.waiting)
    assert sum(r["exhibits"] for r in origins["backlog"].values()) == waiting_today
    assert sum(r["exhibits"] for r in origins["new_arrivals"].values()) > 0
    for band in bcfg.band_order:
        split = origins["backlog"][band]["breaches"] + origins["new_arrivals"][band]["breaches"]
        assert abs(split - summary["bands"][band]["breaches"]) <= 0.11, band


def test_charts_state_scenario_runs_and_uncertainty(bcfg):
    entries = backlog_entries(seed=3, as_of=AS_OF, days=200)
    scenario = Scenario(examiners=8, horizon_days=60, replications=12, seed=5)
    svgs = backlog.simulation_report(entries, bcfg, AS_OF, scenario).charts(bcfg)
    for name, svg in svgs.items():
        assert "12 run(s)" in svg and "8 examiner(s)" in svg, name
        assert "10th–90th percentile" in svg, name
