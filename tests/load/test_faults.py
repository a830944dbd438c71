"""Faults under load: web workers killed mid-request, email dispatchers killed mid-batch, PostgreSQL stopped
for ten seconds. Nothing a client was thanked for is lost, every email goes out (a duplicate only from
the window between the SMTP server accepting it and the outbox recording it, with its one Message-ID),
and an outage is a 503 that keeps the answers, after which the service recovers by itself."""
from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from survey.background.dispatch import RECORD_EVERY
from survey.clock import utcnow
from survey.extensions import db
from survey.models import OutboxMessage
from tests.factories import make_survey
from tests.load.audit import audit_emails, audit_responses
from tests.load.conftest import RESPONDENTS, queue_invitations
from tests.load.processes import postgresql_stopped, run_command, why_postgresql_cannot_be_stopped
from tests.load.respondents import Load
from tests.load.test_load import load_figures

pytestmark = pytest.mark.slow  # real processes for a minute or more; .ci/run runs them

EMAILS = 400


def test_web_workers_killed_mid_request_lose_no_acknowledged_response(app, environment, processes, survey_to_answer,
                                                                      load_seconds, is_postgresql, report_figures):
    slug, tokens = survey_to_answer
    server = processes.web_server(environment())
    seconds = load_seconds / 3
    rng = random.Random(2)

    load = Load([server.address], slug=slug, tokens=tokens, respondents=RESPONDENTS, seconds=seconds).start()
    # A kill every 0.7-1.4 s: CI's short load (under 7 s here) made one kill at 2-4 s, which sometimes met
    # no request in flight, and the check below failed with nothing wrong (once in about ten CI runs). Three or
    # four kills still met none once in a while on a loaded machine (workers booting, forms being fetched), so
    # past the planned window the kills go on while the load runs, until one has cut a request off.
    kills, deadline = 0, time.monotonic() + seconds - 1

    def cut_off() -> bool:
        return any(exchange.outcome == "connection" for thread in load.threads for exchange in list(thread.report.log))

    while load.running() and (time.monotonic() + 1.5 < deadline or not cut_off()):
        time.sleep(rng.uniform(0.7, 1.4))
        kills += server.kill_random_worker() is not None
    result = load.wait()

    with app.app_context():
        audit = audit_responses(result.ledger)
    figures = {"workers killed (kill -9)": kills, "requests cut off (no answer)": result.statuses["connection"],
               **load_figures(result, audit, server)}
    report_figures(f"Web workers killed under load ({'PostgreSQL' if is_postgresql else 'SQLite'})", figures)
    assert audit.problems == {}
    assert result.unexpected == []
    assert result.server_errors == 0
    assert kills >= seconds // 7
    assert result.statuses["connection"] > 0, "no kill hit a request in flight: the test tested nothing"
    assert "Traceback" not in server.log()


def test_dispatchers_killed_mid_batch_send_every_email_and_repeat_only_with_the_same_message_id(
        app, environment, processes, slow_smtp, is_postgresql, report_figures):
    with app.app_context():
        queued = queue_invitations(make_survey(), EMAILS)
    settings = environment(HEARKEN_SMTP_HOST="127.0.0.1", HEARKEN_SMTP_PORT=str(slow_smtp.port),
                           HEARKEN_DISPATCH_INTERVAL="0.2", HEARKEN_MAIL_FROM="Hearken <feedback@example.test>")
    rng = random.Random(3)
    names = iter(range(1000))
    running = [processes.dispatcher(settings, name=f"dispatch-{next(names)}") for _ in range(2)]
    kills, next_kill, quiet_since, last_received = 0, rng.randint(15, 40), time.monotonic(), 0
    deadline = time.monotonic() + 120

    while time.monotonic() < deadline:
        received = len(slow_smtp.recorder.raw)
        if received >= next_kill:
            # The longest-running dispatcher is the one most surely in the middle of a batch.
            running.pop(0).kill()
            kills += 1
            running.append(processes.dispatcher(settings, name=f"dispatch-{next(names)}"))
            next_kill = received + rng.randint(15, 40)
        if received != last_received:
            quiet_since, last_received = time.monotonic(), received
        elif time.monotonic() - quiet_since > 3 and pending_count(app) == 0:
            break  # everything is claimed and the live dispatchers have finished their batches
        time.sleep(0.05)
    for dispatcher in running:
        dispatcher.stop()

    # Time passes: the killed dispatchers' leases run out, and the next pass sends what they held.
    with app.app_context():
        orphaned = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.status == "sending")
            .values(claimed_until=utcnow() - timedelta(seconds=1))).rowcount
        db.session.commit()
    run_command(settings, "dispatch", "--once")

    with app.app_context():
        audit = audit_emails(list(slow_smtp.recorder.raw))
    report_figures(f"Dispatchers killed while sending ({'PostgreSQL' if is_postgresql else 'SQLite'})", {
        "emails queued": queued, "dispatchers killed (kill -9)": kills,
        "messages left claimed by killed dispatchers (sent after their lease)": orphaned,
        "messages received by the SMTP server": audit.received,
        "distinct Message-IDs received": audit.distinct_received,
        "duplicates (same Message-ID)": audit.duplicates,
        "duplicates allowed (kills × RECORD_EVERY)": kills * RECORD_EVERY,
        "never received / recipients with two different messages": f"{len(audit.never_received)} / {len(audit.mixed)}",
    })
    assert queued == EMAILS
    assert audit.problems == {}
    assert audit.distinct_received == EMAILS
    assert audit.duplicates <= kills * RECORD_EVERY
    assert kills >= 3
    assert orphaned > 0, "no kill hit a dispatcher holding a batch: the test tested nothing"


