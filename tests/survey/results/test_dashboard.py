"""The results dashboard: cards with intervals and honest comparisons, per-question series, segment
comparison with small groups hidden, the same numbers from rollups and from answers, and the page."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date, datetime

import pytest

from analysis import share_difference
from survey import wording
from survey.extensions import db
from survey.results import dashboard
from survey.results.filters import MAX_PERIODS, ResultsFilter, parse_filter
from tests.factories import add_answers, make_survey, make_user
from tests.pages import log_in

TODAY = date(2026, 11, 20)
SETTINGS = dashboard.Settings(min_n=30, fdr=0.05, segment_names=("location", "team", "touchpoint"))


def rows(location, day, top, n, low=0):
    """n answers on `day`: `top` extremely satisfied (5), `low` very dissatisfied (1), the rest 4."""
    return [(day, location, 5 if i < top else (1 if i < top + low else 4)) for i in range(n)]


def leeds_story(survey):
    """Leeds: 90 % extremely satisfied in August and September, 75 % in October; York steady; Ely tiny.
    Today is in November, so without dates the page ends with October, the last complete month."""
    data = []
    for month, top in ((8, 90), (9, 90), (10, 75)):
        day = date(2026, month, 10)
        data += rows("Leeds", day, top, 100) + rows("York", day, 88, 100) + rows("Ely", day, 10, 12)
    add_answers(survey, data)


def card(board, metric):
    return next(c for c in board.cards if c.metric == metric)


def test_leeds_drop_is_a_significant_drop_with_newcombe_interval(ctx):
    survey = make_survey()
    leeds_story(survey)
    board = dashboard.build(survey, ResultsFilter(segment=("location", "Leeds")), today=TODAY, settings=SETTINGS)

    top = card(board, "top_box")
    assert (board.current_label, board.previous_label) == ("2026-10", "2026-09")
    assert board.last_day == date(2026, 10, 31) and "not complete" in board.notes[0]
    assert top.title == "Extremely satisfied"
    assert (top.current.value, top.current.n, top.previous.value) == (0.75, 100, 0.90)
    expected = share_difference(90, 100, 75, 100)
    assert top.difference == pytest.approx(-0.15)
    assert (top.low, top.high, top.p_value) == (expected.low, expected.high, expected.p_value)
    assert top.low < -0.04 and top.high < 0  # the interval excludes no change
    assert top.verdict(0.05) == "down" and top.q_value < 0.05
    # Wilson interval of 75/100 (Newcombe 1998a method 3): 0.6569 to 0.8245.
    assert top.current.low == pytest.approx(0.6569, abs=1e-4) and top.current.high == pytest.approx(0.8245, abs=1e-4)
    # Top-2 box is 100 % in both months: no change to report, and no false alarm.
    assert card(board, "top2_box").verdict(0.05) in ("steady", "")
    assert card(board, "responses").current.value == 100


@pytest.mark.parametrize("october, verdict", [
    ([2] * 40 + [5] * 20, "steady"),  # the same mean, another spread: the mean did not move
    ([2] * 30 + [5] * 30, "up"),
    ([2] * 55 + [5] * 5, "down"),
])
def test_the_mean_card_tests_the_mean_it_shows(ctx, october, verdict):
    survey = make_survey()
    add_answers(survey, [(date(2026, 9, 10), None, 3)] * 60 + [(date(2026, 10, 10), None, v) for v in october])
    mean = card(dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS), "mean")
    assert mean.verdict(0.05) == verdict
    assert mean.difference == pytest.approx(sum(october) / 60 - 3) and mean.low <= mean.difference <= mean.high


def test_a_range_of_one_period_says_there_is_nothing_to_compare_with(ctx):
    """Not "0 before": the period before the range was not looked at at all."""
    survey = make_survey()
    leeds_story(survey)
    board = dashboard.build(survey, ResultsFilter(date(2026, 10, 1), date(2026, 10, 31)), today=TODAY,
                            settings=SETTINGS)
    assert board.period_labels == ("2026-10",) and board.previous_label == ""
    assert all(c.difference is None and c.note.startswith("Nothing to compare with") for c in board.cards)
    assert card(board, "responses").current.n == 212


def test_q_values_account_for_every_card(ctx):
    survey = make_survey()
    leeds_story(survey)
    board = dashboard.build(survey, ResultsFilter(segment=("location", "Leeds")), today=TODAY, settings=SETTINGS)
    tested = [c for c in board.cards if c.p_value is not None]
    assert len(tested) >= 2
    for c in tested:
        assert c.q_value >= c.p_value


def test_too_few_responses_are_said_plainly(ctx):
    survey = make_survey()
    leeds_story(survey)
    board = dashboard.build(survey, ResultsFilter(segment=("location", "Ely")), today=TODAY, settings=SETTINGS)
    top = card(board, "top_box")
    assert top.q_value is None and top.verdict(0.05) == ""
    assert "Not enough responses" in top.note and "12 this period" in top.note


def test_segment_comparison_hides_small_groups(ctx):
    survey = make_survey()
    leeds_story(survey)
    board = dashboard.build(survey, ResultsFilter(start=date(2026, 9, 1), end=date(2026, 10, 31)), today=TODAY,
                            settings=SETTINGS)
    satisfaction = next(q for q in board.questions if q.question.key == "satisfaction")
    by_label = {row.label: row for row in satisfaction.segments["location"]}
    assert by_label["Ely"].value is None and by_label["Ely"].n == 12
    assert by_label["Ely"].previous.value is None and by_label["Ely"].previous.n == 12
    assert by_label["Leeds"].value == 0.75 and by_label["York"].value == 0.88
    assert (by_label["Leeds"].previous.value, by_label["Leeds"].previous.n) == (0.90, 100)
    assert [row.label for row in satisfaction.segments["location"]] == ["York", "Leeds", "Ely"]


def test_trend_and_distribution(ctx):
    survey = make_survey()
    leeds_story(survey)
    board = dashboard.build(survey, ResultsFilter(segment=("location", "Leeds")), today=TODAY, settings=SETTINGS)
    satisfaction = next(q for q in board.questions if q.question.key == "satisfaction")
    assert len(satisfaction.trend) == 12
    assert [(p.label, p.value, p.n) for p in satisfaction.trend[-3:]] == [
        ("2026-08", 0.9, 100), ("2026-09", 0.9, 100), ("2026-10", 0.75, 100)]
    assert satisfaction.trend[0].value is None and satisfaction.trend[0].n == 0  # no responses: a gap, not 0 %
    assert [(b.label, b.count) for b in satisfaction.distribution] == [
        ("Extremely dissatisfied", 0), ("Dissatisfied", 0), ("Neither", 0), ("Satisfied", 45),
        ("Extremely satisfied", 255)]


def test_quarters_and_weeks(ctx):
    survey = make_survey()
    leeds_story(survey)
    quarters = dashboard.build(survey, ResultsFilter(unit="quarter", end=TODAY), today=TODAY, settings=SETTINGS)
    satisfaction = next(q for q in quarters.questions if q.question.key == "satisfaction")
    assert quarters.current_label == "2026-Q4"
    assert [(p.label, p.n) for p in satisfaction.trend[-2:]] == [("2026-Q3", 424), ("2026-Q4", 212)]
    complete = dashboard.build(survey, ResultsFilter(unit="quarter"), today=TODAY, settings=SETTINGS)
    assert complete.current_label == "2026-Q3"
    weeks = dashboard.build(survey, ResultsFilter(unit="week", start=date(2026, 10, 1)), today=TODAY,
                            settings=SETTINGS)
    assert weeks.period_labels[0] == "2026-W40" and weeks.period_labels[-1] == "2026-W47"
    assert sum(p.n for q in weeks.questions if q.question.key == "satisfaction" for p in q.trend) == 212


def from_the_answers(monkeypatch):
    """Make every filter take the answers path (as search text or a theme does), to compare with."""
    monkeypatch.setattr(ResultsFilter, "needs_answers", property(lambda chosen: True))


def numbers(board) -> tuple:
    return ([(c.metric, c.current, c.previous, c.difference, c.p_value) for c in board.cards if c.metric != "rate"],
            [(q.trend, q.distribution, q.answered) for q in board.questions], board.responses)


def test_answers_path_gives_the_same_numbers_as_rollups(ctx, monkeypatch):
    """Search text or a theme counts from the answers; over the same responses it must agree with the rollups."""
    survey = make_survey()
    leeds_story(survey)
    for segment in (None, ("location", "Leeds")):
        fast = dashboard.build(survey, ResultsFilter(segment=segment), today=TODAY, settings=SETTINGS)
        with monkeypatch.context() as patch:
            from_the_answers(patch)
            slow = dashboard.build(survey, ResultsFilter(segment=segment), today=TODAY, settings=SETTINGS)
        assert fast.uses_rollups and not slow.uses_rollups
        assert numbers(fast) == numbers(slow)
        assert [q.segments for q in fast.questions] == [q.segments for q in slow.questions] or segment
    searched = dashboard.build(survey, ResultsFilter(search="late"), today=TODAY, settings=SETTINGS)
    tagged = dashboard.build(survey, ResultsFilter(tag="delivery", version=1), today=TODAY, settings=SETTINGS)
    assert not searched.uses_rollups and not tagged.uses_rollups


def statements_reading(table: str):
    """The SQL statements run from here on that read `table` (a list that fills as they run)."""
    from sqlalchemy import event

    seen: list[str] = []

    def note(_connection, _cursor, statement, *_args):
        if re.search(rf"\b{table}\b", statement, re.IGNORECASE):
            seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", note)
    return seen, lambda: event.remove(db.engine, "before_cursor_execute", note)


def test_a_version_filter_is_counted_from_the_rollup_with_the_answers_numbers(ctx, monkeypatch):
    """Issue 20: `?version=` reads answer_counts (kept per version), not the answers, and shows what the
    answers of that version's responses give, a response moved to version 2 by an edit counted there only."""
    from survey import authoring
    from survey.authoring.definitions import parse_survey
    from survey.responding.submission import Consents, Respondent, submit_response
    from tests.factories import make_definition

    survey = make_survey()
    leeds_story(survey)  # version 1: August to October
    authoring.import_survey(parse_survey(make_definition(title="Version two")), actor=None,
                            now=datetime(2026, 9, 15))
    add_answers(survey, rows("Leeds", date(2026, 10, 20), 20, 40, low=10) + rows("York", date(2026, 9, 20), 30, 35))
    # Leeds' first response of October (version 1) is sent again on version 2 (its day stays in October).
    moved = Respondent(key="t:424", source="import", attributes={"location": "Leeds"})
    submit_response(survey.current_version, moved, {"satisfaction": 1, "recommend": 3}, Consents(),
                    submission_key="moved-to-version-2", now=datetime(2026, 11, 20, 12))
    for segment in (None, ("location", "Leeds")):
        for number in (1, 2):
            chosen = ResultsFilter(segment=segment, version=number)
            seen, stop = statements_reading("answers")
            try:
                board = dashboard.build(survey, chosen, today=TODAY, settings=SETTINGS)
            finally:
                stop()
            assert board.uses_rollups and seen == []
            assert not any("counted from the answers" in note for note in board.notes)
            with monkeypatch.context() as patch:
                from_the_answers(patch)
                slow = dashboard.build(survey, chosen, today=TODAY, settings=SETTINGS)
            assert numbers(board) == numbers(slow)
            assert [q.segments for q in board.questions] == [q.segments for q in slow.questions] or segment
    october = ResultsFilter(start=date(2026, 10, 1), end=date(2026, 10, 31))
    by_version = [dashboard.build(survey, replace(october, version=n), today=TODAY, settings=SETTINGS)
                  for n in (1, 2, 3)]
    assert [board.responses for board in by_version] == [211, 41, 0]  # 212 − the moved one; 40 + it; none
    everyone = dashboard.build(survey, october, today=TODAY, settings=SETTINGS)
    assert everyone.responses == 252
    assert [q.answered for q in everyone.questions] == [
        sum(q.answered for q in (board.questions[i] for board in by_version)) for i in range(len(everyone.questions))]


