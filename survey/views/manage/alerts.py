"""Trend alerts for managers: the inbox of drops and rises, each alert's evidence, and a survey's
trends page that says plainly where there are not enough responses. Analysts and above may look and
acknowledge; agents may not see results."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from survey import alerts as alerting
from survey.accounts import scopes
from survey.alerts import evidence, trends
from survey.clock import local_date, utcnow
from survey.extensions import db
from survey.ids import parse_id
from survey.models import Alert
from survey.results.settings import Settings
from survey.views.forms import ActionForm
from survey.views.manage.blueprint import section, survey_or_404

bp = section("alerts", __name__, read="analyst", scoped="all")


@bp.route("/alerts/")
def inbox():
    show = request.args.get("show", "open")
    alerts = alerting.inbox(include_resolved=show == "all")
    return render_template("manage/alerts/inbox.html",
                           alerts=[(a, trends.describe(a), trends.headline(a)) for a in alerts], show=show,
                           action=ActionForm(), settings=Settings.from_config(current_app.config))


@bp.route("/alerts/<int:alert_id>")
def alert_detail(alert_id: int):
    alert = db.session.get(Alert, alert_id) or abort(404)
    return render_template("manage/alerts/detail.html", alert=alert, line=trends.describe(alert), action=ActionForm(),
                           headline=trends.headline(alert), details=alert.details or {},
                           changes=alerting.linked_changes(alert))


@bp.route("/alerts/<int:alert_id>/evidence")
def alert_evidence(alert_id: int):
    """Why it moved: the segment's comments in the alert's period, the words that rose or fell against the
    period before, and the other ratings that moved with it."""
    alert = db.session.get(Alert, alert_id) or abort(404)
    settings = Settings.from_config(current_app.config)
    today = local_date(utcnow(), current_app.config["TIMEZONE"])
    found = trends.evidence_of(alert, settings=settings, today=today)
    page = evidence.comments(alert, found.periods, today=today, after_id=parse_id(request.args.get("after", "")))
    return render_template("manage/alerts/evidence.html", alert=alert, line=trends.describe(alert),
                           headline=trends.headline(alert), details=alert.details or {}, evidence=found,
                           page=page, settings=settings)


@bp.route("/alerts/<int:alert_id>/<any(acknowledge, resolve, reopen):action>", methods=["POST"])
def change_alert(alert_id: int, action: str):
    alert = db.session.get(Alert, alert_id) or abort(404)
    status = alerting.set_status(alert, action, actor=current_user, now=utcnow())
    flash(f"Alert {status}.")
    return redirect(url_for(".alert_detail", alert_id=alert.id))


@bp.route("/alerts/<int:alert_id>/case", methods=["POST"])
def link_case(alert_id: int):
    alert = db.session.get(Alert, alert_id) or abort(404)
    try:
        case = alerting.link_case(alert, request.form.get("case", ""), actor=current_user, now=utcnow())
    except alerting.AlertError as error:
        flash(str(error), "error")
    else:
        flash(f"Linked to follow-up case {case.id}." if case else "The follow-up case was unlinked.")
    return redirect(url_for(".alert_detail", alert_id=alert.id))


@bp.route("/alerts/subscription", methods=["POST"])
def subscription():
    alerting.set_alert_emails(current_user._get_current_object(), request.form.get("notify") == "1")
    flash("You will be emailed new alerts." if current_user.notify_alerts else "You will not be emailed alerts.")
    return redirect(url_for("account.index") if request.form.get("back") == "account" else url_for(".inbox"))


@bp.route("/surveys/<slug>/trends")
def survey_trends(slug: str):
    """Live detection for one survey (read-only): what moved, and where there is too little data."""
    survey = survey_or_404(slug)
    settings = Settings.from_config(current_app.config)
    detection = trends.detect_survey(survey, now=utcnow(), settings=settings, scope=scopes.active())
    return render_template("manage/alerts/trends.html", survey=survey, settings=settings, detection=detection,
                           findings=[(trends.headline(f), trends.describe(f)) for f in detection.findings],
                           segment_label=trends.segment_label)
