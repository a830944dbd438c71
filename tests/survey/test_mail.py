"""The HTML emails share one frame, templates/email/layout.html: each is a single well-formed document
(one <html>, with lang and a title; layout tables marked role="presentation"), with the layout's wrapper
and footer and its own content. Each email is rendered the way the product renders it."""
from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest
from flask import render_template_string
from jinja2 import meta
from sqlalchemy import select

from survey import mail
from survey.changes import changelog as changes
from survey.extensions import db
from survey.models import OutboxMessage
from survey.results import scorecard
from tests.factories import NOW, make_invitation, make_survey, make_user
from tests.survey.alerts.test_trends import NOW as TRENDS_NOW
from tests.survey.alerts.test_trends import story
from tests.survey.changes.test_changelog import customer_response, make_change
from tests.survey.results.test_scorecard import MONDAY, weekly_story

EMAILS = ("alerts", "change", "digest", "invitation", "scorecard")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def outbox_html(kind: str) -> OutboxMessage:
    (row,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
    return row


def render_alerts(app) -> OutboxMessage:
    story(make_survey())
    make_user(email="boss@example.com", role="analyst").notify_alerts = True
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["detect-trends", "--now", TRENDS_NOW])
    assert result.exit_code == 0, result.output
    return outbox_html("alert")


def changed_for_ann():
    survey = make_survey()
    ann = customer_response(survey, "ann@example.com", "Ann", "Call me back please")
    entry = make_change(changed_on=date(2026, 8, 1))
    changes.set_links(entry, response_ids=[ann], alert_ids=[], now=NOW)
    changes.publish(entry, now=NOW)
    db.session.commit()


def render_change(app) -> OutboxMessage:
    changed_for_ann()
    return outbox_html("change")


def render_digest(app) -> OutboxMessage:
    changed_for_ann()
    assert changes.send_digest("2026Q3", now=NOW) == 1
    return outbox_html("digest")


def render_invitation(app) -> OutboxMessage:
    mail.queue_invitation(make_invitation(make_survey(), email="ann@example.com"), now=NOW)
    db.session.commit()
    return outbox_html("invitation")


def render_scorecard(app) -> OutboxMessage:
    weekly_story(make_survey())
    make_user(email="agent@example.com", role="agent").notify_scorecard = True
    db.session.commit()
    assert scorecard.send_scorecards(now=MONDAY) == 1
    return outbox_html("scorecard")


RENDER = {"alerts": render_alerts, "change": render_change, "digest": render_digest,
          "invitation": render_invitation, "scorecard": render_scorecard}

# What each email says, in its order, and why the reader gets it (the footer after the organisation's name).
CONTENT = {
    "alerts": ["Trend detection found", "location=Leeds", "2026-07", 'width="75%"', "See the evidence",
               "All open alerts"],
    "change": ["Hello Ann,", "You told us", "Nobody called you back.", "Here is what we did: Call-backs within a day",
               "<strong>every</strong>", "See everything we changed because of customers like you."],
    "digest": ["Hello Ann,", "Here is our 2026Q3 update", "We changed", "<ol", "Call-backs within a day",
               "You said: Nobody called you back.", "Everything we changed, are changing and plan"],
    "invitation": ["Hello,", "would like to know how we did.", "Two minutes, six questions.",
                   "Overall, how satisfied are you with our service?", "rating=5", "Or open the survey",
                   "You can change your answers with the same link until the survey closes."],
    "scorecard": ["Customer scorecard, week 2026-W47", "Extremely satisfied", "significant drop", 'src="cid:trend-',
                  "Full results"],
}
FOOTER = {
    "alerts": "You receive this because you asked to be emailed new alerts.",
    "change": "You received this because you told us about this in your feedback and said we may contact you "
              "about it. <a href=\"https://",
    "digest": "You received this because you said we may contact you about your feedback. <a href=\"https://",
    "invitation": "You received this because Hearken asked you personally for your views. "
                  "<a href=\"https://feedback.example.test/unsubscribe/",
    "scorecard": "You receive this because you asked for the weekly scorecard. <a href=\"https://",
}
TITLE = {"alerts": "New alerts", "change": "Call-backs within a day", "digest": "2026Q3",
         "invitation": "How did we do?", "scorecard": "Scorecard 2026-W47"}


