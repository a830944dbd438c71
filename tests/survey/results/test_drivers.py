"""The key drivers page: the numbers are analysis.drivers' for the same responses, the filter selects them,
too few responses say so instead of ranking, and the priority chart comes with its table."""
from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from datetime import date, datetime

import pytest
from sqlalchemy import insert

from analysis import key_drivers
from survey.extensions import db
from survey.models import Answer, Response
from survey.results import drivers, rollups
from survey.results.filters import ResultsFilter
from tests.factories import make_definition, make_survey, make_user
from tests.pages import log_in, text_of

TODAY = date(2026, 11, 20)
STATEMENTS = [{"key": "wait", "text": "Wait time"}, {"key": "staff", "text": "Friendly staff"},
              {"key": "fixed", "text": "Problem solved"}]


def driver_survey():
    definition = make_definition()
    definition["questions"].insert(1, {"key": "aspects", "type": "matrix", "text": "How did we do on",
                                       "scale": ["Poor", "Fair", "Good", "Very good", "Excellent"],
                                       "statements": STATEMENTS})
    return make_survey(definition=definition)


def add_rated(survey, n, *, location="Leeds", day=date(2026, 10, 10), seed=1):
    """n responses whose overall rating follows the wait most, the fix next, the staff hardly; returns the
    ratings as columns."""
    rng = random.Random(seed)
    columns: dict[str, list] = {"satisfaction": [], "aspects.wait": [], "aspects.staff": [], "aspects.fixed": []}
    moment = datetime.combine(day, datetime.min.time())
    rows = [{"respondent_key": f"d:{seed}:{i}", "survey_id": survey.id, "version_id": survey.current_version.id,
             "source": "import", "submitted_at": moment, "local_date": day, "updated_at": moment,
             "revisions_count": 1, "attributes": {"location": location}} for i in range(n)]
    ids = db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), rows).all()
    answers = []
    for rid in ids:
        wait, staff, fixed = (rng.randint(1, 5) for _ in range(3))
        overall = min(5, max(1, round(0.6 * wait + 0.3 * fixed + 0.1 * staff + rng.uniform(-0.8, 0.8))))
        for key, value in (("satisfaction", overall), ("aspects.wait", wait), ("aspects.staff", staff),
                           ("aspects.fixed", fixed)):
            columns[key].append(value)
            answers.append({"response_id": rid, "question_key": key, "value_int": value})
    db.session.execute(insert(Answer), answers)
    rollups.rebuild(survey.id)
    db.session.commit()
    return columns


def test_the_page_numbers_are_analysis_drivers_for_the_same_responses(ctx):
    survey = driver_survey()
    leeds = add_rated(survey, 80)
    add_rated(survey, 70, location="York", seed=2)
    found = drivers.build(survey, ResultsFilter(segment=("location", "Leeds")), today=TODAY, resamples=200)

    assert found.overall.key == "satisfaction"  # the first rating question, as the headline cards use
    assert [a.key for a in found.attributes] == ["aspects.wait", "aspects.staff", "aspects.fixed"]
    expected = key_drivers(leeds["satisfaction"], {k: leeds[k] for k in ("aspects.wait", "aspects.staff",
                                                                         "aspects.fixed")},
                           bootstrap=200, seed=drivers.SEED)
    assert found.found == expected and found.found.n == 80
    assert [row.key for row in found.rows] == [d.name for d in expected.drivers]
    assert found.rows[0].key == "aspects.wait" and found.rows[0].text == "How did we do on — Wait time"
    wait = found.rows[0]
    assert wait.score == pytest.approx(sum(v == 5 for v in leeds["aspects.wait"]) / 80)
    assert found.importance_split == pytest.approx(expected.r_squared / 3)
    assert wait.fix_first == (wait.importance > found.importance_split and wait.score < found.score_split)
    # The same request twice gives the same intervals: the bootstrap's seed is fixed.
    assert drivers.build(survey, ResultsFilter(segment=("location", "Leeds")), today=TODAY,
                         resamples=200).rows == found.rows


def test_the_manager_chooses_the_overall_rating_and_attributes_and_bad_keys_are_named(ctx):
    survey = driver_survey()
    add_rated(survey, 60)
    found = drivers.build(survey, ResultsFilter(), today=TODAY, overall="aspects.fixed",
                          attributes=["aspects.wait", "aspects.fixed", "nope"], resamples=0)
    assert found.overall.key == "aspects.fixed" and [a.key for a in found.attributes] == ["aspects.wait"]
    assert found.problems == ["attribute: “nope” is not a rating question of this survey"]
    assert found.rows[0].low is None  # no resamples, no interval


def test_below_the_minimum_sample_the_page_says_so_instead_of_ranking(ctx, client):
    survey = driver_survey()
    add_rated(survey, 49)  # three attributes need max(50, 30)
    found = drivers.build(survey, ResultsFilter(), today=TODAY)
    assert (found.found.n, found.found.minimum, found.rows, found.chart()) == (49, 50, (), None)

    make_user(role="analyst")
    log_in(client, "manager@example.com")
    page = text_of(client.get(f"/manage/surveys/{survey.slug}/drivers"))
    assert "Not enough responses to rank the attributes" in page and "49 responses answered every rating" in page
    assert "<svg" not in page and "fix first" not in page


def test_the_page_draws_the_priority_chart_with_its_table(ctx, client):
    survey = driver_survey()
    add_rated(survey, 120)
    make_user(role="analyst")
    log_in(client, "manager@example.com")
    response = client.get(f"/manage/surveys/{survey.slug}/drivers?from=2026-10-01&to=2026-10-31")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    svg = html[html.index("<svg"):html.index("</svg>") + 6]
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and "Wait time importance" in root.get("aria-label", "")
    assert [row.label for row in drivers.build(survey, ResultsFilter(), today=TODAY).rows][0] == "Wait time"
    found = drivers.build(survey, ResultsFilter(start=date(2026, 10, 1), end=date(2026, 10, 31)), today=TODAY)
    page = text_of(response)
    for row in found.rows:  # the table has the chart's numbers
        assert f"<th scope=\"row\">{row.label}<br><span class=\"meta\">{row.text}</span></th>" \
            f"<td>{row.importance * 100:.1f} %</td>" in page
    assert f"{found.found.r_squared * 100:.0f} %" in page and "n = 120" in page
    bad = client.get(f"/manage/surveys/{survey.slug}/drivers?overall=zzz")
    assert bad.status_code == 400 and "“zzz” is not a rating question" in text_of(bad)


def test_a_survey_without_attributes_says_what_it_needs(ctx, client):
    survey = make_survey()
    make_user(role="analyst")
    log_in(client, "manager@example.com")
    page = text_of(client.get(f"/manage/surveys/{survey.slug}/drivers"))
    assert "Key drivers need an overall rating and at least one other rating" in page
