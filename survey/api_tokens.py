"""API tokens for other systems: shown once, stored as SHA-256 (a token is 256 random bits, so a fast
hash is enough: nothing to brute-force), named, with a role, revocable, last use recorded."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select

from survey.extensions import db
from survey.models import ROLES, ApiToken

PREFIX = "hk_"


class TokenError(ValueError):
    pass


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, role: str, *, now: datetime) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError("a token needs a name of 1 to 100 characters")
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}")
    if find_token(name):
        raise TokenError(f"a token named {name!r} already exists")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, token_hash=digest(secret), created_at=now)
    db.session.add(token)
    db.session.commit()
    return token, secret


def presented_secret(authorization: str) -> str | None:
    """The token an Authorization header presents ("Bearer <token>", any case and spacing), or None."""
    scheme, _, secret = authorization.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    return secret


def token_for_request(authorization: str, *, now: datetime) -> ApiToken | None:
    if (secret := presented_secret(authorization)) is None:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if token is None or token.revoked_at is not None or not hmac.compare_digest(token.token_hash, digest(secret)):
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # At most once a minute, so busy integrations do not write on every call; committed here because
        # read-only operations commit nothing else.
        token.last_used_at = now
        db.session.commit()
    return token


def revoke_token(token: ApiToken, *, now: datetime) -> None:
    """Stop a token working at once (kept, so its name and last use stay on record)."""
    if token.revoked_at is None:
        token.revoked_at = now
        db.session.commit()


def find_token(name: str) -> ApiToken | None:
    return db.session.scalar(select(ApiToken).where(ApiToken.name == name.strip()))


def list_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.name)))
