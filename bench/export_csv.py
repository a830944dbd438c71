"""Benchmark: CSV export of many responses (issue 9: ≥ 30 % of a raw cursor dump's speed, peak memory
under 150 MB), and the XLSX export beside it (issue 22: ≥ 25 % of the same dump's speed, in as flat memory).

The survey of bench/detect_trends.py (10 rating questions, 5 locations), from its cached database. Each
export runs in a fresh child process, so its peak resident memory (VmHWM, which unlike ru_maxrss starts
afresh at exec) is its own; its seconds are timed in the child around the export alone (the application's
start-up, about half a second, is not counted), beside its CPU seconds (steadier when the machine is shared).
The baseline dumps the same rows with the raw sqlite3 cursor and csv.writer (no ORM, no answer pivoting, no
neutralisation: one line per answer) in the same kind of child. Each run times the baseline, the CSV and the
XLSX export one after the other, so a busy moment of the machine weighs on all three.

The same survey is also copied into PostgreSQL (--postgres URL, by default the benches' own database
hearken_bench, created if missing and emptied; --postgres '' to skip) and the CSV export timed there against
PostgreSQL's own `COPY (the same join) TO STDOUT WITH CSV`.

    .venv/bin/python bench/export_csv.py --responses 1000000 [--runs 3] [--postgres URL]
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_POSTGRESQL, ROOT, Figure, bench_main, count, postgresql_problem  # noqa: E402
from detect_trends import survey_database  # noqa: E402

# Each child prints one JSON line: the seconds of its work (and their CPU seconds) and its peak resident
# memory in kB. Each sets `started` and `cpu_started` when its work begins.
REPORT = """
import json, time
print(json.dumps({"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu_started,
                  "peak_kib": int(next(line.split()[1] for line in open("/proc/self/status")
                                       if line.startswith("VmHWM")))}))
"""

# The baseline's rows: one per answer, with its response's id and time.
JOINED = ("SELECT r.id, r.submitted_at, a.question_key, a.value_int FROM responses r "
          "JOIN answers a ON a.response_id = r.id")

RAW_DUMP = f"""
import csv, sqlite3, sys, time
started, cpu_started = time.perf_counter(), time.process_time()
connection = sqlite3.connect(sys.argv[1].removeprefix("sqlite:///"))
with open(sys.argv[2], "w", newline="") as out:
    writer = csv.writer(out, lineterminator="\\r\\n")  # as Hearken's exports end their lines
    cursor = connection.execute("{JOINED} ORDER BY r.id")
    while rows := cursor.fetchmany(10000):
        writer.writerows(rows)
""" + REPORT

COPY = f"""
import sys, time
import psycopg
started, cpu_started = time.perf_counter(), time.process_time()
with psycopg.connect(sys.argv[1].replace("+psycopg", "")) as connection, open(sys.argv[2], "wb") as out:
    with connection.cursor().copy("COPY ({JOINED} ORDER BY r.id) TO STDOUT WITH CSV") as copy:
        for block in copy:
            out.write(block)
""" + REPORT

EXPORT = """
import sys, time
from survey import create_app
from survey.authoring.editing import find_survey
from survey.transfer.exports import Selection, write_csv, write_xlsx
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "bench"})
with app.app_context():
    started, cpu_started = time.perf_counter(), time.process_time()
    selection = Selection(find_survey("bench"))
    if sys.argv[3] == "xlsx":
        with open(sys.argv[2], "wb") as out:
            write_xlsx(selection, out)
    else:
        with open(sys.argv[2], "w", encoding="utf-8", newline="") as out:
            write_csv(selection, out)
