"""Two-factor authentication: enrolment confirmed by a code, codes refused when replayed, recovery codes
used once, turning it off and an admin's reset."""
from __future__ import annotations

from datetime import UTC, timedelta

import pyotp
import pytest
from sqlalchemy import select

from survey.accounts import two_factor
from survey.accounts.users import AccountError
from survey.extensions import db
from survey.models import AuditEntry, RecoveryCode
from tests.factories import NOW, PASSWORD, make_user


def code(secret, at=NOW) -> str:
    """What an authenticator app shows at `at` (naive UTC), computed by pyotp as the app would."""
    return pyotp.TOTP(secret).at(at.replace(tzinfo=UTC))


def enrolled(user, now=NOW):
    secret = two_factor.new_secret()
    return secret, two_factor.enable(user, secret, code(secret, now), now=now)


def test_enrolment_needs_a_code_from_the_secret_and_gives_ten_recovery_codes(ctx):
    user = make_user()
    secret = two_factor.new_secret()
    assert "secret=" + secret in two_factor.provisioning_uri(secret, email=user.email, issuer="Hearken")
    assert two_factor.qr_svg("otpauth://totp/x?secret=" + secret).startswith("<svg")
    with pytest.raises(AccountError, match="does not match"):
        two_factor.enable(user, secret, code(secret, NOW + timedelta(minutes=5)), now=NOW)
    assert not user.two_factor
    codes = two_factor.enable(user, secret, code(secret), now=NOW)
    assert user.two_factor and len(set(codes)) == 10 and two_factor.recovery_codes_left(user) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert not {c.replace("-", "") for c in codes} & set(stored)  # only hashes are kept


def test_a_code_is_accepted_once_within_its_window_and_never_again(ctx):
    user = make_user()
    secret, _codes = enrolled(user, NOW - timedelta(minutes=10))
    later = NOW + timedelta(seconds=20)
    assert two_factor.verify(user, code(secret, NOW), now=later) == "totp"  # one step of drift is fine
    assert two_factor.verify(user, code(secret, NOW), now=later) is None  # replayed
    assert two_factor.verify(user, code(secret, NOW - timedelta(seconds=30)), now=later) is None  # older step
    assert two_factor.verify(user, code(secret, NOW + timedelta(minutes=2)), now=later) is None  # far future
    assert two_factor.verify(user, "12345", now=later) is None and two_factor.verify(user, "", now=later) is None
    assert two_factor.verify(user, code(secret, NOW + timedelta(seconds=60)), now=NOW + timedelta(seconds=60)) == "totp"


def test_recovery_codes_work_once_each(ctx):
    user = make_user()
    _secret, codes = enrolled(user)
    assert two_factor.verify(user, codes[0].upper(), now=NOW) == "recovery code"
    assert two_factor.verify(user, codes[0], now=NOW) is None
    assert two_factor.recovery_codes_left(user) == 9
    renewed = two_factor.new_recovery_codes(user, PASSWORD, now=NOW)
    assert two_factor.verify(user, codes[1], now=NOW) is None  # the old ones stopped
    assert two_factor.verify(user, renewed[1].replace("-", " "), now=NOW) == "recovery code"  # as typed
    assert two_factor.verify(user, renewed[1], now=NOW) is None


def test_turning_it_off_needs_the_password_and_an_admin_can_reset_it(ctx):
    user = make_user()
    enrolled(user)
    with pytest.raises(AccountError, match="current password is not right"):
        two_factor.disable(user, "wrong password", now=NOW)
    two_factor.disable(user, PASSWORD, now=NOW)
    assert not user.two_factor and db.session.scalar(select(RecoveryCode)) is None
    enrolled(user)
    admin = make_user(email="admin@example.com", role="admin")
    two_factor.reset(user, actor=admin, now=NOW)
    assert not user.two_factor
    with pytest.raises(AccountError, match="does not use two-factor"):
        two_factor.reset(user, actor=admin, now=NOW)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("two_factor.%"))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["two_factor.enabled", "two_factor.disabled", "two_factor.enabled", "two_factor.reset"]
