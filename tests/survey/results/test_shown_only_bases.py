"""Results of a survey with display logic count each question over those who were asked it (its base):
known counts in, known shares out; the response count stays everyone's."""
from datetime import date, datetime

from survey.outreach.invitations import public_respondent
from survey.responding.submission import Consents, submit_response
from survey.results import dashboard
from survey.results.filters import ResultsFilter
from tests.factories import logic_definition, make_survey

SETTINGS = dashboard.Settings(min_n=1, fdr=0.05, segment_names=("location",))


def test_a_question_shown_to_some_counts_over_those_asked(ctx):
    survey = make_survey(definition=logic_definition())
    given = ([{"satisfaction": 5, "channel": "Phone"}] * 6  # "channel" sent but not asked (rating above 2)
             + [{"satisfaction": 1, "channel": "Phone", "resolved": True}] * 3
             + [{"satisfaction": 2, "channel": "Email", "resolved": False}])
    for i, values in enumerate(given):
        key = f"{i:02d}" * 10
        submit_response(survey.current_version, public_respondent(key), values, Consents(), submission_key=key,
                        now=datetime(2026, 10, 5, 12))
    board = dashboard.build(survey, ResultsFilter(), today=date(2026, 11, 20), settings=SETTINGS)
    results = {r.question.key: r for r in board.questions}
    assert board.responses == 10
    assert results["satisfaction"].answered == 10
    assert results["channel"].answered == 4  # asked 4 times, answered 4 times: never 10
    assert {bar.label: bar.count for bar in results["channel"].distribution} == {
        "Phone": 3, "Email": 1, "In store": 0}
    assert results["resolved"].answered == 4
    assert results["topics"].answered == 0


def test_a_trended_question_shown_to_some_is_a_series_of_those_asked(ctx):
    from survey.alerts import trends

    definition = logic_definition()
    definition["questions"][4] = {"key": "resolved", "type": "rating", "section": "more",
                                  "text": "How well was it resolved?", "scale": ["Badly", "Partly", "Fully"],
                                  "show_if": {"<=": [{"var": "answers.satisfaction"}, 2]}}
    survey = make_survey(definition=definition)
    given = [{"satisfaction": 5, "resolved": 3}] * 6 + [{"satisfaction": 1, "resolved": 3}] * 3 + \
        [{"satisfaction": 2, "resolved": 1}]  # the first six sent an answer to a question they were not asked
    for i, values in enumerate(given):
        key = f"{i:02d}" * 10
        submit_response(survey.current_version, public_respondent(key), values, Consents(), submission_key=key,
                        now=datetime(2026, 10, 5, 12))
    series = {s.question: s for s in trends.survey_series(survey, [date(2026, 10, 1)], "month", ()) if not s.segment}
    assert (series["satisfaction"].periods[0].n, series["resolved"].periods[0].n) == (10, 4)
    assert series["resolved"].periods[0].successes == 3  # the top box among the four asked
