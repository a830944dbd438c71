"""Alerts: trend detection over the rollups (trends) and the inbox where managers work them (inbox)."""
from survey.alerts.inbox import (
    AlertError,
    alert_ids,
    alerts_after,
    inbox,
    link_case,
    linked_changes,
    recent_alerts,
    set_alert_emails,
    set_status,
)

__all__ = ["AlertError", "alert_ids", "alerts_after", "inbox", "link_case", "linked_changes", "recent_alerts",
           "set_alert_emails", "set_status"]
