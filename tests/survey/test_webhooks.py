"""Webhooks end to end: a real HTTP receiver on 127.0.0.1 (allowed explicitly, as an operator would allow an
internal host) gets signed deliveries for every event from the real code paths; failures are retried with
the email backoff and end as failed; the admin pages show the history; and no delivery reaches an internal
address, through a redirect or a DNS answer that changes between the check and the connection."""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import event, func, select
from standardwebhooks import Webhook, WebhookVerificationError

from survey import changes, followups, mail
from survey.alerts import trends
from survey.background import dispatch
from survey.clock import unix_seconds, utcnow
from survey.extensions import db
from survey.models import FollowUpCase, OutboxMessage, Response, WebhookDelivery, WebhookEndpoint
from survey.outreach.invitations import invited_respondent
from survey.responding import submission as responding
from survey.responding.submission import Consents, Respondent, submit_response
from survey.webhooks import delivery as webhook_delivery
from survey.webhooks import events as webhooks
from survey.webhooks.addresses import AddressRefused, refusal, vet
from tests.conftest import BASE_URL
from tests.factories import NOW, add_answers, make_invitation, make_survey, make_user
from tests.pages import log_in, post_form, text_of

ALL_EVENTS = ("response.completed", "alert.raised", "case.updated", "change.published")


# --- a real receiver ----------------------------------------------------------------------------------

@dataclass
class Received:
    path: str
    headers: Message
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """An HTTP server in a thread that records every POST and answers with the queued replies (then 200)."""

    def __init__(self, tls: ssl.SSLContext | None = None):
        self.requests: list[Received] = []
        self.replies: list[tuple[int, dict[str, str], bytes]] = []
        self.server_names: list[str | None] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _handler(receiver):  # noqa: N805 — the handler class closes over the receiver
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(Received(self.path, self.headers, body))
                status, headers, reply = receiver.replies.pop(0) if receiver.replies else (200, {}, b"thanks")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        return Handler

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hooks", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    with Receiver() as server:
        yield server


def make_endpoint(url: str, events=ALL_EVENTS, *, allowed="127.0.0.1") -> WebhookEndpoint:
    return webhooks.create_endpoint(webhooks.EndpointInput(url, "CRM", tuple(events)), allowed_hosts=allowed,
                                    actor_id=None, now=utcnow())


def deliver(now: datetime | None = None) -> webhook_delivery.DeliveryReport:
    report = dispatch.deliver_webhooks(now=now or utcnow())
    db.session.expire_all()
    return report


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def assert_signed(request: Received, secret: str) -> None:
    """Signed the Standard Webhooks way (a new endpoint's scheme): the `standardwebhooks` library itself
    accepts it with `secret`, and refuses it once anything signed is changed."""
    headers = dict(request.headers.items())
    assert "Hearken-Signature" not in request.headers
    assert Webhook(secret).verify(request.body, headers) == json.loads(request.body)
    assert headers["webhook-id"] == headers["Hearken-Delivery"]
    stamp = int(headers["webhook-timestamp"])
    for body, forged in ((request.body.replace(b"}", b" }", 1), headers),  # a tampered body
                         (request.body, headers | {"webhook-timestamp": str(stamp + 1)}),
                         (request.body, headers | {"webhook-id": str(uuid.uuid4())})):
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            Webhook(secret).verify(body, forged)
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(webhooks.new_secret()).verify(request.body, headers)
    # Hearken's own check agrees, and refuses the same delivery replayed later.
    assert webhooks.verify_standard(secret, headers, request.body, time.time())
    assert not webhooks.verify_standard(secret, headers, request.body, stamp + 301)


def assert_signed_hearken(request: Received, secret: str) -> None:
    """Signed with Hearken-Signature (the first release's scheme), as `verify_signature` checks it."""
    assert not {"webhook-id", "webhook-timestamp", "webhook-signature"} & {name.lower() for name in request.headers}
    header = request.headers["Hearken-Signature"]
    assert webhooks.verify_signature(secret, header, request.body, time.time())
    stamp = int(header.split(",")[0].removeprefix("t="))
    # The timestamp is inside the signature: the same delivery replayed later, or with a forged timestamp, fails.
    assert not webhooks.verify_signature(secret, header, request.body, stamp + 301)
    forged = header.replace(f"t={stamp}", f"t={stamp + 100}")
    assert not webhooks.verify_signature(secret, forged, request.body, stamp + 100)
    assert not webhooks.verify_signature(secret, header, request.body.replace(b"}", b" }", 1), time.time())
    assert not webhooks.verify_signature("whsec_wrong", header, request.body, time.time())


