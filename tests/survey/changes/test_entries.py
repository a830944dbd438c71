"""Change entries as staff pages list them."""
from __future__ import annotations

from datetime import date

from survey.changes import changelog as changes
from survey.changes import entries
from tests.factories import NOW


def make_change(title: str, changed_on: date):
    return changes.save_change(None, changes.ChangeInput(
        title=title, you_said="Nobody called you back.", we_did="We call back within a day.", category="Support",
        status="done", changed_on=changed_on), actor_id=None, now=NOW)


def test_entries_are_listed_latest_change_first_without_the_deleted_ones(ctx):
    older, deleted, newer = (make_change(title, day) for title, day in (
        ("Older", date(2026, 9, 1)), ("Deleted", date(2026, 9, 15)), ("Newer", date(2026, 10, 1))))
    changes.delete_change(deleted, now=NOW)
    assert entries.list_changes() == [newer, older]
    assert entries.recent_changes(1) == [newer]
