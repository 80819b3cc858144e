"""Login, sessions, cookies, CSRF, the per-name login delay and rate limiting."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from seawall.store.accounts_models import User
from seawall.store.audit_models import AuditEntry
from seawall.store.db import session_scope
from seawall.store.web_models import LoginAttempt, WebSession
from seawall.web import auth
from tests.browser import chromium_page, needs_chromium, server  # noqa: F401
from tests.browser import login as browser_login

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


def _age_login_attempts(db_url, delta):
    """Move every recorded attempt ``delta`` into the past (as if that time had passed)."""
    with session_scope(db_url) as s:
        for row in s.scalars(select(LoginAttempt)):
            row.at -= delta


def _error(response) -> str:
    return re.search(r'class="error"[^>]*>([^<]*)<', response.text).group(1)


def test_known_and_unknown_names_answer_alike_while_delayed(client, db_url, settings):
    """No user enumeration: after the same failures a real account and a made-up name give
    the same status and message, and the real account's right password is not checked."""
    for name in ("alice", "nobody"):
        for _ in range(settings.login_delay_after):
            assert login(client, name, "wrong password!").status_code == 401
    real, made_up = login(client, "alice"), login(client, "nobody", "wrong password!")
    assert real.status_code == made_up.status_code == 429
    # Each name's delay runs from its own last failure, so on a loaded machine the seconds
    # left can differ by one between the two answers; the wording and status may not.
    def shape(message: str) -> str:
        return re.sub(r"\d+ seconds?", "N seconds", message)

    assert shape(_error(real)) == shape(_error(made_up)) == (
        "Too many failed attempts for this user name. Try again in N seconds.")
    assert {real.headers["retry-after"], made_up.headers["retry-after"]} <= {"1", "2"}
    assert ("alice", "login.delayed") in actions(db_url)
    assert ("nobody", "login.delayed") in actions(db_url)


def test_nobody_can_lock_an_account_out(client, db_url, settings):
    """An attacker's failures only delay the account (boundedly), attempts while delayed are
    not counted, and the right password works once the delay has passed."""
    for _ in range(settings.login_delay_after):
        login(client, "sam", "wrong password!")
    for _ in range(20):  # hammering while delayed: refused unchecked, delay unchanged
        assert login(client, "sam", "wrong password!").status_code == 429
    _age_login_attempts(db_url, settings.login_delay_base)
    response = login(client, "sam")
    assert response.status_code == 303
    with session_scope(db_url) as s:
        sam = s.scalar(select(User).where(User.username == "sam"))
        assert sam.failed_logins == 0 and sam.locked_until is None


def test_login_delay_doubles_and_is_bounded(client, db_url, settings):
    delays = [auth.login_delay(settings, n).total_seconds() for n in range(14)]
    assert delays[:settings.login_delay_after] == [0] * settings.login_delay_after
    assert delays[3:8] == [2, 4, 8, 16, 32]
    assert max(delays) == auth.login_delay(settings, 10**6).total_seconds() == 600
    for _ in range(settings.login_delay_after):
        assert login(client, "carol", "wrong password!").status_code == 401
    seen = []
    for _ in range(4):
        waiting = login(client, "carol", "wrong password!")
        assert waiting.status_code == 429
        seen.append(int(waiting.headers["retry-after"]))
        _age_login_attempts(db_url, timedelta(seconds=seen[-1]))
        assert login(client, "carol", "wrong password!").status_code == 401
    assert seen == [2, 4, 8, 16]


def test_admin_clears_the_delay(client, as_user, db_url, settings):
    for _ in range(settings.login_delay_after):
        login(client, "carol", "wrong password!")
    assert login(client, "carol").status_code == 429
    users_page = as_user("admin").get("/admin/users").text
    assert "3 failed, delayed" in users_page
    as_user("admin").post("/admin/users/carol", {"role": "grader", "active": "true",
                                                 "unlock": "true"})
    assert login(client, "carol").status_code == 303


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


@needs_chromium
def test_delayed_login_in_the_browser(server, settings):  # noqa: F811  (fixture)
    from playwright.sync_api import expect

    with chromium_page(console_errors=False) as (page, errors):
        shown = []
        for name in ("alice", "nobody"):
            for _ in range(settings.login_delay_after):
                browser_login(page, server, name, "wrong password!")
                expect(page.locator(".error")).to_have_text(
                    "Unknown user name or wrong password.")
            browser_login(page, server, name)
            shown.append(page.locator(".error").inner_text())
        assert shown[0] == shown[1] and "Try again in 2 seconds" in shown[0]
        assert errors == []