# --- every event, from the real code paths -----------------------------------------------------------

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


# --- the transaction decides ---------------------------------------------------------------------------

def test_a_rolled_back_response_emits_nothing(ctx, receiver):
    survey = make_survey()
    make_endpoint(receiver.url())
    respondent = Respondent(key="public:rolled-back", source="public")
    # What submit_response does inside its transaction (store, open a case, emit), then a rollback.
    responding._store(survey.current_version, respondent, {"satisfaction": 1}, Consents(), "r" * 20, NOW)
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


# --- retries, failure, history -------------------------------------------------------------------------

def test_a_500_is_retried_with_backoff_and_delivered_later_with_the_same_delivery_id(ctx, receiver):
    make_endpoint(receiver.url(), events=["change.published"])
    receiver.replies.append((500, {}, b"database down"))
    changes.publish(changes.save_change(None, changes.ChangeInput(
        "Shorter queues", "Queues were long.", "More staff.", "", "done", date(2026, 11, 1)), actor_id=None,
        now=NOW), now=NOW)
    start = utcnow()
    report = deliver(start)
    assert (report.delivered, report.retried) == (0, 1) and "HTTP 500" in report.errors[0]
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status, row.response_excerpt) == ("pending", 1, 500, "database down")
    assert row.last_error == "The receiver answered HTTP 500."
    assert timedelta(minutes=1) <= row.not_before - start < timedelta(minutes=1, seconds=5)
    assert deliver(start + timedelta(seconds=59)).delivered == 0  # still backing off
    assert deliver(start + timedelta(minutes=2)).delivered == 1
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status, row.last_error) == ("delivered", 2, 200, None)
    first, second = receiver.requests
    assert first.headers["Hearken-Delivery"] == second.headers["Hearken-Delivery"] and first.body == second.body
    # Standard Webhooks' idempotency key is the delivery's id: the same on the retry, signed afresh.
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.delivery_id
    assert_signed(second, db.session.get(WebhookEndpoint, row.endpoint_id).secret)


def test_after_the_last_attempt_a_delivery_fails_shows_in_the_history_and_can_be_redelivered(app, client, receiver):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
        endpoint_id = make_endpoint(receiver.url()).id
        webhooks.emit("case.updated", {"id": 1, "change": "opened"}, now=NOW)
        db.session.commit()
        receiver.replies.extend([(503, {}, b"<h1>Unavailable</h1>")] * webhook_delivery.MAX_ATTEMPTS)
        moment = utcnow()
        for _ in range(webhook_delivery.MAX_ATTEMPTS):
            moment += timedelta(hours=7)  # beyond the longest backoff (six hours)
            deliver(moment)
        [row] = deliveries()
        assert (row.status, row.attempts, row.last_status) == ("failed", webhook_delivery.MAX_ATTEMPTS, 503)
        assert deliver(moment + timedelta(days=1)).failed == 0  # a failed delivery stays failed
        row_id, delivery_id = row.id, row.delivery_id
    assert len(receiver.requests) == webhook_delivery.MAX_ATTEMPTS

    log_in(client, "admin@example.com")
    page = text_of(client.get(f"/manage/webhooks/{endpoint_id}"))
    assert "failed" in page and "The receiver answered HTTP 503." in page and "<h1>Unavailable</h1>" in page
    assert delivery_id in page and "Redeliver" in page
    redeliver = f"/manage/webhooks/{endpoint_id}/deliveries/{row_id}/redeliver"
    assert client.get(redeliver).status_code == 405
    assert client.post(redeliver).status_code == 400  # no CSRF token
    response = post_form(client, redeliver,
                         page=f"/manage/webhooks/{endpoint_id}")
    assert response.status_code == 302
    with app.app_context():
        assert deliver().delivered == 1
        [row] = deliveries()
        assert (row.status, row.attempts) == ("delivered", 1)
    assert receiver.requests[-1].headers["Hearken-Delivery"] == delivery_id
    assert {request.headers["webhook-id"] for request in receiver.requests} == {delivery_id}


