"""Diversion: a what-if by band, and a recorded casework decision that takes a case's
waiting exhibits out of the DF queue (reversibly, through audited decisions)."""

from __future__ import annotations

from sqlalchemy import select

from seawall.operations import backlog
from seawall.operations.simulation import Scenario, compare
from seawall.operations.synthetic import backlog_entries
from seawall.store.casework_models import PathwayDecision, Suspect
from seawall.store.db import session_scope
from seawall.store.models import Case
from seawall.store.operations_models import BacklogItem

from .conftest import AS_OF


def test_diverting_a_share_of_a_band(bcfg):
    entries = backlog_entries(seed=2, as_of=AS_OF)
    base, all_low = compare(entries, bcfg, AS_OF, Scenario(
        horizon_days=90, replications=5, diversion=(("low", 1.0),)))
    assert not all_low.waits["low"] and base.waits["low"]
    # Same random streams: the other bands see exactly the same arrivals.
    for band in ("very_high", "high", "medium"):
        assert (all_low.origins(bcfg.band_order)["new_arrivals"][band]["exhibits"]
                == base.origins(bcfg.band_order)["new_arrivals"][band]["exhibits"])
    _base, some = compare(entries, bcfg, AS_OF, Scenario(
        horizon_days=90, replications=5, diversion=(("low", 0.3),)))
    assert 0 < len(some.waits["low"]) < len(base.waits["low"])
    assert some.backlog[-1] < base.backlog[-1]
    assert "30% of low diverted" in some.describe()


def test_a_diversion_decision_takes_the_case_out_of_the_queue(db_url, bcfg):
    with session_scope(db_url) as s:
        case = s.scalar(select(Case).where(Case.reference == "OP-ALPHA-1"))
        s.add_all([BacklogItem(case_reference=case.reference, exhibit_reference=f"PH{i}",
                               exhibit_type="phone", received_on=AS_OF, risk_band="low")
                   for i in (1, 2)])
        suspect = Suspect(case=case, reference="S1")
        s.add(suspect)
        s.flush()
        s.add(PathwayDecision(case_id=case.id, suspect_id=suspect.id, decided=
                              "low_risk_diversion", recommendation={}, decided_by="sam"))
        ids = (case.id, suspect.id)

    def alpha():
        with session_scope(db_url) as s:
            entries = backlog.load_entries(s, bcfg)
            report = backlog.queue_report(entries, bcfg, AS_OF)
        mine = [e for e in entries if e.case_reference == "OP-ALPHA-1"]
        queued = [q for q in report["items"] if q["case_reference"] == "OP-ALPHA-1"]
        return {e.status for e in mine}, queued, report["diverted"]

    statuses, queued, diverted = alpha()
    assert statuses == {"diverted"} and not queued and diverted == 2
    with session_scope(db_url) as s:  # a later decision brings the case back
        s.add(PathwayDecision(case_id=ids[0], suspect_id=ids[1], recommendation={},
                              decided="standard_investigation", decided_by="sam"))
    statuses, queued, _diverted = alpha()
    assert statuses == {"received"} and len(queued) == 2
