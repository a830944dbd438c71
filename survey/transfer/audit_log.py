"""The audit log read back (admins): entries filtered by actor, action and dates, newest first in pages, or
streamed as CSV; and its retention, entries older than HEARKEN_AUDIT_RETENTION_DAYS deleted by the
dispatcher's pass or `flask purge-audit`. Entries are written by survey.models.audit.record."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Select, delete, select

from survey.clock import outside_calendar, start_of_local_day
from survey.extensions import db
from survey.models import AuditEntry, User, audit
from survey.transfer.exports import iso, neutralise

PAGE_SIZE = 50
CSV_BATCH = 1000
# Deleted in batches, so a first purge of years of entries never holds the write lock for long.
PURGE_BATCH = 5000

# What each action means, for the page; an action not listed shows as it is stored.
ACTION_LABELS = {
    "user.signed_in": "signed in",
    "user.sign_in_failed": "failed to sign in",
    "user.created": "account created",
    "user.role_changed": "role changed",
    "survey.published": "survey published",
    "survey.closed": "survey closed",
    "survey.archive_imported": "survey archive imported",
    "responses.imported": "responses imported",
    "responses.exported": "responses exported",
    "results.exported": "results exported",
    "audit.exported": "audit log exported",
    "audit.purged": "old audit entries deleted",
    "campaign.created": "campaign created",
    "change.published": "change published",
    "change.unpublished": "change unpublished",
    "contacts.imported": "contacts imported",
    "contact.erased": "contact erased",
    "erasure.forgotten": "erasure forgotten",
    "api_token.created": "API token created",
    "api_token.revoked": "API token revoked",
    "api_token.used": "API token used (first time that day)",
    "branding.changed": "branding changed",
    "team.created": "team created",
    "team.changed": "team changed",
    "team.moved": "team moved",
    "team.deleted": "team deleted",
    "team.member_added": "team member added",
    "team.member_removed": "team member removed",
    "root_cause.added": "root cause added",
    "root_cause.retired": "root cause retired",
    "root_cause.used_again": "root cause used again",
    "webhook.created": "webhook added",
    "webhook.changed": "webhook changed",
    "webhook.enabled": "webhook enabled",
    "webhook.disabled": "webhook disabled",
    "webhook.deleted": "webhook deleted",
    "webhook.secret_rotated": "webhook secret rotated",
    "chat_channel.added": "Slack/Teams channel added",
    "chat_channel.removed": "Slack/Teams channel removed",
}


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    start: date | None = None  # first day shown, in the organisation's time zone
    end: date | None = None  # last day shown (whole)

    def args(self) -> dict[str, str]:
        """The filter as query parameters, for links (paging, the CSV) that keep it."""
        values = {"actor": self.actor, "action": self.action, "start": self.start.isoformat() if self.start else "",
                  "end": self.end.isoformat() if self.end else ""}
        return {name: value for name, value in values.items() if value}


@dataclass
class ParsedFilter:
    filter: AuditFilter
    problems: dict[str, str] = field(default_factory=dict)


def _day(text: str, name: str, label: str, problems: dict[str, str]) -> date | None:
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        problems[name] = f"{label}: write a date as 2026-12-31, not “{text.strip()[:20]}”."
        return None
    if problem := outside_calendar(day):
        problems[name] = f"{label}: {problem}."
        return None
    return day


def parse_filter(args: Mapping[str, str]) -> ParsedFilter:
    """The filter in a query string, and what is wrong with it by field (nothing is filtered by a bad value)."""
    problems: dict[str, str] = {}
    start = _day(args.get("start", ""), "start", "From", problems)
    end = _day(args.get("end", ""), "end", "To", problems)
    if start and end and end < start:
        problems["end"] = "To: the last day cannot be before the first."
    actor, action = args.get("actor", "").strip()[:100], args.get("action", "").strip()[:40]
    return ParsedFilter(AuditFilter(actor, action, start, end), problems)


def _query(chosen: AuditFilter) -> Select:
    timezone = current_app.config["TIMEZONE"]
    query = select(AuditEntry, User.email).outerjoin(User, User.id == AuditEntry.actor_id)
    if chosen.actor:
        query = query.where(AuditEntry.actor == chosen.actor)
    if chosen.action:
        query = query.where(AuditEntry.action == chosen.action)
    if chosen.start:
        query = query.where(AuditEntry.at >= start_of_local_day(chosen.start, timezone))
    if chosen.end:
        query = query.where(AuditEntry.at < start_of_local_day(chosen.end + timedelta(days=1), timezone))
    return query


@dataclass(frozen=True)
class Row:
    entry: AuditEntry
    email: str | None  # the acting user's address, when the actor is a user who still exists

    @property
    def who(self) -> str:
        return self.email or self.entry.actor

    @property
    def what(self) -> str:
        return ACTION_LABELS.get(self.entry.action, self.entry.action)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    older: int | None  # the `before` of the next page, None on the last


def page(chosen: AuditFilter, *, before: int | None = None, limit: int | None = None) -> Page:
    """Entries newest first, `limit` at a time, by id (keyset: a page never skips or repeats an entry as new
    ones arrive)."""
    query, limit = _query(chosen), limit or PAGE_SIZE
    if before is not None:
        query = query.where(AuditEntry.id < before)
    found = db.session.execute(query.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    rows = [Row(entry, email) for entry, email in found[:limit]]
    return Page(rows, rows[-1].entry.id if len(found) > limit else None)


def actor_choices() -> list[tuple[str, str]]:
    """Everyone who appears in the log (actor, label), people by address first."""
    found = db.session.execute(select(AuditEntry.actor, User.email).outerjoin(User, User.id == AuditEntry.actor_id)
                               .distinct()).all()
    labels: dict[str, str] = {}
    for actor, email in found:
        labels[actor] = email or labels.get(actor) or actor
    return sorted(labels.items(), key=lambda pair: (not pair[0].startswith("user:"), pair[1].lower()))


def action_choices() -> list[tuple[str, str]]:
    stored = set(db.session.scalars(select(AuditEntry.action).distinct()))
    return sorted(((action, ACTION_LABELS.get(action, action)) for action in stored | set(ACTION_LABELS)),
                  key=lambda pair: pair[1].lower())


COLUMNS = ("id", "at_utc", "actor", "actor_email", "action", "subject", "detail")


def csv_chunks(chosen: AuditFilter) -> Iterator[str]:
    """The filtered entries as CSV, newest first, read and written CSV_BATCH at a time (memory stays flat
    however long the log). Cells a spreadsheet could run as formulas are neutralised, as in every export."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    before: int | None = None
    while True:
        batch = page(chosen, before=before, limit=CSV_BATCH)
        for row in batch.rows:
            entry = row.entry
            writer.writerow([neutralise(cell) for cell in (
                entry.id, iso(entry.at), entry.actor, row.email or "", entry.action, entry.subject,
                json.dumps(entry.detail or {}, ensure_ascii=False, sort_keys=True))])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if batch.older is None:
            return
        before = batch.older
        db.session.expire_all()  # the rows written so far need not stay in the session


