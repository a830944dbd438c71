"""Data scopes (survey/accounts/scopes.py): what a scope is, its SQL, and each boundary it holds — the results,
exports and their jobs, the alert and scorecard emails, editing it on the page and the command line.
The route × role × scope walk is in tests/survey/views/test_permissions.py."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from sqlalchemy import select

from survey.accounts import scopes
from survey.alerts import trends
from survey.background import dispatch, jobs
from survey.extensions import db
from survey.models import Alert, AuditEntry, Survey, User
from survey.results import dashboard, scorecard
from survey.results.counts import answer_counts
from survey.results.filters import ResultsFilter
from survey.results.settings import Settings
from tests.factories import make_user
from tests.pages import log_in, post_form, text_of
from tests.scoped import BULK, LEEDS, LEEDS_SCOPE, MARKER, YORK, store_leeds_and_york

NAMES = ("location", "team", "touchpoint")


def test_a_scope_is_conditions_anded_and_an_unknown_attribute_is_named():
    scope = scopes.check(scopes.parse_pairs(["team=Returns", "location=Leeds", "team=Billing"]), attributes=NAMES)
    assert scope.stored() == {"location": ["Leeds"], "team": ["Billing", "Returns"]}
    assert scope.label() == "location Leeds, team Billing or Returns"
    assert scopes.Scope.of(LEEDS_SCOPE).label() == "Leeds"
    assert scope.allows({"location": "Leeds", "team": "Returns"}) and not scope.allows({"location": "Leeds"})
    # A figure about one segment is inside only when it fixes every limited attribute.
    assert scopes.Scope.of(LEEDS_SCOPE).allows_segment({"location": "Leeds"})
    assert not scopes.Scope.of(LEEDS_SCOPE).allows_segment({}) and not scope.allows_segment({"location": "Leeds"})
    assert scopes.check({}, attributes=NAMES) is None
    with pytest.raises(scopes.ScopeError, match=r"unknown attribute 'locaton': .*location, team, touchpoint"):
        scopes.check({"locaton": ["Leeds"]}, attributes=NAMES)
    with pytest.raises(scopes.ScopeError, match=r"condition 1 \('Leeds'\) must look like attribute=value"):
        scopes.parse_pairs(["Leeds"])


def test_results_inside_a_scope_are_counted_from_its_own_answers_and_the_rollup_is_refused(app):
    stored = store_leeds_and_york(app)
    with app.app_context():
        survey = db.session.get(Survey, stored["survey_id"])
        settings = Settings.from_config(app.config)
        october = dict(start=date(2026, 10, 1), end=date(2026, 10, 31))
        today = date(2026, 11, 2)
        everyone = dashboard.build(survey, ResultsFilter(**october), today=today, settings=settings)
        leeds_filter = dashboard.build(survey, ResultsFilter(**october, segment=("location", LEEDS)), today=today,
                                       settings=settings)
        with scopes.applied(scopes.Scope.of(LEEDS_SCOPE)):
            scoped = dashboard.build(survey, ResultsFilter(**october), today=today, settings=settings)
            assert dashboard.segment_choices(survey, settings.segment_names)["location"] == [LEEDS]
            with pytest.raises(scopes.OutsideScope):
                answer_counts(survey.id, ["satisfaction"], days=[(date(2026, 10, 1), date(2026, 11, 1))])
        assert (everyone.responses, scoped.responses) == (BULK[LEEDS] + BULK[YORK], BULK[LEEDS])
        assert scoped.cards == leeds_filter.cards and not scoped.uses_rollups and everyone.uses_rollups
        segments = {row.label for item in scoped.questions for rows in item.segments.values() for row in rows}
        assert YORK not in segments


def test_exports_and_the_jobs_of_a_scoped_person_hold_only_their_scope(app, client):
    stored = store_leeds_and_york(app)
    log_in(client, "analyst-leeds@example.com")
    csv_text = text_of(client.get(f"/manage/surveys/{stored['slug']}/responses.csv"))
    assert MARKER not in csv_text and LEEDS in csv_text
    assert len(csv_text.strip().splitlines()) == 1 + BULK[LEEDS] + 1  # header, bulk, the one with a comment
    answer = post_form(client, f"/manage/surveys/{stored['slug']}/responses.xlsx",
                       page=f"/manage/surveys/{stored['slug']}/responses")
    assert answer.status_code == 303
    with app.app_context():
        assert jobs.run_due() == 1
    workbook = client.get(answer.headers["Location"] + "/result").get_data()
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        text = "".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml"))
    assert "Leeds tea was cold" in text and MARKER not in text
    # The unscoped admin's export holds both; the scoped admin does not see it among the jobs.
    admin = app.test_client()
    log_in(admin, "admin@example.com")
    assert MARKER in text_of(admin.get(f"/manage/surveys/{stored['slug']}/responses.csv"))


def test_alert_and_scorecard_emails_follow_each_recipients_scope(app, smtp):
    stored = store_leeds_and_york(app)
    with app.app_context():
        for user in db.session.scalars(select(User).where(User.email.in_(["admin@example.com",
                                                                          "analyst-leeds@example.com"]))):
            user.notify_alerts = user.notify_scorecard = True
        db.session.commit()
        alerts = list(db.session.scalars(select(Alert).order_by(Alert.id)))
        trends._notify(alerts, {}, now=datetime(2026, 11, 2, 9), settings=Settings.from_config(app.config))
        db.session.commit()
        # Monday 26 October: the scorecard of week 43 (19–25 October) against week 42.
        assert scorecard.send_scorecards(now=datetime(2026, 10, 26, 9)) == 2
        dispatch.run_once(with_jobs=False)
    sent = {(message["To"], message["Subject"].split(":")[0].split(",")[0]): message for message in smtp.messages}
    leeds_alerts = sent[("analyst-leeds@example.com", "Satisfaction")].get_body(("plain",)).get_content()
    everyone_alerts = sent[("admin@example.com", "Satisfaction")].get_body(("plain",)).get_content()
    assert MARKER in everyone_alerts and f"/manage/alerts/{stored['hidden']['alert'][1]}" in everyone_alerts
    assert f"/manage/alerts/{stored['leeds']['alert']}" in leeds_alerts and MARKER not in leeds_alerts
    for hidden in stored["hidden"]["alert"]:
        assert f"/manage/alerts/{hidden}" not in leeds_alerts
    leeds_card = sent[("analyst-leeds@example.com", "Customer scorecard")]
    assert "Leeds only" in leeds_card["Subject"]
    text = leeds_card.get_body(("plain",)).get_content()
    assert "Showing Leeds only" in text and MARKER not in text
    everyone_card = sent[("admin@example.com", "Customer scorecard")].get_body(("plain",)).get_content()
    # Week 43 against week 42: Leeds's 3 answers of week 42 alone; everyone's are York's 7 and 1 besides.
    assert "0 this period and 3 before" in text and "1 this period and 10 before" in everyone_card


def test_an_admin_sets_and_clears_a_scope_on_the_page_and_the_audit_log_records_it(app, client):
    store_leeds_and_york(app)
    with app.app_context():
        person = db.session.scalar(select(User).where(User.email == "agent-leeds@example.com"))
        person_id = person.id
    log_in(client, "admin@example.com")
    page = f"/manage/people/{person_id}/scope"
    html = text_of(client.get(page))
    assert f'value="{YORK}"' in html and f'value="{LEEDS}" checked' in html and "location = Leeds" in html
    refused = post_form(client, page, {"scope-locaton": "Leeds"})
    assert refused.status_code == 422 and "unknown attribute &#39;locaton&#39;" in refused.get_data(as_text=True)
    assert post_form(client, page, {"scope-location": [LEEDS, YORK], "scope-team": "Billing"}).status_code == 303
    with app.app_context():
        assert db.session.get(User, person_id).scope == {"location": [LEEDS, YORK], "team": ["Billing"]}
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.scope_changed")
                                   .order_by(AuditEntry.id.desc())).first()
        assert entry.subject == f"user:{person_id}" and entry.detail["from"] == LEEDS_SCOPE
    assert post_form(client, page, {"action": "clear"}).status_code == 303
    with app.app_context():
        assert db.session.get(User, person_id).scope is None
    scoped = app.test_client()
    log_in(scoped, "analyst-leeds@example.com")
    assert "Showing Leeds only." in text_of(scoped.get("/manage/"))
    assert scoped.get(page).status_code == 403  # a scoped admin could widen their own; only unscoped admins


def test_the_command_line_sets_a_persons_and_a_new_tokens_scope(app, runner):
    store_leeds_and_york(app)
    result = runner.invoke(args=["set-scope", "agent-leeds@example.com", "location=Leeds", "team=Billing"])
    assert result.exit_code == 0 and "now sees location = Leeds; team = Billing" in result.output
    result = runner.invoke(args=["set-scope", "agent-leeds@example.com", "locaton=Leeds"])
    assert result.exit_code == 1 and "unknown attribute 'locaton'" in result.output
    assert "nothing was changed" in result.output
    assert runner.invoke(args=["set-scope", "agent-leeds@example.com", "--clear"]).exit_code == 0
    result = runner.invoke(args=["create-api-token", "leeds-desk", "--role", "agent", "--scope", "location=Leeds"])
    assert result.exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(User.scope).where(User.email == "agent-leeds@example.com")) is None
        from survey.models import ApiToken
        assert db.session.scalar(select(ApiToken.scope).where(ApiToken.name == "leeds-desk")) == LEEDS_SCOPE


def test_a_token_gets_its_scope_on_the_api_tokens_page(ctx, client):
    make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    refused = post_form(client, "/manage/api-tokens/", {"name": "desk", "role": "agent", "scope": "locaton=Leeds"})
    assert refused.status_code == 422 and "unknown attribute &#39;locaton&#39;" in refused.get_data(as_text=True)
    made = post_form(client, "/manage/api-tokens/", {"name": "desk", "role": "agent",
                                                     "scope": "location=Leeds\r\n\r\nteam=Billing\r\n"})
    assert made.status_code == 201 and "location = Leeds; team = Billing" in text_of(made)
    from survey.models import ApiToken
    db.session.expire_all()
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "desk"))
    assert token.scope == {"location": ["Leeds"], "team": ["Billing"]}
    assert db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "api_token.scope_set")) == \
        {"from": None, "to": token.scope}
