"""A live server and the distribution's Chromium driven by Playwright.

Without /usr/bin/chromium these tests are skipped, except when HEARKEN_REQUIRE_BROWSER is set (.ci/run
sets it, so CI fails rather than silently skipping them). It is read when this file is imported: every
app the tests build clears HEARKEN_* from the environment, which used to happen before the browser fixture
asked, so CI skipped after all.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.factories import PASSWORD

CHROMIUM = Path(os.environ.get("HEARKEN_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = bool(os.environ.get("HEARKEN_REQUIRE_BROWSER"))
# Flags from the machine notes: headless, and no background calls to Google that this network refuses.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def log_in(page, base: str, email: str = "admin@example.com") -> None:
    """Log in through the login page, as a person would, and wait for the manager's home page."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/manage/")


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if REQUIRED:
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
