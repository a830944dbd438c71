"""POST /api/v1/events: another system asks Hearken to invite a customer after something happened."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.accounts import api_tokens
from survey.background import dispatch
from survey.clock import utcnow
from survey.extensions import db
from survey.models import ApiToken, Contact, Invitation, OutboxMessage, TriggerEvent
from tests.factories import make_survey


@pytest.fixture
def token(ctx):
    make_survey()
    _row, secret = api_tokens.create_token("helpdesk", "editor", now=utcnow())
    return secret


def post(client, token, body, **headers):
    return client.post("/api/v1/events", json=body, headers={"Authorization": f"Bearer {token}", **headers})


def test_an_event_schedules_an_invitation_after_its_delay(ctx, client, token, smtp):
    response = post(client, token, {"email": "Dee@Example.com", "name": "Dee", "survey": "support-csat",
                                    "touchpoint": "support case closed", "attributes": {"Team": "B"},
                                    "delay": "2d", "id": "case-1001"})
    assert response.status_code == 202, response.json
    # The request ran in this test's application context, so its session is this test's: end its transaction,
    # then close the answer as a WSGI server does once it is sent, which records the token's last use.
    db.session.commit()
    response.close()
    event = response.json["event"]
    assert event["outcome"] == "scheduled" and event["duplicate"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["scheduled_for"])  # to the second, as api.md shows
    assert dispatch.run_once().sent == 0  # not before the delay
    assert dispatch.run_once(now=utcnow() + timedelta(days=2, minutes=1)).sent == 1
    assert smtp.messages[0]["To"] == "Dee <dee@example.com>"
    invitation = db.session.get(Invitation, event["invitation_id"])
    assert (invitation.source, invitation.touchpoint) == ("event", "support case closed")
    assert db.session.scalar(select(Contact.attributes)) == {"team": "B"}
    assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_a_retried_event_invites_once(ctx, client, token):
    body = {"email": "dee@example.com", "survey": "support-csat", "id": "order-77"}
    assert post(client, token, body).status_code == 202
    again = post(client, token, body)
    assert again.status_code == 200 and again.json["event"]["duplicate"] is True
    assert db.session.scalar(select(func.count(Invitation.id))) == 1


def test_the_frequency_cap_and_unsubscribes_apply_to_events(ctx, client, token):
    assert post(client, token, {"email": "dee@example.com", "survey": "support-csat"}).status_code == 202
    second = post(client, token, {"email": "dee@example.com", "survey": "support-csat", "delay": 3600})
    assert second.status_code == 202 and second.json["event"]["outcome"] == "skipped_cap"
    db.session.add(Contact(email="gone@example.com", name="", attributes={}, created_at=utcnow(),
                           unsubscribed_at=utcnow()))
    db.session.commit()
    third = post(client, token, {"email": "gone@example.com", "survey": "support-csat"})
    assert third.json["event"]["outcome"] == "skipped_unsubscribed"
    outcomes = dict(db.session.execute(select(TriggerEvent.outcome, func.count()).group_by(TriggerEvent.outcome)).all())
    assert outcomes == {"scheduled": 1, "skipped_cap": 1, "skipped_unsubscribed": 1}


@pytest.mark.parametrize("body, status, field", [
    ({"survey": "support-csat"}, 422, "email"),
    ({"email": "not an email", "survey": "support-csat"}, 422, "email"),
    ({"email": "a@example.com", "survey": "nope"}, 404, "survey"),
    ({"email": "a@example.com", "survey": "support-csat", "delay": "soon"}, 422, "delay"),
    ({"email": "a@example.com", "survey": "support-csat", "delay": -5}, 422, "delay"),
    ({"email": "a@example.com", "survey": "support-csat", "delay": "9999d"}, 422, "delay"),
    ({"email": "a@example.com", "survey": "support-csat", "colour": "red"}, 422, "colour"),
    ({"email": "a@example.com", "survey": "support-csat", "attributes": {"x": {"deep": 1}}}, 422, "attributes.x"),
    ({"email": "a@example.com", "survey": "support-csat", "attributes": {"Team": "A", "team": "B"}}, 422, "attributes"),
    ({"email": ["a@example.com"], "survey": "support-csat"}, 422, "email"),
])
def test_bad_events_get_one_error_shape_and_change_nothing(ctx, client, token, body, status, field):
    response = post(client, token, body)
    assert response.status_code == status
    assert response.json["error"]["field"] == field and response.json["error"]["message"]
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_tokens_are_required_scoped_and_never_stored_in_clear(ctx, client, token):
    body = {"email": "a@example.com", "survey": "support-csat"}
    assert client.post("/api/v1/events", json=body).status_code == 401
    assert post(client, "hk_" + "x" * 43, body).json["error"]["code"] == "unauthorized"
    _row, analyst = api_tokens.create_token("bi", "analyst", now=utcnow())
    assert post(client, analyst, body).status_code == 403
    assert token not in str(db.session.execute(select(ApiToken.__table__)).all())
    not_json = client.post("/api/v1/events", data="email=a", headers={"Authorization": f"Bearer {token}"})
    assert not_json.status_code == 415 and not_json.json["error"]["code"] == "unsupported_media_type"
    broken = client.post("/api/v1/events", data=b"{\xff", content_type="application/json",
                         headers={"Authorization": f"Bearer {token}"})
    assert broken.status_code == 400 and broken.json["error"]["code"] == "invalid_encoding"


def test_create_api_token_prints_it_once(runner, ctx):
    result = runner.invoke(args=["create-api-token", "crm", "--role", "editor"])
    assert result.exit_code == 0 and result.output.startswith("hk_")
    assert runner.invoke(args=["create-api-token", "crm", "--role", "editor"]).exit_code == 1