def test_empty_survey(ctx):
    survey = make_survey()
    board = dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS)
    assert board.responses == 0
    assert all(c.q_value is None for c in board.cards)
    assert "Not enough responses" in card(board, "top_box").note


def test_filter_round_trips_through_the_url():
    chosen = ResultsFilter(date(2026, 1, 1), date(2026, 6, 30), "week", ("location", "Leeds"), 2, "late", "delivery")
    assert parse_filter(chosen.args(), segment_names=("location",)).filter == chosen
    parsed = parse_filter({"from": "2026-13-01", "period": "year", "where": "colour=red", "version": "x"},
                          segment_names=("location",))
    assert parsed.filter == ResultsFilter()
    assert [p.split(":")[0] for p in parsed.problems] == ["from", "period", "where", "version"]


def test_dates_a_period_cannot_step_past_are_named_not_a_crash():
    """Stepping a period back from the year 1 (or on from 9999) is no date at all: refused by name."""
    parsed = parse_filter({"from": "0001-01-01", "to": "9999-12-31"}, segment_names=())
    assert parsed.filter == ResultsFilter()
    assert parsed.problems == ["from: 0001-01-01 is outside the years 1900–2999",
                               "to: 9999-12-31 is outside the years 1900–2999"]


def test_a_range_of_more_periods_than_a_view_shows_keeps_the_latest_and_says_so(ctx):
    survey = make_survey()
    board = dashboard.build(survey, ResultsFilter(start=date(1900, 1, 1), unit="week"), today=TODAY,
                            settings=SETTINGS)
    assert len(board.period_labels) == MAX_PERIODS and board.filter.start == date(2021, 11, 29)
    assert any(f"more than {MAX_PERIODS} weeks" in note for note in board.notes)


