"""A survey with sections answered page by page without JavaScript: Back, Next, progress, answers kept
across pages and on errors, piped text, and only the questions asked stored."""
import re
from html import unescape

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from survey.extensions import db
from survey.models import Answer, Response
from tests.factories import logic_definition, make_invitation, make_survey
from tests.pages import text_of

HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


def hidden_pairs(html: str) -> list[tuple[str, str]]:
    """Every hidden input, repeated names included (a multiple choice carried from another page)."""
    pairs = []
    for tag in HIDDEN.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            pairs.append((attributes["name"], unescape(attributes.get("value", ""))))
    return pairs


def send(client, page, answers: dict, action: str):
    """Post `page` (a response) as a browser would: its hidden fields, these answers, this button."""
    data: list[tuple[str, str]] = hidden_pairs(page.get_data(as_text=True))
    for name, value in answers.items():
        data += [(name, v) for v in (value if isinstance(value, list) else [value])]
    data.append(("action", action))
    response = client.post(page.request.path, data=MultiDict(data))
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.headers["Location"])


def given(app, **changes) -> str:
    with app.app_context():
        survey = make_survey(definition=logic_definition(**changes))
        invitation = make_invitation(survey)
        invitation.contact.name = "Ann <Lee>"
        db.session.commit()
        return invitation.token


def test_pages_with_back_next_progress_and_piping(client, app):
    token = given(app)
    first = client.get(f"/r/{token}")
    html = text_of(first)
    assert "Page 1 of 3" in html and "Your visit" in html
    assert 'name="q-satisfaction"' in html and 'name="q-channel"' not in html
    assert 'value="back"' not in html and 'value="next"' in html
    # A missing required answer keeps the customer on the page, with the error.
    again = send(client, first, {"q-recommend": "3"}, "next")
    assert again.status_code == 422 and "Page 1 of 3" in text_of(again)
    assert "Please answer this question." in text_of(again)
    second = send(client, again, {"q-satisfaction": "2"}, "next")
    html = text_of(second)
    assert "Page 2 of 3" in html and "What went wrong" in html
    assert "You rated us 2 of 5." in html  # piped from the first page
    assert ("q-satisfaction", "2") in hidden_pairs(second.get_data(as_text=True))  # carried
    third = send(client, second, {"q-channel": "Phone", "q-topics": ["Billing", "Product"]}, "next")
    html = text_of(third)
    assert "Page 3 of 3" in html and "Anything else, Ann <Lee>?" in html
    assert "Anything else, Ann &lt;Lee&gt;?" in third.get_data(as_text=True)  # escaped
    assert 'value="submit"' in html
    back = send(client, third, {"q-comment": "typed before going back"}, "back")
    html = back.get_data(as_text=True)
    assert "Page 2 of 3" in text_of(back) and 'value="Billing" checked' in html
    assert ("q-comment", "typed before going back") in hidden_pairs(html)
    # (A browser sends the page's ticked answers again; this helper sends only what it is given.)
    third = send(client, back, {"q-channel": "Phone", "q-topics": ["Billing", "Product"]}, "next")
    assert "typed before going back</textarea>" in third.get_data(as_text=True)
    done = client.post(third.request.path, data=MultiDict([*hidden_pairs(third.get_data(as_text=True)),
                                                           ("q-comment", "typed before going back"),
                                                           ("action", "submit")]))
    assert done.status_code == 303 and "/thanks" in done.headers["Location"]
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert response.not_asked == []
        assert db.session.scalar(select(Answer.value_text).where(Answer.question_key == "comment")) == \
            "typed before going back"


def test_a_section_whose_condition_fails_is_skipped_and_not_stored(client, app):
    token = given(app)
    first = client.get(f"/r/{token}")
    second = send(client, first, {"q-satisfaction": "5", "q-recommend": "8"}, "next")
    html = text_of(second)
    assert "Page 2 of 2" in html and "A little more" in html and "What went wrong" not in html
    back = send(client, second, {}, "back")
    assert "Page 1 of 2" in text_of(back)
    done = client.post(back.request.path, data=MultiDict([*hidden_pairs(back.get_data(as_text=True)),
                                                          ("q-satisfaction", "5"), ("q-channel", "Phone"),
                                                          ("action", "next")]))  # "channel" forged
    last = client.get(done.headers["Location"])
    sent = client.post(last.request.path, data=MultiDict([*hidden_pairs(last.get_data(as_text=True)),
                                                          ("action", "submit")]))
    assert sent.status_code == 303 and "/thanks" in sent.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(Response.not_asked)) == ["channel", "topics"]
        assert "channel" not in set(db.session.scalars(select(Answer.question_key)))


