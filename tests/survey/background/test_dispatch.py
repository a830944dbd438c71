"""The dispatcher against a real SMTP server: permanent and transient failures, crashed workers, and two
dispatchers at once sending every message exactly once."""
from __future__ import annotations

import ssl
import threading
import time
from collections import Counter
from datetime import UTC, timedelta
from email.errors import HeaderParseError

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, event, func, select

from survey import authoring, mail, outreach
from survey.background import dispatch
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Contact, Invitation, OutboxMessage
from survey.models.outreach import RenderedEmail
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import Consents, submit_response
from tests.factories import make_survey, make_user
from tests.smtp import Recorder, free_port


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


def test_a_mail_server_down_for_hours_costs_no_message_an_attempt(ctx, smtp):
    """Every try while the server is unreachable is the server's failure, not the messages': they wait,
    untouched, and go when it is back (a count per message failed them all for good after two hours)."""
    queue_messages(3)
    ctx.config["SMTP_PORT"] = smtp.port + 1 if smtp.port < 65535 else smtp.port - 1  # nobody listens there
    moment = utcnow()
    for _ in range(2 * dispatch.MAX_ATTEMPTS):
        moment += timedelta(hours=1)
        report = dispatch.run_once(now=moment)
        assert report.server_down and report.sent == report.failed == 0
        assert "the mail server is unavailable" in report.errors[0]
    assert statuses() == {"pending": 3}
    assert set(db.session.scalars(select(OutboxMessage.attempts))) == {0}
    ctx.config["SMTP_PORT"] = smtp.port
    assert dispatch.run_once(now=moment + timedelta(minutes=2)).sent == 3


def test_a_batch_whose_claim_runs_out_on_a_slow_server_is_put_back_not_sent_twice(ctx, smtp, monkeypatch):
    """Past its claim another dispatcher may take a message: the rest of a slow batch goes back instead."""
    ids = queue_messages(20)
    monkeypatch.setattr(dispatch, "LEASE", timedelta(seconds=3))
    monkeypatch.setattr(dispatch, "SEND_MARGIN", timedelta(seconds=2))

    class Slow(dispatch.SmtpTransport):
        def send(self, envelope):
            time.sleep(0.1)
            super().send(envelope)

    slow = Slow("127.0.0.1", smtp.port)
    first = dispatch.run_once(transport=slow)
    assert 0 < first.sent < 20 and "put back for the next pass" in first.errors[0]
    assert statuses() == {"sent": first.sent, "pending": 20 - first.sent}
    assert set(db.session.scalars(select(OutboxMessage.attempts).where(OutboxMessage.status == "pending"))) == {0}
    while statuses().get("pending"):
        dispatch.run_once(transport=slow)
    counts = Counter(m["Message-ID"] for m in smtp.messages)
    assert set(counts) == set(ids) and max(counts.values()) == 1


