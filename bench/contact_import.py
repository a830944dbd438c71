"""Benchmark: importing 100 000 contacts from CSV on SQLite (goal: under 10 s).

Each run builds a fresh migrated SQLite database in a temporary folder, imports the file (100 000 new
contacts), then imports it again with every name changed (100 000 updates). Baseline, same run:
executemany of the same rows into an equivalent table with the sqlite3 driver (no parsing, no validation)
— the floor for this stack. Most of the difference is email validation (validate_email on every address)
and SQLAlchemy's per-row bind processing (JSON, datetimes).

    .venv/bin/python bench/contact_import.py [--rows 100000] [--runs 3]
"""
from __future__ import annotations

import io
import json
import random
import sqlite3
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, bench_main, count, fresh_app, timed  # noqa: E402

NOW = datetime(2026, 11, 1, 9, 0)


def make_csv(rows: int) -> bytes:
    rng = random.Random(2026)
    lines = ["email,name,location,team,touchpoint,customer_since"]
    for i in range(rows):
        lines.append(f"customer{i}@example.com,Customer {i},{rng.choice(['Leeds', 'York', 'Bath', 'Hull', 'Ely'])},"
                     f"{rng.choice(['Billing', 'Deliveries', 'Technical'])},{rng.choice(['Phone', 'Email', 'Chat'])},"
                     f"{rng.randrange(2005, 2026)}")
    return ("\n".join(lines) + "\n").encode()


def hearken_import(data: bytes, rows: int) -> tuple[float, float]:
    """Seconds to import into a fresh database, then to import it again with every row changed."""
    from survey.outreach import contacts

    changed = data.replace(b",Customer ", b",Client ")
    with tempfile.TemporaryDirectory() as tmp:
        app = fresh_app(Path(tmp))
        with app.app_context():
            reports = []
            first, _ = timed(lambda: reports.append(contacts.import_contacts(io.BytesIO(data), now=NOW)), 1)
            again, _ = timed(lambda: reports.append(contacts.import_contacts(io.BytesIO(changed), now=NOW)), 1)
        # A refused file would be timed as very fast: check the work was done.
        assert (reports[0].created, reports[0].errors, reports[0].file_error) == (rows, [], None), reports[0]
        assert reports[1].updated == rows, reports[1]
        return first, again


def baseline(data: bytes) -> float:
    rows = [line.split(",") for line in data.decode().splitlines()[1:]]
    with tempfile.TemporaryDirectory() as tmp:
        connection = sqlite3.connect(Path(tmp) / "baseline.sqlite3")
        connection.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, "
                           "attributes TEXT, created_at TEXT)")
        values = [(r[0], r[1], json.dumps({"location": r[2], "team": r[3], "touchpoint": r[4],
                                           "customer_since": r[5]}), str(NOW)) for r in rows]

        def insert():
            connection.execute("DELETE FROM contacts")
            connection.executemany("INSERT INTO contacts (email, name, attributes, created_at) VALUES (?, ?, ?, ?)",
                                   values)
            connection.commit()
        median, _ = timed(insert, 1)
        connection.close()
        return median


def figures(args) -> list[Figure]:
    rows = 5_000 if args.quick else args.rows
    data = make_csv(rows)
    runs = [hearken_import(data, rows) for _ in range(args.runs)]  # a fresh database each run
    floor = [baseline(data) for _ in range(args.runs)]
    common = dict(unit="s", better="lower", baseline="sqlite3 executemany of the same rows, no parsing or checks",
                  baseline_runs=floor)
    return [Figure(key="contact_import.new", title=f"import {count(rows)} new contacts from CSV, SQLite",
                   runs=[r[0] for r in runs], goal_limit=10, **common),
            Figure(key="contact_import.update",
                   title=f"import the same {count(rows)} contacts again, every row changed",
                   runs=[r[1] for r in runs], **common)]


if __name__ == "__main__":
    bench_main(__doc__, figures, lambda parser: parser.add_argument("--rows", type=int, default=100_000))
