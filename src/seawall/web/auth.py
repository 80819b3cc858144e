"""Login (with lockout and rate limiting) and server-side sessions.  Users and passwords
themselves are :mod:`seawall.accounts.users`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from seawall.accounts.users import check_password, find_user, refresh_hash
from seawall.store import audit
from seawall.store.accounts_models import User
from seawall.store.models import utcnow
from seawall.store.web_models import LoginAttempt, WebSession
from seawall.web.config import WebSettings


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None
    status: int = 200


def attempt_login(session: Session, settings: WebSettings, username: str, password: str,
                  ip: str) -> LoginResult:
    """Check credentials, applying the per-address rate limit and per-account lockout, and
    audit the outcome.  The caller commits."""
    now = utcnow()
    username = username.strip()[:100]
    generic = "Unknown user name or wrong password."
    since = now - settings.ip_failure_window
    failures = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.ip == ip, LoginAttempt.at >= since, LoginAttempt.success.is_(False)))
    if failures >= settings.ip_failure_limit:
        audit.record(session, username or "-", "login.rate_limited", details={"ip": ip})
        return LoginResult(None, "Too many failed attempts. Try again later.", 429)

    user = find_user(session, username)
    if user is not None and user.locked_until is not None and user.locked_until <= now:
        # The lock has run out: start counting afresh.
        user.locked_until = None
        user.failed_logins = 0
    if user is not None and user.locked_until is not None:
        # Still verify, so a locked account answers as slowly as any other.
        check_password(user, password)
        session.add(LoginAttempt(at=now, username=username, ip=ip, success=False))
        audit.record(session, username, "login.locked", details={"ip": ip})
        return LoginResult(None, "This account is locked after repeated failed logins. "
                           "Try again later or ask an administrator.", 423)

    ok = check_password(user, password) and user is not None and user.active
    session.add(LoginAttempt(at=now, username=username, ip=ip, success=ok))
    if not ok:
        details = {"ip": ip}
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.lockout_threshold:
                user.locked_until = now + settings.lockout_period
                details["locked_until"] = user.locked_until.isoformat()
        audit.record(session, username or "-", "login.failure", details=details)
        return LoginResult(None, generic, 401)

    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    refresh_hash(user, password)
    audit.record(session, user.username, "login.success", details={"ip": ip})
    return LoginResult(user)


def start_session(session: Session, settings: WebSettings, user: User, ip: str | None,
                  user_agent: str | None) -> tuple[str, WebSession]:
    """Create a session; returns (cookie token, row).  A fresh token at every login rules out
    session fixation."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(token_hash=token_hash(token), user_id=user.id,
                     csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen_at=now,
                     expires_at=now + settings.session_absolute, ip=ip,
                     user_agent=(user_agent or "")[:300])
    session.add(row)
    session.flush()
    return token, row


# Refresh last_seen at most this often, to spare a write on every request.
_TOUCH_EVERY = timedelta(seconds=30)


def load_session(session: Session, settings: WebSettings, token: str | None) -> WebSession | None:
    """The live session for a cookie token, or None if absent, revoked or expired."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if now >= row.expires_at or now - row.last_seen_at >= settings.session_idle:
        row.revoked_at = now
        session.commit()
        return None
    user = row.user
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return row


def end_session(session: Session, row: WebSession) -> None:
    row.revoked_at = utcnow()
