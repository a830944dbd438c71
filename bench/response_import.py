"""Benchmark: importing 1 000 000 historical responses from CSV on SQLite (goals: under 30 s, at most 200 MB).

The file: the six-question survey of the tests (rating, NPS, choice, multi, yes/no, text), two years of
responses in time order, 70 % with one of 50 000 customers' addresses, location, team and touchpoint
attributes, about five answers a row; made by a seeded generator, so every run imports the same bytes.

Each run imports the file into a fresh migrated database, in a child process (its peak resident memory,
VmHWM, is then the import's own; the seconds are timed in the child around `import_responses` alone, in
wall-clock and CPU time, the CPU time of its first pass too).
Baseline, same run: sqlite3 executemany of the same rows — contacts, responses (ids given) and answers,
values already converted — into the same tables of a fresh migrated database, with the app's connection
settings (foreign keys checked, synchronous=NORMAL) and the import's page cache, in one transaction: the
floor for storing them, with no reading, checking or counting (its CPU time is timed as well).

    .venv/bin/python bench/response_import.py [--rows 1000000] [--runs 3]
"""
from __future__ import annotations

import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Figure, bench_main, count, fresh_app  # noqa: E402

from survey.transfer.response_import import SQLITE_CACHE_KIB  # noqa: E402

NOW = datetime(2026, 11, 1, 9, 0)
START = NOW - timedelta(days=730)
LOCATIONS = ("Leeds", "York", "Bath", "Hull", "Ely")
TEAMS = ("Billing", "Deliveries", "Technical")
TOUCHPOINTS = ("Phone", "Email", "Chat", "In store")
COMMENTS = ("Quick and friendly, thank you.", "Nobody called me back.", "=HYPERLINK(\"x\")",
            "It took three emails to get an answer.", "<b>Still</b> not fixed after two weeks.")
HEADER = ["submitted_at", "email", "attr.location", "attr.team", "attr.touchpoint", "satisfaction",
          "recommend", "channel", "topics", "resolved", "comment"]

IMPORT = """
import sys, time
from datetime import datetime
from survey import create_app
from survey.progress import Progress
from survey.transfer import response_import
from survey.authoring.editing import find_survey

class Checked(Progress):  # the CPU time when the first pass (checking every row) ends
    checking = 0.0

    def tick(self, phase, done, total=None):
        if phase == "writing" and not self.checking:
            self.checking = time.process_time()

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "SECRET_KEY": "bench"})
with app.app_context(), open(sys.argv[2], "rb") as data:
    survey, progress = find_survey("support-csat"), Checked()
    started, cpu = time.perf_counter(), time.process_time()
    outcome = response_import.import_responses(survey, data, now=datetime.fromisoformat(sys.argv[3]), actor="bench",
                                               progress=progress)
    seconds = time.perf_counter() - started
print(outcome.imported, outcome.skipped, seconds, time.process_time() - cpu, progress.checking - cpu)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def make_csv(path: Path, rows: int) -> None:
    rng = random.Random(2026)
    step = (NOW - START) / rows
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for i in range(rows):
            moment = START + step * i
            satisfaction = rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 5, 8))[0]
            writer.writerow([
                moment.strftime("%Y-%m-%d %H:%M:%S"),
                f"customer{rng.randrange(50_000)}@example.com" if rng.random() < 0.7 else "",
                rng.choice(LOCATIONS), rng.choice(TEAMS), rng.choice(TOUCHPOINTS), satisfaction,
                min(10, max(0, satisfaction * 2 + rng.choice((-1, 0, 0, 1)))), rng.choice(("Phone", "Email", "")),
                ";".join(rng.sample(("Billing", "Delivery", "Product"), rng.choice((0, 0, 1, 2)))),
                rng.choice(("yes", "no", "")), rng.choice(COMMENTS) if rng.random() < 0.3 else "",
            ])


def fresh_database(folder: Path) -> Path:
    from tests.factories import make_survey

    app = fresh_app(folder)
    with app.app_context():
        make_survey(now=START - timedelta(days=1))
    return folder / "bench.sqlite3"


class Run(NamedTuple):
    seconds: float  # timed in the child, around import_responses
    peak: float  # MB: the child's VmHWM
    imported: int
    cpu: float  # seconds of CPU of the import, and of its first pass (checking every row)
    checking: float


def hearken_import(csv_path: Path) -> Run:
    """One import into a fresh database, in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        database = fresh_database(Path(tmp))
        done = subprocess.run([sys.executable, "-c", IMPORT, str(database), str(csv_path), NOW.isoformat()],
                              capture_output=True, text=True, check=True, cwd=ROOT,
                              env={**os.environ, "HEARKEN_INSTANCE_PATH": tmp})
    counts, peak = done.stdout.strip().splitlines()[-2:]
    imported, _skipped, seconds, cpu, checking = counts.split()
    return Run(float(seconds), int(peak) / 1024, int(imported), float(cpu), float(checking))


