"""Asking customers: campaigns to a segment, invitations triggered by other systems, reminders, the
organisation-wide frequency cap and unsubscribes.

Every invitation email is queued in the outbox in the same transaction that creates the invitation, so
a crash leaves either both or neither. Skipped contacts are counted, never silently dropped.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, bindparam, case, column, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from survey import mail
from survey.accounts.scopes import attribute_is
from survey.addresses import InvalidAddress
from survey.authoring import piping
from survey.authoring.piping import placeholders
from survey.extensions import db
from survey.models import (
    ApiToken,
    Campaign,
    Contact,
    Invitation,
    OutboxMessage,
    OutboxStatus,
    Response,
    Survey,
    SurveyStatus,
    TriggerEvent,
    audit,
)
from survey.models.outreach import RenderedEmail
from survey.outreach.invitations import ErasedAddress, contact_for
from survey.progress import QUIET, Progress
from survey.tokens import new_token

MAX_REMINDERS = 5
MAX_DELAY = timedelta(days=365)
LAUNCH_CHUNK = 500  # contacts per round trip when a campaign is launched (well under any IN-list limit)


class OutreachError(ValueError):
    """Rejected input; `field` names what was wrong (for forms and the API)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class UnknownSurvey(OutreachError):
    pass


def cap_window() -> timedelta:
    return timedelta(days=current_app.config["FREQUENCY_CAP_DAYS"])


def capped_contact_ids(contact_ids: Iterable[int], when: datetime) -> set[int]:
    """Contacts that already have an emailed invitation within the cap window around `when` (before or
    after: a triggered invitation may be scheduled days ahead)."""
    window = cap_window()
    query = select(Invitation.contact_id).where(
        Invitation.contact_id.in_(list(contact_ids)), Invitation.scheduled_for.is_not(None),
        Invitation.scheduled_for > when - window, Invitation.scheduled_for < when + window)
    return set(db.session.scalars(query.distinct()))


def _invitation(survey: Survey, contact: Contact, *, when: datetime, now: datetime, source: str,
                campaign_id: int | None = None, touchpoint: str | None = None) -> Invitation:
    invitation = Invitation(token=new_token(), survey=survey, contact=contact, created_at=now, source=source,
                            campaign_id=campaign_id, touchpoint=touchpoint, scheduled_for=when, reminders_sent=0)
    db.session.add(invitation)
    return invitation


def _new_invitation(survey: Survey, contact: Contact, *, when: datetime, now: datetime, source: str,
                    campaign_id: int | None = None, touchpoint: str | None = None) -> Invitation:
    invitation = _invitation(survey, contact, when=when, now=now, source=source, campaign_id=campaign_id,
                             touchpoint=touchpoint)
    db.session.flush()
    mail.queue_invitation(invitation, now=now)
    return invitation


# --- campaigns ---------------------------------------------------------------------------------------

def parse_segment(pairs: Sequence[str]) -> dict[str, list[str]]:
    """["location=Leeds", "location=York", "team=B"] → {"location": ["Leeds", "York"], "team": ["B"]}:
    a contact matches when, for every attribute named, its value is one of those given."""
    segment: dict[str, list[str]] = {}
    for number, pair in enumerate(pairs, start=1):
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise OutreachError(f"segment filter {number} ({pair!r}) must look like attribute=value", "segment")
        if '"' in name:
            raise OutreachError(f"segment filter {number} ({pair!r}): an attribute name cannot hold a double quote",
                                "segment")
        segment.setdefault(name.strip(), []).append(value.strip())
    return segment


def segment_conditions(segment: Mapping[str, Sequence[str]]) -> list:
    """SQL conditions on Contact selecting the segment: for every attribute named, one of its values, as
    stored (an empty segment is every contact). In SQL, so a launch reads only the contacts it invites."""
    return [attribute_is(Contact.attributes, name, values) for name, values in segment.items()]


def known_attributes() -> list[str]:
    """Every attribute name some contact has, sorted (to name them when a segment names another)."""
    if db.engine.dialect.name == "postgresql":  # a JSON null (not an object) would make json_object_keys fail
        keys = select(func.json_object_keys(Contact.attributes).label("key")).where(
            func.json_typeof(Contact.attributes) == "object")
    else:
        keys = select(column("key")).select_from(Contact, func.json_each(Contact.attributes))
    found = keys.subquery().c.key
    return sorted(db.session.scalars(select(found).where(found.is_not(None)).distinct()))


