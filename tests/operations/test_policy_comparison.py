"""Policies side by side on the same random streams, and the safeguarding share learned per
band."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

from seawall.operations import backlog, policy
from seawall.operations.forecast import arrivals, learn_effort
from seawall.operations.model import Entry
from seawall.operations.simulation import Scenario, compare_policies
from seawall.operations.synthetic import backlog_entries

from .conftest import AS_OF


def test_policies_share_streams_and_differ_where_they_should(bcfg):
    entries = backlog_entries(seed=2, as_of=AS_OF)
    results = compare_policies(entries, bcfg, AS_OF, Scenario(horizon_days=120,
                                                              replications=8, seed=4))
    assert list(results) == ["default", "strict_priority", "safeguarding_first", "fifo"]
    origins = {name: r.origins(bcfg.band_order) for name, r in results.items()}
    # The same arrivals in every policy: only the order of work differs.
    for band in bcfg.band_order:
        counts = {o["new_arrivals"][band]["exhibits"] for o in origins.values()}
        assert len(counts) == 1, band
    late = {name: {b: o["new_arrivals"][b]["late_share"] for b in bcfg.band_order}
            for name, o in origins.items()}
    # Strict priority serves new high-risk work first; FIFO makes very-high work wait.
    assert late["strict_priority"]["high"] < late["default"]["high"]
    assert late["fifo"]["very_high"] > late["default"]["very_high"]
    report = backlog.PolicyComparison(results)
    data = report.as_dict(bcfg)
    assert set(data["fifo"]) >= {"description", "backlog_end_range", "new_arrivals"}
    assert "same random streams" in report.chart(bcfg)


def test_safeguarding_first_puts_flagged_work_before_old_low_risk(bcfg):
    def waiting(ref, band, days, flagged=False):
        return Entry(ref, "EX1", "phone", AS_OF - timedelta(days=days), band=band,
                     safeguarding=flagged)

    old_low = [waiting(f"L{i}", "low", 300 + i) for i in range(3)]
    flagged_high = waiting("H", "high", 0, flagged=True)
    default = [e.case_reference for e in policy.order([*old_low, flagged_high], AS_OF, bcfg)]
    assert default[-1] == "H"  # the configured policy: a year-old low case outranks it
    first = policy.POLICIES["safeguarding_first"][1](bcfg)
    ordered = policy.order([*old_low, flagged_high], AS_OF, first)
    assert ordered[0].case_reference == "H"
    assert policy.explain(flagged_high, AS_OF, first).startswith("safeguarding first")


def test_safeguarding_share_is_learned_per_band(bcfg):
    history = [Entry(f"H{i}", "EX1", "phone", AS_OF - timedelta(days=1 + i % 170),
                     status="reported", band="high" if i % 2 else "low",
                     safeguarding=bool(i % 2) and i % 3 == 0,
                     started=AS_OF - timedelta(days=1), reported=AS_OF - timedelta(days=1),
                     actual_hours=8.0) for i in range(300)]
    arr = arrivals(history, bcfg, AS_OF, learn_effort(history, bcfg, AS_OF))
    assert arr.safeguarding_by_band["low"] == 0.0
    assert abs(arr.safeguarding_by_band["high"] - 1 / 3) < 0.01
    assert abs(arr.safeguarding_share - 1 / 6) < 0.01  # the old, band-blind figure


def test_cli_and_web_compare(db_url, as_user):
    out = subprocess.run([sys.executable, "-m", "seawall", "backlog", "compare", "--db",
                          db_url, "--as-of", AS_OF.isoformat(), "--days", "30",
                          "--replications", "3", "--format", "json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == list(policy.POLICIES)
    assert data["default"]["replications"] == 3
    sam = as_user("sam")
    page = sam.get("/operations/backlog/policies", params={"days": "30",
                                                            "as_of": AS_OF.isoformat()})
    assert page.status_code == 200 and "strict priority" in page.text
    assert "data:image/svg+xml;base64," in page.text
    assert as_user("alice").get("/operations/backlog/policies").status_code == 403
    api = sam.get("/api/operations/backlog/policies", params={"days": "30"}).json()
    assert list(api) == list(policy.POLICIES)
