"""Which responses' comments mention which accepted theme: tags given by the themes' terms (source "auto")
when a response is stored, and to every stored response in batches when a theme is accepted or its terms
change; a person's correction on one response sticks (a removal is remembered, a person's tag is never
taken off); and the counts trend detection tests, comments mentioning each theme per period and segment.

A comment is the answer to a text question; a response is tagged when any of its comments mentions one of
the theme's terms (analysis.themes.matcher). Matching is a set lookup per word, so tagging a submission
costs one query for the survey's accepted themes (and one for its tags when it is an edit).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import and_, bindparam, delete, exists, func, literal, null, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from analysis import matcher
from survey.extensions import db
from survey.models import Answer, Question, Response, ResponseTag, ResponseTagRemoval, Theme, ThemeStatus
from survey.progress import QUIET, Progress
from survey.results.periods import expressed_start, period_expression

BATCH = 2_000  # responses tagged per commit when a theme changes
AUTO, MANUAL = "auto", "manual"
COMMENT_TYPES = ("text",)

_ACCEPTED = select(Theme.name, Theme.terms).where(Theme.survey_id == bindparam("survey_id"),
                                                  Theme.status == ThemeStatus.ACCEPTED).order_by(Theme.id)


def accepted_terms(survey_id: int) -> dict[str, list[str]]:
    """The survey's accepted themes: name → terms."""
    return {name: list(terms or []) for name, terms in db.session.execute(_ACCEPTED, {"survey_id": survey_id})}


@lru_cache(maxsize=64)
def _matcher(themes: tuple[tuple[str, tuple[str, ...]], ...]):
    return matcher(dict(themes))


def mentioned(themes: dict[str, list[str]], comments: Iterable[str]) -> set[str]:
    """The themes any of `comments` mentions (each comment read alone: no phrase spans two answers)."""
    if not themes:
        return set()
    mentions = _matcher(tuple((name, tuple(terms)) for name, terms in themes.items()))
    found: set[str] = set()
    for text in comments:
        found |= mentions(text)
    return found


def comment_condition():
    """SQL: the response has a comment (a non-empty answer to one of its version's text questions)."""
    return exists().where(Answer.response_id == Response.id, Question.version_id == Response.version_id,
                          Question.key == Answer.question_key, Question.type.in_(COMMENT_TYPES),
                          Answer.value_text.is_not(None), Answer.value_text != "")