def check_segment(segment: Mapping[str, Sequence[str]]) -> None:
    """Refuse a segment naming an attribute no contact has: a typo (`locaton=Leeds`) would otherwise match no
    one and the campaign would say "queued 0 invitations" without saying why."""
    for name in segment:
        if not db.session.scalar(select(exists().where(Contact.attributes[name].as_string().is_not(None)))):
            known = known_attributes()
            raise OutreachError(f"no contact has an attribute {name!r}; known attributes: "
                                f"{', '.join(known) if known else 'none (import contacts with attribute columns)'}",
                                "segment")


def unsubscribed():
    """SQL on Contact: unsubscribed (never invited again)."""
    return Contact.unsubscribed_at.is_not(None)


def capped(now: datetime):
    """SQL on Contact: an emailed invitation within the cap window around `now` (before or after: a
    triggered invitation may be scheduled days ahead)."""
    window = cap_window()
    return exists().where(Invitation.contact_id == Contact.id, Invitation.scheduled_for.is_not(None),
                          Invitation.scheduled_for > now - window, Invitation.scheduled_for < now + window)


@dataclass(frozen=True)
class AudiencePreview:
    """What a campaign to a segment would do if launched now: how many contacts the segment matches, how
    many the frequency cap and unsubscribes skip, and a few of those who would be invited."""

    matched: int
    skipped_cap: int
    skipped_unsubscribed: int
    sample: list[Contact]

    @property
    def invited(self) -> int:
        return self.matched - self.skipped_cap - self.skipped_unsubscribed


def preview_audience(segment: Mapping[str, Sequence[str]], *, now: datetime, sample_size: int = 5) -> AudiencePreview:
    """The audience of a campaign to `segment` launched at `now`, counted with the launch's own conditions
    (`segment_conditions`, `unsubscribed`, `capped`, and the launch's order: unsubscribed first) in one
    query, so that what the page promises is what the launch does. Reads only; refuses an unknown attribute."""
    check_segment(segment)
    conditions = segment_conditions(segment)
    matched, skipped_unsubscribed, skipped_cap = db.session.execute(
        select(func.count(), func.count(case((unsubscribed(), 1))),
               func.count(case((and_(~unsubscribed(), capped(now)), 1)))).where(*conditions)).one()
    sample = list(db.session.scalars(select(Contact).where(*conditions, ~unsubscribed(), ~capped(now))
                                     .order_by(Contact.id).limit(sample_size)))
    return AudiencePreview(matched, skipped_cap, skipped_unsubscribed, sample)


# A campaign's email wording: (field, what the manager calls it, most characters).
WORDING_FIELDS = (("email_subject", "email subject", 200), ("email_opening", "opening line", 1000),
                  ("email_sender_name", "sender name", 100))
# Anything that looks like a placeholder, well formed or not, to refuse what piping would leave as text.
_LOOKS_LIKE_PLACEHOLDER = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\.([^{}]*)\}")


def check_wording(subject: str | None, opening: str | None, sender_name: str | None) -> mail.Wording:
    """A campaign's email wording as stored: each on one line, blank as None (the default). Refused, naming
    the field, when too long or when a placeholder could not be filled in an email: only `{contact.name}`,
    `{contact.email}` and `{contact.<attribute>}` of an attribute some contact has (with an optional
    `|fallback`) — answers come after the email — and none in the sender name, which is one for all."""
    given = dict(zip((name for name, _, _ in WORDING_FIELDS), (subject, opening, sender_name), strict=True))
    kept: dict[str, str | None] = {}
    for name, label, limit in WORDING_FIELDS:
        text = mail.one_line(given[name] or "")
        if len(text) > limit:
            raise OutreachError(f"{label}: at most {limit} characters, got {len(text)}", name)
        for found in _LOOKS_LIKE_PLACEHOLDER.finditer(text):
            _check_placeholder(found, label, name)
        kept[name] = text or None
    return mail.Wording(kept["email_subject"], kept["email_opening"], kept["email_sender_name"])


