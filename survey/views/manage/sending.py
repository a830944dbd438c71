"""Manager pages for sending a survey: campaigns and their figures, triggered events, the email preview,
and the outbox (what failed and why). Anyone logged in may look, editors may send."""
from __future__ import annotations

import json

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from survey import mail, outreach
from survey.background import dispatch, jobs
from survey.clock import utcnow
from survey.models import Contact, Invitation
from survey.views.forms import CampaignForm
from survey.views.manage.blueprint import section, survey_or_404

bp = section("sending", __name__, read="agent", change="editor")

# The email preview is shown in a sandboxed frame of the sending page: emails need inline styles, and
# this is the only page allowed them. No script runs (sandbox without allow-scripts, script-src 'none').
EMAIL_PREVIEW_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                        "frame-ancestors 'self'; sandbox")


def _page(survey, form: CampaignForm, status: int = 200, audience: outreach.AudiencePreview | None = None):
    return render_template("manage/sending.html", survey=survey, form=form, audience=audience,
                           campaigns=outreach.campaign_stats(survey), events=outreach.event_counts(survey),
                           cap_days=current_app.config["FREQUENCY_CAP_DAYS"]), status


def _segment_key(segment: dict[str, list[str]]) -> str:
    return json.dumps(segment, sort_keys=True, ensure_ascii=False)


@bp.route("/surveys/<slug>/sending", methods=["GET", "POST"])
def sending(slug: str):
    """The campaign form in two steps: the first POST shows the audience (how many contacts, how many the
    cap and unsubscribes skip, a sample) and changes nothing; Send, on that page, sends what was shown."""
    survey = survey_or_404(slug)
    form = CampaignForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            segment = outreach.parse_segment((form.segment.data or "").splitlines())
            if request.form.get("action") != "send" or form.previewed.data != _segment_key(segment):
                audience = outreach.preview_audience(segment, now=max(form.at.data or now, now))
                form.previewed.data = _segment_key(segment)
                return _page(survey, form, audience=audience)
            settings = dict(segment=segment, reminders=form.reminders.data, reminder_days=form.reminder_days.data,
                            now=now)
            if form.at.data is None or form.at.data <= now:  # now: its job queues the invitations
                job = jobs.send_campaign_now(survey, **settings, at=form.at.data, owner=current_user)
                return redirect(url_for("manage.jobs.job_page", job_id=job.id), 303)
            campaign = outreach.create_campaign(survey, **settings, at=form.at.data, actor_id=current_user.id)
        except outreach.OutreachError as error:
            target = getattr(form, error.field or "", None) or form.segment
            target.errors = [*target.errors, str(error)]
            return _page(survey, form, 422)
        flash(f"Scheduled for {campaign.scheduled_at:%Y-%m-%d %H:%M} UTC.")
        return redirect(url_for(".sending", slug=slug))
    return _page(survey, form, 422 if form.errors else 200)


def _sample_invitation(survey) -> Invitation:
    """An invitation that is never saved, addressed to an example customer, for the preview."""
    contact = Contact(email="customer@example.com", name="Alex Example", attributes={},
                      unsubscribe_token="example-unsubscribe-token")
    return Invitation(token="example-personal-link", survey=survey, contact=contact)


@bp.route("/surveys/<slug>/email-preview")
def email_preview(slug: str):
    survey = survey_or_404(slug)
    invitation = _sample_invitation(survey)
    rendered, reminder = mail.render_invitation(invitation), mail.render_invitation(invitation, reminder=True)
    return render_template("manage/email_preview.html", survey=survey, rendered=rendered,
                           reminder_subject=reminder.subject)


@bp.route("/surveys/<slug>/email-preview.html")
def email_preview_html(slug: str):
    survey = survey_or_404(slug)
    html = mail.render_invitation(_sample_invitation(survey)).html
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": EMAIL_PREVIEW_POLICY,
                                                         "X-Frame-Options": "SAMEORIGIN"})


@bp.route("/outbox")
def outbox():
    trouble = dispatch.outbox_trouble()
    return render_template("manage/outbox.html", failed=trouble.failed, waiting=trouble.retrying)