def test_starttls_checks_that_the_certificate_is_trusted_and_names_the_server(ctx, certificate, monkeypatch):
    """smtplib's default STARTTLS checks nothing: whoever sat in between got the password and every link."""
    key, cert = certificate
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    recorder, port = Recorder(), free_port()
    server = Controller(recorder, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True)
    server.start()
    try:
        message = mail.Envelope("<1@example.test>", "feedback@example.test", "ann@example.com", b"Subject: Hi\r\n")
        with pytest.raises(dispatch.ServerUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            dispatch.SmtpTransport("localhost", port, starttls=True).send(message)  # a stranger's certificate
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted, as an operator trusts an internal CA
        with pytest.raises(dispatch.ServerUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            dispatch.SmtpTransport("127.0.0.1", port, starttls=True).send(message)  # it names localhost only
        dispatch.SmtpTransport("localhost", port, starttls=True).send(message)
    finally:
        server.stop()
    assert len(recorder.raw) == 1


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


def rendered(message_id: str) -> bytes:
    return db.session.scalar(select(RenderedEmail.data).join(OutboxMessage)
                             .where(OutboxMessage.message_id == message_id))


def test_the_bytes_rendered_when_queued_are_sent_with_the_from_configured_when_sending(ctx, smtp):
    (message_id,) = queue_messages(1)
    data = rendered(message_id)
    head = data.split(b"\r\n\r\n")[0]
    assert b"From:" not in head and b"Date:" not in head and b"Message-ID: " + message_id.encode() in data
    ctx.config["MAIL_FROM"] = "Feedback Team <team@example.test>"  # changed after the message was queued
    assert dispatch.run_once().sent == 1
    (raw,) = smtp.recorder.raw
    date = raw.split(b"\r\n")[1]
    assert date.startswith(b"Date: ")
    sent = b"From: Feedback Team <team@example.test>\r\n" + date + b"\r\n" + data
    assert raw.replace(b"\r\n", b"\n") == sent.replace(b"\r\n", b"\n")  # as the server stores it
    (message,) = smtp.messages
    assert (message["From"], message["Subject"]) == ("Feedback Team <team@example.test>", "Hello 0")
    assert rendered(message_id) is None  # sent: its bytes are not kept (the outbox row keeps what it said)


def test_a_message_queued_before_messages_were_rendered_when_queued_is_rendered_when_sent(ctx, smtp):
    """Rows already in the outbox when migration 0008 ran have no rendered bytes."""
    ids = queue_messages(2)
    db.session.execute(delete(RenderedEmail).where(RenderedEmail.outbox_id.in_(
        select(OutboxMessage.id).where(OutboxMessage.message_id == ids[0]))))
    db.session.commit()
    assert dispatch.run_once().sent == 2 and statuses() == {"sent": 2}
    old = next(m for m in smtp.messages if m["Message-ID"] == ids[0])
    assert (old["From"], old["To"], old["Subject"]) == ("Hearken <feedback@example.test>", "person0@example.com",
                                                        "Hello 0")
    assert old.get_body(("plain",)).get_content().strip() == "Body 0"


def test_a_survey_email_is_checked_when_sent_not_only_when_queued(ctx, smtp):
    """Unsubscribed (through a path that does not cancel queued mail, e.g. a contacts import) or survey closed
    after the campaign was queued: the email is cancelled with the reason, never sent, in any batch."""
    survey = make_survey()
    db.session.add_all(Contact(email=f"c{i}@example.com", name="", attributes={}, created_at=utcnow())
                       for i in range(dispatch.BATCH_SIZE + 5))
    db.session.commit()
    campaign = outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=utcnow())
    outreach.launch(campaign, now=utcnow())
    last = db.session.scalars(select(Contact).order_by(Contact.id.desc())).first()  # in the second batch
    last.unsubscribed_at = utcnow()
    db.session.commit()
    report = dispatch.run_once()
    assert (report.sent, report.cancelled) == (dispatch.BATCH_SIZE + 4, 1)
    assert last.email not in {m["To"] for m in smtp.messages}
    assert db.session.scalar(select(OutboxMessage.last_error).where(OutboxMessage.status == "cancelled")) \
        == "unsubscribed"

    smtp.clear()
    reminder = db.session.scalars(select(Invitation).where(Invitation.contact_id != last.id)).first()
    mail.queue_invitation(reminder, now=utcnow(), reminder=True)
    authoring.change_status(survey, "close", now=utcnow())
    assert dispatch.run_once().cancelled == 1 and smtp.messages == []


def test_only_reminders_are_checked_against_answers_and_one_answered_since_is_cancelled(ctx, smtp):
    """Looking up the answers of a batch of first invitations found nothing to act on (only a reminder is
    unwanted once answered) and, without an index to use, read every stored response each batch."""
    survey = make_survey()
    db.session.add_all(Contact(email=f"c{i}@example.com", name="", attributes={}, created_at=utcnow())
                       for i in range(3))
    db.session.commit()
    campaign = outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=utcnow())
    outreach.launch(campaign, now=utcnow())
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert dispatch.run_once().sent == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert not [s for s in statements if "FROM responses" in s]

    smtp.clear()
    answered, waiting = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()[:2]
    for invitation in (answered, waiting):
        mail.queue_invitation(invitation, now=utcnow(), reminder=True)
    db.session.commit()
    submit_response(survey.current_version, invited_respondent(answered), {"satisfaction": 4}, Consents(),
                    submission_key="k" * 20, now=utcnow())
    report = dispatch.run_once()
    assert (report.sent, report.cancelled) == (1, 1)
    assert [m["To"] for m in smtp.messages] == [waiting.contact.email]
    assert db.session.scalar(select(OutboxMessage.last_error).where(OutboxMessage.status == "cancelled")) \
        == "already answered"


