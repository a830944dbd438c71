"""Manager accounts: create, authenticate, end sessions, passwords."""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from survey.addresses import InvalidAddress, normalise_email
from survey.extensions import db
from survey.ids import parse_id
from survey.models import ROLES, AuditEntry, User, UserStatus
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
    db.session.commit()
    return user


def password_matches(user: User | None, password: str) -> bool:
    """Whether `password` is `user`'s; as slow a "no" for no user, or one without a password (made by single
    sign-on, or invited and not yet arrived), as for a wrong password."""
    if user is None or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def check_password(email: str, password: str) -> User | None:
    """The active account `email` and `password` name, or None. Records nothing: a second factor may follow."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if not password_matches(user, password) or user is None or user.status != UserStatus.ACTIVE:
        return None
    return user


def record_sign_in(user: User, *, method: str, now: datetime) -> None:
    user.last_login_at = now
    db.session.add(AuditEntry(at=now, actor=f"user:{user.id}", actor_id=user.id, action="user.signed_in",
                              subject=f"user:{user.id}", detail={"method": method}))
    db.session.commit()


def authenticate(email: str, password: str, *, now: datetime) -> User | None:
    """check_password, and the sign-in recorded (for an account without a second factor)."""
    user = check_password(email, password)
    if user is not None:
        record_sign_in(user, method="password", now=now)
    return user


def load_session_user(session_id: str) -> User | None:
    """The user behind a login cookie's id ("<user id>:<nonce>"), if that session is still valid."""
    user_id, _, nonce = session_id.partition(":")
    if (number := parse_id(user_id)) is None:
        return None
    user = db.session.get(User, number)
    if user is None or not hmac.compare_digest(user.session_nonce, nonce) or user.status != UserStatus.ACTIVE:
        return None
    return user


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
    db.session.add(AuditEntry(at=now, actor=f"user:{user.id}", actor_id=user.id, action="user.password_changed",
                              subject=f"user:{user.id}", detail={}))
    db.session.commit()


def set_scorecard(user: User, wanted: bool) -> None:
    user.notify_scorecard = wanted
    db.session.commit()
