"""The dispatcher against a real SMTP server: permanent and transient failures, crashed workers, and two
dispatchers at once sending every message exactly once."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from survey import dispatch, mail
from survey.clock import utcnow
from survey.extensions import db
from survey.models import OutboxMessage


def queue_messages(count: int, *, recipient="person{}@example.com") -> list[str]:
    now = utcnow()
    rows = [mail.queue(mail.Rendered(f"Hello {i}", f"Body {i}", f"<p>Body {i}</p>", {}), kind="notice",
                       recipient=recipient.format(i), now=now) for i in range(count)]
    db.session.commit()
    return [row.message_id for row in rows]


def statuses() -> dict[str, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


def test_permanent_refusals_fail_with_the_reason_and_others_still_go(ctx, smtp):
    queue_messages(3)
    smtp.recorder.refuse["person1@example.com"] = "550 5.1.1 No such user"
    report = dispatch.run_once()
    assert (report.sent, report.failed) == (2, 1)
    failed = db.session.scalar(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert failed.recipient == "person1@example.com" and "No such user" in failed.last_error
    assert len(smtp.messages) == 2


def test_transient_refusals_are_retried_with_backoff(ctx, smtp):
    queue_messages(1)
    smtp.recorder.refuse["person0@example.com"] = "451 4.3.0 Try again later"
    assert dispatch.run_once().retried == 1
    row = db.session.scalar(select(OutboxMessage))
    assert row.status == "pending" and row.not_before > utcnow() and row.attempts == 1
    del smtp.recorder.refuse["person0@example.com"]
    assert dispatch.run_once().sent == 0  # still backing off
    assert dispatch.run_once(now=utcnow() + timedelta(minutes=2)).sent == 1


def test_an_unreachable_server_loses_nothing(ctx, smtp):
    queue_messages(2)
    ctx.config["SMTP_PORT"] = smtp.port + 1 if smtp.port < 65535 else smtp.port - 1  # nobody listens there
    report = dispatch.run_once()
    assert report.retried == 2 and statuses() == {"pending": 2}
    ctx.config["SMTP_PORT"] = smtp.port
    assert dispatch.run_once(now=utcnow() + timedelta(minutes=5)).sent == 2


def test_a_worker_killed_mid_batch_leaves_messages_for_the_next_one_with_the_same_message_id(ctx, smtp):
    ids = queue_messages(3)
    dispatch.claim(now=utcnow())  # a worker claims the batch and dies before sending
    assert statuses() == {"sending": 3}
    assert dispatch.run_once().sent == 0  # the claim is still valid: nobody else sends them yet
    assert dispatch.run_once(now=utcnow() + dispatch.LEASE + timedelta(seconds=1)).sent == 3
    assert sorted(m["Message-ID"] for m in smtp.messages) == sorted(ids)


def test_two_dispatchers_at_once_send_every_message_exactly_once(app, smtp):
    with app.app_context():
        ids = queue_messages(300)
    errors = []

    def worker():
        try:
            with app.app_context():
                for _ in range(5):
                    dispatch.run_once()
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    counts = Counter(m["Message-ID"] for m in smtp.messages)
    assert set(counts) == set(ids) and max(counts.values()) == 1
    with app.app_context():
        assert statuses() == {"sent": 300}
