"""The JSON API: resources, the one error shape, strict bodies, tokens and their rate limit."""
from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import abort, request
from sqlalchemy import event, func, select

from survey import database
from survey.accounts import api_tokens
from survey.background import jobs
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Alert, ApiToken, Contact, FollowUpCase, Survey
from survey.results import dashboard
from survey.results.filters import ResultsFilter
from survey.views.api import OPERATIONS
from tests.factories import add_answers, make_definition, make_survey
from tests.locks import write_lock_held_elsewhere


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def tokens(ctx) -> dict[str, dict]:
    """A token per role, as request headers."""
    return {role: bearer(api_tokens.create_token(role, role, now=utcnow())[1])
            for role in ("agent", "analyst", "editor", "admin")}


# --- surveys ------------------------------------------------------------------------------------------

def test_a_survey_is_created_read_versioned_published_and_closed(client, tokens):
    created = client.post("/api/v1/surveys", json=make_definition(), headers=tokens["editor"])
    assert created.status_code == 201, created.json
    assert created.json["status"] == "draft" and created.json["version"] == 1
    assert created.headers["Location"] == "https://feedback.example.test/api/v1/surveys/support-csat"
    assert created.json["public_url"] == "https://feedback.example.test/s/support-csat"

    again = client.post("/api/v1/surveys", json=make_definition(), headers=tokens["editor"])
    assert again.status_code == 409 and again.json["error"]["field"] == "slug"

    published = client.post("/api/v1/surveys/support-csat/publish", headers=tokens["editor"])
    assert published.status_code == 200 and published.json["status"] == "published"
    assert client.post("/api/v1/surveys/support-csat/publish", headers=tokens["editor"]).status_code == 409

    definition = make_definition(title="How did we do today?")
    version = client.post("/api/v1/surveys/support-csat/versions", json=definition, headers=tokens["editor"])
    assert version.status_code == 201 and version.json["title"] == "How did we do today?"
    read = client.get("/api/v1/surveys/support-csat", headers=tokens["agent"]).json
    assert read["definition"]["title"] == "How did we do today?" and len(read["versions"]) == 2
    assert [q["key"] for q in read["definition"]["questions"]] == [q["key"] for q in definition["questions"]]

    assert client.post("/api/v1/surveys/support-csat/close", headers=tokens["editor"]).json["status"] == "closed"
    listed = client.get("/api/v1/surveys", headers=tokens["agent"]).json["data"]
    assert [(s["slug"], s["status"]) for s in listed] == [("support-csat", "closed")]


@pytest.mark.parametrize("change, field, code", [
    ({"slug": "Not A Slug"}, "slug", "invalid"),
    ({"colour": "red"}, "colour", "unknown_field"),
    ({"title": None}, "title", "invalid"),
    ({"questions": [{"key": "q", "type": "rating", "text": "Rate us", "scale": ["Bad"]}]},
     "questions[0].scale", "invalid"),
    ({"questions": [{"key": "q", "type": "nps", "text": "?", "shape": "round"}]}, "questions[0].shape",
     "unknown_field"),
    # Passes the schema; the definition's own rules refuse it and name where.
    ({"questions": [{"key": "q", "type": "choice", "text": "Pick"}]}, "questions[0].options", "invalid"),
])
def test_a_bad_definition_names_its_field_and_creates_nothing(client, tokens, change, field, code):
    response = client.post("/api/v1/surveys", json=make_definition(**change), headers=tokens["editor"])
    assert response.status_code == 422, response.json
    assert (response.json["error"]["field"], response.json["error"]["code"]) == (field, code)
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_a_new_version_may_not_change_a_keys_type(client, tokens):
    make_survey()
    questions = make_definition()["questions"]
    questions[0] = {"key": "satisfaction", "type": "yesno", "text": "Happy?"}
    response = client.post("/api/v1/surveys/support-csat/versions", json=make_definition(questions=questions),
                           headers=tokens["editor"])
    assert response.status_code == 422 and "satisfaction" in response.json["error"]["message"]
    assert len(db.session.scalar(select(Survey)).versions) == 1


# --- contacts -----------------------------------------------------------------------------------------

