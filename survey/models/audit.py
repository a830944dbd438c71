"""The audit log: who did what to which record and when, written by every verb that signs someone in,
changes a role or a setting, publishes, sends, erases or exports, through one helper (`record`).

An entry never holds a customer's personal data: it names records by id ("contact:42"), and what it adds
(`detail`) is counts, settings and choices. Erasing a contact also scrubs any detail that mentions them
(survey.accounts.audit.scrub), as a second line of defence. Entries older than HEARKEN_AUDIT_RETENTION_DAYS
are deleted by the dispatcher (survey.accounts.audit.purge_expired).
"""
from __future__ import annotations

import json
import re
from datetime import datetime

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, Index, String, cast, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model, db


class AuditEntry(Model):
    """Who did what to which record, never with the personal data itself (erasures are logged here)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"), Index("ix_audit_log_actor_at", "actor", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100), default="")  # "user:3", "cli", "api:crm", "system"
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


def current_actor() -> tuple[str, int | None]:
    """Who is acting in this context: the API token of an API request, the signed-in user of a page, else
    the command line (a verb run by the dispatcher names "system" itself)."""
    if not has_request_context():
        return "cli", None
    token = g.get("api_token")
    if token is not None:
        return f"api:{token.name}"[:100], None
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}", current_user.id
    return "anonymous", None


def record(action: str, subject: str, *, now: datetime, actor: str | None = None, actor_id: int | None = None,
           **detail: object) -> AuditEntry:
    """Add an entry to the caller's transaction (the caller commits, so the entry stands or falls with what
    it records). Without `actor`, the one acting in this context (`current_actor`)."""
    if actor is None:
        actor, actor_id = current_actor()
    entry = AuditEntry(at=now, actor=actor[:100], actor_id=actor_id, action=action[:40], subject=subject[:80],
                       detail=detail)
    db.session.add(entry)
    return entry


def record_now(action: str, subject: str, *, now: datetime, **detail: object) -> None:
    """Write an entry at once, on a connection of its own, for what happens on a GET (a file downloaded):
    the request's own transaction only reads (on SQLite it began deferred, and upgrading it to write could
    fail at once when another writer committed meanwhile), while this one starts by writing, so it waits
    for the lock as any writer does. An export is never sent unrecorded: if this fails, the request fails."""
    actor, actor_id = current_actor()
    with db.engine.begin() as connection:
        connection.execute(AuditEntry.__table__.insert().values(
            at=now, actor=actor[:100], actor_id=actor_id, action=action[:40], subject=subject[:80], detail=detail))


ERASED = "[erased]"


def scrub(email: str, name: str | None) -> int:
    """Replace every text in entries' details that mentions this person (their address anywhere in it, or
    their name as a word) with "[erased]", in the caller's transaction (their erasure's): how many entries
    changed. Entries are written without personal data; this is the second line of defence."""
    needles = [text for text in (email, name) if text and len(text.strip()) >= 3]
    if not needles:
        return 0
    stored = cast(AuditEntry.detail, String)
    # JSON is stored as the serializer wrote it (non-ASCII escaped), so the search looks for that spelling.
    query = select(AuditEntry).where(or_(*(stored.icontains(json.dumps(text.strip())[1:-1], autoescape=True)
                                          for text in needles)))
    patterns = [re.compile(re.escape(email.strip()), re.IGNORECASE)]
    if name and len(name.strip()) >= 3:
        patterns.append(re.compile(r"\b" + re.escape(name.strip()) + r"\b", re.IGNORECASE))

    def clean(value: object) -> object:
        if isinstance(value, str):
            return ERASED if any(p.search(value) for p in patterns) else value
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    changed = 0
    for entry in db.session.scalars(query):
        cleaned = clean(entry.detail)
        if cleaned != entry.detail:
            entry.detail = cleaned  # type: ignore[assignment]
            changed += 1
    return changed
