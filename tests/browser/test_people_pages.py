"""The people page and two-factor enrolment on a phone: nothing wider than the screen, a QR code the camera
can read (drawn, not a broken image), and enrolment through the browser ending with the recovery codes."""
from __future__ import annotations

import re

from survey.accounts import people, two_factor
from survey.clock import utcnow
from tests.browser.conftest import log_in
from tests.factories import make_user


def test_people_and_two_factor_enrolment_fit_a_phone(app, live_server, page):
    with app.app_context():
        admin = make_user(email="admin@example.com", role="admin")
        people.invite("zoe.with.a.long.address@example.com", "analyst", actor=admin, now=utcnow())
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server)
    page.goto(f"{live_server}/manage/people/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.is_visible("text=invited")

    page.goto(f"{live_server}/account/")
    page.click("text=Set up two-factor authentication")
    box = page.locator(".qr svg").bounding_box()
    assert box is not None and 150 <= box["width"] <= 375 and box["width"] == box["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    secret = re.sub(r"\s", "", page.inner_text("code.secret"))
    page.fill("input[name=code]", two_factor.code_at(secret, utcnow()))
    page.click("text=Turn on")
    assert page.locator(".recovery-codes li").count() == 10