def comments_of(response_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each response's comments, in answer order."""
    found: dict[int, list[str]] = {}
    if not response_ids:
        return found
    rows = db.session.execute(
        select(Answer.response_id, Answer.value_text).join(Response, Answer.response_id == Response.id)
        .join(Question, and_(Question.version_id == Response.version_id, Question.key == Answer.question_key))
        .where(Answer.response_id.in_(list(response_ids)), Question.type.in_(COMMENT_TYPES),
               Answer.value_text.is_not(None), Answer.value_text != "").order_by(Answer.id))
    for response_id, text in rows:
        found.setdefault(response_id, []).append(text or "")
    return found


def _insert_ignoring_duplicates():
    """INSERT … ON CONFLICT DO NOTHING: a person or a submission may tag the same response at once."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(ResponseTag.__table__).on_conflict_do_nothing(index_elements=["response_id", "tag"])


def retag(wanted: dict[int, set[str]], *, now: datetime) -> tuple[int, int]:
    """Make the automatic tags of the responses in `wanted` (response id → the themes their comments
    mention) exactly those themes, passing over a theme a person took off a response and never taking off a
    person's tag. In the caller's transaction: (tags added, tags taken off)."""
    ids = list(wanted)
    if not ids:
        return 0, 0
    have: dict[tuple[int, str], str] = {
        (response_id, tag): source for response_id, tag, source in db.session.execute(
            select(ResponseTag.response_id, ResponseTag.tag, ResponseTag.source)
            .where(ResponseTag.response_id.in_(ids)))}
    removed = {(response_id, tag) for response_id, tag in db.session.execute(
        select(ResponseTagRemoval.response_id, ResponseTagRemoval.tag).where(ResponseTagRemoval.response_id.in_(ids)))}
    goal = {(response_id, tag) for response_id, tags in wanted.items() for tag in tags} - removed
    stale = [pair for pair, source in have.items() if source == AUTO and pair not in goal]
    new = sorted(goal - have.keys())
    if stale:
        db.session.execute(delete(ResponseTag).where(
            ResponseTag.source == AUTO, tuple_(ResponseTag.response_id, ResponseTag.tag).in_(stale)))
    if new:
        db.session.execute(_insert_ignoring_duplicates(), [
            {"response_id": response_id, "tag": tag, "source": AUTO, "created_at": now, "created_by_id": None}
            for response_id, tag in new])
    return len(new), len(stale)


def tag_submission(survey_id: int, response_id: int, comments: Sequence[str], *, is_new: bool,
                   now: datetime) -> None:
    """Tag a response just stored (in the submission's transaction) with the accepted themes its comments
    mention; an edit also loses the automatic tags its new comments no longer earn. A new response without
    a comment costs nothing."""
    if is_new and not comments:
        return
    themes = accepted_terms(survey_id)
    if not themes and is_new:
        return
    retag({response_id: mentioned(themes, comments)}, now=now)


def tag_survey(survey_id: int, *, now: datetime, progress: Progress = QUIET) -> dict:
    """Tag every response of the survey with the accepted themes its comments mention (and take off the
    automatic tags it no longer earns), BATCH responses per commit by id, going on after the position a
    stopped run committed (progress.state). Returns the outcome: responses read, tags added and taken off."""
    themes = accepted_terms(survey_id)
    state = dict(progress.state or {"after": 0, "responses": 0, "added": 0, "removed": 0})
    total = db.session.scalar(select(func.count(Response.id)).where(Response.survey_id == survey_id)) or 0
    progress.tick("writing", state["responses"], total)
    while ids := list(db.session.scalars(select(Response.id).where(Response.survey_id == survey_id,
                                                                   Response.id > state["after"])
                                         .order_by(Response.id).limit(BATCH))):
        comments = comments_of(ids)
        added, removed = retag({i: mentioned(themes, comments.get(i, ())) for i in ids}, now=now)
        state = {"after": ids[-1], "responses": state["responses"] + len(ids), "added": state["added"] + added,
                 "removed": state["removed"] + removed}
        progress.checkpoint(state["responses"], state)
    return state


def theme_counts(survey_id: int, names: Sequence[str], *, unit: str, days: Sequence[tuple[date, date]],
                 attributes: Sequence[str]) -> dict[tuple[str | None, date, str, str], int]:
    """Responses with a comment, and of those the ones tagged with each of `names`, per period of `unit` on
    the days of `days` (half-open ranges) for all respondents (attribute "") and each value of each of
    `attributes`: (theme name, or None for the comments themselves; period start; attribute; value) → count.
    Two GROUP BYs per attribute over the responses of those days (tags are not rolled up: a correction or
    a change of terms changes them after the fact)."""
    counts: dict[tuple[str | None, date, str, str], int] = {}
    if not days:
        return counts
    period = period_expression(unit, Response.local_date)
    within = or_(*(and_(Response.local_date >= first, Response.local_date < end) for first, end in days))
    starts: dict[object, date] = {}
    for name in attributes:
        value = Response.attributes[name].as_string() if name else literal("")
        conditions = [Response.survey_id == survey_id, within, comment_condition()]
        if name:
            conditions += [value.is_not(None), value != ""]
        comments = select(period, value, null(), func.count()).where(*conditions).group_by(period, value)
        tagged = (select(period, value, ResponseTag.tag, func.count())
                  .join(ResponseTag, ResponseTag.response_id == Response.id)
                  .where(*conditions, ResponseTag.tag.in_(list(names))).group_by(period, value, ResponseTag.tag))
        for query in (comments, tagged) if names else (comments,):
            for start, segment_value, tag, n in db.session.execute(query):
                if (day := starts.get(start)) is None:
                    day = starts[start] = expressed_start(start)
                counts[(tag, day, name, segment_value or "")] = int(n)
    return counts
