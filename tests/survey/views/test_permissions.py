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
    # Signing in: the second factor's page (it answers 400 without a pending sign-in), forgotten passwords,
    # and the one-time links of resets and invitations (the link is the credential).
    ("auth.two_factor_login", "GET"): ANYONE,
    ("auth.two_factor_login", "POST"): ANYONE,
    ("auth.forgot_password", "GET"): ANYONE,
    ("auth.forgot_password", "POST"): ANYONE,
    ("auth.reset_password", "GET"): ANYONE,
    ("auth.reset_password", "POST"): ANYONE,
    ("auth.accept_invitation", "GET"): ANYONE,
    ("auth.accept_invitation", "POST"): ANYONE,
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
    ("api.survey_drivers", "GET"): "api",
    ("api.survey_themes", "GET"): "api",
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
    # Each person's own account: password, two-factor authentication, emails.
    ("account.index", "GET"): "agent",
    ("account.password", "POST"): "agent",
    ("account.start_two_factor", "POST"): "agent",
    ("account.two_factor_setup", "GET"): "agent",
    ("account.two_factor_setup", "POST"): "agent",
    ("account.disable_two_factor", "POST"): "agent",
    ("account.new_recovery_codes", "POST"): "agent",
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
    # Who is in a team changes more often than its standard: editors may change it too.
    ("manage.team_members.add_member", "POST"): "editor",
    ("manage.team_members.remove_member", "POST"): "editor",
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
    # Themes are tagging at scale: analysis work, like tags on one response.
    ("manage.themes.survey_themes", "GET"): "analyst",
    ("manage.themes.propose", "POST"): "analyst",
    ("manage.themes.accept", "POST"): "analyst",
    ("manage.themes.edit", "POST"): "analyst",
    ("manage.themes.merge", "POST"): "analyst",
    ("manage.themes.reject", "POST"): "analyst",
    ("manage.exports.responses_csv", "GET"): "analyst",
    ("manage.exports.responses_xlsx", "POST"): "analyst",
    ("manage.exports.results_file", "GET"): "analyst",
    ("manage.alerts.inbox", "GET"): "analyst",
    ("manage.alerts.alert_detail", "GET"): "analyst",
    ("manage.alerts.alert_evidence", "GET"): "analyst",
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
    # People: invitations, roles, deactivation, two-factor resets, the sign-in policy.
    ("manage.people.index", "GET"): "admin",
    ("manage.people.invite", "POST"): "admin",
    ("manage.people.policy", "POST"): "admin",
    ("manage.people.person", "GET"): "admin",
    ("manage.people.change_role", "POST"): "admin",
    ("manage.people.deactivate", "GET"): "admin",
    ("manage.people.deactivate", "POST"): "admin",
    ("manage.people.reactivate", "POST"): "admin",
    ("manage.people.resend", "POST"): "admin",
    ("manage.people.revoke", "POST"): "admin",
    ("manage.people.reset_two_factor", "POST"): "admin",
    ("manage.branding.index", "GET"): "admin",
    ("manage.branding.save", "POST"): "admin",
    ("manage.branding.email_preview_html", "GET"): "admin",
    # The organisation's Slack and Microsoft Teams channels, and the audit log (it names every user).
    ("manage.notifications.index", "GET"): "admin",
    ("manage.notifications.add_channel", "POST"): "admin",
    ("manage.audit.index", "GET"): "admin",
    ("manage.audit.export_csv", "GET"): "admin",
    # People administration: a person's data scope.
    ("manage.user_scope", "GET"): "admin",
    ("manage.user_scope", "POST"): "admin",
}

# Route × role × scope: what a person with a data scope may use (their role permitting), by manager section:
# "all", "read" (GET and HEAD) or nothing (not listed: organisation-wide pages — changes, sending and the
# outbox, imports, webhooks, API tokens, branding, people). Everything they may open shows only what their
# scope allows (test_a_scoped_person_sees_only_their_scope).
SCOPED_SECTIONS = {"results": "all", "responses": "all", "exports": "all", "alerts": "all", "cases": "all",
                   "contacts": "all", "jobs": "all", "surveys": "read", "teams": "read", "team_members": "read"}
