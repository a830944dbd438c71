"""Display logic when answers are stored: worked out on the server, answers to questions not shown dropped,
"not asked" recorded apart from "not answered"."""
from sqlalchemy import select

from survey.extensions import db
from survey.models import Answer, Response, ResponseRevision
from survey.outreach.invitations import invited_respondent, public_respondent
from survey.responding.submission import MISSING, Consents, parse_answers, submit_response
from tests.factories import NOW, logic_definition, make_invitation, make_survey


def form(**answers):
    return {f"q-{key}": value if isinstance(value, list) else [value] for key, value in answers.items()}


def test_questions_not_asked_are_neither_required_nor_kept(ctx):
    survey = make_survey(definition=logic_definition())
    version = survey.current_version
    parsed = parse_answers(version.questions, form(satisfaction="4", channel="Fax", topics="Billing"),
                           version=version)
    # "channel" was not asked (the rating is above 2): its bad answer is no error and is dropped.
    assert parsed.errors == {} and parsed.values == {"satisfaction": 4}
    assert parsed.not_asked == ["channel", "topics"]
    version.questions[4].required = True  # "resolved", asked: its requirement stands
    assert parse_answers(version.questions, form(satisfaction="4"), version=version).errors == {"resolved": MISSING}


def test_the_server_drops_answers_to_questions_not_shown_whatever_the_form_sent(ctx):
    survey = make_survey(definition=logic_definition())
    version = survey.current_version
    values = {"satisfaction": 5, "recommend": 7, "channel": "Phone", "topics": ["Billing"], "comment": "hi"}
    submit_response(version, public_respondent("k" * 20), values, Consents(), submission_key="k" * 20, now=NOW)
    response = db.session.scalar(select(Response))
    assert response.not_asked == ["channel", "topics"]
    assert sorted(db.session.scalars(select(Answer.question_key))) == ["comment", "recommend", "satisfaction"]
    assert set(db.session.scalar(select(ResponseRevision.answers))) == {"satisfaction", "recommend", "comment"}


def test_end_if_stores_the_rest_as_not_asked(ctx):
    survey = make_survey(definition=logic_definition())
    submit_response(survey.current_version, public_respondent("e" * 20), {"satisfaction": 1, "recommend": 10,
                    "comment": "late"}, Consents(), submission_key="e" * 20, now=NOW)
    response = db.session.scalar(select(Response))
    assert response.not_asked == ["channel", "topics", "resolved", "comment"]
    assert sorted(db.session.scalars(select(Answer.question_key))) == ["recommend", "satisfaction"]


def test_contact_conditions_read_the_invited_contact(ctx):
    definition = logic_definition()
    definition["questions"][4]["show_if"] = {"==": [{"var": "contact.location"}, "Leeds"]}
    survey = make_survey(definition=definition)
    invitation = make_invitation(survey)
    invitation.contact.attributes = {"location": "Leeds"}
    db.session.commit()
    submit_response(survey.current_version, invited_respondent(invitation), {"satisfaction": 5, "resolved": True},
                    Consents(), submission_key="c" * 20, now=NOW)
    assert db.session.scalar(select(Response.not_asked)) == ["channel", "topics"]
    # The public link has no contact: the question is not asked there.
    submit_response(survey.current_version, public_respondent("p" * 20), {"satisfaction": 5, "resolved": True},
                    Consents(), submission_key="p" * 20, now=NOW)
    public = db.session.scalar(select(Response).where(Response.source == "public"))
    assert public.not_asked == ["channel", "topics", "resolved"]


def test_a_survey_without_logic_records_nothing_as_not_asked(ctx):
    survey = make_survey()
    submit_response(survey.current_version, public_respondent("n" * 20), {"satisfaction": 5}, Consents(),
                    submission_key="n" * 20, now=NOW)
    assert db.session.scalar(select(Response.not_asked)) is None


def test_conditions_on_a_statement_and_a_number_decide_on_the_server(ctx):
    from tests.factories import typed_logic_definition

    survey = make_survey(definition=typed_logic_definition())
    version = survey.current_version
    fields = {"q-service.wait": ["4"], "q-service.staff": ["5"], "q-minutes": ["12"],
              "q-long_wait": ["the queue"], "q-staff_note": ["rude"], "q-wait_reason": ["Queue"]}
    parsed = parse_answers(version.questions, fields, version=version)
    assert parsed.values == {"service.wait": 4, "service.staff": 5, "minutes": 12}
    assert parsed.not_asked == ["long_wait", "staff_note", "wait_reason"]
    fields.update({"q-service.wait": ["2"], "q-service.staff": ["1"], "q-minutes": ["30"]})
    parsed = parse_answers(version.questions, fields, version=version)
    assert parsed.not_asked == [] and parsed.values["long_wait"] == "the queue"
    assert parsed.values["staff_note"] == "rude" and parsed.values["wait_reason"] == "Queue"
    # A number the form could not read is no answer: the question it decides is not asked.
    fields["q-minutes"] = ["half an hour"]
    parsed = parse_answers(version.questions, fields, version=version)
    assert "long_wait" in parsed.not_asked and "minutes" in parsed.errors
