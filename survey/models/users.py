from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model, one_of

# Ordered from least to most privileged; a role may do everything the roles before it may.
ROLES = ("agent", "analyst", "editor", "admin")


def new_session_nonce() -> str:
    return secrets.token_urlsafe(16)


class UserStatus(StrEnum):
    ACTIVE = "active"
    INVITED = "invited"  # invited by an admin, has not yet set a password (survey/accounts/people.py)
    DEACTIVATED = "deactivated"  # may not sign in; their sessions and API tokens stopped when it happened


class User(UserMixin, Model):
    __tablename__ = "users"
    # One account per identity at a provider: a subject is unique only within its issuer (OIDC Core 2).
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"), one_of("status", UserStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Empty for an account made by single sign-on: no password matches it (survey/accounts/users.py).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=UserStatus.ACTIVE)
    deactivated_at: Mapped[datetime | None]
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Part of the login cookie's identity: rotating it on logout ends every session of this user
    # server-side, even a stolen cookie that was never sent back.
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    # The single sign-on identity linked to this account (survey/accounts/sso.py), matched on every sign-in.
    oidc_issuer: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    # Email me new trend alerts and "celebrate" notices.
    notify_alerts: Mapped[bool] = mapped_column(default=False)
    # Email me the weekly staff scorecard (headline numbers and charts).
    notify_scorecard: Mapped[bool] = mapped_column(default=False)
    # The data this person sees ({attribute: [values]}, AND-ed: survey/accounts/scopes.py); None: everything.
    scope: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    # Two-factor authentication (survey/accounts/two_factor.py): the TOTP secret (base32) once confirmed,
    # and the last time step a code was accepted for, so a code seen once is refused for the rest of its window.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def has_role(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated or invited account cannot be logged in
        return self.status == UserStatus.ACTIVE

    @property
    def two_factor(self) -> bool:
        return self.totp_secret is not None


class AccountTokenPurpose(StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class AccountToken(Model):
    """A one-time link sent by email (an invitation, a password reset). Only the token's SHA-256 is stored
    (256 random bits: nothing to brute-force, as for API tokens); it works once, until it expires."""

    __tablename__ = "account_tokens"
    __table_args__ = (one_of("purpose", AccountTokenPurpose),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PasswordResetRequest(Model):
    """An address someone typed on "Forgot your password?", waiting for the dispatcher. The page only writes
    this row, whatever the address, so its answer and its work are the same for every address; the
    dispatcher looks the address up, sends what fits and deletes the row (survey/accounts/passwords.py)."""

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    requested_at: Mapped[datetime]


class RecoveryCode(Model):
    """One of a user's ten two-factor recovery codes, stored as SHA-256 (80 random bits each), used once."""

    __tablename__ = "recovery_codes"
    __table_args__ = (Index("ix_recovery_codes_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]


class AccountPolicy(Model):
    """How people sign in, for the whole organisation: one row (id 1), edited on the people page, in the
    database so every process applies the same rule the moment an admin saves it."""

    __tablename__ = "account_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    require_admin_two_factor: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
