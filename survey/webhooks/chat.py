"""Slack and Microsoft Teams channels: alerts, overdue cases and new complaints posted where staff already
are, through each product's incoming webhook.

Formats:
- Slack incoming webhook: {"text": fallback, "blocks": [section blocks with mrkdwn]}. Slack reads &, < and >
  as control characters (links, mentions such as <!channel>), so every text we did not write is escaped
  as &amp; &lt; &gt; — a customer cannot ping a whole channel or disguise a link.
- Microsoft Teams (Workflows webhooks): the "message" envelope around an Adaptive Card 1.4. Card text is
  Markdown-ish, so customer text has its Markdown characters backslash-escaped and is never treated as a link.

A message is a ChatDelivery row written in the transaction that caused it, sent by the dispatcher with the
webhook deliveries' claim, lease and backoff (dispatch.claim), and — as webhooks are — to a URL vetted
against the SSRF rules when the channel is added and again before every attempt, connecting to the address
that was vetted. Slack and Teams check no signature: the URL is the secret.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, or_, select, update

from survey.clock import utcnow
from survey.extensions import db
from survey.models import ChatChannel, ChatDelivery, DeliveryStatus, audit
from survey.models.teams import CHAT_EVENTS, CHAT_KINDS
from survey.webhooks import delivery
from survey.webhooks.addresses import AddressRefused, parse_allowed_hosts, vet

EVENTS = CHAT_EVENTS
EVENT_LABELS = {"alert": "new alerts", "overdue": "overdue cases", "complaint": "new complaints", "test": "test"}
KIND_LABELS = {"slack": "Slack", "teams": "Microsoft Teams"}
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


class ChannelError(ValueError):
    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Message:
    """What to say, in plain text: the formats escape it."""

    title: str
    lines: Sequence[str] = ()
    link: str | None = None
    link_text: str = "Open in Hearken"


# --- formats ----------------------------------------------------------------------------------------

def slack_escape(text: str) -> str:
    """Slack's three control characters, as Slack's documentation asks: & < > and nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: Message) -> dict:
    title, lines = slack_escape(message.title), [slack_escape(line) for line in message.lines]
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
    if message.link:
        # The link is ours (HEARKEN_BASE_URL); its | and > would end Slack's <url|text> early.
        url = message.link.replace("|", "%7C").replace(">", "%3E")
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"<{url}|{slack_escape(message.link_text)}>"}})
    return {"text": title, "blocks": blocks}


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def teams_escape(text: str) -> str:
    """Adaptive Card TextBlocks read a subset of Markdown: customer text must not become a link or a heading."""
    return _MARKDOWN.sub(r"\\\1", text)


def teams_payload(message: Message) -> dict:
    body: list[dict] = [{"type": "TextBlock", "text": teams_escape(message.title), "weight": "Bolder",
                         "size": "Medium", "wrap": True}]
    body += [{"type": "TextBlock", "text": teams_escape(line), "wrap": True} for line in message.lines]
    card: dict = {"type": "AdaptiveCard", "$schema": ADAPTIVE_CARD_SCHEMA, "version": "1.4", "body": body}
    if message.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": message.link_text, "url": message.link}]
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "contentUrl": None, "content": card}]}


FORMATS: dict[str, Callable[[Message], dict]] = {"slack": slack_payload, "teams": teams_payload}


# --- channels ---------------------------------------------------------------------------------------

def _allowed_hosts() -> tuple[str, ...]:
    return parse_allowed_hosts(current_app.config["WEBHOOK_ALLOWED_HOSTS"])


def host_of(url: str) -> str:
    """What the pages show of a channel's URL: its host (the rest is the credential)."""
    return urlsplit(url).hostname or "?"


def channels_of(team_id: int | None) -> list[ChatChannel]:
    query = select(ChatChannel).where(ChatChannel.team_id.is_(None) if team_id is None
                                      else ChatChannel.team_id == team_id)
    return list(db.session.scalars(query.order_by(ChatChannel.id)))


def add_channel(team_id: int | None, kind: str, url: str, events: Iterable[str], *, now: datetime) -> ChatChannel:
    problems = {}
    if kind not in CHAT_KINDS:
        problems["kind"] = "Choose Slack or Microsoft Teams."
    url = url.strip()
    try:
        vet(url, allowed_hosts=_allowed_hosts())
    except AddressRefused as error:
        problems["url"] = str(error)
    chosen = [event for event in EVENTS if event in set(events)]
    if not chosen or set(events) - set(EVENTS):
        problems["events"] = "Choose at least one of: new alerts, overdue cases, new complaints."
    if problems:
        raise ChannelError(problems)
    channel = ChatChannel(team_id=team_id, kind=kind, url=url, events=chosen, created_at=now)
    db.session.add(channel)
    db.session.flush()  # its id, for the audit entry
    audit.record("chat_channel.added", f"chat_channel:{channel.id}", now=now, kind=kind, host=host_of(url),
                 team=f"team:{team_id}" if team_id else "organisation", events=chosen)
    db.session.commit()
    return channel