def test_contacts_are_upserted_in_bulk_read_and_erased(client, tokens):
    body = {"contacts": [{"email": "Ann@Example.com", "name": "Ann", "attributes": {"location": "Leeds"}},
                         {"email": "bob@example.com"}]}
    assert client.post("/api/v1/contacts", json=body, headers=tokens["editor"]).json == \
        {"created": 2, "updated": 0, "unchanged": 0, "skipped_erased": 0}
    # Attribute names as the CSV import stores them, so "Team" is the segment setting team.
    body = {"contacts": [{"email": "ann@example.com", "attributes": {"Team ": "B"}}, {"email": "bob@example.com"}]}
    assert client.post("/api/v1/contacts", json=body, headers=tokens["editor"]).json == \
        {"created": 0, "updated": 1, "unchanged": 1, "skipped_erased": 0}
    found = client.get("/api/v1/contacts?email=ANN@example.com", headers=tokens["agent"]).json["data"]
    assert [(c["email"], c["name"], c["attributes"]) for c in found] == \
        [("ann@example.com", "Ann", {"location": "Leeds", "team": "B"})]
    one = client.get(f"/api/v1/contacts/{found[0]['id']}", headers=tokens["agent"])
    assert one.json["unsubscribed"] is False
    assert client.delete(f"/api/v1/contacts/{found[0]['id']}", headers=tokens["agent"]).status_code == 403
    erased = client.delete(f"/api/v1/contacts/{found[0]['id']}", headers=tokens["editor"])
    assert erased.json == {"erased": True, "responses_kept": 0}
    assert client.get(f"/api/v1/contacts/{found[0]['id']}", headers=tokens["agent"]).status_code == 404


@pytest.mark.parametrize("contacts, field", [
    ([{"email": "ok@example.com"}, {"email": "not an address"}], "contacts[1].email"),
    ([{"email": "ok@example.com"}, {"email": "OK@example.com"}], "contacts[1].email"),
    ([{"email": "ok@example.com", "attributes": {"location": "x" * 201}}], "contacts[0].attributes.location"),
    ([{"email": "ok@example.com", "phone": "123"}], "contacts[0].phone"),
    ([{"email": "ok@example.com", "attributes": {"Location": "Leeds", "location": "York"}}], "contacts[0].attributes"),
    ([], "contacts"),
])
def test_one_bad_contact_writes_none(client, tokens, contacts, field):
    response = client.post("/api/v1/contacts", json={"contacts": contacts}, headers=tokens["editor"])
    assert response.status_code == 422 and response.json["error"]["field"] == field, response.json
    assert db.session.scalar(select(func.count(Contact.id))) == 0


def test_contact_pages_follow_the_cursor(client, tokens):
    body = {"contacts": [{"email": f"c{i}@example.com"} for i in range(5)]}
    client.post("/api/v1/contacts", json=body, headers=tokens["editor"])
    seen, url = [], "/api/v1/contacts?limit=2"
    while url:
        page = client.get(url, headers=tokens["agent"]).json
        seen += [c["email"] for c in page["data"]]
        url = page["next_cursor"] and f"/api/v1/contacts?limit=2&after={page['next_cursor']}"
    assert seen == [f"c{i}@example.com" for i in range(5)]


# --- responses and results ----------------------------------------------------------------------------

def test_responses_are_paged_filtered_and_read_one_by_one(client, tokens):
    survey = make_survey()
    ids = add_answers(survey, [(date(2026, 9, 1 + i), "Leeds" if i % 2 else "York", 5 - i % 5) for i in range(7)])
    seen, after = [], ""
    while True:
        page = client.get(f"/api/v1/surveys/support-csat/responses?limit=3&after={after}", headers=tokens["analyst"])
        assert page.status_code == 200, page.json
        seen += [r["response_id"] for r in page.json["data"]]
        if not (after := page.json["next_cursor"]):
            break
    assert seen == ids
    leeds = client.get("/api/v1/surveys/support-csat/responses?where=location=Leeds", headers=tokens["analyst"]).json
    assert {r["attributes"]["location"] for r in leeds["data"]} == {"Leeds"} and len(leeds["data"]) == 3
    one = client.get(f"/api/v1/responses/{ids[0]}", headers=tokens["analyst"]).json
    assert one["answers"] == {"satisfaction": 5} and one["source"] == "import"
    assert client.get(f"/api/v1/responses/{ids[0]}", headers=tokens["agent"]).status_code == 403
    assert client.get("/api/v1/responses/999999", headers=tokens["analyst"]).json["error"]["code"] == "not_found"
    bad = client.get("/api/v1/surveys/support-csat/responses?from=yesterday", headers=tokens["analyst"])
    assert bad.status_code == 400 and bad.json["error"]["field"] == "from"
    for query in ("since=0001-01-01T00:00:00%2B01:00", "since=9999-12-31T23:59:59-01:00", "to=0001-01-10"):
        edge = client.get(f"/api/v1/surveys/support-csat/responses?{query}", headers=tokens["analyst"])
        assert edge.status_code == 400 and "outside the years 1900–2999" in edge.json["error"]["message"], query


