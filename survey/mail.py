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
from binascii import b2a_base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.header import Header
from email.message import Message
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import Compat32
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from markupsafe import escape

from survey import languages
from survey.authoring.piping import fill, placeholders
from survey.authoring.translations import languages_of, localised
from survey.extensions import db
from survey.links import external_url
from survey.models import Campaign, Contact, Invitation, OutboxMessage, Question, SurveyVersion
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


@dataclass(frozen=True)
class Addressee:
    """What an invitation email says of its contact: the name it greets, the address it goes to and the
    contact's unsubscribe token (plain values: a campaign launch reads them without loading contacts)."""

    name: str
    email: str
    unsubscribe_token: str
    language: str = languages.DEFAULT  # the email's language: `email_language`
    attributes: Mapping[str, str] = field(default_factory=dict)  # what {contact.<attribute>} names

    def values(self) -> dict[str, str]:
        """What `{contact.…}` can name (as piping.contact_values): the attributes, then name and email."""
        return {**self.attributes, "name": self.name, "email": self.email}


def email_language(attributes, offered=languages.SHIPPED, default: str = languages.DEFAULT) -> str:
    """The language to email a contact in: their `language` attribute when it is `offered` (a survey's
    languages for its invitations, the shipped catalogs for other emails), else `default`."""
    return languages.matching(languages.contact_language(attributes), offered) or default


def survey_email_language(version: SurveyVersion, attributes) -> str:
    """The language of an invitation to `version` for a contact with these attributes."""
    return email_language(attributes, languages_of(version), version.language or languages.DEFAULT)


def in_language(language: str):
    """Render emails in `language` (a context manager): its catalog when Hearken ships one, else English
    (the survey's own texts are still in `language`)."""
    return force_locale(language.replace("-", "_") if languages.known(language) else languages.DEFAULT)


@dataclass(frozen=True)
class Wording:
    """A campaign's own wording of its emails; None keeps the default. The subject and the opening line may
    hold `{contact.…}` placeholders (survey.authoring.piping), filled per contact as plain text (escaped in
    the HTML part, on one line in the Subject header); the sender's display name is the same for all."""

    subject: str | None = None
    opening: str | None = None
    sender_name: str | None = None


DEFAULT_WORDING = Wording()


def campaign_wording(campaign: Campaign | None) -> Wording:
    if campaign is None:
        return DEFAULT_WORDING
    return Wording(campaign.email_subject, campaign.email_opening, campaign.email_sender_name)


def one_line(text: str) -> str:
    """Text on one line: what a header may hold (no CR or LF ever reaches one)."""
    return " ".join(text.split())


def _filled(shown, addressee: Addressee, wording: Wording, reminder: bool) -> tuple[str, str | None]:
    """The subject and opening line (None: the template's own) of an invitation to `addressee`, in the
    language being rendered (`in_language`); `shown`: the survey's version as `localised` for it."""
    values = addressee.values() if wording.subject or wording.opening else {}
    organisation = current_app.config["ORGANISATION_NAME"]
    if wording.subject:
        subject = one_line(fill(wording.subject, contact=values))
        if reminder:
            subject = gettext("Reminder: %(subject)s", subject=subject)
    elif reminder:
        subject = gettext("Reminder: %(title)s — %(organisation)s", title=shown.title, organisation=organisation)
    else:
        subject = gettext("%(title)s — %(organisation)s", title=shown.title, organisation=organisation)
    opening = one_line(fill(wording.opening, contact=values)) if wording.opening else None
    return subject[:300], opening


def render_invitation(invitation: Invitation, *, reminder: bool = False) -> Rendered:
    contact = _addressee(invitation)
    unsubscribe_url(contact)  # the contact's token, given when it has none
    version = invitation.survey.current_version
    addressee = Addressee(contact.name, contact.email, contact.unsubscribe_token or "",
                          survey_email_language(version, contact.attributes), attributes=contact.attributes or {})
    campaign = db.session.get(Campaign, invitation.campaign_id) if invitation.campaign_id else None
    return invitation_email(version, invitation.token, addressee, reminder=reminder, reason=invitation.source,
                            wording=campaign_wording(campaign))


