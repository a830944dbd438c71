"""Benchmark: survey submit: requests/s and p99 latency on gunicorn, SQLite and PostgreSQL, against the
framework's floor for a submit on this stack, measured side by side (goal: at least half its rate, and a p99
of at most 15 ms at 8 clients).

One request is one customer pressing "Send my answers": a POST of the public survey's form
(/s/support-csat, the six questions of tests/factories.py: rating, NPS, choice, multi, yes/no, long text),
answered at random as in the load tests (tests/load/respondents.py; a low score opens a follow-up case, as
it would). Each POST carries what a browser holds after opening the page: its own session cookie, the CSRF
token, submission key and version from the form. Those forms are fetched (one GET per simulated customer,
each a new browser) before the clock starts, so only the POSTs are timed; every POST must be answered with
the 303 to the thank-you page, and afterwards the database must hold one more response, one more revision
and exactly the expected answer rows per POST — a refused or lost submission fails the bench instead of
being timed as fast. The real path runs in full: CSRF check, validation, the double-submit check, the
response with its answers and revision, rollup upserts, follow-up cases and webhook checks, one commit.

Baseline, in the same run: the framework's floor (`floor_app`), a Flask view with Flask-WTF's CSRF check
(its token in a signed session cookie, as the public survey has) that stores the answers as JSON with one
INSERT and a commit through the raw driver (sqlite3 with the app's own connection settings and BEGIN
IMMEDIATE, or psycopg), into the same database, served by the same gunicorn command (2 sync workers) and
posted forms it served, with the same fields. The difference is what Hearken does with the answers. Within a
run the two alternate in five slices, the floor loaded for as long as each slice of Hearken's POSTs took
(http_load.side_by_side): both meet the same machine, which others share.

For scale, also in the same run, the floor and Flask alone (`flask_app`: neither CSRF nor session) each
against a bare WSGI endpoint (no Flask) storing the same answers the same way: what Flask costs, and what
the CSRF token and session add.

Load: bench/http_load.py, 2 client processes × 4 connections in flight (a closed loop) on the same two
cores as the server; each request is a new connection (sync workers close every one). The clients cost
far less per request than the baseline's server side (a client process can drive several thousand requests
per second), so the baseline is not capped by them.

    .venv/bin/python bench/survey_submit.py [--seconds 5] [--runs 3] [--quick]
        [--postgresql postgresql+psycopg://postgres@127.0.0.1:5432/hearken_bench] [--databases sqlite postgresql]
"""
from __future__ import annotations

import json
import os
import random
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_POSTGRESQL, Figure, bench_main, fresh_app, postgresql_problem  # noqa: E402
from http_load import (  # noqa: E402
    PROCESSES,
    SLICES,
    THREADS,
    Load,
    body_of,
    client_note,
    dispatcher,
    gunicorn,
    hammer,
    headers_of,
    request,
    side_by_side,
)

BENCH = Path(__file__).resolve().parent
SLUG = "support-csat"
PAGE = f"/s/{SLUG}"
SECRET_KEY = "bench secret key"
BASELINE_TABLE = "bench_submissions"
HEARKEN_TABLES = ("responses", "response_revisions", "answers")
ANSWER_SETS = 500


# --- the baseline: a bare WSGI endpoint (runs in the gunicorn workers) ------------------------------

_store = None


def _connect(url: str):
    """A function storing (submission key, answers JSON) with one INSERT and a commit, on this process's
    own connection (opened after gunicorn forked the worker)."""
    if url.startswith("sqlite"):
        import sqlite3

        from survey.database import BUSY_TIMEOUT_SECONDS, configure_sqlite_connection

        connection = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=BUSY_TIMEOUT_SECONDS)
        configure_sqlite_connection(connection)

        def store(key: str, answers: str) -> None:
            connection.execute("BEGIN IMMEDIATE")  # as the app writes: wait for the write lock up front
            connection.execute(f"INSERT INTO {BASELINE_TABLE} (submission_key, answers, submitted_at) "
                               "VALUES (?, ?, ?)", (key, answers, datetime.utcnow().isoformat(" ")))
            connection.execute("COMMIT")
        return store

    import psycopg

    connection = psycopg.connect(url.replace("+psycopg", ""))

    def store(key: str, answers: str) -> None:
        connection.execute(f"INSERT INTO {BASELINE_TABLE} (submission_key, answers, submitted_at) "
                           "VALUES (%s, %s, %s)", (key, answers, datetime.utcnow()))
        connection.commit()
    return store


