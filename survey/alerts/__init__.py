"""Alerts: trend detection over the rollups (trends) and the inbox where managers work them (inbox)."""
from survey.alerts.inbox import AlertError, inbox, link_case, linked_changes, set_alert_emails, set_status

__all__ = ["AlertError", "inbox", "link_case", "linked_changes", "set_alert_emails", "set_status"]
