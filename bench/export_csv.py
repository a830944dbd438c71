"""Benchmark: CSV export of many responses (issue 9: ≥ 30 % of a raw cursor dump's speed, peak memory
under 150 MB), and the XLSX export beside it.

The survey of bench/detect_trends.py (10 rating questions, 5 locations), from its cached database. Each
export runs in a fresh child process, so its peak resident memory (VmHWM, which unlike ru_maxrss starts
afresh at exec) is its own; its seconds are timed in the child around the export alone (the application's
start-up, about half a second, is not counted). The baseline dumps the same rows with the raw sqlite3 cursor
and csv.writer (no ORM, no answer pivoting, no neutralisation: one line per answer) in the same kind of
child. Each run times the baseline, the CSV and the XLSX export one after the other, so a busy moment of
the machine weighs on all three.

    .venv/bin/python bench/export_csv.py --responses 1000000 [--runs 3]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Figure, bench_main, count  # noqa: E402
from detect_trends import survey_database  # noqa: E402

# Each child prints one JSON line: the seconds of its work and its peak resident memory in kB.
REPORT = """
import json, time
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_kib": int(next(line.split()[1] for line in open("/proc/self/status")
                                       if line.startswith("VmHWM")))}))
"""

RAW_DUMP = """
import csv, sqlite3, sys, time
started = time.perf_counter()
connection = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w", newline="") as out:
    writer = csv.writer(out, lineterminator="\\n")
    cursor = connection.execute("SELECT r.id, r.submitted_at, a.question_key, a.value_int FROM responses r "
                                "JOIN answers a ON a.response_id = r.id ORDER BY r.id")
    while rows := cursor.fetchmany(10000):
        writer.writerows(rows)
""" + REPORT

EXPORT = """
import sys, time
from survey import create_app
from survey.authoring import find_survey
from survey.exports import Selection, write_csv, write_xlsx
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "SECRET_KEY": "bench"})
with app.app_context():
    started = time.perf_counter()
    selection = Selection(find_survey("bench"))
    if sys.argv[3] == "xlsx":
        with open(sys.argv[2], "wb") as out:
            write_xlsx(selection, out)
    else:
        with open(sys.argv[2], "w", encoding="utf-8", newline="") as out:
            write_csv(selection, out)
""" + REPORT


def child(code: str, database: Path, out: Path, *args: str) -> dict:
    """Seconds and peak resident memory (kB) of one child process, and the size of what it wrote."""
    done = subprocess.run([sys.executable, "-c", code, str(database), str(out), *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "HEARKEN_INSTANCE_PATH": f"{database}.instance"})
    if done.returncode:
        raise SystemExit(f"child failed:\n{done.stderr}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "bytes": out.stat().st_size}


def figures(args) -> list[Figure]:
    responses = 2_000 if args.quick else args.responses
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        survey_database(folder, responses)
        database, out = folder / "bench.sqlite3", folder / "out"
        raw, csv, xlsx = [], [], []
        for _ in range(args.runs):
            raw.append(child(RAW_DUMP, database, out))
            csv.append(child(EXPORT, database, out, "csv"))
            xlsx.append(child(EXPORT, database, out, "xlsx"))

    def seconds(runs: list[dict]) -> list[float]:
        return [run["seconds"] for run in runs]

    def peak_mb(runs: list[dict]) -> list[float]:
        return [run["peak_kib"] / 1024 for run in runs]

    def written_mb(runs: list[dict]) -> str:
        return f"{max(run['bytes'] for run in runs) / 1e6:.0f} MB"

    size = f"{count(responses)} responses × 10 rating questions, 5 locations; SQLite"
    baseline = "raw sqlite3 cursor dump of the same rows (responses joined to answers) with csv.writer"
    return [
        Figure(key="export.csv.seconds", title=f"export {count(responses)} responses as CSV", unit="s",
               runs=seconds(csv), better="lower", baseline=baseline, baseline_runs=seconds(raw), goal_ratio=0.3,
               note=f"{size}; {written_mb(csv)} written, the dump {written_mb(raw)}"),
        Figure(key="export.csv.memory", title=f"peak memory exporting {count(responses)} responses as CSV",
               unit="MB", runs=peak_mb(csv), better="lower", goal_limit=150,
               note=f"{size}; VmHWM of the exporting process, application included; the raw dump's "
                    f"{max(peak_mb(raw)):.0f} MB"),
        Figure(key="export.xlsx.seconds", title=f"export {count(responses)} responses as XLSX", unit="s",
               runs=seconds(xlsx), better="lower", baseline=baseline, baseline_runs=seconds(raw),
               note=f"{size}; peak memory {max(peak_mb(xlsx)):.0f} MB; {written_mb(xlsx)} written"),
    ]


if __name__ == "__main__":
    bench_main(__doc__, figures, lambda parser: parser.add_argument("--responses", type=int, default=1_000_000))