def test_results_are_the_dashboards_numbers(app, client, tokens):
    survey = make_survey()
    rows = [(date(2026, 8, 1) + timedelta(days=i % 28), "Leeds", 5 if i % 10 < 9 else 3) for i in range(120)]
    rows += [(date(2026, 9, 1) + timedelta(days=i % 28), "Leeds", 5 if i % 4 < 3 else 2) for i in range(118)]
    add_answers(survey, rows)
    response = client.get("/api/v1/surveys/support-csat/results?from=2026-08-01&to=2026-09-30",
                          headers=tokens["analyst"])
    assert response.status_code == 200, response.json
    board = dashboard.build(survey, ResultsFilter(start=date(2026, 8, 1), end=date(2026, 9, 30)),
                            today=date(2026, 11, 1), settings=dashboard.Settings.from_config(app.config))
    top_box = next(card for card in response.json["cards"] if card["metric"] == "top_box")
    expected = next(card for card in board.cards if card.metric == "top_box")
    assert top_box["current"]["value"] == pytest.approx(expected.current.value)
    assert (top_box["ci_low"], top_box["ci_high"]) == (pytest.approx(expected.low), pytest.approx(expected.high))
    assert top_box["q_value"] == pytest.approx(expected.q_value) and top_box["verdict"] == "down"
    satisfaction = next(q for q in response.json["questions"] if q["key"] == "satisfaction")
    assert [point["n"] for point in satisfaction["trend"]] == [120, 118]
    assert satisfaction["segments"]["location"][0]["segment"] == "Leeds"


# --- alerts, cases, changes ---------------------------------------------------------------------------

def test_alerts_and_cases_are_listed_by_status(client, tokens):
    survey = make_survey()
    now = utcnow()
    db.session.add(Alert(fingerprint="f", series_key="s", survey_id=survey.id, question_key="satisfaction",
                         metric="top_box", kind="change", segment={"location": "Leeds"}, period_before="2026-08",
                         period_after="2026-09", n_before=120, n_after=118, value_before=0.9, value_after=0.75,
                         difference=-0.15, ci_low=-0.245, ci_high=-0.055, p_value=0.0021, q_value=0.011,
                         method="score", direction="drop", created_at=now))
    db.session.add(FollowUpCase(reason="low_score", summary="Rated 1", opened_at=now, due_at=now - timedelta(hours=1)))
    db.session.commit()
    alerts = client.get("/api/v1/alerts?status=open", headers=tokens["analyst"]).json["data"]
    assert alerts[0]["segment"] == {"location": "Leeds"} and alerts[0]["q_value"] == 0.011
    assert client.get("/api/v1/alerts?status=resolved", headers=tokens["analyst"]).json["data"] == []
    assert client.get("/api/v1/alerts?status=nope", headers=tokens["analyst"]).status_code == 400
    cases = client.get("/api/v1/cases", headers=tokens["agent"]).json["data"]
    assert cases[0]["overdue"] is True and cases[0]["owner"] is None
    assert client.get(f"/api/v1/cases/{cases[0]['id']}", headers=tokens["agent"]).json["summary"] == "Rated 1"
    assert client.get("/api/v1/changes", headers=tokens["agent"]).json == {"data": []}


# --- the border: tokens, errors, strict bodies --------------------------------------------------------

