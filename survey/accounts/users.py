"""Manager accounts: create, authenticate, end sessions."""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from survey.addresses import InvalidAddress, normalise_email
from survey.extensions import db
from survey.ids import parse_id
from survey.models import ROLES, User, audit
from survey.models.users import new_session_nonce

MIN_PASSWORD_LENGTH = 10
# Werkzeug's default (scrypt, N=2^15) is a current work factor; it is named here so a reader knows.
PASSWORD_METHOD = "scrypt"
# Compared against when the email is unknown, so a wrong email costs as long as a wrong password: a hash made
# by generate_password_hash("not a real password", method=PASSWORD_METHOD) once, written here because making
# it cost every process 0.3 s at import (every command, every worker's start), for a value that never changes.
# tests/survey/accounts/test_users.py checks it carries the parameters a new hash would.
_DUMMY_HASH = ("scrypt:32768:8:1$k7gccKJBGWP8UCcM$f8809e378fb44d71d1d779bef2699fc44122e1de98162bb9ae3c66111adb677e"
               "e8832df5c18cdb32ea67d4915ae7b2eac38496499b727f8ff213c8b9011a7fa7")


class AccountError(ValueError):
    pass


def create_user(email: str, password: str, role: str, *, now: datetime, name: str = "") -> User:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    try:
        address = normalise_email(email)
    except InvalidAddress as error:
        raise AccountError(str(error)) from None
    if db.session.scalar(select(User).where(User.email == address)):
        raise AccountError(f"a user with the email {address} already exists")
    user = User(email=address, name=name, role=role, created_at=now,
                password_hash=generate_password_hash(password, method=PASSWORD_METHOD))
    db.session.add(user)
    db.session.flush()  # its id, for the audit entry
    audit.record("user.created", f"user:{user.id}", now=now, role=role)
    db.session.commit()
    return user


def authenticate(email: str, password: str, *, now: datetime, address: str | None = None) -> User | None:
    """The account these credentials open, or None; either way the attempt is in the audit log (with the
    client's address, never the password). A failure names the account when there is one; an address
    that matches none is not written down, because people type passwords into the email field."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.password_hash:
        # An account made by single sign-on has no password: as slow a "no" as an unknown email's.
        check_password_hash(_DUMMY_HASH, password)
        reason = "no such account" if user is None else "no password (single sign-on account)"
        _failed(user, reason, now=now, address=address)
        return None
    if not check_password_hash(user.password_hash, password):
        _failed(user, "wrong password", now=now, address=address)
        return None
    user.last_login_at = now
    audit.record("user.signed_in", f"user:{user.id}", now=now, actor=f"user:{user.id}", actor_id=user.id,
                 method="password", address=address)
    db.session.commit()
    return user


def _failed(user: User | None, reason: str, *, now: datetime, address: str | None) -> None:
    audit.record("user.sign_in_failed", f"user:{user.id}" if user else "account:unknown", now=now,
                 actor="anonymous", method="password", reason=reason, address=address)
    db.session.commit()


def load_session_user(session_id: str) -> User | None:
    """The user behind a login cookie's id ("<user id>:<nonce>"), if that session is still valid."""
    user_id, _, nonce = session_id.partition(":")
    if (number := parse_id(user_id)) is None:
        return None
    user = db.session.get(User, number)
    if user is None or not hmac.compare_digest(user.session_nonce, nonce):
        return None
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.email)))


def end_sessions(user: User) -> None:
    """Log the user out everywhere: every existing login cookie stops matching."""
    user.session_nonce = new_session_nonce()
    db.session.commit()


def set_scorecard(user: User, wanted: bool) -> None:
    user.notify_scorecard = wanted
    db.session.commit()
