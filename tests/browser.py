"""What the headless-Chromium tests share: the app served live by uvicorn, a fresh page that
records script errors, and logging in through the form."""

from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager

import pytest
import uvicorn

from tests.web.conftest import PASSWORD

CHROMIUM = os.environ.get("SEAWALL_CHROMIUM", "/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason="chromium not installed")


@pytest.fixture
def server(app):
    """The test's ``app`` on a free local port; yields its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


@contextmanager
def chromium_page(console_errors: bool = True):
    """(page, errors): a page in headless Chromium and the list its uncaught script errors
    (and, with ``console_errors``, console errors) are appended to."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            if console_errors:
                page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
            yield page, errors
        finally:
            browser.close()


def login(page, server: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
