"""Answer counts from the rollup (`answer_counts`), summed by the database: the one GROUP BY over that table,
for the results page, trend detection and a change's measured impact alike.

Each of them ran its own GROUP BY, with its own idea of which cells to sum; now what they count differs
only in the arguments: which questions, which days (ranges, any of them), by which period, which segment
or segments, which version. Cells are summed over days and over versions (or of one version only), so the
cost grows with days × values × segments — the rollup's rows — never with responses.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from sqlalchemy import and_, func, or_, select

from survey.accounts.scopes import SCOPE_CHECKED
from survey.extensions import db
from survey.models import AnswerCount
from survey.results.periods import expressed_start, period_expression

EVERYONE = ("", "")  # the segment of all respondents: the rollup's cells without a segment attribute


class Cell(NamedTuple):
    question: str
    start: date | None  # the first day of the period; None when not counted by period
    segment_name: str  # "" for all respondents
    segment_value: str


def answer_counts(survey_id: int, questions: Sequence[str], *, days: Sequence[tuple[date, date]],
                  unit: str | None = None, segment: tuple[str, str] = EVERYONE,
                  attributes: Sequence[str] | None = None, version_id: int | None = None,
                  scope_checked: bool = False) -> dict[Cell, Counter]:
    """Answer value → count for each of `questions` (question keys; the rollup's RESPONSES_KEY counts
    responses) on the days of `days`, half-open ranges [first, end) of which a day may be in any, per
    period of `unit` (week, month, quarter) when given, else over all of those days.

    The counts are of one `segment` (attribute, value), by default all respondents; or, with `attributes`,
    of every value of each of those attributes, each a cell of its own ("" among them counts all
    respondents too). They are summed over the survey's versions, or of `version_id` only. A cell the
    rollup has no row for is left out.

    Under a data scope the rollup cannot be read (survey.accounts.scopes) unless the caller keeps only the
    cells of segments the scope allows and says so (`scope_checked`).
    """
    if not questions or not days:
        return {}
    key = AnswerCount.question_key
    conditions = [AnswerCount.survey_id == survey_id,
                  key == questions[0] if len(questions) == 1 else key.in_(list(questions)),
                  or_(*(and_(AnswerCount.local_date >= first, AnswerCount.local_date < end) for first, end in days))]
    if version_id is not None:
        conditions.append(AnswerCount.version_id == version_id)
    if attributes is None:
        conditions += [AnswerCount.segment_name == segment[0], AnswerCount.segment_value == segment[1]]
        segment_columns = []
    else:
        conditions.append(AnswerCount.segment_name.in_(list(attributes)))
        segment_columns = [AnswerCount.segment_name, AnswerCount.segment_value]
    period_columns = [period_expression(unit, AnswerCount.local_date)] if unit else []
    columns = [key, *period_columns, *segment_columns, AnswerCount.value_int]
    starts: dict[object, date] = {}  # the database's period starts (text or dates), each parsed once
    counts: dict[Cell, Counter] = {}
    query = select(*columns, func.sum(AnswerCount.count)).where(*conditions).group_by(*columns)
    if scope_checked:
        query = query.execution_options(**{SCOPE_CHECKED: True})
    for row in db.session.execute(query):
        start = None
        if unit and (start := starts.get(row[1])) is None:
            start = starts[row[1]] = expressed_start(row[1])
        name, value = (row[-4], row[-3]) if segment_columns else segment
        cell = Cell(row[0], start, name, value)
        if (values := counts.get(cell)) is None:
            values = counts[cell] = Counter()
        values[row[-2]] += int(row[-1])
    return counts
