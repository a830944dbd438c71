from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model, one_of

# The audit log has its own module; imported from here before it moved, so it is still named here.
from survey.models.audit import AuditEntry as AuditEntry


class OutboxStatus(StrEnum):
    PENDING = "pending"  # due at not_before (again, after a failed attempt)
    SENDING = "sending"  # claimed by a dispatcher until claimed_until
    SENT = "sent"
    FAILED = "failed"  # refused for good, or out of attempts
    CANCELLED = "cancelled"  # the contact unsubscribed, or answered before a reminder went out


class Campaign(Model):
    """A survey sent to all contacts or a segment, now or at `scheduled_at`, with optional reminders.

    It is launched (contacts selected, invitations and emails queued) by the dispatcher once due; the
    counts of what was queued and skipped are kept so managers see who was not asked and why. One sent
    from the page for now is launched by its job (`job_id`, survey.background.jobs), never by a pass.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    # {attribute: [values]}: every attribute must hold one of its values (an empty filter means every contact).
    segment: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    scheduled_at: Mapped[datetime]
    launched_at: Mapped[datetime | None]
    reminders: Mapped[int] = mapped_column(default=0)
    reminder_days: Mapped[int] = mapped_column(default=3)
    matched: Mapped[int] = mapped_column(default=0)
    queued: Mapped[int] = mapped_column(default=0)
    skipped_cap: Mapped[int] = mapped_column(default=0)
    skipped_unsubscribed: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    # The email's wording (None: the default): subject and opening line may name the contact
    # ({contact.name|there}, survey.authoring.piping); the sender's display name is plain text.
    email_subject: Mapped[str | None] = mapped_column(String(200))
    email_opening: Mapped[str | None] = mapped_column(String(1000))
    email_sender_name: Mapped[str | None] = mapped_column(String(100))

    survey = relationship("Survey")


class TriggerEvent(Model):
    """An event another system posted (`POST /api/v1/events`) and what Hearken did with it."""

    __tablename__ = "trigger_events"
    __table_args__ = (UniqueConstraint("api_token_id", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime]
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    # The sender's own id for the event, so a retried POST is recognised and invites once.
    event_key: Mapped[str | None] = mapped_column(String(200))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(24))  # scheduled | skipped_cap | skipped_unsubscribed
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))


class OutboxMessage(Model):
    """An email waiting to be sent, written in the same transaction as what caused it.

    The dispatcher claims due rows (pending, or `sending` whose claim expired because a worker died),
    sends them and marks them sent. `message_id` is fixed when the row is written, so a resend after a
    crash carries the same Message-ID and receivers can recognise the duplicate.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due", "status", "not_before"), one_of("status", OutboxStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(24))  # invitation | reminder | …
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Pictures the HTML shows inline (Content-ID → base64 PNG), e.g. the scorecard's charts.
    images: Mapped[dict[str, str] | None] = mapped_column(JSON)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"),
                                                      index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # The display name of From when it is not the organisation's (a campaign's sender name): From is
    # written when the message is sent (mail.envelope), with MAIL_FROM's address.
    sender_name: Mapped[str | None] = mapped_column(String(100))

    rendered: Mapped[RenderedEmail | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    @property
    def raw(self) -> bytes | None:
        """The message's bytes as rendered when it was queued; None for rows queued before that existed."""
        return self.rendered.data if self.rendered is not None else None


class RenderedEmail(Model):
    """An outbox message's RFC 5322 bytes, all but its From line (mail.envelope), rendered from the outbox
    row's columns when it was queued, so the dispatcher only sends.

    A table of its own: SQLite rewrites a whole row when any column changes, and the outbox row's status
    changes twice per message (claimed, sent); these bytes never change."""

    __tablename__ = "outbox_rendered"

    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ApiToken(Model):
    """A named bearer token for other systems. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # The data this token reads ({attribute: [values]}: survey/accounts/scopes.py); None: everything.
    scope: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    # Who made it in the manager pages: a token stops working while its creator is deactivated. None for
    # tokens made on the command line or before tokens had owners; those keep working.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
