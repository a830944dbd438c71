from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model


class Contact(Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: addresses are matched case-insensitively.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Segment attributes (location, team, touchpoint …) copied onto each response when it is given.
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    # The /unsubscribe/<token> link in every email; 256 bits, like survey tokens.
    unsubscribe_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    unsubscribed_at: Mapped[datetime | None]


class Invitation(Model):
    """A personal link (/r/<token>) to one survey for one contact.

    Invitations that are emailed (from a campaign or a triggered event) have `scheduled_for`, the time the
    email is due; the frequency cap counts those. A link printed by `flask survey-link` has none.

    Erasing the contact keeps their invitations anonymised (survey.outreach.contacts.erase_contact): `contact_id`
    NULL and a fresh token nobody was given, so campaign counts and response rates stay as they were and
    the old link is dead.
    """

    __tablename__ = "invitations"
    __table_args__ = (Index("ix_invitations_contact_scheduled", "contact_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # 256 bits from the CSPRNG (secrets.token_urlsafe(32)); kept in clear because reminders resend it.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    # NULL once the contact was erased. Still CASCADE: erasure anonymises first, and any other deletion of a
    # contact takes their links with it rather than leaving live tokens without a contact.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16), default="link")  # link | campaign | event
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    scheduled_for: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_sent_at: Mapped[datetime | None]

    survey = relationship("Survey")
    contact: Mapped[Contact | None] = relationship()

    @property
    def respondent_key(self) -> str:
        return f"invitation:{self.id}"


class ErasedAddress(Model):
    """A tombstone: an erased contact's address as a keyed hash (survey.outreach.erasures), so that importing the
    same list again does not bring back someone who asked to be erased. Nothing else about them is kept.

    Keyed (HMAC-SHA256 with a key that is not in the database), because an unkeyed hash of an address is
    reversed by hashing a list of likely addresses; a stolen database or backup alone cannot be tested so.
    """

    __tablename__ = "erased_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # hex HMAC-SHA256 of "email:" + address
    erased_at: Mapped[datetime]
