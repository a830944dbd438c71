"""Issue 23's customer texts in the customer's language: a paged survey with every new question type, its
section titles and matrix statements from the survey's own translations, and a French email's footer."""
import io

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from survey import mail
from survey.authoring import translator_files
from survey.authoring.definitions import DefinitionError, parse_survey
from survey.authoring.editing import find_survey
from survey.extensions import db
from survey.models import OutboxMessage
from tests.factories import NOW, make_definition, make_invitation, make_survey
from tests.pages import text_of
from tests.survey.types_definition import types_definition
from tests.survey.views.test_respond_pages import send

PRIVACY = "https://example.com/privacy"
# Every English sentence or word the new features put on a survey page.
ENGLISH = ("Next", "Back", "Other: please say what", ">Other<", "A whole number", "A number", "A date",
           "written year-month-day", "Number the options", "Page 1 of", "Page 2 of", "Privacy notice",
           "personal link", "(required)")
FRENCH = {"sections": {"about": {"title": "Votre visite", "intro": "Quelques détails, s’il vous plaît."}},
          "questions": {"service": {"statements": {"wait": "Temps d’attente"}}}}


def paged_types(**translations) -> dict:
    """Every new type on a first page (a section with an intro), a text question on a second."""
    definition = types_definition(translations=translations) if translations else types_definition()
    definition["sections"] = [{"key": "about", "title": "Your visit", "intro": "A few details, please."},
                              {"key": "more", "title": "A little more"}]
    for question in definition["questions"]:
        question["section"] = "about"
    definition["questions"].append({"key": "comment", "type": "text", "text": "Anything else?", "section": "more"})
    return definition


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_paged_survey_with_every_new_type_has_no_english_interface_text(app, client, language):
    app.config["PRIVACY_URL"] = PRIVACY
    with app.app_context():
        # Arabic is offered once the survey has an Arabic text; its sections stay the survey's own.
        survey = make_survey(definition=paged_types(fr=FRENCH, ar={"title": "كل الأنواع الجديدة"}))
        token = make_invitation(survey).token
    client.get(f"/r/{token}?lang={language}")
    first = client.get(f"/r/{token}")
    second = send(client, first, {"q-overall": "3"}, "next")
    pages = text_of(first), text_of(second)
    assert 'value="next"' in pages[0] and 'value="back"' in pages[1]
    for page in pages:
        found = [english for english in ENGLISH if english in page]
        assert not found, found
    if language == "fr":
        assert "Page 1 sur 2" in pages[0] and "Suivant" in pages[0] and "Retour" in pages[1]
        assert "Autre : veuillez préciser" in pages[0] and "Un nombre entier d’au moins 1." in pages[0]
        assert "Numérotez les options de 1 (la première) à 3 (la dernière)" in pages[0]
        assert "Politique de confidentialité" in pages[0]
        # the survey's own translations: the section's title and intro, a matrix statement
        assert "Votre visite" in pages[0] and "Quelques détails, s’il vous plaît." in pages[0]
        assert "Temps d’attente" in pages[0] and "Staff" in pages[0]  # not translated: the survey's own
        assert "Your visit" not in pages[0] and "Wait time" not in pages[0]
    else:
        assert '<html lang="ar" dir="rtl">' in pages[0]
        assert "الصفحة 1 من 2" in pages[0] and "التالي" in pages[0] and "رجوع" in pages[1]
        assert "Your visit" in pages[0]  # no Arabic translation: the survey's own text


def test_the_new_answer_errors_are_in_the_customers_language(app, client):
    with app.app_context():
        french = {"title": "Tous les nouveaux types",
                  "questions": {"service": {"statements": {"wait": "Temps d’attente"}}}}
        make_survey(definition=types_definition(translations={"fr": french}))
    client.get("/s/types?lang=fr")
    page = send_errors(client)
    assert "Veuillez indiquer un nombre de 0 à 10000." in page
    assert "Veuillez indiquer une date du 2026-01-01 au 2026-12-31." in page
    assert "Veuillez donner à chaque option un numéro différent, de 1 à 3." in page
    assert "Vous avez choisi «\u00a0Phone\u00a0» et avez aussi écrit une réponse pour «\u00a0Autre\u00a0»" in page
    # a matrix's statements are named as the customer read them
    assert "Cette réponse ne fait pas partie des choix. Veuillez choisir à nouveau. (Temps d’attente)" in page
    assert "Please" not in page


