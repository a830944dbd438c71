"""The customer's side: answer a survey from a personal link (/r/<token>) or the public link (/s/<slug>).

CSRF is checked by the form itself (the blueprint is exempt from the global check) so that an expired
token re-shows the form with every answer kept instead of an error page. Likewise a database outage while
answers are sent keeps them on a 503 page for one more click (see `answers_kept_while_database_is_down`).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from itsdangerous import BadSignature, URLSafeSerializer

from survey import database, languages
from survey.authoring.translations import languages_of, localised
from survey.clock import utcnow
from survey.extensions import csrf
from survey.models import Survey, SurveyStatus, SurveyVersion
from survey.outreach.invitations import invitation_by_token, invited_respondent, mark_opened, public_respondent
from survey.responding import pages
from survey.responding.submission import (
    NOTHING_YET,
    Consents,
    Respondent,
    field_name,
    hold_refused_form,
    one_click_rating,
    parse_answers,
    preselect_first,
    refused_form,
    response_exists,
    resume,
    save_draft,
    submit_response,
    survey_to_answer,
    was_sent,
)
from survey.tokens import new_token
from survey.views import errors
from survey.views.forms import RespondForm
from survey.web import locale

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
    if survey is None or survey.status == SurveyStatus.DRAFT:
        abort(404)
    if survey.status == SurveyStatus.CLOSED:
        abort(410)
    return survey


def _version(survey: Survey, version_id: str | int | None) -> SurveyVersion:
    """The version the customer was shown (kept even if a newer one was published meanwhile)."""
    for version in survey.versions:
        if str(version.id) == str(version_id):
            return version
    return survey.current_version


def offer_languages(survey: Survey, respondent: Respondent | None = None) -> None:
    """The languages this survey's pages can be read in, and (personal links) the contact's own."""
    current = survey.current_version
    locale.offer(languages_of(current), current.language,
                 languages.contact_language(respondent.attributes) if respondent else None)


def render_survey(survey: Survey, version: SurveyVersion, form: RespondForm, fields, *, errors=None,
                  notice=None, can_save=False, answered=False, preview=False, action_url=None, quick_rating=None,
                  status=200, contact=None, page=None, **preview_context):
    """`quick_rating`: the (value, label) chosen in the email, shown at the top with the button that sends
    it: the chosen option alone, pre-selected, looked like an answer that was not one. The survey's texts
    are shown in the page's language (`localised`), each falling back to the default language's. `page`: the
    section shown (an index; by default the one posted, or the first); `contact`: what piped text and display
    logic may read of the customer."""
    if page is None:
        page = (fields.get("page") or [0])[0]
    shown = localised(version, locale.customer_language())
    layout = pages.layout(shown, fields, contact or {}, page)
    return render_template(
        "respond/survey.html", survey=survey, version=shown, form=form,
        fields=fields, errors=errors or {},
        notice=notice, can_save=can_save, answered=answered, preview=preview, quick_rating=quick_rating,
        action_url=action_url or request.path, layout=layout, **preview_context,
    ), status


def _contact(respondent: Respondent | None) -> dict[str, str]:
    return dict(respondent.contact) if respondent is not None else {}


NOTHING_SENT = lazy_gettext("Nothing was sent: your answers were sent before, and saving for later would not "
                           "change them. To change them, press “Send my changes”.")


def answer_survey(survey: Survey, respondent: Respondent | None, *, thanks_url: Callable[[str], str]):
    """The survey page and what it posts. `respondent` is the invited customer of a personal link, or None
    for the public link, where each sent form is its own respondent (`public_respondent`): nothing stored is
    ever shown there, and nothing stored can be changed from there. `thanks_url(submission_key)`.

    Every POST is answered with a redirect (Post/Redirect/Get), so Back and reload never post a form again:
    a refused form (answers to correct, a timed-out page) is kept by `hold_refused_form` and shown again by
    the GET it redirects to; a saved draft is shown by the link's own page."""
    offer_languages(survey, respondent)
    if request.method != "POST":
        return _show_survey(survey, respondent)
    form = _form_for(respondent)
    version = _version(survey, form.version.data)
    fields = request.form.to_dict(flat=False)
    if not TOKEN_PATTERN.match(form.submission_key.data or ""):
        form.submission_key.data = new_token()
    submission_key = form.submission_key.data
    action = request.form.get("action", "submit")
    if not form.validate():
        # Only the CSRF token can fail here (the other fields are optional): the session expired or the
        # page sat open for a day. Keep every answer and ask for one more click.
        return _refuse(survey, respondent, form, version, fields, timed_out=True)
    contact = _contact(respondent)
    if action == "save":
        # Looked up for a save only: a submission needs no extra query to find what it replaces.
        if respondent is None or response_exists(respondent.key):
            # Once answers are sent, a draft would never be sent: say so rather than "saved".
            return render_survey(survey, version, form, fields, answered=respondent is not None,
                                 notice=NOTHING_SENT, status=409, contact=contact)
        database.write_from_here()
        save_draft(version, respondent, fields, now=utcnow())
        return redirect(_this_page(saved=1), code=303)
    if action in ("next", "back"):
        moved = pages.move(version, fields, contact, request.form.get("page"), action)
        if moved.errors:
            return _refuse(survey, respondent, form, version, fields, timed_out=False, errors=moved.errors)
        if moved.page is not None:  # another page: kept like a refused form, shown by the GET it redirects to
            fields.update(page=[str(moved.page)], action=["move"])
            return _refuse(survey, respondent, form, version, fields, timed_out=False)
    parsed = parse_answers(version.questions, fields, only_first_required=action == "rating", version=version,
                           contact=contact)
    if parsed.errors:
        first = pages.first_page_with(version, list(parsed.errors))
        fields["page"] = [str(first or 0)]
        return _refuse(survey, respondent, form, version, fields, timed_out=False, errors=parsed.errors)
    database.write_from_here()
    submit_response(version, respondent or public_respondent(submission_key), parsed.values,
                    Consents(quote=form.consent_quote.data,
                             contact="consent_contact" in form and form.consent_contact.data),
                    submission_key=submission_key, now=utcnow(), refused_before=form.corrects.data == "1",
                    language=locale.customer_language())
    return redirect(thanks_url(submission_key), code=303)


