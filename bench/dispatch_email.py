"""Benchmark: invitation emails per second from one dispatcher to a local SMTP server (aiosmtpd), and the
launch of large campaigns (issue 22: 100 000 contacts queued in under 30 s, memory flat with the audience).

Baseline, same run: smtplib sending the same, already-built messages (the bytes the dispatcher sends) over
one connection in a loop, the limit for this stack; timed before and after the dispatcher, and averaged.
Goal (issue 9): at least 200 invitations/s, and at least 70 % of the baseline.

Each message's bytes are rendered when it is queued, at the campaign's launch, so the dispatcher only sends;
the launch's own rate (selecting contacts, creating invitations, rendering and storing the emails) is the
second figure, so that work is seen where it went.

The large launch: a campaign to every one of --launch-contacts contacts (100 000), launched by
`outreach.launch` in a child process of its own, so that its peak resident memory (VmHWM) is the launch's;
its seconds are timed in the child around the launch alone. Baseline, same run: sqlite3 executemany of the
same rows (the contacts' unsubscribe tokens, invitations, outbox rows and rendered bytes, one email's
bytes for every row, built before the clock starts) in transactions of 500 contacts, as the launch commits:
the floor for storing them. Then one launch to --big-contacts (1 000 000) contacts, whose peak memory is
compared with the smaller launches': a launch that keeps nothing per contact has the same peak.

    .venv/bin/python bench/dispatch_email.py [--messages 2000] [--launch-contacts 100000]
                                             [--big-contacts 1000000] [--runs 3] [--quick]
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Figure, bench_main, count, fresh_app  # noqa: E402

from survey import mail, outreach  # noqa: E402
from survey.background import dispatch  # noqa: E402
from survey.database import configure_sqlite_connection  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Contact, OutboxMessage  # noqa: E402
from tests.factories import make_survey  # noqa: E402
from tests.smtp import free_port  # noqa: E402

NOW = datetime(2026, 11, 1, 9, 0)


def arguments(parser) -> None:
    parser.add_argument("--messages", type=int, default=2000, help="invitations queued and sent per run")
    parser.add_argument("--launch-contacts", type=int, default=100_000, help="contacts of the large launch")
    parser.add_argument("--big-contacts", type=int, default=1_000_000,
                        help="contacts of the one launch whose memory is compared (0: none)")


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


LAUNCH = """
import json, sys, time
from datetime import datetime
from survey import create_app, outreach
from survey.authoring.editing import find_survey
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "SECRET_KEY": "bench",
                  "BASE_URL": "https://feedback.example.test", "MAIL_FROM": "feedback@example.test"})
now = datetime.fromisoformat(sys.argv[2])
with app.app_context():
    campaign = outreach.create_campaign(find_survey("support-csat"), segment={}, at=None, reminders=0,
                                        reminder_days=3, now=now)
    started, cpu = time.perf_counter(), time.process_time()
    report = outreach.launch(campaign, now=now)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "cpu": cpu, "queued": report.queued, "peak_kib": int(peak)}))
"""


def audience(folder: Path, contacts: int) -> Path:
    """A migrated database with the survey and `contacts` contacts (written with sqlite3, in batches)."""
    folder.mkdir(exist_ok=True)
    app = fresh_app(folder)
    with app.app_context():
        make_survey(now=NOW)
        db.engine.dispose()
    database = folder / "bench.sqlite3"
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("BEGIN")
    for start in range(0, contacts, 10_000):
        connection.executemany(
            "INSERT INTO contacts (email, name, attributes, created_at) VALUES (?, ?, ?, ?)",
            ((f"customer{i}@example.com", f"Customer {i}", json.dumps({"location": ("Leeds", "York", "Bath")[i % 3]}),
              NOW.isoformat(" ")) for i in range(start, min(start + 10_000, contacts))))
    connection.execute("COMMIT")
    connection.close()
    return database


def launch_child(database: Path) -> dict:
    """Seconds, CPU seconds and peak resident memory (kB) of one launch in a child process."""
    done = subprocess.run([sys.executable, "-c", LAUNCH, str(database), NOW.isoformat()], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "HEARKEN_INSTANCE_PATH": str(database.parent)})
    if done.returncode:
        raise SystemExit(f"launch failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sample_email(folder: Path) -> mail.InvitationEmail:
    """One invitation as a launch stores it, for the baseline's rows."""
    folder.mkdir()
    app = fresh_app(folder, MAIL_FROM="feedback@example.test")
    with app.app_context():
        survey = make_survey(now=NOW)
        email = mail.InvitationEmails(survey.current_version).email(
            secrets.token_urlsafe(32), mail.Addressee("Customer 1", "customer1@example.com", secrets.token_urlsafe(32)))
        db.engine.dispose()
    return email