def _check_placeholder(found: re.Match, label: str, field: str) -> None:
    written = found.group(0)
    if field == "email_sender_name":
        raise OutreachError(f"{label}: {written} cannot be used here: the sender name is the same for every "
                            "contact", field)
    if found.group(1) != "contact":
        why = "answers come after the email" if found.group(1) == "answers" else "unknown placeholder"
        raise OutreachError(f"{label}: {written}: {why}; use {{contact.name}}, {{contact.email}} or "
                            "{contact.<attribute>}, e.g. {contact.name|there}", field)
    parsed = placeholders(written)
    if len(parsed) != 1 or piping.PLACEHOLDER.fullmatch(written) is None:
        raise OutreachError(f"{label}: {written} is not a placeholder we can fill; write it like "
                            "{contact.name|there}", field)
    attribute = parsed[0].name
    if attribute not in ("name", "email") and attribute not in known_attributes():
        known = ", ".join(["name", "email", *known_attributes()])
        raise OutreachError(f"{label}: no contact has an attribute {attribute!r}; known: {known}", field)


@dataclass(frozen=True)
class EmailPreview:
    """The exact invitation a campaign would send one contact of its audience: From, and what
    `mail.invitation_email` renders (subject, text and HTML parts), the launch's own emails being checked
    byte for byte against that rendering."""

    contact: Contact | None  # the sample contact; None: an example customer (no one in the audience)
    sender: str
    rendered: mail.Rendered
    reminder_subject: str


EXAMPLE_CONTACT = mail.Addressee("Alex Example", "customer@example.com", "example-unsubscribe-token")


def preview_email(survey: Survey, segment: Mapping[str, Sequence[str]], wording: mail.Wording, *,
                  now: datetime, sample: bool = True) -> EmailPreview:
    """The invitation of a campaign with this segment and wording, as its first invited contact would get it
    (`sample`; else, or when no one would be invited, an example customer), with an example personal link
    and unsubscribe link: nothing is stored."""
    check_segment(segment)
    found = preview_audience(segment, now=now, sample_size=1).sample if sample else []
    contact = found[0] if found else None
    version = survey.current_version
    addressee = EXAMPLE_CONTACT if contact is None else mail.Addressee(
        contact.name, contact.email, "example-unsubscribe-token",
        mail.survey_email_language(version, contact.attributes), attributes=contact.attributes or {})
    rendered = mail.invitation_email(version, "example-personal-link", addressee, wording=wording, reason="campaign")
    reminder = mail.invitation_email(version, "example-personal-link", addressee, wording=wording, reminder=True,
                                     reason="campaign")
    return EmailPreview(contact, mail.named_sender(mail.sender(current_app.config), wording.sender_name), rendered,
                        reminder.subject)


@dataclass(frozen=True)
class LaunchReport:
    matched: int
    queued: int
    skipped_cap: int
    skipped_unsubscribed: int


def create_campaign(survey: Survey, *, segment: Mapping[str, Sequence[str]], at: datetime | None, reminders: int,
                    reminder_days: int, now: datetime, actor_id: int | None = None,
                    wording: mail.Wording = mail.DEFAULT_WORDING) -> Campaign:
    """A campaign due at `at` (now when None), launched by `launch_due_campaigns` once due."""
    campaign = new_campaign(survey, segment=segment, at=at, reminders=reminders, reminder_days=reminder_days,
                             now=now, actor_id=actor_id, wording=wording)
    db.session.commit()
    return campaign


def send_campaign(survey: Survey, *, segment: Mapping[str, Sequence[str]], at: datetime | None, reminders: int,
                  reminder_days: int, now: datetime, actor_id: int | None = None,
                  wording: mail.Wording = mail.DEFAULT_WORDING) -> tuple[Campaign, LaunchReport | None]:
    """A new campaign, launched at once when it is due now (its report; None when it waits for its time).
    Created in the transaction of the launch's first chunk: a launch that fails at once leaves no campaign
    behind for a dispatcher to send later unannounced, and no dispatcher can claim it between the two. One
    that stops part-way leaves a due campaign, which the next dispatcher pass finishes (`launch_due_campaigns`:
    no one is invited twice)."""
    campaign = new_campaign(survey, segment=segment, at=at, reminders=reminders, reminder_days=reminder_days,
                             now=now, actor_id=actor_id, wording=wording)
    if campaign.scheduled_at > now:
        db.session.commit()
        return campaign, None
    return campaign, launch(campaign, now=now)


