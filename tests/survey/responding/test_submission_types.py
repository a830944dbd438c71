"""Answering the question types of issue 23: a matrix's statements and "Other, please specify"."""
import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Answer, AnswerCount, ResponseRevision
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import (
    MISSING,
    NOT_A_CHOICE,
    Consents,
    form_values,
    parse_answers,
    resume,
    submit_response,
)
from tests.factories import NOW, make_invitation, make_survey
from tests.survey.types_definition import types_definition


def form(**answers):
    return {f"q-{key.replace('__', '.')}": value if isinstance(value, list) else [value]
            for key, value in answers.items()}


@pytest.mark.parametrize("answers, values, errors", [
    ({"service__wait": "4", "service__staff": "5"}, {"service.wait": 4, "service.staff": 5}, {}),
    ({"service__wait": "4"}, {"service.wait": 4}, {}),
    ({"service__wait": "6"}, {}, {"service": f"{NOT_A_CHOICE} (Wait time)"}),
    ({"service__wait": ["4", "5"]}, {}, {"service": f"{NOT_A_CHOICE} (Wait time)"}),
    ({"channel": "Other", "channel__other": " By pigeon "}, {"channel": "Other", "channel.other": "By pigeon"}, {}),
    ({"channel": "Other"}, {"channel": "Other"}, {}),
    ({"channel__other": "By pigeon"}, {"channel": "Other", "channel.other": "By pigeon"}, {}),
    ({"channel": "Phone", "channel__other": "By pigeon"}, {},
     {"channel": "You chose “Phone” and also wrote an answer for “Other”: choose “Other”, or clear its text."}),
    ({"channel": "Phone", "channel__other": "  "}, {"channel": "Phone"}, {}),
    ({"channel": "Fax"}, {}, {"channel": NOT_A_CHOICE}),
    ({"topics": ["Other", "Billing"], "topics__other": "Refunds"},
     {"topics": ["Billing", "Other"], "topics.other": "Refunds"}, {}),
    ({"topics": ["Delivery"], "topics__other": "Refunds"},
     {"topics": ["Delivery", "Other"], "topics.other": "Refunds"}, {}),
    ({"topics__other": "x" * 501}, {}, {"topics": "Please keep this answer under 500 characters (it has 501)."}),
    ({"spend": " 12,5 ", "orders": "3", "visit": "2026-03-31"}, {"spend": 12.5, "orders": 3, "visit": "2026-03-31"},
     {}),
    ({"spend": "1 000.25"}, {"spend": 1000.25}, {}),
    ({"spend": "1,000.25"}, {}, {"spend": "Please write the number without thousands separators, e.g. 1000.5."}),
    ({"spend": "twelve"}, {}, {"spend": "Please write a number, e.g. 3.5."}),
    ({"spend": "-1"}, {}, {"spend": "Please give a number from 0 to 10000."}),
    ({"orders": "2.5"}, {}, {"orders": "Please write a whole number."}),
    ({"orders": "0"}, {}, {"orders": "Please give a number of at least 1."}),
    ({"visit": "31/03/2026"}, {}, {"visit": "Please write the date as year-month-day, e.g. 2026-03-31."}),
    ({"visit": "2025-12-31"}, {}, {"visit": "Please give a date from 2026-01-01 to 2026-12-31."}),
    ({"visit": ["2026-03-31", "2026-04-01"]}, {}, {"visit": "Please give one answer."}),
    ({"priorities__1": "2", "priorities__2": "3", "priorities__3": "1"}, {"priorities": ["Care", "Price", "Speed"]},
     {}),
    ({"priorities__1": "1", "priorities__2": "1", "priorities__3": "2"}, {},
     {"priorities": "Please give each option a different number from 1 to 3."}),
    ({"priorities__1": "1", "priorities__2": "4", "priorities__3": "2"}, {},
     {"priorities": "Please give each option a different number from 1 to 3."}),
    ({"priorities__1": "1"}, {}, {"priorities": "Please number every option, from 1 (first) to 3."}),
    ({"priorities__1": " ", "priorities__2": ""}, {}, {}),
])
def test_parse_matrix_and_other(ctx, answers, values, errors):
    survey = make_survey(definition=types_definition())
    parsed = parse_answers(survey.current_version.questions, form(overall="3", **answers))
    assert parsed.values == {"overall": 3, **values}
    assert parsed.errors == errors


def test_a_required_matrix_needs_every_statement(ctx):
    definition = types_definition()
    definition["questions"][1]["required"] = True
    survey = make_survey(definition=definition)
    parsed = parse_answers(survey.current_version.questions, form(overall="3", service__staff="2"))
    assert parsed.errors == {"service": "Please answer every statement: Wait time not answered yet."}
    assert MISSING  # (the matrix names what is missing instead of the one-question message)


def test_matrix_and_other_are_stored_as_parts_and_counted_and_shown_back(ctx):
    survey = make_survey(definition=types_definition())
    version = survey.current_version
    respondent = invited_respondent(make_invitation(survey))
    values = parse_answers(version.questions, form(
        overall="3", service__wait="2", service__staff="5", channel__other="By pigeon", topics=["Other"],
        topics__other="Refunds", priorities__1="3", priorities__2="1", priorities__3="2")).values
    submit_response(version, respondent, values, Consents(), submission_key="a" * 20, now=NOW)
    rows = {(a.question_key, a.value_int, a.value_text) for a in db.session.scalars(select(Answer))}
    assert rows == {("overall", 3, None), ("service.wait", 2, None), ("service.staff", 5, None),
                    ("channel", 0, "Other"), ("channel.other", None, "By pigeon"),
                    ("topics", 0, "Other"), ("topics.other", None, "Refunds"),
                    ("priorities", 1, "Speed"), ("priorities", 2, "Care"), ("priorities", 3, "Price")}
    cells = {(c.question_key, c.value_int): c.count for c in db.session.scalars(select(AnswerCount))
             if c.segment_name == ""}
    assert cells[("service.wait", 2)] == 1 and cells[("service.staff", 5)] == 1 and cells[("channel", 0)] == 1
    revision = db.session.scalar(select(ResponseRevision))
    assert revision.answers["service.wait"] == 2 and revision.answers["channel.other"] == "By pigeon"
    shown = resume(respondent.key).fields
    assert shown["q-service.wait"] == ["2"] and shown["q-channel"] == ["Other"]
    assert shown["q-channel.other"] == ["By pigeon"]
    assert (shown["q-priorities.1"], shown["q-priorities.2"], shown["q-priorities.3"]) == (["3"], ["1"], ["2"])
    assert form_values(version.questions, {"topics": ["Billing", "Other"]}) == {"q-topics": ["Billing", "Other"]}


def test_the_form_shows_a_matrix_as_statements_and_other_with_its_box(client, app):
    with app.app_context():
        make_survey(definition=types_definition())
    page = client.get("/s/types").get_data(as_text=True)
    assert '<legend>Wait time</legend>' in page and 'name="q-service.staff"' in page
    assert 'id="q-service-1"' in page  # the error summary's link target
    assert 'type="date" id="q-visit" name="q-visit" value="" min="2026-01-01" max="2026-12-31"' in page
    assert 'inputmode="numeric" id="q-orders"' in page and 'inputmode="decimal" id="q-spend"' in page
    assert '<select id="q-priorities-1" name="q-priorities.1">' in page
    assert '<label for="q-priorities.2">Speed</label>' in page
    assert 'name="q-channel" value="Other"' in page and 'name="q-channel.other"' in page
    assert '<label for="q-channel.other">Other: please say what</label>' in page
