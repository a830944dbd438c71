"""Display logic in the manager's question editor: conditions chosen from fields, never typed as JSON;
broken ones refused at their field naming the question and the condition."""
import json

import pytest

from survey.authoring.editing import find_survey
from tests.factories import logic_definition, make_survey, make_user
from tests.pages import log_in, post_form, text_of

URL = "/manage/surveys/support-csat"


@pytest.fixture
def editor(client, app):
    with app.app_context():
        email = make_user(role="editor").email
        make_survey(status="draft")
    log_in(client, email)
    return email


def test_a_condition_is_built_from_fields_and_shown_back(client, app, editor):
    page = client.get(f"{URL}/questions/comment").get_data(as_text=True)
    assert '<legend>Show this question only if' in page and 'value="answers.satisfaction"' in page
    assert 'value="answers.comment"' not in page.split('id="end_subject"')[0]  # not itself, nor later ones
    response = post_form(client, f"{URL}/questions/comment", {
        "key": "comment", "type": "text", "text": "What went wrong?", "long": "y",
        "show_subject": "answers.satisfaction", "show_operator": "<=", "show_value": "2",
        "end_subject": "", "end_operator": "==", "end_value": ""})
    assert response.status_code == 302, text_of(response)
    with app.app_context():
        assert find_survey("support-csat").current_version.question("comment").show_if == {
            "<=": [{"var": "answers.satisfaction"}, 2]}
    page = client.get(f"{URL}/questions/comment").get_data(as_text=True)
    assert '<option selected value="answers.satisfaction">' in page and 'value="2"' in page
    assert "Shown only if satisfaction is at most 2" in text_of(client.get(URL))


def test_contact_and_multiple_choice_and_end_conditions(client, app, editor):
    response = post_form(client, f"{URL}/questions/resolved", {
        "key": "resolved", "type": "yesno", "text": "Was it resolved?",
        "show_subject": "answers.topics", "show_operator": "in", "show_value": "Billing",
        "end_subject": "self", "end_operator": "==", "end_value": "Yes"})
    assert response.status_code == 302, text_of(response)
    response = post_form(client, f"{URL}/questions/channel", {
        "key": "channel", "type": "choice", "text": "How?", "options": "Phone\nEmail\nIn store",
        "show_subject": "contact", "show_attribute": "Location", "show_operator": "==", "show_value": "Leeds"})
    assert response.status_code == 302, text_of(response)
    with app.app_context():
        version = find_survey("support-csat").current_version
        assert version.question("resolved").show_if == {"in": ["Billing", {"var": "answers.topics"}]}
        assert version.question("resolved").end_if == {"==": [{"var": "answers.resolved"}, "yes"]}
        assert version.question("channel").show_if == {"==": [{"var": "contact.location"}, "Leeds"]}


@pytest.mark.parametrize("fields, problem", [
    ({"show_subject": "answers.satisfaction", "show_operator": "<=", "show_value": "9"},
     "9 is not an answer to 'satisfaction' (a whole number from 1 to 5)"),
    ({"show_subject": "answers.channel", "show_operator": "==", "show_value": "Fax"},
     "'Fax' is not an option of 'channel'"),
    ({"show_subject": "answers.comment", "show_operator": "==", "show_value": "x"},
     "refers to 'comment', which comes later in the survey"),
])
def test_a_bad_condition_is_refused_at_its_field_and_changes_nothing(client, app, editor, fields, problem):
    response = post_form(client, f"{URL}/questions/topics", {
        "key": "topics", "type": "multi", "text": "What was it about?", "options": "Billing\nDelivery\nProduct",
        **fields})
    html = text_of(response)
    assert response.status_code == 422 and problem in html
    assert 'id="show_value-error"' in html
    with app.app_context():
        assert find_survey("support-csat").current_version.question("topics").show_if is None


def test_removing_a_question_a_condition_reads_is_refused_naming_it(client, app, editor):
    with app.app_context():
        make_survey(definition=logic_definition(), status="draft")
    url = "/manage/surveys/support-logic"
    response = post_form(client, f"{url}/questions/channel/delete", page=url)
    assert "questions[2] (topics).show_if: refers to 'channel', which is not a question of this survey" in \
        text_of(client.get(response.headers["Location"]))