class CountingTransport(dispatch.Transport):
    """Accepts every message, and notes the most it accepted that the database did not yet call sent, and
    the most messages claimed at once."""

    def __init__(self):
        self.accepted = self.most_unrecorded = self.most_claimed = 0

    def send(self, envelope):
        with db.engine.connect() as connection:
            counts = dict(connection.execute(select(OutboxMessage.status, func.count())
                                             .group_by(OutboxMessage.status)).all())
        self.most_unrecorded = max(self.most_unrecorded, self.accepted - counts.get("sent", 0))
        self.most_claimed = max(self.most_claimed, counts.get("sending", 0))
        self.accepted += 1


def test_sent_messages_are_never_more_than_record_every_ahead_of_the_database(ctx):
    """What a worker killed at the worst moment may send again: sent groups are recorded in the background
    while the next messages go, but never more than RECORD_EVERY behind. And what it leaves claimed until
    its lease runs out: the batch it was sending and the next one, claimed meanwhile, no more."""
    count = 4 * dispatch.BATCH_SIZE + 7
    queue_messages(count)
    transport = CountingTransport()
    assert dispatch.run_once(transport=transport).sent == count
    assert 0 < transport.most_unrecorded <= dispatch.RECORD_EVERY
    assert dispatch.BATCH_SIZE < transport.most_claimed <= 2 * dispatch.BATCH_SIZE
    assert statuses() == {"sent": count}


def test_without_smtp_the_eml_file_is_the_message_as_it_would_be_sent(ctx, instance_path):
    ctx.config.update(SMTP_HOST=None, MAIL_FROM="Hearken <feedback@example.test>")
    (message_id,) = queue_messages(1)
    data = rendered(message_id)
    assert dispatch.run_once().sent == 1
    (file,) = [f for f in (instance_path / "outbox").glob("*.eml") if message_id.strip("<>").split("@")[0] in f.name]
    sent = file.read_bytes()
    assert sent.startswith(b"From: Hearken <feedback@example.test>\r\nDate: ") and sent.endswith(b"\r\n" + data)
    assert sent.count(b"\r\n") == data.count(b"\r\n") + 2


def test_the_smtp_policy_writes_exactly_what_compat32_writes(ctx):
    """SmtpPolicy writes plain headers without email.header.Header: the bytes must not change."""
    from email.policy import compat32

    reference = compat32.clone(linesep="\r\n", max_line_length=998)
    queue_messages(1)
    rows = [db.session.scalar(select(OutboxMessage)),
            OutboxMessage(message_id="<x@example.test>", recipient="Zoë  Ünïcode <z@example.com>",
                          subject="Ça va ?  —\ttwo  spaces", text_body="Plain only\r\n.\r\n", html_body=None,
                          headers={"X-Long": "word " * 300, "X-Spaces": " lead and trail ", "X-Tab": "a\tb"},
                          images=None, created_at=utcnow())]
    for row in rows:
        message = mail.build_email(row, "Héloïse <feedback@example.test>")
        assert message.as_bytes(policy=mail.SMTP_POLICY) == message.as_bytes(policy=reference)
        # The boundary is not checked against the parts (mail._multipart): it cannot occur in base64.
        assert {part["Content-Transfer-Encoding"] for part in message.walk() if not part.is_multipart()} \
            == {"base64"}
    for value in ("a", "a b", "a  b", " a", "a ", "x" * 996, "x" * 997, "é"):
        assert mail.SMTP_POLICY.fold_binary("H", value) == reference.fold_binary("H", value), value
    for policy in (mail.SMTP_POLICY, reference):  # a header that would add a header is refused by both
        with pytest.raises(HeaderParseError):
            policy.fold_binary("H", "a\r\nBcc: x@example.com")


def test_erasing_a_contact_erases_their_rendered_emails(ctx):
    """The rendered bytes carry the name and address (base64 bodies, which a text search would miss): they go
    with the outbox rows, also for an email queued to the address without its contact."""
    from survey.outreach import contacts

    survey = make_survey()
    db.session.add(Contact(email="ann@example.com", name="Ann Smith", attributes={}, created_at=utcnow()))
    db.session.commit()
    outreach.launch(outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3,
                                             now=utcnow()), now=utcnow())
    queue_messages(1, recipient="Ann Smith <ann@example.com>")
    assert db.session.scalar(select(func.count()).select_from(RenderedEmail)) == 2
    contacts.erase_contact(contacts.find_contact("ann@example.com"), actor="cli", actor_id=None, now=utcnow())
    assert db.session.scalar(select(func.count()).select_from(RenderedEmail)) == 0


