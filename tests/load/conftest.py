"""Fixtures of the reliability suites: real processes (always stopped, even when a test fails), the survey
they answer, and the figures each suite reports at the end of the run (docs/reliability.md quotes them).

TEST_LOAD_SECONDS (default 60) sets how long the load lasts; the fault and scale-out suites run for a
fraction of it (a third, a quarter), the PostgreSQL outage for 10 s whatever it is. CI runs 12 s (to stay
within its time budget; docs/reliability.md's figures come from the default); `TEST_LOAD_SECONDS=10` gives
a quick look while developing.
"""
from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import func, select

from survey import outreach
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Contact, OutboxMessage
from tests.factories import make_invitation, make_survey
from tests.load.processes import Dispatcher, WebServer, server_environment
from tests.smtp import Recorder, SmtpServer

RESPONDENTS = 50
TOKENS_PER_RESPONDENT = 4
FIGURES: list[tuple[str, dict[str, object]]] = []  # (suite, figure → value), printed after the run


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    database = "PostgreSQL" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgres") else "SQLite"
    terminalreporter.section(f"reliability figures ({database})")
    for suite, figures in FIGURES:
        terminalreporter.write_line(f"\n{suite}\n")
        terminalreporter.write_line("| figure | value |\n|---|---|")
        for name, value in figures.items():
            terminalreporter.write_line(f"| {name} | {value} |")


@pytest.fixture
def report_figures():
    """report_figures(suite, {figure: value}): shown in the terminal summary of the run."""
    return lambda suite, figures: FIGURES.append((suite, figures))


@pytest.fixture(scope="session")
def load_seconds() -> float:
    return float(os.environ.get("TEST_LOAD_SECONDS", "60"))


@pytest.fixture
def is_postgresql(migrated) -> bool:
    return migrated.startswith("postgresql")


@pytest.fixture
def environment(migrated, tmp_path):
    """server_environment(**settings): what every process of a test runs with (one database, one key)."""
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    return lambda **settings: server_environment(migrated, instance, **settings)


@pytest.fixture
def processes(tmp_path):
    """Start gunicorn and dispatchers through this; every one is stopped when the test ends, however."""
    started: list[WebServer | Dispatcher] = []

    class Processes:
        def web_server(self, environment, *, workers=4, name="gunicorn") -> WebServer:
            server = WebServer(environment, tmp_path, workers=workers, name=name)
            started.append(server)
            return server.start()

        def dispatcher(self, environment, *, name) -> Dispatcher:
            dispatcher = Dispatcher(environment, tmp_path, name=name)
            started.append(dispatcher)
            return dispatcher.start()

    yield Processes()
    for process in reversed(started):
        process.stop()


@pytest.fixture
def survey_to_answer(app):
    """The factory survey and RESPONDENTS × TOKENS_PER_RESPONDENT personal links: (slug, tokens)."""
    with app.app_context():
        survey = make_survey()
        tokens = [make_invitation(survey, email=f"customer{n}@example.com").token
                  for n in range(RESPONDENTS * TOKENS_PER_RESPONDENT)]
        return survey.slug, tokens


def queue_invitations(survey, count: int) -> int:
    """`count` new contacts and a campaign to them, launched: the real path that renders invitations and
    queues them in the outbox, each with its Message-ID. Returns the outbox size."""
    now = utcnow()
    db.session.add_all(Contact(email=f"invitee{n}@example.com", name=f"Invitee {n}", attributes={}, created_at=now)
                       for n in range(count))
    db.session.commit()
    campaign = outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=now)
    outreach.launch(campaign, now=now)
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


class SlowRecorder(Recorder):
    """An SMTP server that takes `delay` seconds per message, as a real relay does, so that a dispatcher
    killed at a random moment is killed in the middle of its batch."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp():
    with SmtpServer(SlowRecorder(delay=0.02)) as server:
        yield server
