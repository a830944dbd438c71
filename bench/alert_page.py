"""Benchmark: an alert's evidence page at 1 000 000 responses (issue 25: under 500 ms).

The survey of bench/detect_trends.py (10 rating questions, 5 locations, 24 months) gains a free-text question
answered by about half the responses, in English and French (one customer in five answered in French), with
"queue" mentioned more often in Leeds in October 2026; the alert is Leeds' q0 from September to October.
The page reads the other ratings from the rollup, the two months' comments of Leeds for the words, and a
page of the latest month's comments. Baseline, same run: the alert's own page (its stored numbers, no
evidence), so the ratio is what the evidence costs on top. For scale the note gives a bare SQL read of the
comment text of the two months in Leeds, the least any words analysis must do.

    .venv/bin/python bench/alert_page.py --responses 1000000 [--runs 5]
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
GOAL_MS = 500
ENGLISH = ("Staff were kind and helpful", "Quick answer, thank you", "Good service overall",
           "Easy to reach by phone", "The wait was a bit long", "Billing was confusing this time")
FRENCH = ("Le personnel était très aimable", "Réponse rapide, merci", "Bon service dans l''ensemble",
          "Facile à joindre par téléphone")
QUEUE = "Long queue at the desk again"


def _case(values: tuple[str, ...], modulus: str) -> str:
    return "CASE " + " ".join(f"WHEN {modulus} = {i} THEN '{text}'" for i, text in enumerate(values)) + " END"


def add_comments(app) -> int:
    """A comment question on the bench survey and comments for about half the responses (setup, not
    measured); returns the alert's id."""
    from sqlalchemy import text

    from survey.authoring.editing import find_survey
    from survey.extensions import db
    from survey.models import Alert, Question

    with app.app_context():
        survey = find_survey("bench")
        version = survey.current_version
        db.session.add(Question(version_id=version.id, position=len(version.questions), key="comment", type="text",
                                text="Anything else?", options=[], long=True))
        db.session.execute(text("UPDATE responses SET language = CASE WHEN id % 5 = 0 THEN 'fr' ELSE 'en' END"))
        leeds_october = ("local_date >= '2026-10-01' AND local_date < '2026-11-01' "
                         "AND json_extract(attributes, '$.location') = 'Leeds'")
        db.session.execute(text(
            "INSERT INTO answers (response_id, question_key, value_text) SELECT id, 'comment', CASE "
            f"WHEN id % 5 = 0 THEN {_case(FRENCH, f'(id / 5) % {len(FRENCH)}')} "
            f"WHEN id % 7 = 1 OR ({leeds_october} AND id % 4 = 1) THEN '{QUEUE}' "
            f"ELSE {_case(ENGLISH, f'(id / 3) % {len(ENGLISH)}')} END "
            "FROM responses WHERE id % 3 = 0 OR id % 5 = 0 OR id % 7 = 1"))
        alert = Alert(fingerprint="bench|q0|Leeds", series_key="bench|q0|Leeds", survey_id=survey.id,
                      question_key="q0", metric="top_box", kind="change", segment={"location": "Leeds"},
                      period_before="2026-09", period_after="2026-10", n_before=1, n_after=1, value_before=0.9,
                      value_after=0.75, difference=-0.15, ci_low=-0.2, ci_high=-0.1, p_value=0.001, q_value=0.01,
                      method="score", direction="drop", details={}, created_at=NOW, status="open")
        db.session.add(alert)
        db.session.commit()
        return alert.id


def measure(responses: int, runs: int) -> Figure:
    from sqlalchemy import text

    from survey import accounts
    from survey.clock import utcnow
    from survey.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = survey_database(Path(tmp), responses)
        app.config.update(TIMEZONE="UTC", WTF_CSRF_ENABLED=False)
        alert_id = add_comments(app)
        with app.app_context():
            accounts.create_user("analyst@example.com", PASSWORD, "analyst", now=utcnow())
            _, bare = timed(lambda: db.session.execute(text(
                "SELECT a.value_text FROM responses r JOIN answers a ON a.response_id = r.id "
                "WHERE r.survey_id = 1 AND r.local_date >= '2026-09-01' AND r.local_date < '2026-11-01' "
                "AND json_extract(r.attributes, '$.location') = 'Leeds' AND a.question_key = 'comment'")).all(), runs)
        client = app.test_client()
        client.post("/login", data={"email": "analyst@example.com", "password": PASSWORD})

        def page(url: str, expect: str) -> float:
            started = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            assert expect in response.get_data(as_text=True), expect
            return time.perf_counter() - started

        evidence_url, alert_url = f"/manage/alerts/{alert_id}/evidence", f"/manage/alerts/{alert_id}"
        cold = page(evidence_url, "queue")
        page(alert_url, "q-value")
        _, ours = timed(lambda: page(evidence_url, "queue"), runs)
        _, base = timed(lambda: page(alert_url, "q-value"), runs)
        with app.app_context():
            db.engine.dispose()
        return Figure(
            key=f"alert_page.{responses}", title=f"an alert's evidence page, {count(responses)} responses, warm",
            unit="ms", runs=[s * 1000 for s in ours], better="lower", baseline="the alert's own page, same run",
            baseline_runs=[s * 1000 for s in base], goal_limit=GOAL_MS,
            note=f"Leeds, 2026-09 against 2026-10: other ratings from the rollup, words of both months' comments "
                 f"(about half the responses have one), 25 comments; cold (the first look) {cold * 1000:.0f} ms; "
                 f"for scale, a bare read of the two months' comment text in Leeds: "
                 f"{statistics.median(bare) * 1000:.0f} ms")


def figures(args) -> list[Figure]:
    return [measure(responses, args.runs) for responses in ([20_000] if args.quick else args.responses)]


if __name__ == "__main__":
    bench_main(__doc__, figures, lambda parser: parser.add_argument(
        "--responses", type=int, nargs="+", default=[1_000_000]), runs=5)
