"""The editor builds issue 23's question types from its form (no JavaScript), names the field of a bad one,
and adds the Customer Effort Score preset with one button."""
from __future__ import annotations

import pytest

from survey.authoring.definitions import question_definition, question_spec
from survey.authoring.editing import find_survey
from tests.factories import make_survey, make_user
from tests.pages import log_in, post_form, text_of

URL = "/manage/surveys/support-csat"


@pytest.fixture
def editor(client, app):
    with app.app_context():
        make_survey(status="draft")
        email = make_user(role="editor").email
    log_in(client, email)
    return email


def test_each_new_type_is_added_from_the_form_and_shown_back_for_editing(client, app, editor):
    questions = [
        {"key": "service", "type": "matrix", "text": "How was…", "options": "Bad\nFair\nGood",
         "statements": "wait: Wait time\nFriendly staff"},
        {"key": "via", "type": "choice", "text": "How?", "options": "Phone\nEmail", "other": "y"},
        {"key": "spend", "type": "numeric", "text": "How much?", "minimum": "0", "maximum": "99,5"},
        {"key": "orders", "type": "numeric", "text": "How many?", "minimum": "1", "integer": "y"},
        {"key": "visit", "type": "date", "text": "When?", "minimum": "2026-01-01"},
        {"key": "order", "type": "ranking", "text": "Rank", "options": "Price\nSpeed"},
    ]
    for question in questions:
        response = post_form(client, f"{URL}/questions", question, page=URL)
        assert response.status_code == 302, text_of(response)
    with app.app_context():
        version = find_survey("support-csat").current_version
        defined = {q.key: question_definition(question_spec(q)) for q in version.questions}
    assert defined["service"]["statements"] == [{"key": "wait", "text": "Wait time"},
                                                {"key": "friendly_staff", "text": "Friendly staff"}]
    assert defined["via"]["other"] is True
    assert (defined["spend"]["min"], defined["spend"]["max"]) == (0, 99.5)
    assert defined["orders"]["integer"] is True and defined["visit"]["min"] == "2026-01-01"
    assert defined["order"]["options"] == ["Price", "Speed"]
    page = text_of(client.get(f"{URL}/questions/service"))
    assert "wait: Wait time\nfriendly_staff: Friendly staff" in page
    assert 'value="99.5"' in text_of(client.get(f"{URL}/questions/spend"))


def test_a_bad_new_type_is_refused_at_its_field(client, app, editor):
    response = post_form(client, f"{URL}/questions", {"key": "m", "type": "matrix", "text": "?",
                                                       "options": "Bad\nGood", "statements": ""}, page=URL)
    html = text_of(response)
    assert response.status_code == 422 and 'id="statements-error"' in html
    response = post_form(client, f"{URL}/questions", {"key": "n", "type": "numeric", "text": "?",
                                                       "minimum": "ten"}, page=URL)
    assert response.status_code == 422 and 'id="minimum-error"' in text_of(response)
    with app.app_context():
        assert len(find_survey("support-csat").current_version.questions) == 6


def test_the_ces_preset_adds_the_standard_question(client, app, editor):
    assert post_form(client, f"{URL}/presets/ces", page=URL).status_code == 302
    assert post_form(client, f"{URL}/presets/ces", page=URL).status_code == 302
    with app.app_context():
        version = find_survey("support-csat").current_version
        effort, again = version.question("effort"), version.question("effort_2")
    assert effort.text == "Hearken made it easy for me to handle my issue." and effort.preset == "ces"
    assert effort.options[0] == "Strongly disagree" and len(effort.options) == 7 and again is not None
    assert client.get(f"{URL}/presets/ces").status_code == 405  # no change on GET


def test_editing_the_ces_question_keeps_it_a_ces_question(client, app, editor):
    post_form(client, f"{URL}/presets/ces", page=URL)
    page = text_of(client.get(f"{URL}/questions/effort"))
    assert 'name="preset" type="hidden" value="ces"' in page or 'value="ces"' in page
    scale = "\n".join(["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
                       "Somewhat agree", "Agree", "Strongly agree"])
    edited = post_form(client, f"{URL}/questions/effort", {"key": "effort", "type": "rating", "preset": "ces",
                                                            "text": "The help desk made it easy.", "options": scale},
                       page=f"{URL}/questions/effort")
    assert edited.status_code == 302, text_of(edited)
    with app.app_context():
        effort = find_survey("support-csat").current_version.question("effort")
    assert effort.text == "The help desk made it easy." and effort.preset == "ces"
