"""The dispatcher: sends due outbox messages over SMTP, once each, surviving crashes and restarts.

A pass claims a batch of due rows (row locks with SKIP LOCKED on PostgreSQL, so several dispatchers can
run; SQLite serialises writers anyway), marks them `sending` with a lease, sends them over one reused SMTP
connection and records them as sent in small groups right after the server accepted them, never more than
RECORD_EVERY behind. A worker killed mid-batch leaves its rows `sending`; when the lease runs out another
pass sends them again with the same Message-ID. That window (server accepted, not yet recorded) is the only
way a message can go out twice.

Sending is all a pass does per message: each email's bytes were rendered when it was queued (mail.queue,
RenderedEmail), and the database work (claiming and reading the next batch, recording sent groups) is done
by a second thread while the first waits for the SMTP server's replies (Background).
"""
from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from flask import Flask, current_app
from sqlalchemy import CursorResult, Engine, Row, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from survey import database, followups, mail, outreach
from survey.accounts import passwords
from survey.alerts import trends
from survey.background import jobs
from survey.clock import utcnow
from survey.extensions import db
from survey.models import (
    ChatDelivery,
    Contact,
    DeliveryStatus,
    Invitation,
    OutboxMessage,
    OutboxStatus,
    Response,
    Survey,
    SurveyStatus,
    WebhookDelivery,
)
from survey.models.outreach import RenderedEmail
from survey.results import scorecard
from survey.transfer import audit_log
from survey.webhooks import chat
from survey.webhooks import delivery as webhook_delivery

# A dispatcher holds at most two batches: the one it is sending and the next, claimed meanwhile (Background).
# Together they are what a killed worker leaves to wait for its lease, and what one worker can take from
# the others.
BATCH_SIZE = 50
# At most this many sent messages are not yet recorded as sent at any moment (see Background): a worker killed
# at the worst moment resends at most this many, each with its original Message-ID. One commit per message
# would halve the send rate.
RECORD_EVERY = 20
LEASE = timedelta(minutes=10)
# A message is not begun with less of its claim left than this (an SMTP exchange may wait 30 s at each of a
# few steps): past the claim another dispatcher may take it, and both would send it.
SEND_MARGIN = timedelta(minutes=3)
# While the mail server cannot be reached, or refuses the login, the queue waits this long between tries.
SERVER_RETRY = timedelta(minutes=1)
MAX_ATTEMPTS = 8
WEBHOOK_PASS_SECONDS = 60
TRANSIENT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, OSError)


@dataclass(frozen=True)
class OutboxTrouble:
    failed: list  # OutboxMessage rows that used up their attempts, newest first
    retrying: list  # rows waiting to be tried again after a failed attempt, oldest first


def outbox_trouble(*, limit: int = 200) -> OutboxTrouble:
    """What the outbox page shows: the messages that could not be sent, and those still being retried."""
    failed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
                                .order_by(OutboxMessage.id.desc()).limit(limit)).all()
    retrying = db.session.scalars(select(OutboxMessage)
                                  .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
                                         OutboxMessage.attempts > 0).order_by(OutboxMessage.id).limit(limit)).all()
    return OutboxTrouble(list(failed), list(retrying))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most six hours between tries."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


class ServerUnavailable(Exception):
    """The mail server cannot be reached or will not have us (refused, timed out, TLS or login failed):
    nothing about any one message, so none is charged an attempt for it."""


class Transport:
    """Where messages go: an SMTP server, or .eml files when none is configured."""

    def send(self, envelope: mail.Envelope) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SmtpTransport(Transport):
    def __init__(self, host: str, port: int, *, username=None, password=None, starttls=False, timeout=30):
        self.settings = (host, port, username, password, starttls, timeout)
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        host, port, username, password, starttls, timeout = self.settings
        try:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if starttls:
                # smtplib's own default checks no certificate: anyone on the way could read the password and
                # every personal link. The default context checks the chain and that it names `host`.
                connection.starttls(context=ssl.create_default_context())
            if username:
                connection.login(username, password or "")
        except (OSError, smtplib.SMTPException) as error:
            raise ServerUnavailable(f"{host}:{port}: {type(error).__name__}: {error}") from error
        return connection

    def send(self, envelope: mail.Envelope) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.sendmail(envelope.sender, [envelope.recipient], envelope.data)
        except smtplib.SMTPServerDisconnected:
            # A server that closed an idle connection: reconnect once for this message.
            self.close()
            self.connection = self._connect()
            self.connection.sendmail(envelope.sender, [envelope.recipient], envelope.data)

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None


