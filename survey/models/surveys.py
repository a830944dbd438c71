from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model, one_of

QUESTION_TYPES = ("rating", "nps", "choice", "multi", "yesno", "text")


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # open to answers
    CLOSED = "closed"


# Text is checked against these tuples: `"x" in SurveyStatus` raises TypeError before Python 3.12.
SURVEY_STATUSES = tuple(SurveyStatus)


class Survey(Model):
    """A questionnaire with a stable slug. Its content lives in versions: editing a survey that has
    responses adds a version, so every response keeps the exact questions it answered."""

    __tablename__ = "surveys"
    __table_args__ = (one_of("status", SurveyStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=SurveyStatus.DRAFT)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current_version(self) -> SurveyVersion:
        return self.versions[-1]

    @property
    def title(self) -> str:
        return self.current_version.title

    @property
    def is_open(self) -> bool:
        return self.status == SurveyStatus.PUBLISHED


class SurveyVersion(Model):
    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    # definitions.FOLLOW_UP_RULES: "low_scores" (a low score or "you may contact me" opens a case) or
    # "every_response" (a complaint form: every response opens one).
    follow_up: Mapped[str] = mapped_column(String(20), default="low_scores")
    # The language of the texts above (a tag: "en", "fr", "pt-BR"), and the same texts in other languages:
    # {"fr": {"title": …, "intro": …, "questions": {"<key>": {"text": …, "why": …, "options": […]}}}} as
    # docs/formats.md describes; None when there are none. authoring.translations reads them.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    translations: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    # Display logic's pages: [{"key", "title", "intro"?, "show_if"?}] in order (definitions.SectionSpec);
    # empty: one page. Each question names its section (Question.section).
    sections: Mapped[list[dict] | None] = mapped_column(JSON)

    survey: Mapped[Survey] = relationship(back_populates="versions")
    questions: Mapped[list[Question]] = relationship(
        back_populates="version", order_by="Question.position", cascade="all, delete-orphan"
    )

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


class Question(Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id", ondelete="CASCADE"))
    position: Mapped[int]
    # Results line questions up across versions by this key, so it never changes meaning.
    key: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    why: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    # Scale labels for `rating` (worst first, top box last) or options for `choice` / `multi`.
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    long: Mapped[bool] = mapped_column(default=False)
    # rating / nps: an answer at or below this value opens a follow-up case (a scale position for rating,
    # 0–10 for NPS). None means the default: the bottom two boxes of a rating, 0–6 for NPS.
    follow_up_threshold: Mapped[int | None]
    # Display logic (survey.authoring.logic): shown only when `show_if` holds; the survey ends after this
    # question when `end_if` holds. JsonLogic objects, None for none. `section`: its section's key, or "".
    show_if: Mapped[dict | None] = mapped_column(JSON)
    end_if: Mapped[dict | None] = mapped_column(JSON)
    section: Mapped[str] = mapped_column(String(64), default="")

    version: Mapped[SurveyVersion] = relationship(back_populates="questions")

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(submitted value, label) pairs in display order, for every closed question type."""
        if self.type == "rating":
            return [(str(i), label) for i, label in enumerate(self.options, start=1)]
        if self.type == "nps":
            return [(str(i), str(i)) for i in range(11)]
        if self.type == "yesno":
            return [("yes", "Yes"), ("no", "No")]
        return [(option, option) for option in self.options]
