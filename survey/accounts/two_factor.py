"""Optional two-factor authentication: time-based one-time passwords (TOTP, RFC 6238: 6 digits, 30 s,
SHA-1, what every authenticator app reads from the QR code) and ten single-use recovery codes.

- Enrolling: a new secret is shown as a QR code and as text; it is stored only once a code computed from it
  is confirmed, so a person who scanned nothing is not locked out. Ten recovery codes are shown once and
  stored as SHA-256 (each holds 80 random bits: nothing to brute-force).
- A code is accepted for the current 30 s step or the one before or after (clocks drift); the step it
  matched is stored, and a code for that step or an earlier one is refused, so a code seen over a shoulder
  or replayed from a log does not work again (a conditional UPDATE, so two requests racing with the same
  code cannot both pass).
- Turning it off needs the current password; an admin can reset it for someone who lost their phone and
  their codes (survey/views/manage/people.py). Sign-ins through single sign-on skip it: the provider does
  multi-factor authentication.
"""
from __future__ import annotations

import hmac
import secrets
from base64 import b32encode
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import CursorResult, delete, func, or_, select, update

from survey.accounts.api_tokens import digest
from survey.accounts.people import admins_must_use_two_factor, audit
from survey.accounts.users import AccountError, password_matches
from survey.extensions import db
from survey.models import RecoveryCode, User

STEP = 30  # seconds
DRIFT = 1  # steps either side of now that are accepted
RECOVERY_CODES = 10
# The session's key for a sign-in whose password was right and whose second factor is awaited:
# {"user": the login id (id:nonce), "at": unix seconds, "next": where to go}.
PENDING_KEY = "pending_sign_in"
PENDING_FOR = 300  # seconds to type the code


def _totp(secret: str):
    import pyotp  # here, like segno below: only sign-ins with a second factor need it

    return pyotp.TOTP(secret)


def new_secret() -> str:
    return b32encode(secrets.token_bytes(20)).decode()  # 160 bits, as RFC 4226 recommends


def step_at(now: datetime) -> int:
    return int(now.replace(tzinfo=UTC).timestamp()) // STEP


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator shows at `now` (for tests and for checking)."""
    return _totp(secret).generate_otp(step_at(now))


def provisioning_uri(secret: str, *, email: str, issuer: str) -> str:
    return _totp(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as inline SVG (no image request, nothing for the Content-Security-Policy)."""
    import segno  # here: it costs every process 0.09 s to import (urllib.request), for the enrolment page

    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff",
                                                 title="QR code for your authenticator app")


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp, step = _totp(secret), step_at(now)
    for candidate in range(step - DRIFT, step + DRIFT + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _digits(code: str) -> str:
    return "".join(code.split())


def enable(user: User, secret: str, code: str, *, now: datetime) -> list[str]:
    """Turn two-factor authentication on with `secret`, once `code` shows the app has it: the recovery codes,
    to be shown once. Committed."""
    if user.totp_secret is not None:
        raise AccountError("two-factor authentication is on already")
    if not user.password_hash:
        raise AccountError("this account signs in with single sign-on, whose provider asks for a second factor")
    step = _matching_step(secret, _digits(code), now)
    if step is None:
        raise AccountError("that code does not match: check the time on your phone, and type the newest code")
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, now, step
    codes = _new_recovery_codes(user)
    audit("two_factor.enabled", user, actor=user, now=now)
    db.session.commit()
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits, 16 characters
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}-{raw[12:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=digest(raw)))
    return codes


def verify(user: User, code: str, *, now: datetime) -> str | None:
    """Check a sign-in's second factor: "totp" or "recovery code" when `code` is a fresh code or an unused
    recovery code (now used up), else None. Committed."""
    if user.totp_secret is None:
        return None
    text = _digits(code)
    if text.isdigit() and len(text) == 6:
        step = _matching_step(user.totp_secret, text, now)
        if step is None:
            return None
        fresh = cast(CursorResult, db.session.execute(
            update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step).execution_options(synchronize_session=False)))
        db.session.commit()
        return "totp" if fresh.rowcount == 1 else None
    recovery = text.replace("-", "").lower()
    if len(recovery) != 16:
        return None
    used = cast(CursorResult, db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest(recovery),
                                   RecoveryCode.used_at.is_(None)).values(used_at=now)))
    if used.rowcount == 1:
        audit("two_factor.recovery_code_used", user, actor=user, now=now, left=recovery_codes_left(user))
    db.session.commit()
    return "recovery code" if used.rowcount == 1 else None


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def new_recovery_codes(user: User, password: str, *, now: datetime) -> list[str]:
    """Ten new recovery codes (the old ones stop working), the current password given. Committed."""
    if user.totp_secret is None:
        raise AccountError("two-factor authentication is off")
    if not password_matches(user, password):
        raise AccountError("the current password is not right")
    codes = _new_recovery_codes(user)
    audit("two_factor.recovery_codes_renewed", user, actor=user, now=now)
    db.session.commit()
    return codes


def disable(user: User, password: str, *, now: datetime) -> None:
    """Turn two-factor authentication off, the current password given. Committed."""
    if user.totp_secret is None:
        raise AccountError("two-factor authentication is off already")
    if not password_matches(user, password):
        raise AccountError("the current password is not right")
    _clear(user)
    audit("two_factor.disabled", user, actor=user, now=now)
    db.session.commit()


def reset(user: User, *, actor: User | None, now: datetime) -> None:
    """An admin turns someone's two-factor authentication off (lost phone and codes). Committed."""
    if user.totp_secret is None:
        raise AccountError(f"{user.email} does not use two-factor authentication")
    _clear(user)
    audit("two_factor.reset", user, actor=actor, now=now)
    db.session.commit()


def _clear(user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def must_enrol(user: User, *, signed_in_with_sso: bool) -> bool:
    """Whether `user` must set up two-factor authentication before anything else: an admin, signed in with a
    password, without it, where the organisation requires it of admins (the people page)."""
    return (user.role == "admin" and user.totp_secret is None and bool(user.password_hash)
            and not signed_in_with_sso and admins_must_use_two_factor())