def stored_floor(database: Path, email: mail.InvitationEmail, chunk: int = 500) -> float:
    """Seconds to store what a launch stores for every contact, with sqlite3 executemany, a transaction per
    `chunk` contacts (rows built before each chunk's clock starts)."""
    connection = sqlite3.connect(database)
    configure_sqlite_connection(connection)  # the application's settings (WAL, synchronous, foreign keys …)
    survey_id, = connection.execute("SELECT id FROM surveys").fetchone()
    stamp, headers = NOW.isoformat(" "), json.dumps(email.headers)
    connection.execute("INSERT INTO campaigns (id, survey_id, created_at, segment, scheduled_at, reminders, "
                       "reminder_days, matched, queued, skipped_cap, skipped_unsubscribed) "
                       "VALUES (1, ?, ?, '{}', ?, 0, 3, 0, 0, 0, 0)", (survey_id, stamp, stamp))
    ids = [row[0] for row in connection.execute("SELECT id FROM contacts ORDER BY id")]
    seconds = 0.0
    for start in range(0, len(ids), chunk):
        contacts = ids[start:start + chunk]
        tokens = [(secrets.token_urlsafe(32), contact) for contact in contacts]
        invitations = [(start + n + 1, secrets.token_urlsafe(32), survey_id, contact, stamp, "campaign", 1, stamp, 0)
                       for n, contact in enumerate(contacts)]
        outbox = [(row[0], f"<{secrets.token_hex(16)}@example.test>", "invitation", email.recipient, email.subject,
                   email.text_body, email.html_body, headers, row[3], row[0], 1, "pending", 0, stamp, stamp)
                  for row in invitations]
        rendered = [(row[0], email.raw) for row in invitations]
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany("UPDATE contacts SET unsubscribe_token = ? WHERE id = ?", tokens)
        connection.executemany("INSERT INTO invitations (id, token, survey_id, contact_id, created_at, source, "
                               "campaign_id, scheduled_for, reminders_sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               invitations)
        connection.executemany("INSERT INTO outbox (id, message_id, kind, recipient, subject, text_body, html_body, "
                               "headers, contact_id, invitation_id, campaign_id, status, attempts, not_before, "
                               "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", outbox)
        connection.executemany("INSERT INTO outbox_rendered (outbox_id, data) VALUES (?, ?)", rendered)
        connection.execute("UPDATE campaigns SET queued = ? WHERE id = 1", (start + len(contacts),))
        connection.execute("COMMIT")
        seconds += time.perf_counter() - started
    connection.close()
    return seconds


def large_launches(contacts: int, runs: int) -> tuple[list[dict], list[float]]:
    """`runs` launches to `contacts` contacts, each followed by the baseline on a copy of the same database."""
    launches, floors = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = audience(folder / "template", contacts)
        email = sample_email(folder / "sample")
        for run in range(runs):
            for kind in ("launch", "floor"):
                target = folder / f"{kind}{run}"
                target.mkdir()
                shutil.copyfile(template, target / "bench.sqlite3")
                if kind == "launch":
                    launches.append(launch_child(target / "bench.sqlite3"))
                    assert launches[-1]["queued"] == contacts, launches[-1]
                else:
                    floors.append(stored_floor(target / "bench.sqlite3", email))
                shutil.rmtree(target)  # a run's database is 16 kB a contact
    return launches, floors


def big_launch(contacts: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        result = launch_child(audience(Path(tmp), contacts))
    assert result["queued"] == contacts, result
    return result


def figures(args) -> list[Figure]:
    messages = 200 if args.quick else args.messages
    results = [one_run(messages) for _ in range(1 if args.quick else args.runs)]
    note = f"{messages} invitations per run, SQLite; aiosmtpd (Sink) in its own process"
    found = [
        Figure(key="dispatch.rate", title="invitation emails from one dispatcher to a local SMTP server",
               unit="msg/s", runs=[r[0] for r in results],
               baseline="smtplib sending the same, already-built messages over one connection in a loop",
               baseline_runs=[r[1] for r in results], goal_ratio=0.7, goal_limit=200, note=note),
        Figure(key="dispatch.queue.rate", title="campaign launch: invitations created, rendered and queued",
               unit="msg/s", runs=[r[2] for r in results],
               note=f"{note}; includes rendering each email's final bytes, which the dispatcher no longer does"),
    ]
    contacts, big = (2_000, 10_000) if args.quick else (args.launch_contacts, args.big_contacts)
    launches, floors = large_launches(contacts, 1 if args.quick else args.runs)
    cpu = ", ".join(f"{run['cpu']:.1f}" for run in launches)
    found.append(Figure(
        key="campaign.launch.seconds", title=f"campaign of {count(contacts)} contacts queued", unit="s",
        runs=[run["seconds"] for run in launches], better="lower",
        baseline="sqlite3 executemany of the same rows, a transaction per 500 contacts",
        baseline_runs=floors, goal_limit=30,
        note=f"SQLite; invitations, outbox rows and rendered emails (16 kB a contact) committed every 500 "
             f"contacts; CPU {cpu} s"))
    if big:
        result = big_launch(big)
        found.append(Figure(
            key="campaign.launch.memory", title=f"peak memory launching a campaign of {count(big)} contacts",
            unit="MB", runs=[result["peak_kib"] / 1024], better="lower",
            baseline=f"the same launch to {count(contacts)} contacts",
            baseline_runs=[run["peak_kib"] / 1024 for run in launches], goal_ratio=0.9,
            note=f"VmHWM of the launching process, application included; the launch took {result['seconds']:.0f} s "
                 f"(CPU {result['cpu']:.0f} s)"))
    return found


if __name__ == "__main__":
    bench_main(__doc__, figures, arguments=arguments, runs=3)
