"""Lookups every stage shares, written once: a case by its reference, a case's final
grades."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.errors import NotFound
from seawall.store.grading_models import FinalGrade
from seawall.store.models import Case


def find_case(session: Session, reference: str) -> Case | None:
    """The case with this reference, or None (for callers that create it if missing)."""
    return session.scalar(select(Case).where(Case.reference == reference))


def case_by_reference(session: Session, reference: str) -> Case:
    """The case with this reference; :class:`NotFound` when there is none."""
    case = find_case(session, reference)
    if case is None:
        raise NotFound(f"no case {reference!r}")
    return case


def final_grades(session: Session, case_reference: str) -> dict[int, str]:
    """file id -> final local category for a case: what grading settled, as matching, counts
    and the VICS export read it."""
    return dict(session.execute(
        select(FinalGrade.file_id, FinalGrade.category).join(Case, FinalGrade.case_id == Case.id)
        .where(Case.reference == case_reference)).all())
