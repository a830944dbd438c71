"""The admins' webhook pages: register, see the secret once, ping, rotate, choose the scheme, disable, delete."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import WebhookEndpoint
from tests.factories import make_user
from tests.pages import log_in, post_form, text_of
from tests.survey.webhooks.helpers import (
    assert_signed,
    deliver,
    deliveries,
    old_secret,
)


def test_admins_register_an_endpoint_see_the_secret_once_ping_rotate_disable_and_delete(app, client, receiver):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    index = text_of(client.get("/manage/webhooks/"))
    assert "127.0.0.1" in index and "No endpoints yet." in index and "alert.raised" in index
    assert client.post("/manage/webhooks/", data={"url": receiver.url(), "events": ["case.updated"]}).status_code == 400

    created = post_form(client, "/manage/webhooks/", {"url": receiver.url(), "description": "Help desk",
                                                      "events": ["case.updated", "response.completed"]})
    assert created.status_code == 200
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint))
        endpoint_id, stored_secret = endpoint.id, endpoint.secret
        assert endpoint.events == ["response.completed", "case.updated"] and endpoint.description == "Help desk"
    assert stored_secret.startswith("whsec_") and stored_secret in text_of(created)
    detail_url = f"/manage/webhooks/{endpoint_id}"
    assert stored_secret not in text_of(client.get("/manage/webhooks/"))
    assert stored_secret not in text_of(client.get(detail_url))  # shown once

    assert client.get(f"{detail_url}/ping").status_code == 405  # no state change on GET
    assert post_form(client, f"{detail_url}/ping", page=detail_url).status_code == 302
    with app.app_context():
        assert deliver().delivered == 1
    ping = receiver.requests[-1]
    assert ping.headers["Hearken-Event"] == "ping" and ping.json["data"]["endpoint_id"] == endpoint_id
    assert_signed(ping, stored_secret)
    assert "ping" in text_of(client.get(detail_url)) and "delivered" in text_of(client.get(detail_url))

    rotated = post_form(client, f"{detail_url}/rotate", page=detail_url)
    with app.app_context():
        new_secret = db.session.get(WebhookEndpoint, endpoint_id).secret
    assert new_secret != stored_secret and new_secret in text_of(rotated) and "24 hours" in text_of(rotated)
    post_form(client, f"{detail_url}/ping", page=detail_url)
    with app.app_context():
        deliver()
    assert_signed(receiver.requests[-1], new_secret)
    assert_signed(receiver.requests[-1], stored_secret)  # the old secret signs too while the receiver switches

    saved = post_form(client, detail_url, {"url": receiver.url("/v2"), "description": "", "events": ["alert.raised"]})
    assert saved.status_code == 302
    refused = post_form(client, detail_url, {"url": "http://169.254.169.254/", "events": ["alert.raised"]})
    assert refused.status_code == 422 and "link-local" in text_of(refused)
    assert post_form(client, detail_url, {"url": receiver.url("/v3"), "events": []}).status_code == 422
    post_form(client, f"{detail_url}/disable", page=detail_url)
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        assert (endpoint.url, endpoint.events, endpoint.active) == (receiver.url("/v2"), ["alert.raised"], False)
    assert "Disabled" in text_of(client.get(detail_url))
    post_form(client, f"{detail_url}/enable", page=detail_url)
    assert post_form(client, f"{detail_url}/delete", {"confirm": "yes"}, page=detail_url).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0 and deliveries() == []


def test_admins_choose_the_signature_scheme_and_a_secret_from_before_must_be_rotated_to_switch(app, client, receiver):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    form = client.get("/manage/webhooks/").get_data(as_text=True)
    assert "How deliveries are signed" in form
    assert re.search(r'<input checked id="signature_scheme-0" name="signature_scheme" type="radio" value="standard">',
                     form)
    assert 'value="hearken"' in form and "standardwebhooks" in form
    created = post_form(client, "/manage/webhooks/", {"url": receiver.url(), "events": ["case.updated"],
                                                      "signature_scheme": "hearken"})
    assert created.status_code == 200 and "Hearken-Signature" in text_of(created)
    assert "webhook-signature" not in text_of(created)
    with app.app_context():
        endpoint = db.session.scalar(select(WebhookEndpoint))
        assert endpoint.signature_scheme == "hearken"
        endpoint.secret = old_secret()  # as an endpoint registered before Standard Webhooks has
        db.session.commit()
        detail_url, secret = f"/manage/webhooks/{endpoint.id}", endpoint.secret
    page = text_of(client.get(detail_url))
    assert "signed with Hearken-Signature" in page and "To switch, rotate the secret first." in page

    for scheme in ("standard", "stripe"):
        refused = post_form(client, detail_url, {"url": receiver.url("/v2"), "events": ["case.updated"],
                                                 "signature_scheme": scheme})
        assert refused.status_code == 422
    assert "Not a valid choice" in text_of(refused)
    refused = post_form(client, detail_url, {"url": receiver.url("/v2"), "events": ["case.updated"],
                                             "signature_scheme": "standard"})
    assert "Rotate the secret first (the new one works with both schemes)" in text_of(refused)
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, int(detail_url.rsplit("/", 1)[1]))
        assert (endpoint.signature_scheme, endpoint.url, endpoint.secret) == ("hearken", receiver.url(), secret)

    rotated = text_of(post_form(client, f"{detail_url}/rotate", page=detail_url))
    assert "This secret also works with Standard Webhooks" in rotated
    assert "To switch, rotate the secret first." not in text_of(client.get(detail_url))
    saved = post_form(client, detail_url, {"url": receiver.url(), "events": ["case.updated"],
                                           "signature_scheme": "standard"})
    assert saved.status_code == 302
    assert "signed the Standard Webhooks way" in text_of(client.get(detail_url))
    # A post without the field (an older page) keeps the endpoint's scheme.
    assert post_form(client, detail_url, {"url": receiver.url(), "events": ["case.updated"]}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(WebhookEndpoint.signature_scheme)) == "standard"


def test_a_refused_address_is_a_form_error_that_changes_nothing(app, client):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    response = post_form(client, "/manage/webhooks/", {"url": "http://169.254.169.254/latest", "events": ["ping"]})
    page = text_of(response)
    assert response.status_code == 422 and "not a valid choice" in page
    response = post_form(client, "/manage/webhooks/", {"url": "http://169.254.169.254/latest",
                                                       "events": ["alert.raised"]})
    page = text_of(response)
    assert response.status_code == 422 and "169.254.169.254 is a link-local address" in page
    assert 'value="http://169.254.169.254/latest"' in response.get_data(as_text=True)  # the input is kept
    response = post_form(client, "/manage/webhooks/", {"url": "https://hooks.example.com/x", "events": []})
    assert response.status_code == 422 and "Choose at least one of the events listed." in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 0


def test_the_pages_are_for_admins_only(app, client):
    with app.app_context():
        make_user(email="editor@example.com", role="editor")
    log_in(client, "editor@example.com")
    assert client.get("/manage/webhooks/").status_code == 403
    assert "/manage/webhooks/" not in text_of(client.get("/manage/"))
