"""A database write lock held by another connection, for tests that prove a request never waits for one."""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager

from sqlalchemy import text

from survey.extensions import db


@contextmanager
def write_lock_held_elsewhere(app, seconds: float):
    """Another connection holds the write lock on the API tokens for `seconds` (or until the block ends): on
    SQLite BEGIN IMMEDIATE, the database's one write lock; on PostgreSQL an EXCLUSIVE lock on api_tokens,
    which readers pass and every writer of the table waits for. Code that waits for it is let go after
    `seconds`, so a test of the old code fails on time rather than hanging."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        holder = sqlite3.connect(engine.url.database, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
    else:
        holder = engine.connect()
        holder.begin()
        holder.execute(text("LOCK TABLE api_tokens IN EXCLUSIVE MODE"))
    released = threading.Lock()

    def release() -> None:
        if released.acquire(blocking=False):
            holder.rollback()
            holder.close()

    timer = threading.Timer(seconds, release)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        release()
