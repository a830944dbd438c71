"""Reaching customers: contacts and their import, personal invitations, campaigns and reminders, erasure."""
from survey.outreach.campaigns import (
    MAX_DELAY,
    MAX_REMINDERS,
    AudiencePreview,
    OutreachError,
    UnknownSurvey,
    campaign_stats,
    check_segment,
    contact_by_unsubscribe_token,
    create_campaign,
    event_counts,
    launch,
    launch_due_campaigns,
    new_campaign,
    parse_segment,
    preview_audience,
    queue_due_reminders,
    record_event,
    segment_conditions,
    send_campaign,
    unsubscribe,
)

__all__ = [
    "MAX_DELAY", "MAX_REMINDERS", "AudiencePreview", "OutreachError", "UnknownSurvey", "campaign_stats",
    "check_segment", "contact_by_unsubscribe_token", "create_campaign", "event_counts", "launch",
    "launch_due_campaigns", "new_campaign", "parse_segment", "preview_audience", "queue_due_reminders",
    "record_event", "segment_conditions", "send_campaign", "unsubscribe",
]