def test_a_disabled_endpoint_gets_nothing_new_and_its_queued_deliveries_fail(ctx, receiver):
    endpoint = make_endpoint(receiver.url())
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    webhooks.set_active(endpoint, False)
    assert webhooks.emit("case.updated", {"id": 2}, now=NOW) == 0
    assert deliver().failed == 1
    [row] = deliveries()
    assert (row.status, row.last_error) == ("failed", "The endpoint is disabled.") and receiver.requests == []


def test_a_failing_webhook_step_cannot_stop_email(ctx, monkeypatch):
    class Recording(dispatch.Transport):
        sent = []

        def send(self, envelope):
            self.sent.append(envelope.recipient)

    def broken(*args, **kwargs):
        raise RuntimeError("receiver library exploded")

    mail.queue(mail.Rendered("Hi", "Body", None, {}), kind="notice", recipient="staff@example.com", now=NOW)
    db.session.commit()
    monkeypatch.setattr(dispatch, "deliver_webhooks", broken)
    report = dispatch.run_once(transport=Recording())
    assert report.sent == 1 and Recording.sent == ["staff@example.com"]
    assert any("deliver_webhooks failed: RuntimeError" in error for error in report.errors)
    assert db.session.scalar(select(OutboxMessage.status)) == "sent"


def test_a_reply_holding_a_nul_is_recorded_and_the_rest_of_the_batch_goes(ctx, receiver):
    """PostgreSQL refuses a NUL in text: the receiver's reply was never recorded, so the delivery was
    claimed and sent again every lease, and the deliveries claimed with it never went."""
    make_endpoint(receiver.url())
    for number in (1, 2):
        webhooks.emit("case.updated", {"id": number}, now=NOW)
    db.session.commit()
    receiver.replies.append((200, {}, b"\x00\x01binary ack"))
    assert deliver().delivered == 2
    assert [row.status for row in deliveries()] == ["delivered", "delivered"]
    assert deliveries()[0].response_excerpt == "\ufffd\x01binary ack" and len(receiver.requests) == 2


def test_dispatch_once_says_what_it_did_with_webhooks(ctx, receiver, runner):
    make_endpoint(receiver.url())
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    assert "webhooks: 1 delivered, 0 retrying, 0 failed" in runner.invoke(args=["dispatch"]).output


def test_a_slow_receiver_times_out_and_a_long_reply_is_cut(ctx, receiver, monkeypatch):
    make_endpoint(receiver.url())
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    receiver.replies.append((200, {}, b"x" * 200_000))
    assert deliver().delivered == 1
    assert deliveries()[0].response_excerpt == "x" * webhook_delivery.EXCERPT_CHARS

    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        endpoint = make_endpoint(f"http://127.0.0.1:{silent.getsockname()[1]}/")
        webhooks.emit("case.updated", {"id": 2}, now=NOW)
        db.session.commit()
        monkeypatch.setattr(webhook_delivery, "CONNECT_TIMEOUT", 0.2)
        started = time.monotonic()
        report = deliver()
        assert report.retried == 1 and time.monotonic() - started < 2
    row = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    assert row.status == "pending" and "timed out" in row.last_error and row.last_status is None


# --- where deliveries may go ------------------------------------------------------------------------------

