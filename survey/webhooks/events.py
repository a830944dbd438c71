"""Webhooks: other systems told when something happens here, signed so they can trust it.

`emit` writes one delivery per active endpoint subscribed to the event, in the caller's transaction: the
event goes out if and only if what caused it was committed (a rolled-back response emits nothing). The
dispatcher sends deliveries like email (survey.webhooks.delivery), so a receiver that is down gets them
later, in the order they happened.

Every delivery is signed with the endpoint's secret in one of two schemes (its `signature_scheme`):

- "standard", Standard Webhooks (https://www.standardwebhooks.com), for new endpoints: `webhook-id` (the
  delivery's id, the same on every retry), `webhook-timestamp` (Unix seconds) and `webhook-signature:
  v1,<base64>`, HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the base64-decoded secret after its
  `whsec_` prefix — what the `standardwebhooks` libraries verify (`verify_standard` is the same check
  with the standard library only);
- "hearken", the first release's Stripe-style `Hearken-Signature: t=<unix seconds>,v1=<hex>`, HMAC-SHA256
  of "<t>.<body>" keyed with the whole secret string (`verify_signature`), for receivers built for it.

In both, the timestamp is inside the signature, so a recorded delivery replayed later fails; while a
rotated secret overlaps, each secret adds its own signature.

Secrets made before Standard Webhooks (`whsec_` + URL-safe base64 without padding) are not base64 as the
spec reads it, so they sign only the "hearken" scheme, as they always did; every secret made now is
`whsec_` + standard base64 of 32 random bytes, valid in both (docs/webhooks.md).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, delete, func, or_, select

from survey.clock import utcnow
from survey.extensions import db
from survey.links import external_url
from survey.models import (
    Alert,
    ChangeEntry,
    Contact,
    FollowUpCase,
    Response,
    Survey,
    SurveyVersion,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    audit,
)
from survey.models.webhooks import PING_EVENT, SIGNATURE_SCHEMES, WEBHOOK_EVENTS, DeliveryStatus
from survey.webhooks.addresses import AddressRefused, vet

SIGNATURE_TOLERANCE = 300  # seconds a receiver should accept between our timestamp and its clock
# After a rotation the old secret keeps signing alongside the new one for this long, so the receiver can
# switch to the new secret without refusing what is already on its way.
ROTATION_OVERLAP = timedelta(hours=24)
EVENT_LABELS = {
    "response.completed": "A customer submitted (or changed) a response",
    "alert.raised": "Trend detection raised an alert (a drop or a rise)",
    "case.updated": "A follow-up case was opened, changed status or changed owner",
    "change.published": "A change entry was published on the public changes page",
}
CASE_CHANGES = ("opened", "status", "owner")
SCHEME_LABELS = {
    "standard": "Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature headers, verified by "
                "the standardwebhooks libraries (Python, JavaScript, Go, Java, Ruby …)",
    "hearken": "Hearken-Signature (t=…,v1=<hex>): the scheme of Hearken's first release, for receivers built "
               "for it",
}
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the spec asks for 24 to 64 random bytes

Payload = Mapping[str, object] | Callable[[], Mapping[str, object]]


class WebhookError(ValueError):
    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


# --- signing ----------------------------------------------------------------------------------------

def new_secret() -> str:
    """256 bits from the CSPRNG as Standard Webhooks serialises a secret: `whsec_` and standard base64 (with
    its padding). The prefix tells a leaked string for what it is."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes | None:
    """The HMAC key Standard Webhooks signs with: the base64 after `whsec_`, decoded; None for a secret that
    is not base64 of 24 to 64 bytes (one made before Hearken spoke Standard Webhooks, which was URL-safe
    base64 without padding: the libraries would decode it into another key, or refuse it)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if 24 <= len(key) <= 64 else None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The "hearken" scheme's signature: hex HMAC-SHA256 of "<timestamp>.<body>", keyed with the whole secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign_standard(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """A Standard Webhooks signature, `v1,<base64>`: HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the
    decoded secret."""
    key = secret_key(secret)
    if key is None:
        raise ValueError("this secret predates Standard Webhooks; rotate it to sign that way")
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_headers(scheme: str, signing_secrets: Sequence[str], delivery_id: str, timestamp: int,
                      body: bytes) -> dict[str, str]:
    """The headers that sign `body` in `scheme`, one signature per secret (two while a rotated secret
    overlaps). In Standard Webhooks the delivery id is the `webhook-id`, so it is the same on every retry
    and redelivery, as the spec's idempotency asks; a secret made before it (a rotated-away one still
    overlapping) cannot sign that way and is left out."""
    if scheme == "hearken":
        return {"Hearken-Signature": signature_header(signing_secrets, timestamp, body)}
    if scheme != "standard":
        raise ValueError(f"unknown signature scheme {scheme!r}")
    signatures = [sign_standard(secret, delivery_id, timestamp, body)
                  for secret in signing_secrets if secret_key(secret) is not None]
    if not signatures:
        raise ValueError("the endpoint's secret predates Standard Webhooks; rotate it to sign that way")
    return {"webhook-id": delivery_id, "webhook-timestamp": str(timestamp), "webhook-signature": " ".join(signatures)}


def verify_standard(secret: str, headers: Mapping[str, str], body: bytes | str, now: float,
                    tolerance: int = SIGNATURE_TOLERANCE) -> bool:
    """True when the Standard Webhooks headers sign exactly `body` with `secret` (`whsec_…`) and
    `webhook-timestamp` is within `tolerance` seconds of `now` (Unix seconds). What
    `standardwebhooks.Webhook(secret).verify(body, headers)` checks, with the standard library only."""
    body = body.encode() if isinstance(body, str) else body
    headers = {name.lower(): value for name, value in headers.items()}
    message_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    key = secret_key(secret)
    if key is None or not message_id or not (stamp.isascii() and stamp.isdigit()) or abs(now - int(stamp)) > tolerance:
        return False
    digest = hmac.new(key, f"{message_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    expected = b"v1," + base64.b64encode(digest)
    return any(hmac.compare_digest(expected, signature.encode())
               for signature in headers.get("webhook-signature", "").split(" "))


def signature_header(signing_secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """`t=<timestamp>,v1=<signature>` with one v1 per secret (two while a rotated secret overlaps)."""
    return ",".join([f"t={timestamp}", *(f"v1={sign(secret, timestamp, body)}" for secret in signing_secrets)])


def verify_signature(secret: str, header: str, body: bytes | str, now: float, tolerance: int = SIGNATURE_TOLERANCE
                     ) -> bool:
    """True when `header` (Hearken-Signature) signs exactly `body` with `secret` and its timestamp is within
    `tolerance` seconds of `now` (Unix seconds, e.g. time.time()). Pass the raw request body, before any
    JSON parsing: re-serialised JSON is not the same bytes."""
    body = body.encode() if isinstance(body, str) else body
    timestamp, signatures = None, []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    # Compared as bytes: compare_digest refuses a str with characters outside ASCII (TypeError, a 500 at
    # the receiver) and a forged header may hold any.
    expected = sign(secret, timestamp, body).encode()
    return any(hmac.compare_digest(expected, signature.encode()) for signature in signatures)


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


# --- events -----------------------------------------------------------------------------------------

def timestamp(moment: datetime | None) -> str | None:
    """Stored times are naive UTC: ISO 8601 with the Z that says so."""
    return moment.isoformat(timespec="seconds") + "Z" if moment is not None else None


def _body(event: str, event_id: str, data: Mapping[str, object], now: datetime) -> str:
    return json.dumps({"id": event_id, "event": event, "created_at": timestamp(now), "data": data},
                      ensure_ascii=False, separators=(",", ":"))


def _queue(endpoint_id: int, event: str, body: str, now: datetime) -> WebhookDelivery:
    delivery = WebhookDelivery(endpoint_id=endpoint_id, delivery_id=str(uuid.uuid4()), event=event, body=body,
                               status=DeliveryStatus.PENDING, attempts=0, not_before=now, created_at=now)
    db.session.add(delivery)
    return delivery


Subscribers = Sequence[tuple[int, Sequence[str]]]  # active endpoints: (id, events)


# Built once: every submission reads it, and building it cost about as much as running it.
_SUBSCRIBERS = select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.active.is_(True))


def subscribers() -> Subscribers:
    """The active endpoints and their events, for a caller that emits several events in one transaction
    (a submission that also opens a follow-up case) and so need not read them once per event."""
    # On the transaction's connection: read on every submission, and Session.execute's ORM dispatch cost
    # twice the query. Flushed first as Session.execute would (an endpoint added in this transaction counts).
    db.session.flush()
    return db.session.connection().execute(_SUBSCRIBERS).all()


def emit(event: str, payload: Payload, *, now: datetime, endpoints: Subscribers | None = None) -> int:
    """Queue `event` for every active endpoint subscribed to it, in the caller's transaction (the caller
    commits). `payload` may be a function: it is only built when someone is subscribed, so an
    installation without webhooks pays one small query (none when the caller passes `subscribers()` read
    in the same transaction). Returns how many deliveries were queued."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    subscribed = [endpoint_id for endpoint_id, events in (subscribers() if endpoints is None else endpoints)
                  if event in events]
    if not subscribed:
        return 0
    # One event id for every endpoint (a receiver behind several endpoints can de-duplicate on it); each
    # delivery has its own id in the Hearken-Delivery header.
    body = _body(event, str(uuid.uuid4()), payload() if callable(payload) else payload, now)
    for endpoint_id in subscribed:
        _queue(endpoint_id, event, body, now)
    return len(subscribed)