class FileTransport(Transport):
    """Development default: every message becomes instance/outbox/<id>.eml, to open in a mail client."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, envelope: mail.Envelope) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = envelope.message_id.strip("<>").replace("/", "_").replace("@", "_at_")
        (self.folder / f"{name}.eml").write_bytes(envelope.data)


def configured_transport() -> Transport:
    config = current_app.config
    if not config.get("SMTP_HOST"):
        return FileTransport(Path(current_app.instance_path) / "outbox")
    return SmtpTransport(config["SMTP_HOST"], config["SMTP_PORT"], username=config.get("SMTP_USERNAME"),
                         password=config.get("SMTP_PASSWORD"), starttls=config.get("SMTP_STARTTLS", False))


def claim(*, now: datetime, limit: int = BATCH_SIZE,
          queue: type[OutboxMessage] | type[WebhookDelivery] | type[ChatDelivery] = OutboxMessage) -> list[int]:
    """Claim due rows of a durable queue (the email outbox or webhook deliveries, which share status,
    not_before, claimed_until and attempts): pending and due, or `sending` with an expired lease."""
    # The two queues name these two statuses alike (OutboxStatus, DeliveryStatus).
    due = or_(and_(queue.status == OutboxStatus.PENDING, queue.not_before <= now),
              and_(queue.status == OutboxStatus.SENDING, queue.claimed_until < now))
    ids = list(db.session.scalars(
        select(queue.id).where(due).order_by(queue.id).limit(limit)
        .with_for_update(skip_locked=True)))
    if ids:
        db.session.execute(update(queue).where(queue.id.in_(ids))
                           .values(status=OutboxStatus.SENDING, claimed_until=max(now, utcnow()) + LEASE,
                                   attempts=queue.attempts + 1))
    db.session.commit()
    return ids


# Emails to customers: never sent after they unsubscribe, even if queued before.
CUSTOMER_EMAILS = ("invitation", "reminder", "change", "digest")


def _unwanted(rows: list) -> dict[int, str]:
    """Outbox id → why that survey email must not go out any more. Checked at send time, because a
    triggered invitation may wait days in the outbox. At most three queries per batch, not per message."""
    survey_rows = [row for row in rows if row.kind in CUSTOMER_EMAILS and row.contact_id is not None]
    contact_ids = {row.contact_id for row in survey_rows}
    invitation_ids = {row.invitation_id for row in survey_rows if row.invitation_id is not None}
    subscribed = set(db.session.scalars(
        select(Contact.id).where(Contact.id.in_(contact_ids), Contact.unsubscribed_at.is_(None))))
    closed = set(db.session.scalars(
        select(Invitation.id).join(Survey).where(Invitation.id.in_(invitation_ids),
                                                 Survey.status != SurveyStatus.PUBLISHED)))
    # Only a reminder is unwanted once answered (an invitation is the answer's way in).
    reminded = {row.invitation_id for row in survey_rows if row.kind == "reminder" and row.invitation_id is not None}
    answered = set(db.session.scalars(
        select(Response.invitation_id).where(Response.invitation_id.in_(reminded)))) if reminded else set()
    reasons = {}
    for row in survey_rows:
        if row.contact_id not in subscribed:
            reasons[row.id] = "unsubscribed"
        elif row.invitation_id in closed:
            reasons[row.id] = "survey closed"
        elif row.kind == "reminder" and row.invitation_id in answered:
            reasons[row.id] = "already answered"
    return reasons


def _classify(error: Exception) -> bool:
    """True when the failure is permanent (the server said no for good, 5xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return not isinstance(error, TRANSIENT_ERRORS)


@dataclass
class PassReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    server_down: bool = False  # the pass stopped: the mail server could not be used
    errors: list[str] = field(default_factory=list)
    webhooks: webhook_delivery.DeliveryReport = field(default_factory=webhook_delivery.DeliveryReport)
    chat: webhook_delivery.DeliveryReport = field(default_factory=webhook_delivery.DeliveryReport)
    jobs: int = 0  # jobs run to their end (or to the end of an attempt)


def _mark(row, **values) -> None:
    """Record a message's outcome and commit it at once (a Core UPDATE: nothing is reloaded)."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
    db.session.commit()


def _sent_statements():
    """Marking a group sent: built once, because a pass records a group every few messages and building the
    statements each time cost more than running them."""
    ids, now = bindparam("ids", expanding=True), bindparam("now", type_=OutboxMessage.sent_at.type)
    return (update(OutboxMessage).where(OutboxMessage.id.in_(ids))
            .values(status=OutboxStatus.SENT, sent_at=now, claimed_until=None, last_error=None),
            update(Invitation).where(Invitation.id.in_(ids))
            .values(sent_at=func.coalesce(Invitation.sent_at, now), last_sent_at=now),
            # A sent message's bytes are never needed again (the outbox row keeps what it said): about 7 KB
            # an email that would otherwise stay for good.
            delete(RenderedEmail).where(RenderedEmail.outbox_id.in_(ids)))


MARK_SENT, MARK_INVITATIONS_SENT, FORGET_RENDERED = _sent_statements()


def _record_sent(engine: Engine, sent: list, now: datetime) -> None:
    """Mark a group sent, on a connection of its own (the Background thread's)."""
    with engine.begin() as connection:
        ids = [row.id for row in sent]
        connection.execute(MARK_SENT, {"ids": ids, "now": now})
        connection.execute(FORGET_RENDERED, {"ids": ids})
        if invitations := [row.invitation_id for row in sent if row.invitation_id is not None]:
            connection.execute(MARK_INVITATIONS_SENT, {"ids": invitations, "now": now})


# What sending needs of a claimed row: not its bodies, which its RenderedEmail holds rendered.
SEND_COLUMNS = (OutboxMessage.id, OutboxMessage.message_id, OutboxMessage.kind, OutboxMessage.recipient,
                OutboxMessage.contact_id, OutboxMessage.invitation_id, OutboxMessage.attempts,
                OutboxMessage.claimed_until, OutboxMessage.sender_name, RenderedEmail.data.label("raw"))


def _load_claimed(ids: list[int]) -> list[Row | OutboxMessage]:
    """The claimed rows still ours, as plain rows (no ORM state to track or reload); a row queued before
    messages were rendered at queue time (no RenderedEmail) is loaded whole, for mail.envelope to render."""
    claimed = and_(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.SENDING)
    rows = db.session.execute(select(*SEND_COLUMNS).outerjoin(RenderedEmail).where(claimed)
                              .order_by(OutboxMessage.id)).all()
    if unrendered := [row.id for row in rows if row.raw is None]:
        whole = {message.id: message for message in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(unrendered))
            .options(selectinload(OutboxMessage.rendered)))}
        for message in whole.values():  # detached: reading them later never reloads them
            db.session.expunge(message)
        return [whole.get(row.id, row) for row in rows]
    return list(rows)


