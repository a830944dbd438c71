"""The weekly staff scorecard: the headline numbers of every open survey and its trend chart, emailed to
everyone who opted in — "share customers' evaluations of your service with all your employees".

It is the dashboard's numbers (survey.results.dashboard), last complete week against the week before, with the
same "not enough responses" honesty; the chart travels as an inline PNG because mail clients do not
show SVG. One message per person per ISO week: the Message-ID is derived from both, so a second run of
the same week (another dispatcher, a restart) is refused by the outbox's unique column.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey import mail
from survey.accounts import scopes
from survey.extensions import db
from survey.links import external_url
from survey.models import OutboxMessage, Survey, SurveyStatus, User
from survey.results import charts, dashboard
from survey.results.filters import ResultsFilter
from survey.results.periods import period_label, period_start
from survey.results.settings import Settings

SEND_HOUR = 8  # on Monday, in the organisation's time zone


@dataclass(frozen=True)
class SurveyCard:
    survey: Survey
    board: dashboard.Dashboard
    cid: str | None  # Content-ID of the trend chart, None without a scored question
    alt: str
    url: str


def week_due(now: datetime, timezone: str) -> str | None:
    """The label of the week whose scorecard is due at `now` (the last complete week), or None before
    Monday 08:00 in the organisation's time zone."""
    local = now.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))
    this_week = period_start(local.date(), "week")
    if local.date() == this_week and local.hour < SEND_HOUR:
        return None
    return period_label(this_week - timedelta(days=7), "week")


def build_cards(last_day: date) -> list[tuple[SurveyCard, bytes | None]]:
    """Each open survey's headline cards for the week ending `last_day`, with its trend chart as PNG."""
    settings = Settings.from_config(current_app.config)
    chosen = ResultsFilter(end=last_day, unit="week")
    cards = []
    for survey in db.session.scalars(select(Survey).where(Survey.status == SurveyStatus.PUBLISHED).order_by(Survey.id)):
        board = dashboard.build(survey, chosen, today=last_day, settings=settings)
        headline = next((q for q in board.questions if q.metric in ("top_box", "top3_box", "nps")), None)
        png, alt, cid = None, "", None
        if headline is not None:
            chart = charts.trend_chart(f"{headline.metric_label} by week", headline.trend, headline.markers,
                                       percent=headline.metric != "nps", y_label=headline.metric_label,
                                       y_range=None if headline.metric != "nps" else (-100, 100))
            png, alt, cid = chart.png(), chart.alt, f"trend-{survey.id}"
        url = external_url("manage.results.survey_results", slug=survey.slug, **chosen.args())
        cards.append((SurveyCard(survey, board, cid, alt, url), png))
    return cards


def send_scorecards(*, now: datetime, cases: Callable[[datetime], object] | None = None) -> int:
    """Queue this week's scorecard for everyone who opted in and has not had it; returns how many.
    `cases(now)`: the follow-up section (each team's response-time compliance and the root causes that
    recur: survey.followups.scorecard_cases), passed in by the callers because follow-ups come after
    results on the data path; asked only when a scorecard is due."""
    week = week_due(now, current_app.config["TIMEZONE"])
    if week is None:
        return 0
    recipients = db.session.scalars(select(User).where(User.notify_scorecard.is_(True)).order_by(User.id)).all()
    sent = set(db.session.scalars(select(OutboxMessage.message_id).where(OutboxMessage.message_id.in_(
        [_message_id(week, user, domain) for user in recipients for domain in _domains()]))))
    pending = [user for user in recipients if not any(_message_id(week, user, domain) in sent for domain in _domains())]
    if not pending:
        return 0
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    by_scope: dict[scopes.Scope | None, list[User]] = {}
    for user in pending:
        by_scope.setdefault(scopes.Scope.of(user.scope), []).append(user)
    queued = 0
    for scope, users in by_scope.items():
        # A person with a data scope gets the scorecard of their part: every number computed inside it.
        with scopes.applied(scope):
            rendered = _scorecard(week, monday, scope, cases(now) if cases else None)
        for user in users:
            try:
                with db.session.begin_nested():  # two dispatchers at once: the unique Message-ID decides
                    mail.queue(rendered, kind="scorecard", recipient=user.email, now=now,
                               message_id=_message_id(week, user, mail.sender_domain(current_app.config)))
                queued += 1
            except IntegrityError:
                continue
    db.session.commit()
    return queued


def _scorecard(week: str, monday: date, scope: scopes.Scope | None, cases: object) -> mail.Rendered:
    items = build_cards(monday + timedelta(days=6))
    context = dict(week=week, items=[item for item, _ in items],
                   organisation=current_app.config["ORGANISATION_NAME"],
                   settings=Settings.from_config(current_app.config),
                   opt_out_url=external_url("manage.surveys.index"), scope=scope.label() if scope else None,
                   cases=cases, cases_url=external_url("manage.cases.index"))
    subject = f"Customer scorecard, week {week}" + (f", {context['scope']} only" if scope else "")
    return mail.Rendered(f"{subject} — {context['organisation']}",
                         render_template("email/scorecard.txt", **context),
                         render_template("email/scorecard.html", **context), {},
                         images={item.cid: png for item, png in items if item.cid is not None and png})


def _message_id(week: str, user: User, domain: str) -> str:
    """Fixed per person and week, so the unique Message-ID lets one scorecard a week through."""
    return f"<scorecard-{week}-{user.id}@{domain}>"


def _domains() -> set[str]:
    """The domains a scorecard's Message-ID may end with: the sender's (mail.sender_domain), and the public
    address's host, which earlier versions used (so the week Hearken is upgraded sends no second one)."""
    config = current_app.config
    return {mail.sender_domain(config), urlsplit(config["BASE_URL"]).hostname or "hearken.invalid"}
