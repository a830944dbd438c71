from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model, one_of

WEBHOOK_EVENTS = ("response.completed", "alert.raised", "case.updated", "change.published")
# "ping" is not subscribed to: it is sent on demand, to one endpoint, to check its setup.
PING_EVENT = "ping"
# How deliveries are signed: "standard" is Standard Webhooks (webhook-id, webhook-timestamp,
# webhook-signature), what the standardwebhooks libraries verify; "hearken" is the Stripe-style
# Hearken-Signature header of the first release, kept for receivers built for it.
SIGNATURE_SCHEMES = ("standard", "hearken")


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due at not_before (again, after a failed attempt)
    SENDING = "sending"  # claimed by a dispatcher until claimed_until
    DELIVERED = "delivered"
    FAILED = "failed"  # out of attempts, or refused for good


class WebhookEndpoint(Model):
    """An address another system gave us, the events it wants, and the secret its deliveries are signed with.

    The secret is kept in clear because every delivery is signed with it (an HMAC needs the key itself);
    the pages show it only when it is created or rotated. After a rotation the previous secret keeps
    signing alongside the new one until `previous_secret_until`, so the receiver can switch without
    refusing deliveries in between.

    `signature_scheme` says how deliveries are signed (SIGNATURE_SCHEMES): new endpoints use Standard
    Webhooks; those registered before it existed were migrated to "hearken", the scheme their receivers
    check.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    signature_scheme: Mapped[str] = mapped_column(String(20), default="standard")
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by = relationship("User")


class WebhookDelivery(Model):
    """One event for one endpoint: the exact body sent (and re-sent), and how its attempts went.

    Written in the transaction that caused the event and sent by the dispatcher with the email outbox's
    claim, lease and backoff (survey.background.dispatch). `delivery_id` goes out in the Hearken-Delivery header and
    stays the same on every retry and redelivery, so a receiver can recognise a duplicate.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_status_due", "status", "not_before"),
                      Index("ix_webhook_deliveries_endpoint_latest", "endpoint_id", "id"),
                      one_of("status", DeliveryStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]  # when it is due; once delivered or failed, when it was last tried
    claimed_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_status: Mapped[int | None]  # the HTTP status of the last reply; None when there was no reply
    last_error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    endpoint: Mapped[WebhookEndpoint] = relationship()