# Exceptions by route: True allowed, False refused.
SCOPED_ROUTES = {
    ("auth.scorecard_subscription", "POST"): True,  # one's own email setting (the scorecard follows the scope)
    ("manage.contacts.import_contacts", "GET"): False,  # would write contacts outside the scope
    ("manage.contacts.import_contacts", "POST"): False,
    ("manage.surveys.preview", "POST"): True,  # checks answers, stores nothing
    # Pages that exist to be posted, in sections a scoped person may only read.
    ("manage.surveys.new_survey", "GET"): False,
    ("manage.surveys.import_definition", "GET"): False,
    ("manage.surveys.edit_question", "GET"): False,
    ("manage.surveys.delete_question", "GET"): False,
    ("manage.surveys.edit_section", "GET"): False,
    ("manage.surveys.delete_section", "GET"): False,
    ("manage.surveys.change_status_view", "GET"): False,
}
# The API operations a token with a data scope may call: reads every query of which the scope filters.
SCOPED_OPERATIONS = {"api.list_surveys", "api.read_survey", "api.survey_results", "api.survey_drivers",
                     "api.list_responses",
                     "api.read_response", "api.read_job", "api.list_contacts", "api.read_contact",
                     "api.erase_contact", "api.list_alerts", "api.read_alert", "api.list_cases", "api.read_case"}


def scoped_may(endpoint: str, method: str) -> bool:
    """Whether a person (or token) with a data scope may use the route, by the tables above."""
    if endpoint.startswith("api."):
        return endpoint in SCOPED_OPERATIONS
    if endpoint.startswith("account."):
        return True  # one's own account (password, second factor, email settings) has no customers' data
    if (endpoint, method) in SCOPED_ROUTES:
        return SCOPED_ROUTES[(endpoint, method)]
    parts = endpoint.split(".")
    access = SCOPED_SECTIONS.get(parts[1]) if len(parts) == 3 else None
    return access == "all" or (access == "read" and method == "GET")

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
    assert sorted(SCOPED_ROUTES.keys() - found) == [], "these scope exceptions name routes that no longer exist"
    assert sorted(SCOPED_OPERATIONS - {endpoint for endpoint, _method in found}) == []


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
                                 ("manage.webhooks.index", "GET"), ("manage.tokens.index", "GET"),
                                 ("manage.people.index", "GET")):
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
                f"/manage/surveys/{stored['slug']}/responses/import", "/manage/alerts/", "/manage/cases/?status=open",
                "/account/"]
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


# --- route × role × scope -------------------------------------------------------------------------------------

ID_NAMES = {"response_id": "response", "case_id": "case", "contact_id": "contact", "alert_id": "alert"}


def url_with(rule, slug: str, ids: dict[str, int]) -> tuple[str, bool]:
    """The rule's address with the records of `ids` (one side's response, case, contact, alert); and whether
    it names one of them."""
    values, names_one = {}, False
    for name, converter in rule._converters.items():
        if name in ID_NAMES:
            values[name], names_one = ids[ID_NAMES[name]], True
        elif name == "slug":
            values[name] = slug
        elif name in SAMPLE_VALUES:
            values[name] = SAMPLE_VALUES[name]
        elif type(converter).__name__ == "AnyConverter":
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = 987654
    return rule.build(values, append_unknown=False)[1], names_one


def shows_outside(text: str, stored: dict) -> list[str]:
    """What of York (or of everyone) a page or answer shows: the marker, or a link to a hidden record."""
    from tests.scoped import MARKER

    found = [MARKER] if MARKER.lower() in text.lower() else []
    for kind, paths in (("response", ('/manage/responses/{}"', '/api/v1/responses/{}"')),
                        ("case", ('/manage/cases/{}"', '/api/v1/cases/{}"')),
                        ("contact", ('/manage/contacts/{}"', '/api/v1/contacts/{}"'))):
        found += [path.format(stored["york"][kind]) for path in paths if path.format(stored["york"][kind]) in text]
    found += [f"alert {number}" for number in stored["hidden"]["alert"]
              if f'/alerts/{number}"' in text or f'"id": {number},' in text or f'"id":{number},' in text]
    found += [f"case {number}" for number in stored["hidden"]["case"] if f'/cases/{number}"' in text]
    return found


@pytest.fixture
def leeds_and_york(migrated, instance_path):
    """An app without CSRF (as open_app) holding tests/scoped.py's data: (app, what was stored)."""
    from tests.scoped import store_leeds_and_york

    app = build_app(migrated, instance_path, WTF_CSRF_ENABLED=False)
    yield app, store_leeds_and_york(app)
    with app.app_context():
        empty_tables()
        db.engine.dispose()