def _email(contact_id: int | None) -> str | None:
    contact = db.session.get(Contact, contact_id) if contact_id else None
    return contact.email if contact else None


def response_completed(response: Response, version: SurveyVersion, values: Mapping[str, object], *,
                       now: datetime, endpoints: Subscribers | None = None) -> None:
    """Every stored submission: a new response (revision 1) and every change of answers (revision 2, 3 …),
    so a receiver always holds the latest answers. A duplicate of the same form is not stored, so not sent."""
    emit("response.completed", lambda: {
        "survey": version.survey.slug, "response_id": response.id, "version": version.number,
        "revision": response.revisions_count, "submitted_at": timestamp(response.submitted_at),
        "updated_at": timestamp(response.updated_at), "source": response.source, "answers": dict(values),
        "attributes": dict(response.attributes or {}),
        "consents": {"quote": response.quote_consent, "contact": response.contact_consent},
        "email": _email(response.contact_id),
        "url": external_url("manage.responses.response_detail", response_id=response.id)}, now=now, endpoints=endpoints)


def alert_raised(alert: Alert, survey: Survey, *, now: datetime) -> None:
    """A new alert, with the fields of `detect-trends --json` (docs/formats.md)."""
    emit("alert.raised", lambda: {
        "id": alert.id, "survey": survey.slug, "question": alert.question_key, "metric": alert.metric,
        "kind": alert.kind, "segment": dict(alert.segment or {}), "period_before": alert.period_before,
        "period_after": alert.period_after, "n_before": alert.n_before, "n_after": alert.n_after,
        "value_before": alert.value_before, "value_after": alert.value_after, "difference": alert.difference,
        "ci_low": alert.ci_low, "ci_high": alert.ci_high, "p_value": alert.p_value, "q_value": alert.q_value,
        "method": alert.method, "direction": alert.direction, "created_at": timestamp(alert.created_at),
        "url": external_url("manage.alerts.alert_detail", alert_id=alert.id)}, now=now)


