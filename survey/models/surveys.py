from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model, one_of

QUESTION_TYPES = ("rating", "nps", "choice", "multi", "yesno", "text", "matrix", "numeric", "date", "ranking")
# What a matrix statement's (or a choice's "other") stored answers are keyed by: "<question key>.<part>".
# Question keys never hold a dot, so such a key cannot be taken for another question's.
PART_SEPARATOR = "."
# "Other, please specify" on a choice: the choice's value and label, kept as answer position 0 (options
# are 1-based, and options added at the end later must not take its answers), and the part of the answer
# key that holds the text written beside it.
OTHER_LABEL = "Other"
OTHER_POSITION = 0
OTHER_PART = "other"


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

    @property
    def parts(self) -> list[Question]:
        """Every answer this version stores, as a question with its own answer key (Question.parts): what
        results, trends, exports and imports line up across versions."""
        return [part for question in self.questions for part in question.parts()]


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
    # What only some types have (definitions.QuestionSpec.settings): a matrix's "statements" ([{"key", "text"}],
    # its scale in `options`), a choice's "other" (true), a numeric question's "min", "max" (numbers) and
    # "integer" (true), a date question's "min" and "max" (ISO dates). None for the types that have none.
    settings: Mapped[dict | None] = mapped_column(JSON)

    version: Mapped[SurveyVersion] = relationship(back_populates="questions")

    @property
    def statements(self) -> list[dict[str, str]]:
        """A matrix's statements, each {"key", "text"}, in order; [] for other types."""
        return list((self.settings or {}).get("statements", ()))

    def rank_fields(self) -> list[tuple[str, str]]:
        """A ranking's (field name, option) pairs: one number menu per option, named by its position."""
        return [(f"q-{self.key}{PART_SEPARATOR}{n}", option) for n, option in enumerate(self.options, start=1)]

    @property
    def preset(self) -> str:
        """The standard question this one is ("ces": the Customer Effort Score 2.0), or ""."""
        return (self.settings or {}).get("preset", "")

    @property
    def offers_other(self) -> bool:
        """A choice or multi question with "Other, please specify" after its options."""
        return bool((self.settings or {}).get("other"))

    def parts(self) -> list[Question]:
        """The questions this one is stored, counted and analysed as, each with its own answer key: itself;
        for a matrix one rating question per statement, keyed "<matrix key>.<statement key>", so results,
        trends, exports and imports treat each statement as a rating series of its own; for a choice with
        "Other", itself and the text question "<key>.other" holding what was written. The parts are
        transient: never add one to a session."""
        if self.offers_other:
            return [self, Question(key=f"{self.key}{PART_SEPARATOR}{OTHER_PART}", type="text",
                                   text=f"{self.text} — {OTHER_LABEL}", why="", required=False, options=[],
                                   long=False, follow_up_threshold=None, position=self.position, settings=None)]
        if self.type != "matrix":
            return [self]
        return [Question(key=f"{self.key}{PART_SEPARATOR}{statement['key']}", type="rating",
                         text=f"{self.text} — {statement['text']}", why="", required=self.required,
                         options=list(self.options), long=False, follow_up_threshold=None,
                         position=self.position, settings=None)
                for statement in self.statements]

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(submitted value, label) pairs in display order, for every closed question type."""
        if self.type == "rating":
            return [(str(i), label) for i, label in enumerate(self.options, start=1)]
        if self.type == "nps":
            return [(str(i), str(i)) for i in range(11)]
        if self.type == "yesno":
            return [("yes", "Yes"), ("no", "No")]
        options = [(option, option) for option in self.options]
        return options + [(OTHER_LABEL, OTHER_LABEL)] if self.offers_other else options