@dataclass
class Batch:
    """Claimed messages to send; those that must not go any more are already cancelled."""

    rows: list
    cancelled: int


def next_batch(*, now: datetime, limit: int = BATCH_SIZE) -> Batch | None:
    """Claim due messages and read what sending them needs. The unsubscribe / closed survey / answered
    checks are made here for the whole batch, while the batch before it is being sent: a message goes at
    most about two batches' sending time after its check (under a second at the rates in
    docs/benchmarks.md; a few seconds with a relay that takes 20 ms a message)."""
    if not (ids := claim(now=now, limit=limit)):
        return None
    rows = _load_claimed(ids)
    reasons = _unwanted(rows)
    for reason in set(reasons.values()):  # one UPDATE per reason
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(
            [row.id for row in rows if reasons.get(row.id) == reason]))
            .values(status=OutboxStatus.CANCELLED, last_error=reason, claimed_until=None))
    db.session.commit()
    return Batch([row for row in rows if row.id not in reasons], len(reasons))


class Background:
    """A pass's database work, done in one thread of its own while the sending thread waits for the SMTP
    server: recording sent messages, and claiming and reading the next batch while this one is sent. One
    thread, so its writes go one at a time, in the order they were asked for (SQLite has one writer).

    Sent messages are recorded in groups; at most IN_FLIGHT groups wait to be committed, and a full group is
    handed over only when that leaves room, so at most (IN_FLIGHT + 1) × GROUP = RECORD_EVERY messages are
    ever accepted by the server and not yet recorded: what a worker killed at the worst moment sends again.
    Several small groups in flight rather than one large one: the sending thread rarely has to wait for a
    commit queued behind the next batch's claim."""

    IN_FLIGHT = 3
    GROUP = RECORD_EVERY // (IN_FLIGHT + 1)

    def __init__(self, clock: Callable[[], datetime]):
        # The app itself, for the thread: current_app is a LocalProxy, though Flask types it as the app.
        self.app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        self.engine, self.clock = db.engine, clock
        self.group: list = []
        self.recording: deque[Future] = deque()
        self.last: Future | None = None
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hearken-dispatch")

    def _submit(self, function, *args) -> Future:
        self.last = self.thread.submit(function, *args)
        return self.last

    def next_batch(self, now: datetime) -> Future:
        """Batch | None, claimed in the background."""
        def claim_in_app() -> Batch | None:
            with self.app.app_context():
                return next_batch(now=now)
        return self._submit(claim_in_app)

    def sent(self, row) -> None:
        self.group.append(row)
        if len(self.group) >= self.GROUP:
            while len(self.recording) >= self.IN_FLIGHT:
                self.recording.popleft().result()  # raises the error of a group that could not be recorded
            self.recording.append(self._submit(_record_sent, self.engine, self.group, self.clock()))
            self.group = []

    def flush(self) -> None:
        """Record everything sent so far and finish what was asked, before the sending thread writes itself."""
        if self.group:
            self._submit(_record_sent, self.engine, self.group, self.clock())
            self.group = []
        if self.last is not None:
            self.last.result()  # the thread runs its work in order: the last done means all done
        while self.recording:
            self.recording.popleft().result()

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self.flush()
        finally:
            self.thread.shutdown(wait=True)


