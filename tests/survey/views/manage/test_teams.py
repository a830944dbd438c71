"""The team pages: admins add and change teams, codes and channels with clear errors; everyone who works
cases sees them; the case list filters by team and shows each team's compliance and recurring causes."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from survey.clock import utcnow
from survey.extensions import db
from survey.followups import teams
from survey.models import ChatChannel, FollowUpCase, Team
from tests.factories import make_user
from tests.pages import log_in, post_form, text_of

DAYS = {f"{day}_{end}": time for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        for end, time in (("open", "09:00"), ("close", "17:30"))}
TEAM = {"name": "Leeds <b>store</b>", "lead": "", "rule_attribute": "location", "rule_values": "Leeds, Wakefield",
        "timezone": "Europe/London", "holidays": "2026-12-25\n2026-12-28", "first_contact_hours": "4",
        "resolve_hours": "24", "priority_low_score": "normal", "priority_complaint": "high",
        "priority_contact_request": "low", **DAYS}


def test_an_admin_adds_a_team_and_changes_it(ctx, client):
    make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    added = post_form(client, "/manage/teams/", TEAM)
    assert added.status_code == 302
    team = db.session.scalar(select(Team).where(Team.is_default.is_(False)))  # (the migration made the default)
    assert team.rule_values == ["Leeds", "Wakefield"] and team.hours[0] == [540, 1050] and team.hours[5] is None
    assert team.first_contact_minutes == 240 and team.priorities["complaint"] == "high"
    page = client.get(f"/manage/teams/{team.id}").get_data(as_text=True)
    assert "Leeds &lt;b&gt;store&lt;/b&gt;" in page and "<b>store</b>" not in page
    assert 'value="17:30"' in page and "2026-12-28" in page
    changed = post_form(client, f"/manage/teams/{team.id}", {**TEAM, "name": "Leeds", "resolve_hours": "16"})
    assert changed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Team, team.id).resolve_minutes == 960


def test_a_team_with_mistakes_comes_back_with_each_problem_named_and_nothing_stored(ctx, client):
    make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    refused = post_form(client, "/manage/teams/", {**TEAM, "timezone": "Leeds/Time", "tuesday_close": "8am",
                                                    "first_contact_hours": "-1"}, page="/manage/teams/")
    text = text_of(refused)
    assert refused.status_code == 400 and 'class="error-summary"' in text
    assert "Write a time zone such as Europe/London" in text and "Tuesday: write opening and closing times" in text
    assert "above 0" in text and 'value="Leeds, Wakefield"' in text  # what was typed stays
    assert db.session.scalars(select(Team).where(Team.is_default.is_(False))).all() == []


def test_agents_see_the_teams_but_no_forms(ctx, client):
    teams.save_team(None, teams.TeamInput(name="Leeds", rule_attribute="location", rule_values="Leeds"), now=utcnow())
    make_user(email="agent@example.com", role="agent")
    log_in(client, "agent@example.com")
    page = client.get("/manage/teams/").get_data(as_text=True)
    assert "location is Leeds" in page and "Add a team" not in page and "Add code" not in page


def test_channels_and_codes_are_added_from_the_pages_with_errors_in_words(ctx, client, app):
    app.config["WEBHOOK_ALLOWED_HOSTS"] = ""
    team = teams.save_team(None, teams.TeamInput(name="Leeds", rule_attribute="location", rule_values="Leeds"),
                           now=utcnow())
    make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    url = f"/manage/teams/{team.id}"
    refused = post_form(client, f"{url}/channels", {"kind": "slack", "url": "http://169.254.169.254/x",
                                                    "events": ["overdue"]}, page=url)
    assert refused.status_code == 400 and "link-local" in text_of(refused)
    assert db.session.scalars(select(ChatChannel)).all() == []
    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    added = post_form(client, f"{url}/channels", {"kind": "teams", "url": "http://127.0.0.1:9/workflows/secret-sig",
                                                  "events": ["overdue", "complaint"]}, page=url)
    assert added.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Microsoft Teams at 127.0.0.1" in page and "secret-sig" not in page  # the URL is the credential
    assert post_form(client, "/manage/teams/root-causes", {"code": "LATE", "label": "Delivery late"},
                     page="/manage/teams/").status_code == 302
    again = post_form(client, "/manage/teams/root-causes", {"code": "late"}, page="/manage/teams/")
    assert again.status_code == 400 and "The code late exists already" in text_of(again)


def _case(team_id, name, opened, *, root_cause_id=None, resolved=None):
    db.session.add(FollowUpCase(reason="low_score", summary=f"case of {name}", status="resolved" if resolved else "new",
                                team_id=team_id, team=name, opened_at=opened, due_at=opened + timedelta(hours=1),
                                resolve_due_at=opened + timedelta(hours=8), resolved_at=resolved,
                                first_contact_at=resolved, root_cause_id=root_cause_id))


def test_the_case_list_filters_by_team_and_shows_compliance_and_recurring_causes(ctx, client):
    now = utcnow()
    leeds = teams.save_team(None, teams.TeamInput(name="Leeds", rule_attribute="location", rule_values="Leeds"),
                            now=now)
    york = teams.save_team(None, teams.TeamInput(name="York", rule_attribute="location", rule_values="York"), now=now)
    late = teams.add_root_cause("LATE", "Delivery late")
    for day in range(25):
        opened = now - timedelta(days=day + 1)
        _case(leeds.id, "Leeds", opened, root_cause_id=late.id, resolved=opened + timedelta(minutes=30))
    _case(york.id, "York", now - timedelta(hours=3))
    db.session.commit()
    make_user(email="agent@example.com", role="agent")
    log_in(client, "agent@example.com")
    everything = text_of(client.get("/manage/cases/?status=all"))
    assert "(87–100 %, 25 of 25)" in everything  # Wilson: 25 of 25 → 86.7–100 %
    assert "not enough cases (0 of 1)" in everything and "LATE – Delivery late" in everything
    york_only = text_of(client.get(f"/manage/cases/?status=all&team={york.id}"))
    assert "case of York" in york_only and "case of Leeds" not in york_only and "LATE" not in york_only.split(
        "Root causes that recur")[1]
    assert text_of(client.get("/manage/cases/?team=nonsense&days=7")).count("last 90 days") >= 1  # ignored, not 500


def test_resolving_without_a_root_cause_on_the_page_changes_nothing_and_says_why(ctx, client):
    teams.add_root_cause("LATE", "")
    agent = make_user(email="agent@example.com", role="agent")
    now = datetime(2026, 11, 4, 9)
    _case(None, "Everyone", now)
    db.session.commit()
    case = db.session.scalar(select(FollowUpCase))
    log_in(client, agent.email)
    url = f"/manage/cases/{case.id}"
    answer = post_form(client, f"{url}/status", {"status": "resolved", "problem_fixed": "yes", "change_id": "",
                                                 "root_cause": "", "note": ""}, page=url, follow_redirects=True)
    assert "Choose the root cause before resolving the case. Nothing was changed." in text_of(answer)
    db.session.expire_all()
    assert db.session.get(FollowUpCase, case.id).status == "new"


def test_the_api_gives_each_case_its_team_priority_due_times_and_root_cause(ctx, client):
    from survey.accounts import api_tokens

    team = teams.save_team(None, teams.TeamInput(name="Leeds", rule_attribute="location", rule_values="Leeds"),
                           now=utcnow())
    cause = teams.add_root_cause("LATE", "")
    opened = datetime(2026, 11, 4, 9)
    _case(team.id, "Leeds", opened, root_cause_id=cause.id, resolved=opened + timedelta(hours=1))
    db.session.commit()
    secret = api_tokens.create_token("crm", "agent", now=utcnow())[1]
    body = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"}).get_json()
    (case,) = body["data"]
    assert (case["team"], case["team_id"], case["priority"], case["root_cause"]) == ("Leeds", team.id, "normal", "LATE")
    assert case["resolve_due_at"] == "2026-11-04T17:00:00Z" and case["escalated_at"] is None


def test_an_editor_adds_and_removes_members_and_a_case_offers_them_first(ctx, client):
    lead = make_user(email="lead@example.com", role="agent")
    zed = make_user(email="aaron@example.com", role="agent")  # first by address, but not in the team
    make_user(email="editor@example.com", role="editor")
    leeds = teams.save_team(None, teams.TeamInput(name="Leeds", lead_id=lead.id, rule_attribute="location",
                                                  rule_values="Leeds"), now=utcnow())
    team_id, zed_id, lead_id = leeds.id, zed.id, lead.id
    log_in(client, "editor@example.com")
    page = text_of(client.get(f"/manage/teams/{team_id}"))
    assert "lead@example.com" in page and "(agent, lead)" in page and "Add to Leeds" in page
    assert "Save team" not in page  # the standard and the lead stay the admins'
    refused = post_form(client, f"/manage/teams/{team_id}/members", {"user": "999"}, page=f"/manage/teams/{team_id}")
    assert refused.status_code == 400 and "Not a valid choice" in text_of(refused)
    added = post_form(client, f"/manage/teams/{team_id}/members", {"user": str(zed_id)},
                      page=f"/manage/teams/{team_id}")
    assert added.status_code == 302
    db.session.expire_all()
    assert [u.email for u in db.session.get(Team, team_id).members] == ["aaron@example.com", "lead@example.com"]
    case = FollowUpCase(reason="manual", summary="x", status="new", opened_at=utcnow(), due_at=utcnow(),
                        team_id=team_id, team="Leeds")
    db.session.add(case)
    db.session.commit()
    detail = client.get(f"/manage/cases/{case.id}").get_data(as_text=True)
    detail = detail[detail.index('<select id="owner"'):]
    assert detail.index('<optgroup label="Leeds">') < detail.index("aaron@example.com") < detail.index("Everyone else")
    kept = post_form(client, f"/manage/teams/{team_id}/members/{lead_id}/remove", page=f"/manage/teams/{team_id}")
    assert "choose another lead before removing them" in text_of(client.get(kept.headers["Location"]))
    post_form(client, f"/manage/teams/{team_id}/members/{zed_id}/remove", page=f"/manage/teams/{team_id}")
    db.session.expire_all()
    assert [u.email for u in db.session.get(Team, team_id).members] == ["lead@example.com"]
