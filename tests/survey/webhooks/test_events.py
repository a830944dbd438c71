"""Webhook events from the real code paths (responses, cases, alerts, changes), signed both ways a receiver
can check (Standard Webhooks, and Hearken-Signature for endpoints from before), during and after a secret's
rotation; history kept thirty days and nothing left of an erased customer; the documented receivers work."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from standardwebhooks import Webhook, WebhookVerificationError

from survey import changes, followups
from survey.alerts import trends
from survey.clock import unix_seconds, utcnow
from survey.extensions import db
from survey.models import FollowUpCase, Response, WebhookDelivery, WebhookEndpoint
from survey.outreach.invitations import invited_respondent
from survey.responding import submission as responding
from survey.responding.submission import Consents, Respondent, submit_response
from survey.webhooks import events as webhooks
from tests.conftest import BASE_URL
from tests.factories import NOW, add_answers, make_invitation, make_survey, make_user
from tests.pages import post_form
from tests.survey.webhooks.helpers import (
    assert_signed,
    assert_signed_hearken,
    deliver,
    deliveries,
    documented,
    make_endpoint,
    old_secret,
)


def test_a_response_from_the_public_page_is_delivered_signed_with_its_answers(app, client, receiver):
    with app.app_context():
        make_survey()
        endpoint = make_endpoint(receiver.url(), events=["response.completed"])
        secret = endpoint.secret
    answers = {"q-satisfaction": "5", "q-recommend": "9", "q-topics": ["Billing", "Product"], "q-resolved": "yes",
               "q-comment": "Lovely staff"}
    assert post_form(client, "/s/support-csat", answers).status_code == 303
    with app.app_context():
        assert deliver().delivered == 1
        row = deliveries()[0]
        assert (row.status, row.attempts, row.last_status, row.response_excerpt) == ("delivered", 1, 200, "thanks")
    [request] = receiver.requests
    assert request.path == "/hooks"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("Hearken-Webhooks/")
    assert request.headers["Hearken-Event"] == "response.completed"
    assert request.headers["Hearken-Delivery"] == row.delivery_id
    assert request.headers["Host"] == f"127.0.0.1:{receiver.port}"
    assert request.body.decode() == row.body  # exactly the stored body
    assert_signed(request, secret)
    message = request.json
    assert message["event"] == "response.completed" and message["created_at"].endswith("Z")
    data = message["data"]
    assert data == data | {"survey": "support-csat", "version": 1, "revision": 1, "source": "public", "email": None,
                           "answers": {"satisfaction": 5, "recommend": 9, "topics": ["Billing", "Product"],
                                       "resolved": True, "comment": "Lovely staff"},
                           "url": f"{BASE_URL}/manage/responses/{data['response_id']}"}


def test_a_personal_response_carries_the_email_and_a_changed_answer_is_sent_again(ctx, receiver):
    survey = make_survey()
    make_endpoint(receiver.url(), events=["response.completed"])
    invitation = make_invitation(survey, email="ann@example.com")
    invitation.contact.attributes = {"location": "Leeds"}
    db.session.commit()
    respondent = invited_respondent(invitation)
    submit_response(survey.current_version, respondent, {"satisfaction": 4}, Consents(), submission_key="a" * 20,
                    now=NOW)
    submit_response(survey.current_version, respondent, {"satisfaction": 4}, Consents(), submission_key="a" * 20,
                    now=NOW)  # the same form again: stored once, sent once
    submit_response(survey.current_version, respondent, {"satisfaction": 5}, Consents(contact=True),
                    submission_key="b" * 20, now=NOW + timedelta(hours=1))
    assert deliver().delivered == 2
    first, second = (request.json["data"] for request in receiver.requests)
    assert first["email"] == "ann@example.com" and first["attributes"] == {"location": "Leeds"}
    assert (first["revision"], first["answers"]) == (1, {"satisfaction": 4})
    assert (second["revision"], second["answers"]) == (2, {"satisfaction": 5})
    assert second["response_id"] == first["response_id"]
    assert second["consents"] == {"quote": False, "contact": True}
    assert second["updated_at"] == "2026-11-01T13:00:00Z" and second["submitted_at"] == "2026-11-01T12:00:00Z"


def test_cases_alerts_and_published_changes_are_delivered(ctx, receiver):
    survey = make_survey()
    endpoint = make_endpoint(receiver.url(), events=["alert.raised", "case.updated", "change.published"])
    agent = make_user(email="agent@example.com", role="agent")
    # A low score opens a case in the response's transaction; the agent works it.
    invitation = make_invitation(survey, email="low@example.com")
    submit_response(survey.current_version, invited_respondent(invitation), {"satisfaction": 1}, Consents(),
                    submission_key="c" * 20, now=NOW)
    case = db.session.scalar(select(FollowUpCase))
    followups.set_status(case, "contacted", actor=agent, now=NOW + timedelta(hours=2), note="Called back")
    followups.assign(case, make_user(email="lead@example.com", role="editor"), now=NOW + timedelta(hours=3))
    # Leeds falls from 90 % to 75 % extremely satisfied: trend detection raises an alert.
    rows = []
    for day, leeds in ((date(2026, 10, 10), 90), (date(2026, 11, 10), 75)):
        rows += [(day, "Leeds", 5 if i < leeds else 4) for i in range(100)]
        rows += [(day, "York", 5 if i < 88 else 4) for i in range(100)]
    add_answers(survey, rows)
    found = trends.run(now=datetime(2026, 12, 5))
    assert found.new_alerts
    entry = changes.save_change(None, changes.ChangeInput(
        title="Call-backs within a day", you_said="Nobody called back.", we_did="We call **everyone** back.",
        category="Support", status="done", changed_on=date(2026, 11, 15)), actor_id=None, now=NOW)
    changes.publish(entry, now=NOW)
    changes.publish(entry, now=NOW)  # already public: not news

    deliver(datetime(2026, 12, 5, 1))  # the alerts were raised "on 5 December" (detection's now)
    assert all(request.headers["webhook-signature"] for request in receiver.requests)
    for request in receiver.requests:
        assert_signed(request, endpoint.secret)
    by_event: dict[str, list[dict]] = {}
    for request in receiver.requests:
        assert request.headers["Hearken-Event"] == request.json["event"]
        by_event.setdefault(request.json["event"], []).append(request.json["data"])
    assert "response.completed" not in by_event  # not subscribed
    opened, status, owner = by_event["case.updated"]
    assert (opened["change"], opened["status"], opened["reason"], opened["email"]) == (
        "opened", "new", "low_score", "low@example.com")
    assert (status["change"], status["status"], status["owner"]) == ("status", "contacted", "agent@example.com")
    assert owner["change"] == "owner" and owner["owner"] == "lead@example.com"
    assert opened["url"] == f"{BASE_URL}/manage/cases/{case.id}"
    leeds = next(alert for alert in by_event["alert.raised"]
                 if alert["segment"] == {"location": "Leeds"} and alert["kind"] == "change")
    assert leeds == leeds | {"survey": "support-csat", "question": "satisfaction", "metric": "top_box",
                             "period_before": "2026-10", "period_after": "2026-11", "n_before": 100, "n_after": 100,
                             "value_before": 0.9, "value_after": 0.75, "direction": "drop", "method": "score"}
    assert {"ci_low", "ci_high", "p_value", "q_value", "difference"} <= leeds.keys()
    assert len(by_event["alert.raised"]) == len(found.new_alerts)
    [published] = by_event["change.published"]
    assert published == published | {"title": "Call-backs within a day", "status": "done", "changed_on": "2026-11-15",
                                      "url": f"{BASE_URL}/changes#change-{entry.id}"}


def test_only_active_subscribed_endpoints_get_an_event_and_each_delivery_has_its_own_id(ctx, receiver):
    both = make_endpoint(receiver.url("/a"), events=["case.updated"])
    other = make_endpoint(receiver.url("/b"), events=["case.updated", "alert.raised"])
    make_endpoint(receiver.url("/c"), events=["alert.raised"])
    webhooks.set_active(make_endpoint(receiver.url("/d"), events=["case.updated"]), False)
    survey = make_survey()
    followups.open_manually(db.session.get(Response, add_answers(survey, [(date(2026, 11, 2), None, 1)])[0]),
                            actor=make_user(), now=NOW)
    assert {d.endpoint_id for d in deliveries()} == {both.id, other.id}
    deliver()
    assert sorted(request.path for request in receiver.requests) == ["/a", "/b"]
    first, second = receiver.requests
    assert first.headers["Hearken-Delivery"] != second.headers["Hearken-Delivery"]
    assert first.json["id"] == second.json["id"]  # one event, two deliveries


def test_a_rolled_back_response_emits_nothing(ctx, receiver):
    survey = make_survey()
    make_endpoint(receiver.url())
    respondent = Respondent(key="public:rolled-back", source="public")
    # What submit_response does inside its transaction (store, open a case, emit), then a rollback.
    responding._store(survey.current_version, respondent, {"satisfaction": 1}, Consents(), "r" * 20, NOW, True)
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 2  # case.updated and response.completed
    db.session.rollback()
    assert deliveries() == [] and db.session.scalar(select(func.count(Response.id))) == 0
    assert deliver().delivered == 0 and receiver.requests == []


def test_a_submission_that_opens_a_case_reads_the_endpoints_once_and_queues_both_events(ctx, receiver):
    """The response is new in this transaction: no case is looked for, and the endpoints read once serve
    both events. A changed answer of the same respondent opens no second case."""
    survey = make_survey()
    make_endpoint(receiver.url())
    respondent = Respondent(key="public:one-read", source="public")
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        submit_response(survey.current_version, respondent, {"satisfaction": 1}, Consents(), submission_key="a" * 20,
                        now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert sum("FROM webhook_endpoints" in statement for statement in statements) == 1
    assert not any("FROM followup_cases" in statement for statement in statements)
    assert sorted(d.event for d in deliveries()) == ["case.updated", "response.completed"]
    submit_response(survey.current_version, respondent, {"satisfaction": 2}, Consents(), submission_key="b" * 20,
                    now=NOW)
    assert db.session.scalar(select(func.count(FollowUpCase.id))) == 1
    assert sorted(d.event for d in deliveries()) == ["case.updated", "response.completed", "response.completed"]


def test_without_endpoints_emitting_costs_one_small_query_and_builds_nothing(ctx):
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        def payload():
            raise AssertionError("the payload is built only for subscribers")
        assert webhooks.emit("response.completed", payload, now=NOW) == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    queries = [statement for statement in statements if not statement.upper().startswith("BEGIN")]
    assert len(queries) == 1 and queries[0].lstrip().upper().startswith("SELECT")
    assert deliveries() == []


def test_verify_signature_accepts_any_matching_v1_within_the_tolerance_only():
    body = b'{"event":"ping"}'
    header = webhooks.signature_header(["whsec_new", "whsec_old"], 1_800_000_000, body)
    assert header.startswith("t=1800000000,v1=") and header.count("v1=") == 2
    for secret in ("whsec_new", "whsec_old"):
        assert webhooks.verify_signature(secret, header, body, 1_800_000_000)
        assert webhooks.verify_signature(secret, header, body.decode(), 1_800_000_000 + 300)
        assert not webhooks.verify_signature(secret, header, body, 1_800_000_000 + 301)
        assert not webhooks.verify_signature(secret, header, body, 1_800_000_000 - 301)
    assert not webhooks.verify_signature("whsec_other", header, body, 1_800_000_000)
    for broken in ("", "v1=abc", "t=abc,v1=00", "t=1800000000", f"t=-1,{header.split(',')[1]}",
                   "t=1800000000,v1=é"):  # a forged header: refused, not a TypeError from compare_digest
        assert not webhooks.verify_signature("whsec_new", broken, body, 1_800_000_000)
    expected = webhooks.sign("whsec_new", 1_800_000_000, body)
    assert expected == hmac.new(b"whsec_new", b"1800000000." + body, hashlib.sha256).hexdigest()


def test_a_new_endpoint_is_signed_the_standard_webhooks_way_which_the_library_verifies(ctx, receiver):
    endpoint = make_endpoint(receiver.url())
    assert endpoint.signature_scheme == "standard"
    webhooks.emit("case.updated", {"id": 1, "summary": "Über-slow call-back"}, now=NOW)
    db.session.commit()
    assert deliver().delivered == 1
    [request] = receiver.requests
    headers = dict(request.headers.items())
    assert headers["webhook-id"] == deliveries()[0].delivery_id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["webhook-signature"].startswith("v1,") and " " not in headers["webhook-signature"]
    assert Webhook(endpoint.secret).verify(request.body, headers)["data"]["summary"] == "Über-slow call-back"
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(request.body.replace(b"slow", b"fast"), headers)
    assert_signed(request, endpoint.secret)


def test_an_endpoint_set_to_hearken_signature_is_still_signed_that_way_also_during_a_rotation(ctx, receiver):
    endpoint = webhooks.create_endpoint(
        webhooks.EndpointInput(receiver.url(), "Old CRM", ("case.updated",), "hearken"),
        allowed_hosts="127.0.0.1", actor_id=None, now=utcnow())
    first_secret = endpoint.secret
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    deliver()
    new_secret = webhooks.rotate_secret(endpoint, now=utcnow())
    webhooks.emit("case.updated", {"id": 2}, now=NOW)
    db.session.commit()
    deliver()
    before, during = receiver.requests
    assert_signed_hearken(before, first_secret)
    assert during.headers["Hearken-Signature"].count("v1=") == 2
    for secret in (first_secret, new_secret):
        assert_signed_hearken(during, secret)
    with pytest.raises(WebhookVerificationError, match="Missing required headers"):
        Webhook(new_secret).verify(during.body, dict(during.headers.items()))


def test_during_a_rotation_the_library_verifies_both_secrets_and_afterwards_only_the_new_one(ctx, receiver):
    endpoint = make_endpoint(receiver.url())
    old = endpoint.secret
    rotated_at = utcnow()
    new = webhooks.rotate_secret(endpoint, now=rotated_at)
    for moment in (rotated_at + timedelta(hours=23), rotated_at + webhooks.ROTATION_OVERLAP + timedelta(minutes=1)):
        webhooks.emit("case.updated", {"id": 1}, now=NOW)
        db.session.commit()
        assert deliver(moment).delivered == 1
    during, after = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert_signed(during, secret)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert_signed(after, new)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(old).verify(after.body, dict(after.headers.items()))


def test_secrets_are_base64_as_the_spec_reads_them_and_signatures_are_the_librarys():
    body = '{"event":"ping","data":{"note":"ünïcode"}}'.encode()
    for _ in range(20):
        secret = webhooks.new_secret()
        encoded = secret.removeprefix("whsec_")
        assert secret.startswith("whsec_") and len(base64.b64decode(encoded, validate=True)) == 32
        assert webhooks.secret_key(secret) == base64.b64decode(encoded)
        message_id = str(uuid.uuid4())
        assert webhooks.sign_standard(secret, message_id, 1_800_000_000, body) == \
            Webhook(secret).sign(message_id, datetime.fromtimestamp(1_800_000_000, UTC), body)
    # The spec's bounds: 24 to 64 bytes. A secret from before (URL-safe, unpadded) is not base64 as the spec
    # reads it (the library would silently drop its - and _ and sign with another key): it signs only the
    # Hearken-Signature scheme, with the whole string as its key, as it always did.
    for size, valid in ((23, False), (24, True), (64, True), (65, False)):
        assert (webhooks.secret_key("whsec_" + base64.b64encode(bytes(size)).decode()) is not None) is valid
    for secret in (old_secret(), "whsec_abc-def_ghi" * 3, "whsec_", "whsec_!!!!"):
        assert webhooks.secret_key(secret) is None
        with pytest.raises(ValueError, match="predates Standard Webhooks"):
            webhooks.sign_standard(secret, "id", 1_800_000_000, body)


def test_verify_standard_agrees_with_the_library():
    a, b = webhooks.new_secret(), webhooks.new_secret()
    body = b'{"event":"ping"}'
    now = unix_seconds()
    headers = webhooks.signature_headers("standard", [a, b], "4f1c7c1e-0d3b-4c55-9a43-3f2f4b8a9c10", now, body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    cases = [(a, headers, body), (b, headers, body), (webhooks.new_secret(), headers, body),
             (a, headers, body + b" "), (a, headers | {"webhook-id": "other"}, body),
             (a, headers | {"webhook-timestamp": str(now - 400)}, body),
             (a, {name.upper(): value for name, value in headers.items()}, body),
             (a, {"webhook-id": headers["webhook-id"], "webhook-timestamp": str(now)}, body),
             (a, headers | {"webhook-signature": "v1,é " + headers["webhook-signature"]}, body)]
    results = []
    for secret, given, payload in cases:
        try:
            Webhook(secret).verify(payload, given)
        except WebhookVerificationError:
            library = False
        else:
            library = True
        assert webhooks.verify_standard(secret, given, payload, time.time()) is library
        results.append(library)
    assert results == [True, True, False, False, False, False, True, False, True]
    assert not webhooks.verify_standard(old_secret(), headers, body, time.time())
    assert not webhooks.verify_standard(a, headers, body, now + 301)


def test_an_endpoint_whose_secret_predates_standard_webhooks_switches_only_after_a_rotation(ctx, receiver):
    # As the migration leaves an endpoint registered before: Hearken-Signature, with an old secret.
    endpoint = make_endpoint(receiver.url(), events=["case.updated"])
    endpoint.signature_scheme, endpoint.secret = "hearken", old_secret()
    db.session.commit()
    first_secret = endpoint.secret
    switch = webhooks.EndpointInput(receiver.url("/new"), "CRM", ("case.updated",), "standard")
    with pytest.raises(webhooks.WebhookError) as refused:
        webhooks.update_endpoint(endpoint, switch, allowed_hosts="127.0.0.1")
    assert "Rotate the secret first" in refused.value.problems["signature_scheme"]
    db.session.rollback()
    db.session.expire_all()
    assert (endpoint.signature_scheme, endpoint.url, endpoint.secret) == ("hearken", receiver.url(), first_secret)

    new_secret = webhooks.rotate_secret(endpoint, now=utcnow())
    assert webhooks.secret_key(new_secret) is not None
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    deliver()
    for secret in (first_secret, new_secret):  # still Hearken-Signature, both secrets sign during the overlap
        assert_signed_hearken(receiver.requests[-1], secret)

    webhooks.update_endpoint(endpoint, switch, allowed_hosts="127.0.0.1")
    webhooks.emit("case.updated", {"id": 2}, now=NOW)
    db.session.commit()
    deliver()
    request = receiver.requests[-1]
    assert request.path == "/new" and " " not in request.headers["webhook-signature"]  # the old secret cannot sign
    assert_signed(request, new_secret)


def test_the_signature_scheme_must_be_one_of_the_two(ctx):
    with pytest.raises(webhooks.WebhookError) as refused:
        webhooks.create_endpoint(webhooks.EndpointInput("https://8.8.8.8/hooks", "", ("case.updated",), "stripe"),
                                 allowed_hosts=(), actor_id=None, now=NOW)
    assert refused.value.problems == {"signature_scheme": "Choose one of the signature schemes listed."}
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0
    with pytest.raises(ValueError, match="unknown signature scheme"):
        webhooks.signature_headers("stripe", [webhooks.new_secret()], "id", 1_800_000_000, b"{}")


def test_finished_deliveries_are_deleted_after_thirty_days_and_an_erased_customer_leaves_none(ctx, receiver):
    survey = make_survey()
    make_endpoint(receiver.url(), events=["response.completed"])
    for email, key in (("ann@example.com", "a"), ("bob@example.com", "b")):
        submit_response(survey.current_version, invited_respondent(make_invitation(survey, email=email)),
                        {"satisfaction": 5}, Consents(), submission_key=key * 20, now=NOW)
    assert webhooks.forget_contact("ann@example.com") == 1
    db.session.commit()
    assert [json.loads(d.body)["data"]["email"] for d in deliveries()] == ["bob@example.com"]
    deliver()
    assert deliver(utcnow() + timedelta(days=29)).delivered == 0 and len(deliveries()) == 1
    deliver(utcnow() + timedelta(days=31))
    assert deliveries() == []


def test_erasing_a_contact_deletes_the_deliveries_that_carry_them(ctx, receiver):
    from survey.outreach import contacts

    survey = make_survey()
    make_endpoint(receiver.url(), events=["response.completed"])
    for email, key in (("ann@example.com", "a"), ("bob@example.com", "b")):
        submit_response(survey.current_version, invited_respondent(make_invitation(survey, email=email)),
                        {"satisfaction": 5}, Consents(), submission_key=key * 20, now=NOW)
    contacts.erase_contact(contacts.find_contact("ann@example.com"), actor="cli", actor_id=None, now=NOW)
    assert [json.loads(d.body)["data"]["email"] for d in deliveries()] == ["bob@example.com"]


def test_the_reference_implementation_in_the_docs_verifies_what_hearken_signs():
    namespace = documented("def verify_signature")
    body = '{"event":"ping","data":{"note":"ünïcode"}}'.encode()
    header = webhooks.signature_header(["whsec_a", "whsec_b"], 1_800_000_000, body)
    for secret, now in (("whsec_a", 1_800_000_000), ("whsec_b", 1_800_000_299), ("whsec_a", 1_800_000_301),
                        ("whsec_c", 1_800_000_000)):
        assert namespace["verify_signature"](secret, header, body, now) == \
            webhooks.verify_signature(secret, header, body, now)
    assert namespace["verify_signature"]("whsec_a", header, body, 1_800_000_000)
    assert not namespace["verify_signature"]("whsec_a", "t=1800000000,v1=é", body, 1_800_000_000)


def test_the_standard_webhooks_check_in_the_docs_agrees_with_hearkens_and_the_librarys():
    verify = documented("def verify_standard")["verify_standard"]
    a, b = webhooks.new_secret(), webhooks.new_secret()
    body = '{"event":"ping","data":{"note":"ünïcode"}}'.encode()
    now = unix_seconds()
    headers = webhooks.signature_headers("standard", [a, b], str(uuid.uuid4()), now, body)
    for secret, given, payload, when in (
            (a, headers, body, now), (b, headers, body, now + 299), (a, headers, body, now + 301),
            (webhooks.new_secret(), headers, body, now), (a, headers, body + b" ", now),
            (a, {name.title(): value for name, value in headers.items()}, body, now),
            (a, headers | {"webhook-id": "x"}, body, now), (a, headers | {"webhook-timestamp": "x"}, body, now)):
        assert verify(secret, given, payload, when) == webhooks.verify_standard(secret, given, payload, when)
    assert verify(a, headers, body, now) and verify(b, headers, body, now)
    Webhook(a).verify(body, headers)


def test_the_documented_receiver_with_the_standardwebhooks_library_takes_a_real_delivery(ctx, receiver,
                                                                                          monkeypatch):
    endpoint = make_endpoint(receiver.url(), events=["response.completed"])
    survey = make_survey()
    submit_response(survey.current_version, invited_respondent(make_invitation(survey, email="ann@example.com")),
                    {"satisfaction": 5}, Consents(), submission_key="d" * 20, now=NOW)
    assert deliver().delivered == 1
    [delivery] = receiver.requests
    monkeypatch.setenv("HEARKEN_WEBHOOK_SECRET", endpoint.secret)
    documented_app = documented("from standardwebhooks import")["app"]
    client = documented_app.test_client()
    headers = {name: delivery.headers[name] for name in ("Content-Type", "webhook-id", "webhook-timestamp",
                                                        "webhook-signature")}
    assert client.post("/hooks/hearken", data=delivery.body, headers=headers).status_code == 204
    assert client.post("/hooks/hearken", data=delivery.body, headers=headers).status_code == 204  # a retry
    tampered = delivery.body.replace(b'"satisfaction":5', b'"satisfaction":1')
    assert tampered != delivery.body
    assert client.post("/hooks/hearken", data=tampered, headers=headers).status_code == 400
    assert client.post("/hooks/hearken", data=delivery.body, headers={"Content-Type": "application/json"}
                       ).status_code == 400
    assert documented_app.view_functions["hearken"].__globals__["seen"] == {delivery.headers["webhook-id"]}
