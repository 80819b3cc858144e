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
