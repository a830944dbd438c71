"""Benchmark: the results dashboard of a survey with 1 000 000 responses (issue 5: under 500 ms warm).

The survey of bench/detect_trends.py: 10 rating questions, 5 locations, 24 months. The page is fetched
through the Flask test client as a logged-in analyst; "warm" is the median of later requests (database
pages cached, charts already drawn once by this process), "cold" the first request. For comparison the
same run times a bare `GROUP BY question_key, value_int` over the raw answers, which is what a dashboard
without rollups would at least have to do.

    .venv/bin/python bench/dashboard.py --responses 100000 1000000 [--runs 5]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fresh_app, spread, timed  # noqa: E402
from detect_trends import NOW, load, make_survey  # noqa: E402

PASSWORD = "bench password 123"


VIEWS = (("whole survey", ""), ("one location", "&where=location=Leeds"), ("one quarter by week",
          "&from=2026-08-01&period=week"))


def measure(responses: int, runs: int) -> None:
    from sqlalchemy import text

    from survey import accounts
    from survey.clock import utcnow
    from survey.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = fresh_app(Path(tmp), TIMEZONE="UTC", WTF_CSRF_ENABLED=False)
        with app.app_context():
            survey = make_survey()
            load(app, survey, responses)
            accounts.create_user("analyst@example.com", PASSWORD, "analyst", now=utcnow())
            slug = survey.slug
            _, base = timed(lambda: db.session.execute(text(
                "SELECT question_key, value_int, count(*) FROM answers GROUP BY question_key, value_int")).all(), runs)
        client = app.test_client()
        client.post("/login", data={"email": "analyst@example.com", "password": PASSWORD})
        floor = sorted(base)[len(base) // 2]
        for label, query in VIEWS:
            url = f"/manage/surveys/{slug}/results?to={NOW.date()}{query}"

            def page(url=url):
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            started = time.perf_counter()
            page()
            cold = time.perf_counter() - started
            _, warm = timed(page, runs)
            median = sorted(warm)[len(warm) // 2]
            print(f"{responses:>9} responses, {label}: dashboard warm {median * 1000:.0f} ms "
                  f"(runs: {spread(warm)}), cold {cold * 1000:.0f} ms; bare GROUP BY over answers "
                  f"{floor * 1000:.0f} ms; goal < 500 ms warm: {'met' if median < 0.5 else 'NOT met'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for responses in args.responses:
        measure(responses, args.runs)


if __name__ == "__main__":
    main()