def delete_channel(channel: ChatChannel, *, now: datetime | None = None) -> None:
    now = now or utcnow()  # optional: callers from before the audit log pass none
    audit.record("chat_channel.removed", f"chat_channel:{channel.id}", now=now, kind=channel.kind,
                 host=host_of(channel.url), team=f"team:{channel.team_id}" if channel.team_id else "organisation")
    db.session.delete(channel)
    db.session.commit()


def all_channels() -> list[ChatChannel]:
    """Every channel, the organisation's first, then by team."""
    return list(db.session.scalars(select(ChatChannel).order_by(ChatChannel.team_id.is_not(None), ChatChannel.team_id,
                                                                ChatChannel.id)))


def latest_deliveries(channels: Iterable[ChatChannel]) -> dict[int, ChatDelivery]:
    """Each channel's latest message (a test message included), so a page can say whether it arrived."""
    ids = [channel.id for channel in channels]
    if not ids:
        return {}
    newest = select(func.max(ChatDelivery.id)).where(ChatDelivery.channel_id.in_(ids)).group_by(ChatDelivery.channel_id)
    return {row.channel_id: row for row in db.session.scalars(select(ChatDelivery).where(ChatDelivery.id.in_(newest)))}


def _queue_for(channels: Iterable[ChatChannel], event: str, message: Message, now: datetime) -> int:
    count = 0
    for channel in channels:
        db.session.add(ChatDelivery(channel_id=channel.id, event=event, status=DeliveryStatus.PENDING, attempts=0,
                                    not_before=now, body=json.dumps(FORMATS[channel.kind](message))))
        count += 1
    return count


def post(event: str, message: Message, *, team_id: int | None, now: datetime) -> int:
    """Queue `message` for the channels that want `event`: the team's (when given) and the organisation's.
    Written in the caller's transaction; the caller commits. Returns how many were queued."""
    query = select(ChatChannel).where(ChatChannel.team_id.is_(None) if team_id is None else or_(
        ChatChannel.team_id.is_(None), ChatChannel.team_id == team_id))
    wanted = [channel for channel in db.session.scalars(query.order_by(ChatChannel.id)) if event in channel.events]
    return _queue_for(wanted, event, message, now)


def queue_test(channel: ChatChannel, *, now: datetime) -> None:
    name = channel.team.name if channel.team else "the whole organisation"
    _queue_for([channel], "test", Message("Hearken test message",
                                          [f"This channel will get {', '.join(channel.events)} for {name}."]), now)
    db.session.commit()


# --- sending ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Claimed:
    id: int
    body: str
    attempts: int
    url: str


def send_claimed(ids: list[int], *, clock: Callable[[], datetime],
                 retry_after: Callable[[int], timedelta]) -> delivery.DeliveryReport:
    """Attempt each claimed message once (vetted again, pinned to the vetted address) and record it."""
    report = delivery.DeliveryReport()
    rows = db.session.execute(select(ChatDelivery, ChatChannel.url).join(ChatChannel)
                              .where(ChatDelivery.id.in_(ids), ChatDelivery.status == DeliveryStatus.SENDING)
                              .order_by(ChatDelivery.id)).all()
    claimed = [_Claimed(row.id, row.body, row.attempts, url) for row, url in rows]
    db.session.commit()  # no transaction stays open while a channel is being called
    for each in claimed:
        try:
            target = vet(each.url, allowed_hosts=_allowed_hosts())
            outcome = delivery.post(target, each.body.encode(), {"Content-Type": "application/json",
                                                                 "User-Agent": delivery.USER_AGENT})
        except AddressRefused as error:
            outcome = delivery.Outcome(False, error=f"Refused: {error}")
        except Exception as error:  # noqa: BLE001 — recorded: none may stay claimed forever
            outcome = delivery.Outcome(False, error=f"{type(error).__name__}: {error}"[:2000])
        now = clock()
        values: dict = dict(last_attempt_at=now, last_status=outcome.status, last_error=outcome.error,
                            claimed_until=None, not_before=now)
        if outcome.delivered:
            status = DeliveryStatus.DELIVERED
            report.delivered += 1
        elif each.attempts >= delivery.MAX_ATTEMPTS:
            status = DeliveryStatus.FAILED
            report.failed += 1
        else:
            status, values["not_before"] = DeliveryStatus.PENDING, now + retry_after(each.attempts)
            report.retried += 1
        if not outcome.delivered:
            report.errors.append(f"chat message {each.id} to {host_of(each.url)}: {outcome.error}")
        db.session.execute(update(ChatDelivery).where(ChatDelivery.id == each.id).values(status=status, **values))
        db.session.commit()
    return report
