"""Every page fits a phone's width (375 px): a wide table scrolls by itself, never the whole page."""
from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.security.conftest import respond_low, seed_world

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def test_pages_fit_a_phone(app, live_server, phone):
    seeded = seed_world(app)
    respond_low(app.test_client(), seeded["token"])  # a response and its follow-up case
    phone.goto(f"{live_server}/login")
    phone.fill("input[name=email]", "admin@example.com")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("button[type=submit]")
    pages = [f"/s/{seeded['slug']}", f"/r/{seeded['token']}", "/complain", "/changes",
             "/manage/", f"/manage/surveys/{seeded['slug']}", f"/manage/surveys/{seeded['slug']}/results",
             f"/manage/surveys/{seeded['slug']}/responses", f"/manage/surveys/{seeded['slug']}/sending",
             "/manage/cases/", "/manage/cases/1", "/manage/changes/", f"/manage/changes/{seeded['change']}",
             "/manage/contacts/", f"/manage/contacts/{seeded['contact']}", "/manage/alerts/"]
    too_wide = {}
    for path in pages:
        response = phone.goto(f"{live_server}{path}")
        assert response.status == 200, path
        for details in phone.locator("details").all():  # tables folded away count too, once opened
            details.evaluate("element => element.open = true")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
    assert too_wide == {}


@pytest.mark.parametrize("first", ["nps", "rating"])
def test_an_invitation_with_one_click_buttons_fits_a_phone(app, phone, first):
    """The buttons for the first question wrap onto another line rather than widen the email."""
    from survey import mail
    from tests.factories import DEFINITION, make_definition, make_invitation, make_survey

    questions = sorted(DEFINITION["questions"], key=lambda question: question["type"] != first)
    with app.app_context():
        invitation = make_invitation(make_survey(definition=make_definition(questions=questions)))
        html = mail.render_invitation(invitation).html
    assert html.count("rating=") >= 5
    phone.set_content(html)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
