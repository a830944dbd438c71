"""Who may do what: every route × method × role, against one table.

The table is the specification. A route added without an entry fails `test_every_route_has_an_entry`, so
nobody can add a page and forget to decide who may use it. For each entry, every role below the minimum
is refused (anonymous: sent to the login page, or 401 for the API; logged in: 403) and every role at or
above it gets past the guard (anything but 401, 403 or the login redirect — a 404 for an id that does not
exist is a pass, because the guard ran first). CSRF is switched off here only because it would refuse
every POST before the guard runs; tests/security/test_sessions.py and the hostile-input sweep in
tests/security/ keep it on and prove it.
"""
from __future__ import annotations

import pytest

from survey.extensions import db
from survey.models import ROLES
from tests.conftest import build_app, empty_tables
from tests.factories import make_survey, make_user
from tests.pages import log_in

ANYONE = "anonymous"
LEVELS = (ANYONE, *ROLES)  # anonymous < agent < analyst < editor < admin

# (endpoint, method) → the least privileged role that may use it.
PERMISSIONS = {
    # Public pages and token links: the token or nothing is the credential.
    ("public.home", "GET"): ANYONE,
    ("public.changes", "GET"): ANYONE,
    ("public.changes_feed", "GET"): ANYONE,
    ("public.complain", "GET"): ANYONE,
    ("public.complain", "POST"): ANYONE,
    ("public.complaint_received", "GET"): ANYONE,
    ("respond.public_survey", "GET"): ANYONE,
    ("respond.public_survey", "POST"): ANYONE,
    ("respond.public_thanks", "GET"): ANYONE,
    ("respond.personal_survey", "GET"): ANYONE,
    ("respond.personal_survey", "POST"): ANYONE,
    ("respond.personal_thanks", "GET"): ANYONE,
    ("outreach.unsubscribe", "GET"): ANYONE,
    ("outreach.unsubscribe", "POST"): ANYONE,
    ("static", "GET"): ANYONE,
    ("auth.login_page", "GET"): ANYONE,
    ("auth.login_page", "POST"): ANYONE,
    ("auth.logout", "POST"): ANYONE,
    # The API authenticates with bearer tokens, never with the session.
    # (Which token role each operation needs is declared with the operation and checked by
    # tests/survey/test_api.py::test_each_token_role_gets_exactly_what_its_operation_declares.)
    ("api.post_event", "POST"): "api",
    ("api.list_surveys", "GET"): "api",
    ("api.read_survey", "GET"): "api",
    ("api.create_survey", "POST"): "api",
    ("api.publish_version", "POST"): "api",
    ("api.publish_survey", "POST"): "api",
    ("api.close_survey", "POST"): "api",
    ("api.survey_results", "GET"): "api",
    ("api.list_responses", "GET"): "api",
    ("api.read_response", "GET"): "api",
    ("api.import_responses", "POST"): "api",
    ("api.upsert_contacts", "POST"): "api",
    ("api.list_contacts", "GET"): "api",
    ("api.read_contact", "GET"): "api",
    ("api.erase_contact", "DELETE"): "api",
    ("api.list_alerts", "GET"): "api",
    ("api.read_alert", "GET"): "api",
    ("api.list_cases", "GET"): "api",
    ("api.read_case", "GET"): "api",
    ("api.list_changes", "GET"): "api",
    ("api.read_change", "GET"): "api",
    ("api.openapi_description", "GET"): ANYONE,
    # Every member of staff.
    ("auth.scorecard_subscription", "POST"): "agent",
    ("manage.index", "GET"): "agent",
    ("manage.edit_survey", "GET"): "agent",
    ("manage.export_definition", "GET"): "agent",
    ("manage.preview", "GET"): "agent",
    ("manage.preview", "POST"): "editor",
    ("manage.edit_question", "GET"): "agent",
    ("manage.import_definition", "GET"): "agent",
    ("manage.new_survey", "GET"): "agent",
    ("cases.index", "GET"): "agent",
    ("cases.case_detail", "GET"): "agent",
    ("cases.assign", "POST"): "agent",
    ("cases.add_note", "POST"): "agent",
    ("cases.change_status", "POST"): "agent",
    ("cases.open_case", "POST"): "agent",
    ("contacts.index", "GET"): "agent",
    ("contacts.profile", "GET"): "agent",
    ("contacts.import_contacts", "GET"): "agent",
    ("changelog.index", "GET"): "agent",
    ("changelog.edit", "GET"): "agent",
    ("changelog.new", "GET"): "agent",
    ("sending.outbox", "GET"): "agent",
    ("sending.sending", "GET"): "agent",
    ("sending.email_preview", "GET"): "agent",
    ("sending.email_preview_html", "GET"): "agent",
    # Results are for analysts and above.
    ("results.survey_results", "GET"): "analyst",
    ("responses.survey_responses", "GET"): "analyst",
    ("responses.response_detail", "GET"): "analyst",
    ("responses.add_tag", "POST"): "analyst",
    ("responses.remove_tag", "POST"): "analyst",
    ("exports.responses_csv", "GET"): "analyst",
    ("exports.responses_xlsx", "GET"): "analyst",
    ("exports.results_file", "GET"): "analyst",
    ("alerts.inbox", "GET"): "analyst",
    ("alerts.alert_detail", "GET"): "analyst",
    ("alerts.change_alert", "POST"): "analyst",
    ("alerts.link_case", "POST"): "analyst",
    ("alerts.subscription", "POST"): "analyst",
    ("alerts.survey_trends", "GET"): "analyst",
    # Changing surveys, contacts, sending and the public changes page is for editors.
    ("manage.new_survey", "POST"): "editor",
    ("manage.import_definition", "POST"): "editor",
    ("manage.save_details", "POST"): "editor",
    ("manage.add_question_view", "POST"): "editor",
    ("manage.edit_question", "POST"): "editor",
    ("manage.move_question_view", "POST"): "editor",
    ("manage.delete_question", "POST"): "editor",
    ("manage.change_status_view", "POST"): "editor",
    ("manage.duplicate", "POST"): "editor",
    ("contacts.import_contacts", "POST"): "editor",
    ("imports.import_responses", "GET"): "editor",
    ("imports.import_responses", "POST"): "editor",
    ("contacts.erase", "POST"): "editor",
    ("sending.sending", "POST"): "editor",
    ("changelog.new", "POST"): "editor",
    ("changelog.edit", "POST"): "editor",
    ("changelog.change_state", "POST"): "editor",
    ("changelog.impact_numbers", "POST"): "editor",
    ("changelog.links", "POST"): "editor",
    ("changelog.add_quote", "POST"): "editor",
    ("changelog.remove_quote", "POST"): "editor",
    # API tokens let other systems in: admins create and revoke them.
    ("tokens.index", "GET"): "admin",
    ("tokens.create", "POST"): "admin",
    ("tokens.revoke", "POST"): "admin",
    # Webhooks send customer data to other systems: admins decide where it goes.
    ("webhooks.index", "GET"): "admin",
    ("webhooks.index", "POST"): "admin",
    ("webhooks.endpoint_detail", "GET"): "admin",
    ("webhooks.endpoint_detail", "POST"): "admin",
    ("webhooks.ping", "POST"): "admin",
    ("webhooks.rotate", "POST"): "admin",
    ("webhooks.set_active", "POST"): "admin",
    ("webhooks.delete", "POST"): "admin",
    ("webhooks.redeliver", "POST"): "admin",
}

