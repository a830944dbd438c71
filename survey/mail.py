"""Composing email: rendering the templates, queueing the message in the outbox, and turning an outbox row
back into an RFC 5322 message for the dispatcher.

Every link is absolute and built from HEARKEN_BASE_URL. Messages are rendered when they are queued (in
the transaction that caused them), so what was previewed and queued is exactly what is sent: the templates,
and also the message's final bytes (all but the From and Date lines, which the dispatcher writes when it
sends: From from MAIL_FROM and the organisation's name, Date the moment it is sent).
"""
from __future__ import annotations

import re
import secrets
from base64 import b64decode, b64encode
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import Header
from email.message import Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app, render_template

from survey.extensions import db
from survey.links import external_url
from survey.models import Contact, Invitation, OutboxMessage, Question
from survey.models.outreach import OutboxStatus, RenderedEmail
from survey.tokens import new_token

ONE_CLICK_TYPES = ("rating", "nps")
PLAIN_HEADER = re.compile(r"[!-~]+(?: [!-~]+)*")  # printable ASCII words, one space between them


class SmtpPolicy(Compat32):
    """compat32 with CRLF line ends and no folding of long link headers (up to 998 characters).

    A plain header (printable ASCII words, one space apart, within the line length) is written as it is,
    which is what compat32 writes for it (tests/survey/background/test_dispatch.py compares them), without building an
    email.header.Header per header: about a quarter of the time to render a message, paid by every one queued.
    """

    def fold_binary(self, name, value):
        if isinstance(value, str) and len(name) + 2 + len(value) <= self.max_line_length \
                and PLAIN_HEADER.fullmatch(value):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


SMTP_POLICY = SmtpPolicy(linesep="\r\n", max_line_length=998)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None  # None: a plain-text message (notes between staff)
    headers: dict[str, str]
    images: dict[str, bytes] | None = None  # Content-ID → PNG shown inline by the HTML ("cid:…")


def unsubscribe_url(contact: Contact) -> str:
    if not contact.unsubscribe_token:
        contact.unsubscribe_token = new_token()
    return external_url("outreach.unsubscribe", token=contact.unsubscribe_token)


def one_click_links(question: Question | None, token: str) -> list[tuple[str, str, str]]:
    """(value, label, link) per point of the first question when it is a scale. The link only pre-selects
    the rating: opening it (as mail scanners do) records nothing; the customer still presses Submit."""
    if question is None or question.type not in ONE_CLICK_TYPES:
        return []
    return [(value, label, external_url("respond.personal_survey", token=token, rating=value))
            for value, label in question.choices]


def _addressee(invitation: Invitation) -> Contact:
    """The contact an invitation is emailed to. Only an erased contact's invitation has none, and it is
    never emailed: erasure anonymises it, and reminders join the contacts."""
    if invitation.contact is None:
        raise ValueError(f"invitation {invitation.id} has no contact (erased): it cannot be emailed")
    return invitation.contact


def render_invitation(invitation: Invitation, *, reminder: bool = False) -> Rendered:
    version = invitation.survey.current_version
    first = version.questions[0] if version.questions else None
    contact = _addressee(invitation)
    unsubscribe = unsubscribe_url(contact)
    context = dict(
        organisation=current_app.config["ORGANISATION_NAME"], contact=contact, version=version,
        first=first if first is not None and first.type in ONE_CLICK_TYPES else None,
        buttons=one_click_links(first, invitation.token), reminder=reminder,
        survey_url=external_url("respond.personal_survey", token=invitation.token),
        unsubscribe_url=unsubscribe, changes_url=external_url("public.changes"),
    )
    subject = ("Reminder: " if reminder else "") + f"{version.title} — {context['organisation']}"
    return Rendered(
        subject=subject[:300],
        text=render_template("email/invitation.txt", **context),
        html=render_template("email/invitation.html", **context),
        # RFC 8058: mail clients offer a one-click unsubscribe that POSTs to this address.
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def address(name: str, email: str) -> str:
    """"Name <email>", with the name on one line: a line break in a name (a quoted CSV cell, an API
    call) must never become a header of its own or change where the message goes."""
    name = " ".join((name or "").split())
    # An address stored before addresses were kept in ASCII (invitations.normalise_email) cannot take a
    # name (formataddr refuses it); the dispatcher fails its message, and only its message.
    return formataddr((name, email)) if name and email.isascii() else email


def sender_domain(config) -> str:
    """The domain of the From address (MAIL_FROM), which Message-IDs end with: the sender's domain, as
    RFC 5322 suggests, not this machine's name. The public address's host name when MAIL_FROM has none."""
    domain = parseaddr(config.get("MAIL_FROM") or "")[1].rpartition("@")[2].strip().strip(".").lower()
    if domain and not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            domain = ""
    if domain and re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f.:]+\]", domain):
        return domain
    return urlsplit(config["BASE_URL"]).hostname or "hearken.invalid"


