"""The answer_counts rollup kept on write equals a GROUP BY over the answers, through new responses,
changed answers, answers moved to a newer version of the survey and several segments."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from survey import authoring
from survey.authoring.definitions import parse_survey
from survey.extensions import db
from survey.models import AnswerCount, SurveyVersion
from survey.responding.submission import Consents, Respondent, submit_response
from survey.results import rollups
from tests.factories import NOW, make_definition, make_survey


def snapshot(*, versions: bool = False) -> dict:
    """Cell → count, the cells of every version summed unless `versions` keys them by version number too."""
    found: dict = {}
    for c in db.session.scalars(select(AnswerCount)):
        cell = (c.question_key, c.local_date, c.segment_name, c.segment_value, c.value_int)
        cell += (db.session.get(SurveyVersion, c.version_id).number,) if versions else ()
        found[cell] = found.get(cell, 0) + c.count
    return {cell: n for cell, n in found.items() if n}


def test_incremental_counts_match_a_rebuild(ctx):
    survey = make_survey()
    version = survey.current_version
    people = [("Leeds", "Billing"), ("Leeds", "Deliveries"), ("York", "Billing"), (None, None)]
    for i, (location, team) in enumerate(people):
        attributes = {k: v for k, v in (("location", location), ("team", team), ("customer_since", "2019")) if v}
        respondent = Respondent(key=f"r{i}", source="public", attributes=attributes)
        submit_response(version, respondent, {"satisfaction": 5 - i, "recommend": 10 - i, "resolved": True},
                        Consents(), submission_key=f"s{i}-first", now=NOW)
    # The second respondent changes their mind: their old answers must leave the counts.
    changed = Respondent(key="r1", source="public", attributes={"location": "Leeds", "team": "Deliveries"})
    submit_response(version, changed, {"satisfaction": 1}, Consents(), submission_key="s1-second", now=NOW)
    incremental = snapshot()
    rollups.rebuild(survey.id)
    db.session.commit()
    assert snapshot() == incremental
    day = NOW.date()
    assert incremental[("satisfaction", day, "", "", 1)] == 1
    assert incremental[("satisfaction", day, "location", "Leeds", 1)] == 1
    assert ("satisfaction", day, "location", "Leeds", 4) not in incremental  # r1's first answer is gone
    assert not any(name == "customer_since" for _k, _d, name, _v, _i in incremental)  # not a segment
    # Responses are counted once each, however often they change.
    assert incremental[(rollups.RESPONSES_KEY, day, "", "", 1)] == 4
    assert incremental[(rollups.RESPONSES_KEY, day, "location", "Leeds", 1)] == 2


def test_counts_follow_answers_that_are_taken_back(ctx):
    """A respondent who answers, then sends the form again with fewer answers (or none): the counts lose
    what was taken back, and stay equal to a rebuild."""
    survey = make_survey()
    version = survey.current_version
    respondent = Respondent(key="r", source="public", attributes={"location": "Leeds"})
    submit_response(version, respondent, {"satisfaction": 2, "topics": ["Billing", "Product"]}, Consents(),
                    submission_key="t-first", now=NOW)
    submit_response(version, respondent, {"topics": ["Product"]}, Consents(), submission_key="t-second", now=NOW)
    incremental = snapshot()
    assert ("satisfaction", NOW.date(), "", "", 2) not in incremental
    assert incremental[("topics", NOW.date(), "location", "Leeds", 3)] == 1
    submit_response(version, respondent, {}, Consents(), submission_key="t-third", now=NOW)
    emptied = snapshot()
    assert set(emptied) == {(rollups.RESPONSES_KEY, NOW.date(), name, value, 1)
                            for name, value in (("", ""), ("location", "Leeds"))}
    rollups.rebuild(survey.id)
    db.session.commit()
    assert snapshot() == emptied


def test_an_edit_on_a_newer_version_moves_its_counts_to_that_version(ctx):
    """A respondent who answered version 1 sends the form again once version 2 is out: their old answers
    and their response leave version 1's cells for version 2's, so filtering by either version counts them
    once, where they are now; the whole survey still counts them once."""
    survey = make_survey()
    for i, location in enumerate(("Leeds", "York")):
        submit_response(survey.current_version, Respondent(key=f"r{i}", source="public",
                                                           attributes={"location": location}),
                        {"satisfaction": 5, "recommend": 9, "resolved": True}, Consents(),
                        submission_key=f"v1-{i}" + "x" * 16, now=NOW)
    authoring.import_survey(parse_survey(make_definition(title="Version two")), actor=None, now=NOW)
    assert survey.current_version.number == 2
    submit_response(survey.current_version, Respondent(key="r0", source="public", attributes={"location": "Leeds"}),
                    {"satisfaction": 2, "recommend": 9}, Consents(), submission_key="v2-0" + "x" * 16,
                    now=NOW + timedelta(days=3))  # its day stays the day it first answered
    incremental = snapshot(versions=True)
    day = NOW.date()
    assert incremental[(rollups.RESPONSES_KEY, day, "", "", 1, 1)] == 1  # r1 only
    assert incremental[(rollups.RESPONSES_KEY, day, "", "", 1, 2)] == 1  # r0, moved
    assert incremental[(rollups.RESPONSES_KEY, day, "location", "Leeds", 1, 2)] == 1
    assert (rollups.RESPONSES_KEY, day, "location", "Leeds", 1, 1) not in incremental
    assert incremental[("satisfaction", day, "", "", 5, 1)] == 1 and ("satisfaction", day, "", "", 5, 2) \
        not in incremental
    assert incremental[("satisfaction", day, "location", "Leeds", 2, 2)] == 1
    assert incremental[("recommend", day, "", "", 9, 1)] == 1 and incremental[("recommend", day, "", "", 9, 2)] == 1
    assert ("resolved", day, "", "", 1, 2) not in incremental  # not answered again
    assert not any(n < 0 for n in incremental.values())
    rollups.rebuild(survey.id)
    db.session.commit()
    assert snapshot(versions=True) == incremental
    # Summed over versions, as every reader but a version filter reads it: two responses, one 9 each.
    assert snapshot()[(rollups.RESPONSES_KEY, day, "", "", 1)] == 2
    assert snapshot()[("recommend", day, "", "", 9)] == 2