# Why a customer received an invitation, by the invitation's source (the footer says it: email/_why.txt).
INVITATION_REASONS = {"campaign", "event", "link"}


def invitation_email(version: SurveyVersion, token: str, addressee: Addressee, *, reminder: bool = False,
                     reason: str = "link", wording: Wording = DEFAULT_WORDING) -> Rendered:
    """The invitation (or reminder) to `version` with the personal link of `token`, for `addressee`, in the
    addressee's language (the survey's texts translated, each falling back to the default language's, and
    the email's own words from its catalog) and the campaign's `wording`. `reason`: the invitation's source
    (campaign, event, link), which its footer explains."""
    shown = localised(version, addressee.language)
    with in_language(addressee.language):
        subject, opening = _filled(shown, addressee, wording, reminder)
    return _invitation_email(shown, token, addressee, reminder=reminder, reason=reason, subject=subject,
                             opening=opening)


def _invitation_email(shown, token: str, addressee: Addressee, *, reminder: bool, reason: str, subject: str,
                      opening: str | None) -> Rendered:
    first = shown.questions[0] if shown.questions else None
    unsubscribe = external_url("outreach.unsubscribe", token=addressee.unsubscribe_token)
    context = dict(
        organisation=current_app.config["ORGANISATION_NAME"], contact=addressee, version=shown,
        first=first if first is not None and first.type in ONE_CLICK_TYPES else None,
        buttons=one_click_links(first, token), reminder=reminder, language=addressee.language, opening=opening,
        reason="reminder" if reminder else (reason if reason in INVITATION_REASONS else "link"),
        survey_url=external_url("respond.personal_survey", token=token),
        unsubscribe_url=unsubscribe, changes_url=external_url("public.changes"),
    )
    with in_language(addressee.language):
        text = render_template("email/invitation.txt", **context)
        html = render_template("email/invitation.html", **context)
    return Rendered(
        subject=subject,
        text=text,
        html=html,
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


def named_sender(sender: str, name: str | None) -> str:
    """`sender` (mail.sender) shown under `name` (a campaign's sender name) when one is given: the address
    stays MAIL_FROM's, which the domain's SPF and DKIM vouch for; the name is kept on one line."""
    if not name or not one_line(name):
        return sender
    return formataddr((one_line(name), parseaddr(sender)[1]))


def queue(rendered: Rendered, *, kind: str, recipient: str, now: datetime, not_before: datetime | None = None,
          contact_id: int | None = None, invitation_id: int | None = None,
          campaign_id: int | None = None, message_id: str | None = None,
          sender_name: str | None = None) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (the caller commits). A fixed `message_id`
    makes queueing the same message twice fail on the unique column (e.g. one scorecard per week)."""
    images = {cid: b64encode(png).decode("ascii") for cid, png in (rendered.images or {}).items()} or None
    message = OutboxMessage(
        message_id=message_id or new_message_id(), kind=kind, images=images, recipient=recipient,
        subject=rendered.subject, text_body=rendered.text, html_body=rendered.html, headers=rendered.headers,
        contact_id=contact_id, invitation_id=invitation_id, campaign_id=campaign_id, status=OutboxStatus.PENDING,
        attempts=0, not_before=not_before or now, created_at=now, sender_name=sender_name,
    )
    message.rendered = RenderedEmail(data=render(message))
    db.session.add(message)
    return message


def queue_invitation(invitation: Invitation, *, now: datetime, reminder: bool = False) -> OutboxMessage:
    contact = _addressee(invitation)
    campaign = db.session.get(Campaign, invitation.campaign_id) if invitation.campaign_id else None
    return queue(render_invitation(invitation, reminder=reminder), kind="reminder" if reminder else "invitation",
                 recipient=address(contact.name, contact.email),
                 now=now, not_before=now if reminder else (invitation.scheduled_for or now),
                 contact_id=contact.id, invitation_id=invitation.id, campaign_id=invitation.campaign_id,
                 sender_name=campaign_wording(campaign).sender_name)


class MessageFields(Protocol):
    """What a message is built from: an outbox row, or its columns before the row exists."""

    @property
    def message_id(self) -> str: ...
    @property
    def recipient(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def text_body(self) -> str: ...
    @property
    def html_body(self) -> str | None: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def images(self) -> dict[str, str] | None: ...


def build_email(row: MessageFields, sender: str | None = None, sent_at: datetime | None = None) -> Message:
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
    # compat32 takes a Header as a header's value; typeshed's MIME classes accept only a str.
    message["Subject"] = _subject_header(row.subject)  # type: ignore[assignment]
    message["Message-ID"] = row.message_id
    if sent_at is not None:
        message["Date"] = _date(sent_at)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (row.headers or {}).items():
        message[name] = value
    return message


def _subject_header(subject: str) -> str | Header:
    """The Subject header's value: one line (a title with a line break must not break the header), RFC 2047
    encoded unless ASCII."""
    subject = one_line(subject)
    return Header(subject, "utf-8") if not subject.isascii() else subject


def render(row: MessageFields) -> bytes:
    """The bytes the dispatcher sends after the From and Date lines: rendered once, when the message is
    queued (RenderedEmail), so a pass only sends. A re-send after a crash sends these same bytes (under
    the Date of the re-send)."""
    # SMTP lines end in CRLF; a message with bare LF arrives as one overlong line.
    return build_email(row).as_bytes(policy=SMTP_POLICY)


@dataclass(frozen=True)
class InvitationEmail:
    """An invitation email as its outbox row stores it: the row's columns and its rendered bytes."""

    message_id: str
    recipient: str
    subject: str
    text_body: str
    html_body: str
    headers: dict[str, str]
    raw: bytes = b""
    images: None = None
    sender_name: str | None = None  # a campaign's sender name (the outbox row's), None: the organisation's


class InvitationEmails:
    """The invitation emails of one survey version for many contacts, as a campaign launch queues them.

    Templates, links and the MIME structure cost ten times what storing the email does, and only three
    things differ from one contact to the next: the name greeted, the personal link's token and the
    unsubscribe token. So the email is rendered once with a random stand-in for each (with and without a
    name: the greeting depends on one) and cut at the stand-ins, and each contact's email is the pieces put
    back together around its values; its bytes likewise, around its own To, Message-ID, List-Unsubscribe,
    base64 bodies and multipart boundary.

    That is byte for byte what `invitation_email` and `render` make (the Message-ID and the boundary are
    random either way), which is checked when the maker is made, on sample contacts whose names need
    escaping in HTML and encoding in headers. A template that used a contact's values otherwise (a filter
    on the name) would fail the check, and every email would then be rendered in full.
    """

    SAMPLES = (Addressee('Zoë "Z" O\'Brien <&> Ünal-Smith', "zoe@example.com", "sample-unsubscribe_Token"),
               Addressee("", "ann@example.com", "another-unsubscribe_token"))
    NASTY = 'Zoë "Z" <&> Ünal\r\nBcc: x@example.com'  # an attribute's value for the check: escaping, encoding, CR/LF

    def __init__(self, version: SurveyVersion, wording: Wording = DEFAULT_WORDING, *,
                 language: str = languages.DEFAULT, reason: str = "campaign"):
        self.version, self.language, self.wording, self.reason = version, language, wording, reason
        self.shown = localised(version, language)
        self.domain = sender_domain(current_app.config)
        # The subject and opening line, when the campaign words them, differ per contact (placeholders): they
        # are stand-ins too, filled per contact by `_filled`, as `invitation_email` fills them.
        personal = ["token", "unsubscribe", "name"] + [key for key in ("subject", "opening") if getattr(wording, key)]
        self.marks = {key: f"hk{secrets.token_hex(12)}" for key in personal}
        self.variants = {named: _Variant(self, named) for named in (True, False)}
        named = {p.name for text in (wording.subject or "", wording.opening or "") for p in placeholders(text)
                 if p.scope == "contact"}
        samples = (replace(self.SAMPLES[0], attributes={name: self.NASTY for name in named}), self.SAMPLES[1])
        self.exact = all(variant.skeleton for variant in self.variants.values()) \
            and all(self._checked(sample) for sample in samples)

    def email(self, token: str, addressee: Addressee) -> InvitationEmail:
        """The invitation with the personal link of `token`, for `addressee`."""
        message_id = make_msgid(domain=self.domain)
        if not self.exact:
            return self.rendered(token, addressee, message_id)
        return self._assembled(token, addressee, message_id, f"=_hearken_{secrets.token_hex(12)}")

    def rendered(self, token: str, addressee: Addressee, message_id: str) -> InvitationEmail:
        """The email rendered in full, as `queue_invitation` renders it."""
        rendered = invitation_email(self.version, token, addressee, reason=self.reason, wording=self.wording)
        assert rendered.html is not None
        fields = InvitationEmail(message_id, address(addressee.name, addressee.email), rendered.subject,
                                 rendered.text, rendered.html, rendered.headers, sender_name=self.wording.sender_name)
        return replace(fields, raw=render(fields))

    def _checked(self, sample: Addressee) -> bool:
        """Whether the email put together for `sample` is the one rendered in full."""
        message_id, token = "<check@hearken.invalid>", "sample_personal-Token"
        sample = replace(sample, language=self.language)
        rendered = self.rendered(token, sample, message_id)
        boundary = _BOUNDARY.search(rendered.raw)
        return boundary is not None and rendered == self._assembled(token, sample, message_id,
                                                                    boundary.group(1).decode("ascii"))

    def _assembled(self, token: str, addressee: Addressee, message_id: str, boundary: str) -> InvitationEmail:
        variant = self.variants[bool(addressee.name)]
        values = {"token": token, "unsubscribe": addressee.unsubscribe_token, "name": addressee.name}
        subject = variant.subject
        if self.wording.subject or self.wording.opening:
            with in_language(self.language):
                subject, opening = _filled(self.shown, addressee, self.wording, reminder=False)
            values.update(subject=subject, opening=opening or "")
        text = variant.text.fill(values)
        html = variant.html.fill({**values, "name": str(escape(addressee.name)),
                                  "opening": str(escape(values.get("opening", "")))})
        headers = {name: value.fill(values) for name, value in variant.headers.items()}
        recipient = address(addressee.name, addressee.email)
        # `_address` parses the recipient back: what it returns of a plain "Name <address>" is the same text.
        to = recipient if _PLAIN_RECIPIENT.fullmatch(recipient) else _address(recipient)
        lines = {"To": SMTP_POLICY.fold_binary("To", to),
                 "Message-ID": SMTP_POLICY.fold_binary("Message-ID", message_id),
                 "text": _base64_lines(text), "html": _base64_lines(html), "boundary": boundary.encode("ascii"),
                 **{name: SMTP_POLICY.fold_binary(name, headers[name]) for name in variant.personal_headers}}
        if "subject" in self.marks:
            lines["Subject"] = SMTP_POLICY.fold_binary("Subject", _subject_header(subject))
        raw = b"".join(lines[piece] if isinstance(piece, str) else piece for piece in variant.skeleton)
        return InvitationEmail(message_id, recipient, subject, text, html, headers, raw,
                               sender_name=self.wording.sender_name)


class InvitationEmailsByLanguage:
    """`InvitationEmails` for each language a launch meets, made when its first contact needs it: a campaign
    emails each contact in their language (`survey_email_language`)."""

    def __init__(self, version: SurveyVersion, wording: Wording = DEFAULT_WORDING):
        self.version, self.wording = version, wording
        self.makers: dict[str, InvitationEmails] = {}

    def email(self, token: str, addressee: Addressee) -> InvitationEmail:
        maker = self.makers.get(addressee.language)
        if maker is None:
            maker = self.makers[addressee.language] = InvitationEmails(self.version, self.wording,
                                                                       language=addressee.language)
        return maker.email(token, addressee)


_BOUNDARY = re.compile(rb'boundary="(=_hearken_[0-9a-f]{24})"')
_PLAIN_ADDRESS = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PLAIN_RECIPIENT = re.compile(rf"{_PLAIN_ADDRESS}|[A-Za-z0-9]+(?: [A-Za-z0-9]+)* <{_PLAIN_ADDRESS}>")


def _base64_lines(text: str) -> bytes:
    """A text part's body as the generator writes it: UTF-8 in base64 lines of 76 (email.base64mime), CRLF."""
    encoded = b2a_base64(text.encode("utf-8"), newline=False)
    if not encoded:
        return b""
    return b"\r\n".join([encoded[start:start + 76] for start in range(0, len(encoded), 76)]) + b"\r\n"


class _Pieces:
    """A text cut at the stand-ins: literal pieces, and between each two the name of the value that goes there."""

    def __init__(self, text: str, marks: dict[str, str]):
        pattern = re.compile("|".join(marks.values()))
        names = {mark: name for name, mark in marks.items()}
        literals = pattern.split(text)
        self.parts = [literals[0]]
        for mark, literal in zip(pattern.findall(text), literals[1:], strict=True):
            self.parts += [names[mark], literal]
        self.personal = len(self.parts) > 1

    def fill(self, values: dict[str, str]) -> str:
        parts = self.parts
        return "".join(parts[i] if i % 2 == 0 else values[parts[i]] for i in range(len(parts)))


class _Variant:
    """The invitation greeting someone by name, or no one: its texts and headers in pieces, and its bytes in
    pieces (literal bytes, or the name of the line or value that goes there)."""

    def __init__(self, emails: InvitationEmails, named: bool):
        marks = emails.marks
        standin = Addressee(marks["name"] if named else "", "standin@hearken.invalid", marks["unsubscribe"],
                            emails.language)
        shown = localised(emails.version, emails.language)
        with in_language(emails.language):
            subject, opening = _filled(shown, standin, emails.wording, reminder=False)
        rendered = _invitation_email(shown, marks["token"], standin, reminder=False, reason=emails.reason,
                                     subject=marks.get("subject", subject), opening=marks.get("opening", opening))
        assert rendered.html is not None
        self.subject = rendered.subject
        self.text, self.html = _Pieces(rendered.text, marks), _Pieces(rendered.html, marks)
        self.headers = {name: _Pieces(value, marks) for name, value in rendered.headers.items()}
        self.personal_headers = [name for name, value in self.headers.items() if value.personal]
        # The message's bytes with stand-ins for its bodies too, so that their base64 lines can be found.
        text_mark, html_mark, message_id = (f"hk{secrets.token_hex(12)}" for _ in range(3))
        fields = InvitationEmail(f"<{message_id}@hearken.invalid>", address(standin.name, standin.email),
                                 rendered.subject, text_mark, html_mark, rendered.headers)
        raw = render(fields)
        boundary = _BOUNDARY.search(raw)
        assert boundary is not None
        cuts = {SMTP_POLICY.fold_binary("To", _address(fields.recipient)): "To",
                SMTP_POLICY.fold_binary("Message-ID", fields.message_id): "Message-ID",
                _base64_lines(text_mark): "text", _base64_lines(html_mark): "html", boundary.group(1): "boundary",
                **{SMTP_POLICY.fold_binary(name, fields.headers[name]): name for name in self.personal_headers}}
        if "subject" in marks:
            cuts[SMTP_POLICY.fold_binary("Subject", marks["subject"])] = "Subject"
        self.skeleton = _cut(raw, cuts)


def _cut(data: bytes, cuts: dict[bytes, str]) -> list[bytes | str]:
    """`data` in literal pieces and, where one of `cuts` was, its name; empty unless each was found once."""
    pattern = re.compile(b"|".join(re.escape(cut) for cut in cuts))
    pieces: list[bytes | str] = []
    start = 0
    for found in pattern.finditer(data):
        pieces += [data[start:found.start()], cuts[found.group(0)]]
        start = found.end()
    pieces.append(data[start:])
    names = [piece for piece in pieces if isinstance(piece, str) and piece != "boundary"]
    return pieces if sorted(names) == sorted(set(cuts.values()) - {"boundary"}) else []


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
    sender_address, from_line = _sender(named_sender(sender, row.sender_name))
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
