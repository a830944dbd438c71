"""Scale-out: two gunicorn instances (two ports, as two machines would be) and two `flask dispatch --loop`
workers on one PostgreSQL behave as one service. Respondents are sent to either instance at every request
(the form from one, the answers to the other, as a load balancer without sticky sessions does); results
read the same from both; every queued email is sent once; the API's per-token rate limit is one counter
in Redis, whichever instance answers."""
from __future__ import annotations

import http.client
import json
import time

import pytest

from survey.accounts import api_tokens
from survey.clock import local_date, utcnow
from tests.load.audit import audit_emails, audit_responses
from tests.load.conftest import RESPONDENTS, queue_invitations
from tests.load.respondents import Load
from tests.load.test_load import load_figures

pytestmark = pytest.mark.slow  # real processes for a minute or more; .ci/run runs them

RATE_LIMIT = 30  # per minute and token, for both instances together


def api_get(server, path: str, secret: str) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection(*server.address, timeout=60)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {secret}"})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read())
    finally:
        connection.close()


def every_response(server, slug: str, secret: str) -> list[dict]:
    items, cursor = [], ""
    while True:
        status, _headers, page = api_get(server, f"/api/v1/surveys/{slug}/responses?limit=1000{cursor}", secret)
        assert status == 200, page
        items += page["data"]
        if page["next_cursor"] is None:
            return items
        cursor = f"&after={page['next_cursor']}"


def test_two_instances_and_two_dispatchers_on_one_postgresql_behave_as_one(
        app, environment, processes, survey_to_answer, slow_smtp, load_seconds, is_postgresql, report_figures):
    if not is_postgresql:
        pytest.skip("scale-out shares one database server between machines: runs when TEST_DATABASE_URL names "
                    "a PostgreSQL database (SQLite is one file on one host)")
    slug, tokens = survey_to_answer
    settings = environment(HEARKEN_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379",
                           HEARKEN_API_RATE_LIMIT=f"{RATE_LIMIT} per minute", HEARKEN_SMTP_HOST="127.0.0.1",
                           HEARKEN_SMTP_PORT=str(slow_smtp.port), HEARKEN_DISPATCH_INTERVAL="1",
                           HEARKEN_MAIL_FROM="Hearken <feedback@example.test>")
    first, second = (processes.web_server(settings, workers=2, name=name) for name in ("instance-a", "instance-b"))
    dispatchers = [processes.dispatcher(settings, name=name) for name in ("dispatch-a", "dispatch-b")]
    with app.app_context():
        reader = api_tokens.create_token("results reader", "analyst", now=utcnow())[1]
        limited = api_tokens.create_token("rate limited", "analyst", now=utcnow())[1]

    # Responses through both instances at once.
    load = Load([first.address, second.address], slug=slug, tokens=tokens, respondents=RESPONDENTS,
                seconds=load_seconds / 4)
    result = load.start().wait()
    with app.app_context():
        audit = audit_responses(result.ledger)
    assert audit.problems == {}
    assert result.unexpected == [] and result.server_errors == 0

    # Results read the same from both.
    today = local_date(utcnow(), "UTC").isoformat()
    results = [api_get(server, f"/api/v1/surveys/{slug}/results?from={today}&to={today}", reader)
               for server in (first, second)]
    assert [status for status, _headers, _body in results] == [200, 200]
    assert results[0][2] == results[1][2]
    listed = [every_response(server, slug, reader) for server in (first, second)]
    assert listed[0] == listed[1] and len(listed[0]) == audit.stored_responses

    # Emails queued once are sent once, whichever dispatcher claims them.
    with app.app_context():
        queued = queue_invitations(survey_of(slug), 200)
    deadline = time.monotonic() + 120
    while len(slow_smtp.recorder.raw) < queued and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # anything sent twice would arrive now
    with app.app_context():
        emails = audit_emails(list(slow_smtp.recorder.raw))
    assert emails.problems == {}
    assert emails.received == emails.distinct_received == queued

    # One rate limit for both instances: the counter is in Redis.
    answers = [api_get((first, second)[n % 2], "/api/v1/surveys", limited) for n in range(RATE_LIMIT + 2)]
    statuses = [status for status, _headers, _body in answers]
    remaining = [int(headers["x-ratelimit-remaining"]) for _status, headers, _body in answers[:RATE_LIMIT]]
    assert statuses == [200] * RATE_LIMIT + [429, 429]
    assert remaining == list(range(RATE_LIMIT - 1, -1, -1))  # one counter, counted down by both instances
    assert int(answers[-1][1]["retry-after"]) > 0

    report_figures("Scale-out: two instances and two dispatchers on one PostgreSQL", {
        "instances × workers": "2 × 2 (gunicorn, two ports)",
        "submissions thanked for / stored (distinct)": f"{audit.acknowledged} / {audit.stored_revisions}",
        "responses stored / listed by instance A / by instance B": (f"{audit.stored_responses} / {len(listed[0])} / "
                                                                    f"{len(listed[1])}"),
        "missing / wrong answers / duplicates": (f"{len(audit.missing)} / {len(audit.wrong_answers)} / "
                                                 f"{len(audit.duplicates)}"),
        "results identical on A and B": "yes",
        "emails queued / received / duplicate Message-IDs": f"{queued} / {emails.received} / {emails.duplicates}",
        "emails sent by dispatcher A / B": " / ".join(str(dispatcher.sent()) for dispatcher in dispatchers),
        f"API rate limit {RATE_LIMIT}/min, alternating A and B": (f"{statuses.count(200)} × 200, then "
                                                                  f"{statuses.count(429)} × 429"),
        **{name: value for name, value in load_figures(result, audit, first).items()
           if name.startswith(("latency", "throughput", "requests", "respondents", "duration"))},
    })


def survey_of(slug: str):
    from survey.authoring.editing import find_survey

    return find_survey(slug)