def new_message_id() -> str:
    return make_msgid(domain=sender_domain(current_app.config))


def sender(config) -> str:
    """The From of every email: MAIL_FROM, shown under the organisation's name (HEARKEN_ORGANISATION)
    unless MAIL_FROM gives a name of its own."""
    name, email = parseaddr(config.get("MAIL_FROM") or "")
    return formataddr((name or " ".join(config["ORGANISATION_NAME"].split()), email))


def queue(rendered: Rendered, *, kind: str, recipient: str, now: datetime, not_before: datetime | None = None,
          contact_id: int | None = None, invitation_id: int | None = None,
          campaign_id: int | None = None, message_id: str | None = None) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (the caller commits). A fixed `message_id`
    makes queueing the same message twice fail on the unique column (e.g. one scorecard per week)."""
    images = {cid: b64encode(png).decode("ascii") for cid, png in (rendered.images or {}).items()} or None
    message = OutboxMessage(
        message_id=message_id or new_message_id(), kind=kind, images=images, recipient=recipient,
        subject=rendered.subject, text_body=rendered.text, html_body=rendered.html, headers=rendered.headers,
        contact_id=contact_id, invitation_id=invitation_id, campaign_id=campaign_id, status=OutboxStatus.PENDING,
        attempts=0, not_before=not_before or now, created_at=now,
    )
    message.rendered = RenderedEmail(data=render(message))
    db.session.add(message)
    return message


def queue_invitation(invitation: Invitation, *, now: datetime, reminder: bool = False) -> OutboxMessage:
    contact = _addressee(invitation)
    return queue(render_invitation(invitation, reminder=reminder), kind="reminder" if reminder else "invitation",
                 recipient=address(contact.name, contact.email),
                 now=now, not_before=now if reminder else (invitation.scheduled_for or now),
                 contact_id=contact.id, invitation_id=invitation.id, campaign_id=invitation.campaign_id)


def build_email(row: OutboxMessage, sender: str | None = None, sent_at: datetime | None = None) -> Message:
    """The outbox row as a multipart/alternative message with its fixed Message-ID; From only when `sender`
    is given and Date only when `sent_at` is (what is stored when queued has neither: see `envelope`).

    Built with the compat32 classes: the modern EmailMessage API parses every header it is given and cost
    several milliseconds per message, most of the dispatcher's time (see docs/benchmarks.md)."""
    message: Message
    if row.html_body:
        message = _multipart("alternative")
        message.attach(MIMEText(row.text_body, "plain", "utf-8"))
        message.attach(_html_part(row.html_body, row.images))
    else:
        message = MIMEText(row.text_body, "plain", "utf-8")
    if sender is not None:
        message["From"] = _address(sender)
    message["To"] = _address(row.recipient)
    subject = " ".join(row.subject.split())  # a title with a line break must not break the header
    # compat32 takes a Header as a header's value; typeshed's MIME classes accept only a str.
    message["Subject"] = Header(subject, "utf-8") if not subject.isascii() else subject  # type: ignore[assignment]
    message["Message-ID"] = row.message_id
    if sent_at is not None:
        message["Date"] = _date(sent_at)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (row.headers or {}).items():
        message[name] = value
    return message