class Document(HTMLParser):
    """The parts of an HTML document the checks below need, and every tag left open or closed twice."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.doctypes, self.starts, self.tables, self.title = [], [], [], ""
        self.open: list[str] = []
        self.unbalanced: list[str] = []
        self.feed(html)
        self.close()
        self.unbalanced += [f"<{tag}> never closed" for tag in self.open]

    def handle_decl(self, decl):
        self.doctypes.append(decl)

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        if tag == "table":
            self.tables.append({"attrs": dict(attrs), "headers": 0})
        if tag == "th":
            self.tables[-1]["headers"] += 1
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.unbalanced.append(f"</{tag}> while {self.open[-1:]} is open")

    def handle_data(self, data):
        if self.open and self.open[-1] == "title":
            self.title += data

    def count(self, tag: str) -> int:
        return sum(1 for name, _ in self.starts if name == tag)


@pytest.mark.parametrize("name", EMAILS)
def test_each_email_extends_the_one_layout(app, name):
    source = app.jinja_env.loader.get_source(app.jinja_env, f"email/{name}.html")[0]
    assert list(meta.find_referenced_templates(app.jinja_env.parse(source))) == ["email/layout.html"]


@pytest.mark.parametrize("name", EMAILS)
def test_each_email_is_one_accessible_document_with_its_content_and_the_layouts_footer(ctx, name):
    row = RENDER[name](ctx)
    html = row.html_body
    document = Document(html)
    assert document.doctypes == ["doctype html"] and html.startswith("<!doctype html>")
    assert document.unbalanced == []
    assert [document.count(tag) for tag in ("html", "head", "body", "title")] == [1, 1, 1, 1]
    assert document.starts[0] == ("html", {"lang": "en", "dir": "ltr"})
    assert " ".join(document.title.split()) == TITLE[name]
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in document.starts
    # Layout tables say so, or a screen reader announces their rows and columns; a table of numbers with
    # headers must not, or the reader loses which number belongs to which heading.
    for table in document.tables:
        assert (table["attrs"].get("role") == "presentation") == (table["headers"] == 0), table
    # The layout's wrapper: the grey page, the white card at most this email's width.
    assert html.count('style="background:#f4f5f7;"') == 1 and html.count("background:#ffffff;border-radius:8px;") == 1
    # The email's own content, in its order, then the layout's footer: the organisation and why this came.
    positions = [html.index(part) for part in CONTENT[name]]
    assert positions == sorted(positions)
    footer = html.index('border-top:1px solid #e4e7eb;font-size:12px;color:#52606d;">Hearken · ')
    assert positions[-1] < footer < html.index(FOOTER[name], footer)
    # The message that is sent carries this HTML.
    (part,) = [p for p in mail.build_email(row).walk() if p.get_content_type() == "text/html"]
    assert part.get_payload(decode=True).decode() == html


def test_a_preheader_is_hidden_text_before_the_card_and_absent_when_none_is_given(ctx):
    body = '{% extends "email/layout.html" %}{% block title %}T{% endblock %}{% block content %}Body{% endblock %}'
    with ctx.test_request_context():
        plain = render_template_string(body, organisation="Hearken")
        teaser = render_template_string(body.replace("{% block content %}", "{% block preheader %}Your week in "
                                                     "one line{% endblock %}{% block content %}"),
                                        organisation="Hearken")
    assert "display:none" not in plain
    assert teaser.index("Your week in one line") < teaser.index('role="presentation"') < teaser.index("Body")
    hidden = teaser[teaser.rindex("<div", 0, teaser.index("Your week")):teaser.index("Your week")]
    assert "display:none" in hidden and "mso-hide:all" in hidden
