"""Benchmark: survey page render (GET): requests/s of the public survey page on two gunicorn workers, against
the same template rendered from a pre-built context by the same server (goal: at least 70 % of its rate).

One request is a first visit: a GET of /s/support-csat (the six questions of tests/factories.py) from a new
browser, without a cookie, so each one does everything a customer's first look does: finds the survey and
its current version and questions, looks for a saved draft or earlier answers, starts a session (the
respondent key and CSRF token, signed into the cookie), and renders the form.

Baseline, in the same run and the same gunicorn workers: a route added to the same app that renders the
same template (respond/survey.html, with base.html and the question macros) from a context built once when
the worker starts — the survey, its version and questions detached from the database, a form with fixed
hidden values — so it does no database work and starts no session. The difference is what the view does
besides rendering: queries, session and tokens. The bench checks both answers are the same page (same size
and the same form fields, tokens aside).

Load: bench/http_load.py, 2 client processes × 4 connections in flight on the same two cores as the
server; each request is a new connection (sync workers close every one). The page and the baseline
alternate in one-second slices (http_load.side_by_side), so both meet the same machine.

    .venv/bin/python bench/survey_page.py [--seconds 5] [--runs 3] [--quick]
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, bench_main, fresh_app  # noqa: E402
from http_load import PROCESSES, THREADS, body_of, client_note, compare_gets, exchange, gunicorn, request  # noqa: E402

BENCH = Path(__file__).resolve().parent
SLUG = "support-csat"
PAGE = f"/s/{SLUG}"
FIXED = "/bench/fixed-survey-page"
SECRET_KEY = "bench secret key"


def page_app():
    """Hearken's app (what `app:app` serves) plus the baseline's route; gunicorn calls this in each worker."""
    from flask import render_template

    from survey import create_app
    from survey.authoring.editing import find_survey
    from survey.authoring.translations import languages_of, localised
    from survey.extensions import db
    from survey.responding import pages
    from survey.tokens import new_token
    from survey.views.forms import RespondForm
    from survey.web import locale

    app = create_app()
    with app.test_request_context(PAGE):
        survey = find_survey(SLUG)
        version = survey.current_version
        for question in version.questions:
            question.choices  # noqa: B018 — loaded now: nothing may reach the database while rendering
        form = RespondForm()
        del form.consent_contact  # as the public link shows it (views/respond.answer_survey)
        form.submission_key.data, form.version.data = new_token(), str(version.id)
        shown = localised(version, version.language or "en")  # the page's texts and its layout, as render_survey
        context = dict(survey=survey, version=shown, form=form, fields={}, errors={}, notice=None,
                       can_save=False, answered=False, preview=False, action_url=PAGE,
                       layout=pages.layout(shown, {}, {}, 0))
        offered = languages_of(version), version.language or "en"
        db.session.expunge_all()
        db.session.remove()

    def fixed_survey_page():
        locale.offer(*offered)  # the survey's languages only, as respond.offer_languages does
        return render_template("respond/survey.html", **context)

    app.add_url_rule(FIXED, view_func=fixed_survey_page)
    return app


def arguments(parser) -> None:
    parser.add_argument("--seconds", type=float, default=5, help="length of each measurement")


def same_page(port: int) -> None:
    """The baseline renders what customers get: the same size (within the tokens' few bytes) and fields."""
    ours, theirs = (body_of(exchange(port, request("GET", path))) for path in (PAGE, FIXED))
    names = [sorted(set(re.findall(r'name="([^"]+)"', html))) for html in (ours, theirs)]
    assert names[0] == names[1] and abs(len(ours) - len(theirs)) < 50, (names, len(ours), len(theirs))


def figures(args) -> list[Figure]:
    from tests.factories import make_survey

    seconds = 1 if args.quick else args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = fresh_app(Path(tmp), SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET_KEY)
        with app.app_context():
            make_survey()
        environment = {"HEARKEN_DATABASE_URL": url, "HEARKEN_SECRET_KEY": SECRET_KEY,
                       "HEARKEN_INSTANCE_PATH": tmp}
        with gunicorn("survey_page:page_app()", environment=environment, python_path=BENCH,
                      ready_path=FIXED) as port:
            same_page(port)
            pages, fixeds = compare_gets(port, PAGE, FIXED, runs=args.runs, seconds=seconds)
    return [Figure(key="page.rate", title="public survey page (GET, first visit), 2 gunicorn workers, SQLite",
                   unit="req/s", runs=[load.rate for load in pages],
                   baseline="the same template from a pre-built context, same server",
                   baseline_runs=[load.rate for load in fixeds], goal_ratio=0.7,
                   note=f"factory survey (6 questions); {PROCESSES} client processes × {THREADS} connections on "
                        f"the same 2 cores ({client_note(pages + fixeds)}); {seconds:g} s per run")]


if __name__ == "__main__":
    bench_main(__doc__, figures, arguments=arguments, runs=3)
