"""One-time links sent by email: invitations and password resets.

A link carries 256 random bits (survey/tokens.py); only their SHA-256 is stored (as for API tokens: nothing
to brute-force, and a leaked database holds no working link). A link works once (`use` marks it in a
conditional UPDATE, so two clicks racing each other cannot both pass) and until it expires; issuing a new
link of the same purpose for the same person deletes the ones before, so only the newest works.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, select, update

from survey.accounts.api_tokens import digest
from survey.accounts.users import AccountError, hashed_password
from survey.extensions import db
from survey.models import AccountToken, User
from survey.tokens import new_token


class LinkGone(AccountError):
    """The link is unknown, used or expired: its page answers 404, whichever it was."""

    def __init__(self) -> None:
        super().__init__("This link has expired or has been used already.")


def issue(user: User, purpose: str, *, now: datetime, valid_for: timedelta) -> str:
    """A new link's secret for `user` (in the caller's transaction); earlier unused ones of `purpose` stop."""
    db.session.flush()  # a new user's id
    withdraw(user, purpose)
    secret = new_token()
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=digest(secret), created_at=now,
                                expires_at=now + valid_for))
    return secret


def withdraw(user: User, purpose: str) -> None:
    """Every unused link of `purpose` for `user` stops working (in the caller's transaction)."""
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == purpose,
                                                  AccountToken.used_at.is_(None)))


def find(secret: str, purpose: str, *, now: datetime) -> AccountToken | None:
    """The live link `secret` names: of this purpose, unused and unexpired; else None. Only reads."""
    if not secret or len(secret) > 100:
        return None
    token = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == digest(secret),
                                                         AccountToken.purpose == purpose))
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    return token


def use(token: AccountToken, *, now: datetime) -> bool:
    """Mark the link used (in the caller's transaction); False when another request used it first."""
    used = cast(CursorResult, db.session.execute(
        update(AccountToken).where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)))
    return used.rowcount == 1


def redeem(secret: str, purpose: str, *, status: str, password: str, now: datetime) -> tuple[User, str]:
    """The account a link of `purpose` names, in `status`, and its new password's hash, the link used up (in
    the caller's transaction). LinkGone when the link does not work (any more); AccountError, the link still
    working, when the password is not acceptable."""
    token = find(secret, purpose, now=now)
    user = db.session.get(User, token.user_id) if token is not None else None
    if token is None or user is None or user.status != status:
        raise LinkGone()
    password_hash = hashed_password(password)  # first: a refused password leaves the link working
    if not use(token, now=now):
        db.session.rollback()
        raise LinkGone()
    return user, password_hash
