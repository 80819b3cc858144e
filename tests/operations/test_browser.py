"""In headless Chromium: the backlog page's forecast chart renders, and a what-if run
shows its three charts, with no console or CSP errors."""

from __future__ import annotations

import os

from tests.browser import chromium_page, login, needs_chromium, server  # noqa: F401

from .conftest import AS_OF

pytestmark = needs_chromium


def test_backlog_and_whatif_charts_render(server):  # noqa: F811  (fixture)
    from playwright.sync_api import expect

    with chromium_page() as (page, errors):
        login(page, server, "sam")
        page.click("text=Backlog")
        expect(page.locator("h1")).to_have_text("Digital-forensics backlog")
        page.goto(f"{server}/operations/backlog?as_of={AS_OF.isoformat()}")
        expect(page.locator("#queue tbody tr").first).to_contain_text("SYN-01-")
        loaded = ("() => { const i = document.querySelector('#forecast-chart');"
                  " return i && i.complete && i.naturalWidth > 100; }")
        page.wait_for_function(loaded)

        page.click("text=What-if")
        page.fill("input[name=examiners]", "9")
        page.fill("input[name=days]", "60")
        page.click("button:has-text('Simulate')")
        expect(page.locator("#sim-summary")).to_contain_text("Examiners")
        expect(page.locator("#sim-summary tr").nth(1)).to_contain_text("9")
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.sim-chart')]"
            ".every(i => i.complete && i.naturalWidth > 100)")
        assert page.locator("img.sim-chart").count() == 3

        page.click("text=Workforce")
        expect(page.locator("#headlines")).to_contain_text(
            "dedicated online CSA roles without the specialist")
        page.wait_for_function(
            "() => { const i = document.querySelector('#gap-chart');"
            " return i && i.complete && i.naturalWidth > 100; }")
        if os.environ.get("SEAWALL_OPS_SCREENSHOT"):  # for eyeballing the layout
            page.screenshot(path=os.environ["SEAWALL_OPS_SCREENSHOT"], full_page=True)
        assert errors == []
