"""The answer_counts rollup kept on write equals a GROUP BY over the answers, through new responses,
changed answers and several segments."""
from __future__ import annotations

from sqlalchemy import select

from survey.extensions import db
from survey.models import AnswerCount
from survey.responding.submission import Consents, Respondent, submit_response
from survey.results import rollups
from tests.factories import NOW, make_survey


def snapshot() -> dict:
    return {(c.question_key, c.local_date, c.segment_name, c.segment_value, c.value_int): c.count
            for c in db.session.scalars(select(AnswerCount)) if c.count}


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
