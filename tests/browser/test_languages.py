"""Languages in Chromium: a French contact's email and survey are French, an Arabic one's survey reads right
to left and its layout mirrors, the switcher works without JavaScript, and axe-core finds nothing serious."""
from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import pytest

from survey import changes
from survey.extensions import db
from survey.mail import queue_invitation
from survey.outreach.contacts import import_contacts
from survey.outreach.invitations import personal_invitation
from tests.browser.test_accessibility import BLOCKING, audit
from tests.factories import NOW, make_definition, make_survey

pytestmark = pytest.mark.browser

# Set HEARKEN_SCREENSHOTS=/some/folder to keep the pages as PNG files to look at.
SHOTS = os.environ.get("HEARKEN_SCREENSHOTS")

TRANSLATIONS = {
    "fr": {"title": "Comment avons-nous fait ?",
           "questions": {"satisfaction": {"text": "Dans l’ensemble, êtes-vous satisfait de notre service ?",
                                          "options": ["Très insatisfait", "Insatisfait", "Ni l’un ni l’autre",
                                                      "Satisfait", "Très satisfait"]}}},
    "ar": {"title": "كيف كان أداؤنا؟",
           "questions": {"satisfaction": {"text": "بشكل عام، ما مدى رضاك عن خدمتنا؟",
                                          "options": ["غير راضٍ إطلاقًا", "غير راضٍ", "محايد", "راضٍ",
                                                      "راضٍ جدًا"]}}},
}


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def given_contacts(app) -> dict[str, str]:
    """A translated survey and a personal link for a French and an Arabic contact (language attribute)."""
    with app.app_context():
        survey = make_survey(definition=make_definition(translations=TRANSLATIONS))
        import_contacts(io.BytesIO(b"email,name,language\nmarie@example.com,Marie,fr\nsamir@example.com,Samir,ar\n"),
                        now=NOW)
        return {language: personal_invitation(survey, email, now=NOW).token
                for language, email in (("fr", "marie@example.com"), ("ar", "samir@example.com"))}


def shoot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_a_french_contact_gets_a_french_email_and_answers_a_french_survey(app, live_server, page, axe):
    tokens = given_contacts(app)
    with app.app_context():
        from survey.models import Invitation
        invitation = db.session.scalar(db.select(Invitation).filter_by(token=tokens["fr"]))
        email = queue_invitation(invitation, now=NOW)
        db.session.commit()
        subject, text, html = email.subject, email.text_body, email.html_body or ""
    assert subject.startswith("Comment avons-nous fait ? — "), subject  # the survey's title, translated
    assert "Bonjour Marie," in text and "Dans l’ensemble, êtes-vous satisfait" in text, text
    assert 'lang="fr"' in html
    page.goto(f"{live_server}/r/{tokens['fr']}")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("h1").inner_text() == "Comment avons-nous fait ?"
    assert page.locator("#submission-button").inner_text() == "Envoyer mes réponses"
    assert "Très satisfait" in page.inner_text("body")
    assert "What was it about?" in page.inner_text("body")  # not translated: English, per text
    violations = [v for v in audit(axe, page) if v["impact"] in BLOCKING]
    assert violations == [], violations
    page.click("#submission-button")  # a required question left out: the error is French too
    page.wait_for_selector("#error-summary")
    assert "Veuillez répondre à cette question." in page.inner_text("body")
    assert [v for v in audit(axe, page) if v["impact"] in BLOCKING] == []
    page.check("#q-satisfaction-4")
    page.click("#submission-button")
    page.wait_for_url("**/thanks**")
    assert page.locator("html").get_attribute("lang") == "fr" and "Merci" in page.inner_text("body")
    with app.app_context():
        from survey.models import Response
        assert db.session.scalar(db.select(Response.language)) == "fr"


def test_an_arabic_contact_reads_right_to_left_and_the_layout_mirrors(app, live_server, browser, axe):
    tokens = given_contacts(app)
    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server}/r/{tokens['ar']}")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("html").get_attribute("lang") == "ar"
        assert page.locator("h1").inner_text() == "كيف كان أداؤنا؟"
        assert page.locator("#submission-button").inner_text() == "إرسال إجاباتي"
        assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
        # a radio button stands to the right of its words, and the text starts at the right edge
        radio = page.locator("#q-satisfaction-5").bounding_box()
        words = page.locator("label[for=q-satisfaction-5]").bounding_box()
        assert radio and words and radio["x"] > words["x"], (radio, words)
        heading = page.locator("h1").bounding_box()
        assert heading and heading["x"] + heading["width"] > width * 0.6
        shoot(page, f"survey-ar-{width}")
        if width == 1280:
            assert [v for v in audit(axe, page) if v["impact"] in BLOCKING] == []
        context.close()


def test_the_switcher_changes_the_language_without_javascript(app, live_server, browser):
    given_contacts(app)
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_server}/s/support-csat")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("nav.languages a[hreflang=fr]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#submission-button").inner_text() == "Envoyer mes réponses"
    page.goto(f"{live_server}/s/support-csat")  # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "fr"
    context.close()


def test_the_arabic_changes_page_has_no_serious_violations(app, live_server, page, axe):
    with app.app_context():
        make_survey()
        entry = changes.save_change(None, changes.ChangeInput(
            title="Shorter queues", you_said="The queue was long", we_did="We opened a **second** desk.",
            category="Stores", status="done", changed_on=date(2026, 10, 1)), actor_id=None, now=NOW)
        changes.publish(entry, now=NOW)
    page.goto(f"{live_server}/changes?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    shoot(page, "changes-ar")
    assert [v for v in audit(axe, page) if v["impact"] in BLOCKING] == []