def release(rows: list, *, not_before: datetime) -> int:
    """Put claimed rows back in the queue unsent, the attempt their claim counted given back."""
    # A CursorResult, as DML gives; Session.execute is typed as returning a Result.
    result = cast(CursorResult, db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([row.id for row in rows]), OutboxMessage.status == OutboxStatus.SENDING)
        .values(status=OutboxStatus.PENDING, claimed_until=None, not_before=not_before,
                attempts=OutboxMessage.attempts - 1)))
    db.session.commit()
    return result.rowcount


def send_batch(batch: Batch, transport: Transport, background: Background, *,
               clock: Callable[[], datetime] = utcnow) -> PassReport:
    report = PassReport(cancelled=batch.cancelled)
    sender = mail.sender(current_app.config)
    for index, row in enumerate(batch.rows):
        if (now := clock()) >= row.claimed_until - SEND_MARGIN:
            # A slow server used up most of this batch's claim: the rest go next pass, claimed anew.
            background.flush()
            released = release(batch.rows[index:], not_before=clock())
            report.errors.append(f"{released} messages put back for the next pass: the mail server is slow, "
                                 "and their claim was running out")
            break
        try:
            transport.send(mail.envelope(row, sender, now=now))
        except ServerUnavailable as error:
            transport.close()
            background.flush()
            released = release(batch.rows[index:], not_before=clock() + SERVER_RETRY)
            report.errors.append(f"the mail server is unavailable, {released} messages wait for it (no attempt "
                                 f"counted): {error}"[:2000])
            report.retried += released
            report.server_down = True
            break
        except Exception as error:  # noqa: BLE001 — every failure is recorded on the row, none is lost
            transport.close()
            background.flush()
            message = f"{type(error).__name__}: {error}"[:2000]
            report.errors.append(f"{row.recipient}: {message}")
            if _classify(error) or row.attempts >= MAX_ATTEMPTS:
                _mark(row, status=OutboxStatus.FAILED, last_error=message, claimed_until=None)
                report.failed += 1
            else:
                _mark(row, status=OutboxStatus.PENDING, last_error=message, claimed_until=None,
                      not_before=clock() + backoff(row.attempts))
                report.retried += 1
            continue
        background.sent(row)
        report.sent += 1
    return report


