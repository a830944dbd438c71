"""Teams: which team follows up a case (a segment rule on the customer's attributes), and the
response-time standard it keeps (working hours, holidays, times to first contact and to resolve,
priority by reason).

Before teams there was one standard for everyone (HEARKEN_CASE_DUE_BUSINESS_DAYS working days, Monday
to Friday). Migration 0028 made it the default team; a database without any team (a fresh test database)
falls back to the same standard read from the configuration, so nothing changes until someone edits it.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import func, select, update

from survey.clock import utcnow
from survey.extensions import db
from survey.followups.hours import (
    DAY_MINUTES,
    WEEKDAYS,
    Calendar,
    NeverOpen,
    default_calendar,
    due_time,
    parse_clock,
)
from survey.models import PRIORITIES, FollowUpCase, RootCause, Team, TeamMember, User, audit
from survey.models.teams import PRIORITY_REASONS

DEFAULT_NAME = "Everyone"
DEFAULT_RESOLVE_MINUTES = 5 * DAY_MINUTES
# A high-priority case gets this share of its team's times: "call back within the hour" for complaints
# without making every case urgent. Low priority keeps the standard and sorts after the others.
HIGH_PRIORITY_SHARE = 0.5
MAX_VALUES = 50


class TeamError(ValueError):
    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Deadlines:
    team_id: int | None
    team_name: str
    priority: str
    first_contact: datetime
    resolve: datetime


def calendar_of(team: Team) -> Calendar:
    hours = tuple((int(pair[0]), int(pair[1])) if pair else None for pair in (list(team.hours) + [None] * 7)[:7])
    holidays = frozenset(date.fromisoformat(day) for day in team.holidays)
    return Calendar(team.timezone, hours, holidays)


def teams_in_order() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.is_default, Team.position, Team.id)))


def matches(team: Team, attributes: Mapping[str, object]) -> bool:
    """Whether a customer with these attributes belongs to `team` by its rule (values compared ignoring
    case and surrounding spaces: "leeds" in an import is Leeds)."""
    if team.is_default or not team.rule_attribute:
        return False
    value = str(attributes.get(team.rule_attribute, "")).strip().casefold()
    return bool(value) and value in {v.strip().casefold() for v in team.rule_values}


def team_for(attributes: Mapping[str, object] | None, teams: Sequence[Team] | None = None) -> Team | None:
    """The first team by position whose rule matches, else the default team; None when there is no team
    at all (then the configured standard applies)."""
    teams = teams_in_order() if teams is None else teams
    attributes = attributes or {}
    for team in teams:
        if matches(team, attributes):
            return team
    return next((team for team in teams if team.is_default), None)


def priority_of(team: Team | None, reason: str) -> str:
    return (team.priorities or {}).get(reason, "normal") if team is not None else "normal"


def deadlines(attributes: Mapping[str, object] | None, reason: str, now: datetime) -> Deadlines:
    """The team a new case joins, its priority and its two due times."""
    team = team_for(attributes)
    priority = priority_of(team, reason)
    share = HIGH_PRIORITY_SHARE if priority == "high" else 1.0
    if team is None:
        config = current_app.config
        calendar = default_calendar(config["TIMEZONE"])
        first, resolve = config["CASE_DUE_BUSINESS_DAYS"] * DAY_MINUTES, DEFAULT_RESOLVE_MINUTES
    else:
        calendar, first, resolve = calendar_of(team), team.first_contact_minutes, team.resolve_minutes
    try:
        first_due, resolve_due = due_time(now, round(first * share), calendar), due_time(now, round(resolve * share),
                                                                                          calendar)
    except NeverOpen:  # holidays covering a whole year: a case must still open (with the storing response)
        fallback = default_calendar(calendar.timezone)
        first_due, resolve_due = due_time(now, round(first * share), fallback), due_time(now, round(resolve * share),
                                                                                          fallback)
    return Deadlines(team.id if team else None, team.name if team else DEFAULT_NAME, priority, first_due, resolve_due)


# --- editing teams ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TeamInput:
    """A team as the form or the command line sends it: text, checked by `parse`."""

    name: str
    lead_id: int | None = None
    rule_attribute: str = ""
    rule_values: str = ""  # comma-separated
    timezone: str = "UTC"
    hours: tuple[tuple[str, str], ...] = (("09:00", "17:00"),) * 5 + (("", ""),) * 2  # Monday first
    holidays: str = ""  # ISO dates, one a line (or comma-separated)
    first_contact_hours: str = "8"
    resolve_hours: str = "40"
    priorities: Mapping[str, str] | None = None


def _hours_value(text: str, field: str, problems: dict[str, str]) -> int | None:
    try:
        hours = float(text.strip().replace(",", "."))
    except ValueError:
        problems[field] = "Write a number of working hours, such as 4 or 1.5."
        return None
    if not 0 < hours <= 24 * 366 or hours != hours:
        problems[field] = "Write a number of working hours above 0 and at most a year."
        return None
    return round(hours * 60)


def _rule(data: TeamInput, problems: dict[str, str]) -> tuple[str, list[str]]:
    attribute = data.rule_attribute.strip()
    values = [v.strip() for v in data.rule_values.split(",") if v.strip()]
    known = current_app.config["SEGMENT_ATTRIBUTES"]
    if attribute not in known:
        problems["rule_attribute"] = f"Choose the attribute that decides the team: one of {', '.join(known)}."
    if not values or len(values) > MAX_VALUES or any(len(v) > 200 for v in values):
        problems["rule_values"] = f"List 1 to {MAX_VALUES} values, separated by commas (e.g. Leeds, York)."
    return attribute, values


def _hours(data: TeamInput, problems: dict[str, str]) -> list[list[int] | None]:
    hours: list[list[int] | None] = []
    for weekday, (opens, closes) in zip(WEEKDAYS, data.hours, strict=True):
        field = f"hours_{weekday.lower()}"
        if not opens.strip() and not closes.strip():
            hours.append(None)
            continue
        try:
            start, end = parse_clock(opens), parse_clock(closes)
        except ValueError:
            problems[field] = (f"{weekday}: write opening and closing times as 09:00 and 17:30, or leave both "
                               "empty for a closed day.")
            continue
        if start >= end:
            problems[field] = f"{weekday}: the closing time must be after the opening time."
            continue
        hours.append([start, end])
    if len(hours) == 7 and not any(hours):
        problems["hours_monday"] = "A team needs working hours on at least one day."
    return hours


def _holidays(text: str, problems: dict[str, str]) -> list[str]:
    holidays = set()
    for line in filter(None, (line.strip() for line in text.replace(",", "\n").splitlines())):
        try:
            day = date.fromisoformat(line)
        except ValueError:
            problems["holidays"] = f"“{line[:20]}” is not a date: write holidays as 2026-12-25, one a line."
            break
        if not 1900 <= day.year <= 2999:
            problems["holidays"] = f"{day.isoformat()} is outside the calendar Hearken keeps (1900–2999)."
            break
        holidays.add(day.isoformat())
    return sorted(holidays)


def parse(data: TeamInput, *, is_default: bool, members: Sequence[User] = ()) -> tuple[dict, dict[str, str]]:
    """The team's column values from `data`, and what is wrong with it by field (empty when nothing is)."""
    problems: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not name or len(name) > 100:
        problems["name"] = "A team needs a name of 1 to 100 characters."
    attribute, values = ("", []) if is_default else _rule(data, problems)
    try:
        ZoneInfo(data.timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        problems["timezone"] = "Write a time zone such as Europe/London or America/New_York."
    hours, holidays = _hours(data, problems), _holidays(data.holidays, problems)
    first = _hours_value(data.first_contact_hours, "first_contact_hours", problems)
    resolve = _hours_value(data.resolve_hours, "resolve_hours", problems)
    if first and resolve and resolve < first:
        problems["resolve_hours"] = "The time to resolve cannot be shorter than the time to first contact."
    priorities = {reason: (data.priorities or {}).get(reason, "normal") for reason in PRIORITY_REASONS}
    for reason, chosen in priorities.items():
        if chosen not in PRIORITIES:
            problems[f"priority_{reason}"] = "Choose high, normal or low."
    lead = db.session.get(User, data.lead_id) if data.lead_id else None
    if data.lead_id and lead is None:
        problems["lead"] = "Choose the team lead from the list of users."
    elif lead is not None and members and lead not in members:
        problems["lead"] = "Choose the team lead among its members (add them to the team first)."
    return dict(name=name, lead_id=lead.id if lead else None, rule_attribute=attribute, rule_values=values,
                timezone=data.timezone.strip(), hours=hours, holidays=holidays, first_contact_minutes=first,
                resolve_minutes=resolve, priorities=priorities), problems


def save_team(team: Team | None, data: TeamInput, *, now: datetime) -> Team:
    """Create a team (appended last) or change one; TeamError, changing nothing, when `data` is wrong."""
    values, problems = parse(data, is_default=bool(team and team.is_default), members=team.members if team else ())
    clash = db.session.scalar(select(Team).where(func.lower(Team.name) == values["name"].lower()))
    if clash is not None and clash is not team:
        problems["name"] = f"There is already a team called {clash.name}."
    if problems:
        db.session.rollback()
        raise TeamError(problems)
    if team is None:
        last = db.session.scalar(select(func.max(Team.position))) or 0
        team = Team(position=last + 1, is_default=False, created_at=now)
        db.session.add(team)
    created = team.id is None
    for name, value in values.items():
        setattr(team, name, value)
    db.session.flush()  # a new team's id
    if values["lead_id"] and db.session.get(TeamMember, (team.id, values["lead_id"])) is None:
        db.session.add(TeamMember(team_id=team.id, user_id=values["lead_id"], added_at=now))  # a new team's lead
    audit.record("team.created" if created else "team.changed", f"team:{team.id}", now=now, name=team.name,
                 lead=f"user:{team.lead_id}" if team.lead_id else None,
                 rule=f"{team.rule_attribute} in {', '.join(team.rule_values)}" if team.rule_attribute else "default",
                 first_contact_minutes=team.first_contact_minutes, resolve_minutes=team.resolve_minutes)
    db.session.commit()
    db.session.expire(team, ["members"])
    return team


def ensure_default_team(*, now: datetime) -> Team:
    """The default team, created from the configured standard if the database has none (a new database)."""
    team = db.session.scalar(select(Team).where(Team.is_default.is_(True)))
    if team is None:
        config = current_app.config
        team = Team(name=DEFAULT_NAME, position=0, is_default=True, rule_attribute="", rule_values=[],
                    timezone=config["TIMEZONE"], hours=[[0, DAY_MINUTES]] * 5 + [None, None], holidays=[],
                    first_contact_minutes=config["CASE_DUE_BUSINESS_DAYS"] * DAY_MINUTES,
                    resolve_minutes=DEFAULT_RESOLVE_MINUTES, priorities={}, created_at=now)
        db.session.add(team)
        db.session.commit()
    return team


def move_team(team: Team, step: int, *, now: datetime | None = None) -> None:
    """Move a team one place earlier (-1) or later (+1) in the order rules are tried."""
    now = now or utcnow()  # optional: callers from before the audit log pass none
    ordered = [t for t in teams_in_order() if not t.is_default]
    if team.is_default or team not in ordered:
        return
    index = ordered.index(team)
    other = index + step
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, each in enumerate(ordered, start=1):
            each.position = position
        audit.record("team.moved", f"team:{team.id}", now=now, position=team.position)
    db.session.commit()


def delete_team(team: Team, *, now: datetime | None = None) -> None:
    """Delete a team (never the default): its cases keep their due times and count as the default team's."""
    now = now or utcnow()  # optional: callers from before the audit log pass none
    if team.is_default:
        raise TeamError({"team": "The default team takes every case no other team's rule matches; it stays."})
    default = db.session.scalar(select(Team.id).where(Team.is_default.is_(True)))
    db.session.execute(update(FollowUpCase).where(FollowUpCase.team_id == team.id).values(team_id=default))
    audit.record("team.deleted", f"team:{team.id}", now=now, name=team.name)
    db.session.delete(team)
    db.session.commit()


# --- root-cause codes -------------------------------------------------------------------------------

def root_causes(*, active_only: bool = False) -> list[RootCause]:
    query = select(RootCause).order_by(RootCause.code)
    return list(db.session.scalars(query.where(RootCause.active.is_(True)) if active_only else query))


def add_root_cause(code: str, label: str, *, now: datetime | None = None) -> RootCause:
    code, label = " ".join(code.split()), " ".join(label.split())
    problems = {}
    if not code or len(code) > 60:
        problems["code"] = "A code needs 1 to 60 characters (e.g. DELIVERY-LATE)."
    elif db.session.scalar(select(RootCause.id).where(func.lower(RootCause.code) == code.lower())):
        problems["code"] = f"The code {code} exists already."
    if len(label) > 200:
        problems["label"] = "Keep the description under 200 characters."
    if problems:
        raise TeamError(problems)
    cause = RootCause(code=code, label=label or code, active=True)
    db.session.add(cause)
    db.session.flush()  # its id, for the audit entry
    audit.record("root_cause.added", f"root_cause:{cause.id}", now=now or utcnow(), code=code)
    db.session.commit()
    return cause


def set_root_cause_active(cause: RootCause, active: bool, *, now: datetime | None = None) -> None:
    cause.active = active
    audit.record("root_cause.used_again" if active else "root_cause.retired", f"root_cause:{cause.id}",
                 now=now or utcnow(), code=cause.code)
    db.session.commit()


# --- members ----------------------------------------------------------------------------------------

def add_member(team: Team, user: User, *, now: datetime) -> None:
    """Put a member of staff in the team (nothing happens when they are in it already)."""
    if db.session.get(TeamMember, (team.id, user.id)) is None:
        db.session.add(TeamMember(team_id=team.id, user_id=user.id, added_at=now))
        audit.record("team.member_added", f"team:{team.id}", now=now, member=f"user:{user.id}")
    db.session.commit()
    db.session.expire(team, ["members"])


def remove_member(team: Team, user: User, *, now: datetime) -> None:
    """Take someone out of the team; TeamError for its lead, who must be replaced first (overdue cases are
    escalated to the lead, and a team left without one would escalate to nobody unnoticed)."""
    if team.lead_id == user.id:
        raise TeamError({"member": f"{user.email} leads {team.name}: choose another lead before removing them."})
    membership = db.session.get(TeamMember, (team.id, user.id))
    if membership is not None:
        db.session.delete(membership)
        audit.record("team.member_removed", f"team:{team.id}", now=now, member=f"user:{user.id}")
    db.session.commit()
    db.session.expire(team, ["members"])


def owners_for(team_id: int | None, users: Sequence[User]) -> tuple[list[User], list[User]]:
    """Who a case of this team is offered to first (its members) and everyone else, each in `users`' order.
    A case without a team (from before teams) is the default team's."""
    team = db.session.get(Team, team_id) if team_id is not None else team_for({})
    members = {user.id for user in team.members} if team is not None else set()
    return [u for u in users if u.id in members], [u for u in users if u.id not in members]
