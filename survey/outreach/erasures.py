"""Tombstones of erased contacts: who must not be imported again.

Erasing a contact (survey.outreach.contacts.erase_contact) deletes everything about them, but the list they came
from still holds their address: importing it again would bring them back. So erasure keeps one thing, a
keyed hash of the address, and every path that creates contacts from someone else's data — the CSV import
(command and page), the API's contact upsert, triggered events, personal links made by address — skips an
address that has one, saying how many it skipped and never which.

The hash is HMAC-SHA256, not a bare SHA-256: an address is guessable, and a bare hash is reversed by
hashing a customer list or a breach dump and comparing. The key is not in the database — HEARKEN_ERASURE_KEY,
or one derived from HEARKEN_SECRET_KEY when that is unset — so a stolen database or backup alone cannot be
tested against a list. The cost: with another key the tombstones match nothing. A dedicated setting lets an
operator rotate the session key (HEARKEN_SECRET_KEY) without forgetting every erasure.

An erased person comes back only when an admin runs `flask forget-erasure EMAIL` — at that person's
request — which deletes the tombstone; then the next import adds them as a new contact, with nothing of
their past.
"""
from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime
from typing import cast

from flask import current_app
from sqlalchemy import CursorResult, delete, select

from survey.extensions import db
from survey.models import ErasedAddress, audit

FEW = 1000  # up to this many addresses, look up only theirs (an IN list); beyond, read every tombstone


def _key() -> bytes:
    dedicated = current_app.config.get("ERASURE_KEY")
    if dedicated:
        return dedicated.encode("utf-8")
    # Derived, not the secret itself: a digest here never doubles as anything signed with SECRET_KEY.
    return hmac.digest(current_app.config["SECRET_KEY"].encode("utf-8"), b"hearken erased addresses", "sha256")


def _digest(key: bytes, address: str) -> str:
    # "email:" names the kind of key, so another identifier (an external id) could never collide with it.
    return hmac.digest(key, b"email:" + address.encode("utf-8"), "sha256").hex()


def erased_among(addresses: Iterable[str]) -> set[str]:
    """Which of these addresses (normalised, as stored: survey.outreach.invitations.normalise_email) were erased."""
    key = _key()
    by_digest = {_digest(key, address): address for address in addresses}
    if not by_digest:
        return set()
    query = select(ErasedAddress.digest)
    if len(by_digest) <= FEW:
        query = query.where(ErasedAddress.digest.in_(list(by_digest)))
    return {by_digest[d] for d in db.session.scalars(query) if d in by_digest}


def is_erased(address: str) -> bool:
    return bool(erased_among([address]))


def remember(address: str, *, now: datetime) -> None:
    """Keep the tombstone of an address being erased (in the caller's transaction)."""
    digest = _digest(_key(), address)
    if db.session.scalar(select(ErasedAddress.id).where(ErasedAddress.digest == digest)) is None:
        db.session.add(ErasedAddress(digest=digest, erased_at=now))


def forget(address: str, *, now: datetime, actor: str, actor_id: int | None = None) -> bool:
    """Delete an address's tombstone, so that imports add the person again; False when there was none.
    Audited without the address."""
    # A DELETE's result is a CursorResult, which has the row count; Session.execute is typed for any statement.
    removed = cast(CursorResult, db.session.execute(delete(ErasedAddress).where(
        ErasedAddress.digest == _digest(_key(), address)))).rowcount
    if removed:
        audit.record("erasure.forgotten", "erased_addresses", now=now, actor=actor, actor_id=actor_id)
    db.session.commit()
    return bool(removed)
