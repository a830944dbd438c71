"""Benchmark: CSV export of many responses (issue 9: ≥ 30 % of a raw cursor dump's speed, peak memory
under 150 MB), and the XLSX export beside it.

The survey of bench/detect_trends.py (10 rating questions). The database is built once; each export then
runs in a fresh child process, so its peak resident memory (VmHWM, which unlike ru_maxrss starts afresh at
exec) is its own. The baseline dumps the same rows with the raw sqlite3 cursor and csv.writer (no ORM, no
answer pivoting, no neutralisation) in the same kind of child process.

    .venv/bin/python bench/export_csv.py --responses 1000000 [--runs 3]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, fresh_app, spread  # noqa: E402
from detect_trends import load, make_survey  # noqa: E402

RAW_DUMP = """
import csv, sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
writer = csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\\n")
cursor = connection.execute("SELECT r.id, r.submitted_at, a.question_key, a.value_int FROM responses r "
                            "JOIN answers a ON a.response_id = r.id ORDER BY r.id")
while rows := cursor.fetchmany(10000):
    writer.writerows(rows)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""

EXPORT = """
import sys
from survey import create_app
from survey.exports import Selection, write_csv, write_xlsx
from survey.authoring import find_survey
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + sys.argv[1], "SECRET_KEY": "bench"})
with app.app_context():
    selection = Selection(find_survey("bench"))
    if sys.argv[3] == "xlsx":
        with open(sys.argv[2], "wb") as out:
            write_xlsx(selection, out)
    else:
        with open(sys.argv[2], "w", newline="") as out:
            write_csv(selection, out)
print(next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")))
"""


def child(code: str, *args: str) -> tuple[float, float]:
    """Seconds and peak resident MB of one child process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
                          cwd=ROOT, env={**os.environ, "HEARKEN_INSTANCE_PATH": args[0] + ".instance"})
    return time.perf_counter() - started, int(done.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = fresh_app(Path(tmp))
        with app.app_context():
            load(app, make_survey(), args.responses)
        database, out = str(Path(tmp) / "bench.sqlite3"), str(Path(tmp) / "out")
        results = {}
        for name, code, extra in (("raw cursor dump", RAW_DUMP, ()), ("export CSV", EXPORT, ("csv",)),
                                  ("export XLSX", EXPORT, ("xlsx",))):
            runs = [child(code, database, out, *extra) for _ in range(args.runs)]
            seconds = sorted(r[0] for r in runs)
            results[name] = (seconds[len(seconds) // 2], max(r[1] for r in runs), os.path.getsize(out), seconds)
        base = results["raw cursor dump"][0]
        for name, (median, peak, size, seconds) in results.items():
            print(f"{args.responses:>9} responses, {name}: {median:.1f} s (runs: {spread(seconds)}), "
                  f"{args.responses / median:,.0f} responses/s, {base / median:.0%} of the raw dump's speed, "
                  f"peak memory {peak:.0f} MB, {size / 1e6:.0f} MB written")


if __name__ == "__main__":
    main()
