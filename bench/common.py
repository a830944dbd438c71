"""Shared by the benchmarks: the figure every bench reports, the command line they share, a fresh migrated
app on a temporary SQLite database, and timing helpers.

Each bench module defines `figures(args) -> list[Figure]` and ends with `bench_main(__doc__, figures, ...)`.
Run alone it prints its figures; `bench/run.py` (`make bench`) runs every bench in its own process with
`--json FILE`, then writes docs/benchmarks.md and bench/figures.json from what they report.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The figures are an installed deployment's, which runs from bytecode (pip compiles at install). A machine
# that sets PYTHONDONTWRITEBYTECODE (this one did) makes every new process compile the application's source
# again: 0.2-0.3 s on each changes-digest and cold dashboard process, nothing a deployment pays. Every
# process a benchmark starts inherits this; its warm-up run writes the bytecode.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.path.insert(0, str(ROOT))


@dataclass
class Figure:
    """One measured figure: every run's value, and optionally the same run's baseline and the goals.

    `ratio` is always "how fast against the baseline" (1.0 = as fast): value / baseline when higher is
    better (throughput), baseline / value when lower is better (seconds). Goals: `goal_ratio` is the least
    ratio; `goal_limit` the most (lower is better) or least (higher is better) acceptable median.
    """

    key: str                       # stable identifier, e.g. "submit.sqlite.rate"; the regression check keys on it
    title: str                     # the row's label in docs/benchmarks.md
    unit: str                      # "req/s", "s", "ms", "MB", "msg/s" …
    runs: list[float]
    better: str = "higher"         # or "lower"
    baseline: str = ""             # what the baseline is, in words
    baseline_runs: list[float] = field(default_factory=list)
    goal_ratio: float | None = None
    goal_limit: float | None = None
    note: str = ""                 # size of the data, settings: what a reader needs to compare
    bench: str = ""                # the bench module that measured it (filled in by bench/run.py)

    def __post_init__(self):
        assert self.better in ("higher", "lower"), self.better
        assert self.runs, f"{self.key}: no runs"

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def baseline_median(self) -> float | None:
        return statistics.median(self.baseline_runs) if self.baseline_runs else None

    @property
    def ratio(self) -> float | None:
        base = self.baseline_median
        if base is None or not base or not self.median:
            return None
        return self.median / base if self.better == "higher" else base / self.median

    @property
    def met(self) -> bool | None:
        checks = []
        if self.goal_ratio is not None and self.ratio is not None:
            checks.append(self.ratio >= self.goal_ratio)
        if self.goal_limit is not None:
            checks.append(self.median >= self.goal_limit if self.better == "higher" else
                          self.median < self.goal_limit)
        return all(checks) if checks else None

    def to_json(self) -> dict:
        return asdict(self)


def show(value: float) -> str:
    """A figure with the digits that mean something on a noisy machine."""
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def count(n: int) -> str:
    """1 000 000: thin-space thousands, as the docs write them."""
    return f"{n:,}".replace(",", " ")


def describe(figure: Figure) -> str:
    runs = ", ".join(show(v) for v in figure.runs)
    text = f"{figure.title}: {show(figure.median)} {figure.unit} (runs {runs})"
    if figure.baseline_runs:
        text += (f"; baseline {show(figure.baseline_median)} {figure.unit} "
                 f"(runs {', '.join(show(v) for v in figure.baseline_runs)})")
    if figure.ratio is not None:
        text += f" → {figure.ratio:.0%} of the baseline's speed"
    if figure.met is not None:
        text += "; goal met" if figure.met else "; goal NOT met"
    return text


def bench_main(doc: str, figures: Callable[[argparse.Namespace], list[Figure]],
               arguments: Callable[[argparse.ArgumentParser], None] | None = None, runs: int = 3) -> None:
    """The command line every bench shares: its own arguments, --runs, --quick, --json FILE."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if arguments:
        arguments(parser)
    parser.add_argument("--runs", type=int, default=runs, help="runs per figure (median and spread)")
    parser.add_argument("--quick", action="store_true",
                        help="small data, to check the bench works (figures are not comparable)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file (used by bench/run.py)")
    args = parser.parse_args()
    results = figures(args)
    for figure in results:
        print(describe(figure), flush=True)
    if args.json:
        args.json.write_text(json.dumps([figure.to_json() for figure in results], indent=1))


BENCH_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/hearken_bench"


def postgresql_problem(url: str) -> str | None:
    """Why the bench cannot use this PostgreSQL database, or None; a missing database is created (the
    benches empty theirs, so they get one of their own rather than the test suite's)."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    target = make_url(url)
    try:
        psycopg.connect(target.set(drivername="postgresql").render_as_string(False), connect_timeout=3).close()
        return None
    except psycopg.OperationalError as error:
        if f'database "{target.database}" does not exist' not in str(error):
            return str(error).strip().splitlines()[0]
    try:
        maintenance = target.set(drivername="postgresql", database="postgres").render_as_string(False)
        with psycopg.connect(maintenance, connect_timeout=3, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.database)))
    except psycopg.Error as error:
        return f"{target.database} does not exist and could not be created: {str(error).strip().splitlines()[0]}"
    return None


def fresh_app(folder: Path, **config):
    import contextlib
    import io

    from survey import create_app, database

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}", "SECRET_KEY": "bench",
                      "BASE_URL": "https://feedback.example.test", **config})
    # Alembic's logging configuration prints every migration to stderr: a page of noise per database.
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
        database.upgrade()
    return app


def timed(function: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    """Median and every run's seconds."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), seconds


def spread(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) process `pid` has used so far, from /proc/<pid>/stat; 0.0 once
    it has gone. Works for any process of this machine, a PostgreSQL backend's too."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def child_pids(pid: int) -> list[int]:
    """The processes `pid` started (a gunicorn master's workers)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
