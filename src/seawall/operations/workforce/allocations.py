"""Recording work allocated to a member of staff (their workload for suggestions); every
change is audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.errors import NotFound
from seawall.store import audit
from seawall.store.models import utcnow
from seawall.store.operations_models import Allocation, Staff


def allocate(session: Session, actor: str, staff_number: str, case_reference: str, task: str,
             band: str | None = None, hours: float | None = None,
             reason: str | None = None) -> Allocation:
    """Record that ``staff_number`` takes ``task`` on a case; audited.  Caller commits."""
    staff = session.scalar(select(Staff).where(Staff.staff_number == staff_number))
    if staff is None:
        raise NotFound(f"no staff member {staff_number!r}")
    row = Allocation(staff=staff, case_reference=case_reference, task=task, risk_band=band,
                     hours=hours, allocated_by=actor, reason=reason)
    session.add(row)
    audit.record(session, actor, "operations.allocate", case=case_reference,
                 target=staff_number, details={"task": task, "band": band, "hours": hours})
    session.flush()
    return row


def close_allocation(session: Session, actor: str, allocation_id: int,
                     at: datetime | None = None) -> None:
    row = session.get(Allocation, allocation_id)
    if row is None:
        raise NotFound(f"no allocation {allocation_id}")
    row.closed_at = at or utcnow()
    audit.record(session, actor, "operations.allocation.close", case=row.case_reference,
                 target=str(allocation_id))
