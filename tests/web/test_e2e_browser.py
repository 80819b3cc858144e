"""End to end in a real headless Chromium: log in, open a case, see blurred thumbnails,
reveal one with the keyboard, grade a cluster with the keyboard and see the count change."""

from __future__ import annotations

from tests.browser import chromium_page, needs_chromium, server  # noqa: F401

from .conftest import CASE1, PASSWORD

pytestmark = needs_chromium


def test_login_blurred_thumbnail_and_keyboard_grading(server):  # noqa: F811  (fixture)
    from playwright.sync_api import expect

    with chromium_page() as (page, errors):
        page.goto(f"{server}/cases/{CASE1}")
        expect(page).to_have_url(f"{server}/login?next=%2Fcases%2F{CASE1}")
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{server}/cases/{CASE1}")
        expect(page.locator("h1")).to_contain_text(CASE1)
        expect(page.locator("#graded")).to_have_text("0")  # final local grades
        still_c = page.locator('#counts tr:has(td:text-is("Category C")) td:nth-child(2)')
        expect(still_c).to_have_text("0")

        page.click("text=Grade unknown media")
        expect(page.locator(".grade-head")).to_contain_text("Item 1 of 2")
        thumb = page.locator("#grade img").first
        expect(thumb).to_have_class("blurred")
        page.wait_for_function(
            "() => { const i = document.querySelector('#grade img');"
            " return i && i.complete && i.naturalWidth > 0; }")
        # The blurred thumbnail the browser got is greyscale.
        grey = page.evaluate("""() => {
            const img = document.querySelector('#grade img');
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            for (let i = 0; i < d.length; i += 4) {
                if (Math.abs(d[i] - d[i+1]) > 3 || Math.abs(d[i+1] - d[i+2]) > 3) return false;
            }
            return true; }""")
        assert grey

        page.keyboard.press("r")  # reveal (htmx, CSRF header)
        expect(page.locator("#grade img.clear")).to_have_count(1)

        page.keyboard.press("ArrowRight")
        expect(page.locator(".grade-head")).to_contain_text("Item 2 of 2")
        expect(page.locator("#grade img.blurred")).to_have_count(2)  # stack + neighbour
        page.keyboard.press("3")  # Category C for the whole cluster
        expect(page.locator(".flash")).to_contain_text("Graded 3 files as Category C: final.")

        page.goto(f"{server}/cases/{CASE1}")
        expect(page.locator("#graded")).to_have_text("3")
        expect(still_c).to_have_text("2")  # seawall counts: distinct by content
        assert errors == []