def render(row: OutboxMessage) -> bytes:
    """The bytes the dispatcher sends after the From and Date lines: rendered once, when the message is
    queued (RenderedEmail), so a pass only sends. A re-send after a crash sends these same bytes (under
    the Date of the re-send)."""
    # SMTP lines end in CRLF; a message with bare LF arrives as one overlong line.
    return build_email(row).as_bytes(policy=SMTP_POLICY)


def _multipart(subtype: str) -> MIMEMultipart:
    """A multipart whose boundary is chosen here rather than by the generator, which compiles a new regular
    expression per message to check that its random boundary is absent from the parts. The check is not
    needed: every leaf part is base64 (MIMEText with utf-8, MIMEImage), whose lines never begin with "--",
    and a nested multipart's boundary has 96 random bits of its own."""
    return MIMEMultipart(subtype, boundary=f"=_hearken_{secrets.token_hex(12)}")


def _html_part(html: str, images: dict[str, str] | None) -> Message:
    """The HTML alone, or multipart/related with the pictures it shows by Content-ID."""
    if not images:
        return MIMEText(html, "html", "utf-8")
    related = _multipart("related")
    related.attach(MIMEText(html, "html", "utf-8"))
    for cid, data in images.items():
        picture = MIMEImage(b64decode(data), "png")
        picture["Content-ID"] = f"<{cid}>"
        picture["Content-Disposition"] = f'inline; filename="{cid}.png"'
        related.attach(picture)
    return related


def _address(value: str) -> str:
    """Encode a display name that is not ASCII (RFC 2047); the address itself must be ASCII."""
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


class UndeliverableAddress(ValueError):
    """A recipient no send can reach (a permanent failure of its message)."""


@dataclass(frozen=True)
class Envelope:
    """What the SMTP transaction needs: addresses for MAIL FROM / RCPT TO and the message's bytes."""

    message_id: str
    sender: str
    recipient: str
    data: bytes


def envelope(row: OutboxMessage, sender: str, *, now: datetime) -> Envelope:
    """The row's SMTP transaction, sent at `now` (naive UTC). From and the envelope sender are `sender`
    (mail.sender: MAIL_FROM at send time) and Date is `now`: a triggered invitation may wait days in the
    outbox, and its Date is when it went out, not when it was queued. Rows queued before messages were
    rendered at queue time (raw is None) are rendered now."""
    sender_address, from_line = _sender(sender)
    recipient = parseaddr(row.recipient)[1]
    if not recipient.isascii():
        raise UndeliverableAddress(f"{recipient} has characters outside ASCII, which needs SMTPUTF8; "
                                   "Hearken sends without it. Correct or remove the contact's address.")
    data = _without_date(row.raw) if row.raw is not None else render(row)
    date_line = _date_line(now.replace(microsecond=0))
    return Envelope(row.message_id, sender_address, recipient, from_line + date_line + data)


@lru_cache(maxsize=16)
def _sender(sender: str) -> tuple[str, bytes]:
    """MAIL_FROM's address and its From header line, as the generator would write it (one per setting,
    not per message)."""
    return parseaddr(sender)[1], SMTP_POLICY.fold_binary("From", _address(sender))


def _date(moment: datetime) -> str:
    """RFC 5322 date-time of a naive UTC moment."""
    return format_datetime(moment.replace(tzinfo=UTC))


@lru_cache(maxsize=4)
def _date_line(moment: datetime) -> bytes:
    """The Date header line (one per second of sending, not per message)."""
    return SMTP_POLICY.fold_binary("Date", _date(moment))


def _without_date(data: bytes) -> bytes:
    """Rendered bytes without a Date line: messages rendered before the dispatcher wrote Date itself carry
    the time they were queued, and a message has exactly one Date (RFC 5322)."""
    head = data.find(b"\r\n\r\n")
    start = data.find(b"\r\nDate: ", 0, head)
    if start < 0:
        return data
    return data[:start] + data[data.index(b"\r\n", start + 2):]
