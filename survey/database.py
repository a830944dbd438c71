"""Engine settings that make SQLite safe for concurrent writers.

SQLite allows one writer at a time. A deferred transaction that reads first and writes later can fail
at once with "database is locked" when another writer got in between (the busy timeout cannot help,
because waiting would not make its snapshot current). So every transaction that may write takes the
write lock up front (BEGIN IMMEDIATE) and waits its turn; GET/HEAD requests, which never change state,
keep cheap deferred transactions. WAL lets those readers run alongside the writer. A writer waiting for
the lock tries again within a millisecond of its release (`_take_write_lock_promptly`), not after SQLite's
own sleeps of up to tens of milliseconds. Folding the WAL back into the database file (a checkpoint, two
fsyncs) is the dispatcher's work (`keep_wal_short`), not a customer's request's.

A request that reads a while before it knows whether it writes (a customer's answers: find the survey,
check the form) can say so (`read_first`): its reads stay deferred until `write_from_here`, which ends
them and lets the next transaction take the write lock. The lock is then held only while there is
something to write, not while the request reads and checks, so other workers' submissions do not queue
behind its reading.

For every database: a small read that is a page's only database work can go straight through the driver
(`read_row`); bookkeeping that must never hold up or fail the request it belongs to (an API token's last
use) is written without waiting for any lock, or not at all (`write_without_waiting`); and the session of a
request is closed even when the database went away under it (see
`close_sessions_even_when_the_database_is_gone`).
"""
from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from flask import Flask, g, has_app_context, has_request_context, request
from sqlalchemy import Executable, Select, event
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from survey.extensions import db, migrations

BUSY_TIMEOUT_SECONDS = 30
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Page:
    rows: list
    more: bool  # rows follow the last one


def keyset(query: Select, column, *, after: int, limit: int) -> Page:
    """Up to `limit` rows of `query` after `after` by the integer `column`, in its order: costs the same at
    any depth, and never skips or repeats a row however many arrive meanwhile (unlike OFFSET)."""
    rows = list(db.session.scalars(query.where(column > after).order_by(column).limit(limit + 1)))
    return Page(rows[:limit], len(rows) > limit)


def engine_options(url: str) -> dict:
    """Options for Flask-SQLAlchemy's SQLALCHEMY_ENGINE_OPTIONS."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": BUSY_TIMEOUT_SECONDS}}
    options: dict = {"pool_pre_ping": True}
    threshold = make_url(url).query.get("prepare_threshold")
    if isinstance(threshold, str):
        # psycopg prepares a statement once it has run this many times on a connection; `none` never
        # prepares (for a PgBouncer older than 1.22, docs/deployment.md). The URL hands psycopg text, which it
        # took, then failed on with a TypeError at the sixth statement: given here as psycopg wants it.
        options["connect_args"] = {"prepare_threshold": _threshold(threshold)}
    return options


def _threshold(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    if not text.strip().isdigit():
        raise ValueError(f"HEARKEN_DATABASE_URL: prepare_threshold must be a whole number or none, not {text!r}")
    return int(text)


def configure_sqlite_connection(dbapi_connection) -> None:
    """The settings of every new sqlite3 connection (also used by bench/survey_submit.py's baseline, so
    it stores with exactly these)."""
    # Take transaction control away from the sqlite3 module so the caller's BEGIN decides the mode.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    cursor.close()


# SQLite checkpoints the WAL in whichever connection's commit takes it past `wal_autocheckpoint` pages: by
# default every 1 000 pages, about every 70 submissions, each time copying the pages back and waiting for two
# fsyncs inside a customer's request (a third of a submission's time on average, and its p99). The
# dispatcher checkpoints instead, several times a second (`keep_wal_short`), where no one waits for it; a
# request still checkpoints once the WAL reaches WAL_AUTOCHECKPOINT_PAGES (40 MB), so without a dispatcher
# the WAL stays bounded, and under load the request that does it finds little left to copy.
WAL_AUTOCHECKPOINT_PAGES = 10_000
CHECKPOINT_EVERY_SECONDS = 0.2


def checkpoint_wal() -> None:
    """Copy what the WAL holds back into the database file, without waiting for anyone (SQLite's PASSIVE
    checkpoint: writers carry on meanwhile, frames a reader still needs wait for the next one). Nothing on
    other databases."""
    if db.engine.dialect.name != "sqlite":
        return
    connection = db.engine.raw_connection()
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        connection.close()


def keep_wal_short(stopped: threading.Event, echo: Callable[[str], None]) -> None:
    """Checkpoint every CHECKPOINT_EVERY_SECONDS until `stopped` (the dispatcher's thread, in an app
    context). A failure (the database file gone, a disk full) is reported and tried again."""
    while not stopped.wait(CHECKPOINT_EVERY_SECONDS):
        try:
            checkpoint_wal()
        except (SQLAlchemyError, sqlite3.Error) as error:
            echo(f"WAL checkpoint failed, will retry: {type(error).__name__}: {error}")


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        configure_sqlite_connection(dbapi_connection)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if connection.get_execution_options().get(NO_WAIT):
            _take_write_lock_or_fail(connection.connection.dbapi_connection)
            return
        read_only = (has_request_context() and request.method in READ_ONLY_METHODS) or (
            has_app_context() and g.get(READING_FIRST, False))
        if read_only:
            connection.exec_driver_sql("BEGIN")
        elif not _take_write_lock_promptly(connection.connection.dbapi_connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits in SQLite's own busy handler


PROMPT_WAIT_SECONDS = 0.25


def _take_write_lock_promptly(dbapi_connection) -> bool:
    """BEGIN IMMEDIATE, tried again every 0.1–1 ms while another writer holds the lock, for up to
    PROMPT_WAIT_SECONDS: whether it began.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15 … ms between tries, so a writer meeting the lock held
    for the 2 ms of another submission slept up to 8 ms longer than needed, while the other worker could
    take the lock again: on two workers the submit bench went 381 → 482 req/s with this. Past the prompt
    wait (another writer is importing, say) the caller waits in SQLite's handler, up to the busy timeout."""
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + PROMPT_WAIT_SECONDS
        pause = 0.0001
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return True
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    return False
            time.sleep(pause)
            pause = min(pause * 1.5, 0.001)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")


