"""Forgotten and changed passwords: the request the page stores, what the dispatcher sends for it, and the
single-use, expiring link."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.accounts import passwords, people
from survey.accounts.one_time import LinkGone
from survey.accounts.users import AccountError, change_password, check_password, load_session_user
from survey.extensions import db
from survey.models import AuditEntry, OutboxMessage, PasswordResetRequest, User
from tests.factories import NOW, PASSWORD, make_user

NEW_PASSWORD = "a brand new password"


def reset_link() -> str:
    body = db.session.scalars(select(OutboxMessage.text_body).order_by(OutboxMessage.id.desc())).first()
    return re.search(r"https://\S+/login/reset/(\S+)", body).group(1)


def test_a_request_is_stored_alike_for_any_address_and_the_dispatcher_sends_what_fits(ctx):
    make_user(email="ann@example.com")
    sso_only = User(email="sso@example.com", role="agent", password_hash="", created_at=NOW)
    db.session.add(sso_only)
    db.session.commit()
    people.deactivate(make_user(email="gone@example.com"), actor=None, now=NOW)
    people.invite("invited@example.com", "agent", actor=None, now=NOW)
    db.session.execute(OutboxMessage.__table__.delete())
    for address in ("ANN@example.com ", "ann@example.com", "nobody@example.com", "sso@example.com",
                    "gone@example.com", "invited@example.com", "not an address"):
        passwords.request_reset(address, now=NOW)
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 7

    assert passwords.send_requested_resets(now=NOW) == 2
    assert db.session.scalar(select(func.count()).select_from(PasswordResetRequest)) == 0  # addresses not kept
    sent = {message.recipient: message.text_body for message in db.session.scalars(select(OutboxMessage))}
    assert sorted(sent) == ["ann@example.com", "sso@example.com"]  # once for ann, typed twice
    assert "/login/reset/" in sent["ann@example.com"] and "60 minutes" in sent["ann@example.com"]
    assert "sign in with single sign-on" in sent["sso@example.com"] and "/login/reset/" not in sent["sso@example.com"]


def test_a_reset_link_works_once_ends_every_session_and_withdraws_older_links(ctx):
    user = make_user(email="ann@example.com")
    old_session = user.get_id()
    passwords.request_reset("ann@example.com", now=NOW)
    passwords.send_requested_resets(now=NOW)
    first = reset_link()
    passwords.request_reset("ann@example.com", now=NOW)
    passwords.send_requested_resets(now=NOW)
    second = reset_link()
    assert passwords.account_for_reset(first, now=NOW) is None  # only the newest link works
    with pytest.raises(AccountError, match="at least 10"):
        passwords.reset_password(second, "short", now=NOW)
    assert passwords.reset_password(second, NEW_PASSWORD, now=NOW) == user  # a refused password kept the link
    assert load_session_user(old_session) is None
    assert check_password("ann@example.com", NEW_PASSWORD) == user
    assert check_password("ann@example.com", PASSWORD) is None
    with pytest.raises(LinkGone):
        passwords.reset_password(second, "yet another password", now=NOW)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_reset"))
    assert entry.detail == {} and entry.subject == f"user:{user.id}"


def test_a_reset_link_expires_after_the_configured_minutes(ctx):
    ctx.config["PASSWORD_RESET_MINUTES"] = 30
    make_user(email="ann@example.com")
    passwords.request_reset("ann@example.com", now=NOW)
    passwords.send_requested_resets(now=NOW)
    link = reset_link()
    assert passwords.account_for_reset(link, now=NOW + timedelta(minutes=29)) is not None
    with pytest.raises(LinkGone):
        passwords.reset_password(link, NEW_PASSWORD, now=NOW + timedelta(minutes=30))


def test_changing_a_password_needs_the_current_one_and_ends_other_sessions(ctx):
    user = make_user(email="ann@example.com")
    old_session = user.get_id()
    with pytest.raises(AccountError, match="current password is not right"):
        change_password(user, "wrong password", NEW_PASSWORD, now=NOW)
    with pytest.raises(AccountError, match="at least 10"):
        change_password(user, PASSWORD, "short", now=NOW)
    assert load_session_user(old_session) == user  # nothing changed
    change_password(user, PASSWORD, NEW_PASSWORD, now=NOW)
    assert load_session_user(old_session) is None and check_password("ann@example.com", NEW_PASSWORD) == user
