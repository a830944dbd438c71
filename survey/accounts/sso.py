"""Single sign-on: who a provider's verified claims are in Hearken, and with which role.

The OpenID Connect protocol itself (discovery, PKCE, the ID token's signature, issuer, audience, expiry and
nonce) is survey/accounts/oidc.py's; this module starts from claims that passed all of it.

Decisions, written down because the issue leaves them open:

- An account is found by (issuer, subject) once linked: the subject never changes, an email address may.
- The first sign-in of an identity links the existing account with the same email address only when the
  provider says the address is verified (`email_verified` true): linking on an unverified address would let
  anyone who can name an address at a lax provider take over that account. Without an account of that
  address, the first sign-in creates one (no password: only the provider signs it in). An account linked at
  another issuer (the organisation moved provider) is linked anew the same way.
- The role comes from the provider at every sign-in (the provider is the source of truth): the values of
  the role claim (a string or a list; "realm_access.roles" reaches into an object) are looked up in the
  role map and the most privileged match wins; with none, the default role; with no default either, the
  sign-in is refused and nothing is created or changed.
- A deactivated account is refused, whatever the provider says (an admin stopped it in Hearken). An invited
  account whose verified address signs in is simply active from then on: the provider vouches for them,
  and the invitation's link stops working.
- Data scopes (location=Leeds) come from the same claim's values when HEARKEN_OIDC_SCOPE_MAP is set
  (`leeds-managers=location:Leeds`), again at every sign-in: the values mapped add up to the person's scope,
  and someone in none of the mapped groups has no scope (everything their role allows), so every restricted
  group must be mapped. Without the map, scopes are set in Hearken and a sign-in leaves them alone.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from survey.addresses import InvalidAddress, normalise_email
from survey.extensions import db
from survey.models import ROLES, AccountToken, User, UserStatus, audit

log = logging.getLogger(__name__)


class SignInRefused(ValueError):
    """A sign-in that must not happen; the message says why, in words for the person signing in."""


class ConfigurationError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    issuer: str
    client_id: str
    client_secret: str
    provider_name: str
    scopes: str
    role_claim: str
    role_map: Mapping[str, str]
    default_role: str | None
    # Claim value → (segment attribute, value): a group that limits its people to some customers. Empty: the
    # provider says nothing about data scopes, which are then set in Hearken (survey/accounts/scopes.py).
    scope_map: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Access:
    """What a sign-in grants: a role, and (when the scope map is set) a data scope, None meaning everything."""

    role: str
    scope: dict[str, list[str]] | None = None


def enabled(config: Mapping[str, Any]) -> bool:
    """Single sign-on is on when an issuer is configured."""
    return bool(config.get("OIDC_ISSUER"))


def settings_from(config: Mapping[str, Any]) -> Settings:
    """The SSO settings, or ConfigurationError naming what is missing or wrong."""
    missing = [f"HEARKEN_{key}" for key in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET")
               if not config.get(key)]
    if missing:
        raise ConfigurationError(f"single sign-on needs {', '.join(missing)}")
    default = config.get("OIDC_DEFAULT_ROLE") or None
    if default is not None and default not in ROLES:
        raise ConfigurationError(f"HEARKEN_OIDC_DEFAULT_ROLE is {default!r}: use one of {', '.join(ROLES)}")
    scopes = str(config.get("OIDC_SCOPES") or "openid email profile")
    if "openid" not in scopes.split():
        raise ConfigurationError(f"HEARKEN_OIDC_SCOPES is {scopes!r}: it must include openid (no ID token without)")
    issuer = str(config["OIDC_ISSUER"])
    if not issuer.startswith("https://") and not issuer.startswith(("http://127.0.0.1", "http://localhost")):
        raise ConfigurationError(f"HEARKEN_OIDC_ISSUER is {issuer!r}: it must be an https:// URL")
    return Settings(issuer=issuer, client_id=str(config["OIDC_CLIENT_ID"]),
                    client_secret=str(config["OIDC_CLIENT_SECRET"]),
                    provider_name=str(config.get("OIDC_PROVIDER_NAME") or "single sign-on"),
                    scopes=scopes,
                    role_claim=str(config.get("OIDC_ROLE_CLAIM") or "groups"),
                    role_map=parse_role_map(str(config.get("OIDC_ROLE_MAP") or "")), default_role=default,
                    scope_map=parse_scope_map(str(config.get("OIDC_SCOPE_MAP") or ""),
                                              attributes=tuple(config.get("SEGMENT_ATTRIBUTES") or ())))


def parse_role_map(text: str) -> dict[str, str]:
    """"hearken-admins=admin, cx-team=analyst" → {"hearken-admins": "admin", "cx-team": "analyst"}. A value
    holding "=" or "," cannot be written here; group names and ids (Entra's are GUIDs) do not."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        value, equals, role = item.rpartition("=")
        value, role = value.strip(), role.strip()
        if not equals or not value:
            raise ConfigurationError(f"HEARKEN_OIDC_ROLE_MAP: {item!r} is not written value=role")
        if role not in ROLES:
            raise ConfigurationError(f"HEARKEN_OIDC_ROLE_MAP: {item!r} maps to {role!r}; roles are "
                                     f"{', '.join(ROLES)}")
        if value in mapping and mapping[value] != role:
            raise ConfigurationError(f"HEARKEN_OIDC_ROLE_MAP maps {value!r} twice")
        mapping[value] = role
    return mapping


def parse_scope_map(text: str, *, attributes: Sequence[str]) -> dict[str, tuple[str, str]]:
    """"leeds-managers=location:Leeds, billing=team:Billing" → {"leeds-managers": ("location", "Leeds"), …}.
    The attribute must be one of HEARKEN_SEGMENT_ATTRIBUTES, as a scope set in Hearken must."""
    mapping: dict[str, tuple[str, str]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        value, equals, target = item.rpartition("=")
        attribute, colon, allowed = target.partition(":")
        value, attribute, allowed = value.strip(), attribute.strip(), allowed.strip()
        if not equals or not value or not colon or not attribute or not allowed:
            raise ConfigurationError(f"HEARKEN_OIDC_SCOPE_MAP: {item!r} is not written value=attribute:value")
        if attribute not in attributes:
            raise ConfigurationError(f"HEARKEN_OIDC_SCOPE_MAP: {item!r} names {attribute!r}, which is not one of "
                                     f"HEARKEN_SEGMENT_ATTRIBUTES ({', '.join(attributes) or 'none'})")
        if value in mapping and mapping[value] != (attribute, allowed):
            raise ConfigurationError(f"HEARKEN_OIDC_SCOPE_MAP maps {value!r} twice")
        mapping[value] = (attribute, allowed)
    return mapping


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The text values of a claim: a string, or the strings of a list; "a.b" reaches into objects."""
    found: Any = claims
    for part in path.split("."):
        found = found.get(part) if isinstance(found, Mapping) else None
    if isinstance(found, str):
        return [found]
    if isinstance(found, list):
        return [value for value in found if isinstance(value, str)]
    return []


def access_for(claims: Mapping[str, Any], settings: Settings) -> Access:
    """The role these claims map to (the most privileged match), or SignInRefused; and the data scope their
    scope-mapped values add up to (values of one attribute: either; several attributes: all must hold), None
    when none is mapped."""
    values = claim_values(claims, settings.role_claim)
    roles = {settings.role_map[value] for value in values if value in settings.role_map}
    scope: dict[str, list[str]] = {}
    for attribute, allowed in sorted({settings.scope_map[value] for value in values if value in settings.scope_map}):
        scope.setdefault(attribute, []).append(allowed)
    if roles:
        return Access(role=max(roles, key=ROLES.index), scope=scope or None)
    if settings.default_role:
        return Access(role=settings.default_role, scope=scope or None)
    raise SignInRefused(f"Your {settings.provider_name} account has no role in Hearken: ask an administrator "
                        f"to add you to one of the groups that give one.")


def sign_in(claims: Mapping[str, Any], settings: Settings, *, now: datetime) -> User:
    """The account these verified ID-token claims sign in to, linked or created, its role set from the claims
    and the sign-in written to the audit log; one commit. SignInRefused (nothing changed) otherwise."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise SignInRefused("The provider's answer names nobody (no subject): try again, or ask an administrator.")
    access = access_for(claims, settings)
    user = db.session.scalar(select(User).where(User.oidc_issuer == settings.issuer,
                                                User.oidc_subject == subject))
    how = "matched"
    if user is None:
        user, how = _link_or_create(claims, settings, access, now=now)
    if user.status == UserStatus.DEACTIVATED:
        raise SignInRefused("Your Hearken account is deactivated: ask an administrator.")
    if user.status == UserStatus.INVITED:
        user.status, how = UserStatus.ACTIVE, "invitation accepted"
        db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    user.oidc_issuer, user.oidc_subject = settings.issuer, subject
    previous_role, user.role = user.role, access.role
    previous_scope = user.scope or None
    if settings.scope_map:  # the provider's groups are the source of truth for scopes too
        user.scope = access.scope
    user.last_login_at = now
    db.session.flush()  # the new account's id, for the audit entry
    actor = f"user:{user.id}"
    if how != "created" and previous_role != access.role:  # the provider's groups changed: a role change
        audit.record("user.role_changed", f"user:{user.id}", now=now, actor=actor, actor_id=user.id,
                     role_before=previous_role, role=access.role, by="single sign-on")
    if (user.scope or None) != previous_scope:
        change: dict[str, Any] = {"from": previous_scope, "to": user.scope or None, "by": "single sign-on"}
        audit.record("user.scope_changed", f"user:{user.id}", now=now, actor=actor, actor_id=user.id, **change)
    audit.record("user.signed_in", f"user:{user.id}", now=now, actor=actor, actor_id=user.id, method="oidc",
                 issuer=settings.issuer, account=how, role=access.role)
    db.session.commit()
    return user


def _link_or_create(claims: Mapping[str, Any], settings: Settings, access: Access, *,
                    now: datetime) -> tuple[User, str]:
    raw = claims.get("email")
    if not isinstance(raw, str) or not raw:
        raise SignInRefused(f"{settings.provider_name} did not tell Hearken your email address: ask an "
                            "administrator to release the email claim to Hearken.")
    try:
        address = normalise_email(raw)
    except InvalidAddress:
        raise SignInRefused(f"{settings.provider_name} gave an email address Hearken cannot use ({raw!r}).") from None
    existing = db.session.scalar(select(User).where(User.email == address))
    if existing is None:
        name = claims.get("name") if isinstance(claims.get("name"), str) else ""
        user = User(email=address, name=str(name)[:200], role=access.role,
                    created_at=now, password_hash="")
        db.session.add(user)
        return user, "created"
    if claims.get("email_verified") is not True:
        log.warning("single sign-on refused: unverified email for an existing account (%s)", existing.id)
        raise SignInRefused(f"An account with the address {address} exists, but {settings.provider_name} does not "
                            "say the address is verified, so Hearken will not link it to your sign-in. Ask an "
                            "administrator.")
    if existing.oidc_subject is not None and existing.oidc_issuer == settings.issuer:
        raise SignInRefused(f"The account {address} is already linked to another {settings.provider_name} "
                            "identity. Ask an administrator.")
    return existing, "linked"
