"""Campaigns: email a survey to every contact or a segment, as the send form and `send-survey` do, with the
same audience preview (`dry_run`) and the same email wording."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify

from survey import mail, outreach, webhooks
from survey.clock import outside_calendar, utcnow
from survey.views.api.registry import ApiError, body, operation
from survey.views.api.schemas import ref
from survey.views.api.surveys import ERRORS, survey_or_404


def _moment(text: str | None) -> datetime | None:
    """`at` as naive UTC (the schema checked its form)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    moment = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    if outside_calendar(moment):
        raise ApiError(422, "invalid", "at: must lie between the years 1900 and 2999", "at")
    return moment


@operation("/surveys/<slug>/campaigns", "POST", role="editor", summary="Send a survey by email", tag="Campaigns",
           body=ref("Campaign"),
           description="Start a campaign to every contact or a segment (`where`), now or `at` a time, with the "
                       "email's own wording. The answer says who it reaches (matched, skipped by the frequency cap "
                       "or as unsubscribed, invited: counted as the launch counts) and shows the email of the first "
                       "contact invited. With `dry_run` nothing is created. An attribute no contact has is refused "
                       "by name (422, field `where`). A campaign due now is launched by the dispatcher's next pass.",
           responses={201: ("The campaign, its audience and its email", ref("CampaignResult")),
                      200: ("dry_run: its audience and email; nothing was created", ref("CampaignResult")),
                      **ERRORS})
def create_campaign(slug: str):
    survey = survey_or_404(slug)
    data = body()
    assert isinstance(data, dict)  # the schema says it is an object
    now = utcnow()
    at = _moment(data.get("at"))
    wording: dict = data.get("email", {})
    try:
        segment = outreach.parse_segment(data.get("where", []))
        chosen = outreach.check_wording(wording.get("subject"), wording.get("opening"), wording.get("sender_name"))
        when = max(at or now, now)
        audience = outreach.preview_audience(segment, now=when)
        email = outreach.preview_email(survey, segment, chosen, now=when)
        campaign = None if data.get("dry_run") else outreach.create_campaign(
            survey, segment=segment, at=at, reminders=data.get("reminders", 0),
            reminder_days=data.get("reminder_days", 3), now=now, wording=chosen)
    except outreach.OutreachError as error:
        field = {"segment": "where", "email_subject": "email.subject", "email_opening": "email.opening",
                 "email_sender_name": "email.sender_name"}.get(error.field or "", error.field)
        raise ApiError(422, "invalid", str(error), field) from None
    result = {"audience": {"matched": audience.matched, "skipped_cap": audience.skipped_cap,
                           "skipped_unsubscribed": audience.skipped_unsubscribed, "invited": audience.invited},
              "email": {"from": email.sender, "to": mail.address(*(
                  (email.contact.name, email.contact.email) if email.contact else
                  (outreach.EXAMPLE_CONTACT.name, outreach.EXAMPLE_CONTACT.email))),
                        "subject": email.rendered.subject, "text": email.rendered.text,
                        "html": email.rendered.html or ""}}
    if campaign is None:
        return jsonify(result), 200
    result["campaign"] = {"id": campaign.id, "scheduled_at": webhooks.timestamp(campaign.scheduled_at)}
    return jsonify(result), 201
