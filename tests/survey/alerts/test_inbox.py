"""The alerts inbox: what it lists and in which order, and the alert emails a manager asks for."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from survey import alerts
from survey.extensions import db
from survey.models import Alert, User
from tests.factories import make_survey, make_user

NOW = datetime(2026, 12, 5, 9, 0)


def make_alert(survey, *, number: int, direction: str = "drop", status: str = "open", days_ago: int = 0) -> Alert:
    alert = Alert(fingerprint=f"f{number}", series_key=f"s{number}", survey_id=survey.id, question_key="satisfaction",
                  metric="top2", kind="change", segment={}, period_before="2026-10", period_after="2026-11",
                  n_before=100, n_after=100, value_before=0.9, value_after=0.75, difference=-0.15, ci_low=-0.2,
                  ci_high=-0.1, p_value=0.001, q_value=0.002, method="two-proportion z", direction=direction,
                  created_at=NOW - timedelta(days=days_ago), status=status)
    db.session.add(alert)
    db.session.commit()
    return alert


def test_the_inbox_lists_drops_before_rises_newest_first_and_resolved_ones_on_request(ctx):
    survey = make_survey()
    old_drop = make_alert(survey, number=1, days_ago=3)
    rise = make_alert(survey, number=2, direction="rise", days_ago=0)
    new_drop = make_alert(survey, number=3, days_ago=1)
    resolved = make_alert(survey, number=4, status="resolved", days_ago=0)
    acknowledged_rise = make_alert(survey, number=5, direction="rise", status="acknowledged", days_ago=2)
    assert alerts.inbox() == [new_drop, old_drop, rise, acknowledged_rise]
    assert alerts.inbox(include_resolved=True) == [resolved, new_drop, old_drop, rise, acknowledged_rise]
    assert alerts.inbox(limit=2) == [new_drop, old_drop]


def test_a_manager_turns_alert_emails_on_and_off(ctx):
    user = make_user(email="analyst@example.com", role="analyst")
    alerts.set_alert_emails(user, True)
    db.session.expire_all()
    assert db.session.scalar(select(User.notify_alerts).where(User.id == user.id)) is True
    alerts.set_alert_emails(user, False)
    db.session.expire_all()
    assert db.session.scalar(select(User.notify_alerts).where(User.id == user.id)) is False


def test_recent_alerts_ids_and_pages_by_id(ctx):
    survey = make_survey()
    made = [make_alert(survey, number=n, status="resolved" if n % 2 else "open") for n in range(1, 6)]
    assert alerts.recent_alerts(2) == [made[4], made[3]]
    assert sorted(alerts.alert_ids()) == [alert.id for alert in made]
    first = alerts.alerts_after(after=0, limit=2)
    assert (first.rows, first.more) == (made[:2], True)
    last = alerts.alerts_after(after=made[3].id, limit=2)
    assert (last.rows, last.more) == ([made[4]], False)
    assert alerts.alerts_after(after=0, limit=10, status="open").rows == [made[1], made[3]]