def baseline_app(environ, start_response):
    """The least a submit endpoint can do: parse the form, store the answers in one row, redirect."""
    global _store
    if _store is None:
        _store = _connect(os.environ["BENCH_BASELINE_URL"])
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    fields = parse_qs(body.decode())
    answers = {name: values for name, values in fields.items() if name.startswith("q-")}
    _store(fields["submission_key"][0], json.dumps(answers))
    start_response("303 See Other", [("Location", f"{PAGE}/thanks"), ("Content-Length", "0")])
    return [b""]


# --- for scale: the framework's own cost (runs in the gunicorn workers) ------------------------------

def _store_answers(form) -> None:
    """What the baseline stores, from a Flask request's form."""
    global _store
    if _store is None:
        _store = _connect(os.environ["BENCH_BASELINE_URL"])
    answers = {name: form.getlist(name) for name in form if name.startswith("q-")}
    _store(form["submission_key"], json.dumps(answers))


def _form_page(*hidden: str) -> str:
    """The least form page a client can open: a fresh submission key, and `hidden` inputs."""
    import secrets

    return (f'<form method="post">{"".join(hidden)}'
            f'<input type="hidden" name="submission_key" value="{secrets.token_urlsafe(32)}"></form>')


def flask_app():
    """Flask alone: a view storing the answers exactly as the baseline does, with no CSRF check and no
    session. What separates it from the bare endpoint is Flask's own request handling."""
    from flask import Flask, redirect, request

    app = Flask(__name__)
    app.get(PAGE)(_form_page)

    @app.post(PAGE)
    def submit():
        _store_answers(request.form)
        return redirect(f"{PAGE}/thanks", code=303)

    return app