def new_campaign(survey: Survey, *, segment: Mapping[str, Sequence[str]], at: datetime | None, reminders: int,
                 reminder_days: int, now: datetime, actor_id: int | None,
                 wording: mail.Wording = mail.DEFAULT_WORDING) -> Campaign:
    """A campaign checked and added to the session (its id flushed), not committed: for a caller that commits
    it with what goes with it (its job)."""
    if survey.status != SurveyStatus.PUBLISHED:
        raise OutreachError(f"{survey.slug} is {survey.status}: only a published survey can be sent", "survey")
    if not 0 <= reminders <= MAX_REMINDERS:
        raise OutreachError(f"reminders must be between 0 and {MAX_REMINDERS}", "reminders")
    if not 1 <= reminder_days <= 60:
        raise OutreachError("days before a reminder must be between 1 and 60", "reminder_days")
    if at is not None and at < now - timedelta(minutes=5):
        raise OutreachError("the scheduled time is in the past", "at")
    check_segment(segment)
    wording = check_wording(wording.subject, wording.opening, wording.sender_name)
    campaign = Campaign(survey=survey, segment={k: list(v) for k, v in segment.items()}, scheduled_at=at or now,
                        reminders=reminders, reminder_days=reminder_days, created_at=now, created_by_id=actor_id,
                        email_subject=wording.subject, email_opening=wording.opening,
                        email_sender_name=wording.sender_name)
    db.session.add(campaign)
    db.session.flush()  # its id, which the launch locks it by
    audit.record("campaign.created", f"campaign:{campaign.id}", now=now, survey=survey.slug,
                 scheduled_at=campaign.scheduled_at.isoformat(timespec="minutes"), segment=campaign.segment,
                 reminders=reminders)
    return campaign


def launch(campaign: Campaign, *, now: datetime, progress: Progress = QUIET) -> LaunchReport:
    """Select the segment, apply unsubscribes and the frequency cap, queue one invitation per contact.

    In chunks of LAUNCH_CHUNK contacts, each committed with its invitations, their emails, the campaign's
    counts so far and the position reached (`progress.checkpoint`): on SQLite other writers (customers
    answering) wait at most one chunk for the write lock, and memory does not grow with the audience. A
    launch that stopped part-way (a killed dispatcher, an error) goes on where it stopped when run again:
    after the position checkpointed in `progress.state`, or, without one, from the first contact, passing
    over (and counting as queued) those this campaign already invited. `launched_at` is set by the last
    commit, once every contact was dealt with."""
    report = _launch(campaign, now=now, progress=progress)
    assert report is not None  # only a launch that gives way stops for another
    return report


@dataclass
class _Position:
    """How far a launch got (what a checkpoint records): the contacts up to id `after` were dealt with, of
    those up to id `through` (the segment's last when the launch began), and what came of them."""

    through: int
    after: int = 0
    matched: int = 0
    queued: int = 0
    skipped_cap: int = 0
    skipped_unsubscribed: int = 0

    def report(self) -> LaunchReport:
        return LaunchReport(self.matched, self.queued, self.skipped_cap, self.skipped_unsubscribed)


@dataclass(frozen=True)
class _Audience:
    """What every chunk of one launch needs: the campaign, its segment in SQL, its emails, its moment."""

    campaign_id: int
    survey_id: int
    conditions: list
    emails: mail.InvitationEmailsByLanguage
    now: datetime
    give_way: bool  # stop when another launch holds the campaign (dispatcher passes), rather than wait


