"""Case creation and assignment, shared by the CLI and the admin pages (each audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.errors import InvalidInput
from seawall.grading.schemes import known_scheme
from seawall.store import audit
from seawall.store.models import Case
from seawall.store.web_models import CaseAssignment, User


class AssignmentError(InvalidInput, ValueError):
    """A case or assignment request that cannot be carried out (shown to the user)."""


def _case(session: Session, reference: str) -> Case:
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        raise AssignmentError(f"no case {reference!r} (create it with `seawall case add`)")
    return case


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AssignmentError(f"no user {username!r}")
    return user


def add_case(session: Session, reference: str, scheme: str = "uk", *, actor: str) -> Case:
    reference = reference.strip()
    if not reference or "/" in reference:
        raise AssignmentError("a case reference must be non-empty and contain no '/'")
    if not known_scheme(scheme):
        raise AssignmentError(f"unknown grading scheme {scheme!r} (e.g. uk, us)")
    if session.scalar(select(Case).where(Case.reference == reference)):
        raise AssignmentError(f"case {reference!r} already exists")
    case = Case(reference=reference, scheme=scheme)
    session.add(case)
    session.flush()
    audit.record(session, actor, "admin.case.add", case=reference, details={"scheme": scheme})
    return case


def assign(session: Session, reference: str, username: str, *, actor: str) -> bool:
    """Assign; False if already assigned."""
    case, user = _case(session, reference), _user(session, username)
    exists = session.scalar(select(CaseAssignment).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == user.id))
    if exists:
        return False
    session.add(CaseAssignment(case_id=case.id, user_id=user.id, assigned_by=actor))
    audit.record(session, actor, "admin.case.assign", case=reference, target=username)
    return True


def unassign(session: Session, reference: str, username: str, *, actor: str) -> bool:
    """Unassign; False if the user was not assigned."""
    case, user = _case(session, reference), _user(session, username)
    row = session.scalar(select(CaseAssignment).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == user.id))
    if row is None:
        return False
    session.delete(row)
    audit.record(session, actor, "admin.case.unassign", case=reference, target=username)
    return True
