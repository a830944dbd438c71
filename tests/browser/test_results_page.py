"""The results page in a real browser, with JavaScript on and off: every chart is drawn under the strict CSP,
the filter form works, and hostile segment values never run."""
from __future__ import annotations

from datetime import date

import pytest

from tests.browser.conftest import log_in
from tests.factories import add_answers, make_survey, make_user

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=1</script>"


@pytest.fixture
def no_script_page(browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_charts_load_and_the_filter_works_without_javascript(app, live_server, no_script_page, page):
    with app.app_context():
        survey = make_survey()
        add_answers(survey, [(date(2026, 9, 5), "Leeds", 5)] * 40 + [(date(2026, 10, 5), "Leeds", 4)] * 40
                    + [(date(2026, 10, 6), HOSTILE, 5)] * 35)
        make_user(email="analyst@example.com", role="analyst")
        slug = survey.slug
    for browser_page in (no_script_page, page):
        errors = []
        browser_page.on("console", lambda message, errors=errors: errors.append(message.text)
                        if message.type == "error" else None)
        log_in(browser_page, live_server, "analyst@example.com")
        browser_page.goto(f"{live_server}/manage/surveys/{slug}/results?to=2026-10-31")
        images = browser_page.locator("figure svg[role=img]")
        assert images.count() >= 6
        for i in range(images.count()):
            image = images.nth(i)
            box = image.bounding_box()
            assert box["width"] > 300 and box["height"] > 100  # drawn at its size, from the page itself
            assert image.get_attribute("aria-label")
            assert image.locator("text").count() >= 2  # title and labels are text, drawn
        browser_page.select_option("#where", "location=Leeds")
        browser_page.click("form.filters button[type=submit]")
        assert "where=location%3DLeeds" in browser_page.url
        assert "in location = Leeds" in browser_page.inner_text("main")
        assert not [e for e in errors if "Content Security Policy" in e], errors
    assert page.evaluate("window.pwned === undefined")
