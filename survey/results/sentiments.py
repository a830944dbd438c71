"""Comments' sentiment: each English free-text answer's VADER compound score (analysis.sentiment), stored on
its answer row when it is written, read back as a label, filtered on and counted per period.

Stored rather than computed on read: VADER takes about 25 µs a comment, so a page of 50 would not notice,
but the response browser's sentiment filter and the results page's share of negative comments need every
comment of the range — 2.5 s at 100 000 comments on every view. Stored, the filter is one SQL condition and
the share is counted into the rollup (`rollups.counted`: a comment counts under its label), so the results
page reads it as it reads every share. A submission pays the 25 µs once; imports score their comments as
they finish (`score_unscored`), and migration 0029 scored the answers stored before.

A comment's language is its response's (the language the customer read the survey in), else its version's.
Comments in any language but English keep no score and read "not analysed": never guessed.

Labels use the VADER authors' thresholds (Hutto and Gilbert 2014; the vaderSentiment README): positive at a
compound score of 0.05 or more, negative at −0.05 or less, neutral between.
"""
from __future__ import annotations

from sqlalchemy import bindparam, case, exists, func, select, update

from analysis.sentiment import THRESHOLD, sentiment
from survey.extensions import db
from survey.models import Answer, Question, Response, SurveyVersion
from survey.results import rollups

NOT_ANALYSED = "not analysed"
LABELS = ("positive", "neutral", "negative", NOT_ANALYSED)
# The response browser's filter values (in the URL: no space).
FILTERS = {"positive": "positive", "neutral": "neutral", "negative": "negative", "not-analysed": NOT_ANALYSED}
BATCH = 5000


def score(text: str | None, language: str | None) -> float | None:
    """The compound score to store for a free-text answer, or None when it is not analysed."""
    if not text:
        return None
    found = sentiment(text, language or "en")
    return None if found is None else found.compound


def label(compound: float | None) -> str:
    """positive | neutral | negative for a stored score, "not analysed" for none."""
    if compound is None:
        return NOT_ANALYSED
    return "positive" if compound >= THRESHOLD else "negative" if compound <= -THRESHOLD else "neutral"


def _is_text_answer(answer=Answer):
    """SQL: `answer` answers a text question of its response's version."""
    return exists().where(Question.version_id == Response.version_id, Question.key == answer.question_key,
                          Question.type == "text")


def _labelled(column):
    """SQL: the label of a stored score (`column`), as `label` gives it."""
    return case((column.is_(None), NOT_ANALYSED), (column >= THRESHOLD, "positive"),
                (column <= -THRESHOLD, "negative"), else_="neutral")


def condition(chosen: str):
    """SQL on Response: it has a comment with label `chosen` (one of LABELS)."""
    if chosen not in LABELS:
        raise ValueError(f"unknown sentiment {chosen!r}")
    if chosen == NOT_ANALYSED:
        return exists().where(Answer.response_id == Response.id, Answer.sentiment.is_(None),
                              Answer.value_text.is_not(None), _is_text_answer())
    return exists().where(Answer.response_id == Response.id, Answer.sentiment.is_not(None),
                          _labelled(Answer.sentiment) == chosen)


def score_unscored(survey_id: int) -> int:
    """Score this survey's text answers stored without a score (an import writes rows straight through the
    driver), in batches, and count them into the rollup; returns how many got one. Comments not in English
    are read and left unscored."""
    language = func.coalesce(Response.language, SurveyVersion.language)
    query = (select(Answer.id, Answer.question_key, Answer.value_text, language, Response)
             .join(Response, Answer.response_id == Response.id)
             .join(SurveyVersion, SurveyVersion.id == Response.version_id)
             .where(Response.survey_id == survey_id, Answer.sentiment.is_(None), Answer.value_text.is_not(None),
                    _is_text_answer()).order_by(Answer.id).limit(BATCH))
    after, scored = 0, 0
    while rows := db.session.execute(query.where(Answer.id > after)).all():
        after = rows[-1][0]
        found = [(answer_id, key, value, response) for answer_id, key, text, lang, response in rows
                 if (value := score(text, lang)) is not None]
        if found:
            db.session.execute(_SCORE, [{"answer_id": answer_id, "score": value} for answer_id, _k, value, _r in found])
            rollups.add((response, [(key, rollups.counted(None, value))]) for _id, key, value, response in found)
        scored += len(found)
    return scored


_SCORE = (update(Answer.__table__).where(Answer.__table__.c.id == bindparam("answer_id"))
          .values(sentiment=bindparam("score")))
