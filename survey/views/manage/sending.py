"""Manager pages for sending a survey: campaigns and their figures, triggered events, the email preview,
and the outbox (what failed and why). Anyone logged in may look, editors may send."""
from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from survey import mail, outreach
from survey.background import dispatch, jobs
from survey.clock import utcnow
from survey.views.forms import CampaignEmailForm, CampaignForm
from survey.views.manage.blueprint import section, survey_or_404

bp = section("sending", __name__, read="agent", change="editor")

# The email preview is shown in a sandboxed frame of the sending page: emails need inline styles, and
# this is the only page allowed them. No script runs (sandbox without allow-scripts, script-src 'none').
EMAIL_PREVIEW_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                        "frame-ancestors 'self'; sandbox")


def _page(survey, form: CampaignForm, status: int = 200, audience: outreach.AudiencePreview | None = None,
          email: outreach.EmailPreview | None = None):
    return render_template("manage/sending.html", survey=survey, form=form, audience=audience, email=email,
                           email_query=_email_query(form) if email else None,
                           campaigns=outreach.campaign_stats(survey), events=outreach.event_counts(survey),
                           cap_days=current_app.config["FREQUENCY_CAP_DAYS"]), status


def _email_query(form: CampaignForm) -> dict[str, str]:
    """The campaign's segment and wording as the email preview's query arguments."""
    return {name: value for name in ("segment", "email_subject", "email_opening", "email_sender_name")
            if (value := getattr(form, name).data)}


def _shown(segment: dict[str, list[str]], wording: mail.Wording) -> str:
    """What the audience step showed: Send sends it only when nothing changed since."""
    return json.dumps([segment, wording.subject, wording.opening, wording.sender_name], sort_keys=True,
                      ensure_ascii=False)


@bp.route("/surveys/<slug>/sending", methods=["GET", "POST"])
def sending(slug: str):
    """The campaign form in two steps: the first POST shows the audience (how many contacts, how many the
    cap and unsubscribes skip, a sample) and the exact email of one of them, and changes nothing; Send, on
    that page, sends what was shown."""
    survey = survey_or_404(slug)
    form = CampaignForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            segment = outreach.parse_segment((form.segment.data or "").splitlines())
            wording = outreach.check_wording(form.email_subject.data, form.email_opening.data,
                                             form.email_sender_name.data)
            if request.form.get("action") != "send" or form.previewed.data != _shown(segment, wording):
                when = max(form.at.data or now, now)
                audience = outreach.preview_audience(segment, now=when)
                email = outreach.preview_email(survey, segment, wording, now=when)
                form.previewed.data = _shown(segment, wording)
                return _page(survey, form, audience=audience, email=email)
            settings = dict(segment=segment, reminders=form.reminders.data, reminder_days=form.reminder_days.data,
                            now=now, wording=wording)
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


def _previewed_email(survey) -> tuple[CampaignEmailForm, outreach.EmailPreview | None]:
    """The email preview of the campaign described by the query (segment and wording, as the send form
    names them): for the first contact it would invite; without a query, for an example customer."""
    form = CampaignEmailForm(formdata=request.args, meta={"csrf": False})
    if not form.validate():
        return form, None
    try:
        segment = outreach.parse_segment((form.segment.data or "").splitlines())
        wording = outreach.check_wording(form.email_subject.data, form.email_opening.data,
                                         form.email_sender_name.data)
        return form, outreach.preview_email(survey, segment, wording, now=utcnow(), sample=bool(request.args))
    except outreach.OutreachError as error:
        target = getattr(form, error.field or "", None) or form.segment
        target.errors = [*target.errors, str(error)]
        return form, None


@bp.route("/surveys/<slug>/email-preview")
def email_preview(slug: str):
    survey = survey_or_404(slug)
    form, email = _previewed_email(survey)
    if email is None:
        return render_template("manage/email_preview.html", survey=survey, form=form, email=None), 422
    return render_template("manage/email_preview.html", survey=survey, form=form, email=email,
                           rendered=email.rendered, query=request.args.to_dict())


@bp.route("/surveys/<slug>/email-preview.html")
def email_preview_html(slug: str):
    survey = survey_or_404(slug)
    _, email = _previewed_email(survey)
    if email is None:
        abort(422)
    return Response(email.rendered.html, mimetype="text/html",
                    headers={"Content-Security-Policy": EMAIL_PREVIEW_POLICY, "X-Frame-Options": "SAMEORIGIN"})


@bp.route("/outbox")
def outbox():
    trouble = dispatch.outbox_trouble()
    return render_template("manage/outbox.html", failed=trouble.failed, waiting=trouble.retrying)