REFUSED = ["http://127.0.0.1/", "http://localhost/", "http://[::1]/", "http://169.254.169.254/latest/meta-data/",
           "http://10.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://2130706433/", "http://0x7f.1/",
           "ftp://example.com/", "http://user:pass@93.184.215.14/", "http://100.64.0.1/", "http://[fd00:ec2::254]/",
           "http://0.0.0.0:8080/", "http://[64:ff9b::a9fe:a9fe]/", "javascript:alert(1)", "http:///nohost"]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_addresses_and_other_schemes_are_refused_at_registration(ctx, url):
    with pytest.raises(webhooks.WebhookError) as refused:
        make_endpoint(url, allowed="")
    assert refused.value.problems["url"]
    assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"), ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"), ("100.64.0.1", "carrier-grade NAT"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("0.1.2.3", "this network"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"), ("192.0.0.8", "IETF"), ("198.18.0.1", "private"), ("192.0.2.1", "private"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"), ("::127.0.0.1", "loopback"),
    ("64:ff9b::7f00:1", "loopback"), ("64:ff9b:1::1", "NAT64"), ("2002:a00:1::", "private"), ("fec0::1", "site-local"),
    ("93.184.215.14", None), ("8.8.8.8", None), ("2606:4700::1111", None), ("::ffff:8.8.8.8", None),
    ("64:ff9b::808:808", None),
])
def test_address_rules_truth_table(address, reason):
    found = refusal(ipaddress.ip_address(address))
    assert (found is None) if reason is None else (reason in found), found


def test_every_resolved_address_must_pass_and_the_allowance_is_per_host_name(monkeypatch):
    real = socket.getaddrinfo

    def two_answers(host, port, *args, **kwargs):
        if host == "mixed.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    with pytest.raises(AddressRefused, match=r"mixed.example.test \(10.0.0.7\) is a private address"):
        vet("https://mixed.example.test/hook")
    assert vet("https://mixed.example.test/hook", allowed_hosts="Mixed.Example.Test.").addresses == (
        "93.184.215.14", "10.0.0.7")
    with pytest.raises(AddressRefused):
        vet("http://localhost/", allowed_hosts="127.0.0.1")  # another name for an allowed address is not allowed
    with pytest.raises(AddressRefused):
        vet("http://2130706433/", allowed_hosts="127.0.0.1")


def test_the_request_goes_to_the_vetted_address_even_if_dns_changes_in_between(ctx, monkeypatch):
    # An attacker's name server answers with a public address when asked first, then with loopback.
    answers = iter(["93.184.215.14", "93.184.215.14", "127.0.0.1", "127.0.0.1"])
    lookups, connections = [], []
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example.test":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    def refuse(address, timeout=None, **kwargs):
        connections.append(address)
        raise ConnectionRefusedError("nobody there")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    make_endpoint("http://rebind.example.test/hook", allowed="")  # checked: public
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    lookups.clear()
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert deliver().retried == 1  # checked again (public), then connected to that very address
    assert lookups == ["rebind.example.test"] and connections == [("93.184.215.14", 80)]
    assert "ConnectionRefusedError" in deliveries()[0].last_error


def test_a_redirect_to_an_internal_address_is_not_followed(ctx, receiver):
    with Receiver() as internal:
        receiver.replies.append((302, {"Location": internal.url("/admin")}, b""))
        make_endpoint(receiver.url("/moved"))
        webhooks.emit("case.updated", {"id": 1}, now=NOW)
        db.session.commit()
        assert deliver().retried == 1
        assert internal.requests == [] and len(receiver.requests) == 1
    [row] = deliveries()
    assert row.last_status == 302 and "redirects are never followed" in row.last_error
    assert internal.url("/admin") in row.last_error


def test_an_allowance_withdrawn_later_is_enforced_at_delivery(ctx, receiver):
    make_endpoint(receiver.url())
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    ctx.config["WEBHOOK_ALLOWED_HOSTS"] = ""
    assert deliver().retried == 1
    assert receiver.requests == [] and deliveries()[0].last_error.startswith("Refused: 127.0.0.1 is a loopback")


def test_https_connects_to_the_vetted_address_with_sni_and_verifies_the_host_name(ctx, certificate, monkeypatch):
    key, cert = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate, as an operator would an internal CA
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    with Receiver(tls) as secure:
        ctx.config["WEBHOOK_ALLOWED_HOSTS"] = "localhost, 127.0.0.1"
        endpoint = make_endpoint(secure.url(host="localhost", scheme="https"), ["case.updated"], allowed="localhost")
        wrong_name = make_endpoint(secure.url(host="127.0.0.1", scheme="https"), events=["alert.raised"])
        webhooks.emit("case.updated", {"id": 1}, now=NOW)
        webhooks.emit("alert.raised", {"id": 2}, now=NOW)
        db.session.commit()
        report = deliver()
    assert (report.delivered, report.retried) == (1, 1)
    [request] = secure.requests
    assert request.headers["Host"] == f"localhost:{secure.port}" and "localhost" in secure.server_names
    assert_signed(request, endpoint.secret)
    failed = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == wrong_name.id))
    assert "certificate" in failed.last_error.lower()  # the certificate names localhost, not 127.0.0.1


