"""People, for admins: invitations (one-time, expiring links), roles, deactivation and the last admin."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from survey.accounts import api_tokens, people, sso
from survey.accounts.one_time import LinkGone
from survey.accounts.users import AccountError, check_password, load_session_user
from survey.extensions import db
from survey.models import AccountToken, AuditEntry, OutboxMessage, User, UserStatus
from tests.factories import NOW, PASSWORD, make_user

NEW_PASSWORD = "a brand new password"


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_an_invitation_is_emailed_and_its_link_works_once(ctx):
    admin = make_user(email="admin@example.com", role="admin")
    user, link = people.invite(" Zoe@Example.com ", "analyst", actor=admin, now=NOW)
    assert (user.email, user.role, user.status, user.password_hash) == ("zoe@example.com", "analyst", "invited", "")
    assert link.startswith("https://feedback.example.test/invitation/")
    email = db.session.scalar(select(OutboxMessage))
    assert email.recipient == "zoe@example.com" and link in email.text_body and "7 days" in email.text_body
    stored = db.session.scalar(select(AccountToken))
    assert token_of(link) not in stored.token_hash  # only its hash is kept
    assert check_password("zoe@example.com", "") is None

    with pytest.raises(AccountError, match="at least 10 characters"):
        people.accept_invitation(token_of(link), name="Zoe", password="short", now=NOW)
    arrived = people.accept_invitation(token_of(link), name=" Zoe Adams ", password=NEW_PASSWORD, now=NOW)
    assert (arrived.status, arrived.name, arrived.last_login_at) == ("active", "Zoe Adams", NOW)
    assert check_password("zoe@example.com", NEW_PASSWORD) is arrived
    with pytest.raises(LinkGone):
        people.accept_invitation(token_of(link), name="Eve", password="another password!", now=NOW)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.subject == f"user:{arrived.id}")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["user.invited", "invitation.accepted", "user.signed_in"]  # the admin's own "created" aside
    for entry in db.session.scalars(select(AuditEntry)):  # no password and no link in the log
        assert NEW_PASSWORD not in str(entry.detail) and token_of(link) not in str(entry.detail)


def test_an_invitation_expires_after_the_configured_days(ctx):
    ctx.config["INVITATION_DAYS"] = 2
    _user, link = people.invite("zoe@example.com", "agent", actor=None, now=NOW)
    assert people.invited_account(token_of(link), now=NOW + timedelta(days=2, seconds=-1)) is not None
    with pytest.raises(LinkGone):
        people.accept_invitation(token_of(link), name="Zoe", password=NEW_PASSWORD, now=NOW + timedelta(days=2))


def test_resending_makes_a_new_link_and_the_old_one_stops(ctx):
    user, first = people.invite("zoe@example.com", "agent", actor=None, now=NOW)
    second = people.resend_invitation(user, actor=None, now=NOW + timedelta(hours=1))
    assert first != second
    assert people.invited_account(token_of(first), now=NOW) is None
    assert people.invited_account(token_of(second), now=NOW) == user
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 2


def test_revoking_an_invitation_deletes_the_account_and_frees_the_address(ctx):
    user, link = people.invite("zoe@example.com", "agent", actor=None, now=NOW)
    people.revoke_invitation(user, actor=None, now=NOW)
    assert db.session.scalar(select(User)) is None and people.invited_account(token_of(link), now=NOW) is None
    people.invite("zoe@example.com", "agent", actor=None, now=NOW)  # can be invited again
    with pytest.raises(AccountError, match="has been invited already"):
        people.invite("zoe@example.com", "agent", actor=None, now=NOW)
    make_user(email="ann@example.com")
    with pytest.raises(AccountError, match="already has an account"):
        people.invite("ann@example.com", "agent", actor=None, now=NOW)
    with pytest.raises(AccountError, match="role must be one of"):
        people.invite("bo@example.com", "owner", actor=None, now=NOW)


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(ctx):
    admin = make_user(email="admin@example.com", role="admin")
    with pytest.raises(AccountError, match="you are the last active admin"):
        people.change_role(admin, "editor", actor=admin, now=NOW)
    with pytest.raises(AccountError, match="you are the last active admin"):
        people.deactivate(admin, actor=admin, now=NOW)
    assert (admin.role, admin.status) == ("admin", "active")
    other = make_user(email="other@example.com", role="editor")
    people.change_role(other, "admin", actor=admin, now=NOW)
    people.change_role(admin, "editor", actor=admin, now=NOW)  # someone else is an admin now
    assert admin.role == "editor"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.role_changed")).all()[-1]
    assert (entry.actor, entry.subject, entry.detail) == (f"user:{admin.id}", f"user:{admin.id}",
                                                          {"before": "admin", "after": "editor"})


def test_deactivating_ends_sessions_and_stops_api_tokens_at_once(ctx):
    admin = make_user(email="admin@example.com", role="admin")
    leaver = make_user(email="leaver@example.com", role="admin")
    session_id = leaver.get_id()
    _token, theirs = api_tokens.create_token("theirs", "agent", now=NOW, created_by=leaver)
    _token, nobodys = api_tokens.create_token("cli", "agent", now=NOW)  # no creator: keeps working
    assert load_session_user(session_id) == leaver and api_tokens.token_for_request(f"Bearer {theirs}")

    people.deactivate(leaver, actor=admin, now=NOW)
    assert load_session_user(session_id) is None
    assert api_tokens.token_for_request(f"Bearer {theirs}") is None
    assert api_tokens.token_for_request(f"Bearer {nobodys}") is not None
    assert check_password("leaver@example.com", PASSWORD) is None
    with pytest.raises(AccountError, match="not an active account"):
        people.deactivate(leaver, actor=admin, now=NOW)

    people.reactivate(leaver, actor=admin, now=NOW)
    assert leaver.status == UserStatus.ACTIVE and load_session_user(session_id) is None  # still logged out
    assert api_tokens.token_for_request(f"Bearer {theirs}") is not None
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.subject == f"user:{leaver.id}",
                                                                 AuditEntry.action != "user.created")).all()
    assert actions == ["user.deactivated", "user.reactivated"]


def test_single_sign_on_refuses_a_deactivated_account_and_activates_an_invited_one(ctx):
    settings = sso.Settings(issuer="https://id.example.test", client_id="hearken", client_secret="s",
                            provider_name="Example ID", scopes="openid", role_claim="groups", role_map={},
                            default_role="agent")
    invited, link = people.invite("zoe@example.com", "agent", actor=None, now=NOW)
    claims = {"sub": "z1", "email": "zoe@example.com", "email_verified": True}
    assert sso.sign_in(claims, settings, now=NOW) == invited and invited.status == "active"
    assert people.invited_account(token_of(link), now=NOW) is None  # the link stopped working
    people.deactivate(make_user(email="leaver@example.com"), actor=None, now=NOW)
    with pytest.raises(sso.SignInRefused, match="deactivated"):
        sso.sign_in({"sub": "l1", "email": "leaver@example.com", "email_verified": True}, settings, now=NOW)
