"""Error pages after login: the right status (403/404/400), the normal layout with the
logged-in user, and the security headers; never a 500 (issue 12, defect 2)."""

from __future__ import annotations

import pytest

from tests.browser import chromium_page, login, needs_chromium, server  # noqa: F401

from .conftest import CASE1

HTML = {"Accept": "text/html"}

# (user, url, status): refusals, bad input and ids no database column can hold.
ERRORS = [
    ("sam", "/admin/users", 403),
    ("alice", "/audit", 403),
    ("sam", "/audit?since=notadate", 400),
    ("sam", "/audit?page=999999999999999999999", 400),
    ("sam", "/operations/backlog/simulate?examiners=-3", 400),
    ("alice", f"/cases/{CASE1}/files/99999999999999999999/thumb", 404),
    ("alice", f"/cases/{CASE1}/files/99999999999999999999", 404),
    ("alice", f"/cases/{CASE1}/files/-1", 404),
    ("alice", f"/cases/{CASE1}/files?page=999999999999999999999", 400),
    ("alice", f"/cases/{CASE1}/files?page=abc", 400),
    ("alice", "/cases/NO-SUCH-CASE", 403),
    ("admin", "/cases/NO-SUCH-CASE", 404),
]


@pytest.mark.parametrize("username,url,status", ERRORS, ids=[f"{u} {p}" for u, p, _ in ERRORS])
def test_error_page_has_status_layout_and_headers(as_user, username, url, status):
    user = as_user(username)
    response = user.get(url, headers=HTML)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1>{status}</h1>" in response.text
    # The normal layout: navigation for the logged-in user, and a working logout form.
    assert f"{username} <span class=\"role\">" in response.text
    assert f'value="{user.csrf}"' in response.text
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options"):
        assert header in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_negative_reveal_limit_is_a_400_page(as_user):
    admin = as_user("admin")
    response = admin.post("/admin/users/alice", data={"role": "grader", "active": "true",
                                                       "daily_reveal_limit": "-5"},
                          headers=HTML)
    assert response.status_code == 400 and "cannot be negative" in response.text
    assert "admin <span class=\"role\">" in response.text
    huge = admin.post("/admin/users/alice", data={"role": "grader", "active": "true",
                                                   "daily_reveal_limit": "9" * 30},
                      headers=HTML)
    assert huge.status_code == 400


def test_errors_for_scripts_are_json(as_user):
    sam = as_user("sam")
    response = sam.get("/audit?page=0")
    assert response.status_code == 400 and response.json()["fields"] == ["query.page"]
    assert sam.get("/admin/users").json() == {"detail": "Your role does not allow this."}


@needs_chromium
def test_error_pages_in_the_browser(server):  # noqa: F811  (fixture)
    from playwright.sync_api import expect

    with chromium_page(console_errors=False) as (page, errors):
        login(page, server, "sam")
        expect(page).to_have_url(f"{server}/cases")
        for url, status in [("/admin/users", 403), ("/audit?since=notadate", 400),
                            (f"/cases/{CASE1}/files/99999999999999999999/thumb", 404)]:
            response = page.goto(server + url)
            assert response is not None and response.status == status
            expect(page.locator("h1")).to_have_text(str(status))
            expect(page.locator(".topbar .who")).to_contain_text("sam")
        page.click("text=Log out")
        expect(page).to_have_url(f"{server}/login")
        assert errors == []