# --- signatures ---------------------------------------------------------------------------------------------

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


# --- Standard Webhooks, and the Hearken-Signature scheme kept for receivers built for it -----------------------

def old_secret() -> str:
    """A secret as Hearken made them before Standard Webhooks: URL-safe base64 without padding."""
    return "whsec_" + secrets.token_urlsafe(32)


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


# --- the admin pages -------------------------------------------------------------------------------------------

def test_admins_register_an_endpoint_see_the_secret_once_ping_rotate_disable_and_delete(app, client, receiver):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    index = text_of(client.get("/manage/webhooks/"))
    assert "127.0.0.1" in index and "No endpoints yet." in index and "alert.raised" in index
    assert client.post("/manage/webhooks/", data={"url": receiver.url(), "events": ["case.updated"]}).status_code == 400

    created = post_form(client, "/manage/webhooks/", {"url": receiver.url(), "description": "Help desk",
                                                      "events": ["case.updated", "response.completed"]})
    assert created.status_code == 200
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint))
        endpoint_id, stored_secret = endpoint.id, endpoint.secret
        assert endpoint.events == ["response.completed", "case.updated"] and endpoint.description == "Help desk"
    assert stored_secret.startswith("whsec_") and stored_secret in text_of(created)
    detail_url = f"/manage/webhooks/{endpoint_id}"
    assert stored_secret not in text_of(client.get("/manage/webhooks/"))
    assert stored_secret not in text_of(client.get(detail_url))  # shown once

    assert client.get(f"{detail_url}/ping").status_code == 405  # no state change on GET
    assert post_form(client, f"{detail_url}/ping", page=detail_url).status_code == 302
    with app.app_context():
        assert deliver().delivered == 1
    ping = receiver.requests[-1]
    assert ping.headers["Hearken-Event"] == "ping" and ping.json["data"]["endpoint_id"] == endpoint_id
    assert_signed(ping, stored_secret)
    assert "ping" in text_of(client.get(detail_url)) and "delivered" in text_of(client.get(detail_url))

    rotated = post_form(client, f"{detail_url}/rotate", page=detail_url)
    with app.app_context():
        new_secret = db.session.get(WebhookEndpoint, endpoint_id).secret
    assert new_secret != stored_secret and new_secret in text_of(rotated) and "24 hours" in text_of(rotated)
    post_form(client, f"{detail_url}/ping", page=detail_url)
    with app.app_context():
        deliver()
    assert_signed(receiver.requests[-1], new_secret)
    assert_signed(receiver.requests[-1], stored_secret)  # the old secret signs too while the receiver switches

    saved = post_form(client, detail_url, {"url": receiver.url("/v2"), "description": "", "events": ["alert.raised"]})
    assert saved.status_code == 302
    refused = post_form(client, detail_url, {"url": "http://169.254.169.254/", "events": ["alert.raised"]})
    assert refused.status_code == 422 and "link-local" in text_of(refused)
    assert post_form(client, detail_url, {"url": receiver.url("/v3"), "events": []}).status_code == 422
    post_form(client, f"{detail_url}/disable", page=detail_url)
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        assert (endpoint.url, endpoint.events, endpoint.active) == (receiver.url("/v2"), ["alert.raised"], False)
    assert "Disabled" in text_of(client.get(detail_url))
    post_form(client, f"{detail_url}/enable", page=detail_url)
    assert post_form(client, f"{detail_url}/delete", page=detail_url).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0 and deliveries() == []