def test_emails_are_dated_when_sent_from_the_organisation_with_message_ids_of_the_senders_domain(ctx, smtp):
    """Read as a mail client reads them, from the SMTP server: a triggered invitation that waited two days
    in the outbox is dated when it went out (it said two days earlier); every email's From carries the
    organisation's name (MAIL_FROM names nobody) and its Message-ID the From address's domain, not the
    public address's host name; and nothing says "Hearken" where the organisation's name belongs."""
    from survey import changes, followups
    from survey.accounts import api_tokens
    from tests.survey.changes.test_changelog import customer_response, make_change

    ctx.config.update(ORGANISATION_NAME="Acme Feedback Ltd", MAIL_FROM="feedback@mail.acme.example")
    survey = make_survey()
    token, _ = api_tokens.create_token("shop", "editor", now=utcnow())
    queued_at = utcnow() - timedelta(days=2)
    outreach.record_event(token, email="triggered@example.com", survey_slug=survey.slug, now=queued_at,
                          delay=timedelta(days=2) - timedelta(minutes=1))
    invitation = db.session.scalar(select(Invitation).where(Invitation.source == "event"))
    mail.queue_invitation(invitation, now=queued_at, reminder=True)
    ann = customer_response(survey, "ann@example.com", "Ann", "Call me back please")
    entry = make_change()
    changes.set_links(entry, response_ids=[ann], alert_ids=[], now=queued_at)
    changes.publish(entry, now=queued_at)
    case = db.session.scalar(select(followups.FollowUpCase))
    followups.assign(case, make_user(email="owner@example.com", role="agent"), now=queued_at)
    followups.remind_overdue(now=queued_at)
    db.session.commit()
    assert {row.created_at for row in db.session.scalars(select(OutboxMessage))} == {queued_at}

    before = utcnow().replace(microsecond=0)
    assert dispatch.run_once().sent == 4
    after = utcnow()
    messages = smtp.messages
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "ann@example.com", "owner@example.com", "triggered@example.com", "triggered@example.com"]
    for message in messages:
        assert len(message.get_all("Date")) == 1 and len(message.get_all("From")) == 1
        sent_at = message["Date"].datetime.astimezone(UTC).replace(tzinfo=None)
        assert before <= sent_at <= after, (message["Subject"], sent_at)
        assert (message["From"].addresses[0].display_name, message["From"].addresses[0].addr_spec) \
            == ("Acme Feedback Ltd", "feedback@mail.acme.example")
        assert message["Message-ID"].endswith("@mail.acme.example>")
        texts = [message["Subject"], *(part.get_content() for part in message.walk()
                                       if part.get_content_maintype() == "text")]
        assert not [text for text in texts if "Hearken" in text], message["Subject"]
    invitation_email = next(m for m in messages if not m["Subject"].startswith("Reminder") and
                            m["To"].addresses[0].addr_spec == "triggered@example.com")
    assert invitation_email["Subject"] == "How did we do? — Acme Feedback Ltd"
    assert "Acme Feedback Ltd would like to know how we did." in invitation_email.get_body(("plain",)).get_content()


def test_a_message_rendered_with_its_queueing_date_is_sent_with_one_date_the_send_time(ctx, smtp):
    """Messages queued before the dispatcher wrote Date itself were rendered with the time they were
    queued: the send drops that line, so the message has exactly one Date, the time it went out."""
    (message_id,) = queue_messages(1)
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == message_id))
    row.created_at = utcnow() - timedelta(days=3)
    row.rendered.data = mail.build_email(row, sent_at=row.created_at).as_bytes(policy=mail.SMTP_POLICY)
    db.session.commit()
    assert b"\r\nDate: " in rendered(message_id)
    before = utcnow().replace(microsecond=0)
    assert dispatch.run_once().sent == 1
    (message,) = smtp.messages
    (date,) = message.get_all("Date")
    assert before <= date.datetime.astimezone(UTC).replace(tzinfo=None) <= utcnow()
    assert message.get_body(("plain",)).get_content().strip() == "Body 0"


def test_the_outbox_page_lists_what_failed_and_what_is_being_retried(ctx):
    queue_messages(4)
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    rows[0].status, rows[0].attempts = "failed", 8
    rows[1].status, rows[1].attempts = "failed", 8
    rows[2].attempts = 2  # pending again after a failed attempt
    db.session.commit()  # rows[3]: pending, never tried: not trouble
    trouble = dispatch.outbox_trouble()
    assert (trouble.failed, trouble.retrying) == ([rows[1], rows[0]], [rows[2]])
