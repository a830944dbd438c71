"""Counted nouns read right on every page and email: "1 customer", "2 customers" (issue 20, item 12)."""
from __future__ import annotations

from datetime import date, datetime

from survey.wording import plural
from tests.factories import add_answers, make_survey, make_user
from tests.pages import log_in


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