# --- the page ---------------------------------------------------------------------------------------------

@pytest.fixture
def story_survey(app):
    with app.app_context():
        survey = make_survey()
        leeds_story(survey)
        for role in ("agent", "analyst"):
            make_user(email=f"{role}@example.com", role=role)
        db.session.commit()
        return survey.slug


def test_page_shows_cards_charts_and_tables(client, story_survey):
    log_in(client, "analyst@example.com")
    page = client.get(f"/manage/surveys/{story_survey}/results?where=location=Leeds&to=2026-10-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "significant drop" in html and "75 %" in html and "−15.0 points" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') >= 6
    assert 'aria-label="' in html and "<details>" in html and "<table" in html
    assert "fewer than 30 responses" in html or "Ely" not in html


def test_the_filter_form_holds_what_was_asked_not_the_automatic_end(client, story_survey):
    """Without dates the page ends with the last complete period; the form must not keep that end, or a
    quarter chosen next would be cut to its first month without a word."""
    log_in(client, "analyst@example.com")
    html = client.get(f"/manage/surveys/{story_survey}/results").get_data(as_text=True)
    assert 'name="to" value=""' in html and "is not complete and is left out" in html
    asked = client.get(f"/manage/surveys/{story_survey}/results?to=2026-10-31").get_data(as_text=True)
    assert 'name="to" value="2026-10-31"' in asked


def test_charts_are_drawn_into_the_page_as_named_inert_images(client, story_survey):
    """Every chart comes with the page (no request of its own), as an SVG image named by its words, with
    nothing in it that runs or loads."""
    log_in(client, "analyst@example.com")
    html = client.get(f"/manage/surveys/{story_survey}/results?to=2026-10-31").get_data(as_text=True)
    figures = re.findall(r"<figure>\s*(<svg .*?</svg>)", html, flags=re.S)
    assert len(figures) == html.count("<figure>") >= 3
    for svg in figures:
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("role") == "img" and root.get("aria-label")
        assert not [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] in ("script", "foreignObject", "image", "a")]
        assert not [name for e in root.iter() for name in e.attrib if name.lower().startswith(("on", "href", "style"))]
    assert "<img" not in html.split("<main", 1)[1]
    assert client.get("/manage/charts/anything.svg").status_code == 404  # the old per-chart route is gone


