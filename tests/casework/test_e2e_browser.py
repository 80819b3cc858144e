"""End to end in headless Chromium: an investigator adds a suspect, sees the forensic
pre-fill, submits an incomplete assessment (no band), completes it, and a supervisor records
a decision that departs from the advice with a reason."""

from __future__ import annotations

from tests.browser import chromium_page, login, needs_chromium, server  # noqa: F401
from tests.web.conftest import CASE1

pytestmark = needs_chromium


def test_assessment_in_the_browser(server):  # noqa: F811  (fixture)
    from playwright.sync_api import expect

    with chromium_page(console_errors=False) as (page, errors):
        login(page, server, "ivan")
        page.click("nav >> text=Triage")
        expect(page.locator("#triage")).to_contain_text(CASE1)
        page.click(f"#triage >> text={CASE1}")
        page.fill("#suspect-add input[name=reference]", "S-E2E")
        page.fill("#suspect-add input[name=date_of_birth]", "1980-01-01")
        page.click("#suspect-add button[type=submit]")
        expect(page.locator(".flash")).to_contain_text("Suspect S-E2E added")
        page.click("text=Assess: seawall-prioritisation")
        expect(page.locator("h1")).to_contain_text("S-E2E")
        # Category A is pre-filled from the matches (one file matched a category A set).
        expect(page.locator("#item-category_a .notice")).to_contain_text("Pre-filled")
        expect(page.locator("#item-category_a input[value=yes]")).to_be_checked()
        for item in ("prev_contact_sexual", "prev_noncontact_sexual", "prev_custody",
                     "access_household", "grooming_incitement", "production",
                     "sexual_communication_adults", "distribution", "other_convictions",
                     "domestic_abuse", "substance_misuse", "collection_scale"):
            page.check(f"#item-{item} input[value=no]")
        page.select_option("select[name='review.category_a']", "confirmed")
        page.click("#assess-form button[type=submit]")
        # access_other is unanswered: incomplete, no band, and it says what is missing.
        expect(page.locator(".assessment").first).to_contain_text("Incomplete")
        expect(page.locator(".assessment .missing").first).to_have_text("access_other")

        page.goto(f"{server}/cases/{CASE1}/triage/suspects/S-E2E/assess"
                  "?instrument=seawall-prioritisation")
        expect(page.locator("#item-prev_custody input[value=no]")).to_be_checked()
        page.check("#item-access_other input[value=unknown]")
        page.fill("input[name=reason]", "access checked with partner agency")
        page.click("#assess-form button[type=submit]")
        latest = page.locator(".assessment").first
        expect(latest).to_contain_text("Medium")  # unknown access counts as access
        expect(latest.locator(".score")).to_have_text("4")  # 3 (unknown access) + 1 (A)
        expect(latest).to_contain_text("access checked with partner agency")
        expect(page.locator(".assessment")).to_have_count(2)  # history kept
        page.click("text=Log out")

        login(page, server, "sam")
        page.goto(f"{server}/cases/{CASE1}/triage")
        expect(page.locator("#recommended-S-E2E")).to_have_text("Standard investigation")
        form = page.locator("form.decision")
        form.locator("select[name=pathway]").select_option("urgent_specialist")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_contain_text("needs a written reason")
        form = page.locator("form.decision")
        form.locator("select[name=pathway]").select_option("urgent_specialist")
        form.locator("textarea[name=reason]").fill("New intelligence of contact abuse.")
        form.locator("button[type=submit]").click()
        expect(page.locator(".flash")).to_contain_text("departs from the recommendation")
        page.goto(f"{server}/cases/{CASE1}/triage/suspects/S-E2E/history")
        expect(page.locator("#decisions")).to_contain_text("New intelligence")
        assert errors == []
