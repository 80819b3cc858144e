"""The grading-integrity pages in headless Chromium: a supervisor's override of a hash match
from the file page (reason required), and what a grader is told and shown."""

from __future__ import annotations

from tests.browser import chromium_page, login, needs_chromium, server  # noqa: F401

from .conftest import CASE1
from .test_grading import finals

pytestmark = needs_chromium


def test_supervisor_overrides_a_hash_match_from_the_file_page(server, ids, db_url):  # noqa: F811
    from playwright.sync_api import expect

    with chromium_page() as (page, errors):
        login(page, server, "sam")
        page.goto(f"{server}/cases/{CASE1}/files/{ids['known']}")
        expect(page.locator("#category")).to_have_text("Category A")
        expect(page.locator("#matches")).to_contain_text("caid")
        form = page.locator("#override form")
        form.locator("select[name=category]").select_option("not_indecent")
        form.locator("button[type=submit]").click()
        # The browser refuses an empty reason (and so does the server, see test_grading_rules).
        assert finals(db_url) == {}
        form.locator("textarea[name=reason]").fill("Hash-set entry withdrawn by its publisher")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_contain_text(
            f"File {ids['known']} overridden: now Not indecent / non-pertinent")
        expect(page.locator("#final")).to_contain_text("supervisor override, by sam")
        expect(page.locator("#final")).to_contain_text("Hash-set entry withdrawn")
        assert finals(db_url) == {ids["known"]: ("not_indecent", "override")}
        assert errors == []


def test_grader_sees_no_override_and_what_happens_next(server, ids, db_url):  # noqa: F811
    from playwright.sync_api import expect

    with chromium_page() as (page, errors):
        login(page, server, "alice")
        page.goto(f"{server}/cases/{CASE1}/files/{ids['known']}")
        expect(page.locator("h1")).to_have_text(f"File {ids['known']}")
        expect(page.locator("#override")).to_have_count(0)
        page.goto(f"{server}/cases/{CASE1}/grade")
        expect(page.locator(".grade-head")).to_contain_text("near-miss of known Category A")
        page.keyboard.press("3")  # Category C below the item's category A hint
        expect(page.locator(".flash")).to_contain_text(
            "Graded 1 file as Category C: needs a second, independent grader")
        assert ids["far"] not in finals(db_url)
        assert errors == []
