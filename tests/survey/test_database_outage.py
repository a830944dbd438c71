"""A database outage is a 503 with Retry-After, never a 500 and never a false thank-you; sent answers come
back on the 503 page for one more click. The outage is simulated in the engine: pooled connections are
dropped and new ones refused (what a stopped PostgreSQL looks like), or statements fail mid-request.
tests/load/test_faults.py does the same with a real PostgreSQL stopped under load."""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from html import unescape

from sqlalchemy import event, func, select

from survey.accounts import api_tokens
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Response, ResponseRevision
from tests.factories import make_invitation, make_survey, make_user
from tests.pages import hidden_fields, log_in, text_of
from tests.survey.views.test_respond import GOOD, given_survey

NOT_SAVED = "We could not save your answers just now"


@contextmanager
def database_down(app):
    """Every new connection is refused and the pool is emptied, as when PostgreSQL stops."""
    with app.app_context():
        engine = db.engine

    def refuse(dialect, _record, _args, _params):
        raise dialect.dbapi.OperationalError("connection refused (simulated outage)")

    engine.dispose()
    event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)


@contextmanager
def statements_fail(app, error_name: str, *, when=lambda statement: True):
    """Statements chosen by `when` raise the driver's `error_name` (e.g. the connection cut mid-request)."""
    with app.app_context():
        engine = db.engine

    def fail(_cursor, statement, _parameters, context):
        if when(statement):
            raise getattr(context.dialect.dbapi, error_name)("server closed the connection unexpectedly")

    event.listen(engine, "do_execute", fail)
    try:
        yield
    finally:
        event.remove(engine, "do_execute", fail)


def posted_fields(client, url: str) -> dict:
    fields = hidden_fields(client.get(url).get_data(as_text=True))
    fields.update(GOOD)
    return fields


def as_lists(fields: dict) -> dict[str, list[str]]:
    return {name: value if isinstance(value, list) else [value] for name, value in fields.items()}


def resend_form(html: str) -> dict[str, list[str]]:
    """The 503 page's hidden fields, every value of each (what pressing its button posts)."""
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', html):
        fields.setdefault(unescape(name), []).append(unescape(value))
    return fields


def revisions(app) -> list[ResponseRevision]:
    with app.app_context():
        return db.session.scalars(select(ResponseRevision)).all()


def test_answers_sent_during_an_outage_come_back_on_a_503_page_and_are_stored_once_when_resent(client, app, caplog):
    given_survey(app)
    fields = posted_fields(client, "/s/support-csat")

    with database_down(app), caplog.at_level(logging.WARNING):
        refused = client.post("/s/support-csat", data=fields)

    html = text_of(refused)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "10"
    assert refused.headers["Cache-Control"] == "private, no-store"
    assert NOT_SAVED in html and "Nothing was lost" in html and "Thank you" not in html
    assert 'role="alert"' in html and "Send my answers again" in html
    assert resend_form(html) == as_lists(fields)  # every answer, the CSRF token and the submission key
    assert "Traceback" not in html and "OperationalError" not in html
    assert [r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()] == [
        "database unavailable, answered 503: OperationalError: connection refused (simulated outage)"]
    assert not any(record.exc_info for record in caplog.records)  # an outage is one line, not a traceback
    assert revisions(app) == []

    resent = client.post("/s/support-csat", data=resend_form(html))
    assert resent.status_code == 303 and resent.headers["Location"].startswith("/s/support-csat/thanks?receipt=")
    again = client.post("/s/support-csat", data=resend_form(html))  # pressed twice: still one response
    assert again.status_code == 303
    [revision] = revisions(app)
    assert revision.submission_key == fields["submission_key"]
    assert revision.answers == {"satisfaction": 5, "recommend": 9, "channel": "Email",
                                "topics": ["Billing", "Product"], "resolved": True, "comment": "Lovely <b>staff</b>"}


def test_a_connection_cut_while_storing_is_a_503_and_stores_nothing(client, app):
    given_survey(app)
    fields = posted_fields(client, "/s/support-csat")

    with statements_fail(app, "OperationalError", when=lambda statement: statement.startswith("INSERT")):
        refused = client.post("/s/support-csat", data=fields)

    assert refused.status_code == 503 and NOT_SAVED in text_of(refused)
    assert resend_form(text_of(refused)) == as_lists(fields)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_saving_a_draft_during_an_outage_keeps_the_save_action_for_the_resend(client, app):
    with app.app_context():
        token = make_invitation(make_survey()).token
    url = f"/r/{token}"
    fields = dict(posted_fields(client, url), action="save")

    with database_down(app):
        refused = client.post(url, data=fields)

    assert refused.status_code == 503
    assert resend_form(text_of(refused))["action"] == ["save"]
    resent = client.post(url, data=resend_form(text_of(refused)), follow_redirects=True)
    assert resent.status_code == 200 and "Your answers are saved" in text_of(resent)
    assert revisions(app) == []  # saved as a draft, not submitted


def test_pages_and_the_api_answer_503_with_retry_after_during_an_outage(client, app):
    given_survey(app)
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
        secret = api_tokens.create_token("bi", "analyst", now=utcnow())[1]
    log_in(client, "admin@example.com")

    with database_down(app):
        survey_page = client.get("/s/support-csat")
        manager_page = client.get("/manage/")
        api = client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {secret}"})

    for response in (survey_page, manager_page):
        assert response.status_code == 503 and response.headers["Retry-After"] == "10"
        assert "We are briefly unavailable" in text_of(response)
    # the API's too, as its message says (the rate limiter no longer raises it to the end of its window)
    assert api.status_code == 503 and api.headers["Retry-After"] == "10"
    assert api.get_json()["error"]["code"] == "service_unavailable"
    # and the service is back by itself once the database is
    assert client.get("/s/support-csat").status_code == 200
    assert client.get("/manage/").status_code == 200


def test_a_page_is_delivered_although_the_database_went_away_before_its_rollback(client, app, monkeypatch):
    # PostgreSQL stopping between the page and the end of the request: the session's closing rollback
    # fails ("terminating connection due to administrator command"), which must not turn the page into a 500.
    given_survey(app)
    with app.app_context():
        dialect = db.engine.dialect

    def rollback_cannot_reach_the_server(_connection):
        raise dialect.dbapi.OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(dialect, "do_rollback", rollback_cannot_reach_the_server)
    response = client.get("/s/support-csat")
    assert response.status_code == 200 and "How did we do?" in text_of(response)
    monkeypatch.undo()
    assert client.get("/s/support-csat").status_code == 200  # the next request gets a working session


def test_database_errors_that_are_not_outages_stay_500(client, app):
    given_survey(app)
    with statements_fail(app, "IntegrityError"):
        response = client.get("/s/support-csat")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert "Something went wrong on our side" in text_of(response)
