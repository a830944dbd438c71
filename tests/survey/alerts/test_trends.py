"""Trend detection in the product: counts from the database, alerts stored once, managers emailed, pages."""
from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from survey import followups
from survey.alerts import trends
from survey.background import dispatch
from survey.clock import local_date
from survey.extensions import db
from survey.models import Alert, OutboxMessage, User
from survey.results import periods
from tests.factories import add_answers, make_definition, make_survey, make_user
from tests.pages import log_in, post_form, text_of

MONTHS = [date(2026, m, 10) for m in range(7, 12)]  # July … November; December is the current month
NOW = "2026-12-05"


def month_rows(location, day, top, n):
    return [(day, location, 5 if i < top else 4) for i in range(n)]


def story(survey):
    rows = []
    for i, day in enumerate(MONTHS):
        last = i == len(MONTHS) - 1
        rows += month_rows("Leeds", day, 75 if last else 90, 100)
        for location in ("York", "Bath", "Hull"):
            rows += month_rows(location, day, 88, 100)
        rows += month_rows("Ely", day, 13, 15)  # too few to test
    add_answers(survey, rows)


def test_detect_trends_finds_the_drop_stores_it_once_and_emails_subscribers(ctx, runner):
    survey = make_survey()
    story(survey)
    subscriber = make_user(email="boss@example.com", role="analyst")
    subscriber.notify_alerts = True
    make_user(email="quiet@example.com", role="analyst")
    db.session.commit()

    result = runner.invoke(args=["detect-trends", "--json", "--now", NOW])
    assert result.exit_code == 0, result.output
    findings = json.loads(result.output)
    drop = next(f for f in findings if f["segment"] == {"location": "Leeds"} and f["kind"] == "change")
    assert drop == drop | {"survey": "support-csat", "question": "satisfaction", "metric": "top_box",
                           "period_before": "2026-10", "period_after": "2026-11", "n_before": 100, "n_after": 100,
                           "value_before": 0.9, "value_after": 0.75, "difference": -0.15, "method": "score",
                           "direction": "drop", "new": True,
                           # the counts behind the shares, so a script can recompute them exactly
                           "successes_before": 90, "successes_after": 75,
                           "detractors_before": None, "detractors_after": None}
    assert drop["ci_low"] < -0.15 < drop["ci_high"] < 0 and 0 < drop["p_value"] <= drop["q_value"] <= 0.05
    assert not [f for f in findings if f["segment"].get("location") in ("York", "Bath", "Hull", "Ely")]

    alerts = db.session.scalars(select(Alert)).all()
    assert len(alerts) == len(findings)
    emails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")).all()
    assert [e.recipient for e in emails] == ["boss@example.com"]
    assert "location=Leeds" in emails[0].text_body and "90 % → 75 %" in emails[0].text_body
    # The chart: one bar per month, the latest at 75 % of 100 responses, in both parts.
    assert "2026-11  " + "#" * 15 + " 75 % (n = 100)" in emails[0].text_body
    assert 'width="75%"' in emails[0].html_body and "2026-07" in emails[0].html_body

    again = runner.invoke(args=["detect-trends", "--json", "--now", NOW])
    assert all(f["new"] is False for f in json.loads(again.output))
    assert db.session.scalar(select(func.count(Alert.id))) == len(alerts)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_periods_are_months_in_the_organisations_time_zone(ctx):
    # 23:30 UTC on 31 October is already November in Berlin.
    assert local_date(datetime(2026, 10, 31, 23, 30), "Europe/Berlin") == date(2026, 11, 1)
    assert local_date(datetime(2026, 10, 31, 23, 30), "UTC") == date(2026, 10, 31)
    starts = periods.complete_periods(datetime(2026, 12, 5), unit="month", count=3, timezone="UTC")
    assert starts == [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
    weeks = periods.complete_periods(datetime(2026, 12, 5), unit="week", count=2, timezone="UTC")
    assert [periods.period_label(w, "week") for w in weeks] == ["2026-W47", "2026-W48"]


def test_weekly_periods_group_by_iso_week(ctx):
    survey = make_survey()
    add_answers(survey, month_rows(None, date(2026, 11, 23), 40, 50) + month_rows(None, date(2026, 11, 29), 10, 50)
                + month_rows(None, date(2026, 11, 30), 20, 50))
    starts = periods.complete_periods(datetime(2026, 12, 2), unit="week", count=2, timezone="UTC")
    (series,) = [s for s in trends.survey_series(survey, starts, "week", ()) if s.question == "satisfaction"]
    assert [(p.period, p.n, p.successes) for p in series.periods] == [("2026-W47", 0, 0), ("2026-W48", 100, 50)]
    # the same ISO week a year earlier (52 weeks back: 2025-W48) is fetched too, empty here
    assert (series.year_before.period, series.year_before.n) == ("2025-W48", 0)


def test_too_little_data_bad_input_and_surveys_without_scales_never_crash(ctx, runner):
    survey = make_survey()
    make_survey(definition=make_definition(slug="words", questions=[
        {"key": "comment", "type": "text", "text": "Anything else?"}]))
    add_answers(survey, [(date(2026, 11, 3), "Ely", 5)])  # a segment with one response
    result = runner.invoke(args=["detect-trends", "--now", NOW])
    assert result.exit_code == 0 and "0 significant" in result.output and "too few" in result.output
    bad = runner.invoke(args=["detect-trends", "--now", "last tuesday"])
    assert bad.exit_code == 2 and "Invalid value for '--now'" in bad.output
    year_one = runner.invoke(args=["detect-trends", "--now", "0001-01-01"])
    assert year_one.exit_code == 2 and "0001-01-01 is outside the years 1900–2999" in year_one.output


def test_now_with_an_offset_is_that_moment_in_utc(ctx, runner):
    survey = make_survey()
    story(survey)
    # 00:30 on 1 December in UTC+1 is still 30 November in UTC: November is not complete yet, so October
    # is the latest period and Leeds' November drop is not tested. An hour later it is.
    before = json.loads(runner.invoke(args=["detect-trends", "--json", "--now", "2026-12-01T00:30:00+01:00"]).output)
    assert {f["period_after"] for f in before if f["kind"] == "change"} <= {"2026-10"}
    after = json.loads(runner.invoke(args=["detect-trends", "--json", "--now", "2026-12-01T01:00:00+01:00"]).output)
    assert any(f["period_after"] == "2026-11" and f["segment"] == {"location": "Leeds"} for f in after)


def test_json_findings_carry_promoters_and_detractors_for_nps(ctx, runner):
    survey = make_survey()
    rows = []
    for day, promoters in ((date(2026, 10, 10), 60), (date(2026, 11, 10), 30)):
        rows += [(day, None, 10)] * promoters + [(day, None, 0)] * (100 - promoters)
    ids = add_answers(survey, rows)
    from survey.models import Answer
    db.session.execute(Answer.__table__.update().values(question_key="recommend"))
    from survey.results import rollups
    rollups.rebuild(survey.id)
    db.session.commit()
    assert len(ids) == 200
    findings = json.loads(runner.invoke(args=["detect-trends", "--json", "--now", NOW]).output)
    (nps,) = [f for f in findings if f["metric"] == "nps" and f["kind"] == "change"]
    assert (nps["n_before"], nps["successes_before"], nps["detractors_before"]) == (100, 60, 40)
    assert (nps["n_after"], nps["successes_after"], nps["detractors_after"]) == (100, 30, 70)


def test_alert_pages_show_evidence_and_analysts_acknowledge(ctx, runner, client, monkeypatch):
    monkeypatch.setattr("survey.views.manage.alerts.utcnow", lambda: datetime(2026, 12, 5))
    survey = make_survey()
    story(survey)
    make_user(email="analyst@example.com", role="analyst")
    runner.invoke(args=["detect-trends", "--now", NOW])
    alert = db.session.scalar(select(Alert).where(Alert.kind == "change"))
    log_in(client, "analyst@example.com")
    inbox = text_of(client.get("/manage/alerts/"))
    assert "▼ Drop" in inbox and "location=Leeds" in inbox
    detail = text_of(client.get(f"/manage/alerts/{alert.id}"))
    assert "90 % of 100 responses" in detail and "q-value" in detail
    url = f"/manage/alerts/{alert.id}"
    assert post_form(client, f"{url}/acknowledge", page=url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).status == "acknowledged"
    post_form(client, "/manage/alerts/subscription", {"notify": "1"}, page="/manage/alerts/")
    db.session.expire_all()
    assert db.session.scalar(select(User.notify_alerts).where(User.email == "analyst@example.com")) is True
    trends_page = text_of(client.get("/manage/surveys/support-csat/trends"))
    assert "Not enough responses" in trends_page and "location=Ely" in trends_page
    assert "would detect a drop of 10 points" in trends_page


def test_an_alert_is_linked_to_the_case_that_handles_it(ctx, runner, client):
    survey = make_survey()
    story(survey)
    make_user(email="analyst@example.com", role="analyst")
    runner.invoke(args=["detect-trends", "--now", NOW])
    alert = db.session.scalar(select(Alert).where(Alert.kind == "change"))
    case = followups.record_complaint(followups.ComplaintInput("complaint", "Leeds has got worse.", "", "", ""),
                                      sender="127.0.0.1", now=datetime(2026, 12, 5))
    log_in(client, "analyst@example.com")
    url = f"/manage/alerts/{alert.id}"
    refused = post_form(client, f"{url}/case", {"case": "99999"}, page=url, follow_redirects=True)
    assert "There is no follow-up case &#39;99999&#39;." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Alert, alert.id).case_id is None
    post_form(client, f"{url}/case", {"case": f"#{case.id}"}, page=url)
    db.session.expire_all()
    linked = db.session.get(Alert, alert.id)
    assert linked.case_id == case.id and linked.status == "acknowledged"
    assert f"case {case.id}: " in text_of(client.get(url))
    assert client.post(f"{url}/case", data={"case": str(case.id)}).status_code == 400  # no CSRF token


