"""Request dependencies: database session, authentication + CSRF, roles, per-case access.

How routes are protected (checked for every route when the app is built, see
``seawall.web.app.check_route_protection``):

* ``Depends(current_user)`` - a live session is required (GET without one redirects to
  /login, anything else answers 401) and, for state-changing methods, the session's CSRF
  token must arrive as the ``X-CSRF-Token`` header or the ``csrf_token`` form field (403).
* ``Depends(require(Permission.SUPERVISE))`` - the above plus a role check (403); what each
  role may do is :mod:`seawall.accounts.roles`.
* ``Depends(case_access)`` - the above plus per-case authorisation for the ``{case_ref}``
  path parameter (:func:`seawall.accounts.assignments.can_access_case`): admins see every
  case, everyone else only cases assigned to them.  Any
  other case answers 403, whether or not it exists, so references cannot be probed.
* ``Depends(case_file)`` - the above plus ``{file_id}`` must be a file of that case (404).
* ``Depends(public_csrf)`` - for the few routes that need no session (the login form): a
  double-submit CSRF check against the pre-session cookie.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from seawall.accounts import assignments
from seawall.accounts.roles import Permission, allows
from seawall.errors import AccessDenied
from seawall.grading.settings import GradingSettings
from seawall.matching.verdict import VerdictLookup
from seawall.store.accounts_models import User
from seawall.store.models import Case, Exhibit, FileRecord
from seawall.store.queries import find_case
from seawall.store.web_models import WebSession
from seawall.web import auth
from seawall.web.config import WebSettings

SESSION_COOKIE = "seawall_session"
PRELOGIN_COOKIE = "seawall_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Row ids are INTEGER columns (32 bits on PostgreSQL): a larger number names no row, and
# passing it to the database would fail rather than find nothing.
MAX_ROW_ID = 2**31 - 1
# Pages of lists: far beyond any real list, small enough for any database's OFFSET.
MAX_PAGE = 1_000_000
PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]


class LoginRequired(AccessDenied):
    """No live session: GET requests are redirected to the login page, others get 401."""

    http_status = 401


def get_settings(request: Request) -> WebSettings:
    return request.app.state.settings


def get_grading_settings(request: Request) -> GradingSettings:
    return request.app.state.settings.grading


def get_db(request: Request) -> Iterator[Session]:
    """One database session per request.  Routes commit explicitly (before any media leaves,
    so the audit entry is durable first); anything uncommitted is rolled back."""
    session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        # close() rolls back without expiring what was loaded: exception handlers run after
        # this, and an error page still shows the logged-in user and their CSRF token
        # (an explicit rollback() here made every error page a DetachedInstanceError 500).
        session.close()


def session_auth(request: Request, db: Session = Depends(get_db),
                 settings: WebSettings = Depends(get_settings)) -> WebSession:
    """The request's live session, or LoginRequired."""
    row = auth.load_session(db, settings, request.cookies.get(SESSION_COOKIE))
    if row is None:
        raise LoginRequired()
    request.state.web_session = row
    request.state.user = row.user
    return row


async def _submitted_csrf(request: Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # cached by Starlette; the route reads the same form
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def current_user(request: Request,
                       web_session: WebSession = Depends(session_auth)) -> User:
    """The logged-in user; for state-changing requests the CSRF token is checked too."""
    if request.method not in SAFE_METHODS:
        if not auth.tokens_equal(await _submitted_csrf(request), web_session.csrf_token):
            raise HTTPException(403, "Missing or invalid CSRF token.")
    return web_session.user


async def public_csrf(request: Request) -> None:
    """CSRF check for routes without a session (the login form).

    A browser's form echoes the pre-session cookie (double submit).  A client that is no
    browser (a script posting ``username`` and ``password``) has neither cookie nor field
    and sends neither Origin nor Referer; that alone is accepted.  Browsers send an Origin
    with every POST (``null`` under a no-referrer policy), so a cross-site form post always
    needs the token it cannot read, and login CSRF stays closed."""
    if request.method in SAFE_METHODS:
        return
    submitted = await _submitted_csrf(request)
    cookie = request.cookies.get(PRELOGIN_COOKIE)
    headers = request.headers
    if (submitted is None and cookie is None and "origin" not in headers
            and "referer" not in headers):
        return
    if not auth.tokens_equal(submitted, cookie):
        raise HTTPException(403, "Missing or invalid CSRF token. Reload the page and retry.")


def require(permission: Permission):
    """Dependency factory: the user's role must allow ``permission``."""

    def dependency(user: User = Depends(current_user)) -> User:
        if not allows(user.role, permission):
            raise HTTPException(403, "Your role does not allow this.")
        return user

    dependency.__name__ = f"require_{permission.value}"
    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


@dataclass
class CaseAccess:
    """An authorised (user, case) pair, with the request's database session and the app's
    matching verdicts (what grading and casework treat as known)."""

    user: User
    case: Case
    db: Session
    verdicts: VerdictLookup

    @property
    def may_see_media(self) -> bool:
        return allows(self.user.role, Permission.SEE_MEDIA)


def case_access(request: Request, case_ref: str, user: User = Depends(current_user),
                db: Session = Depends(get_db)) -> CaseAccess:
    """The single per-case authorisation check; every route under /cases/{case_ref} uses it."""
    case = find_case(db, case_ref)
    if case is None:
        if assignments.sees_every_case(user):
            raise HTTPException(404, "No such case.")
        raise HTTPException(403, "You are not assigned to this case.")
    if not assignments.can_access_case(db, user, case):
        raise HTTPException(403, "You are not assigned to this case.")
    return CaseAccess(user=user, case=case, db=db, verdicts=request.app.state.verdicts)


def case_file(file_id: int, access: CaseAccess = Depends(case_access)) -> FileRecord:
    """A file of the authorised case; ids of other cases' files answer 404."""
    if not 0 < file_id <= MAX_ROW_ID:
        raise HTTPException(404, "No such file in this case.")
    record = access.db.scalar(
        select(FileRecord).join(Exhibit, FileRecord.exhibit_id == Exhibit.id)
        .where(FileRecord.id == file_id, Exhibit.case_id == access.case.id))
    if record is None:
        raise HTTPException(404, "No such file in this case.")
    return record


def media_access(access: CaseAccess = Depends(case_access)) -> CaseAccess:
    """Case access for a role that may see media."""
    if not access.may_see_media:
        raise HTTPException(403, "Your role does not allow viewing media.")
    return access


def client_ip(request: Request) -> str:
    # Behind a reverse proxy run uvicorn with --proxy-headers so this is the real client.
    return request.client.host if request.client else "-"
