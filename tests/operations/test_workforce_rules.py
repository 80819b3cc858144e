"""Workforce rules a manager relies on: an allocation is held to the same capability,
status, workload and welfare rules as a suggestion; allocations close (CLI and web);
unknown exposure is a warning, not zero; reasons name expiry dates; the gap map has a
legend and "not applicable" cells."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from seawall.errors import Conflict, InvalidInput
from seawall.operations import reports
from seawall.operations.workforce import planning
from seawall.operations.workforce.allocations import (
    AllocationRefused,
    allocate,
    close_allocation,
    open_allocations,
)
from seawall.operations.workforce.loading import Held, Person, Workload
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from seawall.store.operations_models import Allocation, Staff

from .conftest import AS_OF

GRADER = ["iioc_grader", "welfare_screening"]


def _person(number, creds, active=True):
    return Person(number, f"Person {number}", "T", "grader", True, 37.0, active=active,
                  credentials=[Held(c, None, "held", date(2025, 1, 1), None) for c in creds])


def _staff(db_url, **where):
    with session_scope(db_url) as s:
        query = select(Staff).where(Staff.active.is_(True)).order_by(Staff.staff_number)
        for key, value in where.items():
            query = query.where(getattr(Staff, key) == value)
        return s.scalars(query).first().staff_number


def _ready_grader(db_url, cfgs):
    """An active grader with no open work (so only the rule under test can refuse)."""
    _bcfg, wcfg = cfgs
    with session_scope(db_url) as s:
        out = reports.suggestions(s, wcfg, ["grading"], None, AS_OF, limit=50)
        number = out["suggestions"][0]["staff_number"]
        staff = s.scalar(select(Staff).where(Staff.staff_number == number))
        for a in staff.allocations:
            a.closed_at = a.allocated_at
    return number


def test_negative_or_zero_hours_are_refused(cfgs):
    _bcfg, wcfg = cfgs
    with pytest.raises(InvalidInput, match="hours must be more than 0"):
        planning.suggest([_person("A", GRADER)], wcfg, ["grading"], None, AS_OF,
                         hours=-50)


def test_allocate_checks_capability_status_and_limits(db_url, cfgs):
    _bcfg, wcfg = cfgs
    examiner = _staff(db_url, role="df_examiner")
    grader = _ready_grader(db_url, cfgs)
    with session_scope(db_url) as s:
        with pytest.raises(AllocationRefused, match="lacks iioc_grader"):
            allocate(s, "sam", wcfg, examiner, "OP-1", "grading", as_of=AS_OF)
        with pytest.raises(InvalidInput, match="hours must be more than 0"):
            allocate(s, "sam", wcfg, grader, "OP-1", "grading", hours=-50, as_of=AS_OF)
        with pytest.raises(InvalidInput, match="unknown task"):
            allocate(s, "sam", wcfg, grader, "OP-1", "juggling", as_of=AS_OF)
        # Up to the open-allocation limit, then refused.
        for i in range(wcfg.assignment.max_open_allocations):
            allocate(s, "sam", wcfg, grader, f"OP-{i}", "grading", hours=1.0, as_of=AS_OF)
        with pytest.raises(AllocationRefused, match="open allocations"):
            allocate(s, "sam", wcfg, grader, "OP-X", "grading", hours=1.0, as_of=AS_OF)
        # A supervisor may record it anyway, with a reason that is audited with the rule.
        row = allocate(s, "sam", wcfg, grader, "OP-X", "grading", hours=1.0, as_of=AS_OF,
                       override_reason="only grader on shift")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "operations.allocate")
                          .order_by(AuditEntry.id.desc())).first()
        assert row.id and "only grader on shift" in json.dumps(entry.details)
        assert "open allocations" in json.dumps(entry.details)
        s.scalar(select(Staff).where(Staff.staff_number == grader)).active = False
        s.flush()
        with pytest.raises(AllocationRefused, match="not active"):
            allocate(s, "sam", wcfg, grader, "OP-Y", "grading", hours=1.0, as_of=AS_OF,
                     override_reason="no")


def test_allocations_close_and_stop_counting(db_url, cfgs):
    _bcfg, wcfg = cfgs
    grader = _ready_grader(db_url, cfgs)
    with session_scope(db_url) as s:
        row = allocate(s, "sam", wcfg, grader, "OP-1", "grading", hours=30.0, as_of=AS_OF)
        allocation_id = row.id
    with session_scope(db_url) as s:
        assert any(a.id == allocation_id for a in open_allocations(s, grader))
        close_allocation(s, "sam", allocation_id)
    with session_scope(db_url) as s:
        assert not open_allocations(s, grader)
        with pytest.raises(Conflict, match="already closed"):
            close_allocation(s, "sam", allocation_id)


def test_cli_allocate_refuses_and_closes(db_url, cfgs, tmp_path):
    examiner = _staff(db_url, role="df_examiner")
    grader = _ready_grader(db_url, cfgs)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "seawall", "workforce", *args,
                               "--db", db_url], capture_output=True, text=True, timeout=120)

    day = ("--as-of", AS_OF.isoformat())
    refused = run("allocate", examiner, "OP-1", "--task", "grading", *day)
    assert refused.returncode != 0 and "lacks iioc_grader" in refused.stderr
    negative = run("allocate", grader, "OP-1", "--task", "grading", "--hours", "-50", *day)
    assert negative.returncode != 0 and "hours must be more than 0" in negative.stderr
    made = run("allocate", grader, "OP-1", "--task", "grading", "--hours", "4", *day)
    assert made.returncode == 0, made.stderr
    listed = json.loads(run("allocations", "--staff", grader, "--format", "json").stdout)
    (mine,) = [a for a in listed if a["case_reference"] == "OP-1"]
    closed = run("close", str(mine["id"]))
    assert closed.returncode == 0 and "closed" in closed.stderr
    again = run("close", str(mine["id"]))
    assert again.returncode != 0 and "already closed" in again.stderr


def test_web_closes_an_allocation(db_url, as_user):
    sam = as_user("sam")
    with session_scope(db_url) as s:
        allocation_id = s.scalars(select(Allocation.id).where(
            Allocation.closed_at.is_(None))).first()
    page = sam.get("/operations/workforce").text
    assert f"/operations/workforce/allocations/{allocation_id}/close" in page
    url = f"/operations/workforce/allocations/{allocation_id}/close"
    assert sam.client.post(url).status_code == 403  # no CSRF token
    assert as_user("alice").post(url).status_code == 403  # not a supervisor
    done = sam.post(url)
    assert done.status_code == 303
    with session_scope(db_url) as s:
        assert s.get(Allocation, allocation_id).closed_at is not None
    assert sam.post(url).status_code == 409
    assert sam.post("/operations/workforce/allocations/999999/close").status_code == 404


def test_unknown_exposure_is_a_warning_not_zero(cfgs):
    _bcfg, wcfg = cfgs
    people = [_person("A", GRADER), _person("B", GRADER)]
    # A's exposure is unknown; B has graded a little.  A must not look least exposed.
    out = planning.suggest(people, wcfg, ["grading"], None, AS_OF,
                           {"A": Workload(), "B": Workload()},
                           {"B": {"items_graded_7d": 1000, "minutes_7d": 100}})
    assert [s["staff_number"] for s in out["suggestions"]] == ["B", "A"]
    a = out["suggestions"][1]
    assert a["exposure_share"] is None and "exposure unknown" in a["warnings"][0]
    # Work without exposure has no such warning.
    plain = planning.suggest(people, wcfg, ["risk_assessment"], None, AS_OF)
    assert all(not s["warnings"] for s in plain["suggestions"])


def test_reasons_say_when_a_credential_expired(cfgs):
    _bcfg, wcfg = cfgs
    expired = AS_OF - timedelta(days=3)
    p = Person("P", "P", "T", "grader", True, 37.0, credentials=[
        Held("iioc_grader", None, "held", date(2022, 1, 1), None),
        Held("welfare_screening", None, "held", date(2025, 1, 1), expired)])
    out = planning.suggest([p], wcfg, ["grading"], None, AS_OF)
    (excluded,) = out["excluded"]
    assert excluded["reasons"] == [f"lacks welfare_screening (expired on {expired})"]


def test_gap_map_has_a_legend_and_not_applicable_cells(db_url, cfgs):
    bcfg, wcfg = cfgs
    with session_scope(db_url) as s:
        report = reports.gaps(s, bcfg, wcfg, AS_OF)
    cols = [c["label"] for c in report["gap_map"]["columns"]]
    rows = {r["team"]: dict(zip(cols, r["cells"], strict=True))
            for r in report["gap_map"]["rows"]}
    dfu = rows["Digital Forensic Unit"]
    assert not dfu["Grading"]["applicable"] and dfu["Grading"]["share"] is None
    assert dfu["DF examination"]["applicable"]
    assert not rows["POLIT North"]["DF examination"]["applicable"]
    svg = planning.gap_chart(report["gap_map"])
    assert "share of the team holding the capability" in svg  # colour legend
    assert "n/a" in svg and "100%" in svg
