from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model, one_of


class ChangeStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"


# Text is checked against this tuple: `"x" in ChangeStatus` raises TypeError before Python 3.12.
CHANGE_STATUSES = tuple(ChangeStatus)


class ChangeEntry(Model):
    """Something the organisation changed (or plans to) because customers asked: the public /changes page.

    Shown publicly only while `published_at` is set and `deleted_at` is not. `we_did_html` is the Markdown
    of `we_did` rendered and sanitised with an allow-list when saved, so the page never renders raw input.
    The impact fields name the figure the change was meant to move (question × segment of a survey).
    `impact_numbers` is the editor's choice for the public page: True publishes the measured numbers
    whatever they say, False publishes the entry without them, None (not chosen) shows them only while
    they are being measured or show a real improvement (survey.changes.changelog.public_impact).
    """

    __tablename__ = "change_entries"
    __table_args__ = (one_of("status", ChangeStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    you_said: Mapped[str] = mapped_column(Text)
    we_did: Mapped[str] = mapped_column(Text)
    we_did_html: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(16), default=ChangeStatus.PLANNED)
    changed_on: Mapped[date]
    impact_survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="SET NULL"))
    impact_question: Mapped[str | None] = mapped_column(String(64))
    impact_segment_name: Mapped[str] = mapped_column(String(64), default="")
    impact_segment_value: Mapped[str] = mapped_column(String(200), default="")
    impact_numbers: Mapped[bool | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    impact_survey = relationship("Survey")
    links: Mapped[list[ChangeLink]] = relationship(back_populates="change", cascade="all, delete-orphan",
                                                   order_by="ChangeLink.id")
    quotes: Mapped[list[ChangeQuote]] = relationship(back_populates="change", cascade="all, delete-orphan",
                                                     order_by="ChangeQuote.id")


class ChangeLink(Model):
    """What led to a change: a response or an alert (exactly one of the two)."""

    __tablename__ = "change_links"
    __table_args__ = (UniqueConstraint("change_id", "response_id", "alert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("change_entries.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))

    change: Mapped[ChangeEntry] = relationship(back_populates="links")
    response = relationship("Response")
    alert = relationship("Alert")


class ChangeQuote(Model):
    """A customer's words on the public page: only from a linked response whose customer agreed to be
    quoted, stored as the editor trimmed it and with contact details removed (survey.changes.changelog.redact)."""

    __tablename__ = "change_quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("change_entries.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)

    change: Mapped[ChangeEntry] = relationship(back_populates="quotes")


class ChangeNotice(Model):
    """A customer told about a change (or a quarter's digest), so it happens once per entry and contact."""

    __tablename__ = "change_notices"
    __table_args__ = (UniqueConstraint("topic", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))  # "change:12" or "digest:2026Q3"
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime]
