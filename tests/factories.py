"""Plain factory functions with keyword defaults; each commits what it makes."""
from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy import func, insert, select

from survey import accounts, authoring
from survey.authoring.definitions import parse_survey
from survey.extensions import db
from survey.models import Answer, Response
from survey.outreach.invitations import personal_invitation
from survey.results import rollups

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 1, 12, 0, 0)

DEFINITION = {
    "slug": "support-csat",
    "title": "How did we do?",
    "intro": "Two minutes, six questions.",
    "questions": [
        {"key": "satisfaction", "type": "rating", "text": "Overall, how satisfied are you with our service?",
         "scale": ["Extremely dissatisfied", "Dissatisfied", "Neither", "Satisfied", "Extremely satisfied"],
         "required": True, "why": "We track this every month to see whether we are getting better."},
        {"key": "recommend", "type": "nps", "text": "How likely are you to recommend us to a friend or colleague?"},
        {"key": "channel", "type": "choice", "text": "How did you contact us?",
         "options": ["Phone", "Email", "In store"]},
        {"key": "topics", "type": "multi", "text": "What was it about?", "options": ["Billing", "Delivery", "Product"]},
        {"key": "resolved", "type": "yesno", "text": "Was your issue resolved?"},
        {"key": "comment", "type": "text", "text": "What should we do better?", "long": True},
    ],
}


def make_definition(**changes) -> dict:
    definition = copy.deepcopy(DEFINITION)
    definition.update(changes)
    return definition


def make_user(*, email="manager@example.com", role="editor", password=PASSWORD, now=NOW):
    return accounts.create_user(email, password, role, now=now)


def make_survey(*, definition=None, status="published", now=NOW, **changes):
    spec = parse_survey(definition or make_definition(**changes))
    survey = authoring.create_survey(spec, actor=None, now=now, publish=status != "draft")
    if status == "closed":
        authoring.change_status(survey, "close", now=now)
    return survey


def make_invitation(survey, *, email="customer@example.com", now=NOW):
    return personal_invitation(survey, email, now=now)


def add_answers(survey, rows, *, key="satisfaction"):
    """rows: (day, location or None, value of question `key`) — inserted in bulk, as an import would, then
    rolled up; returns the new response ids."""
    version = survey.current_version
    base = db.session.scalar(select(func.count(Response.id))) or 0
    responses = [{"respondent_key": f"t:{base + i}", "survey_id": survey.id, "version_id": version.id,
                  "source": "import", "submitted_at": datetime.combine(day, datetime.min.time()),
                  "local_date": day, "updated_at": datetime.combine(day, datetime.min.time()),
                  "revisions_count": 1, "attributes": {"location": location} if location else {}}
                 for i, (day, location, _value) in enumerate(rows)]
    ids = db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), responses).all()
    db.session.execute(insert(Answer), [{"response_id": rid, "question_key": key, "value_int": value}
                                        for rid, (_d, _l, value) in zip(ids, rows, strict=True)])
    rollups.rebuild(survey.id)
    db.session.commit()
    return ids


def add_comments(survey, rows) -> list[int]:
    """rows: (day, location or None, comment): responses with that answer to "comment", inserted in bulk (not
    rolled up: a comment has no count); returns the new response ids."""
    version = survey.current_version
    base = db.session.scalar(select(func.count(Response.id))) or 0
    moments = [datetime.combine(day, datetime.min.time()) for day, _, _ in rows]
    ids = db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), [
        {"respondent_key": f"c:{base + i}", "survey_id": survey.id, "version_id": version.id, "source": "import",
         "submitted_at": at, "local_date": day, "updated_at": at, "revisions_count": 1,
         "attributes": {"location": location} if location else {}}
        for i, ((day, location, _), at) in enumerate(zip(rows, moments, strict=True))]).all()
    db.session.execute(insert(Answer), [{"response_id": rid, "question_key": "comment", "value_text": text}
                                        for rid, (_, _, text) in zip(ids, rows, strict=True)])
    db.session.commit()
    return ids


def make_secret_tokens(survey, *, now=NOW) -> dict[str, str]:
    """One real token of each kind a request can carry: a personal link's, an unsubscribe link's, an API
    token (admin)."""
    from survey.accounts import api_tokens
    from survey.models import Contact
    from survey.tokens import new_token

    invitation = make_invitation(survey, now=now)
    contact = db.session.get(Contact, invitation.contact_id)
    contact.unsubscribe_token = new_token()
    db.session.commit()
    _token, api = api_tokens.create_token("bi", "admin", now=now)
    return {"personal": invitation.token, "unsubscribe": contact.unsubscribe_token, "api": api}


def logic_definition(**changes) -> dict:
    """DEFINITION with display logic (docs/formats.md, "Display logic"): three sections (pages); "What went
    wrong" only for a rating of 2 or lower, its topics question only for those who phoned; a 10 for
    "recommend" ends the survey; the last question pipes the contact's name."""
    definition = make_definition(**changes)
    definition["slug"] = changes.get("slug", "support-logic")
    definition["sections"] = [
        {"key": "rating", "title": "Your visit"},
        {"key": "problems", "title": "What went wrong", "intro": "You rated us {answers.satisfaction}.",
         "show_if": {"<=": [{"var": "answers.satisfaction"}, 2]}},
        {"key": "more", "title": "A little more"}]
    for question, section in zip(definition["questions"], ["rating", "rating", "problems", "problems", "more", "more"],
                                 strict=True):
        question["section"] = section
    definition["questions"][1]["end_if"] = {"==": [{"var": "answers.recommend"}, 10]}
    definition["questions"][3]["show_if"] = {"==": [{"var": "answers.channel"}, "Phone"]}
    definition["questions"][5]["text"] = "Anything else, {contact.name|friend}?"
    return definition


def typed_logic_definition() -> dict:
    """Display logic on a matrix statement and on a number (docs/formats.md, "Conditions"): on the first
    page, "How long did you wait?" is asked only of those who waited 30 minutes or more and "What was wrong
    with the staff?" only of those rating the staff 2 or lower (both in place with JavaScript); the "About
    the wait" page only for a waiting time rated 2 or lower."""
    scale = ["Very poor", "Poor", "Fair", "Good", "Very good"]
    return {
        "slug": "visit-logic", "title": "Your visit", "intro": "",
        "sections": [{"key": "visit", "title": "Your visit"},
                     {"key": "waiting", "title": "About the wait",
                      "show_if": {"<=": [{"var": "answers.service.wait"}, 2]}},
                     {"key": "last", "title": "Last word"}],
        "questions": [
            {"key": "service", "type": "matrix", "section": "visit", "text": "How was our service?", "scale": scale,
             "statements": [{"key": "wait", "text": "The waiting time"}, {"key": "staff", "text": "Our staff"}]},
            {"key": "minutes", "type": "numeric", "section": "visit", "text": "How many minutes did you wait?",
             "min": 0, "max": 240, "integer": True},
            {"key": "long_wait", "type": "text", "section": "visit", "text": "What kept you waiting?",
             "show_if": {">=": [{"var": "answers.minutes"}, 30]}},
            {"key": "staff_note", "type": "text", "section": "visit", "text": "What was wrong with the staff?",
             "show_if": {"<=": [{"var": "answers.service.staff"}, 2]}},
            {"key": "wait_reason", "type": "choice", "section": "waiting", "text": "Why was the wait too long?",
             "options": ["Queue", "Booking", "Other reasons"]},
            {"key": "comment", "type": "text", "section": "last", "text": "Anything else?"},
        ],
    }
