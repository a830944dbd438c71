"""Load with nothing lost: 50 people answering through real gunicorn workers for TEST_LOAD_SECONDS (60 s in
CI), on SQLite or on the PostgreSQL named by TEST_DATABASE_URL, with double submits, client timeouts and
back-and-resubmit injected. Every submission a client was thanked for is stored once with its answers."""
from __future__ import annotations

import pytest

from tests.load.audit import audit_responses
from tests.load.conftest import RESPONDENTS
from tests.load.respondents import Load, LoadResult

pytestmark = pytest.mark.slow  # real processes for a minute or more; .ci/run runs them


def load_figures(result: LoadResult, audit, server) -> dict[str, object]:
    """The figures every load suite reports (docs/reliability.md)."""
    statuses = result.statuses
    return {
        "respondents": result.respondents,
        "duration (s)": f"{result.seconds:.0f}",
        "requests": len(result.log),
        "statuses": ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items(), key=str)),
        "client timeouts injected / other": f"{result.timeouts(injected=True)} / {result.timeouts(injected=False)}",
        "submissions thanked for (distinct)": audit.acknowledged,
        "thank-yous seen (double clicks included)": audit.acknowledgements,
        "responses stored": audit.stored_responses,
        "revisions stored": audit.stored_revisions,
        "missing / wrong answers / duplicates": (f"{len(audit.missing)} / {len(audit.wrong_answers)} / "
                                                 f"{len(audit.duplicates)}"),
        "5xx seen by clients": result.server_errors,
        "5xx in the access log": sum(1 for status in server.access_statuses() if status >= 500),
        '"database is locked" in the server log': server.log().count("database is locked"),
        "latency p50 / p99, all requests (ms)": f"{result.latency(0.5) * 1000:.0f} / {result.latency(0.99) * 1000:.0f}",
        "latency p50 / p99, POST (ms)": (f"{result.latency(0.5, 'POST') * 1000:.0f} / "
                                         f"{result.latency(0.99, 'POST') * 1000:.0f}"),
        "throughput (requests/s)": f"{result.answered_requests / result.seconds:.0f}",
        "throughput (submissions thanked/s)": f"{audit.acknowledged / result.seconds:.1f}",
    }


def test_fifty_respondents_lose_nothing_and_see_no_server_error(app, environment, processes, survey_to_answer,
                                                                load_seconds, is_postgresql, report_figures):
    slug, tokens = survey_to_answer
    server = processes.web_server(environment())

    load = Load([server.address], slug=slug, tokens=tokens, respondents=RESPONDENTS, seconds=load_seconds)
    result = load.start().wait()

    with app.app_context():
        audit = audit_responses(result.ledger)
    figures = load_figures(result, audit, server)
    report_figures(f"Load on {'PostgreSQL' if is_postgresql else 'SQLite'}", figures)
    assert audit.problems == {}
    assert result.unexpected == []
    assert result.server_errors == 0 and figures["5xx in the access log"] == 0
    assert "database is locked" not in server.log()
    assert "Traceback" not in server.log()
    # the injected misbehaviour really happened, and the load was a load
    statuses = result.statuses
    assert statuses["connection"] == 0
    assert result.timeouts(injected=False) == 0
    assert result.timeouts(injected=True) >= RESPONDENTS // 5, statuses
    assert audit.acknowledgements > audit.acknowledged  # some double clicks were thanked twice
    assert audit.stored_revisions > audit.stored_responses  # some respondents changed their answers
    assert audit.acknowledged >= RESPONDENTS * load_seconds / 10, "fewer than one submission per 10 s each"
