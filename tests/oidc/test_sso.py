"""Single sign-on end to end against a real OpenID Provider on loopback (tests/oidc/provider.mjs): discovery,
the authorisation code flow with PKCE through the provider's own login and consent pages, the ID token's
signature, audience and nonce checked; and every forged or replayed answer refused with no session."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditEntry, User
from tests.factories import PASSWORD, make_user
from tests.oidc.conftest import configure, through_provider
from tests.pages import csrf_token, post_form, text_of


def start(client) -> str:
    """Press "Sign in with Test IdP" on the login page; the provider's authorisation URL."""
    response = client.post("/login/sso", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302, text_of(response)
    return response.headers["Location"]


def sign_in(client, login: str):
    """The whole round trip; Hearken's answer to the callback."""
    return client.get(through_provider(start(client), login))


def signed_in(client) -> bool:
    return client.get("/manage/").status_code == 200


def users(app) -> list[User]:
    with app.app_context():
        found = list(db.session.scalars(select(User).order_by(User.id)))
        db.session.expunge_all()
        return found


@pytest.fixture
def sso_app(app, provider):
    configure(app, provider)
    return app


def test_the_authorisation_request_carries_pkce_state_and_nonce(sso_app, client, provider):
    url = start(client)
    assert url.startswith(f"{provider.issuer}/auth?")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["nonce"][0] and query["state"][0] and query["client_id"] == ["hearken"]
    assert query["redirect_uri"] == ["https://feedback.example.test/login/sso/callback"]


def test_first_sign_in_creates_the_account_with_the_mapped_role(sso_app, client, provider):
    response = sign_in(client, "alice")
    assert response.status_code == 302 and response.headers["Location"] == "/manage/"
    assert signed_in(client)
    [alice] = users(sso_app)
    # Two groups match: the most privileged role wins.
    assert (alice.email, alice.name, alice.role) == ("alice@example.com", "Alice Admin", "admin")
    assert (alice.oidc_issuer, alice.oidc_subject, alice.password_hash) == (provider.issuer, "alice", "")
    with sso_app.app_context():
        entry = db.session.scalar(select(AuditEntry))
        assert (entry.action, entry.actor_id, entry.detail["method"], entry.detail["account"]) == (
            "user.signed_in", alice.id, "oidc", "created")


def test_later_sign_ins_match_the_subject_and_take_the_role_from_the_provider(sso_app, client, app):
    sign_in(client, "bob")
    [bob] = users(app)
    with app.app_context():  # someone raised Bob's role and changed his address in Hearken
        db.session.get(User, bob.id).role = "admin"
        db.session.get(User, bob.id).email = "robert@example.com"
        db.session.commit()
    other = app.test_client()
    assert sign_in(other, "bob").status_code == 302
    [again] = users(app)
    assert (again.id, again.role, again.email) == (bob.id, "analyst", "robert@example.com")


def test_the_first_sign_in_links_an_account_with_the_same_verified_email(sso_app, client, app):
    with app.app_context():
        make_user(email="manager@example.com", role="editor")
    assert sign_in(client, "erin").status_code == 302 and signed_in(client)
    [manager] = users(app)
    assert (manager.email, manager.oidc_subject, manager.role) == ("manager@example.com", "erin", "analyst")
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "user.signed_in"))["account"] \
            == "linked"


def test_an_unverified_email_never_links_an_account(sso_app, client, app):
    with app.app_context():
        make_user(email="manager@example.com", role="editor")
    response = sign_in(client, "mallory")
    assert response.status_code == 403
    assert "does not say the address is verified" in text_of(response)
    assert not signed_in(client)
    [manager] = users(app)
    assert (manager.oidc_subject, manager.role) == (None, "editor")