def test_bad_filter_is_named_and_the_page_still_renders(client, story_survey):
    log_in(client, "analyst@example.com")
    page = client.get(f"/manage/surveys/{story_survey}/results?from=yesterday&period=decade")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "from: &#39;yesterday&#39; is not a date" in html and "period: must be one of" in html
    assert "Results: How did we do?" in html


def test_agents_cannot_see_results_and_strangers_must_log_in(client, story_survey):
    assert client.get(f"/manage/surveys/{story_survey}/results").status_code == 302
    log_in(client, "agent@example.com")
    assert client.get(f"/manage/surveys/{story_survey}/results").status_code == 403


def test_hostile_segment_values_are_inert(client, app):
    with app.app_context():
        survey = make_survey()
        hostile = '<script>alert(1)</script>" onmouseover="x \u202eevil 😀' + "x" * 300
        add_answers(survey, rows(hostile, date(2026, 10, 5), 20, 40))
        make_user(email="analyst@example.com", role="analyst")
        slug = survey.slug
    log_in(client, "analyst@example.com")
    html = client.get(f"/manage/surveys/{slug}/results").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '" onmouseover="x' not in html


# --- segments in the compared period (issue 20, item 8) -----------------------------------------------------

def leeds_best_all_year_but_not_now(survey):
    """Leeds 90 % extremely satisfied every month of 2026 until October (75 %); York a steady 82 %. Over the
    year Leeds is the best location; in October it is not."""
    data = []
    for month in range(1, 11):
        day = date(2026, month, 10)
        data += rows("Leeds", day, 75 if month == 10 else 90, 100) + rows("York", day, 82, 100)
    add_answers(survey, data)