def test_a_scoped_person_gets_exactly_what_the_table_says_and_sees_only_their_scope(leeds_and_york):
    """Every manager route as a Leeds-scoped person of each role, on data of Leeds and York: the role's refusals
    (403 as before), the scope's (403: organisation-wide pages), York's records unreachable (404 with their
    ids, for reading and for changing), and every page opened with Leeds's records free of anything of York's
    (its marker, links to its responses, cases, contacts and alerts, or to the alerts on everyone)."""
    app, stored = leeds_and_york
    wrong = []
    everything = sorted(routes(app), key=lambda pair: (pair[0].rule, pair[1]))
    for role in ROLES:
        client = app.test_client()
        log_in(client, f"{role}-leeds@example.com")
        for rule, method in everything:
            needed = PERMISSIONS[(rule.endpoint, method)]
            if needed in (ANYONE, "api") or rule.endpoint == "auth.logout":
                continue  # customers' pages know no scope; the API is walked with a token below
            url, names_one = url_with(rule, stored["slug"], stored["york"])
            response = client.open(url, method=method, data={})
            response.get_data()  # a streamed export runs to its end in this request's context
            response.close()
            where = f"{method} {url} as a Leeds {role}"
            if LEVELS.index(role) < LEVELS.index(needed) or not scoped_may(rule.endpoint, method):
                if response.status_code != 403:
                    wrong.append(f"{where}: {response.status_code}, expected 403")
            elif names_one and response.status_code != 404:
                wrong.append(f"{where} (York's): {response.status_code}, expected 404")
            elif response.status_code >= 500:
                wrong.append(f"{where}: {response.status_code}")
            if role != "admin" or method != "GET" or not scoped_may(rule.endpoint, method):
                continue
            url, _ = url_with(rule, stored["slug"], stored["leeds"])
            for address in (url, f"{url}?from=2026-01-01&to=2026-12-31&show=all&status=all"):
                response = client.get(address)
                text = response.get_data(as_text=True)
                response.close()
                if response.status_code >= 500 or (found := shows_outside(text, stored)):
                    wrong.append(f"GET {address} as a Leeds admin {response.status_code}, shows {found or text[-300:]}")
    assert wrong == [], f"{len(wrong)} wrong:\n" + "\n".join(wrong)


def test_a_scoped_token_gets_exactly_what_the_table_says_and_reads_only_its_scope(leeds_and_york):
    """Every API operation with a Leeds-scoped admin token: operations that reach beyond a scope refused (403),
    York's records unreachable (404), and every answer read with Leeds's records free of York's."""
    from survey.accounts import api_tokens, scopes
    from tests.factories import NOW
    from tests.scoped import BULK, LEEDS, LEEDS_SCOPE

    app, stored = leeds_and_york
    with app.app_context():
        _token, secret = api_tokens.create_token("leeds-bi", "admin", now=NOW, scope=scopes.Scope.of(LEEDS_SCOPE))
    client, wrong = app.test_client(), []
    headers = {"Authorization": f"Bearer {secret}"}
    for rule, method in sorted(routes(app), key=lambda pair: (pair[0].rule, pair[1])):
        if PERMISSIONS[(rule.endpoint, method)] != "api":
            continue
        url, names_one = url_with(rule, stored["slug"], stored["york"])
        status = client.open(url, method=method, headers=headers, json={}).status_code
        expected = 403 if not scoped_may(rule.endpoint, method) else 404 if names_one else None
        if (expected and status != expected) or status >= 500:
            wrong.append(f"{method} {url}: {status}, expected {expected or 'no error'}")
        if method == "GET" and scoped_may(rule.endpoint, method):
            url, _ = url_with(rule, stored["slug"], stored["leeds"])
            for address in (url, f"{url}?from=2026-01-01&to=2026-12-31"):
                answer = client.get(address, headers=headers)
                if answer.status_code >= 500 or (found := shows_outside(answer.get_data(as_text=True), stored)):
                    wrong.append(f"GET {address}: {answer.status_code}, shows {found or answer.get_data()[-300:]}")
    results = client.get(f"/api/v1/surveys/{stored['slug']}/results?from=2026-10-01&to=2026-10-31",
                         headers=headers).get_json()
    assert results["responses"] == BULK[LEEDS]  # October's: Leeds's alone (York's 8 would make 11)
    assert wrong == [], f"{len(wrong)} wrong:\n" + "\n".join(wrong)
