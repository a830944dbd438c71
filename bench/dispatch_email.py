"""Benchmark: invitation emails per second from one dispatcher to a local SMTP server (aiosmtpd).

Baseline, same run: smtplib sending the same, already-built messages (the bytes the dispatcher sends) over
one connection in a loop, the limit for this stack; timed before and after the dispatcher, and averaged.
Goal (issue 9): at least 200 invitations/s, and at least 70 % of the baseline.

Each message's bytes are rendered when it is queued, at the campaign's launch, so the dispatcher only sends;
the launch's own rate (selecting contacts, creating invitations, rendering and storing the emails) is the
second figure, so that work is seen where it went.

    .venv/bin/python bench/dispatch_email.py [--messages 2000] [--runs 3] [--quick]
"""
from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, bench_main, fresh_app  # noqa: E402

from survey import mail, outreach
from survey.background import dispatch  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Contact, OutboxMessage  # noqa: E402
from tests.factories import make_survey  # noqa: E402
from tests.smtp import free_port  # noqa: E402

NOW = datetime(2026, 11, 1, 9, 0)


def arguments(parser) -> None:
    parser.add_argument("--messages", type=int, default=2000, help="invitations queued and sent per run")


def queue_invitations(count: int) -> float:
    """A published survey, `count` contacts, one campaign launched: the real path that renders and queues
    the emails. Returns the launch's seconds."""
    survey = make_survey(now=NOW)
    db.session.add_all(Contact(email=f"customer{i}@example.com", name=f"Customer {i}",
                               attributes={"location": ("Leeds", "York", "Bath")[i % 3]}, created_at=NOW)
                       for i in range(count))
    db.session.commit()
    campaign = outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=NOW)
    started = time.perf_counter()
    report = outreach.launch(campaign, now=NOW)
    seconds = time.perf_counter() - started
    assert report.queued == count, report
    return seconds


@contextmanager
def sink_server():
    """aiosmtpd in its own process (discarding messages), so the server does not compete with the
    dispatcher for this process's GIL."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"])
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait()


def one_run(count: int) -> tuple[float, float, float]:
    """Messages per second: the dispatcher, the smtplib loop, the campaign launch."""
    with tempfile.TemporaryDirectory() as tmp, sink_server() as port:
        app = fresh_app(Path(tmp), SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        with app.app_context():
            launch = queue_invitations(count)
            rows = db.session.scalars(db.select(OutboxMessage)).all()
            envelopes = [mail.envelope(row, mail.sender(app.config), now=NOW) for row in rows]
            db.session.expunge_all()

            def smtplib_loop() -> float:
                started = time.perf_counter()
                with smtplib.SMTP("127.0.0.1", port) as connection:
                    for envelope in envelopes:
                        connection.sendmail(envelope.sender, [envelope.recipient], envelope.data)
                return time.perf_counter() - started

            # The baseline runs before and after the dispatcher and counts both, so a machine that gets
            # busier or quieter during the run (others share it) does not favour either side.
            before = smtplib_loop()
            started = time.perf_counter()
            report = dispatch.run_once(now=NOW)
            measured = time.perf_counter() - started
            assert report.sent == count, report
            baseline = (before + smtplib_loop()) / 2
        return count / measured, count / baseline, count / launch


def figures(args) -> list[Figure]:
    count = 200 if args.quick else args.messages
    results = [one_run(count) for _ in range(1 if args.quick else args.runs)]
    note = f"{count} invitations per run, SQLite; aiosmtpd (Sink) in its own process"
    return [
        Figure(key="dispatch.rate", title="invitation emails from one dispatcher to a local SMTP server",
               unit="msg/s", runs=[r[0] for r in results],
               baseline="smtplib sending the same, already-built messages over one connection in a loop",
               baseline_runs=[r[1] for r in results], goal_ratio=0.7, goal_limit=200, note=note),
        Figure(key="dispatch.queue.rate", title="campaign launch: invitations created, rendered and queued",
               unit="msg/s", runs=[r[2] for r in results],
               note=f"{note}; includes rendering each email's final bytes, which the dispatcher no longer does"),
    ]


if __name__ == "__main__":
    bench_main(__doc__, figures, arguments=arguments, runs=3)