def test_agents_do_not_see_alerts(ctx, client):
    make_user(email="agent@example.com", role="agent")
    log_in(client, "agent@example.com")
    assert client.get("/manage/alerts/").status_code == 403


def test_the_dispatch_loop_runs_detection(ctx, monkeypatch):
    calls = []
    scorecards = []
    monkeypatch.setattr(trends, "run", lambda now: calls.append(now) or trends.RunReport(None, (), 0))
    monkeypatch.setattr(dispatch.scorecard, "send_scorecards", lambda now, **_: scorecards.append(now) or 0)
    monkeypatch.setattr(dispatch.time, "sleep", lambda seconds: None)
    passes = iter([False, False, True])
    dispatch.run_forever(interval=0, detect_every=3600, echo=print, should_stop=lambda: next(passes))
    assert len(calls) == 1 and len(scorecards) == 1  # two passes, one of each: the next is due in an hour


def year_of_months(first: date, count: int) -> list[date]:
    days, day = [], first
    for _ in range(count):
        days.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 10)
    return days


def monthly(survey, shares_by_month: dict[date, int], n=300):
    """n responses a month, `share` % of them top box (5), the rest 4."""
    rows = []
    for day, share in shares_by_month.items():
        top = round(n * share / 100)
        rows += [(day, None, 5 if i < top else 4) for i in range(n)]
    add_answers(survey, rows)