def _take_write_lock_or_fail(dbapi_connection) -> None:
    """BEGIN IMMEDIATE once, without SQLite's busy handler: raises "database is locked" at once when another
    connection holds the write lock."""
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        dbapi_connection.execute("BEGIN IMMEDIATE")
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")


NO_WAIT = "hearken_no_wait"  # the execution option `write_without_waiting` sets on its connection
NO_WAIT_LOCK_TIMEOUT = "1ms"  # PostgreSQL: lock_timeout 0 would mean "wait for ever"


def write_without_waiting(statement: Executable | Callable[[Connection], object]) -> bool:
    """Run one small write in a transaction of its own that takes its locks at once or gives up: whether it
    was written.

    For bookkeeping that must never hold up or fail the request it belongs to: on SQLite the write lock is
    tried once (another writer holding it: given up at once, not after the 30 s busy timeout), on
    PostgreSQL a lock held by another transaction is waited for at most NO_WAIT_LOCK_TIMEOUT. A database
    that is busy, locked or away is reported as False, never raised. It runs on a connection of its own,
    outside any session, so call it where the request's own transaction cannot be holding the lock it needs
    (after the request, see `views.api.authorise`). `statement` may be a function of the connection that runs
    several."""
    engine = db.engine
    driver_error = engine.dialect.loaded_dbapi.Error  # raised unwrapped by the "begin" listener above
    try:
        with engine.connect().execution_options(**{NO_WAIT: True}) as connection, connection.begin():
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{NO_WAIT_LOCK_TIMEOUT}'")
            if callable(statement):  # a few statements that belong together, run in the one transaction
                statement(connection)
            else:
                connection.execute(statement)
    except (SQLAlchemyError, driver_error):
        return False
    return True


READING_FIRST = "sqlite_reading_first"  # the flag in `g`


def read_first() -> None:
    """This request's (or, outside a request, this application context's: a job's) transactions only read
    until `write_from_here` is called (SQLite: deferred, so they do not wait for, or hold, the write lock).
    Whatever path leads to a write must call it first: a deferred transaction that writes can fail at once
    when another writer got in between."""
    g.setdefault(READING_FIRST, True)


def write_from_here() -> None:
    """End the reading that `read_first` began; the next transaction takes the write lock up front.

    What was loaded while reading stays loaded as it was read (not expired, so not read again): it may be
    a few milliseconds older than the write transaction, as under PostgreSQL's READ COMMITTED anyway. The
    write itself must check what has to be current (e.g. the submission key not yet stored) in its own
    transaction. A no-op when `read_first` was not called, and on other databases."""
    if not g.pop(READING_FIRST, False) or db.engine.dialect.name != "sqlite":
        return
    session = db.session()
    session.expire_on_commit = False  # committing a read-only transaction: keep what it loaded
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