def _case_data(case: FollowUpCase, change: str) -> dict[str, object]:
    if case.id is None:
        db.session.flush()  # a case opened in this transaction gets its id
    owner = db.session.get(User, case.owner_id) if case.owner_id else None
    return {"id": case.id, "change": change, "reason": case.reason, "status": case.status, "summary": case.summary,
            "team": case.team, "owner": owner.email if owner else None, "opened_at": timestamp(case.opened_at),
            "due_at": timestamp(case.due_at), "first_contact_at": timestamp(case.first_contact_at),
            "resolved_at": timestamp(case.resolved_at), "problem_fixed": case.problem_fixed,
            "response_id": case.response_id, "complaint_id": case.complaint_id, "email": _email(case.contact_id),
            "url": external_url("manage.cases.case_detail", case_id=case.id)}


def case_updated(case: FollowUpCase, change: str, *, now: datetime, endpoints: Subscribers | None = None) -> None:
    """`change` says what happened: opened, status or owner."""
    if change not in CASE_CHANGES:
        raise ValueError(f"unknown case change {change!r}")
    emit("case.updated", lambda: _case_data(case, change), now=now, endpoints=endpoints)


def change_published(entry: ChangeEntry, *, now: datetime) -> None:
    """Call just before the entry is marked published: publishing an entry that is already public again is
    not news, so it emits nothing (unpublishing and publishing again does)."""
    if entry.published_at is not None:
        return
    emit("change.published", lambda: {
        "id": entry.id, "title": entry.title, "you_said": entry.you_said, "we_did": entry.we_did,
        "category": entry.category, "status": entry.status, "changed_on": entry.changed_on.isoformat(),
        "published_at": timestamp(now), "url": external_url("public.changes") + f"#change-{entry.id}"}, now=now)


