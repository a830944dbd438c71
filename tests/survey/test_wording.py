"""Numbers read right on every page and email: counted nouns ("1 customer", "2 customers"; issue 20, item 12) and
the results' figures, written once with a real minus sign (issue 21)."""
from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape
from pathlib import Path

from sqlalchemy import select

from survey.extensions import db
from survey.models import Alert, OutboxMessage
from survey.wording import format_difference, format_tick, format_value, plural
from tests.factories import add_answers, make_survey, make_user
from tests.pages import log_in, text_of


def test_plural():
    assert plural(1, "customer") == "1 customer"
    assert plural(0, "customer") == "0 customers"
    assert plural(2, "reply", "replies") == "2 replies" and plural(1, "reply", "replies") == "1 reply"
    assert plural(1204, "response") == "1,204 responses"
    assert plural(1, "working day") == "1 working day"
    assert plural(3, "response", number=False) == "responses"


def test_the_plural_filter_is_on_every_template(app):
    template = app.jinja_env.from_string("{{ n|plural('customer') }}; {{ m|plural('entry', 'entries') }}")
    assert template.render(n=1, m=2) == "1 customer; 2 entries"


def test_a_single_response_and_answer_read_in_the_singular(client, app, monkeypatch):
    monkeypatch.setattr("survey.views.manage.results.utcnow", lambda: datetime(2026, 11, 20))
    monkeypatch.setattr("survey.views.manage.responses.utcnow", lambda: datetime(2026, 11, 20))
    with app.app_context():
        survey = make_survey()
        add_answers(survey, [(date(2026, 10, 5), "Leeds", 4)])
        make_user(email="analyst@example.com", role="analyst")
        slug = survey.slug
    log_in(client, "analyst@example.com")
    results = client.get(f"/manage/surveys/{slug}/results").get_data(as_text=True)
    assert "1 response from" in results and "1 answer in this range" in results
    assert "1 responses" not in results and "1 answers" not in results
    responses = client.get(f"/manage/surveys/{slug}/responses").get_data(as_text=True)
    assert "1 response from" in responses


def test_the_sending_page_counts_days_in_the_right_number(client, app):
    app.config["FREQUENCY_CAP_DAYS"] = 1
    with app.app_context():
        survey = make_survey()
        make_user(email="editor@example.com", role="editor")
        slug = survey.slug
    log_in(client, "editor@example.com")
    html = client.get(f"/manage/surveys/{slug}/sending").get_data(as_text=True)
    assert "every 1 day," in html


def test_figures_read_the_same_everywhere_with_a_real_minus():
    assert [format_value(v, "top_box") for v in (0.75, 0.0, None)] == ["75 %", "0 %", "–"]
    assert [format_value(v, "nps") for v in (38.0, -12.4, 0.0)] == ["+38", "−12", "+0"]
    assert (format_value(4.214, "mean"), format_value(1204, "responses"), format_value(0.5, "rate")) == \
        ("4.21", "1,204", "50 %")
    assert [format_difference(-0.15, m) for m in ("top_box", "top2_box", "yes", "rate")] == ["−15.0 points"] * 4
    assert (format_difference(0.021, "top_box"), format_difference(-22.0, "nps"), format_difference(-0.123, "mean"),
            format_difference(-1500, "responses"), format_difference(None, "nps")) == \
        ("+2.1 points", "−22", "−0.12", "−1,500", "–")
    assert [format_tick(v, percent) for v, percent in ((40.0, True), (-50.0, False), (0.0, False), (2.5, False))] == \
        ["40 %", "−50", "0", "2.5"]


def test_the_figures_are_written_in_one_place_and_registered_once_as_filters(app):
    assert app.jinja_env.filters["metric_value"] is format_value
    assert app.jinja_env.filters["metric_difference"] is format_difference
    template = app.jinja_env.from_string("{{ v|metric_value('nps') }}; {{ d|metric_difference('top_box') }}")
    assert template.render(v=-3.0, d=-0.05) == "−3; −5.0 points"
    # No module writes them again, and no template is handed formatters of its own (`fmt=`, `diff=`).
    root = Path(__file__).resolve().parents[2]
    definitions = [str(path.relative_to(root)) for path in (root / "survey").rglob("*.py")
                   if re.search(r"^def (format_value|format_difference|_tick_label)\b", path.read_text(), re.M)]
    assert definitions == ["survey/wording.py"]
    calls = [str(path.relative_to(root)) for path in (root / "templates").rglob("*.*")
             if re.search(r"\b(fmt|diff)\(", path.read_text())]
    assert calls == []


def test_a_drop_reads_the_same_on_the_results_page_in_the_alert_email_and_on_the_trends_page(
        app, client, runner, monkeypatch):
    """Leeds' top box falls from 90 % to 75 % in November. The results page wrote "−15.0 points" (U+2212)
    and the alert email, the alert's page and the trends page "-15.0 points"."""
    for view in ("results", "alerts"):
        monkeypatch.setattr(f"survey.views.manage.{view}.utcnow", lambda: datetime(2026, 12, 5))
    with app.app_context():
        survey = make_survey()
        add_answers(survey, [(date(2026, month, 10), "Leeds", 5 if i < (75 if month == 11 else 90) else 4)
                             for month in range(7, 12) for i in range(100)])
        make_user(email="analyst@example.com", role="analyst").notify_alerts = True
        db.session.commit()
        assert runner.invoke(args=["detect-trends", "--now", "2026-12-05"]).exit_code == 0
        (email,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")).all()
        (alert,) = [a for a in db.session.scalars(select(Alert).where(Alert.kind == "change"))
                    if a.segment == {"location": "Leeds"}]
        slug, alert_id = survey.slug, alert.id
    log_in(client, "analyst@example.com")
    pages = {"results page": text_of(client.get(f"/manage/surveys/{slug}/results?where=location%3DLeeds")),
             "alert email (text)": email.text_body, "alert email (HTML)": unescape(email.html_body),
             "alert page": text_of(client.get(f"/manage/alerts/{alert_id}")),
             "trends page": text_of(client.get(f"/manage/surveys/{slug}/trends"))}
    for name, text in pages.items():
        assert "−15.0 points" in text and "-15.0 points" not in text, name
