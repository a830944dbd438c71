"""Sending claimed webhook deliveries over HTTP and recording how each attempt went.

The dispatcher claims due deliveries exactly as it claims email (survey.background.dispatch.claim: lease, SKIP
LOCKED, attempts) and hands them here. Each attempt re-checks the URL against the address rules, connects
to the address that was checked (never a second lookup), POSTs the stored body with a fresh signature in
the endpoint's scheme (Standard Webhooks or Hearken-Signature: survey.webhooks.events), and reads at most
MAX_REPLY_BYTES of the reply. A 2xx is delivered; anything else — another status, a
redirect (never followed), a refused address, a network error — is retried with the email backoff until
MAX_ATTEMPTS, then failed. No database transaction stays open while a receiver is being called.
"""
from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, select, update

from survey import webhooks
from survey.clock import unix_seconds
from survey.extensions import db
from survey.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from survey.webhooks.addresses import AddressRefused, Target, vet

# With the backoff of 1, 2, 4 … minutes (at most six hours), twelve attempts span about 20 hours: a
# receiver down overnight still gets everything.
MAX_ATTEMPTS = 12
# Claimed together: ten slow receivers take at most five minutes (TOTAL_TIMEOUT each), well inside the
# dispatcher's ten-minute lease, so no other worker takes them over while they are still being tried.
BATCH_SIZE = 10
CONNECT_TIMEOUT = 10  # seconds, also the longest wait for each read
TOTAL_TIMEOUT = 30  # seconds for a whole attempt: a receiver that drips its reply is cut off
MAX_REPLY_BYTES = 4096  # read from the reply at most; the rest is never downloaded
EXCERPT_CHARS = 500
USER_AGENT = "Hearken-Webhooks/1"
# Delivered and failed deliveries are kept this long after their last try, then deleted: the history is
# for checking a setup and investigating failures, and the bodies hold customers' answers.
HISTORY = timedelta(days=30)


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status: int | None = None
    error: str | None = None
    excerpt: str | None = None
    final: bool = False  # no point trying again (the endpoint was disabled)


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.delivered, self.retried = self.delivered + other.delivered, self.retried + other.retried
        self.failed += other.failed
        self.errors.extend(other.errors)