# --- endpoints --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EndpointInput:
    url: str
    description: str
    events: tuple[str, ...]
    signature_scheme: str = "standard"


def _validated(data: EndpointInput, allowed_hosts: Iterable[str], secret: str | None = None) -> dict:
    """The endpoint's values, cleaned; `secret` is the current one of an endpoint being changed."""
    problems = {}
    url = data.url.strip()
    try:
        vet(url, allowed_hosts=allowed_hosts)
    except AddressRefused as error:
        problems["url"] = str(error)
    events = [event for event in WEBHOOK_EVENTS if event in data.events]
    if not events or set(data.events) - set(WEBHOOK_EVENTS):
        problems["events"] = "Choose at least one of the events listed."
    description = " ".join(data.description.split())
    if len(description) > 200:
        problems["description"] = "At most 200 characters."
    if data.signature_scheme not in SIGNATURE_SCHEMES:
        problems["signature_scheme"] = "Choose one of the signature schemes listed."
    elif data.signature_scheme == "standard" and secret is not None and secret_key(secret) is None:
        problems["signature_scheme"] = (
            "This endpoint's secret was made before Hearken spoke Standard Webhooks and cannot sign that way. "
            "Rotate the secret first (the new one works with both schemes), give it to the receiver, then "
            "choose Standard Webhooks.")
    if problems:
        raise WebhookError(problems)
    return dict(url=url, description=description, events=events, signature_scheme=data.signature_scheme)


def create_endpoint(data: EndpointInput, *, allowed_hosts: Iterable[str], actor_id: int | None,
                    now: datetime) -> WebhookEndpoint:
    """Register an endpoint (its URL checked against the address rules); its new secret is `.secret`."""
    endpoint = WebhookEndpoint(**_validated(data, allowed_hosts), secret=new_secret(), active=True,
                               created_at=now, created_by_id=actor_id)
    db.session.add(endpoint)
    db.session.flush()  # its id, for the audit entry
    audit.record("webhook.created", f"webhook:{endpoint.id}", now=now, url_host=urlsplit(endpoint.url).hostname,
                 events=list(endpoint.events))
    db.session.commit()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, data: EndpointInput, *, allowed_hosts: Iterable[str],
                    now: datetime | None = None) -> None:
    """Change the URL, description, events or signature scheme; nothing changes when any of them is refused."""
    now = now or utcnow()  # optional: callers from before the audit log pass none
    for name, value in _validated(data, allowed_hosts, secret=endpoint.secret).items():
        setattr(endpoint, name, value)
    audit.record("webhook.changed", f"webhook:{endpoint.id}", now=now, url_host=urlsplit(endpoint.url).hostname,
                 events=list(endpoint.events), signature_scheme=endpoint.signature_scheme)
    db.session.commit()


