from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model, one_of


class CaseStatus(StrEnum):
    NEW = "new"  # nobody has got back to the customer yet: the response-time standard runs
    CONTACTED = "contacted"
    RESOLVED = "resolved"
    UNREACHABLE = "unreachable"


# Text is checked against this tuple: `"x" in CaseStatus` raises TypeError before Python 3.12.
CASE_STATUSES = tuple(CaseStatus)
# "review": a low score from someone Hearken cannot reach (the public link, an anonymous import): flagged for
# a person to read, not queued as a call (no call script, and outside the response-time standard).
CASE_REASONS = ("low_score", "review", "contact_request", "complaint", "manual")


class Complaint(Model):
    """A complaint or suggestion from the public /complain form. Contact details are optional."""

    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))  # complaint | suggestion
    message: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    # A keyed hash of the sender's address, only to rate-limit the form; never the address itself.
    sender_key: Mapped[str] = mapped_column(String(64), index=True)
    # The sent form's random key: the same form sent twice (a double click, Back then Send) is one complaint.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class FollowUpCase(Model):
    """A customer to get back to: opened for a low score, a "you may contact me", a complaint, or by hand.

    `due_at` (first contact) and `resolve_due_at` come from its team's response-time standard;
    `first_contact_at` and `resolved_at` measure it. `team` is the team's name when it opened. At most one
    case per response and per complaint.
    """

    __tablename__ = "followup_cases"
    __table_args__ = (Index("ix_followup_cases_status_due", "status", "due_at"), one_of("status", CaseStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(20))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    team: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.NEW)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    opened_at: Mapped[datetime]
    due_at: Mapped[datetime]
    first_contact_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    problem_fixed: Mapped[bool | None]
    change_id: Mapped[int | None] = mapped_column(ForeignKey("change_entries.id", ondelete="SET NULL"))
    reminded_at: Mapped[datetime | None]
    # The team it belongs to (None: opened before teams existed, or its team was deleted: the default's).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    resolve_due_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]  # the team lead was told it is overdue (once)
    root_cause_id: Mapped[int | None] = mapped_column(ForeignKey("root_causes.id", ondelete="SET NULL"))

    response = relationship("Response")
    complaint = relationship("Complaint")
    contact = relationship("Contact")
    owner = relationship("User")
    team_row = relationship("Team")
    root_cause = relationship("RootCause")
    notes: Mapped[list[CaseNote]] = relationship(back_populates="case", cascade="all, delete-orphan",
                                                 order_by="CaseNote.id")


class CaseNote(Model):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("followup_cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)

    case: Mapped[FollowUpCase] = relationship(back_populates="notes")
    author = relationship("User")
