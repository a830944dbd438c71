"""Benchmark: trend detection over many responses (issue 4: 1 000 000 responses, 10 rating questions,
5 locations, 24 months, under 2 s on SQLite, and not growing with the number of responses).

Detection reads the answer_counts rollup, so its cost depends on days × values × segments. Baseline, same
run: a bare `GROUP BY question_key, value_int` over the raw answers. Run at two sizes to show the
independence:

    .venv/bin/python bench/detect_trends.py --responses 100000 1000000 [--runs 3]
"""
from __future__ import annotations

import hashlib
import inspect
import os
import random
import shutil
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, bench_main, count, fresh_app, timed  # noqa: E402

NOW = datetime(2026, 11, 15, 9, 0)
LOCATIONS = ("Leeds", "York", "Bath", "Hull", "Ely")
SCALE = ["Extremely dissatisfied", "Dissatisfied", "Neither", "Satisfied", "Extremely satisfied"]


def make_survey():
    from survey import authoring
    from survey.authoring.definitions import parse_survey

    questions = [{"key": f"q{i}", "type": "rating", "text": f"Question {i}", "scale": SCALE} for i in range(10)]
    spec = parse_survey({"slug": "bench", "title": "Bench", "questions": questions})
    return authoring.create_survey(spec, actor=None, now=NOW, publish=True)


def load(app, survey, responses: int) -> None:
    """Deterministic responses over 24 months, written with the raw driver (this is setup, not measured)."""
    from survey.extensions import db
    from survey.results import rollups

    rng = random.Random(responses)
    version_id = survey.current_version.id
    start = date(2024, 11, 1)
    raw = db.session.connection().connection.driver_connection
    chunk = 50_000
    for first in range(0, responses, chunk):
        rows, answers = [], []
        for i in range(first, min(first + chunk, responses)):
            day = start + timedelta(days=rng.randrange(730))
            location = LOCATIONS[i % 5]
            rows.append((i + 1, f"b:{i}", survey.id, version_id, "import", f"{day} 12:00:00", day.isoformat(),
                         f"{day} 12:00:00", 1, 0, 0, f'{{"location": "{location}"}}'))
            answers.extend((i + 1, f"q{q}", rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 4, 3))[0]) for q in range(10))
        raw.executemany("INSERT INTO responses (id, respondent_key, survey_id, version_id, source, submitted_at, "
                        "local_date, updated_at, revisions_count, quote_consent, contact_consent, attributes) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        raw.executemany("INSERT INTO answers (response_id, question_key, value_int) VALUES (?, ?, ?)", answers)
    db.session.commit()
    rollups.rebuild(survey.id)
    db.session.commit()


def survey_database(folder: Path, responses: int):
    """A fresh app on folder/bench.sqlite3 holding the bench survey with `responses` responses.

    Loading a million responses takes minutes, and several benches read the same data: the database is built
    once per size under $BENCH_CACHE (default: the system temporary folder) and copied afterwards. The
    cache is keyed by the migrations and this loader's source, so a schema change builds it afresh.
    """
    from common import ROOT

    key = hashlib.sha256(inspect.getsource(load).encode() + inspect.getsource(make_survey).encode())
    for migration in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        key.update(migration.read_bytes())
    cache = Path(os.environ.get("BENCH_CACHE", tempfile.gettempdir())) / "hearken-bench"
    built = cache / f"survey-{responses}-{key.hexdigest()[:12]}.sqlite3"
    if not built.exists():
        cache.mkdir(parents=True, exist_ok=True)
        for stale in cache.glob("survey-*.sqlite3"):  # built for an older schema: ~700 MB each at a million
            if not stale.name.endswith(f"-{key.hexdigest()[:12]}.sqlite3"):
                stale.unlink()
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            app = fresh_app(Path(tmp))
            with app.app_context():
                load(app, make_survey(), responses)
                from survey.extensions import db
                db.engine.dispose()
            os.replace(Path(tmp) / "bench.sqlite3", built)
    shutil.copyfile(built, folder / "bench.sqlite3")
    return fresh_app(folder)


def measure(responses: int, runs: int) -> tuple[list[float], list[float]]:
    from sqlalchemy import text

    from survey.alerts import trends
    from survey.extensions import db
    from survey.models import Alert

    with tempfile.TemporaryDirectory() as tmp:
        app = survey_database(Path(tmp), responses)
        with app.app_context():
            def detect():
                trends.run(now=NOW)
                db.session.query(Alert).delete()  # the same work every run
                db.session.commit()

            def bare_group_by():
                db.session.execute(text("SELECT question_key, value_int, count(*) FROM answers "
                                        "GROUP BY question_key, value_int")).all()
            detect()  # the first run reads the rollup from disk; later ones are what a daily job costs warm
            _, ours = timed(detect, runs)
            _, base = timed(bare_group_by, runs)
            db.engine.dispose()
            return ours, base


def figures(args) -> list[Figure]:
    sizes = [2_000, 20_000] if args.quick else args.responses
    results = []
    for responses in sizes:
        ours, base = measure(responses, args.runs)
        results.append(Figure(
            key=f"detect_trends.{responses}", title=f"detect-trends over {count(responses)} responses",
            unit="s", runs=ours, better="lower", baseline="bare GROUP BY over the raw answers", baseline_runs=base,
            goal_limit=2.0, note="10 rating questions × 5 locations × 24 months; flat in the response count"))
    return results


if __name__ == "__main__":
    bench_main(__doc__, figures, lambda parser: parser.add_argument(
        "--responses", type=int, nargs="+", default=[100_000, 1_000_000]))
