"""What managers do with alerts: the inbox, acknowledging, resolving or reopening one, linking the follow-up
case that handles it (published changes link alerts themselves, through ChangeLink), and whether they are
emailed new ones."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select

from survey.database import Page, keyset
from survey.extensions import db
from survey.ids import parse_id
from survey.models import Alert, AlertStatus, ChangeEntry, ChangeLink, FollowUpCase, User

STATUS_ACTIONS = {"acknowledge": AlertStatus.ACKNOWLEDGED, "resolve": AlertStatus.RESOLVED, "reopen": AlertStatus.OPEN}
INBOX_LIMIT = 500


class AlertError(ValueError):
    pass


def inbox(*, include_resolved: bool = False, limit: int = INBOX_LIMIT) -> list[Alert]:
    """The alerts a manager works through: drops before rises (a drop asks for action, a rise is news), each
    newest first; resolved ones only when asked for."""
    query = select(Alert).order_by(case((Alert.direction == "drop", 0), else_=1), Alert.created_at.desc())
    if not include_resolved:
        query = query.where(Alert.status != AlertStatus.RESOLVED)
    return list(db.session.scalars(query.limit(limit)))


def recent_alerts(limit: int = 50) -> list[Alert]:
    """The latest alerts, newest first (what a change entry may name as having led to it)."""
    return list(db.session.scalars(select(Alert).order_by(Alert.id.desc()).limit(limit)))


def alert_ids() -> list[int]:
    return list(db.session.scalars(select(Alert.id)))


def alerts_after(*, after: int, limit: int, status: str | None = None) -> Page:
    """A page of alerts by id (the API's list), in one status or all."""
    query = select(Alert) if status is None else select(Alert).where(Alert.status == status)
    return keyset(query, Alert.id, after=after, limit=limit)


def set_status(alert: Alert, action: str, *, actor: User, now: datetime) -> str:
    _change_status(alert, action, actor=actor, now=now)
    db.session.commit()
    return alert.status


def _change_status(alert: Alert, action: str, *, actor: User, now: datetime) -> None:
    alert.status, alert.status_changed_at, alert.status_changed_by_id = STATUS_ACTIONS[action], now, actor.id


def link_case(alert: Alert, case_number: str, *, actor: User, now: datetime) -> FollowUpCase | None:
    """Link (or with an empty number, unlink) a follow-up case; linking acknowledges an open alert."""
    text = case_number.strip().lstrip("#")
    if not text:
        alert.case_id = None
        db.session.commit()
        return None
    case = db.session.get(FollowUpCase, number) if (number := parse_id(text)) else None
    if case is None:
        raise AlertError(f"There is no follow-up case {case_number.strip()[:20]!r}.")
    alert.case_id = case.id
    if alert.status == AlertStatus.OPEN:  # in the same transaction: linked and acknowledged, or neither
        _change_status(alert, "acknowledge", actor=actor, now=now)
    db.session.commit()
    return case


def linked_changes(alert: Alert) -> list[ChangeEntry]:
    return list(db.session.scalars(select(ChangeEntry).join(ChangeLink).where(
        ChangeLink.alert_id == alert.id, ChangeEntry.deleted_at.is_(None)).order_by(ChangeEntry.id)))


def set_alert_emails(user: User, wanted: bool) -> None:
    """Whether `user` is emailed new alerts (trends.run emails everyone who wants them)."""
    user.notify_alerts = wanted
    db.session.commit()
