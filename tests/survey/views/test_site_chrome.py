"""What every page shares: the favicon, the brand in the header leading home, and error pages that offer
a way onward instead of a dead end."""
from __future__ import annotations

import re

from survey.authoring.editing import change_status, find_survey
from survey.clock import utcnow
from tests.factories import make_survey, make_user
from tests.pages import log_in


def links(html: str) -> set[str]:
    return set(re.findall(r'<a [^>]*href="([^"]+)"', html))


def test_every_page_links_the_favicon_and_the_brand_leads_home(client, app):
    with app.app_context():
        make_survey()
        make_user()
    pages = ["/", "/login", "/complain", "/changes", "/s/support-csat", "/nowhere"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html, path
        assert '<a class="brand" href="/">' in html, path
    log_in(client, "manager@example.com")
    assert '<a class="brand" href="/">' in client.get("/manage/").get_data(as_text=True)
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data


def test_not_found_and_closed_pages_offer_a_way_onward(client, app):
    with app.app_context():
        make_survey()
    for path in ["/nowhere", "/s/nope", "/r/" + "x" * 43]:
        missing = client.get(path)
        assert missing.status_code == 404
        assert {"/", "/changes"} <= links(missing.get_data(as_text=True)), path
    with app.app_context():
        change_status(find_survey("support-csat"), "close", now=utcnow())
    closed = client.get("/s/support-csat")
    assert closed.status_code == 410
    html = closed.get_data(as_text=True)
    assert {"/", "/changes"} <= links(html)
    assert html.index('href="/changes"') < html.index('href="/"', html.index("<main")), "the changes page first"