def floor_app():
    """The least a submit endpoint on Hearken's stack can do: Flask with Flask-WTF's CSRF check (its token
    kept in the signed session cookie), the answers stored as the baseline stores them. Hearken cannot be
    faster than this: every form must carry a CSRF token."""
    from flask import Flask, redirect, request
    from flask_wtf.csrf import CSRFProtect, generate_csrf

    app = Flask(__name__)
    app.config.update(SECRET_KEY=os.environ["HEARKEN_SECRET_KEY"], SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    CSRFProtect(app)

    @app.get(PAGE)
    def form():
        return _form_page(f'<input type="hidden" name="csrf_token" value="{generate_csrf()}">')

    @app.post(PAGE)
    def submit():
        _store_answers(request.form)
        return redirect(f"{PAGE}/thanks", code=303)

    return app


# --- the bench ------------------------------------------------------------------------------------

def arguments(parser) -> None:
    parser.add_argument("--seconds", type=float, default=5, help="length of each measurement (about)")
    parser.add_argument("--postgresql", default=BENCH_POSTGRESQL,
                        help="a database of its own: it is emptied (created if missing)")
    parser.add_argument("--databases", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"])


def figures(args) -> list[Figure]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in args.databases:
            results += measure("sqlite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", Path(tmp), args)
        if "postgresql" in args.databases:
            if problem := postgresql_problem(args.postgresql):
                print(f"PostgreSQL skipped: {problem}", file=sys.stderr)
            else:
                results += measure("postgresql", args.postgresql, Path(tmp), args)
    return results


def prepare(url: str, folder: Path):
    """The migrated database with the factory survey and the baseline's table; the app to count rows."""
    from sqlalchemy import text

    from survey.extensions import db
    from tests.factories import make_survey

    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")
    app = fresh_app(folder, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET_KEY)
    key = "id INTEGER PRIMARY KEY" if url.startswith("sqlite") else "id BIGSERIAL PRIMARY KEY"
    with app.app_context():
        make_survey()
        db.session.execute(text(f"CREATE TABLE {BASELINE_TABLE} ({key}, submission_key VARCHAR(64) NOT NULL, "
                                "answers TEXT NOT NULL, submitted_at TIMESTAMP NOT NULL)"))
        db.session.commit()
        db.engine.dispose()
    return app


class Rows:
    """Row counts, to prove every timed POST was stored."""

    def __init__(self, app):
        self.app = app

    def __call__(self) -> dict[str, int]:
        from sqlalchemy import text

        from survey.extensions import db

        with self.app.app_context():
            counts = {table: db.session.scalar(text(f"SELECT count(*) FROM {table}"))
                      for table in (*HEARKEN_TABLES, BASELINE_TABLE)}
            db.session.remove()
            db.engine.dispose()  # nothing open while the clients fork
            return counts


def answer_sets() -> list[tuple[dict[str, list[str]], int]]:
    """Form fields of random answers, and how many answer rows each must store (one per option of a
    multiple choice). The same seed every time: Hearken and the baseline get the same answers."""
    from tests.load.respondents import random_answers

    rng = random.Random(9)
    sets = []
    for _ in range(ANSWER_SETS):
        fields, stored = random_answers(rng)
        sets.append((fields, sum(len(value) if isinstance(value, list) else 1 for value in stored.values())))
    return sets


def browser_form(answer: bytes) -> tuple[str | None, dict[str, str]]:
    """What a browser holds after opening the survey: its session cookie (if it was given one) and the
    form's hidden fields."""
    from tests.pages import hidden_fields

    cookie = next((value.split(";", 1)[0] for name, value in headers_of(answer) if name == "set-cookie"), None)
    return cookie, hidden_fields(body_of(answer))


def open_forms(port: int, count: int, answers) -> tuple[list[bytes], int, dict[str, str]]:
    """Open `count` forms as new browsers and answer them: the POSTs, how many answer rows they must store,
    and one form's hidden fields."""
    opened = hammer(port, [request("GET", PAGE)] * count, keep=browser_form).check(200).kept
    posts, answer_rows = [], 0
    for i, (cookie, hidden) in enumerate(opened):
        fields, rows = answers[i % len(answers)]
        posts.append(request("POST", PAGE, fields={**hidden, **fields}, headers={"Cookie": cookie} if cookie else {}))
        answer_rows += rows
    return posts, answer_rows, opened[0][1]


def run(port: int, baseline: int, posts: list[bytes], bodies: list[bytes], expected: Callable[[Load, Load], dict],
        rows: Rows, slices: int = SLICES):
    """Post the opened forms to `port` in `slices` parts, each followed by the baseline for as long as that
    part took (http_load.side_by_side); then check every submission of both was stored: the rows added to
    each table must be `expected(ours, theirs)`."""
    parts = iter(posts[i::slices] for i in range(slices))
    before = rows()
    ours, theirs = side_by_side(lambda _seconds: hammer(port, next(parts)).check(303),
                                lambda seconds: hammer(baseline, bodies, seconds=seconds).check(303),
                                seconds=0, slices=slices)
    after = rows()
    stored = {table: after[table] - before[table] for table in (*HEARKEN_TABLES, BASELINE_TABLE)}
    assert stored == expected(ours, theirs), f"submissions lost: {stored} stored, {expected(ours, theirs)} expected"
    return ours, theirs


def runs_against_baseline(port: int, baseline: int, answers, rows: Rows, args, *, stores_in_baseline_table: bool,
                          baseline_forms: bool = False):
    """Warm up `port` and the baseline, then `args.runs` side-by-side runs, each posting about `seconds` worth
    of forms opened just before (sized from the previous run's rate): the Loads of each. The baseline is
    posted the same answers over and over: as forms it served (`baseline_forms`: the floor checks their CSRF
    token against their session), else with a fixed submission key each."""
    seconds = 1 if args.quick else args.seconds

    def forms(count: int):
        posts, answer_rows, hidden = open_forms(port, count, answers)

        def expected(ours: Load, theirs: Load) -> dict:
            if stores_in_baseline_table:  # the framework floor: its rows go where the baseline's go
                return {**dict.fromkeys(HEARKEN_TABLES, 0), BASELINE_TABLE: ours.count + theirs.count}
            return {"responses": len(posts), "response_revisions": len(posts), "answers": answer_rows,
                    BASELINE_TABLE: theirs.count}
        return posts, expected, hidden

    # Each worker's first requests load templates and open connections.
    posts, expected, hidden = forms((5 if args.quick else 20) * PROCESSES * THREADS)
    if baseline_forms:
        bodies = open_forms(baseline, len(answers), answers)[0]
    else:
        bodies = [request("POST", PAGE, fields={**hidden, "submission_key": f"baseline-{i:05d}", **fields})
                  for i, (fields, _rows) in enumerate(answers)]
    warm, _baseline = run(port, baseline, posts, bodies, expected, rows, slices=1)
    ours, theirs = [], []
    rate = warm.rate
    for _ in range(min(args.runs, 2) if args.quick else args.runs):  # quick: both databases in half a minute
        posts, expected, _hidden = forms(max(100, round(rate * seconds)))
        load, base = run(port, baseline, posts, bodies, expected, rows, slices=2 if args.quick else SLICES)
        rate = load.rate
        ours.append(load)
        theirs.append(base)
    return ours, theirs


P99_GOAL_MS = 15  # at 8 clients (2 client processes × 4 connections), issue 22


def measure(database: str, url: str, folder: Path, args) -> list[Figure]:
    rows = Rows(prepare(url, folder))
    answers = answer_sets()
    environment = {"HEARKEN_DATABASE_URL": url, "HEARKEN_SECRET_KEY": SECRET_KEY,
                   "HEARKEN_INSTANCE_PATH": str(folder), "BENCH_BASELINE_URL": url}
    ours_bench = {"environment": environment, "python_path": BENCH}
    # Hearken as deployed: the web server and a dispatcher (on SQLite it checkpoints the WAL, for everyone
    # writing the database file: the floor and the bare endpoint too).
    with dispatcher(environment=environment), \
            gunicorn("app:app", environment=environment, ready_path=PAGE) as hearken, \
            gunicorn("survey_submit:floor_app()", ready_path=PAGE, **ours_bench) as floor, \
            gunicorn("survey_submit:flask_app()", ready_path=PAGE, **ours_bench) as flask, \
            gunicorn("survey_submit:baseline_app", **ours_bench) as baseline:
        ours, theirs = runs_against_baseline(hearken, floor, answers, rows, args, stores_in_baseline_table=False,
                                             baseline_forms=True)
        floors, floor_bases = runs_against_baseline(floor, baseline, answers, rows, args, stores_in_baseline_table=True)
        flasks, flask_bases = runs_against_baseline(flask, baseline, answers, rows, args, stores_in_baseline_table=True)
    seconds = 1 if args.quick else args.seconds
    setup = (f"2 gunicorn sync workers; {PROCESSES} client processes × {THREADS} connections on the same 2 "
             f"cores ({client_note(ours + theirs)}); ≈{seconds:g} s per run; factory survey (6 questions), random "
             f"answers; {sum(load.count for load in ours)} submissions timed, each checked stored")
    floor_name = "the framework's floor: a Flask view with Flask-WTF's CSRF check and session storing the answers " \
                 "with one INSERT (floor_app)"
    bare = f"bare WSGI endpoint, one INSERT with {'sqlite3' if database == 'sqlite' else 'psycopg'}"
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[database]
    return [
        Figure(key=f"submit.{database}.rate", title=f"survey submit (POST), {name}", unit="req/s",
               runs=[load.rate for load in ours], baseline=floor_name, baseline_runs=[load.rate for load in theirs],
               goal_ratio=0.5, note=setup),
        Figure(key=f"submit.{database}.p99", title=f"survey submit (POST) p99 latency, {name}", unit="ms",
               runs=[load.p99_ms for load in ours], better="lower", baseline=f"{floor_name}, its p99",
               baseline_runs=[load.p99_ms for load in theirs], goal_limit=P99_GOAL_MS, note=setup),
        Figure(key=f"submit.{database}.floor", title=f"for scale: the framework's floor for a submit, {name}",
               unit="req/s", runs=[load.rate for load in floors], baseline=bare,
               baseline_runs=[load.rate for load in floor_bases],
               note="a Flask view with Flask-WTF's CSRF check and a signed session cookie storing the answers "
                    "as the bare endpoint does (floor_app); the same clients, posting forms it served; "
                    f"{sum(load.count for load in floors)} submissions timed, each checked stored"),
        Figure(key=f"submit.{database}.flask", title=f"for scale: Flask alone, storing a submit as the bare endpoint "
                                                     f"does, {name}",
               unit="req/s", runs=[load.rate for load in flasks], baseline=bare,
               baseline_runs=[load.rate for load in flask_bases],
               note="a Flask view with no CSRF check and no session storing the answers as the bare endpoint does "
                    "(flask_app): what Flask's request handling alone costs; "
                    f"{sum(load.count for load in flasks)} submissions timed, each checked stored"),
    ]


if __name__ == "__main__":
    bench_main(__doc__, figures, arguments=arguments, runs=3)
