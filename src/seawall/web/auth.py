"""Login (with a growing per-name delay and rate limiting) and server-side sessions.  Users
and passwords themselves are :mod:`seawall.accounts.users`."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    return bool(a and b and hmac.compare_digest(a.encode(), b.encode()))


GENERIC_FAILURE = "Unknown user name or wrong password."


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None
    status: int = 200
    retry_after: int | None = None  # seconds, for a 429


def login_delay(settings: WebSettings, failures: int) -> timedelta:
    """How long after the last of ``failures`` consecutive failures the next attempt waits:
    nothing at first, then login_delay_base doubling per failure up to login_delay_max."""
    steps = failures - settings.login_delay_after
    if steps < 0:
        return timedelta(0)
    return min(settings.login_delay_base * 2 ** min(steps, 32), settings.login_delay_max)


def _recent_failures(session: Session, settings: WebSettings, username: str,
                     now: datetime) -> tuple[int, datetime | None]:
    """(failures for the name since its last success within the window, the last one's time).
    Counted from the attempts, not the account, so a name nobody has answers alike."""
    since = now - settings.login_failure_window
    last_success = session.scalar(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(True),
        LoginAttempt.at >= since))
    count, last = session.execute(select(func.count(), func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(False),
        LoginAttempt.at >= (last_success or since))).one()
    return count, last


def attempt_login(session: Session, settings: WebSettings, username: str, password: str,
                  ip: str) -> LoginResult:
    """Check credentials, applying the per-address rate limit and the per-name login delay,
    and audit the outcome.  The caller commits.

    Unknown names, wrong passwords and names waiting out their delay answer the same way
    whether or not the account exists, and no number of failures locks an account: after
    the (bounded) delay the right password works."""
    now = utcnow()
    username = username.strip()[:100]
    since = now - settings.ip_failure_window
    address_failures = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.ip == ip, LoginAttempt.at >= since, LoginAttempt.success.is_(False)))
    if (address_failures or 0) >= settings.ip_failure_limit:
        audit.record(session, username or "-", "login.rate_limited", details={"ip": ip})
        return LoginResult(None, "Too many failed attempts. Try again later.", 429,
                           retry_after=int(settings.ip_failure_window.total_seconds()))

    failures, last_failure = _recent_failures(session, settings, username, now)
    if last_failure is not None:
        wait = last_failure + login_delay(settings, failures) - now
        if wait > timedelta(0):
            # Not checked and not counted: waiting attempts neither guess nor lengthen it.
            seconds = math.ceil(wait.total_seconds())
            audit.record(session, username or "-", "login.delayed",
                         details={"ip": ip, "retry_after": seconds})
            return LoginResult(None, "Too many failed attempts for this user name. "
                               f"Try again in {seconds} seconds.", 429, retry_after=seconds)

    user = find_user(session, username)
    password_ok = check_password(user, password)  # run for unknown names too: same timing
    ok = user is not None and password_ok and user.active
    session.add(LoginAttempt(at=now, username=username, ip=ip, success=ok))
    if user is None or not ok:
        delay = login_delay(settings, failures + 1)
        details: dict = {"ip": ip}
        if delay:
            details["next_attempt_after_s"] = int(delay.total_seconds())
        if user is not None:  # what the users page and `seawall user list` show
            user.failed_logins = failures + 1
            user.locked_until = now + delay if delay else None
        audit.record(session, username or "-", "login.failure", details=details)
        return LoginResult(None, GENERIC_FAILURE, 401)

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