def _launch(campaign: Campaign, *, now: datetime, progress: Progress = QUIET,
            give_way: bool = False) -> LaunchReport | None:
    """The launch; None when it gave way to another launch of the campaign (`give_way`)."""
    audience = _Audience(campaign.id, campaign.survey_id, segment_conditions(campaign.segment),
                         mail.InvitationEmailsByLanguage(campaign.survey.current_version,
                                                         mail.campaign_wording(campaign)), now, give_way)
    position = _resumed(progress.state)
    while True:
        # Whoever holds the campaign's row launches the next chunk; another launch of it (a second
        # dispatcher, a job retried while the first attempt still ran) waits for it, or gives way, and
        # then goes on from what the campaign's invitations say, never inviting anyone twice.
        launched_at = _locked_campaign(audience)
        if launched_at is _BUSY:
            db.session.rollback()
            return None
        if launched_at is not None:  # launched meanwhile by another: its report
            db.session.commit()
            return _report(db.session.get_one(Campaign, audience.campaign_id))
        if position is None:  # the first chunk: the segment's size, for the progress, and its last contact
            total, through = db.session.execute(
                select(func.count(), func.max(Contact.id)).where(*audience.conditions)).one()
            position = _Position(through=through or 0)
            progress.tick("writing", 0, total)
        ids = list(db.session.scalars(
            select(Contact.id).where(*audience.conditions, Contact.id > position.after,
                                     Contact.id <= position.through).order_by(Contact.id).limit(LAUNCH_CHUNK)))
        if ids:
            _invite_chunk(audience, ids, position)
            position.after = ids[-1]
        if len(ids) < LAUNCH_CHUNK:  # the last chunk: committed with the campaign's launch
            break
        db.session.execute(update(Campaign).where(Campaign.id == audience.campaign_id).values(**_counts(position)))
        progress.checkpoint(position.matched, asdict(position))
    db.session.execute(update(Campaign).where(Campaign.id == audience.campaign_id).values(launched_at=now,
                                                                                          **_counts(position)))
    progress.finish(asdict(position.report()))
    db.session.commit()
    return position.report()


_BUSY = datetime.min  # another launch holds the campaign's row (and this one gives way)


def _locked_campaign(audience: _Audience) -> datetime | None:
    """Lock the campaign's row: when it was launched (None: not yet), or _BUSY when another launch holds it
    and this one gives way. Raises OutreachError when the campaign was deleted meanwhile."""
    row = db.session.execute(select(Campaign.launched_at).where(Campaign.id == audience.campaign_id)
                             .with_for_update(skip_locked=audience.give_way)).one_or_none()
    if row is not None:
        return row.launched_at
    if audience.give_way and db.session.scalar(select(Campaign.id).where(Campaign.id == audience.campaign_id)):
        return _BUSY
    raise OutreachError("the campaign was deleted while it was being launched")


def _resumed(state: dict | None) -> _Position | None:
    """The position an interrupted launch checkpointed, if any."""
    fields = ("through", "after", "matched", "queued", "skipped_cap", "skipped_unsubscribed")
    if not state or any(not isinstance(state.get(name), int) for name in fields):
        return None
    return _Position(**{name: state[name] for name in fields})


def _counts(position: _Position) -> dict[str, int]:
    return {"matched": position.matched, "queued": position.queued, "skipped_cap": position.skipped_cap,
            "skipped_unsubscribed": position.skipped_unsubscribed}


def _invite_chunk(audience: _Audience, ids: list[int], position: _Position) -> None:
    """Invite a chunk of the segment's contacts (ids in order) and count them into `position`.

    The contacts are locked (in id order, as every launch takes them) and the cap checked under the lock,
    in a query of its own (one reading after the lock sees what another launch committed meanwhile):
    another launch or a triggered event inviting them meanwhile waits for it, or is seen by it, so two
    cannot both pass (PostgreSQL; SQLite's writers take turns anyway). The cap and unsubscribes are the
    conditions `preview_audience` counts with, in the same order. Rows go in with one executemany per
    table (no ORM object per contact), the emails assembled by `mail.InvitationEmails`."""
    contacts = db.session.execute(
        select(Contact.id, Contact.email, Contact.name, Contact.unsubscribe_token, Contact.attributes)
        .where(Contact.id.in_(ids)).order_by(Contact.id).with_for_update()).all()
    ours = exists().where(Invitation.contact_id == Contact.id, Invitation.campaign_id == audience.campaign_id)
    flags = {row.id: row for row in db.session.execute(
        select(Contact.id, ours.label("ours"), unsubscribed().label("unsubscribed"),
               capped(audience.now).label("capped")).where(Contact.id.in_(ids)))}
    position.matched += len(contacts)
    invite = []
    for contact in contacts:
        flag = flags[contact.id]
        if flag.ours:  # invited by an earlier run of this launch that stopped before its checkpoint
            position.queued += 1
        elif flag.unsubscribed:
            position.skipped_unsubscribed += 1
        elif flag.capped:
            position.skipped_cap += 1
        else:
            invite.append(contact)
    position.queued += len(invite)
    if invite:
        _queue_invitations(audience, invite)


