"""Teams: which team a case joins, its due times in that team's working hours, priority by reason,
escalation to the team lead when overdue, compliance per team and the root causes that recur."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from analysis import wilson
from survey import followups
from survey.extensions import db
from survey.followups import teams
from survey.followups.compliance import MIN_CASES, compliance, share
from survey.models import ChatDelivery, FollowUpCase, OutboxMessage, Team
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import Consents, submit_response
from survey.webhooks import chat
from tests.factories import make_invitation, make_survey, make_user

# Friday 6 November 2026, 16:30 in London (GMT, so also 16:30 UTC).
FRIDAY_LATE = datetime(2026, 11, 6, 16, 30)
NINE_TO_FIVE = (("09:00", "17:00"),) * 5 + (("", ""),) * 2


def team(name, attribute="location", values="Leeds", *, lead=None, first="2", resolve="16", now=FRIDAY_LATE,
         **changes):
    return teams.save_team(None, teams.TeamInput(
        name=name, lead_id=lead.id if lead else None, rule_attribute=attribute, rule_values=values,
        timezone="Europe/London", first_contact_hours=first, resolve_hours=resolve,
        **{"hours": NINE_TO_FIVE, **changes}), now=now)


def answer(survey, email, attributes, values=None, *, now=FRIDAY_LATE):
    invitation = make_invitation(survey, email=email)
    invitation.contact.attributes = attributes
    db.session.commit()
    submit_response(survey.current_version, invited_respondent(invitation), values or {"satisfaction": 1},
                    Consents(), submission_key=f"key-{email}".ljust(20, "x"), now=now)
    return db.session.scalars(select(FollowUpCase).order_by(FollowUpCase.id.desc())).first()


def test_a_case_joins_the_first_team_whose_rule_matches_else_the_default(ctx):
    teams.ensure_default_team(now=FRIDAY_LATE)
    leeds = team("Leeds")
    remote = team("Remote", "touchpoint", "Phone, Chat")
    survey = make_survey()
    assert answer(survey, "a@example.com", {"location": "Leeds"}).team_id == leeds.id
    assert answer(survey, "b@example.com", {"location": " leeds "}).team == "Leeds"  # case and spaces ignored
    assert answer(survey, "c@example.com", {"touchpoint": "Chat"}).team_id == remote.id
    # Both rules match: the first by position wins; moving Remote up changes that for new cases.
    assert answer(survey, "d@example.com", {"location": "Leeds", "touchpoint": "Phone"}).team == "Leeds"
    teams.move_team(remote, -1)
    assert answer(survey, "e@example.com", {"location": "Leeds", "touchpoint": "Phone"}).team == "Remote"
    other = answer(survey, "f@example.com", {"location": "York"})
    assert other.team == "Everyone" and db.session.get(Team, other.team_id).is_default


def test_due_times_are_counted_in_the_teams_working_hours(ctx):
    team("Leeds")  # 09:00–17:00 Monday to Friday, first contact 2 h, resolve 16 h
    survey = make_survey()
    case = answer(survey, "a@example.com", {"location": "Leeds"})
    assert case.due_at == datetime(2026, 11, 9, 10, 30)  # Friday 16:30 + 2 working hours → Monday 10:30
    assert case.resolve_due_at == datetime(2026, 11, 10, 16, 30)  # + 16 working hours → Tuesday 16:30
    # Without teams (a database that never had one) the configured standard applies: a working day later.
    other = answer(survey, "b@example.com", {"location": "York"})
    assert other.due_at == datetime(2026, 11, 9, 16, 30) and other.team_id is None


def test_holidays_and_a_case_opened_outside_hours(ctx):
    team("Leeds", holidays="2026-11-09")
    case = answer(make_survey(), "a@example.com", {"location": "Leeds"}, now=datetime(2026, 11, 7, 11, 0))
    assert case.due_at == datetime(2026, 11, 10, 11, 0)  # Saturday: counting starts Tuesday 09:00 (Monday off)


def test_priority_by_reason_shortens_the_times(ctx):
    team("Leeds", priorities={"low_score": "high", "complaint": "normal", "contact_request": "low"})
    case = answer(make_survey(), "a@example.com", {"location": "Leeds"})
    assert case.priority == "high" and case.due_at == datetime(2026, 11, 9, 9, 30)  # 1 h: 30 min Fri + 30 Mon


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "name of 1 to 100"), ("rule_attribute", "colour", "one of location"),
    ("rule_values", " , ", "List 1 to"), ("timezone", "Mars/Olympus", "time zone"),
    ("first_contact_hours", "soon", "number of working hours"), ("first_contact_hours", "0", "above 0"),
    ("resolve_hours", "1", "cannot be shorter"), ("holidays", "25/12/2026", "is not a date"),
])
def test_a_team_with_a_mistake_is_refused_by_field_and_nothing_is_stored(ctx, field, value, message):
    data = dict(name="Leeds", rule_attribute="location", rule_values="Leeds", timezone="Europe/London",
                first_contact_hours="2", resolve_hours="8")
    with pytest.raises(teams.TeamError) as error:
        teams.save_team(None, teams.TeamInput(**{**data, field: value}), now=FRIDAY_LATE)
    assert message in error.value.problems[field]
    assert db.session.scalars(select(Team)).all() == []


def test_hours_that_close_before_they_open_or_never_open_are_refused(ctx):
    with pytest.raises(teams.TeamError) as error:
        teams.save_team(None, teams.TeamInput(name="X", rule_attribute="location", rule_values="X",
                                              hours=(("17:00", "09:00"),) + (("", ""),) * 6), now=FRIDAY_LATE)
    assert "Monday: the closing time must be after" in error.value.problems["hours_monday"]
    with pytest.raises(teams.TeamError) as error:
        teams.save_team(None, teams.TeamInput(name="X", rule_attribute="location", rule_values="X",
                                              hours=(("", ""),) * 7), now=FRIDAY_LATE)
    assert "at least one day" in error.value.problems["hours_monday"]


def test_an_overdue_case_is_escalated_to_the_team_lead_once_in_working_hours(ctx):
    ctx.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    lead = make_user(email="lead@example.com", role="agent")
    leeds = team("Leeds", lead=lead)
    channel = chat.add_channel(leeds.id, "slack", "http://127.0.0.1:9/services/T0/B0/x", ("overdue",),
                               now=FRIDAY_LATE)
    case = answer(make_survey(), "a@example.com", {"location": "Leeds"})
    # Over the weekend the team is closed: Friday 16:30 + 2 working hours is Monday 10:30, not Friday 18:30.
    for now in (datetime(2026, 11, 6, 18, 31), datetime(2026, 11, 8, 12, 0), datetime(2026, 11, 9, 10, 29)):
        assert followups.escalate_overdue(now=now) == 0
    assert followups.escalate_overdue(now=datetime(2026, 11, 9, 10, 31)) == 1
    assert followups.escalate_overdue(now=datetime(2026, 11, 9, 12, 0)) == 0  # recorded: once per case
    (email,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_escalated")).all()
    assert email.recipient == "lead@example.com" and f"/manage/cases/{case.id}" in email.text_body
    assert "lead of the Leeds team" in email.text_body
    (message,) = db.session.scalars(select(ChatDelivery)).all()
    assert message.channel_id == channel.id and message.event == "overdue" and f"case {case.id}" in message.body


def test_a_contacted_case_is_escalated_when_its_resolve_time_passes(ctx):
    lead = make_user(email="lead@example.com", role="agent")
    team("Leeds", lead=lead)
    case = answer(make_survey(), "a@example.com", {"location": "Leeds"})
    followups.set_status(case, "contacted", actor=lead, now=datetime(2026, 11, 9, 9, 15))
    assert followups.escalate_overdue(now=datetime(2026, 11, 10, 16, 29)) == 0
    assert followups.escalate_overdue(now=datetime(2026, 11, 10, 16, 31)) == 1


def _case(team_id, *, opened, due, resolve_due, contacted=None, resolved=None, status="new", cause=None):
    row = FollowUpCase(reason="low_score", summary="x", status=status, team_id=team_id, team="T", opened_at=opened,
                       due_at=due, resolve_due_at=resolve_due, first_contact_at=contacted, resolved_at=resolved,
                       root_cause_id=cause)
    db.session.add(row)
    return row


def test_compliance_counts_decided_cases_with_a_wilson_interval_and_says_when_there_are_too_few(ctx):
    leeds = team("Leeds")
    start, now = datetime(2026, 10, 1, 9), datetime(2026, 11, 1, 9)
    due, late = start + timedelta(hours=2), start + timedelta(hours=5)
    for _ in range(18):
        _case(leeds.id, opened=start, due=due, resolve_due=due + timedelta(days=1),
              contacted=start + timedelta(hours=1), resolved=start + timedelta(hours=3), status="resolved")
    for _ in range(4):  # contacted late, never resolved and past its resolve time
        _case(leeds.id, opened=start, due=due, resolve_due=due + timedelta(days=1), contacted=late, status="contacted")
    _case(leeds.id, opened=now - timedelta(hours=1), due=now + timedelta(hours=1), resolve_due=now + timedelta(days=1))
    db.session.commit()
    (row,) = compliance(now=now, since=now - timedelta(days=90))
    assert row.team == "Leeds" and row.cases == 23 and row.overdue == 4
    interval = wilson(18, 22)
    assert (row.first_contact.met, row.first_contact.decided) == (18, 22)  # the case still in time is not decided
    assert (row.first_contact.low, row.first_contact.high) == (interval.low, interval.high)
    assert row.first_contact.enough and row.resolution.value == 18 / 22
    few = share(5, MIN_CASES - 1)
    assert not few.enough and few.low is None


def test_resolving_needs_a_root_cause_once_codes_exist_and_recurring_ones_are_counted(ctx):
    agent = make_user(email="agent@example.com", role="agent")
    survey = make_survey()
    first = answer(survey, "a@example.com", {})
    followups.set_status(first, "resolved", actor=agent, now=FRIDAY_LATE)  # no codes yet: allowed
    late = teams.add_root_cause("DELIVERY-LATE", "The parcel came late")
    rude = teams.add_root_cause("RUDE", "")
    with pytest.raises(teams.TeamError):
        teams.add_root_cause("delivery-late", "")  # the same code in other letters
    case = answer(survey, "b@example.com", {})
    with pytest.raises(followups.CaseError) as error:
        followups.set_status(case, "resolved", actor=agent, now=FRIDAY_LATE)
    assert "root cause" in error.value.problems["root_cause"]
    db.session.refresh(case)
    assert case.status == "new"  # nothing changed
    followups.set_status(case, "resolved", actor=agent, now=FRIDAY_LATE, root_cause_id=late.id)
    third = answer(survey, "c@example.com", {})
    followups.set_status(third, "resolved", actor=agent, now=FRIDAY_LATE, root_cause_id=late.id)
    fourth = answer(survey, "d@example.com", {})
    followups.set_status(fourth, "resolved", actor=agent, now=FRIDAY_LATE, root_cause_id=rude.id)
    teams.set_root_cause_active(rude, False)
    with pytest.raises(followups.CaseError):  # a retired code is no longer offered or taken
        followups.set_status(answer(survey, "e@example.com", {}), "resolved", actor=agent, now=FRIDAY_LATE,
                             root_cause_id=rude.id)
    counted = followups.recurring_causes(since=FRIDAY_LATE - timedelta(days=1))
    assert [(c.code, c.cases) for c in counted] == [("DELIVERY-LATE", 2), ("RUDE", 1)]


def test_the_default_team_cannot_be_deleted_and_a_deleted_teams_cases_go_to_it(ctx):
    default = teams.ensure_default_team(now=FRIDAY_LATE)
    leeds = team("Leeds")
    case = answer(make_survey(), "a@example.com", {"location": "Leeds"})
    with pytest.raises(teams.TeamError):
        teams.delete_team(default)
    teams.delete_team(leeds)
    db.session.refresh(case)
    assert case.team_id == default.id and case.due_at == datetime(2026, 11, 9, 10, 30)  # due time kept


def test_the_weekly_scorecard_shows_each_teams_compliance_and_the_root_causes_that_recur(ctx):
    from survey.models import User
    from survey.results import scorecard

    monday = datetime(2026, 11, 23, 9, 0)
    user = make_user(email="agent@example.com", role="agent")
    db.session.get(User, user.id).notify_scorecard = True
    leeds = team("Leeds")
    late = teams.add_root_cause("LATE", "Delivery late")
    rude = teams.add_root_cause("RUDE", "")
    for day in range(24):
        opened = monday - timedelta(days=day + 1)
        _case(leeds.id, opened=opened, due=opened + timedelta(hours=2), resolve_due=opened + timedelta(hours=8),
              contacted=opened + timedelta(hours=1), resolved=opened + timedelta(hours=3), status="resolved",
              cause=late.id if day % 3 else rude.id)
    db.session.commit()
    assert scorecard.send_scorecards(now=monday, cases=followups.scorecard_cases) == 1
    (row,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "scorecard")).all()
    assert "Follow-ups: response-time standard, last 90 days" in row.text_body
    assert "Leeds: 100 % contacted in time (95 % interval 86–100 %, 24 of 24)" in row.text_body
    assert "1. LATE – Delivery late: 16\n2. RUDE: 8" in row.text_body
    assert "<strong>100 %</strong>" in row.html_body and "<li>LATE – Delivery late: 16 cases</li>" in row.html_body


def test_a_team_closed_for_more_than_a_year_still_opens_cases_all_day_on_weekdays(ctx):
    mondays = "\n".join((datetime(2026, 11, 9) + timedelta(weeks=week)).date().isoformat() for week in range(60))
    team("Leeds", hours=(("09:00", "17:00"),) + (("", ""),) * 6, holidays=mondays)
    case = answer(make_survey(), "a@example.com", {"location": "Leeds"})  # Friday 16:30 + 2 h, Monday to Friday
    assert case.due_at == datetime(2026, 11, 6, 18, 30)


def test_a_team_has_members_and_its_lead_is_one_of_them(ctx):
    ann, bob, cy = (make_user(email=f"{name}@example.com", role="agent") for name in ("ann", "bob", "cy"))
    leeds = team("Leeds", lead=ann)
    assert leeds.members == [ann]  # a new team's lead joins it
    teams.add_member(leeds, bob, now=FRIDAY_LATE)
    teams.add_member(leeds, bob, now=FRIDAY_LATE)  # twice is once
    assert leeds.members == [ann, bob]
    with pytest.raises(teams.TeamError, match="among its members"):
        teams.save_team(leeds, teams.TeamInput(name="Leeds", lead_id=cy.id, rule_attribute="location",
                                               rule_values="Leeds"), now=FRIDAY_LATE)
    with pytest.raises(teams.TeamError, match="choose another lead before removing them"):
        teams.remove_member(leeds, ann, now=FRIDAY_LATE)
    teams.save_team(leeds, teams.TeamInput(name="Leeds", lead_id=bob.id, rule_attribute="location",
                                           rule_values="Leeds", hours=NINE_TO_FIVE), now=FRIDAY_LATE)
    teams.remove_member(leeds, ann, now=FRIDAY_LATE)
    assert leeds.members == [bob] and leeds.lead == bob
    # Cases of the team are offered to its members first; a case without a team is the default team's.
    members, others = teams.owners_for(leeds.id, [ann, bob, cy])
    assert (members, others) == ([bob], [ann, cy])
    assert teams.owners_for(None, [ann, bob]) == ([], [ann, bob])


def test_escalation_goes_to_the_lead_chosen_among_the_members_when_it_happens(ctx):
    ann, bob = (make_user(email=f"{name}@example.com", role="agent") for name in ("ann", "bob"))
    leeds = team("Leeds", lead=ann)
    teams.add_member(leeds, bob, now=FRIDAY_LATE)
    case = answer(make_survey(), "a@example.com", {"location": "Leeds"})
    teams.save_team(leeds, teams.TeamInput(name="Leeds", lead_id=bob.id, rule_attribute="location",
                                           rule_values="Leeds", timezone="Europe/London", first_contact_hours="2",
                                           resolve_hours="16", hours=NINE_TO_FIVE), now=FRIDAY_LATE)
    assert followups.escalate_overdue(now=datetime(2026, 11, 9, 10, 31)) == 1
    (email,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_escalated")).all()
    assert email.recipient == "bob@example.com" and f"/manage/cases/{case.id}" in email.text_body
