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
    assert list(by_key) == ["overall", "service.wait", "service.staff", "channel", "topics", "spend", "orders",
                            "visit", "priorities"]
    wait = by_key["service.wait"]
    assert wait.metric == "top_box" and wait.question.text == "How satisfied were you with… — Wait time"
    assert [point.value for point in wait.trend][-2:] == [0.9, 0.4]
    assert wait.segments["location"][0].label == "Leeds"
    assert [(bar.label, bar.count) for bar in by_key["channel"].distribution] == [
        ("Phone", 0), ("Email", 0), ("Other", 1)]
    assert by_key["orders"].summary == (("Answers", "0"),) and by_key["orders"].distribution == ()
    # The headline cards stay the survey's own rating, not a statement.
    assert {card.key for card in board.cards} == {"overall", ""}

    starts = [date(2026, 9, 1), date(2026, 10, 1)]
    series = {s.question: s for s in trends.survey_series(survey, starts, "month", ("location",)) if not s.segment}
    # Numbers (their means) and rankings (each option ranked first) are series too; the date is not.
    assert set(series) == {"overall", "service.wait", "service.staff", "spend", "orders", "priorities.1",
                           "priorities.2", "priorities.3"}
    assert [(p.n, p.successes) for p in series["service.wait"].periods] == [(100, 90), (100, 40)]
    detection = trends.detect_survey(survey, now=datetime(2026, 11, 2),
                                     settings=replace(SETTINGS, unit="month", window=3))
    assert any(f.question == "service.wait" and f.direction == "drop" for f in detection.findings)


def test_numbers_and_dates_have_a_median_quartiles_and_a_histogram(ctx):
    survey = make_survey(definition=types_definition())
    orders = [["Price", "Speed", "Care"], ["Speed", "Price", "Care"], ["Price", "Care", "Speed"], None]
    for i, (spend, visit) in enumerate([(1, "2026-03-01"), (2, "2026-03-20"), (3.5, "2026-04-02"), (10, None)]):
        values = {"overall": 3, "spend": spend, **({"visit": visit} if visit else {}),
                  **({"priorities": orders[i]} if orders[i] else {})}
        submit_response(survey.current_version, Respondent(key=f"r{i}", source="public"), values, Consents(),
                        submission_key=f"{i}" * 20, now=datetime(2026, 10, 12, 9))
    board = dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS)
    by_key = {item.question.key: item for item in board.questions}
    assert by_key["spend"].summary == (("Answers", "4"), ("Median", "2.75"), ("Quartiles", "1.75 to 5.12"),
                                       ("Range", "1 to 10"))
    assert [(bar.label, bar.count) for bar in by_key["spend"].distribution] == [
        ("1", 1), ("2", 1), ("3.5", 1), ("10", 1)]
    assert by_key["visit"].summary[:2] == (("Answers", "3"), ("Median", "2026-03-20"))
    assert [(bar.label, bar.count) for bar in by_key["visit"].distribution] == [("2026-03", 2), ("2026-04", 1)]
    assert by_key["spend"].answered == 4
    assert by_key["priorities"].summary == (
        ("Answers", "3"), ("Price", "mean rank 1.33, ranked first by 67 %"),
        ("Speed", "mean rank 2, ranked first by 33 %"), ("Care", "mean rank 2.67, ranked first by 0 %"))
    assert [(bar.label, bar.count) for bar in by_key["priorities"].distribution] == [
        ("Price", 2), ("Speed", 1), ("Care", 0)]


