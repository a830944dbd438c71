"""Benchmark: requests per second for the public /changes page on two gunicorn workers, warm, against a
static file served by the same server (goal: at least half of its rate).

The database is the demo (three published changes with quotes and an impact line), on SQLite. The load
comes from separate client processes (bench/http_load.py: 2 processes × 4 connections in flight, each
request a new connection, as gunicorn's sync workers close every one); page and file alternate in
one-second slices (http_load.side_by_side), so both see the same machine.

    .venv/bin/python bench/changes_page.py [--seconds 5] [--runs 3] [--quick]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Figure, bench_main  # noqa: E402
from http_load import PROCESSES, THREADS, client_note, compare_gets, gunicorn  # noqa: E402

STATIC = "/static/css/hearken.css"


def arguments(parser) -> None:
    parser.add_argument("--seconds", type=float, default=5, help="length of each measurement")


def figures(args) -> list[Figure]:
    seconds = 1 if args.quick else args.seconds
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app"]
    with tempfile.TemporaryDirectory() as instance:
        environment = {"HEARKEN_INSTANCE_PATH": instance}
        for command in (["db", "upgrade"], ["seed-demo"]):
            done = subprocess.run([*flask, *command], env={**os.environ, **environment}, cwd=ROOT,
                                  capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        with gunicorn("app:app", environment=environment, ready_path=STATIC) as port:
            pages, statics = compare_gets(port, "/changes", STATIC, runs=args.runs, seconds=seconds)
    return [Figure(key="changes.rate", title="public /changes page, 2 gunicorn workers, warm", unit="req/s",
                   runs=[load.rate for load in pages], baseline=f"{STATIC} from the same server",
                   baseline_runs=[load.rate for load in statics], goal_ratio=0.5,
                   note=f"demo data on SQLite; {PROCESSES} client processes × {THREADS} connections "
                        f"({client_note(pages + statics)}); {seconds:g} s per run")]


if __name__ == "__main__":
    bench_main(__doc__, figures, arguments=arguments, runs=3)
