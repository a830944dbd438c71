"""Benchmark: `flask changes-digest` over a survey of 1 000 000 responses (issue 20: under 1 s).

The survey of bench/detect_trends.py (10 rating questions, 5 locations, 24 months), with 12 published
changes in the quarter (four done, four in progress, four planned), each measuring its impact on a question
(every third in one location) and raised by a few hundred responses, and 5 000 contacts who agreed to be
contacted. Timed as an analyst runs it: the command in a new process (interpreter, application, statistics
and all), its preview printed. For scale the same run times a bare `GROUP BY question_key, value_int` over
the raw answers, what one impact measured without the rollup would at least cost.

    .venv/bin/python bench/changes_digest.py --responses 1000000 [--runs 3]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Figure, bench_main, count, timed  # noqa: E402
from detect_trends import LOCATIONS, NOW, survey_database  # noqa: E402

QUARTER = "2026Q4"
CONTACTS = 5_000


def add_changes(app) -> None:
    """Contacts who agreed to be contacted, and the quarter's published changes (setup, not measured)."""
    from sqlalchemy import text

    from survey.authoring.editing import find_survey
    from survey.extensions import db
    from survey.models import ChangeEntry, ChangeLink

    with app.app_context():
        survey = find_survey("bench")
        raw = db.session.connection()
        raw.execute(text("INSERT INTO contacts (email, name, attributes, created_at, updated_at) "
                         "VALUES (:email, '', '{}', :now, :now)"),
                    [{"email": f"c{i}@example.test", "now": NOW} for i in range(CONTACTS)])
        raw.execute(text("UPDATE responses SET contact_id = id, contact_consent = 1 WHERE id <= :n"), {"n": CONTACTS})
        for i, status in enumerate(["done"] * 4 + ["in_progress"] * 4 + ["planned"] * 4):
            day = NOW.date() - timedelta(days=20 + 3 * i) if status != "planned" else NOW.date() + timedelta(days=i)
            entry = ChangeEntry(
                title=f"Change {i}", you_said="You said so.", we_did="We did it.", we_did_html="<p>We did it.</p>",
                category="Service", status=status, changed_on=day, impact_survey_id=survey.id,
                impact_question=f"q{i % 10}", impact_segment_name="location" if i % 3 == 0 else "",
                impact_segment_value=LOCATIONS[i % 5] if i % 3 == 0 else "", created_at=NOW, updated_at=NOW,
                published_at=NOW)
            first = 10_000 + 1000 * i  # raised by 100 to 507 responses: the sections sort by it
            entry.links = [ChangeLink(response_id=r) for r in range(first, first + 100 + 37 * i)]
            db.session.add(entry)
        db.session.commit()
        db.engine.dispose()


def measure(responses: int, runs: int) -> Figure:
    from sqlalchemy import text

    from survey.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = survey_database(Path(tmp), responses)
        add_changes(app)
        environment = {**os.environ, "HEARKEN_INSTANCE_PATH": tmp, "HEARKEN_SECRET_KEY": "bench",
                       "HEARKEN_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "HEARKEN_TIMEZONE": "UTC"}
        command = [sys.executable, "-m", "flask", "--app", "app", "changes-digest", "--quarter", QUARTER]

        def digest() -> None:
            done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
            assert done.returncode == 0 and "Change 3" in done.stdout, done.stderr[-2000:]

        digest()  # the database's pages into the cache, as on a server that has been running
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            digest()
            seconds.append(time.perf_counter() - started)
        with app.app_context():
            _, base = timed(lambda: db.session.execute(text(
                "SELECT question_key, value_int, count(*) FROM answers GROUP BY question_key, value_int")).all(), runs)
            db.engine.dispose()
    return Figure(
        key=f"changes_digest.{responses}", title=f"changes-digest over {count(responses)} responses, a new process",
        unit="s", runs=seconds, better="lower", goal_limit=1.0, baseline="bare GROUP BY over the raw answers",
        baseline_runs=base,
        note=f"12 published changes in {QUARTER}, each with its impact measured, {count(CONTACTS)} contacts who "
             f"agreed to be contacted; the whole command: interpreter, application, statistics, preview")


def figures(args) -> list[Figure]:
    return [measure(responses, args.runs) for responses in ([20_000] if args.quick else args.responses)]


if __name__ == "__main__":
    bench_main(__doc__, figures, lambda parser: parser.add_argument(
        "--responses", type=int, nargs="+", default=[1_000_000]))
