"""Follow-up cases for staff (agent and above): the list with the response-time standard per team, one
case with the customer's context card, and opening a case by hand from a response."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from survey import followups
from survey.accounts.users import list_users
from survey.alerts import trends
from survey.changes import entries
from survey.clock import local_date, utcnow
from survey.extensions import db
from survey.ids import parse_id
from survey.models import FollowUpCase, Response, User
from survey.outreach import contacts
from survey.results import browsing
from survey.results.settings import Settings
from survey.views.forms import ActionForm, CaseStatusForm, NoteForm
from survey.views.manage.blueprint import section

bp = section("cases", __name__, read="agent", scoped="all")


def _case(case_id: int) -> FollowUpCase:
    return db.session.get(FollowUpCase, case_id) or abort(404)


def _status_form(case: FollowUpCase, formdata=None) -> CaseStatusForm:
    form = CaseStatusForm(formdata=formdata, status=case.status,
                          root_cause=str(case.root_cause_id) if case.root_cause_id else "")
    form.root_cause.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(c.id), f"{c.code} – {c.label}" if c.label != c.code else c.code)
        for c in followups.root_causes(active_only=True)]
    form.change_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(c.id), c.title) for c in entries.recent_changes(100)]
    return form


PERIODS = (30, 90, 365)  # days the standard and the root causes are counted over


@bp.route("/cases/")
def index():
    now = utcnow()
    status = request.args.get("status", "open")
    mine = request.args.get("mine") == "1"
    teams = followups.teams_in_order()
    team = next((t for t in teams if str(t.id) == request.args.get("team", "")), None)
    days = number if (number := parse_id(request.args.get("days", ""))) in PERIODS else 90
    since = now - timedelta(days=days)
    cases = followups.list_cases(status=status, owner_id=current_user.id if mine else None, now=now,
                                 team_id=team.id if team else None)
    return render_template("manage/cases/index.html", cases=cases, status=status, mine=mine, now=now,
                           overdue=followups.is_overdue, teams=teams, team=team, days=days, periods=PERIODS,
                           standards=followups.compliance(now=now, since=since, team_id=team.id if team else None),
                           causes=followups.recurring_causes(since=since, team_id=team.id if team else None),
                           min_cases=followups.MIN_CASES)


@bp.route("/cases/<int:case_id>")
def case_detail(case_id: int):
    case = _case(case_id)
    profile = contacts.contact_profile(case.contact_id) if case.contact_id else None
    earlier = followups.earlier_cases(case.contact_id, exclude_id=case.id)
    members, others = followups.owners_for(case.team_id, list_users())
    lines = browsing.answer_lines(case.response, case.response.version.questions) if case.response else []
    # Alerts are results: analysts and above see the drop this customer's answer is part of; agents do not.
    alerts = trends.alerts_around(case.response, settings=Settings.from_config(current_app.config),
                                  today=local_date(utcnow(), current_app.config["TIMEZONE"])) \
        if case.response and current_user.has_role("analyst") else []
    return render_template("manage/cases/detail.html", case=case, profile=profile, earlier=earlier, members=members,
                           others=others, team_name=case.team_row.name if case.team_row else case.team,
                           answer_lines=lines, alerts=alerts, describe=trends.describe,
                           status_form=_status_form(case), note_form=NoteForm(formdata=None), action=ActionForm(),
                           overdue=followups.is_overdue(case, utcnow()))


@bp.route("/cases/<int:case_id>/status", methods=["POST"])
def change_status(case_id: int):
    case = _case(case_id)
    form = _status_form(case, request.form)
    if form.validate():
        fixed = {"yes": True, "no": False}.get(form.problem_fixed.data or "")
        try:
            followups.set_status(case, form.status.data, actor=current_user, now=utcnow(), problem_fixed=fixed,
                                 change_id=int(form.change_id.data) if form.change_id.data else None,
                                 note=form.note.data or "", root_cause_id=parse_id(form.root_cause.data or ""))
            flash("Case updated.")
        except followups.CaseError as error:
            flash(f"{error} Nothing was changed.", "error")
    else:
        flash("That status change was not valid; nothing was changed.", "error")
    return redirect(url_for(".case_detail", case_id=case.id))


@bp.route("/cases/<int:case_id>/assign", methods=["POST"])
def assign(case_id: int):
    case = _case(case_id)
    if ActionForm().validate():
        owner_id = request.form.get("owner", "")
        owner = db.session.get(User, number) if (number := parse_id(owner_id)) else None
        if owner_id and owner is None:
            abort(400)
        followups.assign(case, owner, now=utcnow())
        flash(f"Assigned to {owner.email}." if owner else "Unassigned.")
    return redirect(url_for(".case_detail", case_id=case.id))


@bp.route("/cases/<int:case_id>/notes", methods=["POST"])
def add_note(case_id: int):
    case = _case(case_id)
    form = NoteForm()
    if form.validate_on_submit():
        followups.add_note(case, author=current_user, text=form.text.data, now=utcnow())
        flash("Note added.")
    else:
        flash("A note needs some text (at most 5000 characters).", "error")
    return redirect(url_for(".case_detail", case_id=case.id))


@bp.route("/responses/<int:response_id>/case", methods=["POST"])
def open_case(response_id: int):
    response = db.session.get(Response, response_id) or abort(404)
    if not ActionForm().validate():
        abort(400)
    case = followups.open_manually(response, actor=current_user, now=utcnow())
    return redirect(url_for(".case_detail", case_id=case.id))
