"""How well each team keeps its response-time standard, and which root causes recur: the evidence the
case list and the staff scorecard show, so "the three things we changed" come from counted cases.

A case counts towards a share once it is decided: towards first contact when it was contacted or its
due time has passed, towards resolution when it was closed or its resolve time has passed. A case still
inside its time is neither in time nor late yet. Reviews (nobody to call) are not measured.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from analysis import wilson
from survey.extensions import db
from survey.followups.teams import DEFAULT_NAME, teams_in_order
from survey.models import FollowUpCase, RootCause

# Below this many decided cases a share is shown as "not enough cases": an interval as wide as 0–60 %
# reads as a verdict it is not.
MIN_CASES = 20


@dataclass(frozen=True)
class Share:
    met: int
    decided: int
    low: float | None = None
    high: float | None = None

    @property
    def enough(self) -> bool:
        return self.decided >= MIN_CASES

    @property
    def value(self) -> float | None:
        return self.met / self.decided if self.decided else None


def share(met: int, decided: int) -> Share:
    """`met` of `decided`, with its 95 % Wilson interval once there are MIN_CASES decided cases."""
    if decided < MIN_CASES:
        return Share(met, decided)
    interval = wilson(met, decided)
    return Share(met, decided, interval.low, interval.high)


@dataclass(frozen=True)
class TeamCompliance:
    team_id: int | None
    team: str
    cases: int
    first_contact: Share
    resolution: Share
    overdue: int  # open and past a due time now
    median_hours_to_contact: float | None


def contacted_in_time(case, now: datetime) -> bool | None:
    """True/False once decided, None while the case is still inside its time to first contact."""
    if case.first_contact_at is not None:
        return case.first_contact_at <= case.due_at
    return False if case.due_at < now else None


def resolved_in_time(case, now: datetime) -> bool | None:
    if case.resolve_due_at is None:  # opened before teams: it had no resolve standard
        return None
    if case.resolved_at is not None:
        return case.resolved_at <= case.resolve_due_at
    return False if case.resolve_due_at < now else None


def is_late(case, now: datetime) -> bool:
    """Open and past a due time: first contact for a new case, resolution for any open one."""
    if case.resolved_at is not None or case.status in ("resolved", "unreachable"):
        return False
    return (case.first_contact_at is None and case.due_at < now) or (
        case.resolve_due_at is not None and case.resolve_due_at < now)


def _team_key(team_id: int | None, default_id: int | None) -> int | None:
    return team_id if team_id is not None else default_id


def compliance(*, now: datetime, since: datetime, team_id: int | None = None) -> list[TeamCompliance]:
    """Per team (in the teams' order), for the cases opened since `since`: the share contacted within the
    first-contact standard and the share resolved within the resolve standard, with their intervals."""
    teams = teams_in_order()
    default_id = next((team.id for team in teams if team.is_default), None)
    names = {team.id: team.name for team in teams}
    query = select(FollowUpCase.team_id, FollowUpCase.status, FollowUpCase.opened_at, FollowUpCase.due_at,
                   FollowUpCase.resolve_due_at, FollowUpCase.first_contact_at, FollowUpCase.resolved_at) \
        .where(FollowUpCase.opened_at >= since, FollowUpCase.reason != "review")
    by_team: dict[int | None, list] = defaultdict(list)
    for row in db.session.execute(query):
        by_team[_team_key(row.team_id, default_id)].append(row)
    order = [team.id for team in teams if team.id in by_team] + [key for key in by_team if key not in names]
    result = []
    for key in order:
        if team_id is not None and key != team_id:
            continue
        cases = by_team[key]
        contact = [d for c in cases if (d := contacted_in_time(c, now)) is not None]
        resolve = [d for c in cases if (d := resolved_in_time(c, now)) is not None]
        hours = [(c.first_contact_at - c.opened_at).total_seconds() / 3600 for c in cases if c.first_contact_at]
        result.append(TeamCompliance(
            team_id=key, team=names.get(key, DEFAULT_NAME) if key is not None else DEFAULT_NAME, cases=len(cases),
            first_contact=share(sum(contact), len(contact)), resolution=share(sum(resolve), len(resolve)),
            overdue=sum(1 for c in cases if is_late(c, now)),
            median_hours_to_contact=statistics.median(hours) if hours else None))
    return result


@dataclass(frozen=True)
class Cause:
    code: str
    label: str
    cases: int


def recurring_causes(*, since: datetime, team_id: int | None = None, limit: int = 10) -> list[Cause]:
    """The root causes chosen for cases closed since `since`, most frequent first (ties by code)."""
    query = select(RootCause.code, RootCause.label, func.count(FollowUpCase.id)) \
        .join(FollowUpCase, FollowUpCase.root_cause_id == RootCause.id) \
        .where(FollowUpCase.resolved_at >= since).group_by(RootCause.code, RootCause.label)
    if team_id is not None:
        query = query.where(FollowUpCase.team_id == team_id)
    counted = Counter({(code, label): count for code, label, count in db.session.execute(query)})
    ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0][0]))
    return [Cause(code, label, count) for (code, label), count in ranked[:limit]]


SCORECARD_DAYS = 90


@dataclass(frozen=True)
class ScorecardCases:
    """The follow-up part of the weekly scorecard: each team's compliance and the root causes that recur."""

    days: int
    standards: list[TeamCompliance]
    causes: list[Cause]


def scorecard_cases(now: datetime) -> ScorecardCases:
    since = now - timedelta(days=SCORECARD_DAYS)
    return ScorecardCases(SCORECARD_DAYS, compliance(now=now, since=since), recurring_causes(since=since, limit=5))
