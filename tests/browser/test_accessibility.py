"""axe-core in Chromium on every page a customer sees: 0 serious or critical violations.

axe-core comes with the axe-playwright-python package (its axe.min.js, from PyPI with the test extras), so
nothing is downloaded at test time. The pages: the survey form empty, with errors and after thanks; the
personal link, fresh and with a one-click rating pre-selected; /complain empty and with errors; /changes
with entries; the unsubscribe page.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from survey import changes
from tests.factories import NOW, logic_definition, make_invitation, make_survey
from tests.security.conftest import record_figures

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def audit(axe, page) -> list[dict]:
    results = axe.run(page, options={"resultTypes": ["violations"], "runOnly": {
        "type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})
    return results.response["violations"]


def respondent_pages(page, base: str, token: str):
    """(name, action) for each page state; each action leaves the page in that state."""
    def goto(path):
        return lambda: page.goto(base + path)

    def submit_empty(path):
        def act():
            page.goto(base + path)
            page.click("#submission-button")
            page.wait_for_selector("#error-summary")
        return act

    def complain_with_errors():
        page.goto(base + "/complain")
        page.fill("input[name=email]", "not an address")
        page.click("button[type=submit]")
        page.wait_for_load_state()

    def thanks():
        page.goto(base + "/s/support-csat")
        page.check("#q-satisfaction-5")
        page.click("#submission-button")
        page.wait_for_url("**/thanks?receipt=*")

    def sections_with_errors():
        page.goto(base + "/s/support-logic")
        page.click("#next-button")
        page.wait_for_selector("#error-summary")

    def second_section():
        page.goto(base + "/s/support-logic")
        page.check("#q-satisfaction-1")
        page.click("#next-button")
        page.wait_for_selector("text=Page 2 of 3")

    def question_hidden_in_place():
        second_section()
        page.check("#q-channel-2")  # Email: "What was it about?" is for those who phoned
        page.wait_for_selector("#question-topics", state="hidden")

    return [
        ("survey with sections, first page", goto("/s/support-logic")),
        ("survey with sections, errors on a page", sections_with_errors),
        ("survey with sections, second page with piped text", second_section),
        ("survey with logic, a question hidden in place", question_hidden_in_place),
        ("survey form, empty", goto("/s/support-csat")),
        ("survey form, with errors", submit_empty("/s/support-csat")),
        ("survey thank-you page", thanks),
        ("personal link", goto(f"/r/{token}")),
        ("personal link, one-click rating pre-selected", goto(f"/r/{token}?rating=4")),
        ("personal link, with errors", submit_empty(f"/r/{token}")),
        ("complaint form", goto("/complain")),
        ("complaint form, with errors", complain_with_errors),
        ("what we changed (/changes)", goto("/changes")),
        ("not found page", goto("/s/no-such-survey")),
    ]


def test_respondent_pages_have_no_serious_or_critical_violations(app, live_server, page, axe):
    with app.app_context():
        survey = make_survey()
        token = make_invitation(survey).token
        make_survey(definition=logic_definition())
        for number, (title, category) in enumerate([("Shorter queues", "Stores"), ("Clearer bills", "Billing")]):
            entry = changes.save_change(None, changes.ChangeInput(
                title=title, you_said="The queue was long",
                we_did="We opened a **second** desk.\n\n- mornings\n- weekends",
                category=category, status="done", changed_on=date(2026, 10, 1 + number)), actor_id=None, now=NOW)
            changes.publish(entry, now=NOW)
    by_impact: Counter[str] = Counter()
    blocking, figures = [], {}
    for name, act in respondent_pages(page, live_server, token):
        act()
        violations = audit(axe, page)
        figures[name] = dict(Counter(v["impact"] for v in violations))
        for violation in violations:
            by_impact[violation["impact"]] += 1
            if violation["impact"] in BLOCKING:
                targets = [node["target"] for node in violation["nodes"]][:3]
                blocking.append(f"{name}: {violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    record_figures("accessibility", {"axe_version": axe_version(page), "pages": figures,
                                     "violations_by_impact": dict(by_impact)})
    assert blocking == []


def axe_version(page) -> str:
    return page.evaluate("window.axe ? axe.version : ''")


def test_branded_pages_and_the_branding_page_have_no_serious_or_critical_violations(app, live_server, page, axe):
    """The organisation's colour and logo on the customer pages (header, buttons, links, the footer with the
    privacy notice and, on a personal link, why it came), and the admins' branding page, fresh and refused."""
    import io

    from PIL import Image

    from survey import brand
    from tests.browser.conftest import log_in
    from tests.factories import make_user

    logo = io.BytesIO()
    Image.new("RGB", (240, 80), (20, 90, 50)).save(logo, format="PNG")
    app.config["PRIVACY_URL"] = "https://example.com/privacy"
    with app.app_context():
        survey = make_survey()
        token = make_invitation(survey).token
        make_user(email="admin@example.com", role="admin")
        brand.save("#767676", logo.getvalue(), remove_logo=False, actor_id=None, now=NOW)

    def refused_colour():
        page.goto(live_server + "/manage/branding/")
        page.fill("#accent_colour", "#777777")
        page.click("main button[type=submit]")
        page.wait_for_selector("#accent_colour-error")

    blocking = []
    states = [(name, act) for name, act in respondent_pages(page, live_server, token)
              if name in ("survey form, empty", "personal link", "complaint form", "what we changed (/changes)")]
    for name, act in [*states, ("branding page", lambda: (log_in(page, live_server),
                                                          page.goto(live_server + "/manage/branding/"))),
                      ("branding page, colour refused", refused_colour)]:
        act()
        assert "/brand/accent/767676.css" in page.content(), name
        for violation in audit(axe, page):
            if violation["impact"] in BLOCKING:
                targets = [node["target"] for node in violation["nodes"]][:3]
                blocking.append(f"{name}: {violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    assert blocking == []


def test_authoring_and_sending_pages_have_no_serious_or_critical_violations(app, live_server, page, axe, tmp_path):
    """The manager's guarded steps: the send form with its audience and email preview, a refused segment,
    the editor of a survey with sections (a new section refused, a section's page, Split into pages), a
    confirmation page, each kind of survey preview, and a draft's address refused at its field. Screenshots
    of each at a phone's and a desktop's width go to the test's temporary folder."""
    from survey.extensions import db
    from survey.models import Contact
    from tests.browser.conftest import log_in
    from tests.factories import make_user

    with app.app_context():
        make_survey()
        make_survey(slug="draft-one", status="draft")
        make_survey(definition=logic_definition())
        make_user(email="admin@example.com", role="admin")
        for email, name, location in (("ann@example.com", "Ann", "Leeds"), ("bob@example.com", "", "York")):
            db.session.add(Contact(email=email, name=name, attributes={"location": location}, created_at=NOW))
        db.session.commit()
    log_in(page, live_server)
    base = f"{live_server}/manage/surveys"

    def send_step(segment: str):
        def act():
            page.goto(f"{base}/support-csat/sending")
            page.fill("#segment", segment)
            page.fill("#email_subject", "{contact.name|Hello}, two minutes?")
            page.fill("#email_sender_name", "Ann at Acme")
            page.click("button[value=preview]")
            page.wait_for_load_state()
        return act

    def address_refused():
        page.goto(f"{base}/draft-one")
        page.fill("#slug", "Not Valid")
        page.click("#address ~ form button[type=submit]")
        page.wait_for_load_state()

    def section_refused():
        page.goto(f"{base}/support-logic")
        page.select_option("#section-first", "topics")
        page.fill("#section-title", "Topics")
        page.select_option("#section-show_subject", "answers.comment")
        page.fill("#section-show_value", "x")
        page.click("#add-section ~ form button[type=submit]")
        page.wait_for_selector(".error-summary")

    states = [
        ("send form", lambda: page.goto(f"{base}/support-csat/sending")),
        ("editor, survey with sections", lambda: page.goto(f"{base}/support-logic")),
        ("editor, new section refused", section_refused),
        ("section editor", lambda: page.goto(f"{base}/support-logic/sections/problems")),
        ("editor, split into pages offered", lambda: page.goto(f"{base}/draft-one")),
        ("send form, audience and email shown", send_step("location=Leeds")),
        ("send form, unknown attribute refused", send_step("locaton=Leeds")),
        ("confirmation page (close a survey)", lambda: page.goto(f"{base}/support-csat/close")),
        ("preview, public link", lambda: page.goto(f"{base}/support-csat/preview?as=public")),
        ("preview, personal link", lambda: page.goto(f"{base}/support-csat/preview?as=personal")),
        ("preview, one-click rating", lambda: page.goto(f"{base}/support-csat/preview?as=rating&rating=4")),
        ("draft's address refused", address_refused),
    ]
    blocking = []
    for name, act in states:
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            act()
            page.screenshot(path=str(tmp_path / f"{name.replace(' ', '_').replace(',', '')}-{width}.png"),
                            full_page=True)
        for violation in audit(axe, page):
            if violation["impact"] in BLOCKING:
                targets = [node["target"] for node in violation["nodes"]][:3]
                blocking.append(f"{name}: {violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    print(f"screenshots in {tmp_path}")
    assert blocking == []


def test_new_question_types_have_no_serious_or_critical_violations(app, live_server, page, axe, tmp_path):
    """Issue 23's types (matrix, Other, number, date, ranking, the CES preset) on the survey form empty and
    with errors, at a desktop's width and a phone's, and on the results page."""
    from tests.factories import make_user
    from tests.survey.types_definition import types_definition

    definition = types_definition()
    definition["questions"][1]["required"] = True  # so the matrix shows its error too
    definition["questions"].append({"key": "effort", "type": "rating", "text": "Easy?", "preset": "ces",
                                    "scale": ["Strongly disagree", "Disagree", "Somewhat disagree",
                                              "Neither agree nor disagree", "Somewhat agree", "Agree",
                                              "Strongly agree"]})
    with app.app_context():
        survey = make_survey(definition=definition)
        make_user(role="admin", email="types-admin@example.com")
        from datetime import datetime

        from survey.responding.submission import Consents, Respondent, submit_response
        submit_response(survey.current_version, Respondent(key="r", source="public"), {
            "overall": 3, "service.wait": 2, "channel": "Other", "channel.other": "By pigeon", "spend": 12.5,
            "visit": "2026-03-31", "priorities": ["Speed", "Care", "Price"], "effort": 6}, Consents(),
            submission_key="k" * 20, now=datetime(2026, 10, 1, 9))

    def with_errors():
        page.goto(f"{live_server}/s/types")
        page.fill("#q-spend", "lots")
        page.select_option("#q-priorities-1", "2")
        page.click("#submission-button")
        page.wait_for_selector("#error-summary")

    def results():
        from tests.browser.conftest import log_in
        log_in(page, live_server, "types-admin@example.com")
        page.goto(f"{live_server}/manage/surveys/types/results")

    states = [("new types, empty", lambda: page.goto(f"{live_server}/s/types")),
              ("new types, with errors", with_errors),
              ("new types, on a phone", lambda: (page.set_viewport_size({"width": 375, "height": 667}),
                                                 page.goto(f"{live_server}/s/types"))),
              ("new types, editor", lambda: (page.set_viewport_size({"width": 1280, "height": 800}), results(),
                                             page.goto(f"{live_server}/manage/surveys/types"))),
              ("new types, results page", lambda: page.goto(f"{live_server}/manage/surveys/types/results"))]
    blocking = []
    for name, act in states:
        act()
        page.screenshot(path=str(tmp_path / f"{name.replace(' ', '-').replace(',', '')}.png"), full_page=True)
        for violation in audit(axe, page):
            if violation["impact"] in BLOCKING:
                targets = [node["target"] for node in violation["nodes"]][:3]
                blocking.append(f"{name}: {violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    assert blocking == []


def test_team_pages_and_the_case_list_have_no_serious_or_critical_violations(app, live_server, page, axe):
    """The teams page (with a team, codes and the add form), a team with a channel, a team refused, and the
    case list filtered by team with its compliance and recurring root causes."""
    from survey.clock import utcnow
    from survey.followups import teams
    from survey.webhooks import chat
    from tests.browser.conftest import log_in
    from tests.factories import make_user

    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
        leeds = teams.save_team(None, teams.TeamInput(name="Leeds", rule_attribute="location", rule_values="Leeds"),
                                now=utcnow())
        chat.add_channel(leeds.id, "slack", "http://127.0.0.1:9/hook", ("overdue",), now=utcnow())
        teams.add_root_cause("LATE", "Delivery late")
        team_id = leeds.id

    def refused_team():
        page.goto(live_server + "/manage/teams/")
        page.fill("#name", "York")
        page.fill("#timezone", "Nowhere/At-all")
        page.click("main form.narrow >> nth=1 >> button[type=submit]")
        page.wait_for_selector(".error-summary")

    log_in(page, live_server)
    blocking = []
    cases = f"{live_server}/manage/cases/?team={team_id}&status=all"
    for name, act in [("teams page", lambda: page.goto(live_server + "/manage/teams/")),
                      ("one team with a channel", lambda: page.goto(f"{live_server}/manage/teams/{team_id}")),
                      ("teams page, team refused", refused_team),
                      ("case list by team", lambda: page.goto(cases))]:
        act()
        for violation in audit(axe, page):
            if violation["impact"] in BLOCKING:
                targets = [node["target"] for node in violation["nodes"]][:3]
                blocking.append(f"{name}: {violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    assert blocking == []
