from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model, one_of


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


# Text is checked against this tuple: `"x" in AlertStatus` raises TypeError before Python 3.12.
ALERT_STATUSES = tuple(AlertStatus)


class Alert(Model):
    """A significant movement found by trend detection, with its evidence (docs/formats.md, "Trend
    findings"). A drop is an alert; a rise is a "celebrate" notice. `fingerprint` makes a rerun of the same
    data a no-op."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_series", "series_key", "status"), one_of("status", AlertStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(400), unique=True)
    # survey|question|metric|segment|kind|direction: the same finding in a later period has the same key.
    series_key: Mapped[str] = mapped_column(String(400))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # change | trend | gap
    segment: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    period_before: Mapped[str] = mapped_column(String(16))
    period_after: Mapped[str] = mapped_column(String(16))
    n_before: Mapped[int]
    n_after: Mapped[int]
    value_before: Mapped[float]
    value_after: Mapped[float]
    difference: Mapped[float]
    ci_low: Mapped[float | None]
    ci_high: Mapped[float | None]
    p_value: Mapped[float]
    q_value: Mapped[float]
    method: Mapped[str] = mapped_column(String(24))
    direction: Mapped[str] = mapped_column(String(8))  # drop | rise
    # What else the finding said (analysis.Finding): a trend's shape (steady | step), slope and window, a
    # rise's "recovered", and the year-over-year comparison — kept so the alert says tomorrow what it said
    # when it was raised. NULL for alerts raised before.
    details: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.OPEN)
    status_changed_at: Mapped[datetime | None]
    status_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The follow-up case a manager linked it to (changes link alerts through ChangeLink).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("followup_cases.id", ondelete="SET NULL"))

    survey = relationship("Survey")
    case = relationship("FollowUpCase")
