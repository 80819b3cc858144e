"""Cases and who may see them: creation, assignment and the per-case access rule, shared by
the CLI and the admin pages (each change audited).

Admins see every case; everyone else only the cases assigned to them.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from seawall.accounts.roles import Permission, allows
from seawall.accounts.users import find_user
from seawall.errors import InvalidInput, NotFound
from seawall.hashsets.scheme import UnknownScheme, named_scheme
from seawall.store import audit
from seawall.store.accounts_models import CaseAssignment, User
from seawall.store.models import Case
from seawall.store.queries import case_by_reference, find_case


class AssignmentError(InvalidInput, ValueError):
    """A case or assignment request that cannot be carried out (shown to the user)."""


def _user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def add_case(session: Session, reference: str, scheme: str = "uk", *, actor: str) -> Case:
    reference = reference.strip()
    if not reference or "/" in reference:
        raise AssignmentError("a case reference must be non-empty and contain no '/'")
    try:
        named_scheme(scheme)  # a malformed scheme file is a ConfigError, not bad input
    except UnknownScheme:
        raise AssignmentError(f"unknown grading scheme {scheme!r} (e.g. uk, us)") from None
    if find_case(session, reference):
        raise AssignmentError(f"case {reference!r} already exists")
    case = Case(reference=reference, scheme=scheme)
    session.add(case)
    session.flush()
    audit.record(session, actor, "admin.case.add", case=reference, details={"scheme": scheme})
    return case


def assign(session: Session, reference: str, username: str, *, actor: str) -> bool:
    """Assign; False if already assigned."""
    case, user = case_by_reference(session, reference), _user(session, username)
    exists = session.scalar(select(CaseAssignment).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == user.id))
    if exists:
        return False
    session.add(CaseAssignment(case_id=case.id, user_id=user.id, assigned_by=actor))
    audit.record(session, actor, "admin.case.assign", case=reference, target=username)
    return True


def unassign(session: Session, reference: str, username: str, *, actor: str) -> bool:
    """Unassign; False if the user was not assigned."""
    case, user = case_by_reference(session, reference), _user(session, username)
    row = session.scalar(select(CaseAssignment).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == user.id))
    if row is None:
        return False
    session.delete(row)
    audit.record(session, actor, "admin.case.unassign", case=reference, target=username)
    return True


def sees_every_case(user: User) -> bool:
    return allows(user.role, Permission.ADMINISTER)


def accessible_cases_query(user: User) -> Select[Case]:
    """SELECT of the cases ``user`` may see."""
    query = select(Case).order_by(Case.reference)
    if not sees_every_case(user):
        query = query.join(CaseAssignment, CaseAssignment.case_id == Case.id).where(
            CaseAssignment.user_id == user.id)
    return query


def team_user_ids(user: User) -> Select[int]:
    """SELECT of the ids of the users sharing a case with ``user`` (``user`` included): the
    team a supervisor sees exposure and logins of.  Admins are the force-wide view."""
    their_cases = select(CaseAssignment.case_id).where(CaseAssignment.user_id == user.id)
    return select(CaseAssignment.user_id).where(CaseAssignment.case_id.in_(their_cases))


def can_access_case(session: Session, user: User, case: Case) -> bool:
    if sees_every_case(user):
        return True
    return session.scalar(select(CaseAssignment.id).where(
        CaseAssignment.case_id == case.id, CaseAssignment.user_id == user.id)) is not None
