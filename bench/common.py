"""Shared by the benchmarks: a fresh, migrated app on a temporary SQLite database, and timing helpers."""
from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_app(folder: Path, **config):
    import flask_migrate

    from survey import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}", "SECRET_KEY": "bench",
                      "BASE_URL": "https://feedback.example.test", **config})
    with app.app_context():
        flask_migrate.upgrade()
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