def deliver_webhooks(*, now: datetime) -> webhook_delivery.DeliveryReport:
    """Send due webhook deliveries: claimed like email (lease, SKIP LOCKED, attempts), retried with the same
    backoff. Small batches keep a round of slow receivers well inside the lease, and the pass stops
    claiming after WEBHOOK_PASS_SECONDS so email is not kept waiting by a receiver that times out. Finished
    deliveries older than webhook_delivery.HISTORY are deleted first."""
    webhook_delivery.purge_history(now=now)
    total = webhook_delivery.DeliveryReport()
    started = time.monotonic()
    while time.monotonic() - started < WEBHOOK_PASS_SECONDS and (
            ids := claim(now=now, limit=webhook_delivery.BATCH_SIZE, queue=WebhookDelivery)):
        total.add(webhook_delivery.send_claimed(ids, allowed_hosts=current_app.config["WEBHOOK_ALLOWED_HOSTS"],
                                                clock=lambda: max(now, utcnow()), retry_after=backoff))
    return total


def deliver_chat(*, now: datetime) -> webhook_delivery.DeliveryReport:
    """Send due Slack and Microsoft Teams messages: claimed like webhook deliveries (lease, SKIP LOCKED,
    attempts, the same backoff and attempt limit), within the same kind of time budget; finished messages
    older than webhook_delivery.HISTORY are deleted first."""
    db.session.execute(delete(ChatDelivery).where(
        ChatDelivery.status.in_((DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)),
        ChatDelivery.not_before < now - webhook_delivery.HISTORY))
    db.session.commit()
    total = webhook_delivery.DeliveryReport()
    deadline = time.monotonic() + WEBHOOK_PASS_SECONDS
    while time.monotonic() < deadline and (
            ids := claim(now=now, limit=webhook_delivery.BATCH_SIZE, queue=ChatDelivery)):
        total.add(chat.send_claimed(ids, clock=lambda: max(now, utcnow()), retry_after=backoff))
    return total


def run_once(*, now: datetime | None = None, transport: Transport | None = None, with_jobs: bool = True) -> PassReport:
    """One pass: launch due campaigns, queue due reminders (to customers, and to owners of overdue
    follow-ups), delete audit entries past their retention, queue the emails that "Forgot your password?"
    requests call for, send everything due, then run due jobs (unless `with_jobs` is False: run_forever
    launches campaigns and runs jobs in a thread of their own, so a campaign of a million contacts or a long
    import does not hold up email)."""
    now = now or utcnow()
    total = PassReport()
    # A step that fails (a bad campaign, a database hiccup) is reported and retried next pass; it must not
    # stop the messages already queued from going out.
    launching = (outreach.launch_due_campaigns,) if with_jobs else ()
    for step in (*launching, outreach.queue_due_reminders, followups.remind_overdue, followups.escalate_overdue,
                 audit_log.purge_expired, passwords.send_requested_resets):
        try:
            step(now=now)
        except Exception as error:  # noqa: BLE001
            db.session.rollback()
            total.errors.append(f"{step.__name__} failed: {type(error).__name__}: {error}")
    transport = transport or configured_transport()
    db.session.commit()  # this thread holds no transaction while the Background one writes (SQLite's lock)
    try:
        with Background(utcnow) as background:
            upcoming = background.next_batch(now)
            while batch := upcoming.result():
                upcoming = background.next_batch(now)  # claimed and read while this batch is sent
                report = send_batch(batch, transport, background)
                for name in ("sent", "retried", "failed", "cancelled"):
                    setattr(total, name, getattr(total, name) + getattr(report, name))
                total.errors.extend(report.errors)
                if report.server_down:  # no use trying the next batch now: it goes back unsent too
                    if (claimed := upcoming.result()) is not None:
                        total.retried += release(claimed.rows, not_before=utcnow() + SERVER_RETRY)
                    total.server_down = True
                    break
    finally:
        transport.close()
    try:  # after email, and isolated like the steps above: nothing a webhook does can stop email
        total.webhooks = deliver_webhooks(now=now)
        total.errors.extend(total.webhooks.errors)
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        total.errors.append(f"deliver_webhooks failed: {type(error).__name__}: {error}")
    try:  # Slack and Microsoft Teams messages: the same queue discipline, after the webhooks
        total.chat = deliver_chat(now=now)
        total.errors.extend(total.chat.errors)
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        total.errors.append(f"deliver_chat failed: {type(error).__name__}: {error}")
    if with_jobs:
        total.jobs, errors = _run_jobs()
        total.errors.extend(errors)
    return total


