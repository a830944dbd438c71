"""Slack and Microsoft Teams: messages queued per channel, sent by the dispatcher with the webhooks' retries,
to a local receiver that checks each payload against its format and that customer text arrives escaped."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from survey import followups
from survey.alerts import trends
from survey.background import dispatch
from survey.clock import utcnow
from survey.extensions import db
from survey.followups import teams
from survey.models import ChatDelivery, Contact
from survey.webhooks import chat
from tests.factories import make_survey
from tests.survey.webhooks.helpers import Receiver

NOW = datetime(2026, 11, 4, 10, 0)
HOSTILE = "<!channel> & <https://evil.example|click> *boom* [x](https://evil.example)"


def slack_problems(payload) -> list[str]:
    """What Slack's incoming webhooks would refuse or misread in `payload`."""
    problems = []
    if not isinstance(payload.get("text"), str) or not payload["text"]:
        problems.append("text must be a non-empty string (the notification's fallback)")
    blocks = payload.get("blocks")
    if not isinstance(blocks, list) or not blocks or len(blocks) > 50:
        return [*problems, "blocks must be a list of 1 to 50 blocks"]
    for block in blocks:
        text = block.get("text") if isinstance(block, dict) else None
        if block.get("type") != "section" or not isinstance(text, dict):
            problems.append(f"unexpected block {block!r}")
        elif text.get("type") not in ("mrkdwn", "plain_text") or not isinstance(text.get("text"), str) \
                or not 0 < len(text["text"]) <= 3000:
            problems.append(f"a section's text must be mrkdwn or plain_text of 1–3000 characters: {text!r}")
    for text in [payload["text"]] + [b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict)]:
        # Outside our own <url|text> link, a < or > is a control sequence Slack would act on.
        if re.search(r"<(?!https?://[^|<>\s]+\|[^<>]*>)[^>]*>", text) or "<!" in text:
            problems.append(f"unescaped control sequence in {text!r}")
    return problems


def teams_problems(payload) -> list[str]:
    """What a Teams Workflows webhook would refuse: the message envelope and the Adaptive Card's required
    fields."""
    if payload.get("type") != "message" or not isinstance(payload.get("attachments"), list) \
            or not payload["attachments"]:
        return ["the envelope must be {type: message, attachments: [...]}"]
    problems = []
    for attachment in payload["attachments"]:
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            problems.append("contentType must be application/vnd.microsoft.card.adaptive")
        card = attachment.get("content") or {}
        if card.get("type") != "AdaptiveCard" or not isinstance(card.get("version"), str) \
                or not isinstance(card.get("body"), list):
            problems.append("an Adaptive Card needs type, version and body")
            continue
        for element in card["body"]:
            if element.get("type") != "TextBlock" or not isinstance(element.get("text"), str):
                problems.append(f"unexpected element {element!r}")
        for action in card.get("actions", []):
            if action.get("type") != "Action.OpenUrl" or not action.get("url", "").startswith("http"):
                problems.append(f"unexpected action {action!r}")
    return problems


class CheckingReceiver(Receiver):
    """Answers 400 with the problems, as Slack and Teams refuse a malformed payload, else 200."""

    def check(self) -> list[list[str]]:
        return [(slack_problems if r.path.startswith("/slack") else teams_problems)(json.loads(r.body))
                for r in self.requests]


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    with CheckingReceiver() as server:
        yield server


