"""SQLite's write lock: a public survey submission reads (finds the survey, checks the answers) without it,
and takes it, waiting its turn, only to write (survey/database.py: read_first, write_from_here)."""
from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import event, func, select, text

from survey import database
from survey.background import dispatch
from survey.extensions import db
from survey.models import Contact, Response
from survey.responding import submission as responding
from tests.conftest import build_app
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


def first_words(sql: str) -> str:
    return sql.split()[0] + (" IMMEDIATE" if sql.startswith("BEGIN IMMEDIATE") else "")


def statements_of(app) -> list[str]:
    """What the app's connections run from now on, as SQLite sees it (BEGIN IMMEDIATE is sent by the
    driver itself: survey.database), without the pragmas that wrap it."""
    seen: list[str] = []

    def trace(dbapi_connection, _record, _proxy):
        dbapi_connection.set_trace_callback(
            lambda sql: None if sql.startswith("PRAGMA") else seen.append(first_words(sql)))
    with app.app_context():
        event.listen(db.engine, "checkout", trace)
    return seen


def through_sqlalchemy(app) -> list[str]:
    """What the app's connections run through SQLAlchemy's execution from now on."""
    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: seen.append(first_words(args[2])))
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
    """Keeping a refused form for the page that redirects to it is a write: while another writer holds the
    lock, the refusal waits at most REFUSAL_PATIENCE and then shows the form as the POST's own answer."""
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


def begin_attempts_of(connection) -> list[str]:
    """Every BEGIN IMMEDIATE this connection's driver tried, refused ones included (SQLite's trace)."""
    tried: list[str] = []
    connection.connection.dbapi_connection.set_trace_callback(
        lambda sql: tried.append(sql) if sql == "BEGIN IMMEDIATE" else None)
    return tried


def test_a_writer_takes_the_lock_as_soon_as_another_writer_lets_go(sqlite_app, writer_holding_the_lock):
    """It tries again every few hundred microseconds rather than sleeping in SQLite's busy handler (1, 2,
    5, 10 … ms), and the 30 s busy timeout is back in place for everything after."""
    with sqlite_app.app_context(), db.engine.connect() as connection:
        tried = begin_attempts_of(connection)
        executed = through_sqlalchemy(sqlite_app)

        def release_after_three_tries():
            deadline = time.monotonic() + 10
            while len(tried) < 3 and time.monotonic() < deadline:
                time.sleep(0.001)
            writer_holding_the_lock.execute("ROLLBACK")

        releaser = threading.Thread(target=release_after_three_tries)
        releaser.start()
        try:
            connection.begin()
        finally:
            releaser.join()
        assert len(tried) >= 4  # refused at least three times, then taken
        assert "BEGIN IMMEDIATE" not in executed  # taken promptly, not by the fallback
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == database.BUSY_TIMEOUT_SECONDS * 1000
        connection.rollback()


def test_a_long_writer_is_waited_for_by_sqlite_itself(sqlite_app, writer_holding_the_lock, monkeypatch):
    """Past the prompt wait (another writer is importing, say), the writer waits in SQLite's busy handler,
    with the busy timeout, and gets the lock when the other lets go."""
    monkeypatch.setattr(database, "PROMPT_WAIT_SECONDS", 0.01)
    releaser = threading.Timer(0.3, lambda: writer_holding_the_lock.execute("ROLLBACK"))
    with sqlite_app.app_context(), db.engine.connect() as connection:
        executed = through_sqlalchemy(sqlite_app)
        releaser.start()
        try:
            connection.begin()
        finally:
            releaser.join()
        assert executed == ["BEGIN IMMEDIATE"]
        connection.rollback()


def test_a_keyset_page_starts_after_the_cursor_and_says_whether_more_follow(ctx):
    from survey.models import Survey
    from tests.factories import make_survey

    made = [make_survey(slug=f"s{n}") for n in range(3)]
    first = database.keyset(select(Survey), Survey.id, after=0, limit=2)
    assert (first.rows, first.more) == (made[:2], True)
    rest = database.keyset(select(Survey), Survey.id, after=made[1].id, limit=2)
    assert (rest.rows, rest.more) == (made[2:], False)