def _this_page(**query: Any) -> str:
    """The page this POST came from (a personal or the public link), with `query` added."""
    endpoint, view_args = request.endpoint, request.view_args
    assert endpoint is not None and view_args is not None  # None only when no route matched
    return url_for(endpoint, **view_args, **query)


def _form_for(respondent: Respondent | None) -> RespondForm:
    form = RespondForm()
    if respondent is None or respondent.contact_id is None:
        # Nobody to call back (a public link knows no customer): "you may contact me" would open a case no
        # one can work. The thank-you page offers the contact form instead.
        del form.consent_contact
    return form


def _refuse(survey: Survey, respondent: Respondent | None, form: RespondForm, version: SurveyVersion, fields, *,
            timed_out: bool, errors=None):
    """Redirect to the page that shows the refused form again; when it cannot be kept at once (the database
    busy with another writer), show it as this POST's answer rather than make the customer wait."""
    if hold_refused_form(version, form.submission_key.data, fields, timed_out=timed_out, now=utcnow()):
        return redirect(_this_page(form=form.submission_key.data), code=303)
    answered = respondent is not None and response_exists(respondent.key)
    status = 400 if timed_out else 422 if errors else 200
    return render_survey(survey, version, form, fields, errors=errors, answered=answered,
                         can_save=respondent is not None and not answered, contact=_contact(respondent),
                         notice=TIMED_OUT if timed_out else None, status=status)


TIMED_OUT = lazy_gettext("Your page timed out for security reasons. Your answers are still here: please check "
                         "them and send again.")


def _show_survey(survey: Survey, respondent: Respondent | None):
    form = _form_for(respondent)
    key = request.args.get("form", "")
    refused = refused_form(key, now=utcnow()) if TOKEN_PATTERN.match(key) else None
    if refused is not None:  # a form refused a moment ago, shown again with what was wrong
        version = _version(survey, refused.version_id)
        fields, action = refused.fields, (refused.fields.get("action") or ["submit"])[0]
        form.submission_key.data, form.version.data, form.corrects.data = key, str(version.id), "1"
        form.consent_quote.data = bool(fields.get("consent_quote"))
        if "consent_contact" in form:
            form.consent_contact.data = bool(fields.get("consent_contact"))
        contact = _contact(respondent)
        # A page moved to (Back, Next) shows no errors: its answers are checked when it is left.
        errors = {} if refused.timed_out or action == "move" else parse_answers(
            version.questions, fields, only_first_required=action == "rating", version=version,
            contact=contact).errors
        if errors:  # those of the page shown (the page of the first error, see answer_survey)
            shown = pages.layout(version, fields, contact, (fields.get("page") or ["0"])[0]).visible
            errors = {key: error for key, error in errors.items() if key in {q.key for q in shown}}
        answered = respondent is not None and response_exists(respondent.key)
        rated = fields.get(field_name(version.questions[0]), [""])[0] if version.questions else ""
        quick_rating = one_click_rating(version.questions, rated) if action == "rating" else None
        return render_survey(survey, version, form, fields, errors=errors, can_save=respondent is not None
                             and not answered, answered=answered, quick_rating=quick_rating, contact=contact,
                             notice=TIMED_OUT if refused.timed_out else None, status=422 if errors else 200)
    previous = NOTHING_YET if respondent is None else resume(respondent.key)
    version = _version(survey, previous.version_id)
    form.submission_key.data = new_token()
    form.version.data = str(version.id)
    form.consent_quote.data = previous.consents.quote
    if "consent_contact" in form:
        form.consent_contact.data = previous.consents.contact
    if previous.draft_saved_at:
        notice = SAVED if request.args.get("saved") else gettext("Your saved answers are below.")
    elif key and was_sent(key):  # Back to a form that was corrected and sent since
        notice = (gettext("Those answers were sent – thank you. This is a new, empty form.") if respondent is None
                  else gettext("Those answers were sent – thank you."))
    else:
        notice = None
    quick_rating = one_click_rating(version.questions, request.args.get("rating"))
    fields = preselect_first(version.questions, previous.fields, quick_rating)
    return render_survey(survey, version, form, fields, can_save=respondent is not None and not previous.answered,
                         answered=previous.answered, notice=notice, quick_rating=quick_rating,
                         contact=_contact(respondent), page=0)


