"""Events from other systems: invite a customer after something happened (a purchase, a closed case)."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import g, jsonify

from survey import outreach, webhooks
from survey.clock import utcnow
from survey.outreach import contacts
from survey.views.api.registry import ApiError, body, operation
from survey.views.api.schemas import ref

DELAY_PATTERN = re.compile(r"^(\d{1,6})\s*([smhd]?)$")
DELAY_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_delay(value) -> timedelta:
    """Seconds as a number, or a string such as "90s", "30m", "6h", "2d" (the schema checked the form)."""
    if isinstance(value, int | float):  # the schema allows only whole numbers: 30 or 30.0
        seconds = int(value)
    else:
        match = DELAY_PATTERN.match(value.strip())
        assert match is not None  # the schema's pattern admits the same strings
        seconds = int(match.group(1)) * DELAY_UNITS[match.group(2)]
    if not 0 <= seconds <= outreach.MAX_DELAY.total_seconds():
        raise ApiError(422, "invalid", "delay must be between 0 and 365 days", "delay")
    return timedelta(seconds=seconds)


@operation("/events", "POST", role="editor", summary="Trigger a survey invitation", tag="Events", body=ref("Event"),
           description="Invite a customer to a survey after a delay, within the frequency cap and never after they "
                       "unsubscribed. Posting the same `id` again does nothing new (200 with duplicate: true).",
           responses={202: ("Accepted: the invitation is scheduled (or skipped, see outcome)", ref("EventResult")),
                      200: ("This id was posted before; nothing new was done", ref("EventResult")),
                      404: ("No survey with that slug", ref("Error"))})
def post_event():
    data = body()
    try:
        attributes = contacts.named_attributes({key: str(value) for key, value in data.get("attributes", {}).items()})
    except ValueError as error:
        raise ApiError(422, "invalid", str(error), "attributes") from None
    try:
        outcome = outreach.record_event(
            g.api_token, email=data["email"], survey_slug=data["survey"], now=utcnow(),
            delay=parse_delay(data.get("delay", 0)), name=data.get("name"), touchpoint=data.get("touchpoint"),
            attributes=attributes,
            event_key=data.get("id"))
    except outreach.OutreachError as error:
        status, code = (404, "not_found") if isinstance(error, outreach.UnknownSurvey) else (422, "invalid")
        raise ApiError(status, code, str(error), error.field) from None
    event, scheduled_for = outcome.event, outcome.scheduled_for
    result = {"event": {"id": event.id, "outcome": event.outcome, "duplicate": outcome.duplicate,
                        "invitation_id": event.invitation_id,
                        "scheduled_for": webhooks.timestamp(scheduled_for)}}
    return jsonify(result), 200 if outcome.duplicate else 202