CONTACTS, INVITATIONS = Contact.__table__, Invitation.__table__
OUTBOX, RENDERED = OutboxMessage.__table__, RenderedEmail.__table__
GIVE_TOKEN = (update(CONTACTS).where(CONTACTS.c.id == bindparam("contact"))
              .values(unsubscribe_token=bindparam("token")))


def _queue_invitations(audience: _Audience, contacts: list) -> None:
    """An invitation and its email for each contact (id, email, name, unsubscribe_token), in the caller's
    transaction. A contact's first email gives it its unsubscribe token."""
    now = audience.now
    tokens = {contact.id: contact.unsubscribe_token or new_token() for contact in contacts}
    if new := [{"contact": contact.id, "token": tokens[contact.id]} for contact in contacts
               if not contact.unsubscribe_token]:
        db.session.execute(GIVE_TOKEN, new)
    links = [new_token() for _ in contacts]
    # Each row's id comes back with its unique token (Message-ID): RETURNING in the order of the rows given
    # costs SQLite a statement per row, and any order can be matched up by a unique column.
    invitation_ids: dict[str, int] = dict(db.session.execute(
        insert(INVITATIONS).returning(INVITATIONS.c.token, INVITATIONS.c.id),
        [{"token": link, "survey_id": audience.survey_id, "contact_id": contact.id, "created_at": now,
          "source": "campaign", "campaign_id": audience.campaign_id, "scheduled_for": now, "reminders_sent": 0}
         for link, contact in zip(links, contacts, strict=True)]).all())
    version = audience.emails.version
    emails = [audience.emails.email(link, mail.Addressee(contact.name, contact.email, tokens[contact.id],
                                                         mail.survey_email_language(version, contact.attributes),
                                                         attributes=contact.attributes or {}))
              for link, contact in zip(links, contacts, strict=True)]
    outbox_ids: dict[str, int] = dict(db.session.execute(
        insert(OUTBOX).returning(OUTBOX.c.message_id, OUTBOX.c.id),
        [{"message_id": email.message_id, "kind": "invitation", "recipient": email.recipient,
          "subject": email.subject, "text_body": email.text_body, "html_body": email.html_body,
          "headers": email.headers, "images": None, "contact_id": contact.id,
          "invitation_id": invitation_ids[link], "campaign_id": audience.campaign_id,
          "status": OutboxStatus.PENDING, "attempts": 0, "not_before": now, "created_at": now,
          "sender_name": email.sender_name}
         for email, contact, link in zip(emails, contacts, links, strict=True)]).all())
    db.session.execute(insert(RENDERED), [{"outbox_id": outbox_ids[email.message_id], "data": email.raw}
                                          for email in emails])


def _report(campaign: Campaign) -> LaunchReport:
    return LaunchReport(campaign.matched, campaign.queued, campaign.skipped_cap, campaign.skipped_unsubscribed)


def launch_due_campaigns(*, now: datetime) -> list[tuple[Campaign, LaunchReport]]:
    """Launch every due campaign (one that was scheduled), each as `launch` does, in chunks that commit.

    A pass that dies part-way leaves its campaign due: the next pass launches it again, from the first
    contact, passing over those it invited. A campaign another dispatcher is launching is left to it (its
    row is locked at every chunk), and a campaign sent from the page for now is its job's to launch."""
    launched: list[tuple[Campaign, LaunchReport]] = []
    elsewhere: set[int] = set()
    while True:
        campaign = db.session.scalar(
            select(Campaign).where(Campaign.launched_at.is_(None), Campaign.scheduled_at <= now,
                                   Campaign.job_id.is_(None), Campaign.id.not_in(elsewhere))
            .order_by(Campaign.id).limit(1).with_for_update(skip_locked=True))
        if campaign is None:
            db.session.commit()
            return launched
        report = _launch(campaign, now=now, give_way=True)
        if report is None:
            elsewhere.add(campaign.id)
        else:
            launched.append((campaign, report))