def record_export(what: str, subject: str, *, now: datetime, fmt: str, filter_args: Mapping[str, str]) -> None:
    """Write "<what>.exported" before the file goes out (responses, results, the audit log itself), with the
    filter it was made with. A search text is not kept, only that there was one: it may be a customer's name.

    Committed at once on a connection of its own (survey.models.audit.record_now), since a download is a
    GET; this session's transaction, which only read, is ended first so it holds no lock that the entry's
    own transaction would wait for (on SQLite a command's or a POST's transaction takes the write lock)."""
    db.session.commit()
    audit.record_now(f"{what}.exported", subject, now=now, **export_detail(fmt, filter_args))


def export_detail(fmt: str, filter_args: Mapping[str, str]) -> dict[str, Any]:
    """An export entry's detail: its format and the filter it was made with, without a search text. An
    export made by a job (a POST) records it with `audit.record` in the job's own transaction."""
    kept = {name: value for name, value in filter_args.items() if name != "q"}
    if filter_args.get("q"):
        kept["q"] = "(a search text, not kept)"
    return {"format": fmt, "filter": kept}


def retention_days() -> int:
    return int(current_app.config["AUDIT_RETENTION_DAYS"])


def purge_expired(*, now: datetime) -> int:
    """Delete entries older than the retention period, in batches that each commit; the deletion is itself
    an entry (how many, up to when), so a gap in the log is explained. How many were deleted.

    Whole UTC days go at once (an entry is kept at least the period, at most a day longer): the dispatcher
    calls this every pass, and entries age out all day long, so a finer cut would log a purge every pass."""
    cutoff = datetime.combine((now - timedelta(days=retention_days())).date(), datetime.min.time())
    removed = 0
    while True:
        ids = list(db.session.scalars(select(AuditEntry.id).where(AuditEntry.at < cutoff)
                                      .order_by(AuditEntry.id).limit(PURGE_BATCH)))
        if not ids:
            break
        result = db.session.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids)))
        removed += cast(CursorResult, result).rowcount
        db.session.commit()
        if len(ids) < PURGE_BATCH:
            break
    if removed:
        audit.record("audit.purged", "audit_log", now=now, actor="system", deleted=removed,
                     before=iso(cutoff), retention_days=retention_days())
        db.session.commit()
    return removed