""" + REPORT


def child(code: str, url: str, out: Path, *args: str) -> dict:
    """Seconds and peak resident memory (kB) of one child process, and the size of what it wrote."""
    done = subprocess.run([sys.executable, "-c", code, url, str(out), *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "HEARKEN_INSTANCE_PATH": f"{out}.instance"})
    if done.returncode:
        raise SystemExit(f"child failed:\n{done.stderr}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "bytes": out.stat().st_size}


def figures(args) -> list[Figure]:
    responses = 2_000 if args.quick else args.responses
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        survey_database(folder, responses)
        database, out = f"sqlite:///{folder / 'bench.sqlite3'}", folder / "out"
        raw, csv, xlsx, copied, on_postgres = [], [], [], [], []
        for _ in range(args.runs):
            raw.append(child(RAW_DUMP, database, out))
            csv.append(child(EXPORT, database, out, "csv"))
            xlsx.append(child(EXPORT, database, out, "xlsx"))
        if args.postgres and (problem := postgresql_problem(args.postgres)):
            print(f"PostgreSQL skipped: {problem}", file=sys.stderr)
        elif args.postgres:
            copy_to_postgres(folder / "bench.sqlite3", args.postgres)
            for _ in range(args.runs):
                copied.append(child(COPY, args.postgres, out))
                on_postgres.append(child(EXPORT, args.postgres, out, "csv"))

    def seconds(runs: list[dict]) -> list[float]:
        return [run["seconds"] for run in runs]

    def peak_mb(runs: list[dict]) -> list[float]:
        return [run["peak_kib"] / 1024 for run in runs]

    def cpu(runs: list[dict]) -> str:
        return f"{statistics.median(run['cpu_seconds'] for run in runs):.1f} s"

    def written_mb(runs: list[dict]) -> str:
        return f"{max(run['bytes'] for run in runs) / 1e6:.0f} MB"

    size = f"{count(responses)} responses × 10 rating questions, 5 locations; SQLite"
    baseline = "raw sqlite3 cursor dump of the same rows (responses joined to answers) with csv.writer"
    postgres = [Figure(
        key="export.csv.postgres.seconds", title=f"export {count(responses)} responses as CSV, PostgreSQL",
        unit="s", runs=seconds(on_postgres), better="lower", baseline="COPY (the same join) TO STDOUT WITH CSV",
        baseline_runs=seconds(copied), goal_ratio=0.3,
        note=f"{size[:-len('SQLite')]}PostgreSQL; peak memory {max(peak_mb(on_postgres)):.0f} MB",
    )] if copied else []
    return [
        Figure(key="export.csv.seconds", title=f"export {count(responses)} responses as CSV", unit="s",
               runs=seconds(csv), better="lower", baseline=baseline, baseline_runs=seconds(raw), goal_ratio=0.3,
               note=f"{size}; {written_mb(csv)} written, the dump {written_mb(raw)}"),
        Figure(key="export.csv.memory", title=f"peak memory exporting {count(responses)} responses as CSV",
               unit="MB", runs=peak_mb(csv), better="lower", goal_limit=150,
               note=f"{size}; VmHWM of the exporting process, application included; the raw dump's "
                    f"{max(peak_mb(raw)):.0f} MB"),
        Figure(key="export.xlsx.seconds", title=f"export {count(responses)} responses as XLSX", unit="s",
               runs=seconds(xlsx), better="lower", baseline=baseline, baseline_runs=seconds(raw), goal_ratio=0.25,
               note=f"{size}; {written_mb(xlsx)} written; CPU {cpu(xlsx)}, the CSV export's {cpu(csv)}, "
                    f"the dump's {cpu(raw)}"),
        Figure(key="export.xlsx.memory", title=f"peak memory exporting {count(responses)} responses as XLSX",
               unit="MB", runs=peak_mb(xlsx), better="lower", goal_limit=150,
               note=f"{size}; VmHWM of the exporting process, application included"),
        *postgres,
    ]


def copy_to_postgres(sqlite_file: Path, url: str) -> None:
    """The bench survey's tables, copied into an emptied, migrated PostgreSQL database and analysed."""
    import contextlib
    import io
    import sqlite3

    from sqlalchemy import text

    from survey import create_app, database
    from survey.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    source = sqlite3.connect(sqlite_file)
    with app.app_context():
        db.session.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        with contextlib.redirect_stderr(io.StringIO()):  # Alembic logs every migration
            database.upgrade()
        raw = db.session.connection().connection.driver_connection
        for table in ("surveys", "survey_versions", "questions", "responses", "answers"):
            columns = [(name, kind) for _cid, name, kind, *_rest in source.execute(f"PRAGMA table_info({table})")]
            names = ", ".join(name for name, _kind in columns)
            # SQLite keeps booleans as 0/1, which PostgreSQL's COPY does not take for a boolean column.
            booleans = [i for i, (_name, kind) in enumerate(columns) if kind == "BOOLEAN"]
            with raw.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {names} FROM {table}"):
                    row = list(row)
                    for i in booleans:
                        row[i] = None if row[i] is None else bool(row[i])
                    copy.write_row(row)
            raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        raw.commit()
        raw.execute("ANALYZE")
        raw.commit()
        db.engine.dispose()


if __name__ == "__main__":
    def arguments(parser):
        parser.add_argument("--responses", type=int, default=1_000_000)
        parser.add_argument("--postgres", metavar="URL", default=BENCH_POSTGRESQL,
                            help="also on this PostgreSQL database (emptied first; created if missing); '' for none")

    bench_main(__doc__, figures, arguments)