def queue_due_reminders(*, now: datetime, limit: int = 1000) -> int:
    """Remind contacts who have not answered, have not unsubscribed and whose last email is old enough.
    Filtered in SQL per campaign, so a pass reads and locks only the invitations it will remind."""
    answered = exists().where(Response.invitation_id == Invitation.id)
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.reminders > 0, Campaign.launched_at.is_not(None))).all()
    count = 0
    for campaign in campaigns:
        if not campaign.survey.is_open:
            continue
        due = db.session.scalars(
            select(Invitation).join(Contact)
            .where(Invitation.campaign_id == campaign.id, Invitation.reminders_sent < campaign.reminders,
                   Invitation.sent_at.is_not(None),
                   Invitation.last_sent_at <= now - timedelta(days=campaign.reminder_days),
                   Contact.unsubscribed_at.is_(None), ~answered)
            .order_by(Invitation.id).limit(limit - count).with_for_update(skip_locked=True, of=Invitation)).all()
        for invitation in due:
            invitation.reminders_sent += 1
            invitation.last_sent_at = now  # the next reminder counts its days from this one
            mail.queue_invitation(invitation, now=now, reminder=True)
            count += 1
        if count >= limit:
            break
    db.session.commit()
    return count


@dataclass(frozen=True)
class CampaignStats:
    campaign: Campaign
    sent: int
    failed: int
    pending: int
    opened: int
    responded: int
    reminders_sent: int

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.campaign.queued if self.campaign.queued else None


def campaign_stats(survey: Survey) -> list[CampaignStats]:
    """Per campaign of a survey, newest first: one GROUP BY per figure, never a row per contact."""
    campaigns = db.session.scalars(
        select(Campaign).where(Campaign.survey_id == survey.id).order_by(Campaign.id.desc())).all()
    ids = [c.id for c in campaigns]
    outbox = db.session.execute(
        select(OutboxMessage.campaign_id, OutboxMessage.kind, OutboxMessage.status, func.count())
        .where(OutboxMessage.campaign_id.in_(ids))
        .group_by(OutboxMessage.campaign_id, OutboxMessage.kind, OutboxMessage.status)).all()
    invitations = dict(
        (row[0], row[1:]) for row in db.session.execute(
            select(Invitation.campaign_id, func.count(Invitation.opened_at), func.count(Response.id))
            .outerjoin(Response, Response.invitation_id == Invitation.id)
            .where(Invitation.campaign_id.in_(ids)).group_by(Invitation.campaign_id)))

    def outbox_count(campaign_id, status, kind=None):
        return sum(n for cid, k, s, n in outbox if cid == campaign_id and s == status and kind in (None, k))

    return [CampaignStats(
        campaign=c, sent=outbox_count(c.id, OutboxStatus.SENT, "invitation"),
        failed=outbox_count(c.id, OutboxStatus.FAILED),
        pending=outbox_count(c.id, OutboxStatus.PENDING) + outbox_count(c.id, OutboxStatus.SENDING),
        opened=invitations.get(c.id, (0, 0))[0], responded=invitations.get(c.id, (0, 0))[1],
        reminders_sent=outbox_count(c.id, OutboxStatus.SENT, "reminder")) for c in campaigns]


# --- triggered invitations --------------------------------------------------------------------------

@dataclass(frozen=True)
class EventOutcome:
    event: TriggerEvent
    duplicate: bool  # the same event id was posted before; nothing new was done

    @property
    def scheduled_for(self) -> datetime | None:
        invitation = db.session.get(Invitation, self.event.invitation_id) if self.event.invitation_id else None
        return invitation.scheduled_for if invitation else None


