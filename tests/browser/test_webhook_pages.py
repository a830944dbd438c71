"""The webhook pages in Chromium, at a phone's width and a desktop's: the endpoint form with its
signature-scheme choice (its hint, and its error) fits, and axe-core finds nothing serious."""
from __future__ import annotations

import secrets

import pytest

from survey import webhooks
from survey.clock import utcnow
from survey.extensions import db
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import BLOCKING, audit, axe  # noqa: F401 — axe is a fixture
from tests.factories import make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [375, 1280])
def test_the_endpoint_form_and_its_scheme_choice_fit_and_pass_axe(app, live_server, browser, axe, width, tmp_path):  # noqa: F811
    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
        endpoint = webhooks.create_endpoint(
            webhooks.EndpointInput("https://127.0.0.1:9/hooks", "Old CRM", ("case.updated",), "hearken"),
            allowed_hosts="127.0.0.1", actor_id=None, now=utcnow())
        endpoint.secret = "whsec_" + secrets.token_urlsafe(32)  # registered before Standard Webhooks
        db.session.commit()
        detail = f"/manage/webhooks/{endpoint.id}"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server)
        page.goto(f"{live_server}/manage/webhooks/")
        assert page.is_checked("input[name=signature_scheme][value=standard]")
        states = {"index": None, "detail": None, "refused": None}
        for name in states:
            if name == "detail":
                page.goto(f"{live_server}{detail}")
                assert page.is_checked("input[name=signature_scheme][value=hearken]")
            elif name == "refused":
                page.check("input[name=signature_scheme][value=standard]")
                page.click("form.narrow button[type=submit]")
                assert "Rotate the secret first" in page.inner_text("#signature_scheme")
            page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            states[name] = [v["id"] for v in audit(axe, page) if v["impact"] in BLOCKING]
        assert states == {"index": [], "detail": [], "refused": []}
    finally:
        context.close()