def test_end_if_sends_from_the_page_that_ends_the_survey(client, app):
    token = given(app)
    first = client.get(f"/r/{token}")
    sent = client.post(first.request.path, data=MultiDict([*hidden_pairs(first.get_data(as_text=True)),
                                                           ("q-satisfaction", "1"), ("q-recommend", "10"),
                                                           ("action", "next")]))
    assert sent.status_code == 303 and "/thanks" in sent.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(Response.not_asked)) == ["channel", "topics", "resolved", "comment"]


def test_save_and_finish_later_keeps_every_page(client, app):
    token = given(app)
    first = client.get(f"/r/{token}")
    second = send(client, first, {"q-satisfaction": "1"}, "next")
    saved = send(client, second, {"q-channel": "Email"}, "save")
    html = saved.get_data(as_text=True)
    assert "Your answers are saved." in html and "Page 1 of 3" in text_of(saved)
    assert ("q-channel", "Email") in hidden_pairs(html)


def test_the_public_link_pages_too_and_sees_no_contact(client, app):
    given(app)
    first = client.get("/s/support-logic")
    second = send(client, first, {"q-satisfaction": "5"}, "next")
    assert "Anything else, friend?" in text_of(second)


def test_a_survey_without_sections_is_one_page_as_before(client, app):
    with app.app_context():
        make_survey()
    html = client.get("/s/support-csat").get_data(as_text=True)
    assert "Page 1" not in html and 'name="page"' not in html and "<script" not in html


def test_contact_values_the_page_script_reads_are_escaped(client, app):
    definition = logic_definition()
    definition["questions"][1]["show_if"] = {"!=": [{"var": "contact.location"}, "Leeds"]}
    with app.app_context():
        survey = make_survey(definition=definition)
        invitation = make_invitation(survey)
        invitation.contact.attributes = {"location": '"><script>alert(1)</script>', "secret": "not shown"}
        db.session.commit()
        token = invitation.token
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and '"><script' not in html
    assert "\\u003cscript\\u003ealert(1)" in html  # in the attribute, as JSON, escaped
    assert "data-logic=" in html and "not shown" not in html  # only the attributes conditions read


def test_without_javascript_a_statement_and_a_number_decide_pages_and_questions(client, app):
    from tests.factories import typed_logic_definition

    with app.app_context():
        make_survey(definition=typed_logic_definition())
    first = client.get("/s/visit-logic")
    html = first.get_data(as_text=True)
    assert "Page 1 of 3" in text_of(first)
    assert 'name="q-long_wait"' in html and 'name="q-staff_note"' in html  # shown: decided when sent
    assert "data-show-if=" in html and "answers.service.staff" in unescape(html)
    second = send(client, first, {"q-service.wait": "2", "q-service.staff": "5", "q-minutes": "45",
                                  "q-long_wait": "the queue", "q-staff_note": "not for me"}, "next")
    assert "Page 2 of 3" in text_of(second) and "About the wait" in text_of(second)
    third = send(client, second, {"q-wait_reason": "Queue"}, "next")
    assert "Page 3 of 3" in text_of(third)
    back = send(client, third, {}, "back")
    first = send(client, back, {}, "back")
    assert 'value="2" checked' in first.get_data(as_text=True)  # kept, and not also carried as a hidden field
    assert ("q-service.wait", "2") not in hidden_pairs(first.get_data(as_text=True))
    again = send(client, first, {"q-service.wait": "4", "q-service.staff": "5", "q-minutes": "45",
                                 "q-long_wait": "the queue"}, "next")
    assert "Page 2 of 2" in text_of(again) and "About the wait" not in text_of(again)  # the wait is fine now
    done = client.post(again.request.path, data=MultiDict([*hidden_pairs(again.get_data(as_text=True)),
                                                           ("action", "submit")]))
    assert done.status_code == 303 and "/thanks" in done.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(Response.not_asked)) == ["staff_note", "wait_reason"]
        assert set(db.session.scalars(select(Answer.question_key))) == {
            "service.wait", "service.staff", "minutes", "long_wait"}