def test_customers_commits_leave_the_wal_to_the_dispatcher(sqlite_app):
    """A commit that takes the WAL past SQLite's default 1 000 pages no longer copies it back into the
    database file (two fsyncs inside a customer's request): the dispatcher's checkpoints do, and a request
    only past WAL_AUTOCHECKPOINT_PAGES."""
    path = Path(sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with sqlite_app.app_context():
        database.checkpoint_wal()
        before = path.stat()
        page_size = db.session.connection().exec_driver_sql("PRAGMA page_size").scalar()
        db.session.commit()
        padding = "x" * 4000
        for batch in range(15):  # about 1 500 pages of new rows, committed 15 times
            db.session.add_all(Contact(email=f"c{batch}-{i}@example.com", attributes={"note": padding},
                                       created_at=datetime(2026, 1, 1)) for i in range(400))
            db.session.commit()
        assert (path.with_name(path.name + "-wal").stat().st_size // page_size) > 1_500
        assert (path.stat().st_mtime_ns, path.stat().st_size) == (before.st_mtime_ns, before.st_size)
        database.checkpoint_wal()
    assert path.stat().st_mtime_ns > before.st_mtime_ns


def test_the_dispatcher_loop_checkpoints_the_wal(sqlite_app, monkeypatch):
    path = Path(sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with sqlite_app.app_context():
        database.checkpoint_wal()
        before = path.stat().st_mtime_ns
        db.session.add_all(Contact(email=f"c{i}@example.com", attributes={"note": "x" * 4000},
                                   created_at=datetime(2026, 1, 1)) for i in range(400))
        db.session.commit()
        monkeypatch.setattr(dispatch, "run_once", lambda **kwargs: dispatch.PassReport())
        deadline = time.monotonic() + 10
        dispatch.run_forever(interval=0.05, detect_every=3600, echo=print,
                             should_stop=lambda: path.stat().st_mtime_ns > before or time.monotonic() > deadline)
    assert path.stat().st_mtime_ns > before


def test_a_read_through_the_driver_costs_postgresql_no_transaction(app, tmp_path):
    """On PostgreSQL a page's one read (the survey's stamp) runs outside any transaction: in one, psycopg
    added a BEGIN, a ROLLBACK and, after the rollback, a DEALLOCATE ALL of its prepared statements, each a
    round trip (watched here in libpq's own trace of the protocol)."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL's round trips")
        make_survey()
        trace = tmp_path / "libpq.trace"
        with trace.open("wb") as out:
            def watch(dbapi_connection, _record, _proxy):
                dbapi_connection.pgconn.trace(out.fileno())

            def stop(dbapi_connection, _record):
                dbapi_connection.pgconn.untrace()
            event.listen(db.engine.pool, "checkout", watch)
            event.listen(db.engine.pool, "checkin", stop)
            try:
                for _ in range(6):  # past psycopg's prepare threshold (5)
                    assert responding.read_stamp("support-csat") is not None
            finally:
                event.remove(db.engine.pool, "checkout", watch)
                event.remove(db.engine.pool, "checkin", stop)
            connection = db.engine.raw_connection()
            try:
                assert connection.dbapi_connection.autocommit is False  # as the pool lent it
            finally:
                connection.close()
    sent = trace.read_bytes()
    assert sent.count(b"FROM surveys") >= 1
    assert b"BEGIN" not in sent and b"ROLLBACK" not in sent and b"DEALLOCATE" not in sent


def test_the_database_url_can_turn_psycopgs_prepared_statements_off(migrated, instance_path):
    """For a PgBouncer older than 1.22 (docs/deployment.md): `?prepare_threshold=none` prepares nothing,
    where the text reached psycopg as it was and failed at the sixth statement."""
    if not migrated.startswith("postgresql"):
        pytest.skip("psycopg's prepared statements")
    never = f"{migrated}{'&' if '?' in migrated else '?'}prepare_threshold=none"
    for url, prepared in ((migrated, True), (never, False)):
        app = build_app(url, instance_path)
        with app.app_context():
            for _ in range(7):
                db.session.scalar(select(func.count()).select_from(Response))
            assert bool(db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))) is prepared
            db.session.remove()
            db.engine.dispose()


def test_a_prepare_threshold_that_is_not_a_number_is_named():
    with pytest.raises(ValueError, match="prepare_threshold must be a whole number or none, not 'often'"):
        database.engine_options("postgresql+psycopg://db.example.test/hearken?prepare_threshold=often")
    assert database.engine_options("postgresql+psycopg://db.example.test/hearken?prepare_threshold=0") == {
        "pool_pre_ping": True, "connect_args": {"prepare_threshold": 0}}


def test_a_read_that_fails_lends_no_connection_back_in_autocommit(app):
    """Whatever ends a read through the driver (here a value missing, before the statement is sent), its
    connection goes back to the pool as it came: in autocommit, the next session's statements would each
    commit on their own."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("psycopg's autocommit")
        lent_back = []
        watch = lambda dbapi_connection, _record: lent_back.append(dbapi_connection.autocommit)  # noqa: E731
        event.listen(db.engine.pool, "checkin", watch)
        try:
            with pytest.raises(Exception, match="slug"):
                database.read_row(responding._STAMP)
            assert responding.read_stamp("no-such-survey") is None
        finally:
            event.remove(db.engine.pool, "checkin", watch)
    assert lent_back == [False, False]
