"""Benchmark: the results dashboard of a survey with 1 000 000 responses (issue 5: under 500 ms warm).

The survey of bench/detect_trends.py: 10 rating questions, 5 locations, 24 months. The page is fetched
through the Flask test client as a logged-in analyst; it draws every chart into itself (inline SVG), so a
page is everything a manager waits for. "warm" is the median of later requests (database pages cached,
charts memoised); "cold" the first look; "after each new response" a look after one more customer
answered (what a manager watching an active survey sees: nearly every chart's data changed and is drawn
again). For comparison the same run times a bare `GROUP BY question_key, value_int` over the raw answers,
which is what a dashboard without rollups would at least have to do.

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
          "&from=2026-08-01&period=week"), ("one version", "&version=1"))
# Issue 20's goals: what a manager waits for, the page and every chart drawn, after a new response.
SHOWN_GOALS = {"whole survey": 1000, "one quarter by week": 1000}
WARM_GOALS = {"one version": 500}
COLD_GOAL = 2000  # a new process: the page and every chart drawn


def one_more_response(app, name: str) -> None:
    """A customer in Leeds answers on the bench's last day (inside every view), through the submit path: what
    a manager watching an active survey sees between two looks."""
    from survey.authoring.editing import find_survey
    from survey.extensions import db
    from survey.responding.submission import Consents, Respondent, submit_response

    with app.app_context():
        version = find_survey("bench").current_version
        submit_response(version, Respondent(key=f"bench:new:{name}", source="public", attributes={"location": "Leeds"}),
                        {f"q{i}": 2 for i in range(10)}, Consents(), submission_key=f"bench-new-{name}", now=NOW)
        db.session.remove()


def measure(responses: int, runs: int) -> list[Figure]:
    from sqlalchemy import text

    from survey import accounts
    from survey.authoring.editing import find_survey
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

            def page(url=url) -> float:
                """Seconds until the page, every chart in it, has arrived."""
                started = time.perf_counter()
                response = client.get(url)
                assert response.status_code == 200, response.status_code
                assert "<svg " in response.get_data(as_text=True)
                return time.perf_counter() - started

            cold = page()
            _, warm = timed(page, runs)
            fresh = []
            for i in range(3):
                one_more_response(app, f"{label}-{i}")
                fresh.append(page())
            if label in SHOWN_GOALS:
                results.append(Figure(
                    key=f"dashboard.{responses}.{label.replace(' ', '_')}.after_response",
                    title=f"results dashboard, {label}, {count(responses)} responses: page and every chart drawn "
                          f"after a new response",
                    unit="ms", runs=[seconds * 1000 for seconds in fresh], better="lower",
                    goal_limit=SHOWN_GOALS[label],
                    note=f"the page with every chart drawn into it, in-process; for scale, a bare GROUP BY over the "
                         f"raw answers: {statistics.median(base) * 1000:.0f} ms"))
            results.append(Figure(
                key=f"dashboard.{responses}.{label.replace(' ', '_')}",
                title=f"results dashboard, {label}, {count(responses)} responses, warm",
                unit="ms", runs=[s * 1000 for s in warm], better="lower", goal_limit=WARM_GOALS.get(label, 500),
                # Not a baseline to approach: the least a dashboard without rollups would have to do.
                note=f"the page with every chart drawn into it; cold (the first look) {cold * 1000:.0f} ms; after "
                     f"each new response {statistics.median(fresh) * 1000:.0f} ms; for scale, a bare GROUP BY over "
                     f"the raw answers: {statistics.median(base) * 1000:.0f} ms"))
        results.append(cold_process(app, responses, slug, runs=min(runs, 3)))
        return results


COLD = """
import sys
from survey import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "bench", "TIMEZONE": "UTC",
                  "WTF_CSRF_ENABLED": False, "BASE_URL": "https://feedback.example.test"})
client = app.test_client()
client.post("/login", data={"email": "analyst@example.com", "password": sys.argv[2]})
page = client.get(sys.argv[3])
assert page.status_code == 200 and b"<svg " in page.data, page.status_code
"""


def cold_process(app, responses: int, slug: str, runs: int) -> Figure:
    """A new process (interpreter, application, statistics) showing the whole-survey page, every chart drawn
    into it: the first look after a deployment or a worker's restart."""
    import subprocess

    from common import ROOT

    url = f"/manage/surveys/{slug}/results?to={NOW.date()}"
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", COLD, app.config["SQLALCHEMY_DATABASE_URI"], PASSWORD, url], cwd=ROOT,
                       check=True)
        seconds.append(time.perf_counter() - started)
    return Figure(key=f"dashboard.{responses}.cold_process",
                  title=f"results dashboard, whole survey, {count(responses)} responses: a new process, page and "
                        f"every chart drawn", unit="ms", runs=[s * 1000 for s in seconds], better="lower",
                  goal_limit=COLD_GOAL, note="interpreter start, application import, login, the page with every chart "
                                             "drawn into it")


def figures(args) -> list[Figure]:
    results = []
    for responses in [2_000, 20_000] if args.quick else args.responses:
        results += measure(responses, args.runs)
    return results


if __name__ == "__main__":
    bench_main(__doc__, figures, lambda parser: parser.add_argument(
        "--responses", type=int, nargs="+", default=[100_000, 1_000_000]), runs=5)
