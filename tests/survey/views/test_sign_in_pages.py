"""Signing in by the browser: forgotten passwords (no account revealed), reset and invitation links from
real emails, two-factor sign-in, the Account page, and the commands beside create-user."""
from __future__ import annotations

import re
from datetime import UTC, timedelta

import pyotp
from sqlalchemy import func, select

from survey.accounts import people, two_factor
from survey.background import dispatch
from survey.clock import utcnow
from survey.extensions import db
from survey.models import OutboxMessage, PasswordResetRequest, User
from tests.factories import PASSWORD, make_user
from tests.pages import hidden_fields, log_in, post_form, text_of

NEW_PASSWORD = "a brand new password"


def link_in(smtp, path: str) -> str:
    """The link to `path` in the last email the SMTP server received, as a path on this site."""
    body = smtp.messages[-1].get_body(("plain",)).get_content()
    return re.search(rf"https://feedback\.example\.test({path}\S+)", body).group(1)


def forgot(client, email: str, address: str = "198.51.100.7"):
    fields = hidden_fields(client.get("/login/forgot").get_data(as_text=True))
    return client.post("/login/forgot", data={**fields, "email": email}, environ_base={"REMOTE_ADDR": address})


def test_forgot_password_answers_alike_whether_or_not_the_address_has_an_account(ctx, client):
    from sqlalchemy import event

    make_user(email="ann@example.com")
    assert "Forgot your password?" in text_of(client.get("/login"))
    forgot(client, "warm@example.com")  # the first request of a process loads what later ones reuse
    statements: list[list[str]] = []

    def record(_connection, _cursor, statement, *_args):
        statements[-1].append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        answers = []
        for email in ("ann@example.com", "nobody@example.com"):
            statements.append([])
            answers.append(forgot(client, email))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # No difference in time to measure: the same statements run whether or not the address has an account
    # (the account is looked up later, by the dispatcher).
    assert statements[0] == statements[1] and not any("FROM users" in s for s in statements[0])
    assert [(a.status_code, a.location, a.get_data()) for a in answers] == \
        [(303, "/login/forgot?sent=1", answers[0].get_data())] * 2
    assert "If that address has an account here" in text_of(client.get(answers[0].location))
    # The page did the same work for both: one stored request each, no email and no link made yet.
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 3
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# Tests with two browsers use `app`, not `ctx`: an application context kept pushed is shared by every
# request, and with it `g`, where Flask-WTF keeps the CSRF token of the first browser's session.


def test_a_reset_link_from_the_email_sets_a_password_once_and_ends_other_sessions(app, client, smtp):
    with app.app_context():
        make_user(email="ann@example.com")
    elsewhere = app.test_client()
    log_in(elsewhere, "ann@example.com")
    assert forgot(client, "ann@example.com").status_code == 303
    with app.app_context():
        assert dispatch.run_once().sent == 1
    link = link_in(smtp, "/login/reset/")
    assert smtp.messages[-1]["To"] == "ann@example.com"
    page = client.get(link)
    assert page.status_code == 200 and "Choose a new password" in text_of(page)
    mismatch = post_form(client, link, {"password": NEW_PASSWORD, "confirm": "something else"})
    assert mismatch.status_code == 422 and "The two passwords are not the same." in text_of(mismatch)
    done = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/manage/"
    assert client.get("/manage/").status_code == 200  # this browser is signed in
    assert elsewhere.get("/manage/").status_code == 302  # the other session has ended
    assert client.get(link).status_code == 404  # used up
    log_in(app.test_client(), "ann@example.com", NEW_PASSWORD)


def test_forgot_password_is_rate_limited_per_address_and_per_client(ctx, client):
    ctx.config.update(RESET_ADDRESS_RATE_LIMIT="2 per hour", RESET_RATE_LIMIT="4 per hour")
    statuses = [forgot(client, "ann@example.com", address).status_code for address in ("192.0.2.1", "192.0.2.2",
                                                                                        "192.0.2.3")]
    assert statuses == [303, 303, 429]  # the same address from three clients
    statuses = [forgot(client, f"{n}@example.com", "198.51.100.9").status_code for n in range(5)]
    assert statuses == [303, 303, 303, 303, 429]  # many addresses from one client


