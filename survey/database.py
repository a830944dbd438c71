"""Engine settings that make SQLite safe for concurrent writers.

SQLite allows one writer at a time. A deferred transaction that reads first and writes later can fail
at once with "database is locked" when another writer got in between (the busy timeout cannot help,
because waiting would not make its snapshot current). So every transaction that may write takes the
write lock up front (BEGIN IMMEDIATE) and waits its turn; GET/HEAD requests, which never change state,
keep cheap deferred transactions. WAL lets those readers run alongside the writer.
"""
from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_SECONDS = 30
READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def sqlite_engine_options(url: str) -> dict:
    """Options for Flask-SQLAlchemy's SQLALCHEMY_ENGINE_OPTIONS (empty for other databases)."""
    if not url.startswith("sqlite"):
        return {"pool_pre_ping": True}
    return {"connect_args": {"timeout": BUSY_TIMEOUT_SECONDS}}


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Take transaction control away from the sqlite3 module so "begin" below decides the mode.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        read_only = has_request_context() and request.method in READ_ONLY_METHODS
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
