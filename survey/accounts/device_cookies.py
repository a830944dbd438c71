"""Device cookies: a browser an account's owner has logged in from keeps logging in while someone else is
guessing that account's password (OWASP, "Slow Down Online Guessing Attacks with Device Cookies").

After a successful login the browser gets a cookie naming the account, when it was issued and a random
nonce, signed with HMAC-SHA256 under a key derived from the secret key. A login attempt for that account
that carries a valid cookie comes from a *trusted device*: its failures count against that device's own
limit (HEARKEN_DEVICE_LOGIN_RATE_LIMIT, keyed by the nonce) instead of the account's limit for untrusted
clients (HEARKEN_ACCOUNT_LOGIN_RATE_LIMIT), so a guesser who uses up the account's allowance does not lock
the owner out (survey/web/rate_limits.py). A cookie for another account, a forged or altered one, or one older
than MAX_AGE trusts nothing. The cookie only travels to the login page (its path), is httponly, SameSite=Lax,
and Secure when Hearken is served over https.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

COOKIE_NAME = "hearken_device"
MAX_AGE = timedelta(days=365)
CLOCK_SKEW = 300  # seconds: a cookie issued by a machine whose clock runs a little ahead is still valid
_PURPOSE = b"hearken device cookie v1"  # a key of its own: a device signature is never valid as anything else


def _key(secret_key: str | bytes) -> bytes:
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def _signature(payload: str, secret_key: str | bytes) -> str:
    digest = hmac.new(_key(secret_key), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _seconds(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp())


def issue(account: str, *, now: datetime, secret_key: str | bytes) -> str:
    """A new device cookie's value for `account` (a normalised email): a fresh nonce every time."""
    name = base64.urlsafe_b64encode(account.encode()).rstrip(b"=").decode()
    payload = f"{name}.{_seconds(now)}.{secrets.token_urlsafe(24)}"
    return f"{payload}.{_signature(payload, secret_key)}"


def device_of(value: str | None, account: str, *, now: datetime, secret_key: str | bytes) -> str | None:
    """The device's id (its nonce) when `value` is a valid, unexpired device cookie for `account`; else None."""
    if not value or not account or len(value) > 2048:
        return None
    payload, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _signature(payload, secret_key).encode()):
        return None
    parts = payload.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    name, issued, nonce = parts
    try:
        named = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    age = _seconds(now) - int(issued)
    if not hmac.compare_digest(named.encode(), account.encode()) or not -CLOCK_SKEW <= age <= MAX_AGE.total_seconds():
        return None
    return nonce