def test_every_failure_has_the_one_error_shape(client, tokens):
    editor = tokens["editor"]
    checks = [
        (client.get("/api/v1/surveys"), 401, "unauthorized"),
        (client.get("/api/v1/surveys", headers=bearer("hk_" + "x" * 43)), 401, "unauthorized"),
        (client.post("/api/v1/surveys", json=make_definition(), headers=tokens["analyst"]), 403, "forbidden"),
        (client.get("/api/v1/nothing-here", headers=editor), 404, "not_found"),
        (client.patch("/api/v1/surveys", headers=editor), 405, "method_not_allowed"),
        (client.get("/api/v1/surveys?colour=red", headers=editor), 400, "unknown_parameter"),
        (client.post("/api/v1/surveys", data="slug=x", headers=editor), 415, "unsupported_media_type"),
        (client.post("/api/v1/surveys", data=b'{"slug": "\xff"}', content_type="application/json",
                     headers=editor), 400, "invalid_encoding"),
        (client.post("/api/v1/surveys", data='{"slug": "a", "slug": "b"}', content_type="application/json",
                     headers=editor), 400, "duplicate_key"),
        (client.post("/api/v1/surveys", data="[" * 100 + "]" * 100, content_type="application/json",
                     headers=editor), 400, "too_deep"),
        (client.post("/api/v1/surveys", data="[" * 100_000, content_type="application/json", headers=editor),
         400, None),
        (client.post("/api/v1/surveys", data='{"n": NaN}', content_type="application/json", headers=editor),
         400, "invalid_json"),
        (client.post("/api/v1/surveys", data='{"n": ' + "9" * 5000 + "}", content_type="application/json",
                     headers=editor), 400, "invalid_json"),
        (client.post("/api/v1/surveys", data="", content_type="application/json", headers=editor), 400,
         "invalid_json"),
        (client.post("/api/v1/surveys", data='{"x": "' + "a" * 3_000_000 + '"}', content_type="application/json",
                     headers=editor), 413, "request_entity_too_large"),
    ]
    for response, status, code in checks:
        assert response.status_code == status, (status, response.data[:200])
        assert set(response.json) == {"error"} and set(response.json["error"]) == {"code", "message", "field"}
        assert code is None or response.json["error"]["code"] == code
        assert response.headers["Cache-Control"] == "no-store"
    assert "GET" in checks[4][0].headers["Allow"]
    assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_a_revoked_token_stops_working(client, tokens):
    token = db.session.scalar(select(api_tokens.ApiToken).where(api_tokens.ApiToken.name == "agent"))
    api_tokens.revoke_token(token, now=utcnow())
    assert client.get("/api/v1/surveys", headers=tokens["agent"]).status_code == 401


def test_each_token_has_its_own_rate_limit(app, client, tokens):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        assert client.get("/api/v1/surveys", headers=tokens["agent"]).status_code == 200
    limited = client.get("/api/v1/surveys", headers=tokens["agent"])
    assert limited.status_code == 429 and limited.json["error"]["code"] == "too_many_requests"
    assert int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/surveys", headers=tokens["analyst"]).status_code == 200


def test_a_token_has_one_budget_for_every_operation(app, client, tokens):
    """docs/api.md: HEARKEN_API_RATE_LIMIT requests per token — in all, not per operation (each had its own:
    a token made about 22 times the limit). Retry-After only on the 429, saying what its message says."""
    app.config["API_RATE_LIMIT"] = "4 per minute"
    admin = tokens["admin"]
    answers = [client.get("/api/v1/surveys", headers=admin), client.get("/api/v1/contacts", headers=admin),
               client.get("/api/v1/surveys/none", headers=admin), client.post("/api/v1/events", json={}, headers=admin)]
    assert [answer.status_code for answer in answers] == [200, 200, 404, 422]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["3", "2", "1", "0"]
    assert {answer.headers["X-RateLimit-Limit"] for answer in answers} == {"4"}
    assert [answer for answer in answers if "Retry-After" in answer.headers] == []
    limited = client.get("/api/v1/alerts", headers=admin)  # an operation this token has not used yet
    assert limited.status_code == 429 and limited.json["error"]["code"] == "too_many_requests"
    seconds = int(limited.headers["Retry-After"])
    assert 0 < seconds <= 61 and f"retry in {seconds} s" in limited.json["error"]["message"]
    assert client.get("/api/v1/surveys", headers=tokens["agent"]).status_code == 200  # another token's own budget


