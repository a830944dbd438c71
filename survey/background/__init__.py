"""Work done outside web requests by `flask dispatch`: the outbox sent (dispatch), webhook deliveries,
campaign launches and reminders, overdue follow-ups, trend detection and the weekly scorecard, each pass
isolated so one failure never stops the rest; and jobs, the long work pages and the API hand over (jobs)."""
