"""API tokens for other systems: shown once, stored as SHA-256 (a token is 256 random bits, so a fast
hash is enough: nothing to brute-force), named, with a role, revocable, last use recorded. A token made in
the manager pages records who made it, and stops working while that person is deactivated (tokens made on
the command line, or before tokens had owners, have none and keep working).

Checking a token only reads: a read request (GET) must not need the database's write lock, which on SQLite
another process may hold for a while (a contacts upload), so the lookup never writes. The last use is
recorded apart from the request (`record_use`, called after the answer has gone out): at most once a
minute, and only if it can be written at once; when the database is busy it is skipped, and the next
request more than a minute after the stored use tries again. So the recorded last use can lag the real
one by a little over a minute on a database that is never free, never by more than the busy spell lasts.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection

from survey.accounts.scopes import Scope
from survey.clock import local_date, start_of_local_day
from survey.database import write_without_waiting
from survey.extensions import db
from survey.models import ROLES, ApiToken, AuditEntry, User, UserStatus, audit

PREFIX = "hk_"
LAST_USE_EVERY = timedelta(minutes=1)  # how often a token's last use is written, at most


class TokenError(ValueError):
    pass


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, role: str, *, now: datetime, scope: Scope | None = None,
                 created_by: User | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once), working while `created_by` (None: the command line) is active.
    With a data `scope` (checked by scopes.check), the token reads only inside it; the audit log records the
    scope it was given."""
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("a token needs a name of 1 to 100 characters")
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}")
    if find_token(name):
        raise TokenError(f"a token named {name!r} already exists")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, token_hash=digest(secret), created_at=now,
                     scope=scope.stored() if scope else None,
                     created_by_id=created_by.id if created_by is not None else None)
    db.session.add(token)
    db.session.flush()  # its id, for the audit entries
    audit.record("api_token.created", f"api_token:{token.id}", now=now, name=name, role=role)
    if scope is not None:
        change: dict[str, Any] = {"from": None, "to": scope.stored()}
        audit.record("api_token.scope_set", f"api_token:{token.id}", now=now, **change)
    db.session.commit()
    return token, secret


def presented_secret(authorization: str) -> str | None:
    """The token an Authorization header presents ("Bearer <token>", any case and spacing), or None."""
    scheme, _, secret = authorization.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    return secret


def token_for_request(authorization: str) -> ApiToken | None:
    """The live token an Authorization header presents, or None (none, unknown, revoked, or made by someone
    now deactivated). Only reads, in one query."""
    if (secret := presented_secret(authorization)) is None:
        return None
    found = db.session.execute(select(ApiToken, User.status).outerjoin(User, ApiToken.created_by_id == User.id)
                               .where(ApiToken.token_hash == digest(secret))).one_or_none()
    if found is None:
        return None
    token, creator_status = found
    if token.revoked_at is not None or not hmac.compare_digest(token.token_hash, digest(secret)):
        return None
    if creator_status is not None and creator_status != UserStatus.ACTIVE:
        return None
    return token


def use_is_due(token: ApiToken, *, now: datetime) -> bool:
    """Whether a use of `token` at `now` should be recorded (the stored one is over a minute old, or of
    another day)."""
    if token.last_used_at is None or now - token.last_used_at > LAST_USE_EVERY:
        return True
    timezone = current_app.config["TIMEZONE"]
    return local_date(token.last_used_at, timezone) != local_date(now, timezone)  # the day's first use


def record_use(token_id: int, *, now: datetime, name: str = "", address: str | None = None) -> bool:
    """Record that the token was used at `now`, unless a use within the minute before is stored already:
    in a transaction of its own that never waits for a lock. False when the database was busy (or away)
    and nothing was written.

    The first use of each day (in the organisation's time zone) is also written to the audit log, in the
    same transaction, so it is logged exactly once however many requests race for it. Only the first: a
    system calling the API every few seconds would otherwise bury every person's actions under its own,
    and the API's traffic is the web server's access log's to keep; what an admin asks of the audit log is
    which tokens are in use, on which days and from where."""
    day_start = start_of_local_day(local_date(now, current_app.config["TIMEZONE"]), current_app.config["TIMEZONE"])

    def write(connection: Connection) -> None:
        first_today = connection.execute(update(ApiToken).where(
            ApiToken.id == token_id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < day_start))
            .values(last_used_at=now))
        if first_today.rowcount:
            connection.execute(insert(AuditEntry).values(
                at=now, actor=f"api:{name}"[:100], actor_id=None, action="api_token.used",
                subject=f"api_token:{token_id}", detail={"first_use_of_the_day": True, "address": address}))
            return
        stale = or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USE_EVERY)
        connection.execute(update(ApiToken).where(ApiToken.id == token_id, stale).values(last_used_at=now))

    return write_without_waiting(write)


def revoke_token(token: ApiToken, *, now: datetime) -> None:
    """Stop a token working at once (kept, so its name and last use stay on record)."""
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record("api_token.revoked", f"api_token:{token.id}", now=now, name=token.name)
        db.session.commit()


def find_token(name: str) -> ApiToken | None:
    return db.session.scalar(select(ApiToken).where(ApiToken.name == name.strip()))


def list_tokens() -> list[tuple[ApiToken, User | None]]:
    """Every token with the person who made it (None: made on the command line, or before tokens had owners)."""
    return [(token, creator) for token, creator in db.session.execute(
        select(ApiToken, User).outerjoin(User, ApiToken.created_by_id == User.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.name))]
