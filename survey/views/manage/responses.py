"""Response browser (analysts and above): filter and search responses, read one with the customer's
context card, and tag responses with themes. Tagging is analysis work, so analysts may do it."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from survey import followups
from survey.clock import local_date, utcnow
from survey.extensions import db
from survey.ids import parse_id
from survey.models import Response
from survey.outreach import contacts
from survey.results import browsing, sentiments
from survey.results.dashboard import segment_choices
from survey.results.filters import parse_filter
from survey.results.settings import Settings
from survey.views.manage.blueprint import section, survey_or_404

bp = section("responses", __name__, read="analyst", scoped="all")


def _response(response_id: int) -> Response:
    return db.session.get(Response, response_id) or abort(404)


@bp.route("/surveys/<slug>/responses")
def survey_responses(slug: str):
    """The browser. Bad filter values are named in an error summary (status 400) and left out; the page
    still shows what the rest of the filter selects."""
    survey = survey_or_404(slug)
    names = Settings.from_config(current_app.config).segment_names
    parsed = parse_filter(request.args, segment_names=names)
    problems = list(parsed.problems)
    score = request.args.get("score", "").strip() or None
    if score is not None and score not in browsing.SCORE_FILTERS:
        problems.append("score: must be “low” or left out")
        score = None
    sentiment = request.args.get("sentiment", "").strip() or None
    if sentiment is not None and sentiment not in sentiments.FILTERS:
        problems.append(f"sentiment: must be one of {', '.join(sentiments.FILTERS)} or left out")
        sentiment = None
    after = request.args.get("after", "").strip()  # only ever written by our own "older" link
    after_id = parse_id(after)  # 2 147 483 648 is out of range for PostgreSQL's integer ids
    today = local_date(utcnow(), current_app.config["TIMEZONE"])
    # The same default range as the results page (the last complete periods), so "N responses" agree.
    shown = parsed.filter.completed(today)
    page = browsing.list_responses(survey, shown, today=today, score=score, after_id=after_id,
                                   sentiment=sentiments.FILTERS[sentiment] if sentiment else None)
    first_day, last_day = shown.date_range(today)
    return render_template("manage/responses/index.html", survey=survey, page=page, f=parsed.filter,
                           score=score, sentiment=sentiment, sentiment_filters=sentiments.FILTERS,
                           first_day=first_day, last_day=last_day, problems=problems, today=today,
                           incomplete=shown != parsed.filter,
                           tags=browsing.survey_tags(survey),
                           segment_choices=segment_choices(survey, names)), 400 if problems else 200


@bp.route("/responses/<int:response_id>")
def response_detail(response_id: int):
    """One response: the answers, when and how it was given, its themes, the customer's context card and
    its follow-up case (or a button to open one: every signed-in role may work cases)."""
    response = _response(response_id)
    profile = contacts.contact_profile(response.contact_id) if response.contact_id else None
    case = followups.case_for_response(response.id)
    earlier = followups.earlier_cases(response.contact_id, exclude_id=case.id if case else None)
    return render_template("manage/responses/detail.html", response=response, profile=profile, case=case,
                           lines=browsing.answer_lines(response, response.version.questions),
                           earlier=earlier)


@bp.route("/responses/<int:response_id>/tags", methods=["POST"])
def add_tag(response_id: int):
    response = _response(response_id)
    try:
        tag = browsing.tag_response(response, request.form.get("tag", ""), actor=current_user, now=utcnow())
    except browsing.TagError as error:
        flash(str(error), "error")
    else:
        flash(f"Tagged “{tag}”.")
    return redirect(url_for(".response_detail", response_id=response.id))


@bp.route("/responses/<int:response_id>/tags/remove", methods=["POST"])
def remove_tag(response_id: int):
    response = _response(response_id)
    if browsing.untag_response(response, request.form.get("tag", ""), actor=current_user, now=utcnow()):
        flash("Theme removed.")
    else:
        flash("That theme was not on this response (a colleague may have removed it).", "error")
    return redirect(url_for(".response_detail", response_id=response.id))
