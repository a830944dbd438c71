"""Engine settings that make SQLite safe for concurrent writers.

SQLite allows one writer at a time. A deferred transaction that reads first and writes later can fail
at once with "database is locked" when another writer got in between (the busy timeout cannot help,
because waiting would not make its snapshot current). So every transaction that may write takes the
write lock up front (BEGIN IMMEDIATE) and waits its turn; GET/HEAD requests, which never change state,
keep cheap deferred transactions. WAL lets those readers run alongside the writer.

For every database: the session of a request is closed even when the database went away under it (see
`close_sessions_even_when_the_database_is_gone`).
"""
from __future__ import annotations

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from survey.extensions import db

BUSY_TIMEOUT_SECONDS = 30
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def sqlite_engine_options(url: str) -> dict:
    """Options for Flask-SQLAlchemy's SQLALCHEMY_ENGINE_OPTIONS (empty for other databases)."""
    if not url.startswith("sqlite"):
        return {"pool_pre_ping": True}
    return {"connect_args": {"timeout": BUSY_TIMEOUT_SECONDS}}


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
    cursor.close()


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        configure_sqlite_connection(dbapi_connection)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        read_only = has_request_context() and request.method in READ_ONLY_METHODS
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


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
