"""Benchmark: invitation emails per second from one dispatcher to a local SMTP server (aiosmtpd).

Baseline, same run: smtplib sending the same, already-built messages over one connection in a loop, the
limit for this stack. Goal (issue 3): at least 200 invitations/s, and at least 70 % of the baseline.

    .venv/bin/python bench/dispatch_email.py [--messages 2000] [--runs 3]
"""
from __future__ import annotations

import argparse
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_app  # noqa: E402

from survey import dispatch, mail, outreach  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Contact, OutboxMessage  # noqa: E402
from tests.factories import make_survey  # noqa: E402
from tests.smtp import free_port  # noqa: E402

NOW = datetime(2026, 11, 1, 9, 0)


def queue_invitations(count: int) -> None:
    """A published survey, `count` contacts, one campaign: the real path that renders and queues emails."""
    survey = make_survey(now=NOW)
    db.session.add_all(Contact(email=f"customer{i}@example.com", name=f"Customer {i}",
                               attributes={"location": ("Leeds", "York", "Bath")[i % 3]}, created_at=NOW)
                       for i in range(count))
    db.session.commit()
    campaign = outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=NOW)
    outreach.launch(campaign, now=NOW)


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


def one_run(count: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp, sink_server() as port:
        app = fresh_app(Path(tmp), SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        with app.app_context():
            queue_invitations(count)
            rows = db.session.scalars(db.select(OutboxMessage)).all()
            envelopes = [mail.envelope(row, app.config["MAIL_FROM"]) for row in rows]
            db.session.expunge_all()

            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as connection:
                for envelope in envelopes:
                    connection.sendmail(envelope.sender, [envelope.recipient], envelope.data)
            baseline = time.perf_counter() - started

            started = time.perf_counter()
            report = dispatch.run_once(now=NOW)
            measured = time.perf_counter() - started
            assert report.sent == count, report
        return count / measured, count / baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = [one_run(args.messages) for _ in range(args.runs)]
    hearken = [r[0] for r in results]
    baseline = [r[1] for r in results]
    ratio = statistics.median(h / b for h, b in results)
    print(f"dispatch: {statistics.median(hearken):.0f} msg/s (runs: {', '.join(f'{v:.0f}' for v in hearken)})")
    print(f"baseline smtplib loop: {statistics.median(baseline):.0f} msg/s "
          f"(runs: {', '.join(f'{v:.0f}' for v in baseline)})")
    print(f"ratio: {ratio:.0%} of baseline (goal ≥ 70 %); goal ≥ 200 msg/s: "
          f"{'met' if statistics.median(hearken) >= 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
