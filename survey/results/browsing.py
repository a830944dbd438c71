"""Reading responses one by one: the filtered list (newest given first, a page at a time), one response with its
answers laid out, and themes (tags) analysts give responses so comments can be counted and filtered.

A page is a fixed number of queries however many rows it has: the count, the responses, then their answers,
tags, versions and the versions' questions each in one `selectinload` query."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

from sqlalchemy import CursorResult, and_, case, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from analysis.nps import DETRACTOR_MAX
from survey.extensions import db
from survey.models import Answer, Question, Response, ResponseTag, ResponseTagRemoval, Survey, SurveyVersion, User
from survey.results import sentiments
from survey.results.filters import ResultsFilter, normalise_tag, response_conditions

PAGE_SIZE = 50
EXCERPT = 160
MAX_TAG = 64
SCORE_FILTERS = ("low",)


class TagError(ValueError):
    """A theme that cannot be stored (empty or too long); the message says why, for the person."""


@dataclass(frozen=True)
class AnswerLine:
    question: str
    type: str
    text: str  # the answer as a person reads it ("Extremely satisfied (5/5)", "NPS 9", "Phone; Email")
    items: tuple[str, ...] = ()  # a `multi` answer's ticked options, to show as a list
    # A free-text answer's sentiment (survey.results.sentiments): its label, and its VADER compound score
    # (None: not analysed); "" for other answers.
    sentiment: str = ""
    compound: float | None = None


@dataclass(frozen=True)
class Row:
    response: Response
    scores: list[AnswerLine]
    excerpt: str
    comments: list[AnswerLine] = field(default_factory=list)  # its free-text answers, with their sentiment


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    next_after: int | None  # the id to continue after, or None on the last page
    # The survey has texts in more than one language (a version on the page has translations): each
    # response then says which one its customer read. One language has nothing to tell apart, so nothing is shown.
    multilingual: bool = False


def answer_lines(response: Response, questions: Sequence[Question]) -> list[AnswerLine]:
    """Every answer of a response in question order, readable without knowing the storage format."""
    by_key: dict[str, list] = {}
    for answer in response.answers:
        by_key.setdefault(answer.question_key, []).append(answer)
    lines = []
    # A matrix's statements and an "Other" answer's text are lines of their own (Question.parts).
    for question in (part for whole in questions for part in whole.parts()):
        answers = by_key.pop(question.key, None)
        if answers:
            items = tuple(a.value_text or "" for a in answers) if question.type == "multi" else ()
            compound = answers[0].sentiment if question.type == "text" else None
            lines.append(AnswerLine(question.text, question.type, _readable(question, answers), items,
                                    sentiments.label(compound) if question.type == "text" else "", compound))
    for key, answers in by_key.items():  # answered in a version that no longer has the question
        lines.append(AnswerLine(key, "text", "; ".join(
            a.value_text or ("" if a.value_int is None else str(a.value_int)) for a in answers)))
    return lines


def _readable(question: Question, answers) -> str:
    first = answers[0]
    if question.type == "rating" and first.value_int:
        points = len(question.options)
        label = question.options[first.value_int - 1] if first.value_int <= points else ""
        return f"{label} ({first.value_int}/{points})"
    if question.type == "nps":
        return f"NPS {first.value_int}"
    if question.type == "yesno":
        return "Yes" if first.value_int else "No"
    return "; ".join(a.value_text or "" for a in answers)


def low_score_condition():
    """SQL: the response has a score at or below its question's follow-up threshold (by default the bottom
    two boxes of a rating, or NPS 0–6), the same rule that opens follow-up cases. One EXISTS over the
    response's answers joined to its version's questions (unique on version and key), so it stays cheap."""
    threshold = func.coalesce(Question.follow_up_threshold, case((Question.type == "nps", DETRACTOR_MAX), else_=2))
    return exists().where(Answer.response_id == Response.id, Question.version_id == Response.version_id,
                          Question.key == Answer.question_key, Question.type.in_(("rating", "nps")),
                          Answer.value_int.is_not(None), Answer.value_int <= threshold)


def list_responses(survey: Survey, chosen: ResultsFilter, *, today: date, after_id: int | None = None,
                   limit: int = PAGE_SIZE, score: str | None = None, sentiment: str | None = None) -> Page:
    """One page of the filtered responses, newest first by when they were given (`submitted_at`, then id:
    imported history has later ids than answers given after it), continuing after the response `after_id`
    (keyset paging on the (survey, submitted_at) index: a page costs the same however deep it is, and new
    responses do not shift what comes next). An `after_id` that is not one of this survey's responses starts
    from the newest. `score="low"` keeps only responses with a low score (see low_score_condition);
    `sentiment` (one of sentiments.LABELS) only responses with a comment of that sentiment."""
    if score is not None and score not in SCORE_FILTERS:
        raise ValueError(f"unknown score filter {score!r}")
    conditions = response_conditions(survey.id, chosen, today)
    if score == "low":
        conditions.append(low_score_condition())
    if sentiment is not None:
        conditions.append(sentiments.condition(sentiment))
    total = db.session.scalar(select(func.count(Response.id)).where(*conditions)) or 0
    query = (select(Response).where(*conditions).order_by(Response.submitted_at.desc(), Response.id.desc())
             .limit(limit + 1)
             .options(selectinload(Response.answers), selectinload(Response.tags),
                      selectinload(Response.version).selectinload(SurveyVersion.questions)))
    if after_id is not None:
        anchor = db.session.scalar(select(Response.submitted_at).where(Response.id == after_id,
                                                                       Response.survey_id == survey.id))
        if anchor is not None:
            query = query.where(or_(Response.submitted_at < anchor,
                                    and_(Response.submitted_at == anchor, Response.id < after_id)))
    responses = list(db.session.scalars(query))
    more = len(responses) > limit
    responses = responses[:limit]
    rows = []
    for response in responses:
        lines = answer_lines(response, response.version.questions)
        written = " ".join(line.text for line in lines if line.type == "text")
        excerpt = written if len(written) <= EXCERPT else written[:EXCERPT - 1] + "…"
        rows.append(Row(response, [line for line in lines if line.type in ("rating", "nps")], excerpt,
                        [line for line in lines if line.sentiment]))
    # The versions shown are loaded already: asking the survey's other versions would cost a query a page.
    multilingual = any(response.version.translations for response in responses)
    return Page(rows, total, responses[-1].id if more else None, multilingual)


def survey_tags(survey: Survey) -> list[tuple[str, int]]:
    """Each theme used in this survey with how many responses have it, most used first."""
    return [(tag, int(n)) for tag, n in db.session.execute(
        select(ResponseTag.tag, func.count()).join(Response, ResponseTag.response_id == Response.id)
        .where(Response.survey_id == survey.id).group_by(ResponseTag.tag)
        .order_by(func.count().desc(), ResponseTag.tag))]


def checked_tag(text: str, example: str = "delivery") -> str:
    """A theme as stored (lower-case, single spaces), or TagError saying why it cannot be one: empty, longer
    than MAX_TAG characters, or holding ";"."""
    if len(" ".join(text.split())) > MAX_TAG:
        raise TagError(f"A theme can be at most {MAX_TAG} characters long.")
    tag = normalise_tag(text)
    if not tag:
        raise TagError(f"Write the theme to add, e.g. “{example}”.")
    if ";" in tag:  # CSV files list a response's themes separated by ";"
        raise TagError("A theme cannot contain “;”, which separates themes in CSV files: add each one alone.")
    return tag


def tag_response(response: Response, text: str, *, actor: User, now: datetime) -> str:
    """Give a response a theme (lower-case, single spaces) and return it; giving it again changes nothing,
    but a theme its terms gave it becomes a person's (re-tagging never takes that off), and a theme a
    person took off before may be given again by its terms. Raises TagError, storing nothing, for an empty
    theme or one longer than MAX_TAG characters."""
    tag = checked_tag(text)
    db.session.execute(delete(ResponseTagRemoval).where(ResponseTagRemoval.response_id == response.id,
                                                        ResponseTagRemoval.tag == tag))
    if tag in (t.tag for t in response.tags):
        db.session.execute(update(ResponseTag).where(ResponseTag.response_id == response.id, ResponseTag.tag == tag)
                           .values(source="manual"))
        db.session.commit()
        return tag
    try:
        with db.session.begin_nested():  # a colleague tagging the same response at once
            db.session.add(ResponseTag(response_id=response.id, tag=tag, source="manual", created_at=now,
                                       created_by_id=actor.id))
    except IntegrityError:
        pass
    db.session.commit()
    return tag


def untag_response(response: Response, text: str, *, actor: User, now: datetime) -> bool:
    """Take a theme off a response (written any way that normalises to it); False when it was not there. The
    correction sticks: no theme's terms give it back, until a person tags the response with it again."""
    tag = normalise_tag(text)
    # A DELETE gives a CursorResult, which Session.execute's type cannot promise for every statement.
    removed = cast(CursorResult, db.session.execute(delete(ResponseTag).where(
        ResponseTag.response_id == response.id, ResponseTag.tag == tag)))
    if removed.rowcount and not db.session.scalar(select(ResponseTagRemoval.id).where(
            ResponseTagRemoval.response_id == response.id, ResponseTagRemoval.tag == tag)):
        try:
            with db.session.begin_nested():  # a colleague removing it at the same moment
                db.session.add(ResponseTagRemoval(response_id=response.id, tag=tag, created_at=now,
                                                  created_by_id=actor.id))
        except IntegrityError:
            pass
    db.session.commit()
    return bool(removed.rowcount)