def open_alert(survey, *, status="open", segment=None):
    from datetime import datetime

    from survey.models import Alert
    alert = Alert(fingerprint=f"f{status}{segment}", series_key=f"s{status}{segment}", survey_id=survey.id,
                  question_key="satisfaction", metric="top_box", kind="change",
                  segment=segment if segment is not None else {"location": "Leeds"},
                  period_before="2026-09", period_after="2026-10", n_before=100, n_after=100, value_before=0.9,
                  value_after=0.75, difference=-0.15, ci_low=-0.25, ci_high=-0.05, p_value=0.004, q_value=0.01,
                  method="newcombe", direction="drop", created_at=datetime(2026, 11, 2), status=status)
    db.session.add(alert)
    db.session.commit()
    return alert


def test_segments_compare_the_latest_period_with_the_one_before_and_its_alert(ctx):
    survey = make_survey()
    leeds_best_all_year_but_not_now(survey)
    alert = open_alert(survey)
    open_alert(survey, status="resolved")  # dealt with: not shown
    open_alert(survey, segment={})  # about everyone, not about Leeds
    board = dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS)
    satisfaction = next(q for q in board.questions if q.question.key == "satisfaction")
    locations = satisfaction.segments["location"]
    assert [row.label for row in locations] == ["York", "Leeds"]  # over the year, Leeds (88.5 %) led
    leeds = locations[1]
    assert (leeds.value, leeds.n, leeds.previous.value, leeds.previous.n) == (0.75, 100, 0.90, 100)
    assert leeds.low == pytest.approx(0.6569, abs=1e-4)  # Wilson, 75 of 100 in October alone
    assert [(a.id, a.direction, a.text) for a in leeds.alerts] == [
        (alert.id, "drop", "90 % → 75 %, 2026-09 to 2026-10")]
    assert locations[0].alerts == ()


def test_the_page_shows_segments_for_the_compared_period_with_alerts(client, app):
    with app.app_context():
        survey = make_survey()
        leeds_best_all_year_but_not_now(survey)
        alert_id = open_alert(survey).id
        make_user(email="analyst@example.com", role="analyst")
        slug = survey.slug
    log_in(client, "analyst@example.com")
    html = client.get(f"/manage/surveys/{slug}/results?to=2026-10-31").get_data(as_text=True)
    table = html[html.index("Table: “Extremely satisfied” share by location"):]
    table = table[:table.index("</table>")]
    assert "2026-10 and 2026-09" in table
    assert table.index(">York<") < table.index(">Leeds<")
    assert "90 %</span> <span class=\"nowrap\">(n = 100)" in table
    assert f'href="/manage/alerts/{alert_id}">Drop alert #{alert_id}</a>' in table
    assert "by location in 2026-10" in html


# --- intervals on the scale, verdicts explained (issue 20, item 9) ------------------------------------------

def test_an_interval_below_the_minimum_is_not_enough_responses(ctx):
    """The issue's card: a mean of 3.67 from three answers came with "−0.13 to 7.46" on a 1–5 scale."""
    survey = make_survey()
    add_answers(survey, [(date(2026, 9, 10), None, 4)] * 60 + [(date(2026, 10, 10), None, v) for v in (2, 4, 5)])
    board = dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS)
    mean = card(board, "mean")
    assert mean.current.value == pytest.approx(3.6667, abs=1e-4) and mean.current.n == 3
    assert (mean.current.low, mean.current.high) == (None, None)
    assert card(board, "top_box").current.low is None
    satisfaction = next(q for q in board.questions if q.question.key == "satisfaction")
    assert (satisfaction.trend[-1].value, satisfaction.trend[-1].low, satisfaction.trend[-1].n) == (None, None, 3)
    assert satisfaction.trend[-2].value == 0 and satisfaction.trend[-2].high is not None  # 60: shown