def pending_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status == "pending"))


def test_a_postgresql_outage_is_a_503_that_keeps_answers_and_the_service_recovers_by_itself(
        app, migrated, environment, processes, survey_to_answer, load_seconds, report_figures):
    if reason := why_postgresql_cannot_be_stopped(migrated):
        pytest.skip(reason)
    slug, tokens = survey_to_answer
    server = processes.web_server(environment())
    workers = sorted(server.worker_pids())
    before, outage, after = 6.0, 10.0, max(15.0, load_seconds / 4)

    # People take a moment to answer: so some always hold a form when the database stops, and send it into
    # the outage.
    load = Load([server.address], slug=slug, tokens=tokens, respondents=RESPONDENTS,
                seconds=before + outage + after, thinking=(0.5, 2.0)).start()
    time.sleep(before)
    with postgresql_stopped(migrated):
        stopped_at = time.monotonic()
        time.sleep(outage)
    accepting_at = time.monotonic()
    result = load.wait()

    with app.app_context():
        audit = audit_responses(result.ledger)
    unavailable = [exchange for exchange in result.log if exchange.status == 503]
    failed = [exchange for exchange in result.log if exchange.status == 503 or exchange.outcome == "connection"]
    recovered = min(exchange.started + exchange.seconds for exchange in result.log
                    if exchange.started >= accepting_at and exchange.status in (200, 303))
    last_failure = max(exchange.started + exchange.seconds for exchange in failed)
    report_figures("PostgreSQL stopped for 10 s under load", {
        "outage (s, stop to accepting again)": f"{accepting_at - stopped_at:.1f}",
        "503 answers (GET / POST)": (f"{sum(e.method == 'GET' for e in unavailable)} / "
                                     f"{sum(e.method == 'POST' for e in unavailable)}"),
        "503 pages that kept every answer / that lost some": f"{result.kept_on_503} / {result.lost_on_503}",
        "500 answers": result.statuses[500],
        "first success after PostgreSQL accepted again (s)": f"{recovered - accepting_at:.1f}",
        "last 503 or cut connection after it accepted again (s)": f"{max(0.0, last_failure - accepting_at):.1f}",
        "gunicorn restarted": "no" if sorted(server.worker_pids()) == workers else "workers changed",
        **load_figures(result, audit, server),
    })
    assert audit.problems == {}  # no false thank-you: every 303 is stored
    assert result.unexpected == []
    assert result.statuses[500] == 0 and result.server_errors == len(unavailable)
    assert unavailable and result.kept_on_503 > 0 and result.lost_on_503 == 0
    assert recovered - accepting_at < 5
    assert last_failure - accepting_at < 10, "still failing 10 s after PostgreSQL came back"
    assert sorted(server.worker_pids()) == workers  # recovered by itself: no worker restarted
    assert "Traceback" not in server.log()
