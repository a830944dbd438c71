"""SQLite's write lock: a public survey submission reads (finds the survey, checks the answers) without it,
and takes it, waiting its turn, only to write (survey/database.py: read_first, write_from_here)."""
from __future__ import annotations

import sqlite3
import threading
import time
from unittest import mock

import pytest
from sqlalchemy import event, func, select

from survey import responding
from survey.extensions import db
from survey.models import Response
from tests.factories import make_invitation, make_survey
from tests.pages import hidden_fields

GOOD = {"q-satisfaction": "4", "q-recommend": "9"}


@pytest.fixture
def sqlite_app(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's write lock")
        make_survey()
    return app


def statements_of(app) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(args[2].split()[0] + (
            " IMMEDIATE" if args[2].startswith("BEGIN IMMEDIATE") else "")))
    return seen


@pytest.fixture
def writer_holding_the_lock(sqlite_app):
    """Another process's writer, in the middle of its transaction."""
    path = sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    yield other
    if other.in_transaction:
        other.execute("ROLLBACK")
    other.close()


def test_a_public_submission_reads_without_the_write_lock_and_writes_in_an_immediate_transaction(sqlite_app):
    client = sqlite_app.test_client()
    fields = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))
    seen = statements_of(sqlite_app)
    read_stamp = responding.read_stamp  # through the driver, unseen by SQLAlchemy's events: marked here
    with mock.patch.object(responding, "read_stamp", side_effect=lambda slug: seen.append("STAMP") or read_stamp(slug)):
        assert client.post("/s/support-csat", data={**fields, **GOOD}).status_code == 303
    locked = seen.index("BEGIN IMMEDIATE")
    assert seen[0] == "STAMP" and set(seen[:locked]) <= {"STAMP", "BEGIN", "SELECT", "COMMIT"}
    assert seen.count("BEGIN IMMEDIATE") == 1 and {"INSERT", "UPDATE"} & set(seen[locked:])
    assert not {"INSERT", "UPDATE", "DELETE"} & set(seen[:locked])


def test_a_personal_link_submission_takes_the_write_lock_up_front(sqlite_app):
    with sqlite_app.app_context():
        token = make_invitation(make_survey(slug="personal")).token
    client = sqlite_app.test_client()
    fields = hidden_fields(client.get(f"/r/{token}").get_data(as_text=True))
    seen = statements_of(sqlite_app)
    assert client.post(f"/r/{token}", data={**fields, **GOOD}).status_code == 303
    assert seen[0] == "BEGIN IMMEDIATE" and "BEGIN" not in seen


def test_refused_answers_do_not_wait_for_another_writer(sqlite_app, writer_holding_the_lock):
    client = sqlite_app.test_client()
    fields = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))
    releaser = threading.Timer(5, lambda: writer_holding_the_lock.execute("ROLLBACK"))
    releaser.start()
    try:
        started = time.monotonic()
        refused = client.post("/s/support-csat", data={**fields, "q-satisfaction": ""})
        took = time.monotonic() - started
    finally:
        releaser.cancel()
    assert refused.status_code == 422 and took < 4


def test_a_submission_waits_for_another_writer_then_is_stored(sqlite_app, writer_holding_the_lock):
    """Its reading began before the other writer committed: the write still waits and succeeds (no
    "database is locked" from a stale snapshot)."""
    client = sqlite_app.test_client()
    fields = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))

    def commit_something():
        writer_holding_the_lock.execute("UPDATE surveys SET updated_at = updated_at")
        writer_holding_the_lock.execute("COMMIT")

    committer = threading.Timer(0.5, commit_something)
    committer.start()
    try:
        assert client.post("/s/support-csat", data={**fields, **GOOD}).status_code == 303
    finally:
        committer.join()
    with sqlite_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
