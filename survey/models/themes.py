from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model, one_of


class ThemeStatus(StrEnum):
    PROPOSED = "proposed"  # found in the comments, waiting for a manager's decision
    ACCEPTED = "accepted"  # tags comments that mention its terms; a series trend detection tests
    REJECTED = "rejected"  # not a theme (a proposal turned down, or an accepted theme no longer wanted)
    MERGED = "merged"  # folded into another theme (`merged_into_id`), which took its terms and tags


THEME_STATUSES = tuple(ThemeStatus)


class Theme(Model):
    """A theme of a survey's comments ("waiting time"): proposed by the theme job (analysis.themes), then
    accepted, renamed, merged or rejected by a manager.

    `name` is the tag it gives responses (ResponseTag.tag: lower-case, single spaces), so an accepted
    theme and a hand-given tag of the same name are one theme. `terms` are what a comment must mention to
    be tagged (analysis.themes.normalise_term), editable; a proposal's are its strongest terms, of which
    `comments` is how many comments it was the strongest theme of and `examples` up to three of those
    responses (their ids: the text is read when shown, so an erased answer is never shown from here)."""

    __tablename__ = "themes"
    __table_args__ = (Index("ix_themes_survey_status", "survey_id", "status"), one_of("status", ThemeStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=ThemeStatus.PROPOSED)
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    top_terms: Mapped[list[str]] = mapped_column(JSON, default=list)  # as proposed, strongest first
    comments: Mapped[int | None]
    examples: Mapped[list[int]] = mapped_column(JSON, default=list)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("themes.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
