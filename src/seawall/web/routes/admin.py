"""Administration (users, case assignments) and the audit log browser."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from seawall.accounts import users as accounts
from seawall.accounts.assignments import assign, team_user_ids, unassign
from seawall.accounts.roles import ROLES, Permission, Role, allows
from seawall.errors import NotFound
from seawall.store import audit
from seawall.store.accounts_models import CaseAssignment, User
from seawall.store.audit_models import AuditEntry
from seawall.store.models import Case
from seawall.web import deps
from seawall.web.templating import redirect_with_flash, render

router = APIRouter()

admin_only = deps.require(Permission.ADMINISTER)
supervisors = deps.require(Permission.SUPERVISE)
AUDIT_PAGE = 100
# Daily reveal and grading-minute limits: beyond this they are meaningless (and overflow).
MAX_DAILY_LIMIT = 100_000


@router.get("/admin/users")
def users_page(request: Request, user: User = Depends(admin_only),
               db: Session = Depends(deps.get_db)):
    users = db.scalars(select(User).order_by(User.username)).all()
    assignments = db.execute(
        select(CaseAssignment.user_id, Case.reference)
        .join(Case, Case.id == CaseAssignment.case_id).order_by(Case.reference)).all()
    by_user: dict[int, list[str]] = {}
    for user_id, reference in assignments:
        by_user.setdefault(user_id, []).append(reference)
    cases = db.scalars(select(Case.reference).order_by(Case.reference)).all()
    return render(request, "users.html", {"users": users, "roles": ROLES, "cases": cases,
                                          "assigned": by_user})


@router.post("/admin/users")
def add_user(request: Request, username: str = Form(...), role: str = Form(...),
             password: str = Form(...), user: User = Depends(admin_only),
             db: Session = Depends(deps.get_db)):
    try:
        created = accounts.create_user(db, username, password, role)
    except ValueError as exc:
        db.rollback()
        return redirect_with_flash(request, "/admin/users", str(exc))
    audit.record(db, user.username, "admin.user.add", target=created.username,
                 details={"role": role})
    db.commit()
    return redirect_with_flash(request, "/admin/users", f"User {created.username} added.")


def _optional_int(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise HTTPException(400, "Limits must be whole numbers.") from None
    if number < 0:
        raise HTTPException(400, "Limits cannot be negative.")
    if number > MAX_DAILY_LIMIT:
        raise HTTPException(400, f"Limits cannot exceed {MAX_DAILY_LIMIT}.")
    return number


@router.post("/admin/users/{username}")
def update_user(request: Request, username: str, role: str = Form(...),
                active: bool = Form(False), unlock: bool = Form(False),
                daily_reveal_limit: str = Form(""), daily_grading_minutes_limit: str = Form(""),
                user: User = Depends(admin_only), db: Session = Depends(deps.get_db)):
    target = accounts.find_user(db, username)
    if target is None:
        raise HTTPException(404, "No such user.")
    if role not in ROLES:
        raise HTTPException(400, "Unknown role.")
    if target.id == user.id and (role != Role.ADMIN or not active):
        return redirect_with_flash(request, "/admin/users",
                                   "You cannot remove your own admin role or deactivate yourself.")
    before = {"role": target.role, "active": target.active,
              "daily_reveal_limit": target.daily_reveal_limit,
              "daily_grading_minutes_limit": target.daily_grading_minutes_limit}
    target.role = role
    target.active = active
    target.daily_reveal_limit = _optional_int(daily_reveal_limit)
    target.daily_grading_minutes_limit = _optional_int(daily_grading_minutes_limit)
    after = {"role": target.role, "active": target.active,
             "daily_reveal_limit": target.daily_reveal_limit,
             "daily_grading_minutes_limit": target.daily_grading_minutes_limit}
    changes: dict[str, object] = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if unlock and accounts.unlock(db, target):
        changes["unlocked"] = True
    if changes:
        audit.record(db, user.username, "admin.user.update", target=target.username,
                     details=changes)
    db.commit()
    return redirect_with_flash(request, "/admin/users", f"User {target.username} saved.")


@router.post("/admin/assignments")
def change_assignment(request: Request, case: str = Form(...), username: str = Form(...),
                      action: str = Form("assign"), user: User = Depends(admin_only),
                      db: Session = Depends(deps.get_db)):
    try:
        if action == "unassign":
            unassign(db, case, username, actor=user.username)
            message = f"{username} unassigned from {case}."
        else:
            assign(db, case, username, actor=user.username)
            message = f"{username} assigned to {case}."
    except NotFound as exc:  # a typo in the form: say so on the same page
        db.rollback()
        return redirect_with_flash(request, "/admin/users", str(exc))
    db.commit()
    return redirect_with_flash(request, "/admin/users", message)


def _parse_when(value: str | None) -> datetime | None:
    """A filter bound as a naive UTC datetime (how audit times are stored)."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, "Dates must be YYYY-MM-DD or ISO 8601.") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def _is_bare_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@router.get("/audit")
def audit_page(request: Request, actor: str | None = None, action: str | None = None,
               case: str | None = None, since: str | None = None, until: str | None = None,
               page: deps.PageNumber = 1, verify: bool = False, user: User = Depends(supervisors),
               db: Session = Depends(deps.get_db)):
    query = select(AuditEntry)
    if not allows(user.role, Permission.ADMINISTER):
        # A supervisor sees their own cases' entries, and of entries about no case their
        # team's logins and their own actions; the force-wide log is the admin's.
        mine = select(Case.reference).join(CaseAssignment, CaseAssignment.case_id == Case.id) \
            .where(CaseAssignment.user_id == user.id)
        team = select(User.username).where(User.id.in_(team_user_ids(user)))
        logins = or_(AuditEntry.action.startswith("login."), AuditEntry.action == "logout")
        query = query.where(or_(
            AuditEntry.case_reference.in_(mine),
            and_(AuditEntry.case_reference.is_(None),
                 or_(AuditEntry.actor == user.username,
                     and_(logins, AuditEntry.actor.in_(team))))))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if case:
        query = query.where(AuditEntry.case_reference == case)
    if start := _parse_when(since):
        query = query.where(AuditEntry.at >= start)
    if until and (end := _parse_when(until)):
        # "To" a date includes that whole day; a time is taken as it is.
        query = query.where(AuditEntry.at < end + timedelta(days=1) if _is_bare_date(until)
                            else AuditEntry.at <= end)
    entries = db.scalars(query.order_by(AuditEntry.seq.desc())
                         .offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE + 1)).all()
    problems = audit.verify(db) if verify and allows(user.role, Permission.ADMINISTER) else None
    filters = {"actor": actor or "", "action": action or "", "case": case or "",
               "since": since or "", "until": until or ""}
    audit.record(db, user.username, "audit.view",
                 details={k: v for k, v in filters.items() if v} | {"verify": verify})
    db.commit()
    return render(request, "audit.html", {
        "entries": entries[:AUDIT_PAGE], "more": len(entries) > AUDIT_PAGE, "page": page,
        "filters": filters, "actions": audit.ACTIONS, "problems": problems,
        "head": audit.head_hash(db)})
