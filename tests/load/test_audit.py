"""The checks the reliability suites end with can fail: each kind of loss or duplicate is reported."""
from __future__ import annotations

from sqlalchemy import update

from survey import mail
from survey.clock import utcnow
from survey.extensions import db
from survey.models import OutboxMessage
from survey.outreach.invitations import public_respondent
from survey.responding.submission import Consents, submit_response
from tests.factories import make_survey
from tests.load.audit import audit_emails, audit_responses
from tests.load.respondents import Ledger
from tests.survey.background.test_dispatch import queue_messages

ANSWERS = {"satisfaction": 4}


def store(survey, respondent: str, key: str, answers=None) -> None:
    submit_response(survey.current_version, public_respondent(respondent), answers or ANSWERS, Consents(),
                    submission_key=key, now=utcnow())


def ledger_of(*acknowledged: tuple[str, str, dict], attempted: tuple[tuple[str, str], ...] = ()) -> Ledger:
    ledger = Ledger()
    for respondent, key in attempted:
        ledger.attempt(respondent, key)
    for respondent, key, answers in acknowledged:
        ledger.attempt(respondent, key)
        ledger.acknowledge(respondent, key, answers)
    return ledger


def test_responses_stored_as_acknowledged_pass(ctx):
    survey = make_survey()
    store(survey, "ann", "k1")
    store(survey, "ann", "k2", {"satisfaction": 2})
    audit = audit_responses(ledger_of(("ann", "k1", ANSWERS), ("ann", "k2", {"satisfaction": 2})))
    assert audit.problems == {}
    assert (audit.acknowledged, audit.stored_responses, audit.stored_revisions) == (2, 1, 2)


def test_a_thank_you_without_a_stored_response_is_missing(ctx):
    make_survey()
    assert audit_responses(ledger_of(("ann", "k1", ANSWERS))).problems.keys() == {"missing"}


def test_other_answers_than_those_acknowledged_are_reported(ctx):
    store(make_survey(), "ann", "k1", {"satisfaction": 1})
    assert audit_responses(ledger_of(("ann", "k1", ANSWERS))).problems.keys() == {"wrong_answers"}


def test_one_respondent_in_two_responses_is_a_duplicate(ctx):
    survey = make_survey()
    store(survey, "ann", "k1")
    store(survey, "ann-again", "k2")  # the server forgot who Ann was
    audit = audit_responses(ledger_of(("ann", "k1", ANSWERS), ("ann", "k2", ANSWERS)))
    assert "duplicates" in audit.problems


def test_a_response_nobody_sent_is_reported(ctx):
    survey = make_survey()
    store(survey, "ann", "k1")
    store(survey, "bob", "k9")
    assert audit_responses(ledger_of(("ann", "k1", ANSWERS))).problems.keys() == {"unknown"}


def test_an_older_submission_as_the_current_answer_is_reported(ctx):
    survey = make_survey()
    store(survey, "ann", "k2", {"satisfaction": 2})
    store(survey, "ann", "k1")  # stored last although sent first
    ledger = ledger_of(("ann", "k1", ANSWERS), ("ann", "k2", {"satisfaction": 2}))
    assert audit_responses(ledger).problems.keys() == {"inconsistent"}


def raw_messages(message_ids: list[str]) -> list[bytes]:
    rows = {row.message_id: row for row in db.session.scalars(db.select(OutboxMessage))}
    return [mail.envelope(rows[message_id], "Hearken <feedback@example.test>", now=utcnow()).data
            for message_id in message_ids]


def test_emails_received_once_or_repeated_with_their_message_id_pass(ctx):
    ids = queue_messages(3)
    db.session.execute(update(OutboxMessage).values(status="sent"))
    audit = audit_emails(raw_messages([*ids, ids[0]]))
    assert audit.problems == {} and audit.duplicates == 1


def test_an_email_never_received_or_not_recorded_sent_is_reported(ctx):
    ids = queue_messages(3)
    audit = audit_emails(raw_messages(ids[:2]))
    assert audit.problems.keys() == {"never_received", "not_sent"}


def test_two_different_messages_to_one_recipient_are_reported(ctx):
    ids = queue_messages(2, recipient="same@example.com")
    db.session.execute(update(OutboxMessage).values(status="sent"))
    assert audit_emails(raw_messages(ids)).problems.keys() == {"mixed"}