def test_admins_choose_the_signature_scheme_and_a_secret_from_before_must_be_rotated_to_switch(app, client, receiver):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    form = client.get("/manage/webhooks/").get_data(as_text=True)
    assert "How deliveries are signed" in form
    assert re.search(r'<input checked id="signature_scheme-0" name="signature_scheme" type="radio" value="standard">',
                     form)
    assert 'value="hearken"' in form and "standardwebhooks" in form
    created = post_form(client, "/manage/webhooks/", {"url": receiver.url(), "events": ["case.updated"],
                                                      "signature_scheme": "hearken"})
    assert created.status_code == 200 and "Hearken-Signature" in text_of(created)
    assert "webhook-signature" not in text_of(created)
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint))
        assert endpoint.signature_scheme == "hearken"
        endpoint.secret = old_secret()  # as an endpoint registered before Standard Webhooks has
        db.session.commit()
        detail_url, secret = f"/manage/webhooks/{endpoint.id}", endpoint.secret
    page = text_of(client.get(detail_url))
    assert "signed with Hearken-Signature" in page and "To switch, rotate the secret first." in page

    for scheme in ("standard", "stripe"):
        refused = post_form(client, detail_url, {"url": receiver.url("/v2"), "events": ["case.updated"],
                                                 "signature_scheme": scheme})
        assert refused.status_code == 422
    assert "Not a valid choice" in text_of(refused)
    refused = post_form(client, detail_url, {"url": receiver.url("/v2"), "events": ["case.updated"],
                                             "signature_scheme": "standard"})
    assert "Rotate the secret first (the new one works with both schemes)" in text_of(refused)
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, int(detail_url.rsplit("/", 1)[1]))
        assert (endpoint.signature_scheme, endpoint.url, endpoint.secret) == ("hearken", receiver.url(), secret)

    rotated = text_of(post_form(client, f"{detail_url}/rotate", page=detail_url))
    assert "This secret also works with Standard Webhooks" in rotated
    assert "To switch, rotate the secret first." not in text_of(client.get(detail_url))
    saved = post_form(client, detail_url, {"url": receiver.url(), "events": ["case.updated"],
                                           "signature_scheme": "standard"})
    assert saved.status_code == 302
    assert "signed the Standard Webhooks way" in text_of(client.get(detail_url))
    # A post without the field (an older page) keeps the endpoint's scheme.
    assert post_form(client, detail_url, {"url": receiver.url(), "events": ["case.updated"]}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(WebhookEndpoint.signature_scheme)) == "standard"


def test_a_refused_address_is_a_form_error_that_changes_nothing(app, client):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    response = post_form(client, "/manage/webhooks/", {"url": "http://169.254.169.254/latest", "events": ["ping"]})
    page = text_of(response)
    assert response.status_code == 422 and "not a valid choice" in page
    response = post_form(client, "/manage/webhooks/", {"url": "http://169.254.169.254/latest",
                                                       "events": ["alert.raised"]})
    page = text_of(response)
    assert response.status_code == 422 and "169.254.169.254 is a link-local address" in page
    assert 'value="http://169.254.169.254/latest"' in response.get_data(as_text=True)  # the input is kept
    response = post_form(client, "/manage/webhooks/", {"url": "https://hooks.example.com/x", "events": []})
    assert response.status_code == 422 and "Choose at least one of the events listed." in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


def test_the_pages_are_for_admins_only(app, client):
    with app.app_context():
        make_user(email="editor@example.com", role="editor")
    log_in(client, "editor@example.com")
    assert client.get("/manage/webhooks/").status_code == 403
    assert "/manage/webhooks/" not in text_of(client.get("/manage/"))


# --- what is kept ---------------------------------------------------------------------------------------------

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


def documented(marker: str) -> dict:
    """Run the Python block of docs/webhooks.md that holds `marker`; returns its names."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    code = next(block.split("```", 1)[0] for block in text.split("```python")[1:] if marker in block)
    namespace: dict = {"__name__": "documented_receiver"}
    exec(code, namespace)  # noqa: S102 — our own documentation
    return namespace


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


def test_a_path_with_non_ascii_characters_is_sent_percent_encoded_without_the_fragment(ctx, receiver):
    make_endpoint(receiver.url("/hooks/ünïcode?key=välue&x=%20#section"))
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    assert deliver().delivered == 1
    assert receiver.requests[0].path == "/hooks/%C3%BCn%C3%AFcode?key=v%C3%A4lue&x=%20"
