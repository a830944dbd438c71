"""Keeping `answer_counts` current: every stored, changed or imported answer with a numeric value adds
to (or takes from) its day's count for all respondents and for each configured segment attribute, under
the survey version its response answered, and every new response adds one to its day's response count
(question key RESPONSES_KEY). A response edited on a newer version leaves its old version's cells, its
response count included, for the new version's. A free-text answer has no value of its own: one with a
sentiment score counts under its label instead (`counted`), so comments' sentiment per period is read from
the rollup like every other share.

Changes are upserts (`INSERT … ON CONFLICT DO UPDATE count = count + n`) in the caller's transaction, in
a fixed key order so concurrent writers on PostgreSQL lock rows in the same order. `rebuild` recomputes a
survey's counts from the answers by GROUP BY (after bulk loads, and to check the incremental path).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache

from flask import current_app
from sqlalchemy import case, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from analysis.sentiment import THRESHOLD
from survey.extensions import db
from survey.models import Answer, AnswerCount, Response
from survey.results.settings import Settings

# The unique key of a cell (uq_answer_counts_cell), in its order: also the order writers lock cells in.
KEY_COLUMNS = ("survey_id", "question_key", "local_date", "segment_name", "segment_value", "value_int", "version_id")
# The question key of the cells counting responses themselves (value 1), so the dashboard's response counts
# come from the rollup too. Real keys start with a letter, so it cannot collide.
RESPONSES_KEY = "*"
SEGMENT_VALUE_WIDTH = 200  # answer_counts.segment_value


# A scored comment's cell value: its sentiment label (survey.results.sentiments), with VADER's thresholds.
NEGATIVE, NEUTRAL, POSITIVE = -1, 0, 1


def counted(value_int: int | None, sentiment: float | None) -> int | None:
    """The value a stored answer is counted under: its own; for a comment (no value, a sentiment score) its
    label as NEGATIVE, NEUTRAL or POSITIVE; None (not counted) for anything else."""
    if value_int is not None or sentiment is None:
        return value_int
    return POSITIVE if sentiment >= THRESHOLD else NEGATIVE if sentiment <= -THRESHOLD else NEUTRAL


def counted_value():
    """SQL: `counted` of each answer row."""
    return case((Answer.value_int.is_not(None), Answer.value_int), (Answer.sentiment >= THRESHOLD, POSITIVE),
                (Answer.sentiment <= -THRESHOLD, NEGATIVE), (Answer.sentiment.is_not(None), NEUTRAL), else_=None)


def segment_names() -> tuple[str, ...]:
    return Settings.from_config(current_app.config).segment_names


def _cells(survey_id: int, version_id: int, day: date, attributes: Mapping[str, str],
           answers: Iterable[tuple[str, int | None]]) -> Counter:
    segments = [("", "")] + [(name, str(attributes[name])[:SEGMENT_VALUE_WIDTH]) for name in segment_names()
                             if attributes.get(name) not in (None, "")]
    cells: Counter = Counter()
    for key, value in answers:
        if value is None:
            continue
        for name, segment_value in segments:
            cells[(survey_id, key, day, name, segment_value, value, version_id)] += 1
    return cells


def apply(response: Response, old: Iterable[tuple[str, int | None]], new: Iterable[tuple[str, int | None]], *,
          is_new: bool, old_version_id: int | None) -> None:
    """Move one response's counts from its old answers, counted under the version it had answered
    (`old_version_id`; None for a new response, whose old answers are empty), to its new ones under
    `response.version_id`. A new response also counts once as a response; one that moves to another
    version takes its response count along, so each version's response counts stay what a GROUP BY gives."""
    old, new = list(old), list(new)
    if is_new:
        old_version_id = response.version_id
        new.append((RESPONSES_KEY, 1))
    elif old_version_id != response.version_id:
        old.append((RESPONSES_KEY, 1))
        new.append((RESPONSES_KEY, 1))
    assert old_version_id is not None  # given for every response but a new one, whose version it took above
    attributes = response.attributes or {}
    change = _cells(response.survey_id, response.version_id, response.local_date, attributes, new)
    change.subtract(_cells(response.survey_id, old_version_id, response.local_date, attributes, old))
    _upsert({cell: n for cell, n in change.items() if n})


@cache
def _add_counts(dialect_name: str):
    """The upsert statement, built once per dialect: building it (its `excluded` alias copies the table)
    cost more than running it, on every submission."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    table = AnswerCount.__table__
    statement = dialect.insert(table)
    return statement.on_conflict_do_update(index_elements=list(KEY_COLUMNS),
                                           set_={"count": table.c.count + statement.excluded.count})


def _upsert(deltas: Mapping[tuple, int]) -> None:
    if not deltas:
        return
    # One executemany, its rows in the fixed order (the driver runs them in turn).
    rows = [dict(zip(KEY_COLUMNS, cell, strict=True)) | {"count": deltas[cell]}
            for cell in sorted(deltas, key=lambda c: tuple(str(part) for part in c))]
    # On the session's connection: a Core statement needs none of Session.execute's autoflush or ORM dispatch.
    db.session.connection().execute(_add_counts(db.engine.dialect.name), rows)


def add(responses: Iterable[tuple[Response, Iterable[tuple[str, int | None]]]]) -> None:
    """Count answers added to stored responses (comments scored after an import): (response, (key, value)…)."""
    cells: Counter = Counter()
    for response, answers in responses:
        cells.update(_cells(response.survey_id, response.version_id, response.local_date, response.attributes or {},
                            answers))
    _upsert(cells)


def rebuild(survey_id: int) -> None:
    """Recompute one survey's counts from its answers (in the caller's transaction)."""
    db.session.execute(delete(AnswerCount).where(AnswerCount.survey_id == survey_id))
    for name in ("", *segment_names()):
        # Cut to the column's width, as `_cells` does on write (PostgreSQL refuses longer values).
        value = func.substr(Response.attributes[name].as_string(), 1, SEGMENT_VALUE_WIDTH) if name else literal("")
        counted_as = counted_value()
        query = (select(Response.survey_id, Answer.question_key, Response.local_date, literal(name), value,
                        counted_as, Response.version_id, func.count())
                 .join(Response, Answer.response_id == Response.id)
                 .where(Response.survey_id == survey_id, counted_as.is_not(None))
                 .group_by(Response.survey_id, Answer.question_key, Response.local_date, counted_as,
                           Response.version_id))
        responses = (select(Response.survey_id, literal(RESPONSES_KEY), Response.local_date, literal(name), value,
                            literal(1), Response.version_id, func.count())
                     .where(Response.survey_id == survey_id)
                     .group_by(Response.survey_id, Response.local_date, Response.version_id))
        if name:
            query = query.where(value.is_not(None), value != "").group_by(value)
            responses = responses.where(value.is_not(None), value != "").group_by(value)
        for rows in (query, responses):
            db.session.execute(AnswerCount.__table__.insert().from_select([*KEY_COLUMNS, "count"], rows))
