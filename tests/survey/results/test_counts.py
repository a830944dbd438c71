"""The one GROUP BY over the rollup: for every filter its numbers are those a GROUP BY over the answers
themselves gives, and it is one statement that reads the rollup only."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import and_, event, func, or_, select

from survey import authoring
from survey.authoring.definitions import parse_survey
from survey.extensions import db
from survey.models import Answer, Response
from survey.results.counts import EVERYONE, Cell, answer_counts
from survey.results.periods import period_expression
from survey.results.rollups import RESPONSES_KEY
from tests.factories import add_answers, make_definition, make_survey

KEYS = ["satisfaction", "recommend"]


@pytest.fixture
def survey(ctx):
    """Two versions; answers on days from July to December 2026 in Leeds, York or no location."""
    survey = make_survey()
    rng = random.Random(21)

    def rows(values, first, days):
        return [(first + timedelta(days=rng.randrange(days)), rng.choice(["Leeds", "York", None]), rng.choice(values))
                for _ in range(150)]

    add_answers(survey, rows(range(1, 6), date(2026, 7, 1), 120))
    add_answers(survey, rows(range(11), date(2026, 7, 1), 120), key="recommend")
    authoring.import_survey(parse_survey(make_definition(title="Version two")), actor=None,
                            now=datetime(2026, 10, 1))
    add_answers(survey, rows(range(1, 6), date(2026, 9, 20), 90))
    add_answers(survey, rows(range(11), date(2026, 9, 20), 90), key="recommend")
    return survey


def from_the_answers(survey, keys, *, days, unit=None, segment=EVERYONE, attributes=None, version_id=None):
    """The same counts by a GROUP BY over the answers and their responses."""
    conditions = [Response.survey_id == survey.id,
                  or_(*(and_(Response.local_date >= first, Response.local_date < end) for first, end in days))]
    if version_id is not None:
        conditions.append(Response.version_id == version_id)
    period = [period_expression(unit, Response.local_date).label("start")] if unit else []
    found: dict[Cell, Counter] = {}
    for name, value in [segment] if attributes is None else [(a, None) for a in attributes]:
        where, grouped = list(conditions), list(period)
        if name:
            attribute = Response.attributes[name].as_string()
            where += [attribute == value] if value is not None else [attribute.is_not(None), attribute != ""]
            grouped.append(attribute.label("segment"))
        rows = [*db.session.execute(
            select(Answer.question_key, *grouped, Answer.value_int, func.count())
            .join(Response, Answer.response_id == Response.id)
            .where(*where, Answer.question_key.in_(keys), Answer.value_int.is_not(None))
            .group_by(Answer.question_key, *grouped, Answer.value_int))]
        if RESPONSES_KEY in keys:  # the rollup counts each response once, as the value 1
            rows += [(RESPONSES_KEY, *row[:-1], 1, row[-1]) for row in db.session.execute(
                select(*grouped, func.count()).select_from(Response).where(*where).group_by(*grouped))]
        for row in rows:
            start = date.fromisoformat(str(row[1])[:10]) if unit else None
            seg = (name, row[-3]) if name and value is None else (name, value or "")
            found.setdefault(Cell(row[0], start, *seg), Counter())[row[-2]] += row[-1]
    return found


def statements(run):
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        return run(), seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


@pytest.mark.parametrize("unit", ["week", "month", "quarter", None])
def test_counts_by_period_equal_a_group_by_over_the_answers(survey, unit):
    days, survey_id = [(date(2026, 7, 1), date(2027, 1, 1))], survey.id
    counts, seen = statements(lambda: answer_counts(survey_id, [*KEYS, RESPONSES_KEY], days=days, unit=unit))
    assert counts == from_the_answers(survey, [*KEYS, RESPONSES_KEY], days=days, unit=unit)
    responses = sum(n for cell, values in counts.items() if cell.question == RESPONSES_KEY for n in values.values())
    assert responses == 600 and len(counts) == 3 * {"week": 25, "month": 6, "quarter": 2, None: 1}[unit]
    # one statement, over the rollup only
    assert len(seen) == 1 and "answer_counts" in seen[0] and "answers" not in seen[0].replace("answer_counts", "")


def test_one_segment_a_version_and_several_day_ranges(survey):
    leeds = ("location", "Leeds")
    days = [(date(2026, 8, 3), date(2026, 8, 17)), (date(2026, 10, 5), date(2026, 11, 30))]
    for version in survey.versions:
        for segment in (EVERYONE, leeds):
            asked = dict(days=days, unit="week", segment=segment, version_id=version.id)
            counts = answer_counts(survey.id, KEYS, **asked)
            assert counts and counts == from_the_answers(survey, KEYS, **asked)
    one = dict(days=[(date(2026, 9, 1), date(2026, 12, 1))], segment=leeds)
    (cell,) = answer_counts(survey.id, ["satisfaction"], **one)
    assert cell == Cell("satisfaction", None, "location", "Leeds")
    assert answer_counts(survey.id, ["satisfaction"], **one) == from_the_answers(survey, ["satisfaction"], **one)


def test_every_value_of_the_attributes_asked_for(survey):
    asked = dict(days=[(date(2026, 9, 1), date(2026, 11, 1))], unit="month", attributes=["", "location"])
    counts = answer_counts(survey.id, [*KEYS, RESPONSES_KEY], **asked)
    assert {(c.segment_name, c.segment_value) for c in counts} == {("", ""), ("location", "Leeds"),
                                                                   ("location", "York")}
    assert counts == from_the_answers(survey, [*KEYS, RESPONSES_KEY], **asked)
    only = answer_counts(survey.id, KEYS, days=asked["days"], unit="month", attributes=["location"])
    assert only == {cell: values for cell, values in counts.items()
                    if cell.segment_name == "location" and cell.question != RESPONSES_KEY}


def test_nothing_asked_nothing_found(survey):
    assert answer_counts(survey.id, [], days=[(date(2026, 7, 1), date(2027, 1, 1))]) == {}
    assert answer_counts(survey.id, KEYS, days=[]) == {}
    assert answer_counts(survey.id, KEYS, days=[(date(2025, 1, 1), date(2025, 2, 1))]) == {}


def test_no_other_module_sums_the_rollup():
    root = Path(__file__).resolve().parents[3]
    summing = [str(path.relative_to(root)) for path in (root / "survey").rglob("*.py")
               if "func.sum(AnswerCount.count)" in path.read_text()]
    assert summing == ["survey/results/counts.py"]
