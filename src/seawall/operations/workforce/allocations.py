"""Recording work allocated to a member of staff (their workload for suggestions) and
closing it when done; every change is audited.

An allocation is held to the same rules as a suggestion (:func:`planning.assess`): the
person must be active and hold the credentials the work needs at its band, within the
open-allocation, load and welfare limits.  A supervisor may record an allocation that
breaks a limit or capability rule only with a reason, which is audited with the rules it
breaks; an inactive person or hours outside (0, 1000] are always refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.errors import Conflict, NotFound
from seawall.operations.workforce.config import WorkforceConfig
from seawall.operations.workforce.loading import load_exposure, load_people, load_workload
from seawall.operations.workforce.planning import assess, work
from seawall.store import audit
from seawall.store.models import utcnow
from seawall.store.operations_models import Allocation, Staff


class AllocationRefused(Conflict):
    """The person may not take this work under the assignment rules."""

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message)
        self.reasons = reasons


def allocate(session: Session, actor: str, cfg: WorkforceConfig, staff_number: str,
             case_reference: str, task: str, band: str | None = None,
             hours: float | None = None, reason: str | None = None,
             as_of: date | None = None, override_reason: str | None = None) -> Allocation:
    """Record that ``staff_number`` takes ``task`` on a case; audited.  Caller commits."""
    job = work(cfg, [task], band, hours)
    as_of = as_of or utcnow().date()
    found = load_people(session, cfg, active_only=False, staff_number=staff_number)
    if not found:
        raise NotFound(f"no staff member {staff_number!r}")
    person = found[0]
    exposure = load_exposure(session, found, as_of).get(staff_number)
    verdict = assess(person, cfg, job, as_of, load_workload(session, cfg).get(staff_number),
                     exposure)
    override = (override_reason or "").strip()
    if verdict.reasons and (not person.active or not override):
        raise AllocationRefused(
            f"{staff_number} may not take {task}"
            + (f" at {band.replace('_', ' ')} band" if band else "") + ": "
            + "; ".join(verdict.reasons)
            + ("" if not person.active else
               " (a supervisor may record it anyway with an override reason)"),
            verdict.reasons)
    staff = session.scalar(select(Staff).where(Staff.staff_number == staff_number))
    row = Allocation(staff=staff, case_reference=case_reference, task=task, risk_band=band,
                     hours=hours, allocated_by=actor, reason=reason)
    session.add(row)
    details: dict = {"task": task, "band": band, "hours": hours}
    if verdict.reasons:
        details.update(override_reason=override, rules_broken=verdict.reasons)
    if verdict.warnings:
        details["warnings"] = verdict.warnings
    audit.record(session, actor, "operations.allocate", case=case_reference,
                 target=staff_number, details=details)
    session.flush()
    return row


@dataclass(frozen=True)
class OpenAllocation:
    id: int
    staff_number: str
    name: str
    case_reference: str
    task: str
    band: str | None
    hours: float | None
    allocated_at: datetime
    allocated_by: str | None

    def as_dict(self) -> dict:
        return {**vars(self), "allocated_at": self.allocated_at.isoformat(timespec="seconds")}


def open_allocations(session: Session, staff_number: str | None = None
                     ) -> list[OpenAllocation]:
    query = (select(Allocation, Staff).join(Staff, Allocation.staff_id == Staff.id)
             .where(Allocation.closed_at.is_(None)))
    if staff_number is not None:
        query = query.where(Staff.staff_number == staff_number)
    rows = session.execute(query.order_by(Staff.staff_number, Allocation.id)).all()
    return [OpenAllocation(a.id, s.staff_number, s.name, a.case_reference, a.task,
                           a.risk_band, a.hours, a.allocated_at, a.allocated_by)
            for a, s in rows]


def close_allocation(session: Session, actor: str, allocation_id: int,
                     at: datetime | None = None) -> Allocation:
    """Mark an allocation done, so it no longer counts towards the person's workload;
    audited.  Caller commits."""
    row = session.get(Allocation, allocation_id)
    if row is None:
        raise NotFound(f"no allocation {allocation_id}")
    if row.closed_at is not None:
        raise Conflict(f"allocation {allocation_id} was already closed on "
                       f"{row.closed_at:%Y-%m-%d}")
    row.closed_at = at or utcnow()
    audit.record(session, actor, "operations.allocation.close", case=row.case_reference,
                 target=str(allocation_id), details={"staff": row.staff.staff_number,
                                                     "task": row.task})
    return row

