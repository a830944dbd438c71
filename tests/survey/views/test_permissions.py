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

import re
from html import unescape
from urllib.parse import urlsplit

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
    ("brand.logo", "GET"): ANYONE,
    ("brand.accent", "GET"): ANYONE,
    ("auth.login_page", "GET"): ANYONE,
    ("auth.login_page", "POST"): ANYONE,
    ("auth.logout", "POST"): ANYONE,
    ("auth.sso_start", "POST"): ANYONE,
    ("auth.sso_callback", "GET"): ANYONE,
    # The API authenticates with bearer tokens, never with the session.
    # (Which token role each operation needs is declared with the operation and checked by
    # tests/survey/views/test_api.py::test_each_token_role_gets_exactly_what_its_operation_declares.)
    ("api.post_event", "POST"): "api",
    ("api.create_campaign", "POST"): "api",
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
    ("api.read_job", "GET"): "api",
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
    ("manage.surveys.index", "GET"): "agent",
    ("manage.surveys.edit_survey", "GET"): "agent",
    ("manage.surveys.export_definition", "GET"): "agent",
    ("manage.surveys.export_translations", "GET"): "agent",
    ("manage.surveys.survey_languages", "GET"): "agent",
    ("manage.surveys.survey_languages", "POST"): "editor",
    ("manage.surveys.preview", "GET"): "agent",
    # The preview's POST checks answers and stores nothing.
    ("manage.surveys.preview", "POST"): "agent",
    ("manage.cases.index", "GET"): "agent",
    ("manage.cases.case_detail", "GET"): "agent",
    ("manage.cases.assign", "POST"): "agent",
    ("manage.cases.add_note", "POST"): "agent",
    ("manage.cases.change_status", "POST"): "agent",
    ("manage.cases.open_case", "POST"): "agent",
    ("manage.teams.index", "GET"): "agent",
    ("manage.teams.index", "POST"): "admin",
    ("manage.teams.team_detail", "GET"): "agent",
    ("manage.teams.team_detail", "POST"): "admin",
    ("manage.teams.move", "POST"): "admin",
    ("manage.teams.delete", "POST"): "admin",
    ("manage.teams.add_root_cause", "POST"): "admin",
    ("manage.teams.set_root_cause_active", "POST"): "admin",
    ("manage.teams.add_channel", "POST"): "admin",
    ("manage.teams.delete_channel", "POST"): "admin",
    ("manage.teams.test_channel", "POST"): "admin",
    ("manage.contacts.index", "GET"): "agent",
    ("manage.contacts.profile", "GET"): "agent",
    ("manage.changelog.index", "GET"): "agent",
    ("manage.changelog.edit", "GET"): "agent",
    ("manage.changelog.new", "GET"): "agent",
    ("manage.sending.outbox", "GET"): "agent",
    ("manage.sending.sending", "GET"): "agent",
    ("manage.sending.email_preview", "GET"): "agent",
    ("manage.sending.email_preview_html", "GET"): "agent",
    # Results are for analysts and above.
    ("manage.results.survey_results", "GET"): "analyst",
    ("manage.results.survey_drivers", "GET"): "analyst",
    ("manage.responses.survey_responses", "GET"): "analyst",
    ("manage.responses.response_detail", "GET"): "analyst",
    ("manage.responses.add_tag", "POST"): "analyst",
    ("manage.responses.remove_tag", "POST"): "analyst",
    ("manage.exports.responses_csv", "GET"): "analyst",
    ("manage.exports.responses_xlsx", "POST"): "analyst",
    ("manage.exports.results_file", "GET"): "analyst",
    ("manage.alerts.inbox", "GET"): "analyst",
    ("manage.alerts.alert_detail", "GET"): "analyst",
    ("manage.alerts.change_alert", "POST"): "analyst",
    ("manage.alerts.link_case", "POST"): "analyst",
    ("manage.alerts.subscription", "POST"): "analyst",
    ("manage.alerts.survey_trends", "GET"): "analyst",
    # Changing surveys, contacts, sending and the public changes page is for editors.
    ("manage.surveys.new_survey", "POST"): "editor",
    ("manage.surveys.import_definition", "POST"): "editor",
    ("manage.surveys.save_details", "POST"): "editor",
    ("manage.surveys.change_address", "POST"): "editor",
    ("manage.surveys.add_question_view", "POST"): "editor",
    ("manage.surveys.add_ces_question_view", "POST"): "editor",
    ("manage.surveys.edit_question", "POST"): "editor",
    ("manage.surveys.move_question_view", "POST"): "editor",
    ("manage.surveys.delete_question", "POST"): "editor",
    ("manage.surveys.split_into_pages", "POST"): "editor",
    ("manage.surveys.add_section_view", "POST"): "editor",
    ("manage.surveys.edit_section", "POST"): "editor",
    ("manage.surveys.delete_section", "POST"): "editor",
    ("manage.surveys.change_status_view", "POST"): "editor",
    # Pages that exist to be posted (forms, confirmations): only those who may post them see them.
    ("manage.surveys.new_survey", "GET"): "editor",
    ("manage.surveys.import_definition", "GET"): "editor",
    ("manage.surveys.edit_question", "GET"): "editor",
    ("manage.contacts.import_contacts", "GET"): "editor",
    ("manage.surveys.delete_question", "GET"): "editor",
    ("manage.surveys.edit_section", "GET"): "editor",
    ("manage.surveys.delete_section", "GET"): "editor",
    ("manage.surveys.change_status_view", "GET"): "editor",
    ("manage.changelog.change_state", "GET"): "editor",
    ("manage.webhooks.delete", "GET"): "admin",
    ("manage.surveys.duplicate", "POST"): "editor",
    ("manage.contacts.import_contacts", "POST"): "editor",
    ("manage.imports.import_responses", "GET"): "editor",
    ("manage.imports.import_responses", "POST"): "editor",
    ("manage.jobs.index", "GET"): "analyst",
    ("manage.jobs.job_page", "GET"): "analyst",
    ("manage.jobs.job_progress", "GET"): "analyst",
    ("manage.jobs.job_result", "GET"): "analyst",
    ("manage.contacts.erase", "POST"): "editor",
    ("manage.sending.sending", "POST"): "editor",
    ("manage.changelog.new", "POST"): "editor",
    ("manage.changelog.edit", "POST"): "editor",
    ("manage.changelog.change_state", "POST"): "editor",
    ("manage.changelog.impact_numbers", "POST"): "editor",
    ("manage.changelog.links", "POST"): "editor",
    ("manage.changelog.add_quote", "POST"): "editor",
    ("manage.changelog.remove_quote", "POST"): "editor",
    # API tokens let other systems in: admins create and revoke them.
    ("manage.tokens.index", "GET"): "admin",
    ("manage.tokens.create", "POST"): "admin",
    ("manage.tokens.revoke", "POST"): "admin",
    # Webhooks send customer data to other systems: admins decide where it goes.
    ("manage.webhooks.index", "GET"): "admin",
    ("manage.webhooks.index", "POST"): "admin",
    ("manage.webhooks.endpoint_detail", "GET"): "admin",
    ("manage.webhooks.endpoint_detail", "POST"): "admin",
    ("manage.webhooks.ping", "POST"): "admin",
    ("manage.webhooks.rotate", "POST"): "admin",
    ("manage.webhooks.set_active", "POST"): "admin",
    ("manage.webhooks.delete", "POST"): "admin",
    ("manage.webhooks.redeliver", "POST"): "admin",
    ("manage.branding.index", "GET"): "admin",
    ("manage.branding.save", "POST"): "admin",
    ("manage.branding.email_preview_html", "GET"): "admin",
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
        # An API route refuses whoever is logged in: no bearer token was sent.
        expected_refusal = needed == "api" or LEVELS.index(level) < LEVELS.index(needed)
        if refused(response, level) != expected_refusal:
            wrong.append(f"{method} {rule.rule} as {level}: {response.status_code}, expected "
                         f"{'refusal' if expected_refusal else 'access'} (needs {needed})")
    assert wrong == []