SAMPLE_VALUES = {"slug": "support-csat", "key": "satisfaction", "token": "t" * 43, "filename": "css/hearken.css"}


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_for_rule(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if name in SAMPLE_VALUES:
            values[name] = SAMPLE_VALUES[name]
        elif type(converter).__name__ == "AnyConverter":
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = 987654  # an id that does not exist: allowed roles get 404 after the guard
    return rule.build(values, append_unknown=False)[1]


@pytest.fixture
def open_app(migrated, instance_path):
    app = build_app(migrated, instance_path, WTF_CSRF_ENABLED=False)
    with app.app_context():
        make_survey()
        for role in ROLES:
            make_user(email=f"{role}@example.com", role=role)
    yield app
    with app.app_context():
        empty_tables()
        db.engine.dispose()


def test_every_route_has_an_entry(app):
    found = {(rule.endpoint, method) for rule, method in routes(app)}
    assert sorted(found - PERMISSIONS.keys()) == [], "add these routes to PERMISSIONS"
    assert sorted(PERMISSIONS.keys() - found) == [], "these entries name routes that no longer exist"


def refused(response, level: str) -> bool:
    if response.status_code in (401, 403):
        return True
    return level == ANYONE and response.status_code == 302 and "/login" in response.headers.get("Location", "")


@pytest.mark.parametrize("level", LEVELS)
def test_each_role_gets_exactly_what_the_table_says(open_app, level):
    client = open_app.test_client()
    if level != ANYONE:
        log_in(client, f"{level}@example.com")
    wrong = []
    for rule, method in sorted(routes(open_app), key=lambda pair: (pair[0].rule, pair[1])):
        needed = PERMISSIONS[(rule.endpoint, method)]
        if rule.endpoint == "auth.logout":
            continue  # logging out is allowed to everyone and would end this client's session
        response = client.open(url_for_rule(rule), method=method, data={})
        if needed == "api":
            expected_refusal = True  # no bearer token was sent, whoever is logged in
        else:
            expected_refusal = LEVELS.index(level) < LEVELS.index(needed)
        if refused(response, level) != expected_refusal:
            wrong.append(f"{method} {rule.rule} as {level}: {response.status_code}, expected "
                         f"{'refusal' if expected_refusal else 'access'} (needs {needed})")
    assert wrong == []
