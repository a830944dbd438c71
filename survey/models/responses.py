from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model


class Response(Model):
    """The current answer of one respondent to one survey.

    `respondent_key` is unique, so a respondent has at most one response however often they submit:
    an invitation's key for personal links, a random per-browser key for the public link. Each accepted
    submission is also kept as a ResponseRevision (the history); the latest one is what counts.
    """

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_survey_submitted", "survey_id", "submitted_at"),
                      Index("ix_responses_survey_local_date", "survey_id", "local_date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_key: Mapped[str] = mapped_column(String(80), unique=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # link | public | import
    submitted_at: Mapped[datetime]
    # The day of `submitted_at` in the organisation's time zone: results group periods by it in SQL.
    local_date: Mapped[date]
    updated_at: Mapped[datetime]
    revisions_count: Mapped[int] = mapped_column(default=1)
    quote_consent: Mapped[bool] = mapped_column(default=False)
    contact_consent: Mapped[bool] = mapped_column(default=False)
    # Segment attributes as they were when the customer answered (a contact may move later).
    attributes: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # The language the customer answered in (a tag: "fr"); None for imported and older responses. Answers
    # are stored by key and option position, so results combine every language.
    language: Mapped[str | None] = mapped_column(String(16))
    # The keys of the version's questions its display logic did not show this respondent ("not asked", apart
    # from "not answered"); None when the version has no logic (everything was asked).
    not_asked: Mapped[list[str] | None] = mapped_column(JSON)

    version = relationship("SurveyVersion")
    contact = relationship("Contact")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Answer.id"
    )
    tags: Mapped[list[ResponseTag]] = relationship(cascade="all, delete-orphan", order_by="ResponseTag.tag")


class Answer(Model):
    """One answered question; a `multi` answer is one row per ticked option so counts are a GROUP BY.

    rating: value_int = 1-based scale position · nps: value_int 0–10 · choice/multi: value_text = option,
    value_int = its 1-based position · yesno: value_int 1/0 · text: value_text.
    """

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_question_value", "question_key", "value_int"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(64))
    value_int: Mapped[int | None]
    value_text: Mapped[str | None] = mapped_column(Text)
    # A free-text answer's VADER compound score (−1 … +1), computed once when it is stored
    # (survey.results.sentiments); None for other answers and for comments not in English ("not analysed").
    sentiment: Mapped[float | None]

    response: Mapped[Response] = relationship(back_populates="answers")


class ResponseTag(Model):
    """A theme a response's comments mention ("delivery", "billing"): lower-case, so the same theme is one
    tag however it was typed. Tags filter the response browser, exports and counts per theme. `source` says
    who gave it: a person ("manual") or an accepted theme's terms ("auto"), which re-tagging may take off
    again when the terms change; a person's tag it never takes off."""

    __tablename__ = "response_tags"
    __table_args__ = (UniqueConstraint("response_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(8), default="manual", server_default="manual")  # manual | auto
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ResponseTagRemoval(Model):
    """A person took this theme off this response: automatic tagging never gives it back (a correction
    sticks), until a person tags the response with it again."""

    __tablename__ = "response_tag_removals"
    __table_args__ = (UniqueConstraint("response_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    tag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ResponseRevision(Model):
    """Every accepted submission. `submission_key` comes from the form, so a double click, a retry or a
    back-and-resubmit of the same form is recognised and stored once."""

    __tablename__ = "response_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    submitted_at: Mapped[datetime]
    answers: Mapped[dict] = mapped_column(JSON)
    quote_consent: Mapped[bool] = mapped_column(default=False)
    contact_consent: Mapped[bool] = mapped_column(default=False)


class ResponseDraft(Model):
    """Answers saved half-way through ("save and finish later"); never counted in results."""

    __tablename__ = "response_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    respondent_key: Mapped[str] = mapped_column(String(80), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id", ondelete="CASCADE"))
    values: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    saved_at: Mapped[datetime]
