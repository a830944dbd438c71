"""The OpenID Connect protocol, through Authlib's Flask client: the provider found by discovery
(`<issuer>/.well-known/openid-configuration`), the authorisation code flow with PKCE (S256) and a nonce,
the ID token's signature checked against the provider's published keys (JWKS), its nonce and expiry by
Authlib, its issuer and audience against the configuration (`_claims_options`). What the verified claims
mean is survey/accounts/sso.py's.

State, nonce and code verifier travel in the Flask session (signed, not readable by other sites), keyed by
the state, and are removed when the callback reads them: a callback replayed or forged finds none.
Every failure becomes SignInRefused with a sentence that says what went wrong, never a traceback.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, session
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError

from survey.accounts.sso import Settings, SignInRefused, sign_in
from survey.models import User

log = logging.getLogger(__name__)
STATE_PREFIX = "_state_provider_"  # Authlib's session keys for the client registered as "provider"
TIMEOUT = 10  # seconds for each call to the provider: discovery, keys, the token exchange


def _client(app: Flask, settings: Settings) -> Any:
    """One Authlib client per app, made on first use and kept with the app (its discovery document and keys
    are cached there, and fetched again when the provider rotates its key)."""
    registry = app.extensions.get("hearken_oidc")
    if registry is None:
        registry = OAuth(app)
        registry.register(
            "provider", client_id=settings.client_id, client_secret=settings.client_secret,
            server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256",
                           "default_timeout": TIMEOUT})
        app.extensions["hearken_oidc"] = registry
    return registry.provider


def start(app: Flask, settings: Settings, redirect_uri: str):
    """The redirect to the provider's authorisation page (Authlib adds state, nonce and the code challenge).

    Only this browser's latest sign-in stays pending: Authlib keeps each one in the session cookie until its
    callback, so a person pressing the button again and again would grow the cookie past the 4 KB browsers
    keep, and lose their session."""
    for key in [key for key in session if key.startswith(STATE_PREFIX)]:
        session.pop(key)
    try:
        return _client(app, settings).authorize_redirect(redirect_uri)
    except (requests.RequestException, ValueError, KeyError) as error:
        log.warning("single sign-on: discovery at %s failed: %s", settings.issuer, error)
        raise SignInRefused(f"Hearken could not reach {settings.provider_name} just now: try again in a minute."
                            ) from None


def finish(app: Flask, settings: Settings) -> dict[str, Any]:
    """The verified ID token's claims for the callback being handled, or SignInRefused."""
    try:
        token = _client(app, settings).authorize_access_token(claims_options=_claims_options(settings))
    except (OAuthError, JoseError, requests.RequestException, ValueError, KeyError) as error:
        log.warning("single sign-on refused: %s: %s", type(error).__name__, error)
        raise SignInRefused(_refusal(error, settings.provider_name)) from None
    claims = token.get("userinfo")
    if not claims:  # no ID token, or no nonce kept for it: nothing verified, so nobody signs in
        raise SignInRefused(f"{settings.provider_name} sent no verifiable ID token, so Hearken did not sign you in.")
    return dict(claims)


def _claims_options(settings: Settings) -> dict[str, dict[str, Any]]:
    """Issuer and audience pinned to the configuration. Authlib checks the issuer against the discovery
    document, and the audience only through the authorised party (`azp`): a token for another audience
    that names Hearken as `azp` passed. OIDC Core 3.1.3.7 asks for our client id in `aud`."""
    return {"iss": {"essential": True, "value": settings.issuer},
            "aud": {"essential": True, "value": settings.client_id},
            "exp": {"essential": True}}


def _refusal(error: Exception, name: str) -> str:
    """What went wrong, in words for the person signing in."""
    if isinstance(error, MismatchingStateError):
        return "This sign-in was already used, has expired or was not started in this browser: start again."
    if isinstance(error, OAuthError) and error.error == "invalid_grant":
        return (f"{name} refused to complete the sign-in (the code was used already, or the PKCE check failed): "
                "start again.")
    if isinstance(error, OAuthError) and error.error == "access_denied":
        return f"The sign-in was cancelled at {name}."
    if isinstance(error, OAuthError):
        return f"{name} refused the sign-in ({error.error}): start again, or ask an administrator."
    if isinstance(error, BadSignatureError | InvalidKeyIdError):
        return f"The answer from {name} was not signed by its key, so Hearken did not trust it."
    if isinstance(error, ExpiredTokenError):
        return f"The answer from {name} had expired (check this server's clock): start again."
    if isinstance(error, ClaimError):
        problem = _CLAIM_PROBLEMS.get(error.claim, f"had an unacceptable {error.claim!r} claim")
        return f"The ID token from {name} {problem}, so Hearken did not sign you in."
    if isinstance(error, JoseError):
        return f"The answer from {name} could not be read as an ID token."
    return f"Hearken could not complete the sign-in with {name} just now: try again."


_CLAIM_PROBLEMS = {
    "aud": "was issued for another application (its audience is not Hearken's client id)",
    "azp": "was issued for another application (its authorised party is not Hearken)",
    "iss": "came from another issuer than the one configured",
    "nonce": "did not carry the nonce of this sign-in (a replayed or forged token)",
    "at_hash": "did not match its access token",
}


def sign_in_from_callback(app: Flask, settings: Settings, *, now: datetime) -> User:
    """The callback's verified claims signed in to their account (survey/accounts/sso.py), or SignInRefused."""
    return sign_in(finish(app, settings), settings, now=now)