def test_a_ces_question_headlines_the_share_agreeing_and_is_tested_on_it(ctx):
    from survey.authoring.definitions import CES_SCALE
    definition = types_definition(questions=[{"key": "effort", "type": "rating", "text": "Easy?",
                                              "scale": list(CES_SCALE), "preset": "ces"}])
    survey = make_survey(definition=definition)
    for month, agree in ((9, 80), (10, 50)):
        add_answers(survey, [(date(2026, month, 10), None, 5 + i % 3 if i < agree else 4) for i in range(100)],
                    key="effort")
    board = dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS)
    cards = {card.metric: card for card in board.cards if card.key == "effort"}
    assert list(cards) == ["top3_box", "mean"] and cards["top3_box"].title == "Customer Effort Score: agree"
    assert (cards["top3_box"].previous.value, cards["top3_box"].current.value) == (0.8, 0.5)
    assert board.questions[0].metric == "top3_box" and board.questions[0].highlight == 3
    starts = [date(2026, 9, 1), date(2026, 10, 1)]
    (series,) = trends.survey_series(survey, starts, "month", ())
    assert series.metric == "top3_box" and [p.successes for p in series.periods] == [80, 50]


def test_the_response_browser_reads_each_part_and_the_other_text(ctx):
    from survey.extensions import db
    from survey.models import Response
    from survey.results import browsing

    survey = make_survey(definition=types_definition())
    submit_response(survey.current_version, Respondent(key="r", source="public"),
                    {"overall": 2, "service.wait": 4, "channel": "Other", "channel.other": "By pigeon",
                     "spend": 12.5, "visit": "2026-03-31", "priorities": ["Speed", "Care", "Price"]},
                    Consents(), submission_key="k" * 20, now=datetime(2026, 10, 12, 9))
    response = db.session.scalar(db.select(Response))
    lines = {line.question: line.text for line in browsing.answer_lines(response, survey.current_version.questions)}
    assert lines["How satisfied were you with… — Wait time"] == "Satisfied (4/5)"
    assert lines["How did you contact us?"] == "Other" and lines["How did you contact us? — Other"] == "By pigeon"
    assert lines["What matters most?"] == "Speed; Care; Price" and lines["How much did you spend?"] == "12.5"
    board = dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS)
    assert dashboard.figures(board)["priorities"].distribution.title == "Ranked first"


def test_numbers_and_rankings_trend_by_period_and_dates_say_they_are_not_trended(ctx, client):
    from tests.factories import make_user
    from tests.pages import log_in, text_of

    survey = make_survey(definition=types_definition())
    sent = 0
    for month, spends, first in ((9, [12, 15, 9, 20, 14, 11, 18, 16] * 4, "Price"), (10, [7, 10, 4.5, 12], "Speed")):
        for spend in spends:
            order = [first, *(o for o in ("Price", "Speed", "Care") if o != first)]
            submit_response(survey.current_version, Respondent(key=f"t{sent}", source="public"),
                            {"overall": 3, "spend": spend, "priorities": order}, Consents(),
                            submission_key=f"{sent:020d}", now=datetime(2026, month, 12, 9))
            sent += 1
    board = dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS)
    by_key = {item.question.key: item for item in board.questions}
    spend = by_key["spend"]
    assert spend.metric == "mean" and spend.trend[-2].n == 32 and spend.trend[-1].n == 4
    # R: t.test(rep(c(12, 15, 9, 20, 14, 11, 18, 16), 4)): 14.375, 95 % CI 13.120197 to 15.629803.
    assert round(spend.trend[-2].value, 4) == 14.375
    assert (round(spend.trend[-2].low, 6), round(spend.trend[-2].high, 6)) == (13.120197, 15.629803)
    assert spend.trend[-1].value is None  # 4 answers: a gap, "not enough responses"
    priorities = by_key["priorities"]
    assert priorities.metric == "first" and priorities.metric_label == "share ranking “Price” first"
    assert [p.value for p in priorities.trend[-2:]] == [1.0, None]
    assert by_key["visit"].metric == "" and by_key["visit"].trend == ()
    log_in(client, make_user(role="analyst").email)
    page = text_of(client.get(f"/manage/surveys/{survey.slug}/results"))
    assert "mean answer by month" in page and "14.38" in page and "13.12 to 15.63" in page
    assert "not enough responses (30 needed)" in page and "share ranking “Price” first by month" in page
    assert "Dates are summarised (median, quartiles, range) but not trended" in page