def test_one_guard_serves_every_manager_page(app):
    """The manager sections declare their roles; only the `manage` blueprint holds a guard (before, nine
    sections each carried a copy and the navigation repeated the rules)."""
    manager = {name for name in app.blueprints if name.startswith("manage")}
    assert len(manager) > 10
    guarded = {name for name, functions in app.before_request_funcs.items() if name in manager and functions}
    assert guarded == {"manage"}
    assert {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules() if rule.rule.startswith("/manage")} \
        == {"manage"}


@pytest.mark.parametrize("level", ROLES)
def test_the_navigation_offers_exactly_the_pages_the_guard_opens(open_app, level):
    """Each role sees a link for every listed page it may open (for New survey and Import: may post), and
    none it may not, by the same table as the guard."""
    client = open_app.test_client()
    log_in(client, f"{level}@example.com")
    nav = client.get("/manage/").get_data(as_text=True).split('<nav aria-label="Manager">', 1)[1].split("</nav>")[0]
    with open_app.test_request_context():
        from flask import url_for

        for endpoint, method in (("manage.surveys.index", "GET"), ("manage.surveys.new_survey", "POST"),
                                 ("manage.cases.index", "GET"), ("manage.alerts.inbox", "GET"),
                                 ("manage.webhooks.index", "GET"), ("manage.tokens.index", "GET")):
            allowed = LEVELS.index(level) >= LEVELS.index(PERMISSIONS[(endpoint, method)])
            assert (f'href="{url_for(endpoint)}"' in nav) is allowed, (endpoint, level)


