"""Logging out ends the session on the server: a copy of the old cookie, replayed, is refused."""
from __future__ import annotations

from tests.factories import make_user
from tests.pages import csrf_token, log_in


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_cookie_replayed_after_logout_is_refused(app):
    with app.app_context():
        make_user()
    client = app.test_client()
    log_in(client, "manager@example.com")
    stolen = session_cookie(client)
    assert client.get("/manage/").status_code == 200

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/manage/")})
    assert response.status_code == 302

    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    replayed = attacker.get("/manage/")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]
    assert attacker.get("/manage/contacts/").status_code == 302


def test_logging_out_ends_every_session_of_that_person(app):
    with app.app_context():
        make_user()
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, "manager@example.com")
    log_in(phone, "manager@example.com")
    laptop.post("/logout", data={"csrf_token": csrf_token(laptop, "/manage/")})
    assert phone.get("/manage/").status_code == 302
    log_in(phone, "manager@example.com")  # and logging in again works
    assert phone.get("/manage/").status_code == 200


def test_logout_needs_a_post_with_the_form_token(app):
    """A link or another site's form cannot log anyone out (nor, by the same check, change anything)."""
    with app.app_context():
        make_user()
    client = app.test_client()
    log_in(client, "manager@example.com")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={}).status_code == 400  # no CSRF token: the form-expired page
    assert client.get("/manage/").status_code == 200


def test_a_forged_or_altered_cookie_is_refused(app):
    with app.app_context():
        make_user()
    client = app.test_client()
    log_in(client, "manager@example.com")
    value = session_cookie(client)
    forged = app.test_client()
    forged.set_cookie("session", value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert forged.get("/manage/").status_code == 302