def _earlier_event(token: ApiToken, event_key: str | None) -> TriggerEvent | None:
    return db.session.scalar(select(TriggerEvent).where(
        TriggerEvent.api_token_id == token.id, TriggerEvent.event_key == event_key))


def _published_survey(slug: str) -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        raise UnknownSurvey(f"no survey with the slug {slug!r}", "survey")
    if survey.status != SurveyStatus.PUBLISHED:
        raise OutreachError(f"survey {slug!r} is {survey.status}, not published", "survey")
    return survey


def _event_contact(email: str, *, name: str | None, attributes: Mapping[str, str] | None,
                   now: datetime) -> Contact | None:
    """The event's customer, with the name and attributes it brings, locked; None if erased on request."""
    try:
        contact = contact_for(email, now=now)
    except ErasedAddress:
        return None  # erased on request: no contact, no invitation; the event is counted, as skipped
    except InvalidAddress as error:
        raise OutreachError(str(error), "email") from None
    if name:
        contact.name = " ".join(name.split())[:200]  # one line: names go into email headers
    if attributes:
        contact.attributes = {**(contact.attributes or {}), **attributes}
    db.session.flush()
    # Lock the contact so two events for the same person cannot both pass the cap (PostgreSQL; SQLite
    # writers are already serialised).
    db.session.execute(select(Contact.id).where(Contact.id == contact.id).with_for_update())
    return contact


def record_event(token: ApiToken, *, email: str, survey_slug: str, now: datetime, delay: timedelta,
                 name: str | None = None, touchpoint: str | None = None,
                 attributes: Mapping[str, str] | None = None, event_key: str | None = None) -> EventOutcome:
    """Another system says something happened (a purchase, a closed case): invite this customer to the
    survey after `delay`, unless they unsubscribed, the frequency cap says they were asked recently, or they
    were erased on request (survey.outreach.erasures: then no contact is made)."""
    if event_key and (earlier := _earlier_event(token, event_key)) is not None:
        return EventOutcome(earlier, duplicate=True)
    survey = _published_survey(survey_slug)
    if not timedelta(0) <= delay <= MAX_DELAY:
        raise OutreachError("delay must be between 0 and 365 days", "delay")
    contact = _event_contact(email, name=name, attributes=attributes, now=now)
    when = now + delay
    event = TriggerEvent(received_at=now, api_token_id=token.id, event_key=event_key, survey_id=survey.id,
                         contact_id=contact.id if contact else None, touchpoint=touchpoint)
    if contact is None:
        event.outcome = "skipped_erased"
    elif contact.unsubscribed_at is not None:
        event.outcome = "skipped_unsubscribed"
    elif capped_contact_ids([contact.id], when):
        event.outcome = "skipped_cap"
    else:
        invitation = _new_invitation(survey, contact, when=when, now=now, source="event", touchpoint=touchpoint)
        event.outcome, event.invitation_id = "scheduled", invitation.id
    db.session.add(event)
    try:
        db.session.commit()
    except IntegrityError:  # the same event key arrived twice at once; the other request won
        db.session.rollback()
        earlier = _earlier_event(token, event_key)
        if earlier is None:
            raise
        return EventOutcome(earlier, duplicate=True)
    return EventOutcome(event, duplicate=False)


def event_counts(survey: Survey) -> dict[str, int]:
    return dict(db.session.execute(
        select(TriggerEvent.outcome, func.count()).where(TriggerEvent.survey_id == survey.id)
        .group_by(TriggerEvent.outcome)).all())


# --- unsubscribing ----------------------------------------------------------------------------------

def contact_by_unsubscribe_token(token: str) -> Contact | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Contact).where(Contact.unsubscribe_token == token))


def unsubscribe(contact: Contact, *, now: datetime) -> None:
    """Honoured by every later send; emails already queued for this contact are cancelled."""
    if contact.unsubscribed_at is None:
        contact.unsubscribed_at = now
    db.session.execute(
        update(OutboxMessage)
        .where(and_(OutboxMessage.contact_id == contact.id, OutboxMessage.status == OutboxStatus.PENDING))
        .values(status=OutboxStatus.CANCELLED, last_error="unsubscribed"))
    db.session.commit()
