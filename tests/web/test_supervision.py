"""What a supervisor sees of other people: exposure and logins of their own cases' team only,
the force-wide view is the admin's (issue 12, defect 6); and the audit log's date filter,
whose "To" day is included whole (defect 7)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from seawall.store.accounts_models import User
from seawall.store.db import session_scope
from seawall.store.grading_models import ExposureDay
from seawall.store.models import utcnow
from tests.browser import chromium_page, login, needs_chromium, server  # noqa: F401

from .conftest import CASE1, CASE2


def _exposure(db_url, *usernames):
    """A day of grading exposure for each user (bob works on case 2 only)."""
    with session_scope(db_url) as s:
        for name in usernames:
            user_id = s.scalar(select(User.id).where(User.username == name))
            s.add(ExposureDay(user_id=user_id, day=utcnow().date(), category="C", reveals=3,
                              items_graded=40, seconds_grading=1800))


def _team_users(html: str) -> set[str]:
    return set(re.findall(r"<tr><td>([^<]+)</td>", html))


def test_team_exposure_is_the_supervisors_cases_only(as_user, db_url):
    _exposure(db_url, "alice", "bob")
    sam = as_user("sam")  # supervisor of case 1: alice, carol, ivan and sam
    page = sam.get("/welfare/team").text
    assert _team_users(page) == {"alice"}
    assert "The people assigned to your cases" in page
    admin_page = as_user("admin").get("/welfare/team").text
    assert _team_users(admin_page) == {"alice", "bob"}


def test_supervisor_sees_own_team_logins_not_the_force(as_user):
    as_user("bob")  # logs in; works on case 2 only
    as_user("alice")
    sam = as_user("sam")
    logins = sam.get("/audit", params={"action": "login."}).text
    assert ">alice<" in logins and ">sam<" in logins
    assert ">bob<" not in logins
    assert ">bob<" not in sam.get("/audit", params={"actor": "bob"}).text
    admin_view = as_user("admin").get("/audit", params={"actor": "bob"}).text
    assert ">bob<" in admin_view and ">login.success<" in admin_view


def test_supervisor_does_not_see_other_peoples_caseless_actions(as_user):
    admin = as_user("admin")
    admin.post("/admin/users", {"username": "newbie", "role": "grader",
                                "password": "long enough password"})
    sam = as_user("sam")
    assert ">admin.user.add<" not in sam.get("/audit").text
    assert ">admin.user.add<" in admin.get("/audit").text
    # Their own trail, case 1's entries and case 1's logins stay visible.
    sam.get(f"/cases/{CASE1}")
    page = sam.get("/audit").text
    assert ">case.view<" in page and ">audit.view<" in page and CASE2 not in page


def test_audit_filter_to_includes_the_whole_day(as_user):
    alice = as_user("alice")
    alice.get(f"/cases/{CASE1}")
    sam = as_user("sam")
    today = utcnow().date().isoformat()
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    page = sam.get("/audit", params={"since": today, "until": today}).text
    assert ">case.view<" in page and ">alice<" in page
    page = sam.get("/audit", params={"since": yesterday, "until": yesterday}).text
    assert ">case.view<" not in page
    # A time stays exact: nothing logged after midnight is before midnight.
    page = sam.get("/audit", params={"since": today, "until": f"{today}T00:00:00"}).text
    assert ">case.view<" not in page


@needs_chromium
def test_supervisor_pages_in_the_browser(server, db_url):  # noqa: F811  (fixture)
    from playwright.sync_api import expect

    _exposure(db_url, "alice", "bob")
    with chromium_page() as (page, errors):
        login(page, server, "alice")
        expect(page).to_have_url(f"{server}/cases")
        page.goto(f"{server}/cases/{CASE1}")
        page.context.clear_cookies()
        login(page, server, "sam")
        expect(page).to_have_url(f"{server}/cases")
        page.click("nav >> text=Team")
        expect(page.locator("table.grid")).to_contain_text("alice")
        expect(page.locator("table.grid")).not_to_contain_text("bob")
        page.click("nav >> text=Audit log")
        today = utcnow().date().isoformat()
        page.fill("input[name=since]", today)
        page.fill("input[name=until]", today)
        page.click("form.filters button:text-is('Filter')")
        expect(page.locator("table.grid")).to_contain_text("case.view")
        assert errors == []
