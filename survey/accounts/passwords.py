"""Forgotten passwords: a reset link by email, single-use, expiring (HEARKEN_PASSWORD_RESET_MINUTES).

The page where someone types an address must not tell whether the address has an account, by its words or
by its time. So the page does the same thing for every address: it stores the request (`request_reset`)
and answers with the same words. The dispatcher (`send_requested_resets`, a step of every pass) then looks
each address up and queues what fits: a reset link for an active account with a password, a note saying to
sign in with single sign-on for an account without one, nothing for an unknown, invited or deactivated
address. The request rows are deleted once handled, so addresses typed by strangers are not kept.
Requests are rate-limited per address and per client address at the page (survey/web/rate_limits.py).

Setting a new password through a link ends every session of the account (the session nonce turns), uses
the link up and withdraws any other reset link.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import delete, select

from survey import mail
from survey.accounts import one_time
from survey.accounts.people import audit
from survey.extensions import db
from survey.links import external_url
from survey.models import AccountTokenPurpose, PasswordResetRequest, User, UserStatus
from survey.models.users import new_session_nonce

BATCH = 100


def request_reset(email: str, *, now: datetime) -> None:
    """Remember that someone asked for a reset for `email` (whatever it is). Committed."""
    db.session.add(PasswordResetRequest(email=email.strip().lower()[:320], requested_at=now))
    db.session.commit()


def reset_lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"])


def send_requested_resets(*, now: datetime) -> int:
    """Queue the emails the waiting requests call for and delete the requests: how many emails were queued.
    One commit per batch; several dispatchers take different rows (SKIP LOCKED)."""
    queued = 0
    while requests := list(db.session.scalars(select(PasswordResetRequest).order_by(PasswordResetRequest.id)
                                              .limit(BATCH).with_for_update(skip_locked=True))):
        addresses = {request.email for request in requests}
        users = db.session.scalars(select(User).where(User.email.in_(addresses), User.status == UserStatus.ACTIVE))
        for user in users:  # one email per account and batch, however often the address was typed
            _queue_reset(user, now=now)
            queued += 1
        db.session.execute(delete(PasswordResetRequest).where(PasswordResetRequest.id.in_([r.id for r in requests])))
        db.session.commit()
    return queued


def _queue_reset(user: User, *, now: datetime) -> None:
    organisation = current_app.config["ORGANISATION_NAME"]
    if not user.password_hash:
        text = render_template("email/password_reset_sso.txt", organisation=organisation,
                               provider=current_app.config.get("OIDC_PROVIDER_NAME") or "single sign-on",
                               login=external_url("auth.login_page"))
        subject = f"Signing in to {organisation}'s Hearken"
    else:
        lifetime = reset_lifetime()
        secret = one_time.issue(user, AccountTokenPurpose.PASSWORD_RESET, now=now, valid_for=lifetime)
        text = render_template("email/password_reset.txt", organisation=organisation,
                               link=external_url("auth.reset_password", token=secret),
                               minutes=int(lifetime.total_seconds() // 60))
        subject = f"Reset your password for {organisation}'s Hearken"
    mail.queue(mail.Rendered(subject[:300], text, None, {}), kind="password_reset", recipient=user.email, now=now)


def account_for_reset(secret: str, *, now: datetime) -> User | None:
    """The active account a live reset link names, or None. Only reads."""
    token = one_time.find(secret, AccountTokenPurpose.PASSWORD_RESET, now=now)
    user = db.session.get(User, token.user_id) if token is not None else None
    return user if user is not None and user.status == UserStatus.ACTIVE else None


def reset_password(secret: str, password: str, *, now: datetime) -> User:
    """Set the password of the account the link names; its sessions end and the link is used up. Committed.
    AccountError when the link does not work (any more) or the password is not acceptable."""
    user, password_hash = one_time.redeem(secret, AccountTokenPurpose.PASSWORD_RESET, status=UserStatus.ACTIVE,
                                          password=password, now=now)
    one_time.withdraw(user, AccountTokenPurpose.PASSWORD_RESET)
    user.password_hash, user.session_nonce = password_hash, new_session_nonce()
    audit("user.password_reset", user, actor=user, now=now)
    db.session.commit()
    return user
