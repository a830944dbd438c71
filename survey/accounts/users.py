"""Manager accounts: create, authenticate, end sessions, passwords."""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from survey.addresses import InvalidAddress, normalise_email
from survey.extensions import db
from survey.ids import parse_id
from survey.models import ROLES, User, UserStatus, audit
from survey.models.users import new_session_nonce

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1000
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


def password_problem(password: str) -> str | None:
    """Why `password` cannot be a new password, or None: the one rule for the command line, invitations,
    resets and the Account page."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must have at most {MAX_PASSWORD_LENGTH} characters"
    return None


def hashed_password(password: str) -> str:
    """The stored form of a new password, or AccountError naming what is wrong with it."""
    if problem := password_problem(password):
        raise AccountError(problem)
    return generate_password_hash(password, method=PASSWORD_METHOD)


def parse_address(email: str) -> str:
    try:
        return normalise_email(email)
    except InvalidAddress as error:
        raise AccountError(str(error)) from None


def create_user(email: str, password: str, role: str, *, now: datetime, name: str = "") -> User:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if problem := password_problem(password):
        raise AccountError(problem)
    address = parse_address(email)
    if db.session.scalar(select(User).where(User.email == address)):
        raise AccountError(f"a user with the email {address} already exists")
    user = User(email=address, name=name, role=role, created_at=now, password_hash=hashed_password(password))
    db.session.add(user)
    db.session.flush()  # its id, for the audit entry
    audit.record("user.created", f"user:{user.id}", now=now, role=role)
    db.session.commit()
    return user


def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` is `user`'s; as slow a "no" for no user, or one without a password (made by single
    sign-on, or invited and not yet arrived), as for a wrong password."""
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def check_password(email: str, password: str, *, now: datetime | None = None,
                   address: str | None = None) -> User | None:
    """The active account `email` and `password` name, or None. A success records nothing: a second factor
    may follow (record_sign_in). With `now`, a failure is in the audit log, with the client's address, never
    the password; it names the account when there is one, and an address that matches none is not written
    down, because people type passwords into the email field."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if password_matches(user, password) and user is not None and user.status == UserStatus.ACTIVE:
        return user
    if now is not None:
        reason = ("no such account" if user is None else
                  "no password (single sign-on account, or invited)" if not user.password_hash else
                  f"account {user.status}" if user.status != UserStatus.ACTIVE else "wrong password")
        _failed(user, reason, now=now, address=address)
    return None


def record_sign_in(user: User, *, method: str, now: datetime, address: str | None = None) -> None:
    user.last_login_at = now
    audit.record("user.signed_in", f"user:{user.id}", now=now, actor=f"user:{user.id}", actor_id=user.id,
                 method=method, address=address)
    db.session.commit()


def authenticate(email: str, password: str, *, now: datetime, address: str | None = None) -> User | None:
    """check_password, and the sign-in recorded (for an account without a second factor)."""
    user = check_password(email, password, now=now, address=address)
    if user is not None:
        record_sign_in(user, method="password", now=now, address=address)
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
    if user is None or not hmac.compare_digest(user.session_nonce, nonce) or user.status != UserStatus.ACTIVE:
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


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """Set a new password, the current one given; every other session of the user ends (the caller logs this
    browser in again with the new session id)."""
    if not user.password_hash:
        raise AccountError("this account signs in with single sign-on and has no password to change")
    if not password_matches(user, current):
        raise AccountError("the current password is not right")
    user.password_hash = hashed_password(new)
    user.session_nonce = new_session_nonce()
    audit.record("user.password_changed", f"user:{user.id}", now=now, actor=f"user:{user.id}", actor_id=user.id)
    db.session.commit()


def set_scorecard(user: User, wanted: bool) -> None:
    user.notify_scorecard = wanted
    db.session.commit()
