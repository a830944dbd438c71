"""Change entries as staff pages list them: every entry, and the latest ones a form offers to choose from."""
from __future__ import annotations

from sqlalchemy import select

from survey.extensions import db
from survey.models import ChangeEntry


def _kept():
    return select(ChangeEntry).where(ChangeEntry.deleted_at.is_(None)).order_by(ChangeEntry.changed_on.desc())


def list_changes() -> list[ChangeEntry]:
    """Every entry not deleted, the latest change first."""
    return list(db.session.scalars(_kept()))


def recent_changes(limit: int = 100) -> list[ChangeEntry]:
    """The latest entries not deleted (what a follow-up case may name as the change that fixed it)."""
    return list(db.session.scalars(_kept().limit(limit)))