@cache
def _driver_statement(statement: Select, dialect: Dialect) -> tuple[str, Callable[[dict], tuple | Mapping], list]:
    """`statement` as the driver's SQL text, a function giving its parameters in the driver's style, and
    each column's result processor (SQLite returns times as text; they come back as datetimes)."""
    compiled = statement.compile(dialect=dialect)
    processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                  for column in statement.selected_columns]
    order = compiled.positiontup  # the parameters' names in order; None when the driver takes them by name
    if order is None:
        return compiled.string, compiled.construct_params, processors

    def parameters(values: dict) -> tuple:
        bound = compiled.construct_params(values)
        return tuple(bound[name] for name in order)

    return compiled.string, parameters, processors


def read_row(statement: Select, **values) -> tuple | None:
    """The first row of a small read, straight through the driver on a connection of the pool.

    For a page whose only database work is one indexed read (a survey's freshness stamp, the public
    changes page's ETag): through a session, the transaction alone (SQLite: its BEGIN, the statement's
    execution context, the rollback at teardown) took ≈0.4 ms, the driver takes ≈0.05 ms. A read needs no
    transaction of its own. Build `statement` once: compiling it is cached per statement object."""
    dialect = db.engine.dialect
    sql, parameters, processors = _driver_statement(statement, dialect)
    error_class = dialect.loaded_dbapi.Error
    try:
        connection = db.engine.raw_connection()
    except error_class as error:  # as SQLAlchemy would raise it: the outage pages catch that
        raise DBAPIError.instance(sql, None, error, error_class, dialect=dialect) from error
    # PostgreSQL: no transaction at all (psycopg's autocommit), where one cost three more round trips: its
    # BEGIN, its ROLLBACK, and the DEALLOCATE ALL psycopg sends after any rollback to forget the statements
    # it had prepared. (SQLite's driver runs in autocommit already: configure_sqlite_connection.)
    autocommit = dialect.name == "postgresql"
    driver = connection.dbapi_connection
    assert driver is not None  # None only once the pooled connection is closed
    try:
        if autocommit:
            driver.autocommit = True
        cursor = connection.cursor()
        cursor.execute(sql, parameters(values))
        row = cursor.fetchone()
        cursor.close()
    except error_class as error:
        connection.invalidate()  # perhaps broken (a restart): the pool opens a new one next time
        raise DBAPIError.instance(sql, None, error, error_class, dialect=dialect) from error
    finally:
        # Whatever happened: a connection lent back in autocommit would commit every statement of the next
        # session that borrows it.
        if autocommit and connection.is_valid:
            try:
                driver.autocommit = False
            except error_class:
                connection.invalidate()
        connection.close()  # back to the pool
    if row is None:
        return None
    return tuple(process(value) if process else value for process, value in zip(processors, row, strict=True))


def close_sessions_even_when_the_database_is_gone(app: Flask) -> None:
    """Register after `db.init_app` (teardowns run last-registered first), so this runs before
    Flask-SQLAlchemy's own `session.remove()`.

    A request that ends while the database is stopping or restarting holds a transaction whose rollback
    cannot reach the server ("terminating connection due to administrator command"). Flask-SQLAlchemy's
    teardown would raise from there, after the page was rendered, and gunicorn would answer 500 instead of
    it; the half-closed session would also stay registered. Here the broken connections are invalidated
    (dropped from the pool without a rollback: the server has already rolled back) and the session
    forgotten, and the request keeps its answer."""

    @app.teardown_appcontext
    def close_session(_error):
        try:
            db.session.remove()
        except DBAPIError:
            db.session.registry().invalidate()
            db.session.registry.clear()


@contextmanager
def reading_only() -> Iterator[None]:
    """Long reads outside a request (a job writing an export): `read_first` for the block, then its reading
    ended, so on SQLite the block holds no write lock however long it reads."""
    read_first()
    try:
        yield
    finally:
        write_from_here()


def upgrade(revision: str = "head") -> None:
    """Migrate the current application's database to `revision` (tests, benchmarks): Flask-Migrate's
    upgrade, once Flask-Migrate is set up (`extensions.migrations`)."""
    import flask_migrate
    from flask import current_app

    migrations(current_app)
    flask_migrate.upgrade(revision=revision)