FORM = re.compile(r"<form\b([^>]*)>", re.IGNORECASE)


def posted_forms(html: str, page: str) -> list[str]:
    """The paths the page's POST forms send to (a form without an action posts to the page itself)."""
    found = []
    for attributes in FORM.findall(html):
        if not re.search(r'method\s*=\s*"post"', attributes, re.IGNORECASE):
            continue
        action = re.search(r'action\s*=\s*"([^"]*)"', attributes)
        found.append(unescape(action.group(1)) if action and action.group(1) else page)
    return [urlsplit(path).path for path in found]


@pytest.mark.parametrize("level", ROLES)
def test_every_form_a_role_is_offered_is_one_it_may_submit(app, level):
    """Agents and analysts are not shown buttons or forms that would answer 403: on every manager page with
    data behind it (those of tests/security/stored.py and the form pages), each POST form's target is one
    this table lets the role post to."""
    from tests.security.stored import pages, store_everywhere

    stored = store_everywhere(app)
    _, manager = pages(stored)
    manager += ["/manage/surveys/new", "/manage/surveys/import", "/manage/contacts/import", "/manage/changes/new",
                f"/manage/surveys/{stored['slug']}/responses/import", "/manage/alerts/", "/manage/cases/?status=open"]
    if level != "admin":  # store_everywhere made the admin
        with app.app_context():
            make_user(email=f"{level}@example.com", role=level)
    client = app.test_client()
    log_in(client, f"{level}@example.com")
    adapter = app.url_map.bind("localhost")
    wrong = []
    for url in manager:
        response = client.get(url)
        if response.status_code != 200:
            continue  # a page this role may not open offers nothing
        for target in posted_forms(response.get_data(as_text=True), urlsplit(url).path):
            endpoint = adapter.match(target, method="POST")[0]
            needed = PERMISSIONS[(endpoint, "POST")]
            if LEVELS.index(level) < LEVELS.index(needed):
                wrong.append(f"{url} offers {level} a form posting to {target} ({endpoint} needs {needed})")
    assert not wrong, "\n".join(sorted(set(wrong)))
