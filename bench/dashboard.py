"""Benchmark: the results dashboard of a survey with 1 000 000 responses (issue 5: under 500 ms warm).

The survey of bench/detect_trends.py: 10 rating questions, 5 locations, 24 months. The page is fetched
through the Flask test client as a logged-in analyst; "warm" is the median of later requests (database
pages cached, charts already drawn once by this process), "cold" the first request, and "after each new
response" a request after one more customer answered (what a manager watching an active survey sees: the
charts whose data changed are drawn again). For comparison the
same run times a bare `GROUP BY question_key, value_int` over the raw answers, which is what a dashboard
without rollups would at least have to do.

    .venv/bin/python bench/dashboard.py --responses 100000 1000000 [--runs 5]
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, bench_main, count, timed  # noqa: E402
from detect_trends import NOW, survey_database  # noqa: E402

PASSWORD = "bench password 123"


VIEWS = (("whole survey", ""), ("one location", "&where=location=Leeds"), ("one quarter by week",
          "&from=2026-08-01&period=week"))


def one_more_response(app, name: str) -> None:
    """A customer in Leeds answers on the bench's last day (inside every view), through the submit path: what
    a manager watching an active survey sees between two looks."""
    from survey.authoring import find_survey
    from survey.extensions import db
    from survey.responding import Consents, Respondent, submit_response

    with app.app_context():
        version = find_survey("bench").current_version
        submit_response(version, Respondent(key=f"bench:new:{name}", source="public", attributes={"location": "Leeds"}),
                        {f"q{i}": 2 for i in range(10)}, Consents(), submission_key=f"bench-new-{name}", now=NOW)
        db.session.remove()


def measure(responses: int, runs: int) -> list[Figure]:
    from sqlalchemy import text

    from survey import accounts
    from survey.authoring import find_survey
    from survey.clock import utcnow
    from survey.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = survey_database(Path(tmp), responses)
        app.config.update(TIMEZONE="UTC", WTF_CSRF_ENABLED=False)
        with app.app_context():
            accounts.create_user("analyst@example.com", PASSWORD, "analyst", now=utcnow())
            slug = find_survey("bench").slug
            _, base = timed(lambda: db.session.execute(text(
                "SELECT question_key, value_int, count(*) FROM answers GROUP BY question_key, value_int")).all(), runs)
        client = app.test_client()
        client.post("/login", data={"email": "analyst@example.com", "password": PASSWORD})
        results = []
        for label, query in VIEWS:
            url = f"/manage/surveys/{slug}/results?to={NOW.date()}{query}"

            def page(url=url):
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            started = time.perf_counter()
            page()
            cold = time.perf_counter() - started
            _, warm = timed(page, runs)
            fresh = []
            for i in range(3):
                one_more_response(app, f"{label}-{i}")
                started = time.perf_counter()
                page()
                fresh.append(time.perf_counter() - started)
            results.append(Figure(
                key=f"dashboard.{responses}.{label.replace(' ', '_')}",
                title=f"results dashboard, {label}, {count(responses)} responses, warm",
                unit="ms", runs=[s * 1000 for s in warm], better="lower", goal_limit=500,
                # Not a baseline to approach: the least a dashboard without rollups would have to do.
                note=f"cold (first request, charts drawn): {cold * 1000:.0f} ms; after each new response (its "
                     f"charts drawn again): {statistics.median(fresh) * 1000:.0f} ms; for scale, a bare GROUP BY "
                     f"over the raw answers: {statistics.median(base) * 1000:.0f} ms"))
        return results


def figures(args) -> list[Figure]:
    results = []
    for responses in [2_000, 20_000] if args.quick else args.responses:
        results += measure(responses, args.runs)
    return results


if __name__ == "__main__":
    bench_main(__doc__, figures, lambda parser: parser.add_argument(
        "--responses", type=int, nargs="+", default=[100_000, 1_000_000]), runs=5)