def test_a_503_says_when_to_retry_in_its_header_and_its_message(app, client):
    """The limiter no longer raises a 503's Retry-After to the end of the token's rate-limit window."""
    with app.app_context():
        secret = api_tokens.create_token("bi", "agent", now=utcnow())[1]
        engine = db.engine

    def database_gone(_cursor, _statement, _parameters, context):
        raise context.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    event.listen(engine, "do_execute", database_gone)
    try:
        answer = client.get("/api/v1/surveys", headers=bearer(secret))
    finally:
        event.remove(engine, "do_execute", database_gone)
    assert answer.status_code == 503 and answer.json["error"]["code"] == "service_unavailable"
    assert answer.headers["Retry-After"] == "10" and "retry in 10 s" in answer.json["error"]["message"]


def test_every_401_challenges_for_a_bearer_token(client, tokens):
    """RFC 9110 11.6.1 and RFC 6750 3: a 401 says how to authenticate; invalid_token when a token was sent."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "agent"))
    api_tokens.revoke_token(token, now=utcnow())
    without = [client.get("/api/v1/surveys"), client.get("/api/v1/surveys", headers={"Authorization": "Basic YTpi"}),
               client.post("/api/v1/events", json={}), client.get("/api/v1/surveys", headers=bearer(""))]
    sent = [client.get("/api/v1/surveys", headers=bearer("hk_" + "x" * 43)),
            client.get("/api/v1/surveys", headers=bearer("not-one-of-ours")),
            client.get("/api/v1/contacts/1", headers=tokens["agent"])]  # revoked
    assert {answer.status_code for answer in without + sent} == {401}
    assert [answer.headers.get("WWW-Authenticate") for answer in without] == ["Bearer"] * len(without)
    assert all(answer.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"') for answer in sent)
    assert "WWW-Authenticate" not in client.get("/api/v1/surveys", headers=tokens["analyst"]).headers


def test_options_answers_with_allow_and_needs_no_token(client):
    surveys = client.options("/api/v1/surveys")
    assert surveys.status_code == 204 and surveys.data == b""
    assert set(surveys.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert "WWW-Authenticate" not in surveys.headers and "Content-Type" not in surveys.headers
    contact = client.options("/api/v1/contacts/5")
    assert contact.status_code == 204 and set(contact.headers["Allow"].split(", ")) == {"GET", "HEAD", "DELETE",
                                                                                        "OPTIONS"}
    nowhere = client.options("/api/v1/nothing-here")
    assert nowhere.status_code == 404 and nowhere.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("status, code", [(414, "request_uri_too_long"), (431, "request_header_fields_too_large")])
def test_errors_raised_below_the_views_keep_the_api_shape(app, client, status, code):
    """A 414 or 431 that reaches the app (from a middleware or the server's request parsing) under /api/v1."""
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: abort(status) if "X-Too-Large" in request.headers
                                                         else None)
    answer = client.get("/api/v1/surveys", headers={"X-Too-Large": "1"})
    assert answer.status_code == status and answer.json["error"]["code"] == code
    assert set(answer.json["error"]) == {"code", "message", "field"} and "Retry-After" not in answer.headers


# --- a read never writes: the token's last use ----------------------------------------------------------

LOCK_SECONDS = 4.0


def last_use(app):
    with app.app_context():
        return db.session.scalar(select(ApiToken.last_used_at))