def _connect(addresses: Iterable[str], port: int, timeout: float, deadline: float) -> socket.socket:
    """A TCP connection to the first vetted address that answers (an IPv6 address may be listed first on
    a host without an IPv6 route), giving up at `deadline` (time.monotonic())."""
    error: OSError = OSError("no address to connect to")
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"could not connect within {TOTAL_TIMEOUT} s ({error})")
        try:
            return socket.create_connection((address, port), timeout=min(timeout, remaining))
        except OSError as failure:
            error = failure
    raise error


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a vetted address: the Host header names the host, the socket goes to the checked address."""

    timeout: float  # always given here; http.client also takes None (no timeout)

    def __init__(self, target: Target, timeout: float, **options):
        super().__init__(target.host, target.port, timeout=timeout, **options)
        self.addresses, self.deadline = target.addresses, time.monotonic() + TOTAL_TIMEOUT

    def pinned_socket(self) -> socket.socket:
        return _connect(self.addresses, self.port, self.timeout, self.deadline)

    def connect(self) -> None:
        self.sock = self.pinned_socket()


class PinnedHTTPSConnection(PinnedHTTPConnection, http.client.HTTPSConnection):
    """HTTPS to a vetted address, with SNI and certificate verification for the host name."""

    def __init__(self, target: Target, timeout: float):
        self.tls = ssl.create_default_context()
        super().__init__(target, timeout, context=self.tls)

    def connect(self) -> None:
        self.sock = self.tls.wrap_socket(self.pinned_socket(), server_hostname=self.host)


def _cut(connection: http.client.HTTPConnection) -> None:
    """Called by the watchdog: end a connection that has taken longer than TOTAL_TIMEOUT."""
    if connection.sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(connection.sock, socket.SHUT_RDWR)  # the plain socket, also under TLS


def post(target: Target, body: bytes, headers: dict[str, str]) -> Outcome:
    """One attempt: POST the body to the vetted target; never follows a redirect."""
    kind = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    connection = kind(target, CONNECT_TIMEOUT)
    watchdog = threading.Timer(TOTAL_TIMEOUT, _cut, args=(connection,))
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        reply = connection.getresponse()
        excerpt = reply.read(MAX_REPLY_BYTES).decode("utf-8", "replace")[:EXCERPT_CHARS]
        status = reply.status
        location = reply.getheader("Location", "")
    except (OSError, http.client.HTTPException) as error:
        message = str(error) or type(error).__name__
        if not watchdog.is_alive():
            message = f"the receiver took longer than {TOTAL_TIMEOUT} s ({message})"
        return Outcome(False, error=f"{type(error).__name__}: {message}"[:2000])
    finally:
        watchdog.cancel()
        connection.close()
    if 200 <= status < 300:
        return Outcome(True, status, excerpt=excerpt)
    if 300 <= status < 400:
        return Outcome(False, status, f"The receiver redirected ({status}) to {location[:300] or 'nowhere'}; "
                                      "redirects are never followed. Register the final address.", excerpt)
    return Outcome(False, status, f"The receiver answered HTTP {status}.", excerpt)


@dataclass(frozen=True)
class Claimed:
    """What an attempt needs, read before any network I/O so no transaction stays open meanwhile."""

    id: int
    delivery_id: str
    event: str
    body: str
    attempts: int
    url: str
    active: bool
    signature_scheme: str
    signing_secrets: tuple[str, ...]


def attempt(claimed: Claimed, *, allowed_hosts: Iterable[str], signed_at: int) -> Outcome:
    """Check the address again (DNS may have changed since registration), then send, signed with the
    timestamp `signed_at` (Unix seconds)."""
    if not claimed.active:
        return Outcome(False, error="The endpoint is disabled.", final=True)
    try:
        target = vet(claimed.url, allowed_hosts=allowed_hosts)
    except AddressRefused as error:
        return Outcome(False, error=f"Refused: {error}")
    body = claimed.body.encode()
    # Hearken-Event and Hearken-Delivery go out in both schemes (in Standard Webhooks the delivery id is
    # also the webhook-id): a receiver switching schemes keeps its routing and de-duplication.
    return post(target, body, {
        "Content-Type": "application/json", "User-Agent": USER_AGENT, "Hearken-Event": claimed.event,
        "Hearken-Delivery": claimed.delivery_id,
        **webhooks.signature_headers(claimed.signature_scheme, claimed.signing_secrets, claimed.delivery_id,
                                     signed_at, body)})


def _claimed(ids: list[int], now: datetime) -> list[Claimed]:
    rows = db.session.execute(select(WebhookDelivery, WebhookEndpoint).join(WebhookEndpoint)
                              .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == DeliveryStatus.SENDING)
                              .order_by(WebhookDelivery.id)).all()
    claimed = [Claimed(d.id, d.delivery_id, d.event, d.body, d.attempts, e.url, e.active, e.signature_scheme,
                       tuple(webhooks.signing_secrets(e, now))) for d, e in rows]
    db.session.commit()  # end the transaction before calling anyone (SQLite holds its write lock until then)
    return claimed


def _storable(text: str | None) -> str | None:
    return text.replace("\x00", "\ufffd") if text else text


def record(claimed: Claimed, outcome: Outcome, *, now: datetime,
           retry_after: Callable[[int], timedelta]) -> DeliveryStatus:
    """Store an attempt's outcome and commit it; returns the delivery's new status."""
    # A finished delivery's not_before becomes its last try: the history is purged by it (indexed). What
    # the receiver said is its text, not ours: PostgreSQL refuses a NUL in it, and the delivery would never
    # be recorded (claimed again and again, sent every time).
    values = dict(last_attempt_at=now, last_status=outcome.status, last_error=_storable(outcome.error),
                  response_excerpt=_storable(outcome.excerpt), claimed_until=None, not_before=now)
    if outcome.delivered:
        status, values["delivered_at"] = DeliveryStatus.DELIVERED, now
    elif outcome.final or claimed.attempts >= MAX_ATTEMPTS:
        status = DeliveryStatus.FAILED
    else:
        status, values["not_before"] = DeliveryStatus.PENDING, now + retry_after(claimed.attempts)
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == claimed.id)
                       .values(status=status, **values))
    db.session.commit()
    return status


def send_claimed(ids: list[int], *, allowed_hosts: Iterable[str], clock: Callable[[], datetime],
                 retry_after: Callable[[int], timedelta]) -> DeliveryReport:
    """Attempt every claimed delivery once and record each outcome as soon as it is known."""
    report = DeliveryReport()
    for claimed in _claimed(ids, clock()):
        # The receiver checks the signature's timestamp against its own clock: the wall clock, not the
        # pass's `now` (which tests and `--now` may move).
        try:
            outcome = attempt(claimed, allowed_hosts=allowed_hosts, signed_at=unix_seconds())
        except Exception as error:  # noqa: BLE001 — recorded on the delivery: none may stay claimed forever
            outcome = Outcome(False, error=f"{type(error).__name__}: {error}"[:2000])
        try:
            status = record(claimed, outcome, now=clock(), retry_after=retry_after)
        except Exception as error:  # noqa: BLE001 — the rest of the batch still goes; this one is claimed again
            db.session.rollback()
            report.errors.append(f"webhook {claimed.delivery_id}: its outcome could not be recorded: "
                                 f"{type(error).__name__}: {error}")
            report.retried += 1
            continue
        if status == DeliveryStatus.DELIVERED:
            report.delivered += 1
            continue
        report.errors.append(f"webhook {claimed.delivery_id} to {claimed.url}: {outcome.error}")
        if status == DeliveryStatus.FAILED:
            report.failed += 1
        else:
            report.retried += 1
    return report


def purge_history(*, now: datetime) -> int:
    """Delete finished deliveries whose last try is older than HISTORY (one indexed DELETE)."""
    # A CursorResult, as DML gives; Session.execute is typed as returning a Result.
    result = cast(CursorResult, db.session.execute(delete(WebhookDelivery).where(
        WebhookDelivery.status.in_((DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)),
        WebhookDelivery.not_before < now - HISTORY)))
    db.session.commit()
    return result.rowcount
