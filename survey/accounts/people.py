"""People, for admins: invite a colleague by email, resend or revoke the invitation, change a role,
deactivate and reactivate an account; the organisation's sign-in policy. Every change is written to the
audit log (never a password or a link).

Decisions, written down because the issue leaves them open:

- An invitation is an account with status `invited`, no password and a one-time link (survey/accounts/
  one_time.py) valid HEARKEN_INVITATION_DAYS days. Revoking it deletes the account (it was never used), so
  the address can be invited again; resending issues a new link and the old one stops working.
- Someone invited who signs in with single sign-on first (same verified address) simply arrives: the
  provider vouches for them (survey/accounts/sso.py).
- Deactivating rotates the session nonce, so every session ends at once, and API tokens the person made stop
  working while they stay deactivated (survey/accounts/api_tokens.py); reactivating lets those tokens work
  again (revoke them on the API tokens page if they should not).
- Whatever the change, at least one active admin remains: the last one cannot be demoted or deactivated.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import case, select

from survey import mail
from survey.accounts import one_time
from survey.accounts.users import AccountError, parse_address, record_sign_in
from survey.extensions import db
from survey.links import external_url
from survey.models import ROLES, AccountPolicy, AccountTokenPurpose, User, UserStatus
from survey.models.audit import record as record_audit
from survey.models.users import new_session_nonce


def _actor(actor: User | None) -> tuple[str, int | None]:
    return (f"user:{actor.id}", actor.id) if actor is not None else ("cli", None)


def audit(action: str, subject: User, *, actor: User | None, now: datetime, **detail) -> None:
    """An audit entry about `subject`, in the caller's transaction."""
    name, actor_id = _actor(actor)
    record_audit(action, f"user:{subject.id}", now=now, actor=name, actor_id=actor_id, **detail)


def list_people() -> list[User]:
    """Everyone: active first, then invited, then deactivated; by address within each."""
    order = case({UserStatus.ACTIVE: 0, UserStatus.INVITED: 1}, value=User.status, else_=2)
    return list(db.session.scalars(select(User).order_by(order, User.email)))


def invitation_lifetime() -> timedelta:
    return timedelta(days=current_app.config["INVITATION_DAYS"])


