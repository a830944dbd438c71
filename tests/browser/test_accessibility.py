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
from tests.factories import NOW, make_invitation, make_survey
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

    return [
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