def test_a_person_without_a_mapped_role_is_refused_and_nothing_is_created(sso_app, client, app):
    response = sign_in(client, "carol")
    assert response.status_code == 403
    assert "has no role in Hearken" in text_of(response)
    assert not signed_in(client) and users(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_the_default_role_admits_a_person_without_a_mapped_group(sso_app, client, app):
    app.config["OIDC_DEFAULT_ROLE"] = "agent"
    assert sign_in(client, "carol").status_code == 302
    assert [user.role for user in users(app)] == ["agent"]


@pytest.mark.parametrize(("tamper", "message"), [
    ("other-key", "was not signed by its key"),
    ("other-audience", "was issued for another application (its audience is not Hearken's client id)"),
    ("no-nonce", "did not carry the nonce of this sign-in"),
    ("other-issuer", "came from another issuer than the one configured"),
    ("expired", "had expired"),
])
def test_a_forged_id_token_is_refused(app, client, providers, tamper, message):
    configure(app, providers(tamper))
    response = sign_in(client, "alice")
    assert response.status_code == 403
    assert message in text_of(response)
    assert not signed_in(client) and users(app) == []


def test_cancelling_at_the_provider_signs_nobody_in(sso_app, client, app):
    response = client.get(through_provider(start(client), "alice", cancel=True))
    assert response.status_code == 403 and "The sign-in was cancelled at Test IdP" in text_of(response)
    assert not signed_in(client) and users(app) == []


def test_a_person_who_lost_every_mapped_group_is_refused_and_keeps_the_old_role(sso_app, client, app):
    sign_in(client, "bob")
    app.config["OIDC_ROLE_MAP"] = "hearken-admins=admin"  # as if Bob had left cx-analysts
    other = app.test_client()
    response = sign_in(other, "bob")
    assert response.status_code == 403 and "has no role in Hearken" in text_of(response)
    assert not signed_in(other) and [user.role for user in users(app)] == ["analyst"]


def test_a_replayed_callback_is_refused(sso_app, client, app):
    callback = through_provider(start(client), "alice")
    assert client.get(callback).status_code == 302
    again = client.get(callback)  # the same browser: its state was used up
    assert again.status_code == 403 and "already used" in text_of(again)
    elsewhere = app.test_client()  # another browser, which never started this sign-in
    response = elsewhere.get(callback)
    assert response.status_code == 403 and "not started in this browser" in text_of(response)
    assert not signed_in(elsewhere)


def test_only_the_latest_sign_in_of_a_browser_stays_pending(sso_app, client):
    first = start(client)
    for _ in range(30):  # an impatient person: the session cookie must not grow with every press
        latest = start(client)
    with client.session_transaction() as session:
        assert len([key for key in session if key.startswith("_state_provider_")]) == 1
    response = client.get(through_provider(first, "bob"))
    assert response.status_code == 403 and "start again" in text_of(response)
    assert client.get(through_provider(latest, "bob")).status_code == 302 and signed_in(client)


def test_a_callback_with_another_state_is_refused(sso_app, client, app):
    callback = through_provider(start(client), "alice")
    path, _, query = callback.partition("?")
    parameters = parse_qs(query)
    parameters["state"] = ["forged-state"]
    response = client.get(path, query_string={key: values[0] for key, values in parameters.items()})
    assert response.status_code == 403 and "start again" in text_of(response)
    assert not signed_in(client) and users(app) == []


def test_a_wrong_code_verifier_is_refused_by_the_provider(sso_app, client, app):
    callback = through_provider(start(client), "alice")
    with client.session_transaction() as session:  # as if an attacker's code met this browser's verifier
        [key] = [key for key in session if key.startswith("_state_provider_")]
        state = session[key]
        state["data"]["code_verifier"] = "x" * 48
        session[key] = state
    response = client.get(callback)
    assert response.status_code == 403 and "PKCE check failed" in text_of(response)
    assert not signed_in(client) and users(app) == []


def test_the_login_page_offers_the_provider_beside_passwords(sso_app, client, app):
    page = text_of(client.get("/login"))
    assert "Sign in with Test IdP" in page and 'name="password"' in page
    app.config["OIDC_ISSUER"] = None
    assert "Sign in with" not in text_of(client.get("/login"))


def test_with_password_login_off_only_single_sign_on_remains(sso_app, client, app):
    with app.app_context():
        make_user(email="manager@example.com", role="editor")
    app.config["PASSWORD_LOGIN"] = False
    page = client.get("/login")
    assert page.status_code == 200 and 'name="password"' not in text_of(page)
    assert "Sign in with Test IdP" in text_of(page)
    refused = post_form(client, "/login", {"email": "manager@example.com", "password": PASSWORD})
    assert refused.status_code == 403 and "Password login is turned off" in text_of(refused)
    assert not signed_in(client)
    assert sign_in(client, "bob").status_code == 302 and signed_in(client)


def test_logging_out_ends_the_hearken_session(sso_app, client):
    sign_in(client, "bob")
    assert signed_in(client)
    post_form(client, "/logout", page="/manage/")
    assert not signed_in(client)


def test_an_account_made_by_sign_on_has_no_password(sso_app, client, app):
    sign_in(client, "bob")
    other = app.test_client()
    response = post_form(other, "/login", {"email": "bob@example.com", "password": ""})
    assert response.status_code == 422 and not signed_in(other)


def test_without_a_provider_the_sign_on_pages_do_not_exist(client):
    assert client.post("/login/sso", data={"csrf_token": csrf_token(client)}).status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404
    assert "Sign in with" not in text_of(client.get("/login"))