def invite(email: str, role: str, *, actor: User | None, now: datetime) -> tuple[User, str]:
    """An invited account for `email` with `role`, and the link emailed to it (also returned, for the command
    line). Committed."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    address = parse_address(email)
    existing = db.session.scalar(select(User).where(User.email == address))
    if existing is not None:
        already = "has been invited already (resend the invitation instead)" if existing.status == UserStatus.INVITED \
            else "already has an account"
        raise AccountError(f"{address} {already}")
    user = User(email=address, name="", role=role, status=UserStatus.INVITED, password_hash="", created_at=now,
                invited_by_id=actor.id if actor is not None else None)
    db.session.add(user)
    link = _send_invitation(user, actor=actor, now=now)
    audit("user.invited", user, actor=actor, now=now, email=address, role=role)
    db.session.commit()
    return user, link


def resend_invitation(user: User, *, actor: User | None, now: datetime) -> str:
    """A new link for an invited account; the old one stops working. Committed."""
    if user.status != UserStatus.INVITED:
        raise AccountError(f"{user.email} is not waiting for an invitation")
    link = _send_invitation(user, actor=actor, now=now)
    audit("invitation.resent", user, actor=actor, now=now, email=user.email)
    db.session.commit()
    return link


def _send_invitation(user: User, *, actor: User | None, now: datetime) -> str:
    lifetime = invitation_lifetime()
    secret = one_time.issue(user, AccountTokenPurpose.INVITATION, now=now, valid_for=lifetime)
    link = external_url("auth.accept_invitation", token=secret)
    organisation = current_app.config["ORGANISATION_NAME"]
    inviter = (actor.name or actor.email) if actor is not None else None
    text = render_template("email/staff_invitation.txt", link=link, role=user.role, inviter=inviter,
                           organisation=organisation, days=lifetime.days, expires_at=now + lifetime)
    mail.queue(mail.Rendered(f"You are invited to {organisation}'s Hearken"[:300], text, None, {}),
               kind="staff_invitation", recipient=user.email, now=now)
    return link


def revoke_invitation(user: User, *, actor: User | None, now: datetime) -> None:
    """Withdraw an invitation: the account (never used) is deleted with its link. Committed."""
    if user.status != UserStatus.INVITED:
        raise AccountError(f"{user.email} is not waiting for an invitation")
    audit("invitation.revoked", user, actor=actor, now=now, email=user.email, role=user.role)
    db.session.delete(user)
    db.session.commit()


def accept_invitation(secret: str, *, name: str, password: str, now: datetime) -> User:
    """The invited account the link names, now active with this name and password and signed in. Committed.
    AccountError when the link is unknown, used or expired, or the password is not acceptable."""
    user, password_hash = one_time.redeem(secret, AccountTokenPurpose.INVITATION, status=UserStatus.INVITED,
                                          password=password, now=now)
    user.password_hash = password_hash
    user.name = name.strip()[:200]
    user.status = UserStatus.ACTIVE
    audit("invitation.accepted", user, actor=user, now=now)
    record_sign_in(user, method="invitation", now=now)  # commits
    return user


def _lock_admins() -> list[int]:
    """The active admins' ids, their rows locked until the commit: two admins demoting each other at the same
    moment cannot both pass the last-admin rule (SQLite serialises writers anyway)."""
    return list(db.session.scalars(select(User.id).where(User.role == "admin", User.status == UserStatus.ACTIVE)
                                   .order_by(User.id).with_for_update()))


def _keep_an_admin(user: User, *, actor: User | None) -> None:
    if user.role == "admin" and user.status == UserStatus.ACTIVE and _lock_admins() == [user.id]:
        who = "you are" if actor is not None and actor.id == user.id else f"{user.email} is"
        raise AccountError(f"{who} the last active admin: make someone else an admin first")


def change_role(user: User, role: str, *, actor: User | None, now: datetime) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if role == user.role:
        return
    if role != "admin":
        _keep_an_admin(user, actor=actor)
    audit("user.role_changed", user, actor=actor, now=now, before=user.role, after=role)
    user.role = role
    db.session.commit()


def deactivate(user: User, *, actor: User | None, now: datetime) -> None:
    """The account can no longer sign in; its sessions end now and its API tokens stop. Committed."""
    if user.status != UserStatus.ACTIVE:
        raise AccountError(f"{user.email} is not an active account")
    _keep_an_admin(user, actor=actor)
    user.status, user.deactivated_at = UserStatus.DEACTIVATED, now
    user.session_nonce = new_session_nonce()
    audit("user.deactivated", user, actor=actor, now=now)
    db.session.commit()


def reactivate(user: User, *, actor: User | None, now: datetime) -> None:
    if user.status != UserStatus.DEACTIVATED:
        raise AccountError(f"{user.email} is not deactivated")
    user.status, user.deactivated_at = UserStatus.ACTIVE, None
    audit("user.reactivated", user, actor=actor, now=now)
    db.session.commit()


def find_person(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def admins_must_use_two_factor() -> bool:
    policy = db.session.get(AccountPolicy, 1)
    return policy is not None and policy.require_admin_two_factor


def set_admin_two_factor_rule(required: bool, *, actor: User | None, now: datetime) -> None:
    policy = db.session.get(AccountPolicy, 1)
    if policy is None:
        policy = AccountPolicy(id=1, updated_at=now)
        db.session.add(policy)
    policy.require_admin_two_factor, policy.updated_at = required, now
    policy.updated_by_id = actor.id if actor is not None else None
    name, actor_id = _actor(actor)
    record_audit("settings.changed", "account_policy", now=now, actor=name, actor_id=actor_id,
                 require_admin_two_factor=required)
    db.session.commit()


def invited_account(secret: str, *, now: datetime) -> User | None:
    """The invited account a live invitation link names, or None. Only reads."""
    token = one_time.find(secret, AccountTokenPurpose.INVITATION, now=now)
    user = db.session.get(User, token.user_id) if token is not None else None
    return user if user is not None and user.status == UserStatus.INVITED else None
