from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import db


class Contact(db.Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: addresses are matched case-insensitively.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Segment attributes (location, team, touchpoint …) copied onto each response when it is given.
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class Invitation(db.Model):
    """A personal link (/r/<token>) to one survey for one contact."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 256 bits from the CSPRNG (secrets.token_urlsafe(32)); kept in clear because reminders resend it.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]

    survey = relationship("Survey")
    contact: Mapped[Contact] = relationship()

    @property
    def respondent_key(self) -> str:
        return f"invitation:{self.id}"
