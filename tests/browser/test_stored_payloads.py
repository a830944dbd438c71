"""Every page that shows stored data, opened in Chromium with the hostile corpus stored everywhere: no
payload runs, and none is parsed as markup.

Two passes. With the Content-Security-Policy switched off (Playwright's bypass_csp), escaping alone must
hold: a payload that ran would call window.__xss, open a dialog or set document.title, and one parsed as
markup would leave an element carrying data-xss. With the policy on, as customers get it, the same pages
must also report no policy violation: the templates have no inline script or style for it to block.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import log_in
from tests.security.conftest import record_figures
from tests.security.payloads import EXECUTABLE
from tests.security.stored import TEXTS, pages, store_everywhere

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECORDER = """
window.__xssHits = [];
window.__xss = (name) => { window.__xssHits.push(String(name)); };
"""
CHECK = """() => ({hits: window.__xssHits || [], title: document.title,
                   injected: Array.from(document.querySelectorAll('[data-xss]'))
                                  .map(e => e.getAttribute('data-xss'))})"""


def open_context(browser, *, bypass_csp: bool):
    context = browser.new_context(bypass_csp=bypass_csp)
    context.add_init_script(RECORDER)
    page = context.new_page()
    # A payload that took over a page must fail the test quickly, not hang it.
    page.set_default_timeout(10_000)
    events = {"dialogs": [], "csp": [], "errors": []}
    page.on("dialog", lambda dialog: (events["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: events["csp"].append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: events["errors"].append(str(error)))
    return context, page, events



def visit(page, events, url: str, problems: list[str]) -> None:
    try:
        response = page.goto(url, wait_until="domcontentloaded")
    except PlaywrightError as error:
        problems.append(f"{url}: did not load ({str(error).splitlines()[0]})")
        return
    status = response.status if response else 0
    if status >= 500:
        problems.append(f"{url}: {status}")
    # Only the page itself: a frame a payload injected may never get a document to evaluate in (it is
    # caught by its data-xss mark on the page), and the email preview's frame is opened as a page of its own.
    state = page.evaluate(CHECK)
    if state["hits"]:
        problems.append(f"{url}: ran {state['hits']}")
    if state["title"].startswith("xss_"):
        problems.append(f"{url}: title set to {state['title']}")
    if state["injected"]:
        problems.append(f"{url}: parsed as markup {sorted(set(state['injected']))}")
    if events["dialogs"]:
        problems.append(f"{url}: dialogs {events['dialogs']}")
        events["dialogs"].clear()


def submit_with_errors(page, base: str, slug: str, problems: list[str], events) -> None:
    """The survey page re-shown with errors, and /complain with every field hostile."""
    try:
        fill_in_with_errors(page, base, slug, problems, events)
    except PlaywrightError as error:
        problems.append(f"forms with errors: {str(error).splitlines()[0]}")


def fill_in_with_errors(page, base: str, slug: str, problems: list[str], events) -> None:
    page.goto(f"{base}/s/{slug}")
    page.click("#submission-button")
    page.wait_for_load_state()
    visit_current(page, events, f"{base}/s/{slug} (with errors)", problems)
    page.goto(f"{base}/complain")
    page.fill("textarea[name=message]", TEXTS[0])
    page.fill("input[name=email]", TEXTS[1][:300])
    page.fill("input[name=phone]", TEXTS[2][:40])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    visit_current(page, events, f"{base}/complain (with errors)", problems)


def visit_current(page, events, label: str, problems: list[str]) -> None:
    state = page.evaluate(CHECK)
    if state["hits"] or state["injected"] or events["dialogs"] or state["title"].startswith("xss_"):
        problems.append(f"{label}: {state} {events['dialogs']}")


def test_no_stored_payload_runs_on_any_page(app, live_server, browser):
    stored = store_everywhere(app)
    public, manager = pages(stored)
    figures, all_problems = {}, []
    for bypass_csp in (True, False):
        context, page, events = open_context(browser, bypass_csp=bypass_csp)
        problems: list[str] = []
        for path in public:
            visit(page, events, live_server + path, problems)
        submit_with_errors(page, live_server, stored["slug"], problems, events)
        log_in(page, live_server)
        for path in manager:
            visit(page, events, live_server + path, problems)
        if not bypass_csp and events["csp"]:
            problems.append(f"Content-Security-Policy violations: {events['csp'][:5]}")
        context.close()
        all_problems += [f"{'escaping only' if bypass_csp else 'with CSP'}: {problem}" for problem in problems]
        figures["escaping only (CSP bypassed)" if bypass_csp else "with CSP"] = {
            "pages": len(public) + len(manager) + 2, "executed": sum("ran" in p or "dialogs" in p for p in problems),
            "parsed_as_markup": sum("parsed as markup" in p for p in problems),
            "csp_violations": len(events["csp"])}
    record_figures("browser_payloads", {"payloads_stored": len(EXECUTABLE), "passes": figures})
    assert all_problems == []