def rotate_secret(endpoint: WebhookEndpoint, *, now: datetime) -> str:
    """A new secret; the old one keeps signing too for ROTATION_OVERLAP. Returns the new secret."""
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    audit.record("webhook.secret_rotated", f"webhook:{endpoint.id}", now=now)
    db.session.commit()
    return endpoint.secret


def set_active(endpoint: WebhookEndpoint, active: bool, *, now: datetime | None = None) -> None:
    """A disabled endpoint gets no new deliveries; those already queued fail with "endpoint disabled" when
    their turn comes, and can be redelivered once it is enabled again."""
    now = now or utcnow()  # optional: callers from before the audit log pass none
    endpoint.active = active
    audit.record("webhook.enabled" if active else "webhook.disabled", f"webhook:{endpoint.id}", now=now)
    db.session.commit()


def delete_endpoint(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> None:
    now = now or utcnow()  # optional: callers from before the audit log pass none
    audit.record("webhook.deleted", f"webhook:{endpoint.id}", now=now, url_host=urlsplit(endpoint.url).hostname)
    db.session.delete(endpoint)  # its deliveries go with it (ON DELETE CASCADE)
    db.session.commit()


def send_ping(endpoint: WebhookEndpoint, *, now: datetime) -> WebhookDelivery:
    """Queue a `ping` to this endpoint alone, whatever it subscribes to, to check the setup end to end."""
    body = _body(PING_EVENT, str(uuid.uuid4()),
                 {"endpoint_id": endpoint.id, "url": endpoint.url, "events": list(endpoint.events)}, now)
    delivery = _queue(endpoint.id, PING_EVENT, body, now)
    db.session.commit()
    return delivery


def redeliver(delivery: WebhookDelivery, *, now: datetime) -> None:
    """Send a failed delivery again: the same body and delivery id (so a receiver that did process it can
    tell), with a fresh set of attempts."""
    if delivery.status != DeliveryStatus.FAILED:
        raise WebhookError({"delivery": "Only a failed delivery can be redelivered."})
    delivery.status, delivery.attempts = DeliveryStatus.PENDING, 0
    delivery.not_before, delivery.claimed_until = now, None
    db.session.commit()


def forget_contact(email: str, complaint_ids: Sequence[int] = ()) -> int:
    """Delete every delivery whose body carries this customer's email address, or one of their complaints
    (a case.updated sent before the complaint was linked to them carries its words, not their address),
    sent or not (for erasure: survey.outreach.contacts erases the rest). What a receiver already got is theirs to
    erase."""
    carried = [f'"email":{json.dumps(email, ensure_ascii=False)}']
    # Bodies are compact JSON: the id ends at a comma or a brace (so complaint 12 is not complaint 120).
    carried += [f'"complaint_id":{number}{end}' for number in complaint_ids for end in ",}"]
    # A CursorResult, as DML gives; Session.execute is typed as returning a Result.
    return cast(CursorResult, db.session.execute(delete(WebhookDelivery).where(
        or_(*(WebhookDelivery.body.contains(text, autoescape=True) for text in carried))))).rowcount


# --- reading ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EndpointSummary:
    endpoint: WebhookEndpoint
    counts: dict[str, int]  # status → deliveries


def endpoint_summaries() -> list[EndpointSummary]:
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    counts: dict[int, dict[str, int]] = {endpoint.id: {} for endpoint in endpoints}
    for endpoint_id, status, n in db.session.execute(
            select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
            .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)):
        counts.setdefault(endpoint_id, {})[status] = n
    return [EndpointSummary(endpoint, counts[endpoint.id]) for endpoint in endpoints]


def recent_deliveries(endpoint: WebhookEndpoint, *, limit: int = 100) -> list[WebhookDelivery]:
    """The endpoint's history, latest first."""
    return list(db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                                   .order_by(WebhookDelivery.id.desc()).limit(limit)))
