from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey.extensions import Model, one_of
from survey.models.webhooks import DeliveryStatus

PRIORITIES = ("high", "normal", "low")
# The reasons a team sets a priority for; "review" and "manual" cases are always normal.
PRIORITY_REASONS = ("low_score", "complaint", "contact_request")


class Team(Model):
    """Who follows up which cases, and the response-time standard they keep.

    A case belongs to the first team by `position` whose segment rule its customer's attributes match
    (`rule_attribute` in `rule_values`, e.g. location in {Leeds}), else to the default team (`is_default`,
    no rule). The standard is counted in the team's working hours: `hours` holds, Monday first, [from, until]
    in minutes after local midnight or null for a closed day; `holidays` ISO dates; both times in working
    minutes. `priorities` maps a case reason to high, normal or low; a high-priority case gets half the times.
    """

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    is_default: Mapped[bool] = mapped_column(default=False)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rule_attribute: Mapped[str] = mapped_column(String(100), default="")
    rule_values: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    hours: Mapped[list] = mapped_column(JSON, default=list)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_contact_minutes: Mapped[int] = mapped_column(default=1440)
    resolve_minutes: Mapped[int] = mapped_column(default=5 * 1440)
    priorities: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]

    lead = relationship("User")
    # Who works the team's cases (offered first when a case is assigned); the lead is one of them.
    members = relationship("User", secondary="team_members", order_by="User.email", viewonly=True)


class TeamMember(Model):
    """A member of staff in a team. A person may be in several teams (a manager covering two locations)."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime]


class RootCause(Model):
    """A root-cause code chosen when a case is closed (one list for the organisation, so causes that recur
    across teams are counted together). Retired codes stay on the cases that chose them."""

    __tablename__ = "root_causes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


CHAT_KINDS = ("slack", "teams")  # Slack incoming webhooks; Microsoft Teams Workflows webhooks
CHAT_EVENTS = ("alert", "overdue", "complaint")


class ChatChannel(Model):
    """A Slack or Microsoft Teams channel's incoming-webhook address, for one team or (team_id None) for the
    whole organisation. The URL is itself the credential (anyone holding it can post), so it is kept as
    webhook endpoints' secrets are — in the database, shown on the pages only by its host."""

    __tablename__ = "chat_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]

    team = relationship("Team")


class ChatDelivery(Model):
    """One message for one channel, queued in the transaction that caused it and sent by the dispatcher with
    the webhook deliveries' claim, lease and backoff (survey.background.dispatch.claim)."""

    __tablename__ = "chat_deliveries"
    __table_args__ = (Index("ix_chat_deliveries_status_due", "status", "not_before"), one_of("status", DeliveryStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("chat_channels.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    channel = relationship("ChatChannel")