def test_a_dip_that_recovered_is_a_recovery_and_no_steady_fall(ctx, runner, client, monkeypatch):
    """Issue 20, items 1 and 4: 80 % every month but one at 62 %, then 80 % again. It used to print "falling
    steadily … 80 % → 80 % (+0.0 points; q = 0.012)" beside a "rose 62 % → 80 %" win."""
    monkeypatch.setattr("survey.views.manage.alerts.utcnow", lambda: datetime(2026, 12, 5))
    survey = make_survey()
    months = year_of_months(date(2025, 12, 10), 12)  # December 2025 … November 2026
    monthly(survey, {day: 62 if day.month == 10 else 80 for day in months})
    subscriber = make_user(email="boss@example.com", role="analyst")
    subscriber.notify_alerts = True
    db.session.commit()

    output = runner.invoke(args=["detect-trends", "--now", NOW]).output
    assert "steadily" not in output and "+0.0 points" not in output
    assert "recovered from 2026-10 to 2026-11: 62 % → 80 %" in output
    assert "celebrate" not in output
    (alert,) = db.session.scalars(select(Alert)).all()
    assert (alert.kind, alert.direction, alert.details["recovered"]) == ("change", "rise", True)
    (email,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")).all()
    assert "1 recovery" in email.subject and "▲ Recovered" in email.text_body and "celebrate" not in email.text_body

    log_in(client, "boss@example.com")
    inbox = text_of(client.get("/manage/alerts/"))
    assert "▲ Recovered" in inbox and "Rise — celebrate" not in inbox.split("Drops are alerts")[1].split("\n", 1)[1]
    assert "Recovered: How did we do?" in text_of(client.get(f"/manage/alerts/{alert.id}"))


def test_a_rise_above_every_earlier_month_is_a_win(ctx, runner):
    survey = make_survey()
    monthly(survey, {day: 80 for day in year_of_months(date(2026, 7, 10), 4)} | {date(2026, 11, 10): 90})
    output = runner.invoke(args=["detect-trends", "--now", NOW]).output
    assert "rise: all respondents: top-box share of “satisfaction” rose from 2026-10 to 2026-11: 80 % → 90 %" in output


def test_a_step_is_called_a_change_not_a_steady_fall(ctx, runner):
    """Issue 20, item 1: 88 % for six months, then 78 % for six (300 a month) used to be "falling steadily"."""
    survey = make_survey()
    months = year_of_months(date(2025, 12, 10), 12)
    monthly(survey, {day: 88 if i < 6 else 78 for i, day in enumerate(months)})
    findings = json.loads(runner.invoke(args=["detect-trends", "--json", "--now", NOW]).output)
    (trend,) = [f for f in findings if f["kind"] == "trend"]
    assert (trend["shape"], trend["direction"], trend["period_before"], trend["period_after"]) == \
        ("step", "drop", "2026-05", "2026-06")
    assert (trend["value_before"], trend["value_after"], trend["n_before"], trend["n_after"]) == \
        (0.88, 0.78, 1800, 1800)
    text = runner.invoke(args=["detect-trends", "--now", NOW]).output
    assert "changed between 2026-05 and 2026-06, down in one step rather than steadily: " \
           "88 % in 2025-12 to 2026-05 → 78 % in 2026-06 to 2026-11" in text
    assert "steadily from" not in text


def test_nps_drift_raises_an_alert(ctx, runner):
    """Issue 20, item 2: NPS falling 2 points a month for a year, +38 → +16 at 300 a month (R: slope −2,
    p = 1.008621e-07 from summary(lm(score ~ month)) on the responses), raised nothing."""
    survey = make_survey()
    rows = []
    for i, day in enumerate(year_of_months(date(2025, 12, 10), 12)):
        promoters, detractors = 159 - 3 * i, 45 + 3 * i
        rows += [(day, None, 10)] * promoters + [(day, None, 7)] * (300 - promoters - detractors) + \
            [(day, None, 3)] * detractors
    add_answers(survey, rows, key="recommend")
    findings = json.loads(runner.invoke(args=["detect-trends", "--json", "--now", NOW]).output)
    (trend,) = [f for f in findings if f["metric"] == "nps" and f["kind"] == "trend"]
    assert (trend["shape"], trend["direction"], trend["method"], trend["slope"]) == \
        ("steady", "drop", "least-squares", -2.0)
    assert trend["p_value"] == 1.009e-07 and (trend["value_before"], trend["value_after"]) == (38.0, 16.0)
    text = runner.invoke(args=["detect-trends", "--now", NOW]).output
    assert "NPS of “recommend” has been falling steadily from 2025-12 to 2026-11, about 2.0 NPS points a month: " \
           "+38 → +16 (−22; n = 300 and 300; q < 0.001)" in text  # a typographic minus, as on every page


def test_the_trends_page_says_how_many_responses_nps_needs(ctx, client, monkeypatch):
    """Issue 20, item 3: NPS +24 (49 % promoters, 25 % detractors) needs about 1 072 a month to see a 10-point
    drop (R: (qnorm(0.975) + qnorm(0.8))^2 * 2 * (0.49 + 0.25 - 0.24^2) / 0.1^2 = 1071.2); the page said only
    "at least 30"."""
    monkeypatch.setattr("survey.views.manage.alerts.utcnow", lambda: datetime(2026, 12, 5))
    survey = make_survey()
    day = date(2026, 10, 10)
    add_answers(survey, [(day, None, 10)] * 49 + [(day, None, 8)] * 26 + [(day, None, 0)] * 25, key="recommend")
    make_user(email="analyst@example.com", role="analyst")
    log_in(client, "analyst@example.com")
    page = text_of(client.get(f"/manage/surveys/{survey.slug}/trends"))
    assert "all respondents, <code>recommend</code>: not enough responses (0 in the latest month" in page
    assert "About 1072 per month would detect a drop of 10 NPS points." in page


def test_the_latest_month_is_compared_with_the_same_month_a_year_earlier(ctx, runner, client, monkeypatch):
    """Issue 20, item 5: November falls to 70 % from 80 %, as it did last November: the alert and the Trends
    page say it is no lower than a year earlier."""
    monkeypatch.setattr("survey.views.manage.alerts.utcnow", lambda: datetime(2026, 12, 5))
    survey = make_survey()
    months = year_of_months(date(2025, 11, 10), 13)  # November 2025 … November 2026
    monthly(survey, {day: 70 if day.month == 11 else 80 for day in months})
    make_user(email="analyst@example.com", role="analyst")
    findings = json.loads(runner.invoke(args=["detect-trends", "--json", "--now", NOW]).output)
    (change,) = [f for f in findings if f["kind"] == "change"]
    assert change["direction"] == "drop"
    assert change["year_over_year"] | {"ci_low": None, "ci_high": None, "p_value": None, "q_value": None} == {
        "period_before": "2025-11", "period_after": "2026-11", "n_before": 300, "n_after": 300,
        "value_before": 0.7, "value_after": 0.7, "difference": 0.0, "ci_low": None, "ci_high": None,
        "p_value": None, "q_value": None, "method": "score", "significant": False}
    log_in(client, "analyst@example.com")
    inbox = text_of(client.get("/manage/alerts/"))
    assert "against the same month a year earlier (2025-11: 70 % of 300): +0.0 points" in inbox
    assert "no significant difference — no lower than a year ago, so it may be seasonal" in inbox
    page = text_of(client.get(f"/manage/surveys/{survey.slug}/trends"))
    assert "2025-11: 70 % (n = 300)" in page and "2026-11: 70 % (n = 300)" in page
    assert "no significant difference" in page


def test_small_q_values_print_as_below_0_001(ctx, runner, client, monkeypatch):
    """Issue 20, item 6: a strong drop printed "q = 0.000"; JSON keeps the number."""
    monkeypatch.setattr("survey.views.manage.alerts.utcnow", lambda: datetime(2026, 12, 5))
    survey = make_survey()
    add_answers(survey, month_rows(None, date(2026, 10, 10), 90, 100) + month_rows(None, date(2026, 11, 10), 40, 100))
    text = runner.invoke(args=["detect-trends", "--now", NOW]).output
    assert "q < 0.001" in text and "0.000" not in text
    (finding,) = json.loads(runner.invoke(args=["detect-trends", "--json", "--now", NOW]).output)
    assert 0 < finding["q_value"] < 1e-6
    make_user(email="analyst@example.com", role="analyst")
    log_in(client, "analyst@example.com")
    alert = db.session.scalar(select(Alert))
    for url in ("/manage/alerts/", f"/manage/alerts/{alert.id}", f"/manage/surveys/{survey.slug}/trends"):
        page = text_of(client.get(url))
        assert "< 0.001" in page and "0.000" not in page, url


def test_the_trends_page_says_not_enough_responses_when_that_is_the_truth(ctx, client, monkeypatch):
    """Issue 20, item 7: with 0 or 3 responses the page said "0 tests … Every series has enough responses"."""
    monkeypatch.setattr("survey.views.manage.alerts.utcnow", lambda: datetime(2026, 12, 5))
    survey = make_survey()
    make_user(email="analyst@example.com", role="analyst")
    log_in(client, "analyst@example.com")
    url = f"/manage/surveys/{survey.slug}/trends"

    def check(latest: int) -> str:
        page = text_of(client.get(url))
        assert "Every series has enough responses" not in page and "Nothing moved significantly" not in page
        assert "Nothing could be tested: there are not enough responses yet" in page
        assert f"all respondents, <code>satisfaction</code>: not enough responses ({latest} in the latest month" in page
        assert "all respondents, <code>recommend</code>: not enough responses (0 in the latest month" in page
        return page

    check(0)
    add_answers(survey, [(date(2026, 12, 2), None, 5)] * 3)  # this month: not complete, not tested yet
    check(0)
    add_answers(survey, [(date(2026, 11, 12), None, 5)] * 3)
    check(3)
    words = make_survey(definition=make_definition(slug="words", questions=[
        {"key": "comment", "type": "text", "text": "Anything else?"}]))
    page = text_of(client.get(f"/manage/surveys/{words.slug}/trends"))
    assert "this survey has no rating or NPS question" in page and "Every series has enough" not in page


def test_the_results_page_prints_small_q_values_as_below_0_001(ctx, client):
    """Issue 20, item 6, on the results page's cards: a strong change printed "q = 0.000"."""
    survey = make_survey()
    add_answers(survey, month_rows(None, date(2026, 9, 10), 90, 100) + month_rows(None, date(2026, 10, 10), 40, 100))
    make_user(email="analyst@example.com", role="analyst")
    log_in(client, "analyst@example.com")
    page = text_of(client.get(f"/manage/surveys/{survey.slug}/results?to=2026-10-31"))
    assert "significant drop" in page and "q < 0.001" in page and "q = 0.000" not in page


def test_linking_a_case_and_acknowledging_the_alert_are_one_transaction(ctx, runner):
    """link_case acknowledged an open alert through set_status, which committed, then committed the link:
    a failure between the two left an acknowledged alert with no case."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from survey import alerts

    survey = make_survey()
    story(survey)
    analyst = make_user(email="analyst@example.com", role="analyst")
    runner.invoke(args=["detect-trends", "--now", NOW])
    alert = db.session.scalar(select(Alert).where(Alert.kind == "change"))
    case = followups.record_complaint(followups.ComplaintInput("complaint", "Leeds has got worse.", "", "", ""),
                                      sender="127.0.0.1", now=datetime(2026, 12, 5))
    commits = []

    def count(session):
        commits.append(session)

    event.listen(Session, "after_commit", count)
    try:
        alerts.link_case(alert, str(case.id), actor=analyst, now=datetime(2026, 12, 6))
    finally:
        event.remove(Session, "after_commit", count)
    assert len(commits) == 1 and (alert.case_id, alert.status) == (case.id, "acknowledged")


# --- number and ranking questions: a mean per month (Welch's t) and each option's share ranked first ---

TYPED_QUESTIONS = [
    {"key": "minutes", "type": "numeric", "text": "How many minutes did you wait?", "min": 0},
    {"key": "priorities", "type": "ranking", "text": "Rank what matters", "options": ["Price", "Speed", "Quality"]},
    {"key": "visit_day", "type": "date", "text": "When did you visit?"},
]
OCTOBER = [12, 15, 9, 20, 14, 11, 18, 16] * 5  # mean 14.375
NOVEMBER = [7, 10, 4.5, 12, 9, 6, 11, 8] * 5  # mean 8.4375


def add_typed_answers(survey, day, minutes, firsts, location="Leeds"):
    """One response per number in `minutes`, the first len(firsts) of them also ranking: firsts[i] first, the
    other options after it; bulk-inserted as add_answers does."""
    from sqlalchemy import insert

    from survey.models import Answer, Response
    version = survey.current_version
    base = db.session.scalar(select(func.count(Response.id))) or 0
    at = datetime.combine(day, datetime.min.time())
    ids = db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), [
        {"respondent_key": f"typed:{base + i}", "survey_id": survey.id, "version_id": version.id, "source": "import",
         "submitted_at": at, "local_date": day, "updated_at": at, "revisions_count": 1,
         "attributes": {"location": location}} for i in range(len(minutes))]).all()
    rows = [{"response_id": rid, "question_key": "minutes", "value_int": None, "value_text": str(value)}
            for rid, value in zip(ids, minutes, strict=True)]
    options = ["Price", "Speed", "Quality"]
    for rid, first in zip(ids, firsts, strict=False):
        order = [first, *(o for o in options if o != first)]
        rows += [{"response_id": rid, "question_key": "priorities", "value_int": rank, "value_text": option}
                 for rank, option in enumerate(order, start=1)]
    db.session.execute(insert(Answer), rows)
    db.session.commit()


def test_a_number_and_a_ranking_drop_raise_alerts_like_a_rating_drop(ctx, runner):
    survey = make_survey(definition=make_definition(slug="visits", questions=TYPED_QUESTIONS))
    add_typed_answers(survey, date(2026, 10, 10), OCTOBER, ["Price"] * 30 + ["Speed"] * 10)
    add_typed_answers(survey, date(2026, 11, 10), NOVEMBER, ["Price"] * 12 + ["Speed"] * 28)
    subscriber = make_user(email="boss@example.com", role="analyst")
    subscriber.notify_alerts = True
    db.session.commit()
    result = runner.invoke(args=["detect-trends", "--json", "--now", NOW])
    assert result.exit_code == 0, result.output
    findings = [f for f in json.loads(result.output) if f["kind"] == "change" and not f["segment"]]
    mean = next(f for f in findings if f["question"] == "minutes")
    # R: t.test(rep(c(7, 10, 4.5, 12, 9, 6, 11, 8), 5), rep(c(12, 15, 9, 20, 14, 11, 18, 16), 5))
    assert mean == mean | {"metric": "mean", "method": "welch-t", "direction": "drop", "n_before": 40, "n_after": 40,
                           "value_before": 14.375, "value_after": 8.4375, "difference": -5.9375,
                           "ci_low": -7.2717, "ci_high": -4.6033}
    assert mean["p_value"] == pytest.approx(4.607742282e-13, rel=1e-3)
    price = next(f for f in findings if f["question"] == "priorities.1")  # Price, the first option
    assert price == price | {"metric": "first", "direction": "drop", "n_before": 40, "n_after": 40,
                             "successes_before": 30, "successes_after": 12, "value_before": 0.75,
                             "value_after": 0.3}
    speed = next(f for f in findings if f["question"] == "priorities.2")
    assert speed["direction"] == "rise" and (speed["successes_before"], speed["successes_after"]) == (10, 28)
    assert not [f for f in findings if f["question"].startswith(("visit_day", "priorities.3"))]  # dates: not trended
    alerts = {(a.question_key, a.metric): a for a in db.session.scalars(select(Alert))}
    assert alerts[("minutes", "mean")].direction == "drop" and alerts[("priorities.1", "first")].direction == "drop"
    email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "alert"))
    assert "mean of “minutes” fell from 2026-10 to 2026-11: 14.38 → 8.44" in email.text_body
    assert "share ranking it first of “priorities.1” fell from 2026-10 to 2026-11: 75 % → 30 %" in email.text_body
    # Leeds is every respondent: its series are tested too, in the same family.
    assert any(f["segment"] == {"location": "Leeds"} and f["question"] == "minutes"
               for f in json.loads(result.output))


def test_a_number_question_with_too_few_answers_says_how_many_it_needs(ctx):
    from survey.results.settings import Settings

    survey = make_survey(definition=make_definition(slug="visits", questions=TYPED_QUESTIONS))
    add_typed_answers(survey, date(2026, 11, 10), NOVEMBER[:8], ["Price"] * 8)
    detection = trends.detect_survey(survey, now=datetime(2026, 12, 5), settings=Settings())
    shortfall = next(s for s in detection.shortfalls if s.series.question == "minutes" and not s.series.segment)
    assert shortfall.n_latest == 8 and shortfall.needed_per_period is not None
    assert shortfall.needed_per_period > 8 and detection.findings == ()
