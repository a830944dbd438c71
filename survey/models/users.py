from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model

# Ordered from least to most privileged; a role may do everything the roles before it may.
ROLES = ("agent", "analyst", "editor", "admin")


def new_session_nonce() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, Model):
    __tablename__ = "users"
    # One account per identity at a provider: a subject is unique only within its issuer (OIDC Core 2).
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Empty for an account made by single sign-on: no password matches it (survey/accounts/users.py).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
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

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def has_role(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)