def test_a_read_answers_while_another_connection_holds_the_write_lock(app, client, monkeypatch):
    """A GET only reads: the token's last use is written after the answer, never waiting for the lock (the old
    lookup wrote it in the request: on SQLite a read then waited the busy timeout for a writer and answered
    503; here the timeout is 1 s so the old code fails fast, on PostgreSQL it waited for the lock)."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 1)
    with app.app_context():
        secret = api_tokens.create_token("bi", "analyst", now=utcnow())[1]
        make_survey()
        db.engine.dispose()  # new connections, with the 1 s busy timeout
    with write_lock_held_elsewhere(app, LOCK_SECONDS):
        started = time.monotonic()
        with client.get("/api/v1/surveys/support-csat/responses", headers=bearer(secret)) as answer:
            status = answer.status_code
        took = time.monotonic() - started
    assert status == 200 and took < LOCK_SECONDS / 2
    assert last_use(app) is None  # the database was busy: skipped, not waited for (nor written in the request)
    with client.get("/api/v1/surveys", headers=bearer(secret)) as answer:
        assert answer.status_code == 200
    recorded = last_use(app)
    assert recorded is not None  # the next use, with the database free, is recorded
    with client.get("/api/v1/surveys", headers=bearer(secret)):
        pass
    assert last_use(app) == recorded  # at most once a minute


def test_the_last_use_is_recorded_at_most_once_a_minute(app, client):
    with app.app_context():
        token, secret = api_tokens.create_token("crm", "editor", now=utcnow())
        token_id = token.id
    now = utcnow()
    with app.app_context():
        assert api_tokens.record_use(token_id, now=now - timedelta(minutes=5))
        api_tokens.record_use(token_id, now=now - timedelta(minutes=4, seconds=30))  # within its minute: kept
    assert last_use(app) == now - timedelta(minutes=5)
    with client.post("/api/v1/events", json={}, headers=bearer(secret)) as refused:  # used, though refused
        assert refused.status_code == 422
    assert now <= last_use(app) <= utcnow()


# --- the description says what the border enforces --------------------------------------------------------

def test_the_description_says_what_the_border_enforces(client, tokens):
    make_survey()
    document = client.get("/api/v1/openapi.json").json
    listing = document["paths"]["/surveys/{slug}/responses"]["get"]
    params = {param["name"]: param["schema"] for param in listing["parameters"]}
    for where, accepted in [("location=Leeds", True), (" team = B ", True), ("location=a=b", True),
                            ("colour=red", False), ("location=", False), ("location= ", False), ("Leeds", False),
                            ("", False), ("=Leeds", False)]:
        answer = client.get("/api/v1/surveys/support-csat/responses", query_string={"where": where},
                            headers=tokens["analyst"])
        assert (bool(re.search(params["where"]["pattern"], where)), answer.status_code) == (
            accepted, 200 if accepted else 400), where
        assert accepted or answer.json["error"]["field"] == "where"
    assert params["since"]["minLength"] == 1
    for since in ("", "  "):
        answer = client.get("/api/v1/surveys/support-csat/responses", query_string={"since": since},
                            headers=tokens["analyst"])
        assert answer.status_code == 400 and answer.json["error"]["field"] == "since"
    schemas = document["components"]["schemas"]
    assert schemas["ContactsUpsert"]["properties"]["contacts"]["items"]["properties"]["email"]["format"] == "email"
    assert schemas["Event"]["properties"]["email"]["format"] == "email"
    assert "`invalid_text`" in schemas["Error"]["properties"]["error"]["properties"]["code"]["description"]
    assert "invalid_text" in document["paths"]["/contacts"]["post"]["responses"]["400"]["description"]
    for path, methods in document["paths"].items():
        for method, described in methods.items():
            if described["security"]:  # needs a token: the database is asked
                assert "Retry-After" in described["responses"]["503"]["headers"], (method, path)
                assert "WWW-Authenticate" in described["responses"]["401"]["headers"], (method, path)


def test_every_error_code_is_described_here_and_in_the_guide():
    """ERROR_CODES (what openapi.json describes) holds every code the source answers, and docs/api.md's table
    the same codes under the same statuses."""
    from survey.views.api import ERROR_CODES

    root = Path(__file__).resolve().parents[3]
    source = "\n".join(path.read_text() for path in (root / "survey").rglob("*.py"))
    raised = set(re.findall(r'(?:ApiError|JsonError)\((\d{3}), "(\w+)"', source))
    raised |= {("503", "service_unavailable"), ("500", "internal_server_error")}  # views/errors.py
    described = {(str(status), code) for status, codes, _when in ERROR_CODES for code in codes}
    assert raised <= described
    guide = (root / "docs" / "api.md").read_text()
    table = {(status, code) for status, codes in re.findall(r"^\| (\d{3}) \| ([^|]+) \|", guide, re.MULTILINE)
             for code in re.findall(r"`(\w+)`", codes)}
    assert table == described


def test_the_description_covers_every_route_and_only_those(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    described = {(path, method.upper()) for path, methods in document["paths"].items() for method in methods}
    routed = {(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method)
              for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == routed
    assert len(OPERATIONS) == len(routed)


def test_each_token_role_gets_exactly_what_its_operation_declares(app, client, tokens):
    """Every operation × every token role: refused (403) below the declared role, let through (anything
    but 401/403) at or above it. The samples name nothing that exists, so writes change nothing."""
    samples = {"slug": "no-such-survey", "response_id": "987654", "contact_id": "987654", "alert_id": "987654",
               "case_id": "987654", "change_id": "987654", "job_id": "987654"}
    roles = ("agent", "analyst", "editor", "admin")
    wrong = []
    for op in OPERATIONS.values():
        url = "/api/v1" + re.sub(r"\{(\w+)\}", lambda m: samples[m.group(1)], op.path)
        for role in roles:
            response = client.open(url, method=op.method, json={} if op.body is not None else None,
                                   headers=tokens[role])
            allowed = op.role is None or roles.index(role) >= roles.index(op.role)
            if (response.status_code in (401, 403)) == allowed:
                wrong.append(f"{op.method} {url} as {role}: {response.status_code} (needs {op.role})")
    assert wrong == []


@pytest.mark.parametrize("url", ["/api/v1/surveys/a%00b", "/api/v1/contacts?email=a%00b@example.com",
                                 "/api/v1/changes?category=%00",
                                 "/api/v1/surveys/support-csat/responses?where=location=%00"])
def test_nul_characters_in_the_address_are_refused(client, tokens, url):
    response = client.get(url, headers=tokens["admin"])
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_parameter"


# --- importing historical responses ---------------------------------------------------------------------

def post_csv(client, headers, text: str, slug: str = "support-csat"):
    return client.post(f"/api/v1/surveys/{slug}/responses/import", data=text.encode(), content_type="text/csv",
                       headers=headers)


def import_job(client, token, csv_text: str) -> dict:
    """POST the CSV (202 and the job's Location), let the dispatcher run it, GET the job: it ended."""
    queued = post_csv(client, token, csv_text)
    assert queued.status_code == 202, queued.json
    assert queued.json["state"] == "queued" and queued.location == f"https://feedback.example.test/api/v1/jobs/{queued.json['id']}"
    assert jobs.run_due() == 1
    ended = client.get(queued.location, headers=token)
    assert ended.status_code == 200
    return ended.json


def test_historical_responses_are_imported_once_and_counted(client, tokens):
    make_survey()
    csv_text = ("submitted_at,email,attr.location,satisfaction,channel\n"
                "2026-09-01T10:00:00Z,ann@example.com,Leeds,5,Phone\n"
                "2026-09-02T10:00:00Z,,York,2,Email\n")
    first = import_job(client, tokens["editor"], csv_text)
    assert (first["state"], first["done"], first["total"], first["percent"]) == ("done", 2, 2, 100)
    assert first["outcome"] == {"imported": 2, "skipped": 0, "skipped_erased": 0, "contacts_created": 1,
                                "per_version": {"1": 2}}
    again = import_job(client, tokens["editor"], csv_text)["outcome"]
    assert again["imported"] == 0 and again["skipped"] == 2
    listed = client.get("/api/v1/surveys/support-csat/responses", headers=tokens["analyst"]).json["data"]
    assert [(r["source"], r["answers"]["satisfaction"]) for r in listed] == [("import", 5), ("import", 2)]
    assert post_csv(client, tokens["analyst"], csv_text).status_code == 403


def test_a_job_is_seen_only_by_the_token_that_started_it(client, tokens):
    make_survey()
    job = post_csv(client, tokens["editor"], "submitted_at,satisfaction\n2026-09-01T10:00:00Z,4\n").json
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=tokens["editor"]).json["state"] == "queued"
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=tokens["admin"]).status_code == 404
    assert client.get("/api/v1/jobs/999", headers=tokens["editor"]).status_code == 404


def test_a_bad_import_lists_every_problem_and_stores_nothing(client, tokens):
    make_survey()
    job = import_job(client, tokens["editor"], "submitted_at,satisfaction\n2026-09-01T10:00:00Z,9\nlater,3\n")
    assert job["state"] == "refused" and job["outcome"]["total"] == 2
    problems = job["outcome"]["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(2, "satisfaction"), (3, "submitted_at")]
    assert job["summary"] == "nothing imported: 2 problems"
    assert client.get("/api/v1/surveys/support-csat/responses", headers=tokens["analyst"]).json["data"] == []
    wrong_type = client.post("/api/v1/surveys/support-csat/responses/import", json={"rows": []},
                             headers=tokens["editor"])
    assert wrong_type.status_code == 415