def send_errors(client) -> str:
    from tests.pages import post_form

    sent = post_form(client, "/s/types", {
        "q-overall": "2", "q-service.wait": "6", "q-spend": "20000", "q-visit": "2025-01-01", "q-channel": "Phone",
        "q-channel.other": "By pigeon", "q-priorities.1": "1", "q-priorities.2": "1", "q-priorities.3": "2",
        "action": "submit"})
    assert sent.status_code == 303  # to the page again, with the errors
    return text_of(client.get(sent.headers["Location"]))


def test_a_french_email_says_why_in_french_with_the_privacy_link(app, ctx):
    app.config["PRIVACY_URL"] = PRIVACY
    survey = make_survey(definition=make_definition(translations={"fr": {"title": "Comment avons-nous fait ?"}}))
    invitation = make_invitation(survey, email="ann@example.com")
    invitation.contact.attributes = {"language": "fr"}
    db.session.commit()
    mail.queue_invitation(invitation, now=NOW)
    db.session.commit()
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invitation")).one()
    why = "Vous recevez ce message parce que Hearken vous a personnellement demandé votre avis."
    assert why in row.text_body and why in row.html_body
    assert f"Politique de confidentialité : {PRIVACY}\n" in row.text_body
    assert f'href="{PRIVACY}" style="color:#52606d;">Politique de confidentialité</a>' in row.html_body
    assert "Privacy notice" not in row.text_body + row.html_body
    assert "You received" not in row.text_body + row.html_body


# --- the survey's own translations of sections and statements --------------------------------------------

@pytest.mark.parametrize(("translation", "problem"), [
    ({"sections": {"nope": {"title": "Non"}}}, "translations.fr.sections.nope: no section has the key 'nope'"),
    ({"sections": {"about": {"heading": "x"}}}, "translations.fr.sections.about.heading: unknown field"),
    ({"sections": {"more": {"intro": "x"}}}, "translations.fr.sections.more.intro: the survey has no text here"),
    ({"questions": {"service": {"statements": {"nope": "Non"}}}},
     "translations.fr.questions.service.statements.nope: no statement has the key 'nope'"),
    ({"questions": {"spend": {"statements": {"wait": "x"}}}},
     "translations.fr.questions.spend.statements: a numeric question has no statements to translate"),
    ({"questions": {"service": {"statements": ["x"]}}},
     "translations.fr.questions.service.statements: must be an object of statement keys"),
])
def test_a_bad_section_or_statement_translation_is_named(translation, problem):
    with pytest.raises(DefinitionError) as refused:
        parse_survey(paged_types(fr=translation))
    assert any(found.startswith(problem) for found in refused.value.problems), refused.value.problems


def test_sections_and_statements_go_to_the_translator_and_back(ctx):
    survey = make_survey(definition=paged_types(), status="draft")
    catalog = read_po(io.BytesIO(translator_files.export_po(survey, "fr", NOW)))
    places = {message.context: message.id for message in catalog if message.id}
    assert places["sections.about.title"] == "Your visit"
    assert places["sections.about.intro"] == "A few details, please."
    assert places["sections.more.title"] == "A little more" and "sections.more.intro" not in places
    assert places["questions.service.statements.wait"] == "Wait time"
    assert places["questions.service.statements.staff"] == "Staff"
    for message in catalog:
        if message.context in ("sections.about.title", "sections.about.intro", "questions.service.statements.wait"):
            message.string = {"sections.about.title": "Votre visite", "sections.about.intro": "Quelques détails.",
                              "questions.service.statements.wait": "Temps d’attente"}[message.context]
    out = io.BytesIO()
    from babel.messages.pofile import write_po
    write_po(out, catalog)
    report = translator_files.import_po(survey, out.getvalue(), now=NOW)
    assert report.translated == 3
    assert find_survey("types").current_version.translations == {"fr": {
        "sections": {"about": {"title": "Votre visite", "intro": "Quelques détails."}},
        "questions": {"service": {"statements": {"wait": "Temps d’attente"}}}}}


def test_a_timed_out_complaint_page_says_so_in_french(client):
    from tests.pages import hidden_fields

    fields = hidden_fields(client.get("/complain?lang=fr").get_data(as_text=True))
    refused = client.post("/complain", data={**fields, "csrf_token": "expired", "kind": "complaint",
                                             "message": "Gardé"})
    assert refused.status_code == 400
    assert "Votre page a expiré par sécurité. Votre message est toujours ci-dessous" in text_of(refused)
