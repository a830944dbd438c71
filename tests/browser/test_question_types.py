"""Issue 23's question types in a real Chromium: a phone 375 px wide without JavaScript, and the keyboard
only. Every type is answered and stored; nothing is wider than the screen."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Response, ResponseRevision
from tests.browser.test_keyboard_answering import focused_id, tab_to
from tests.factories import make_survey
from tests.survey.types_definition import types_definition

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
EXPECTED = {"overall": 3, "service.wait": 2, "service.staff": 5, "channel": "Other", "channel.other": "By pigeon",
            "topics": ["Billing", "Other"], "topics.other": "Refunds", "spend": 12.5, "orders": 3,
            "visit": "2026-03-31", "priorities": ["Speed", "Care", "Price"]}


@pytest.fixture
def phone_without_javascript(browser):
    context = browser.new_context(viewport=PHONE, has_touch=True, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def stored_answers(app) -> dict:
    with app.app_context():
        (revision,) = db.session.scalars(select(ResponseRevision)).all()
        assert db.session.scalar(select(Response.id)) is not None
        return revision.answers


def test_every_new_type_on_a_phone_without_javascript(app, live_server, phone_without_javascript, tmp_path):
    page = phone_without_javascript
    with app.app_context():
        make_survey(definition=types_definition())
    page.goto(f"{live_server}/s/types")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "phone-empty.png"), full_page=True)

    # First a wrong ranking and a number with a thousands separator: refused, each named, nothing stored.
    page.check("#q-overall-3")
    page.fill("#q-spend", "1,000.5")
    page.select_option("#q-priorities-1", "1")
    page.select_option("[name='q-priorities.2']", "1")
    page.click("#submission-button")
    summary = page.inner_text("#error-summary")
    assert "without thousands separators" in summary and "different number from 1 to 3" in summary
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "phone-errors.png"), full_page=True)

    page.check("[name='q-service.wait'][value='2']")
    page.check("[name='q-service.staff'][value='5']")
    page.fill("[name='q-channel.other']", "By pigeon")  # typed without ticking Other: Other is meant
    page.check("[name='q-topics'][value='Billing']")
    page.fill("[name='q-topics.other']", "Refunds")
    page.fill("#q-spend", "12,5")
    page.fill("#q-orders", "3")
    page.fill("#q-visit", "2026-03-31")
    page.select_option("#q-priorities-1", "3")
    page.select_option("[name='q-priorities.2']", "1")
    page.select_option("[name='q-priorities.3']", "2")
    page.click("#submission-button")
    page.wait_for_url("**/thanks?receipt=*")
    assert stored_answers(app) == EXPECTED


def test_every_new_type_with_the_keyboard_only(app, live_server, page):
    with app.app_context():
        make_survey(definition=types_definition())
    page.goto(f"{live_server}/s/types")
    tab_to(page, "q-overall-1")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # Good (3)
    page.keyboard.press("Tab")
    assert focused_id(page) == "q-service-1"  # the matrix's first statement, first point
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")  # Wait time: 2
    page.keyboard.press("Tab")
    assert focused_id(page) == "q-service.staff-1"  # each statement is a radio group of its own
    page.keyboard.press("Space")
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # Staff: 5
    tab_to(page, "q-channel.other")
    page.keyboard.type("By pigeon")
    tab_to(page, "q-topics-1")
    page.keyboard.press("Space")  # Billing
    tab_to(page, "q-topics.other")
    page.keyboard.type("Refunds")
    page.keyboard.press("Tab")
    assert focused_id(page) == "q-spend"
    page.keyboard.type("12,5")
    page.keyboard.press("Tab")
    page.keyboard.type("3")
    page.keyboard.press("Tab")
    assert focused_id(page) == "q-visit"
    page.keyboard.type("03312026")  # Chromium's date field takes the digits in the locale's order (en-US)
    tab_to(page, "q-priorities-1")
    for field, rank in (("q-priorities-1", "3"), ("q-priorities.2", "1"), ("q-priorities.3", "2")):
        assert focused_id(page) == field
        page.keyboard.type(rank)  # a focused menu picks the option typed
        page.keyboard.press("Tab")
    tab_to(page, "submission-button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/thanks?receipt=*")
    assert stored_answers(app) == EXPECTED
