"""Delivering webhooks: failures retried with the email backoff until they end as failed, disabled endpoints,
a failing step that cannot stop email, slow or odd receivers."""

from __future__ import annotations

import socket
import time
from datetime import date, timedelta

from sqlalchemy import select

from survey import changes, mail
from survey.background import dispatch
from survey.clock import utcnow
from survey.extensions import db
from survey.models import OutboxMessage, WebhookDelivery, WebhookEndpoint
from survey.webhooks import delivery as webhook_delivery
from survey.webhooks import events as webhooks
from tests.factories import NOW, make_user
from tests.pages import log_in, post_form, text_of
from tests.survey.webhooks.helpers import (
    assert_signed,
    deliver,
    deliveries,
    make_endpoint,
)


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


def test_a_path_with_non_ascii_characters_is_sent_percent_encoded_without_the_fragment(ctx, receiver):
    make_endpoint(receiver.url("/hooks/ünïcode?key=välue&x=%20#section"))
    webhooks.emit("case.updated", {"id": 1}, now=NOW)
    db.session.commit()
    assert deliver().delivered == 1
    assert receiver.requests[0].path == "/hooks/%C3%BCn%C3%AFcode?key=v%C3%A4lue&x=%20"