def test_a_complex_condition_is_kept_as_imported(client, app, editor):
    definition = logic_definition()
    complex_condition = {"or": [{"<=": [{"var": "answers.satisfaction"}, 2]},
                                {"==": [{"var": "answers.recommend"}, 0]}]}
    definition["questions"][5]["show_if"] = complex_condition
    with app.app_context():
        make_survey(definition=definition, status="draft")
    url = "/manage/surveys/support-logic"
    page = client.get(f"{url}/questions/comment").get_data(as_text=True)
    assert '<option selected value="kept">' in page
    response = post_form(client, f"{url}/questions/comment", {
        "key": "comment", "type": "text", "text": "Anything else?", "section": "more", "show_subject": "kept"})
    assert response.status_code == 302, text_of(response)
    with app.app_context():
        assert find_survey("support-logic").current_version.question("comment").show_if == complex_condition
    assert json.dumps(complex_condition) in text_of(client.get(url))


def test_the_preview_pages_as_customers_do_and_stores_nothing(client, app, editor):
    with app.app_context():
        make_survey(definition=logic_definition(), status="draft")
    url = "/manage/surveys/support-logic/preview"
    first = text_of(client.get(url))
    assert "Page 1 of 3" in first
    second = post_form(client, url, {"q-satisfaction": "1", "action": "next"})
    assert second.status_code == 200 and "Page 2 of 3" in text_of(second) and "You rated us 1 of 5." in text_of(second)
    refused = post_form(client, url, {"action": "next"})
    assert refused.status_code == 422 and "Page 1 of 3" in text_of(refused)


def test_a_condition_on_a_matrix_statement_or_a_number_is_chosen_from_lists(client, app, editor):
    from tests.factories import typed_logic_definition

    with app.app_context():
        make_survey(definition=typed_logic_definition(), status="draft")
    url = "/manage/surveys/visit-logic"
    page = client.get(f"{url}/questions/comment").get_data(as_text=True)
    assert 'value="answers.service.wait"' in page and 'value="answers.service.staff"' in page
    assert 'value="answers.service"' not in page  # a matrix is read statement by statement
    assert "the answer to “The waiting time” (in “How was our service?”)" in page
    fields = {"key": "comment", "type": "text", "text": "Anything else?", "section": "last"}
    response = post_form(client, f"{url}/questions/comment", {
        **fields, "show_subject": "answers.service.wait", "show_operator": "<=", "show_value": "2",
        "end_subject": "", "end_operator": "==", "end_value": ""})
    assert response.status_code == 302, text_of(response)
    response = post_form(client, f"{url}/questions/wait_reason", {
        "key": "wait_reason", "type": "choice", "text": "Why?", "options": "Queue\nBooking\nOther reasons",
        "section": "waiting", "show_subject": "answers.minutes", "show_operator": ">", "show_value": " 30 "})
    assert response.status_code == 302, text_of(response)
    with app.app_context():
        version = find_survey("visit-logic").current_version
        assert version.question("comment").show_if == {"<=": [{"var": "answers.service.wait"}, 2]}
        assert version.question("wait_reason").show_if == {">": [{"var": "answers.minutes"}, 30]}
    assert "Shown only if service.wait is at most 2" in text_of(client.get(url))
    page = client.get(f"{url}/questions/comment").get_data(as_text=True)
    assert '<option selected value="answers.service.wait">' in page


@pytest.mark.parametrize("fields, problem", [
    ({"show_subject": "answers.minutes", "show_operator": ">=", "show_value": "500"},
     "500 is not an answer to 'minutes' (a whole number from 0 to 240)"),
    ({"show_subject": "answers.minutes", "show_operator": ">=", "show_value": "half an hour"},
     "'half an hour' is not an answer to 'minutes'"),
    ({"show_subject": "answers.service.wait", "show_operator": "<=", "show_value": "9"},
     "9 is not an answer to 'service.wait' (a whole number from 1 to 5)"),
    ({"show_subject": "answers.service.price", "show_operator": "<=", "show_value": "2"},
     "refers to service.price, which is not a statement of 'service'"),
])
def test_a_statement_or_number_condition_that_cannot_hold_is_refused_at_its_field(client, app, editor, fields,
                                                                                  problem):
    from tests.factories import typed_logic_definition

    with app.app_context():
        make_survey(definition=typed_logic_definition(), status="draft")
    response = post_form(client, "/manage/surveys/visit-logic/questions/comment", {
        "key": "comment", "type": "text", "text": "Anything else?", "section": "last", **fields})
    html = text_of(response)
    assert response.status_code == 422 and problem in html and 'id="show_value-error"' in html
    with app.app_context():
        assert find_survey("visit-logic").current_version.question("comment").show_if is None
