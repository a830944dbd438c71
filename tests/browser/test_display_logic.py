"""Display logic, pages and progress in Chromium, with JavaScript on and off."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Answer, Response
from tests.factories import logic_definition, make_survey

pytestmark = pytest.mark.browser


@pytest.fixture
def survey_url(app, live_server):
    with app.app_context():
        make_survey(definition=logic_definition())
    return f"{live_server}/s/support-logic"


def stored(app) -> tuple[list[str] | None, list[str]]:
    with app.app_context():
        response = db.session.scalar(select(Response))
        return response.not_asked, sorted(db.session.scalars(select(Answer.question_key)).unique())


@pytest.mark.parametrize("javascript", [True, False])
def test_pages_progress_and_a_skipped_section(app, browser, survey_url, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(survey_url)
    assert page.locator("#progress-label").inner_text() == "Page 1 of 3"
    page.check("#q-satisfaction-5")  # above 2: "What went wrong" is skipped
    page.click("#next-button")
    page.wait_for_selector("text=Page 2 of 2")
    assert page.locator("h2#section-title").inner_text() == "A little more"
    assert page.get_by_text("Anything else, friend?").is_visible()
    page.click("button[value=back]")
    page.wait_for_selector("text=Page 1 of 2")
    assert page.is_checked("#q-satisfaction-5")  # kept across pages
    page.click("#next-button")
    page.wait_for_selector("text=Page 2 of 2")
    page.check("#q-resolved-1")
    page.click("#submission-button")
    page.wait_for_url("**/thanks?receipt=*")
    assert stored(app) == (["channel", "topics"], ["resolved", "satisfaction"])
    context.close()


def test_with_javascript_a_question_appears_and_disappears_in_place(app, browser, survey_url):
    page = browser.new_context().new_page()
    page.goto(survey_url)
    page.check("#q-satisfaction-2")
    page.click("#next-button")
    page.wait_for_selector("text=Page 2 of 3")
    assert page.get_by_text("You rated us 2 of 5.").is_visible()
    topics = page.locator("#question-topics")
    assert topics.is_hidden()  # not answered "Phone" yet
    page.check("#q-channel-1")  # Phone
    topics.wait_for(state="visible")
    page.check("#q-topics-1")
    page.check("#q-channel-2")  # Email after all: the question goes, and its answer is not sent
    topics.wait_for(state="hidden")
    page.click("#next-button")
    page.wait_for_selector("text=Page 3 of 3")
    page.click("#submission-button")
    page.wait_for_url("**/thanks?receipt=*")
    assert stored(app) == (["topics"], ["channel", "satisfaction"])


def test_without_javascript_a_question_on_the_same_page_is_shown_and_decided_on_the_server(app, browser,
                                                                                        survey_url):
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(survey_url)
    page.check("#q-satisfaction-2")
    page.click("#next-button")
    page.wait_for_selector("text=Page 2 of 3")
    assert page.locator("#question-topics").is_visible()  # no script to hide it
    page.check("#q-channel-2")  # Email
    page.check("#q-topics-1")  # answered anyway: not kept, since it was not for this customer
    page.click("#next-button")
    page.wait_for_selector("text=Page 3 of 3")
    page.click("#submission-button")
    page.wait_for_url("**/thanks?receipt=*")
    assert stored(app) == (["topics"], ["channel", "satisfaction"])


def test_with_javascript_a_statement_and_a_number_show_questions_in_place(app, browser, live_server):
    from tests.factories import typed_logic_definition

    with app.app_context():
        make_survey(definition=typed_logic_definition())
    page = browser.new_context().new_page()
    page.goto(f"{live_server}/s/visit-logic")
    long_wait, staff_note = page.locator("#question-long_wait"), page.locator("#question-staff_note")
    assert long_wait.is_hidden() and staff_note.is_hidden()
    page.fill("#q-minutes", "45")  # 30 or more: asked in place
    long_wait.wait_for(state="visible")
    page.fill("#q-minutes", "1 0")  # read as the server reads it: 10
    long_wait.wait_for(state="hidden")
    page.check('input[name="q-service.staff"][value="1"]')
    staff_note.wait_for(state="visible")
    page.fill("#q-staff_note", "not for the record")
    page.check('input[name="q-service.staff"][value="4"]')
    staff_note.wait_for(state="hidden")
    page.check('input[name="q-service.wait"][value="5"]')
    page.click("#next-button")
    page.wait_for_selector("text=Page 2 of 2")  # "About the wait" skipped: the wait was rated 5
    page.click("#submission-button")
    page.wait_for_url("**/thanks?receipt=*")
    with app.app_context():
        assert db.session.scalar(select(Response.not_asked)) == ["long_wait", "staff_note", "wait_reason"]
        assert sorted(db.session.scalars(select(Answer.question_key))) == ["minutes", "service.staff", "service.wait"]