def test_an_invitation_from_the_people_page_arrives_by_email_and_signs_the_invitee_in(app, client, smtp):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    invited = post_form(client, "/manage/people/", {"email": "zoe@example.com", "role": "analyst"})
    assert invited.status_code == 303
    assert "zoe@example.com" in text_of(client.get("/manage/people/"))
    with app.app_context():
        dispatch.run_once()
    link = link_in(smtp, "/invitation/")
    assert "as analyst" in smtp.messages[-1].get_body(("plain",)).get_content()
    invitee = app.test_client()
    assert "You are invited as analyst" in text_of(invitee.get(link))
    arrived = post_form(invitee, link, {"name": "Zoe Adams", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert arrived.status_code == 302 and invitee.get("/manage/").status_code == 200
    assert invitee.get(link).status_code == 404
    row = text_of(client.get("/manage/people/")).split("zoe@example.com", 1)[1].split("</tr>", 1)[0]
    assert "Zoe Adams" in row and "analyst" in row and "active" in row and "UTC" in row


def test_the_people_page_deactivates_at_once_and_refuses_to_remove_the_last_admin(app, client):
    with app.app_context():
        admin_id = make_user(email="admin@example.com", role="admin").id
        editor_id = make_user(email="ed@example.com", role="editor").id
    other = app.test_client()
    log_in(other, "ed@example.com")
    log_in(client, "admin@example.com")
    page = f"/manage/people/{editor_id}/deactivate"
    assert "logged out everywhere at once" in text_of(client.get(page))
    assert post_form(client, page, {"confirm": "yes"}).status_code == 303
    assert other.get("/manage/").status_code == 302  # sent to the login page
    assert "deactivated" in text_of(client.get(f"/manage/people/{editor_id}"))

    refused = post_form(client, f"/manage/people/{admin_id}/role", {"role": "editor"},
                        page=f"/manage/people/{admin_id}", follow_redirects=True)
    assert "Nothing was changed: you are the last active admin" in text_of(refused)
    with app.app_context():
        assert db.session.get(User, admin_id).role == "admin"


def code_for(secret: str) -> str:
    return pyotp.TOTP(secret).at(utcnow().replace(tzinfo=UTC))


def test_two_factor_sign_in_asks_for_a_code_and_refuses_a_replayed_one(app, client):
    with app.app_context():
        user = make_user(email="ann@example.com")
        secret = two_factor.new_secret()
        long_ago = utcnow() - timedelta(hours=1)  # enrolled then, so the code of now has not been used
        codes = two_factor.enable(user, secret, two_factor.code_at(secret, long_ago), now=long_ago)
    step = post_form(client, "/login", {"email": "ann@example.com", "password": PASSWORD})
    assert step.location == "/login/two-factor" and client.get("/manage/").status_code == 302  # not yet in
    wrong = post_form(client, "/login/two-factor", {"code": "000000"})
    assert wrong.status_code == 422 and "That code is not right" in text_of(wrong)
    code = code_for(secret)
    assert post_form(client, "/login/two-factor", {"code": code}).location == "/manage/"
    assert client.get("/manage/").status_code == 200

    again = app.test_client()  # the same code on another sign-in, within its window
    post_form(again, "/login", {"email": "ann@example.com", "password": PASSWORD})
    assert post_form(again, "/login/two-factor", {"code": code}).status_code == 422
    assert post_form(again, "/login/two-factor", {"code": codes[0]}).location == "/manage/"


def test_admins_required_to_use_two_factor_are_sent_to_set_it_up_first(app, client):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
        make_user(email="ed@example.com", role="editor")
    log_in(client, "admin@example.com")
    post_form(client, "/manage/people/policy", {"require_admin_two_factor": "y"}, page="/manage/people/")
    assert client.get("/manage/").location == "/account/two-factor"
    assert client.get("/account/").location == "/account/two-factor"
    editor = app.test_client()
    log_in(editor, "ed@example.com")
    assert editor.get("/manage/").status_code == 200  # only admins

    started = post_form(client, "/account/two-factor/start", page="/account/two-factor")
    setup = text_of(client.get(started.location))
    assert "<svg" in setup
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', setup).group(1).replace(" ", "")
    done = post_form(client, "/account/two-factor", {"code": code_for(secret)})
    assert done.status_code == 201 and len(re.findall(r"<li><code>[a-z2-7-]{19}</code></li>", text_of(done))) == 10
    assert client.get("/manage/").status_code == 200


def test_the_account_page_changes_the_password_and_ends_other_sessions(app, client):
    with app.app_context():
        make_user(email="ann@example.com", role="agent")
    other = app.test_client()
    log_in(other, "ann@example.com")
    log_in(client, "ann@example.com")
    page = text_of(client.get("/account/"))
    assert "Email me the weekly scorecard" in page and "Email me new alerts" not in page  # agents get no alerts
    wrong = post_form(client, "/account/password", {"current": "nope", "password": NEW_PASSWORD,
                                                    "confirm": NEW_PASSWORD}, page="/account/")
    assert wrong.status_code == 422 and "the current password is not right" in text_of(wrong)
    short = post_form(client, "/account/password", {"current": PASSWORD, "password": "short", "confirm": "short"},
                      page="/account/")
    assert short.status_code == 422 and "at least 10 characters" in text_of(short)
    done = post_form(client, "/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD}, page="/account/")
    assert done.status_code == 303 and client.get("/account/").status_code == 200
    assert other.get("/account/").status_code == 302


def test_invite_user_and_reset_2fa_commands(ctx, runner):
    result = runner.invoke(args=["invite-user", "zoe@example.com", "--role", "editor"])
    assert result.exit_code == 0, result.output
    assert "Invited zoe@example.com as editor" in result.output
    assert re.search(r"https://feedback\.example\.test/invitation/\S{43}", result.output)
    again = runner.invoke(args=["invite-user", "zoe@example.com", "--role", "editor"])
    assert again.exit_code == 1 and "has been invited already" in again.output
    assert runner.invoke(args=["invite-user", "not-an-address", "--role", "editor"]).exit_code == 1
    bad_role = runner.invoke(args=["invite-user", "bo@example.com", "--role", "owner"])
    assert bad_role.exit_code == 2 and "'owner' is not one of" in bad_role.output
    assert "no account with the email 'x@example.com'" in runner.invoke(args=["reset-2fa", "x@example.com"]).output
    user = make_user(email="ann@example.com")
    assert "does not use two-factor" in runner.invoke(args=["reset-2fa", "ann@example.com"]).output
    secret = two_factor.new_secret()
    two_factor.enable(user, secret, two_factor.code_at(secret, utcnow()), now=utcnow())
    result = runner.invoke(args=["reset-2fa", "ANN@example.com"])
    assert result.exit_code == 0 and "is off for ann@example.com" in result.output
    db.session.expire_all()
    assert not db.session.get(User, user.id).two_factor
    assert people.find_person("zoe@example.com").status == "invited"
