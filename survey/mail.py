"""Composing email: rendering the templates, queueing the message in the outbox, and turning an outbox row
back into an RFC 5322 message for the dispatcher.

Every link is absolute and built from HEARKEN_BASE_URL. Messages are rendered when they are queued (in
the transaction that caused them), so what was previewed and queued is exactly what is sent.
"""
from __future__ import annotations

from base64 import b64decode, b64encode
from dataclasses import dataclass
from datetime import datetime, timezone
from email.header import Header
from email.message import Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template

from survey.extensions import db
from survey.links import external_url
from survey.models import Contact, Invitation, OutboxMessage, Question
from survey.tokens import new_token

ONE_CLICK_TYPES = ("rating", "nps")
SMTP_POLICY = compat32.clone(linesep="\r\n", max_line_length=998)  # no folding of long link headers


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


def render_invitation(invitation: Invitation, *, reminder: bool = False) -> Rendered:
    version = invitation.survey.current_version
    first = version.questions[0] if version.questions else None
    unsubscribe = unsubscribe_url(invitation.contact)
    context = dict(
        organisation=current_app.config["ORGANISATION_NAME"], contact=invitation.contact, version=version,
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
    return formataddr((name, email)) if name else email


def new_message_id() -> str:
    return make_msgid(domain=urlsplit(current_app.config["BASE_URL"]).hostname or "hearken.invalid")


def queue(rendered: Rendered, *, kind: str, recipient: str, now: datetime, not_before: datetime | None = None,
          contact_id: int | None = None, invitation_id: int | None = None,
          campaign_id: int | None = None, message_id: str | None = None) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (the caller commits). A fixed `message_id`
    makes queueing the same message twice fail on the unique column (e.g. one scorecard per week)."""
    images = {cid: b64encode(png).decode("ascii") for cid, png in (rendered.images or {}).items()} or None
    message = OutboxMessage(
        message_id=message_id or new_message_id(), kind=kind, images=images, recipient=recipient,
        subject=rendered.subject, text_body=rendered.text, html_body=rendered.html, headers=rendered.headers,
        contact_id=contact_id, invitation_id=invitation_id, campaign_id=campaign_id, status="pending", attempts=0,
        not_before=not_before or now, created_at=now,
    )
    db.session.add(message)
    return message


def queue_invitation(invitation: Invitation, *, now: datetime, reminder: bool = False) -> OutboxMessage:
    contact = invitation.contact
    return queue(render_invitation(invitation, reminder=reminder), kind="reminder" if reminder else "invitation",
                 recipient=address(contact.name, contact.email),
                 now=now, not_before=now if reminder else (invitation.scheduled_for or now),
                 contact_id=contact.id, invitation_id=invitation.id, campaign_id=invitation.campaign_id)


def build_email(row: OutboxMessage, sender: str) -> Message:
    """The outbox row as a multipart/alternative message with its fixed Message-ID.

    Built with the compat32 classes: the modern EmailMessage API parses every header it is given and cost
    several milliseconds per message, most of the dispatcher's time (see docs/benchmarks.md)."""
    message = MIMEMultipart("alternative") if row.html_body else MIMEText(row.text_body, "plain", "utf-8")
    if row.html_body:
        message.attach(MIMEText(row.text_body, "plain", "utf-8"))
        message.attach(_html_part(row.html_body, row.images))
    message["From"] = _address(sender)
    message["To"] = _address(row.recipient)
    subject = " ".join(row.subject.split())  # a title with a line break must not break the header
    message["Subject"] = Header(subject, "utf-8") if not subject.isascii() else subject
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at.replace(tzinfo=timezone.utc))
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (row.headers or {}).items():
        message[name] = value
    return message


def _html_part(html: str, images: dict[str, str] | None) -> Message:
    """The HTML alone, or multipart/related with the pictures it shows by Content-ID."""
    if not images:
        return MIMEText(html, "html", "utf-8")
    related = MIMEMultipart("related")
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


@dataclass(frozen=True)
class Envelope:
    """What the SMTP transaction needs: addresses for MAIL FROM / RCPT TO and the message's bytes."""

    message_id: str
    sender: str
    recipient: str
    data: bytes


def envelope(row: OutboxMessage, sender: str) -> Envelope:
    # SMTP lines end in CRLF; a message with bare LF arrives as one overlong line.
    data = build_email(row, sender).as_bytes(policy=SMTP_POLICY)
    return Envelope(row.message_id, parseaddr(sender)[1], parseaddr(row.recipient)[1], data)