def _run_jobs() -> tuple[int, list[str]]:
    """Due jobs, isolated like the steps of a pass: how many ran, and why the queue itself failed if it did
    (a job's own failure is recorded on the job)."""
    try:
        return jobs.run_due(), []
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        return 0, [f"run_due failed: {type(error).__name__}: {error}"]


def run_forever(*, interval: float, detect_every: float, echo: Callable[[str], None],
                should_stop: Callable[[], bool] = lambda: False):
    """Dispatch every `interval` seconds; every `detect_every` seconds detect trends and queue the weekly
    scorecard when it is due (both are de-duplicated, so running them again is harmless). A failure is
    reported and retried. Jobs run meanwhile in a thread of their own, so a long import holds up no email."""
    stopped = threading.Event()
    # The app itself, for the thread: current_app is a LocalProxy, though Flask types it as the app.
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    # Daemon: a job still running when the loop stops is resumed by the next dispatcher (its lease runs out).
    worker = threading.Thread(target=_jobs_forever, name="hearken-jobs", daemon=True,
                              args=(app, interval, echo, stopped))
    # And a third folds SQLite's WAL back into the database file, so customers' commits need not.
    checkpointer = threading.Thread(target=_checkpoints_forever, name="hearken-wal", daemon=True,
                                    args=(app, echo, stopped))
    worker.start()
    checkpointer.start()
    try:
        _dispatch_forever(interval=interval, detect_every=detect_every, echo=echo, should_stop=should_stop)
    finally:
        stopped.set()
        worker.join(timeout=interval + 1)
        checkpointer.join(timeout=1)


def _checkpoints_forever(app: Flask, echo: Callable[[str], None], stopped: threading.Event) -> None:
    with app.app_context():
        database.keep_wal_short(stopped, echo)


def _dispatch_forever(*, interval: float, detect_every: float, echo: Callable[[str], None],
                      should_stop: Callable[[], bool]) -> None:
    last_detection = float("-inf")
    while not should_stop():
        try:
            if time.monotonic() - last_detection >= detect_every:
                last_detection = time.monotonic()
                found = trends.run(now=utcnow())
                if found.new_alerts:
                    echo(f"trend detection: {len(found.new_alerts)} new alerts")
                if queued := scorecard.send_scorecards(now=utcnow(), cases=followups.scorecard_cases):
                    echo(f"weekly scorecard queued for {queued} people")
            report = run_once(with_jobs=False)
            if report.sent or report.failed or report.retried:
                echo(f"sent {report.sent}, retrying {report.retried}, failed {report.failed}")
            if hooks := report.webhooks.delivered + report.webhooks.retried + report.webhooks.failed:
                echo(f"webhooks: {hooks} attempts, {report.webhooks.delivered} delivered, "
                     f"{report.webhooks.retried} retrying, {report.webhooks.failed} failed")
        except Exception as error:  # noqa: BLE001 — a database outage must not end the loop
            db.session.rollback()
            echo(f"dispatch pass failed, will retry: {type(error).__name__}: {error}")
        db.session.remove()
        time.sleep(interval)


def _launch_due_campaigns() -> list[str]:
    """Scheduled campaigns that are due, launched (each in chunks that commit): why that failed, if it did
    (the next call goes on where it stopped)."""
    try:
        outreach.launch_due_campaigns(now=utcnow())
    except Exception as error:  # noqa: BLE001
        db.session.rollback()
        return [f"launch_due_campaigns failed: {type(error).__name__}: {error}"]
    return []


def _jobs_forever(app: Flask, interval: float, echo: Callable[[str], None], stopped: threading.Event) -> None:
    """run_forever's second thread: due campaigns launched and due jobs run, one after another, beside the
    sending, until `stopped`."""
    with app.app_context():
        while not stopped.is_set():
            for error in _launch_due_campaigns():
                echo(f"campaigns: {error}")
            ran, errors = _run_jobs()
            for error in errors:
                echo(f"jobs: {error}")
            if ran:
                echo(f"jobs: {ran} run")
            db.session.remove()
            stopped.wait(interval)