def test_a_complaint_reaches_slack_and_teams_in_their_formats_with_customer_text_escaped(ctx, receiver):
    slack = chat.add_channel(None, "slack", receiver.url("/slack/T0/B0/secret"), ("complaint",), now=NOW)
    chat.add_channel(None, "teams", receiver.url("/teams/workflow"), ("complaint", "overdue"), now=NOW)
    chat.add_channel(None, "slack", receiver.url("/slack/alerts-only"), ("alert",), now=NOW)
    db.session.add(Contact(email="ann@example.com", name="Ann", attributes={"location": HOSTILE}, created_at=NOW))
    db.session.commit()
    complaint = followups.ComplaintInput("complaint", "My words stay private", email="ann@example.com")
    case = followups.record_complaint(complaint, sender="203.0.113.9", now=NOW)
    report = dispatch.deliver_chat(now=NOW)
    assert (report.delivered, report.errors) == (2, [])
    assert receiver.check() == [[], []]
    by_path = {r.path.split("/")[1]: r for r in receiver.requests}
    assert set(by_path) == {"slack", "teams"}  # the alerts-only channel got nothing
    slack_body, teams_body = by_path["slack"].body.decode(), by_path["teams"].body.decode()
    for body in (slack_body, teams_body):
        assert "My words stay private" not in body  # a complaint's words never leave the case page
        assert f"/manage/cases/{case.id}" in body
    slack_lines = json.loads(slack_body)["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in slack_lines
    card_text = " ".join(b["text"] for b in json.loads(teams_body)["attachments"][0]["content"]["body"])
    assert r"\[x\]\(https://evil\.example\)" in card_text and r"\*boom\*" in card_text
    assert by_path["slack"].headers["Content-Type"] == "application/json"
    assert {d.status for d in db.session.scalars(select(ChatDelivery))} == {"delivered"} and slack.id


def test_a_refused_message_is_retried_with_backoff_then_delivered(ctx, receiver):
    now = utcnow() + timedelta(minutes=5)  # attempts are recorded at the later of the pass's time and the clock's
    chat.add_channel(None, "slack", receiver.url("/slack/x"), ("complaint",), now=now)
    chat.post("complaint", chat.Message("New complaint", ["x"]), team_id=None, now=now)
    db.session.commit()
    receiver.replies.append((500, {}, b"server_error"))
    assert dispatch.deliver_chat(now=now).retried == 1
    (row,) = db.session.scalars(select(ChatDelivery)).all()
    assert row.status == "pending" and row.not_before == now + dispatch.backoff(1) and row.last_status == 500
    assert dispatch.deliver_chat(now=now + timedelta(seconds=30)).delivered == 0  # not due yet
    assert dispatch.deliver_chat(now=now + timedelta(hours=1)).delivered == 1
    assert len(receiver.requests) == 2 and receiver.check() == [[], []]


def test_overdue_cases_go_to_their_teams_channels_and_alerts_to_the_segments_team(ctx, receiver):
    leeds = teams.save_team(None, teams.TeamInput(name="Leeds <b>", rule_attribute="location", rule_values="Leeds",
                                                  first_contact_hours="1", resolve_hours="2"), now=NOW)
    york = teams.save_team(None, teams.TeamInput(name="York", rule_attribute="location", rule_values="York",
                                                 first_contact_hours="1", resolve_hours="2"), now=NOW)
    chat.add_channel(leeds.id, "teams", receiver.url("/teams/leeds"), ("overdue", "alert"), now=NOW)
    chat.add_channel(york.id, "slack", receiver.url("/slack/york"), ("overdue", "alert"), now=NOW)
    survey = make_survey()
    alert = SimpleNamespace(segment={"location": "Leeds"}, question_key="satisfaction", metric="top_box",
                            direction="down", period_before="2026-W43", period_after="2026-W44", q_value=0.01, id=7)
    trends._post_to_channels(alert, survey, NOW)
    db.session.commit()
    dispatch.deliver_chat(now=NOW)
    assert [r.path for r in receiver.requests] == ["/teams/leeds"] and receiver.check() == [[]]
    assert "location Leeds" in receiver.requests[0].body.decode()
    db.session.add(Contact(email="yan@example.com", name="Yan", attributes={"location": "York"}, created_at=NOW))
    db.session.commit()
    case = followups.record_complaint(followups.ComplaintInput("complaint", "Late again", email="yan@example.com"),
                                      sender="203.0.113.9", now=NOW)
    assert case.team == "York"  # the complaint itself is not posted: neither channel asked for complaints
    assert followups.escalate_overdue(now=NOW + timedelta(days=7)) == 1
    dispatch.deliver_chat(now=NOW + timedelta(days=7))
    assert [r.path for r in receiver.requests] == ["/teams/leeds", "/slack/york"] and receiver.check() == [[], []]
    assert f"Overdue follow-up case {case.id} (York)" in receiver.requests[1].json["text"]


def test_channel_addresses_follow_the_webhooks_ssrf_rules(ctx):
    ctx.config["WEBHOOK_ALLOWED_HOSTS"] = ""
    for url, words in [("http://169.254.169.254/latest", "link-local"), ("http://127.0.0.1:8080/x", "loopback"),
                       ("ftp://example.com/x", "https://"), ("https://user:pw@example.com/x", "user name")]:
        with pytest.raises(chat.ChannelError) as error:
            chat.add_channel(None, "slack", url, ("alert",), now=NOW)
        assert words in error.value.problems["url"]
    with pytest.raises(chat.ChannelError) as error:
        chat.add_channel(None, "discord", "http://10.0.0.1/", (), now=NOW)
    assert set(error.value.problems) == {"kind", "url", "events"}


@pytest.mark.parametrize(("text", "slack", "teams"), [
    ("a & b", "a &amp; b", "a & b"), ("<!here>", "&lt;!here&gt;", r"\<\!here\>"),
    ("*bold* _it_", "*bold* _it_", r"\*bold\* \_it\_"), ("[a](http://x)", "[a](http://x)", r"\[a\]\(http://x\)"),
])
def test_each_format_escapes_what_it_would_otherwise_act_on(text, slack, teams):
    assert chat.slack_escape(text) == slack and chat.teams_escape(text) == teams


def test_an_admin_adds_an_organisation_channel_tests_it_and_it_gets_every_teams_wins(ctx, receiver, client):
    from tests.factories import make_user
    from tests.pages import log_in, post_form, text_of

    make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    refused = post_form(client, "/manage/notifications/", {"kind": "slack", "url": "http://169.254.169.254/x",
                                                           "events": ["alert"]}, page="/manage/notifications/")
    assert refused.status_code == 400 and "Incoming webhook URL" in text_of(refused)
    added = post_form(client, "/manage/notifications/", {"kind": "teams", "url": receiver.url("/teams/org"),
                                                         "events": ["alert", "overdue"]},
                      page="/manage/notifications/")
    assert added.status_code == 302
    (channel,) = chat.channels_of(None)
    post_form(client, f"/manage/teams/channels/{channel.id}/test", page="/manage/notifications/")
    york = teams.save_team(None, teams.TeamInput(name="York", rule_attribute="location", rule_values="York"), now=NOW)
    win = SimpleNamespace(segment={"location": "York"}, question_key="satisfaction", metric="top_box",
                          direction="up", period_before="2026-09", period_after="2026-10", q_value=0.001, id=8)
    trends._post_to_channels(win, make_survey(), NOW)  # York's win reaches the organisation's channel
    db.session.commit()
    assert dispatch.deliver_chat(now=utcnow() + timedelta(minutes=1)).delivered == 2
    assert [r.path for r in receiver.requests] == ["/teams/org", "/teams/org"] and receiver.check() == [[], []]
    bodies = [r.body.decode() for r in receiver.requests]
    assert "Hearken test message" in bodies[0] and "location York" in bodies[1] and york.id
    page = text_of(client.get("/manage/notifications/"))
    assert "Microsoft Teams at 127.0.0.1" in page and "new alerts: delivered" in page
