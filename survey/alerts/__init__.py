"""Alerts: trend detection over the rollups (trends) and the inbox where managers work them (inbox)."""
from survey.alerts.inbox import AlertError, link_case, linked_changes, set_status

__all__ = ["AlertError", "link_case", "linked_changes", "set_status"]
