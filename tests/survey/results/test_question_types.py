"""Results and trends of issue 23's types: each matrix statement is a rating series of its own (the same
metrics, tests and Benjamini–Hochberg family as a rating question), and "Other" is a bar of its choice."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from survey.alerts import trends
from survey.responding.submission import Consents, Respondent, submit_response
from survey.results import dashboard
from survey.results.filters import ResultsFilter
from tests.factories import add_answers, make_survey
from tests.survey.types_definition import types_definition

TODAY = date(2026, 11, 20)
SETTINGS = dashboard.Settings(min_n=30, fdr=0.05, segment_names=("location",))


def test_each_statement_is_a_rating_series_and_other_a_bar(ctx):
    survey = make_survey(definition=types_definition())
    for month, top in ((9, 90), (10, 40)):
        day = date(2026, month, 10)
        add_answers(survey, [(day, "Leeds", 5 if i < top else 4) for i in range(100)], key="service.wait")
    submit_response(survey.current_version, Respondent(key="r", source="public"),
                    {"overall": 2, "channel": "Other", "channel.other": "By pigeon", "topics": ["Other"]},
                    Consents(), submission_key="k" * 20, now=datetime(2026, 10, 12, 9))
    board = dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS)
    by_key = {item.question.key: item for item in board.questions}
    assert list(by_key) == ["overall", "service.wait", "service.staff", "channel", "topics"]
    wait = by_key["service.wait"]
    assert wait.metric == "top_box" and wait.question.text == "How satisfied were you with… — Wait time"
    assert [point.value for point in wait.trend][-2:] == [0.9, 0.4]
    assert wait.segments["location"][0].label == "Leeds"
    assert [(bar.label, bar.count) for bar in by_key["channel"].distribution] == [
        ("Phone", 0), ("Email", 0), ("Other", 1)]
    # The headline cards stay the survey's own rating, not a statement.
    assert {card.key for card in board.cards} == {"overall", ""}

    starts = [date(2026, 9, 1), date(2026, 10, 1)]
    series = {s.question: s for s in trends.survey_series(survey, starts, "month", ("location",)) if not s.segment}
    assert set(series) == {"overall", "service.wait", "service.staff"}
    assert [(p.n, p.successes) for p in series["service.wait"].periods] == [(100, 90), (100, 40)]
    detection = trends.detect_survey(survey, now=datetime(2026, 11, 2),
                                     settings=replace(SETTINGS, unit="month", window=3))
    assert any(f.question == "service.wait" and f.direction == "drop" for f in detection.findings)
