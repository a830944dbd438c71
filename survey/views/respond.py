"""The customer's side: answer a survey from a personal link (/r/<token>) or the public link (/s/<slug>).

CSRF is checked by the form itself (the blueprint is exempt from the global check) so that an expired
token re-shows the form with every answer kept instead of an error page. Likewise a database outage while
answers are sent keeps them on a 503 page for one more click (see `answers_kept_while_database_is_down`).
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from survey import database
from survey.clock import utcnow
from survey.extensions import csrf
from survey.forms import RespondForm
from survey.invitations import invitation_by_token, invited_respondent, mark_opened, public_respondent
from survey.models import Survey, SurveyVersion
from survey.responding import (
    NOTHING_YET,
    Consents,
    Respondent,
    parse_answers,
    preselect_first,
    resume,
    save_draft,
    submit_response,
    survey_to_answer,
)
from survey.tokens import new_token
from survey.views import errors

bp = Blueprint("respond", __name__)
csrf.exempt(bp)

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@bp.after_request
def keep_private(response):
    # Answers and personal links must not linger in shared caches or the browser's disk cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def answers_kept_while_database_is_down(error: Exception):
    """Sent answers meet a database that is down: answer 503 with a page that holds every posted field
    (the same submission key and CSRF token included) and a button that posts them again. It needs no
    database, so it works during the outage; the resend is stored once even if the first attempt was
    committed after all. Never a thank-you that was not earned, never a 500."""
    if request.method != "POST" or not errors.is_database_outage(error):
        return errors.database_unavailable(error)
    errors.log_database_outage(error)
    page = errors.render_without_database("respond/unavailable.html", fields=request.form.to_dict(flat=False),
                                          action_url=request.path, retry_after=errors.RETRY_AFTER_SECONDS)
    return errors.service_unavailable(page)


for database_error in errors.DATABASE_ERRORS:
    bp.register_error_handler(database_error, answers_kept_while_database_is_down)


def _open_survey(survey: Survey | None) -> Survey:
    if survey is None or survey.status == "draft":
        abort(404)
    if survey.status == "closed":
        abort(410)
    return survey


def _version(survey: Survey, version_id: str | int | None) -> SurveyVersion:
    """The version the customer was shown (kept even if a newer one was published meanwhile)."""
    for version in survey.versions:
        if str(version.id) == str(version_id):
            return version
    return survey.current_version


def render_survey(survey: Survey, version: SurveyVersion, form: RespondForm, fields, *, errors=None,
                  notice=None, can_save=False, answered=False, preview=False, action_url=None, status=200):
    return render_template(
        "respond/survey.html", survey=survey, version=version, form=form, fields=fields, errors=errors or {},
        notice=notice, can_save=can_save, answered=answered, preview=preview,
        action_url=action_url or request.path,
    ), status


def answer_survey(survey: Survey, respondent: Respondent, *, can_save: bool, thanks_url: str,
                  new_respondent: bool = False):
    """`new_respondent`: the respondent's key was made by this request, so it has nothing stored yet."""
    form = RespondForm()
    if respondent.contact_id is None:
        # Nobody to call back (a public link knows no customer): "you may contact me" would open a case no
        # one can work. The thank-you page offers the contact form instead.
        del form.consent_contact
    if request.method == "GET":
        previous = NOTHING_YET if new_respondent else resume(respondent.key)
        version = _version(survey, previous.version_id)
        form.submission_key.data = new_token()
        form.version.data = str(version.id)
        form.consent_quote.data = previous.consents.quote
        if "consent_contact" in form:
            form.consent_contact.data = previous.consents.contact
        notice = "Your saved answers are below." if previous.draft_saved_at else None
        fields = preselect_first(version.questions, previous.fields, request.args.get("rating"))
        return render_survey(survey, version, form, fields, can_save=can_save,
                             answered=previous.answered, notice=notice)

    version = _version(survey, form.version.data)
    fields = request.form.to_dict(flat=False)
    if not TOKEN_PATTERN.match(form.submission_key.data or ""):
        form.submission_key.data = new_token()
    form.version.data = str(version.id)
    if not form.validate():
        # Only the CSRF token can fail here (the other fields are optional): the session expired or the
        # page sat open for a day. Keep every answer and ask for one more click.
        return render_survey(survey, version, form, fields, can_save=can_save, status=400,
                             notice="Your page timed out for security reasons. Your answers are still here: "
                                    "please check them and send again.")
    saving = can_save and request.form.get("action") == "save"
    parsed = None if saving else parse_answers(version.questions, fields)
    if parsed and parsed.errors:
        return render_survey(survey, version, form, fields, errors=parsed.errors, can_save=can_save, status=422)
    database.write_from_here()
    if saving:
        save_draft(version, respondent, fields, now=utcnow())
        return render_survey(survey, version, form, fields, can_save=can_save,
                             notice="Your answers are saved. Open the same link again to finish later.")
    submit_response(version, respondent, parsed.values,
                    Consents(quote=form.consent_quote.data,
                             contact="consent_contact" in form and form.consent_contact.data),
                    submission_key=form.submission_key.data, now=utcnow())
    return redirect(thanks_url, code=303)


@bp.route("/s/<slug>", methods=["GET", "POST"])
def public_survey(slug: str):
    # Finding the survey and checking the answers only read: on SQLite they need not hold the write lock.
    database.read_first()
    survey = _open_survey(survey_to_answer(slug))
    # One response per browser: the same key in two tabs or after the back button.
    session.permanent = True
    new_respondent = "respondent" not in session
    session.setdefault("respondent", new_token())
    respondent = public_respondent(f"{survey.id}:{session['respondent']}")
    return answer_survey(survey, respondent, can_save=False, thanks_url=url_for(".public_thanks", slug=slug),
                         new_respondent=new_respondent)


@bp.route("/s/<slug>/thanks")
def public_thanks(slug: str):
    survey = survey_to_answer(slug)  # the kept definition: it only needs the title
    if survey is None or survey.status == "draft":
        abort(404)
    return render_template("respond/thanks.html", survey=survey, again_url=url_for(".public_survey", slug=slug),
                           contact_form_url=url_for("public.complain"))


def _invitation(token: str):
    invitation = invitation_by_token(token) if TOKEN_PATTERN.match(token) else None
    if invitation is None:
        abort(404)
    return invitation


@bp.route("/r/<token>", methods=["GET", "POST"])
def personal_survey(token: str):
    invitation = _invitation(token)
    survey = _open_survey(invitation.survey)
    if request.method == "POST":
        mark_opened(invitation, now=utcnow())
    return answer_survey(survey, invited_respondent(invitation), can_save=True,
                         thanks_url=url_for(".personal_thanks", token=token))


@bp.route("/r/<token>/thanks")
def personal_thanks(token: str):
    invitation = _invitation(token)
    return render_template("respond/thanks.html", survey=invitation.survey,
                           again_url=url_for(".personal_survey", token=token))