SAVED = lazy_gettext("Your answers are saved. Open the same link again to finish later.")


def _receipts() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hearken.public-receipt")


@bp.route("/s/<slug>", methods=["GET", "POST"])
def public_survey(slug: str):
    # Finding the survey and checking the answers only read: on SQLite they need not hold the write lock.
    # Nothing here touches the session (but for the CSRF token): a manager's login in the same browser
    # keeps its own lifetime, and the next person at a shared device starts afresh.
    database.read_first()
    survey = _open_survey(survey_to_answer(slug))
    return answer_survey(survey, None, thanks_url=lambda key: url_for(
        ".public_thanks", slug=slug, receipt=_receipts().dumps([survey.id, _form_mark(key)])))


def _form_mark(submission_key: str) -> str:
    """What the receipt says of the form: one receipt per form, without its key (the receipt is signed, not
    encrypted, and sits in the browser's history for the next person at a shared device)."""
    return hashlib.sha256(submission_key.encode()).hexdigest()[:16]


def _receipt_for(survey: Survey, receipt: str) -> bool:
    """True when `receipt` is this server's for a form sent to `survey` (made only after it was stored)."""
    try:
        survey_id, _mark = _receipts().loads(receipt)
    except (BadSignature, TypeError, ValueError):
        return False
    return survey_id == survey.id


@bp.route("/s/<slug>/thanks")
def public_thanks(slug: str):
    survey = survey_to_answer(slug)  # the kept definition: it only needs the title
    if survey is None or survey.status == SurveyStatus.DRAFT:
        abort(404)
    offer_languages(survey)
    # Only the browser that sent answers holds a receipt: the bare address claims nothing.
    return render_template("respond/thanks.html", survey=survey, again_url=url_for(".public_survey", slug=slug),
                           title=localised(survey.current_version, locale.customer_language()).title,
                           received=_receipt_for(survey, request.args.get("receipt", "")),
                           contact_form_url=url_for("public.complain"), public=True)


def _invitation(token: str):
    invitation = invitation_by_token(token) if TOKEN_PATTERN.match(token) else None
    if invitation is None:
        abort(404)
    g.invitation = invitation  # for the footer's "why you received this link" (invited_because)
    return invitation


@bp.context_processor
def invited_because() -> dict[str, Any]:
    """A page opened from a personal link says why the customer was sent it (the invitation's source);
    the public link's pages say nothing personal."""
    invitation = g.get("invitation")
    return {"why_received": (invitation.source or "link")} if invitation is not None else {}


@bp.route("/r/<token>", methods=["GET", "POST"])
def personal_survey(token: str):
    invitation = _invitation(token)
    survey = _open_survey(invitation.survey)
    if request.method == "POST":
        mark_opened(invitation, now=utcnow())
    return answer_survey(survey, invited_respondent(invitation),
                         thanks_url=lambda _key: url_for(".personal_thanks", token=token))


@bp.route("/r/<token>/thanks")
def personal_thanks(token: str):
    invitation = _invitation(token)
    offer_languages(invitation.survey, invited_respondent(invitation))
    return render_template("respond/thanks.html", survey=invitation.survey,
                           title=localised(invitation.survey.current_version, locale.customer_language()).title,
                           received=response_exists(invitation.respondent_key),
                           again_url=url_for(".personal_survey", token=token))