def test_the_mean_interval_stays_on_the_scale(ctx):
    """29 "5" and one "4": Student's t reached 5.035 on a 1–5 scale. R (quasi-binomial fractional logit):
    y <- (c(rep(5, 29), 4) - 1) / 4; fit <- glm(y ~ 1, family = quasibinomial)
    1 + 4 * plogis(coef(fit) + c(-1, 1) * qt(0.975, df.residual(fit)) * sqrt(vcov(fit)[1, 1]))
    # 4.752021 4.995731"""
    survey = make_survey()
    add_answers(survey, [(date(2026, 9, 10), None, 4)] * 40 + [(date(2026, 10, 10), None, 5)] * 29
                + [(date(2026, 10, 11), None, 4)])
    mean = card(dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS), "mean")
    assert (mean.current.low, mean.current.high) == pytest.approx((4.7520212811, 4.9957307344), abs=1e-8)


def test_the_nps_interval_is_not_clipped_at_the_end_of_the_scale():
    """29 promoters and one passive: the adjusted-Wald interval reached 101 and was clipped to 100. R:
    y <- (c(rep(1, 29), 0) + 1) / 2; fit <- glm(y ~ 1, family = quasibinomial)
    200 * plogis(coef(fit) + c(-1, 1) * qt(0.975, df.residual(fit)) * sqrt(vcov(fit)[1, 1])) - 100
    # 76.10987 99.57736"""
    from collections import Counter
    result = dashboard.estimate(None, "nps", Counter({10: 29, 8: 1}), 30)
    assert result.value == pytest.approx(96.6667, abs=1e-4)
    assert (result.low, result.high) == pytest.approx((76.10987492, 99.57735812), abs=1e-7)
    assert dashboard.estimate(None, "nps", Counter({10: 29, 8: 1}), 31).low is None


def test_verdicts_say_what_was_corrected_and_tiny_q_values_read_below_one_in_a_thousand(ctx):
    """Top box 50 % → 35 %: p ≈ 0.03 on its own, but with three comparisons on the page q ≈ 0.1."""
    survey = make_survey()
    add_answers(survey, [(date(2026, 9, 10), None, v) for v in [5] * 50 + [4] * 40 + [2] * 10]
                + [(date(2026, 10, 10), None, v) for v in [5] * 35 + [4] * 60 + [2] * 5])
    board = dashboard.build(survey, ResultsFilter(), today=TODAY, settings=SETTINGS)
    top = card(board, "top_box")
    assert board.tests == 3
    assert top.p_value < 0.05 < top.q_value and top.high < 0 and top.verdict(0.05) == "steady"
    why = dashboard.verdict_explanation(top, 0.05, board.tests)
    assert why == f"Looks real on its own (p = {top.p_value:.3f}; its interval leaves out no change), " \
                  f"but not once corrected for the 3 comparisons on this page: q = {top.q_value:.3f} is " \
                  f"above 0.05."
    assert wording.format_p(0.0004, "q") == "q < 0.001" and wording.format_p(0.056, "q") == "q = 0.056"


def test_the_page_explains_verdicts_and_says_not_enough_responses(client, story_survey):
    log_in(client, "analyst@example.com")
    html = client.get(f"/manage/surveys/{story_survey}/results?where=location=Leeds&to=2026-10-31").get_data(
        as_text=True)
    assert "significant drop" in html and "A real drop: p = " in html
    assert "this comparison alone: 95 % interval" in html and "How to read the verdicts" in html
    ely = client.get(f"/manage/surveys/{story_survey}/results?where=location=Ely&to=2026-10-31").get_data(
        as_text=True)
    assert "n = 12: not enough responses for an interval (30 needed)" in ely
    assert "95 % interval" not in ely.split("How to read")[0].split("<ul class=\"cards\">")[1]
