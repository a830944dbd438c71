"""Teams, their response-time standards, members, root-cause codes and Slack/Microsoft Teams channels.
Everyone who works cases may look (the case list links here); only admins change a team's rule, standard,
lead and channels (the section's access), while editors may also change who is in a team (`members_bp`):
people move between locations more often than standards change."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from survey import followups
from survey.accounts.users import list_users
from survey.clock import utcnow
from survey.extensions import db
from survey.followups import teams as team_rules
from survey.followups.hours import WEEKDAYS, format_clock
from survey.ids import parse_id
from survey.models import ChatChannel, RootCause, Team, User
from survey.models.teams import PRIORITY_REASONS
from survey.views.forms import ActionForm, ChatChannelForm, RootCauseForm, TeamForm, TeamMemberForm
from survey.views.manage.blueprint import section
from survey.webhooks import chat

bp = section("teams", __name__, read="agent", change="admin", url_prefix="/teams", scoped="read")
members_bp = section("team_members", __name__, read="agent", change="editor", url_prefix="/teams", scoped="read")


def _team(team_id: int) -> Team:
    return db.session.get(Team, team_id) or abort(404)


def _form(team: Team | None = None, formdata=None) -> TeamForm:
    values = {}
    if team is not None and formdata is None:
        values = dict(name=team.name, lead=str(team.lead_id or ""), rule_attribute=team.rule_attribute,
                      rule_values=", ".join(team.rule_values), timezone=team.timezone,
                      holidays="\n".join(team.holidays), first_contact_hours=f"{team.first_contact_minutes / 60:g}",
                      resolve_hours=f"{team.resolve_minutes / 60:g}",
                      **{f"priority_{reason}": (team.priorities or {}).get(reason, "normal")
                         for reason in PRIORITY_REASONS})
        for weekday, hours in zip(WEEKDAYS, (list(team.hours) + [None] * 7)[:7], strict=True):
            values[f"{weekday.lower()}_open"] = format_clock(hours[0]) if hours else ""
            values[f"{weekday.lower()}_close"] = format_clock(hours[1]) if hours else ""
    elif formdata is None:
        values = {f"{day.lower()}_{end}": time for day in WEEKDAYS[:5] for end, time in (("open", "09:00"),
                                                                                         ("close", "17:00"))}
    form = TeamForm(formdata=formdata, **values)
    # The lead is one of the team's members; a team without members yet (a new one) may pick anyone, who joins.
    leads = team.members if team is not None and team.members else list_users()
    form.lead.choices = [SelectChoice("", "nobody")] + [SelectChoice(str(u.id), u.email) for u in leads]
    form.rule_attribute.choices = [SelectChoice(name, name) for name in current_app.config["SEGMENT_ATTRIBUTES"]]
    return form


def _input(form: TeamForm) -> team_rules.TeamInput:
    return team_rules.TeamInput(
        name=form.name.data or "", lead_id=parse_id(form.lead.data or ""),
        rule_attribute=form.rule_attribute.data or "", rule_values=form.rule_values.data or "",
        timezone=form.timezone.data or "",
        hours=tuple((getattr(form, f"{d.lower()}_open").data or "", getattr(form, f"{d.lower()}_close").data or "")
                    for d in WEEKDAYS),
        holidays=form.holidays.data or "", first_contact_hours=form.first_contact_hours.data or "",
        resolve_hours=form.resolve_hours.data or "",
        priorities={reason: getattr(form, f"priority_{reason}").data or "" for reason in PRIORITY_REASONS})


def _show_problems(form, error) -> None:
    for name, message in error.problems.items():
        # "hours_monday" belongs to the Monday fields; anything else unknown to the first field.
        field = getattr(form, name, None) or getattr(form, name.replace("hours_", "") + "_open", None) or \
            next(iter(form))
        field.errors = [*field.errors, message]


def _index(form: TeamForm | None = None, cause_form: RootCauseForm | None = None, status: int = 200):
    return render_template("manage/teams/index.html", teams=followups.teams_in_order(), form=form or _form(),
                           cause_form=cause_form or RootCauseForm(formdata=None), action=ActionForm(),
                           causes=followups.root_causes(), weekdays=WEEKDAYS, format_clock=format_clock,
                           calendar_text=calendar_text), status


def calendar_text(team: Team) -> str:
    """"Mon–Fri 09:00–17:00, Sat 10:00–14:00": days with the same hours in a row read as one range."""
    runs: list[tuple[str, str, str]] = []  # (first day, last day, hours)
    for weekday, hours in zip(WEEKDAYS, (list(team.hours) + [None] * 7)[:7], strict=True):
        text = ("all day" if hours == [0, 1440] else f"{format_clock(hours[0])}–{format_clock(hours[1])}") \
            if hours else ""
        if runs and runs[-1][2] == text and WEEKDAYS.index(runs[-1][1]) == WEEKDAYS.index(weekday) - 1:
            runs[-1] = (runs[-1][0], weekday, text)
        else:
            runs.append((weekday, weekday, text))
    parts = [f"{first[:3]}{'–' + last[:3] if last != first else ''} {text}" for first, last, text in runs if text]
    return ", ".join(parts) or "never open"


@bp.route("/", methods=["GET", "POST"])
def index():
    if request.method == "GET":
        return _index()
    form = _form(formdata=request.form)
    if not form.validate():
        return _index(form, status=400)
    try:
        team = team_rules.save_team(None, _input(form), now=utcnow())
    except team_rules.TeamError as error:
        _show_problems(form, error)
        return _index(form, status=400)
    flash(f"Team {team.name} added.")
    return redirect(url_for(".team_detail", team_id=team.id))


def _member_form(team: Team, formdata=None) -> TeamMemberForm:
    form = TeamMemberForm(formdata=formdata)
    inside = {user.id for user in team.members}
    form.user.choices = [SelectChoice("", "choose someone")] + [
        SelectChoice(str(u.id), f"{u.email} ({u.role})") for u in list_users() if u.id not in inside]
    return form


def _detail(team: Team, form: TeamForm | None = None, channel_form: ChatChannelForm | None = None,
            status: int = 200, member_form: TeamMemberForm | None = None):
    channels = chat.channels_of(team.id)
    return render_template("manage/teams/detail.html", team=team, form=form or _form(team),
                           member_form=member_form or _member_form(team),
                           channel_form=channel_form or ChatChannelForm(formdata=None, events=list(chat.EVENTS)),
                           channels=channels, action=ActionForm(), calendar_text=calendar_text,
                           host_of=chat.host_of, weekdays=WEEKDAYS), status


@bp.route("/<int:team_id>", methods=["GET", "POST"])
def team_detail(team_id: int):
    team = _team(team_id)
    if request.method == "GET":
        return _detail(team)
    form = _form(team, formdata=request.form)
    if not form.validate():
        return _detail(team, form, status=400)
    try:
        team_rules.save_team(team, _input(form), now=utcnow())
    except team_rules.TeamError as error:
        _show_problems(form, error)
        return _detail(_team(team_id), form, status=400)
    flash("Team saved. New cases use this standard; open cases keep the due times they were given.")
    return redirect(url_for(".team_detail", team_id=team.id))


@bp.route("/<int:team_id>/move", methods=["POST"])
def move(team_id: int):
    team = _team(team_id)
    if ActionForm().validate():
        team_rules.move_team(team, -1 if request.form.get("direction") == "up" else 1, now=utcnow())
    return redirect(url_for(".index"))


@bp.route("/<int:team_id>/delete", methods=["POST"])
def delete(team_id: int):
    team = _team(team_id)
    if not ActionForm().validate():
        abort(400)
    try:
        team_rules.delete_team(team, now=utcnow())
        flash(f"Team {team.name} deleted; its cases now count as the default team's.")
    except team_rules.TeamError as error:
        flash(str(error), "error")
    return redirect(url_for(".index"))


@bp.route("/root-causes", methods=["POST"])
def add_root_cause():
    form = RootCauseForm()
    if not form.validate():
        return _index(cause_form=form, status=400)
    try:
        cause = team_rules.add_root_cause(form.code.data or "", form.label.data or "", now=utcnow())
    except team_rules.TeamError as error:
        _show_problems(form, error)
        return _index(cause_form=form, status=400)
    flash(f"Root cause {cause.code} added: resolving a case now needs a root cause.")
    return redirect(url_for(".index"))


@bp.route("/root-causes/<int:cause_id>/active", methods=["POST"])
def set_root_cause_active(cause_id: int):
    cause = db.session.get(RootCause, cause_id) or abort(404)
    if ActionForm().validate():
        team_rules.set_root_cause_active(cause, request.form.get("active") == "1", now=utcnow())
    return redirect(url_for(".index"))


@bp.route("/<int:team_id>/channels", methods=["POST"])
def add_channel(team_id: int):
    team = _team(team_id)
    form = ChatChannelForm()
    if not form.validate():
        return _detail(team, channel_form=form, status=400)
    try:
        chat.add_channel(team.id, form.kind.data or "", form.url.data or "", tuple(form.events.data or ()),
                         now=utcnow())
    except chat.ChannelError as error:
        _show_problems(form, error)
        return _detail(team, channel_form=form, status=400)
    flash("Channel added. Use Send a test message to check it.")
    return redirect(url_for(".team_detail", team_id=team.id))


@bp.route("/channels/<int:channel_id>/delete", methods=["POST"])
def delete_channel(channel_id: int):
    channel = db.session.get(ChatChannel, channel_id) or abort(404)
    team_id = channel.team_id
    if ActionForm().validate():
        chat.delete_channel(channel, now=utcnow())
        flash("Channel removed.")
    return redirect(url_for(".team_detail", team_id=team_id) if team_id else url_for("manage.notifications.index"))


@bp.route("/channels/<int:channel_id>/test", methods=["POST"])
def test_channel(channel_id: int):
    channel = db.session.get(ChatChannel, channel_id) or abort(404)
    if ActionForm().validate():
        chat.queue_test(channel, now=utcnow())
        flash("A test message is queued; the dispatcher sends it within a minute.")
    return redirect(url_for(".team_detail", team_id=channel.team_id) if channel.team_id
                    else url_for("manage.notifications.index"))


@members_bp.route("/<int:team_id>/members", methods=["POST"])
def add_member(team_id: int):
    team = _team(team_id)
    form = _member_form(team, formdata=request.form)
    if not form.validate():
        return _detail(team, member_form=form, status=400)
    user = db.session.get(User, parse_id(form.user.data or "") or 0) or abort(404)
    team_rules.add_member(team, user, now=utcnow())
    flash(f"{user.email} is now in {team.name}.")
    return redirect(url_for("manage.teams.team_detail", team_id=team.id))


@members_bp.route("/<int:team_id>/members/<int:user_id>/remove", methods=["POST"])
def remove_member(team_id: int, user_id: int):
    team = _team(team_id)
    user = db.session.get(User, user_id) or abort(404)
    if not ActionForm().validate():
        abort(400)
    try:
        team_rules.remove_member(team, user, now=utcnow())
        flash(f"{user.email} is no longer in {team.name}.")
    except team_rules.TeamError as error:
        flash(str(error), "error")
    return redirect(url_for("manage.teams.team_detail", team_id=team.id))
