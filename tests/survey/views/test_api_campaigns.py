"""POST /api/v1/surveys/{slug}/campaigns: send a survey by email, with the audience preview and the email's
wording the send form and send-survey take."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.accounts import api_tokens
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Campaign, Contact
from tests.factories import NOW, make_survey

URL = "/api/v1/surveys/support-csat/campaigns"


@pytest.fixture
def token(ctx):
    make_survey()
    for email, name, location in (("ann@example.com", "Ann", "Leeds"), ("bob@example.com", "Bob", "Leeds"),
                                  ("cat@example.com", "Cat", "York")):
        db.session.add(Contact(email=email, name=name, attributes={"location": location}, created_at=NOW,
                               unsubscribed_at=NOW if email.startswith("bob") else None))
    db.session.commit()
    return api_tokens.create_token("crm", "editor", now=utcnow())[1]


def post(client, token, body):
    response = client.post(URL, json=body, headers={"Authorization": f"Bearer {token}"})
    db.session.commit()  # the request ran in this test's context: end its transaction
    return response


def test_a_dry_run_shows_the_audience_and_the_email_and_creates_nothing(ctx, client, token):
    answer = post(client, token, {"where": ["location=Leeds"], "dry_run": True,
                                  "email": {"subject": "{contact.name|Hi}, a minute?", "sender_name": "Ann at Acme"}})
    assert answer.status_code == 200, answer.json
    assert answer.json["audience"] == {"matched": 2, "skipped_cap": 0, "skipped_unsubscribed": 1, "invited": 1}
    email = answer.json["email"]
    assert email["subject"] == "Ann, a minute?" and email["to"] == "Ann <ann@example.com>"
    assert email["from"].startswith("Ann at Acme <") and "Hello Ann," in email["text"]
    assert "campaign" not in answer.json and db.session.scalar(select(func.count(Campaign.id))) == 0


def test_a_campaign_is_created_with_its_wording_and_launched_as_previewed(ctx, client, token):
    from survey import outreach

    answer = post(client, token, {"where": ["location=Leeds"], "reminders": 1,
                                  "email": {"opening": "Thanks for visiting {contact.location}."}})
    assert answer.status_code == 201, answer.json
    campaign = db.session.get(Campaign, answer.json["campaign"]["id"])
    assert campaign.email_opening == "Thanks for visiting {contact.location}." and campaign.reminders == 1
    assert answer.json["campaign"]["scheduled_at"].endswith("Z")
    (launched, report), = outreach.launch_due_campaigns(now=utcnow())
    audience = answer.json["audience"]
    assert (report.matched, report.skipped_unsubscribed, report.queued) == (
        audience["matched"], audience["skipped_unsubscribed"], audience["invited"])


@pytest.mark.parametrize("body, field, says", [
    ({"where": ["locaton=Leeds"]}, "where", "no contact has an attribute 'locaton'; known attributes: location"),
    ({"email": {"subject": "{answers.x}"}}, "email.subject", "answers come after the email"),
    ({"email": {"sender_name": "{contact.name}"}}, "email.sender_name", "the same for every contact"),
])
def test_what_cannot_be_sent_is_refused_by_name(ctx, client, token, body, field, says):
    for dry_run in (True, False):
        answer = post(client, token, {**body, "dry_run": dry_run})
        assert answer.status_code == 422
        assert answer.json["error"]["field"] == field and says in answer.json["error"]["message"]
    assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_an_unknown_survey_is_404_and_an_unknown_field_422(ctx, client, token):
    answer = client.post("/api/v1/surveys/nope/campaigns", json={}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404
    assert post(client, token, {"segment": "x"}).status_code == 422
