"""Login, sessions, cookies, CSRF, lockout and rate limiting."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from seawall.store import audit
from seawall.store.accounts_models import User
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from seawall.store.web_models import WebSession

from .conftest import PASSWORD, csrf_of, login


def actions(db_url):
    with session_scope(db_url) as s:
        return [(e.actor, e.action) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq))]


def test_login_sets_hardened_session_cookie(client, db_url):
    response = login(client, "alice")
    assert response.status_code == 303 and response.headers["location"] == "/cases"
    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith("seawall_session="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "secure" not in lowered
    assert client.get("/cases").status_code == 200
    assert ("alice", "login.success") in actions(db_url)
    with session_scope(db_url) as s:
        token = cookie.split(";")[0].split("=", 1)[1]
        # Only the token's hash is stored.
        assert s.scalar(select(WebSession.token_hash)) != token


def test_secure_cookies_behind_tls(db_url, settings, fake_matching):
    from seawall.web import create_app

    app = create_app(db_url, secure_cookies=True, settings=settings)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        response = login(c, "alice")
        cookie = next(h for h in response.headers.get_list("set-cookie")
                      if h.startswith("seawall_session="))
        assert "secure" in cookie.lower()
        assert "max-age" in response.headers.get("strict-transport-security", "")


def test_wrong_password_and_unknown_user_are_indistinguishable(client, db_url):
    a = login(client, "alice", "wrong password!")
    b = login(client, "nobody", "wrong password!")
    assert a.status_code == b.status_code == 401
    assert "Unknown user name or wrong password." in a.text
    assert "Unknown user name or wrong password." in b.text
    assert ("alice", "login.failure") in actions(db_url)
    assert ("nobody", "login.failure") in actions(db_url)


def test_login_requires_csrf_token(client):
    client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    response = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "csrf_token": "forged"})
    assert response.status_code == 403


def test_lockout_after_repeated_failures(client, db_url, settings):
    for _ in range(settings.lockout_threshold):
        assert login(client, "alice", "wrong password!").status_code == 401
    # Now even the right password is refused.
    response = login(client, "alice")
    assert response.status_code == 423 and "locked" in response.text
    assert ("alice", "login.locked") in actions(db_url)
    # After the lockout period the right password works again.
    with session_scope(db_url) as s:
        user = s.scalar(select(User).where(User.username == "alice"))
        user.locked_until = audit.utcnow() - timedelta(seconds=1)
    assert login(client, "alice").status_code == 303


def test_rate_limit_per_address(client, settings, db_url):
    for i in range(settings.ip_failure_limit):
        login(client, f"nobody{i}", "wrong password!")
    response = login(client, "alice")
    assert response.status_code == 429
    assert ("alice", "login.rate_limited") in actions(db_url)


def test_logout_revokes_session(as_user, db_url):
    alice = as_user("alice")
    old_cookie = alice.client.cookies.get("seawall_session")
    assert alice.post("/logout").status_code == 303
    fresh = alice.client
    fresh.cookies.set("seawall_session", old_cookie)
    assert fresh.get("/cases").status_code == 303  # back to the login page
    assert ("alice", "logout") in actions(db_url)


def test_logout_needs_csrf(as_user):
    alice = as_user("alice")
    assert alice.client.post("/logout").status_code == 403
    assert alice.get("/cases").status_code == 200


def _age_session(db_url, **delta):
    with session_scope(db_url) as s:
        row = s.scalar(select(WebSession))
        for field, value in delta.items():
            setattr(row, field, getattr(row, field) - value)


def test_idle_expiry(as_user, db_url, settings):
    alice = as_user("alice")
    _age_session(db_url, last_seen_at=settings.session_idle + timedelta(seconds=1))
    response = alice.get("/cases")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_absolute_expiry(as_user, db_url, settings):
    alice = as_user("alice")
    _age_session(db_url, expires_at=settings.session_absolute)
    assert alice.get("/cases").status_code == 303


def test_deactivated_user_loses_access(as_user, db_url):
    alice = as_user("alice")
    with session_scope(db_url) as s:
        s.scalar(select(User).where(User.username == "alice")).active = False
    assert alice.get("/cases").status_code == 303
    assert login(TestClient(alice.client.app, follow_redirects=False), "alice").status_code == 401


def test_next_parameter_is_local_only(client):
    page = client.get("/login?next=//evil.example/x")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "csrf_token": csrf_of(page.text),
                                           "next": "//evil.example/x"})
    assert response.headers["location"] == "/cases"


def test_redirect_to_login_then_back(client):
    response = client.get("/cases/OP-ALPHA-1/files?q=x")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=%2Fcases%2FOP-ALPHA-1%2Ffiles")


def test_security_headers(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_password_policy_and_roles(db_url):
    import pytest

    from seawall.accounts.users import create_user

    with session_scope(db_url) as s:
        with pytest.raises(ValueError):
            create_user(s, "shorty", "short", "grader")
        with pytest.raises(ValueError):
            create_user(s, "newbie", PASSWORD, "superuser")
        with pytest.raises(ValueError):
            create_user(s, "alice", PASSWORD, "grader")
        user = create_user(s, "newbie", PASSWORD, "grader")
        assert user.password_hash.startswith("$argon2id$")