def _baseline_batches(csv_path: Path, survey_id: int, version_id: int, options: dict, batch: int = 5000):
    """The file's rows as the tables store them, a batch at a time (made before the clock starts)."""
    with open(csv_path, newline="", encoding="utf-8") as data:
        reader = csv.reader(data)
        next(reader)
        contacts: dict[str, int] = {}
        responses, answers, new_contacts = [], [], []
        for response_id, cells in enumerate(reader, start=1):
            when, email, location, team, touchpoint, satisfaction, recommend, channel, topics, resolved, comment = cells
            if email and email not in contacts:
                contacts[email] = len(contacts) + 1
                new_contacts.append((contacts[email], email, "", "{}", str(NOW)))
            responses.append((response_id, f"import:{response_id}", survey_id, version_id, contacts.get(email),
                              "import", when + ".000000", when[:10], when + ".000000", 1, 0, 0,
                              json.dumps({"location": location, "team": team, "touchpoint": touchpoint})))
            answers += [(response_id, "satisfaction", int(satisfaction), None),
                        (response_id, "recommend", int(recommend), None)]
            if channel:
                answers.append((response_id, "channel", options["channel"].index(channel) + 1, channel))
            answers += [(response_id, "topics", options["topics"].index(t) + 1, t) for t in topics.split(";") if t]
            if resolved:
                answers.append((response_id, "resolved", int(resolved == "yes"), None))
            if comment:
                answers.append((response_id, "comment", None, comment))
            if len(responses) == batch:
                yield new_contacts, responses, answers
                responses, answers, new_contacts = [], [], []
        yield new_contacts, responses, answers


def baseline(csv_path: Path) -> tuple[float, float]:
    """Seconds and CPU seconds of the inserts and the commit (the rows are made before each is timed)."""
    from tests.factories import DEFINITION

    options = {q["key"]: q.get("options") for q in DEFINITION["questions"]}
    with tempfile.TemporaryDirectory() as tmp:
        connection = sqlite3.connect(fresh_database(Path(tmp)), isolation_level=None)
        connection.execute("PRAGMA foreign_keys=ON")  # as survey/database.py sets every connection
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")  # as survey.transfer.response_import.bulk_work
        connection.execute("BEGIN IMMEDIATE")
        survey_id, version_id = connection.execute("SELECT survey_id, id FROM survey_versions").fetchone()
        seconds = cpu = 0.0
        for contacts, responses, answers in _baseline_batches(csv_path, survey_id, version_id, options):
            started, cpu_started = time.perf_counter(), time.process_time()
            connection.executemany("INSERT INTO contacts (id, email, name, attributes, created_at) "
                                   "VALUES (?, ?, ?, ?, ?)", contacts)
            connection.executemany(
                "INSERT INTO responses (id, respondent_key, survey_id, version_id, contact_id, source, submitted_at, "
                "local_date, updated_at, revisions_count, quote_consent, contact_consent, attributes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", responses)
            connection.executemany("INSERT INTO answers (response_id, question_key, value_int, value_text) "
                                   "VALUES (?, ?, ?, ?)", answers)
            seconds, cpu = seconds + time.perf_counter() - started, cpu + time.process_time() - cpu_started
        started, cpu_started = time.perf_counter(), time.process_time()
        connection.execute("COMMIT")
        seconds, cpu = seconds + time.perf_counter() - started, cpu + time.process_time() - cpu_started
        connection.close()
        return seconds, cpu


def figures(args) -> list[Figure]:
    rows = 20_000 if args.quick else args.rows
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "history.csv"
        make_csv(csv_path, rows)
        size = csv_path.stat().st_size
        runs = [hearken_import(csv_path) for _ in range(args.runs)]
        assert all(run.imported == rows for run in runs), runs  # a refused file would be fast
        floor = [baseline(csv_path) for _ in range(args.runs)]
    what = f"import {count(rows)} historical responses from CSV, SQLite"
    # CPU seconds as well: on a shared machine they vary less than the wall clock's.
    note = (f"{size / 1e6:.0f} MB file: 6-question survey, ~5.5 answers and 3 segment attributes a row, 70 % with "
            f"one of 50 000 addresses; CPU {median(run.cpu for run in runs):.1f} s (checking every row first: "
            f"{median(run.checking for run in runs):.1f} s), the baseline's {median(cpu for _s, cpu in floor):.1f} s")
    return [Figure(key="response_import.seconds", title=what, unit="s", runs=[run.seconds for run in runs],
                   better="lower",
                   baseline="sqlite3 executemany of the same rows (contacts, responses, answers), app's settings",
                   baseline_runs=[seconds for seconds, _cpu in floor], goal_limit=30, note=note),
            Figure(key="response_import.memory", title=f"{what}: peak memory of the importing process", unit="MB",
                   runs=[run.peak for run in runs], better="lower", goal_limit=200)]


if __name__ == "__main__":
    bench_main(__doc__, figures, lambda parser: parser.add_argument("--rows", type=int, default=1_000_000))
