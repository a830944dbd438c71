"""Trend detection in the product: period counts straight from SQL (GROUP BY, never response rows in
Python), the tests of analysis.detection, alerts stored once, and subscribed managers told by email.

A period is a calendar month (or ISO week) in the organisation's time zone; each response's day there is
stored (`local_date`) and rolled up per day into `answer_counts` (survey.results.rollups), which SQL groups into
periods on SQLite and PostgreSQL alike. Number and ranking answers are not rolled up (results.measures says
why): their series are one GROUP BY over the survey's answers in the window — a number question's count, sum
and sum of squares per period (its mean, tested with Welch's t), a ranking's first choices per option (each
option's share of those ranking, a share like a top box). Date questions are not trended.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import Float, and_, cast, func, or_, select
from sqlalchemy.exc import IntegrityError

from analysis import Detection, Finding, PeriodCounts, Series, detect, nps_groups
from analysis.detection import RISING_NEWS
from survey import mail, webhooks
from survey.accounts.scopes import Scope
from survey.alerts import evidence
from survey.clock import local_date
from survey.extensions import db
from survey.followups import teams
from survey.links import external_url
from survey.models import Alert, Answer, Question, Response, Survey, User
from survey.models.alerts import AlertStatus
from survey.models.surveys import PART_SEPARATOR, SurveyStatus
from survey.results import theme_tags
from survey.results.counts import answer_counts
from survey.results.periods import (
    PERIOD_UNITS,
    complete_periods,
    expressed_start,
    next_start,
    period_expression,
    period_label,
)
from survey.results.rollups import SEGMENT_VALUE_WIDTH
from survey.results.settings import Settings
from survey.webhooks import chat
from survey.wording import format_difference, format_p, format_value

TESTED_TYPES = ("rating", "nps")
# Tested from their answers (not rolled up): a number's mean, a ranking's share ranking each option first.
MEASURED_TYPES = ("numeric", "ranking")


class TrendError(ValueError):
    pass


# --- counts -------------------------------------------------------------------------------------------

def year_earlier(start: date, unit: str) -> date:
    """The start of the same period a year before: the same month or quarter, or the week 52 weeks back."""
    if unit == "week":
        return start - timedelta(weeks=52)
    return start.replace(year=start.year - 1)


def _period_counts(metric: str, top: int, start: date, unit: str, values: dict[int, int]) -> PeriodCounts:
    n = sum(values.values())
    if metric == "nps":
        promoters, _passives, detractors = nps_groups(values)
        return PeriodCounts(period_label(start, unit), n, promoters, detractors)
    if metric == "top3_box":  # a Customer Effort Score: the share agreeing, the top three of seven boxes
        return PeriodCounts(period_label(start, unit), n, sum(values.get(top - i, 0) for i in range(3)))
    return PeriodCounts(period_label(start, unit), n, values.get(top, 0))


def survey_series(survey: Survey, starts: Sequence[date], unit: str, segment_names: Sequence[str],
                  scope: Scope | None = None, *, year_before: bool = True) -> list[Series]:
    """Every tested series of one survey: its questions' (question_series), then its themes' (theme_series)."""
    return question_series(survey, starts, unit, segment_names, scope, year_before=year_before) + \
        theme_series(survey, starts, unit, segment_names, scope, year_before=year_before)


def question_series(survey: Survey, starts: Sequence[date], unit: str, segment_names: Sequence[str],
                    scope: Scope | None = None, *, year_before: bool = True) -> list[Series]:
    """The series of a survey's questions: per rating/NPS question, all respondents (even without a single
    response, so that the trends page can say so) and each segment (a value of one of `segment_names`) with
    responses, each with the same period a year before its latest (`Series.year_before`) unless `year_before`
    is False. One GROUP BY over the rollup table: its cost depends on days × values × segments, not
    responses. Without the year before it reads one range of days, which SQLite finds by the rollup's key
    (with two, it read every day of the questions). With a data `scope`, only the series of segments inside
    it (a scope's own location, say): all respondents and every other segment are computed from outside it."""
    # A matrix's statements are rating parts (Question.parts): each a series of its own in the same family.
    parts = survey.current_version.parts
    questions = {q.key: q for q in parts if q.type in TESTED_TYPES}
    measured = {q.key: q for q in parts if q.type in MEASURED_TYPES}
    if not (questions or measured) or not starts:
        return []
    year_start = year_earlier(starts[-1], unit)
    days = [(starts[0], next_start(starts[-1], unit))]
    if year_before:
        days.append((year_start, next_start(year_start, unit)))
    before = year_start if year_before else None
    series = _scored_series(survey, questions, starts, unit, segment_names, days, before, scope) if questions else []
    if measured:
        series += _measured_series(survey, measured, starts, unit, segment_names, days, before)
    if scope is not None:  # only segments inside the scope: all respondents and the rest are computed outside it
        series = [s for s in series if s.segment and scope.allows_segment(s.segment)]
    return series


def _scored_series(survey: Survey, questions: dict[str, Question], starts: Sequence[date], unit: str,
                   segment_names: Sequence[str], days: list[tuple[date, date]], year_start: date | None,
                   scope: Scope | None) -> list[Series]:
    """The rating and NPS questions' series, from the rollup (under a scope, only its own attributes' cells)."""
    attributes = ["", *segment_names] if scope is None else \
        [name for name, _values in scope.conditions if name in segment_names]
    cells = answer_counts(survey.id, list(questions), unit=unit, attributes=attributes, scope_checked=scope is not None,
                          days=days)
    # Every question's series of all respondents, with or without responses (not inside a scope).
    counts: dict[tuple, dict[date | None, Counter]] = {(key, ()): {} for key in questions} if scope is None else {}
    for cell, values in cells.items():
        segment = ((cell.segment_name, cell.segment_value),) if cell.segment_name else ()
        if scope is not None and not scope.allows_segment(segment):
            continue  # the cells of other values were read with them, and go no further
        counts.setdefault((cell.question, segment), {})[cell.start] = values
    series = []
    for (key, segment), by_period in sorted(counts.items()):
        question = questions[key]
        metric = "nps" if question.type == "nps" else "top3_box" if question.preset == "ces" else "top_box"
        top = len(question.options)
        periods = tuple(_period_counts(metric, top, start, unit, by_period.get(start, {})) for start in starts)
        series.append(Series(survey.slug, key, metric, segment, periods, year_before=_period_counts(
            metric, top, year_start, unit, by_period.get(year_start, {})) if year_start is not None else None))
    return series


def theme_series(survey: Survey, starts: Sequence[date], unit: str, segment_names: Sequence[str],
                 scope: Scope | None = None, *, year_before: bool = True) -> list[Series]:
    """The series of a survey's accepted themes (metric "mentions", the theme's name as the question): per
    period, the responses with a comment (n) and those of them tagged with the theme (successes), for all
    respondents (even without a comment) and each segment with comments, with the same period a year before
    the latest unless `year_before` is False. With a data `scope`, only the segments inside it, as for
    questions. None for a survey without accepted themes (one query)."""
    names = sorted(theme_tags.accepted_terms(survey.id))
    if not names or not starts:
        return []
    year_start = year_earlier(starts[-1], unit)
    days = [(starts[0], next_start(starts[-1], unit))]
    if year_before:
        days.append((year_start, next_start(year_start, unit)))
    counts = theme_tags.theme_counts(survey.id, names, unit=unit, attributes=["", *segment_names], days=days)
    segments = sorted({("", "")} | {(name, value) for tag, _start, name, value in counts if tag is None})
    if scope is not None:
        segments = [segment for segment in segments if segment[0] and scope.allows_segment([segment])]

    def period(name: str, start: date, segment: tuple[str, str]) -> PeriodCounts:
        return PeriodCounts(period_label(start, unit), counts.get((None, start, *segment), 0),
                            counts.get((name, start, *segment), 0))

    return [Series(survey.slug, name, "mentions", (segment,) if segment[0] else (),
                   tuple(period(name, start, segment) for start in starts),
                   year_before=period(name, year_start, segment) if year_before else None)
            for name in names for segment in segments]


def _measured_series(survey: Survey, questions: dict[str, Question], starts: Sequence[date], unit: str,
                     segment_names: Sequence[str], days: list[tuple[date, date]],
                     year_start: date | None) -> list[Series]:
    """Number questions' means and rankings' first choices per option, for all respondents (even without a
    response) and each segment with responses. A ranking option's series is keyed "<key>.<position>", as its
    answer field is; options an earlier version had and this one has not count only in the base."""
    numbers = [key for key, q in questions.items() if q.type == "numeric"]
    rankings = [key for key, q in questions.items() if q.type == "ranking"]
    sums: dict[tuple, dict[date, tuple[int, float, float]]] = {(key, ()): {} for key in numbers}
    firsts: dict[tuple, dict[date, Counter]] = {(key, ()): {} for key in rankings}
    for name, segment, key, start, n, total, squares, option in _measured_rows(survey, numbers, rankings, unit,
                                                                               segment_names, days):
        where = (key, ((name, segment),) if name else ())
        if option is None:
            sums.setdefault(where, {})[start] = (n, total, squares)
        else:
            firsts.setdefault(where, {}).setdefault(start, Counter())[option.casefold()] += n
    series = []
    for (key, segment), sums_by_period in sorted(sums.items()):
        series.append(Series(survey.slug, key, "mean", segment,
                             tuple(_mean_counts(sums_by_period, start, unit) for start in starts),
                             year_before=_mean_counts(sums_by_period, year_start, unit) if year_start else None))
    for (key, segment), firsts_by_period in sorted(firsts.items()):
        for position, option in enumerate(questions[key].options, start=1):
            series.append(Series(survey.slug, f"{key}{PART_SEPARATOR}{position}", "first", segment,
                                 tuple(_first_counts(firsts_by_period, option, start, unit) for start in starts),
                                 year_before=_first_counts(firsts_by_period, option, year_start, unit)
                                 if year_start else None))
    return series


def _mean_counts(by_period: dict[date, tuple[int, float, float]], start: date, unit: str) -> PeriodCounts:
    n, total, squares = by_period.get(start, (0, 0.0, 0.0))
    return PeriodCounts(period_label(start, unit), n, 0, 0, total, squares)


def _first_counts(by_period: dict[date, Counter], option: str, start: date, unit: str) -> PeriodCounts:
    """Those who ranked (each ranks one option first) and those who ranked `option` first."""
    counts = by_period.get(start, Counter())
    return PeriodCounts(period_label(start, unit), sum(counts.values()), counts[option.casefold()])


def _measured_rows(survey: Survey, numbers: list[str], rankings: list[str], unit: str, segment_names: Sequence[str],
                   days: list[tuple[date, date]]):
    """(segment name or "", segment value, key, period start, n, sum, sum of squares, ranked-first option or None)
    rows: one GROUP BY per segment attribute (and one for all respondents) and kind of question."""
    period = period_expression(unit, Response.local_date)
    in_days = or_(*(and_(Response.local_date >= first, Response.local_date < end) for first, end in days))
    number = cast(Answer.value_text, Float)
    for name in ["", *segment_names]:
        attribute = Response.attributes[name].as_string() if name else None
        grouping = [Answer.question_key, period] + ([attribute] if attribute is not None else [])
        where = [Response.survey_id == survey.id, in_days] + \
            ([attribute.is_not(None), attribute != ""] if attribute is not None else [])
        base = select().select_from(Answer).join(Response, Answer.response_id == Response.id).where(*where)
        if numbers:
            for key, start, *rest in db.session.execute(
                    base.add_columns(*grouping[:2], func.count(), func.sum(number), func.sum(number * number),
                                     *grouping[2:])
                    .where(Answer.question_key.in_(numbers), Answer.value_text.is_not(None)).group_by(*grouping)):
                n, total, squares, *segment = rest
                yield (name, str(segment[0])[:SEGMENT_VALUE_WIDTH] if segment else "", key, expressed_start(start),
                       int(n), float(total or 0), float(squares or 0), None)
        if rankings:
            for key, start, option, n, *segment in db.session.execute(
                    base.add_columns(*grouping[:2], Answer.value_text, func.count(), *grouping[2:])
                    .where(Answer.question_key.in_(rankings), Answer.value_int == 1)
                    .group_by(*grouping, Answer.value_text)):
                yield (name, str(segment[0])[:SEGMENT_VALUE_WIDTH] if segment else "", key, expressed_start(start),
                       int(n), 0.0, 0.0, str(option))


# --- detection and alerts -----------------------------------------------------------------------------

def _checked(settings: Settings) -> Settings:
    """The settings, if trend detection can run with them."""
    if settings.unit not in PERIOD_UNITS:
        raise TrendError(f"HEARKEN_TREND_PERIOD must be month, week or quarter, not {settings.unit!r}")
    return settings


@dataclass(frozen=True)
class RunReport:
    detection: Detection
    new_alerts: tuple[Alert, ...]
    surveys: int

    def is_new(self, finding: Finding) -> bool:
        return any(alert.fingerprint == fingerprint(finding) for alert in self.new_alerts)


def segment_label(segment) -> str:
    return ", ".join(f"{name}={value}" for name, value in segment) or "all respondents"


def series_key(finding: Finding) -> str:
    return "|".join([finding.survey, finding.question, finding.metric, segment_label(finding.segment),
                     finding.kind, finding.direction])


def fingerprint(finding: Finding) -> str:
    return f"{series_key(finding)}|{finding.period_before}|{finding.period_after}"


def detect_survey(survey: Survey, *, now: datetime, settings: Settings, scope: Scope | None = None) -> Detection:
    """Detection for one survey alone (what its trends page shows, with its shortfalls); with a data scope, of
    the series inside it only, as their own Benjamini–Hochberg family."""
    settings = _checked(settings)
    starts = complete_periods(now, unit=settings.unit, count=settings.window + 1,
                              timezone=current_app.config["TIMEZONE"])
    return detect(survey_series(survey, starts, settings.unit, settings.segment_names, scope), min_n=settings.min_n,
                  window=settings.window, fdr=settings.fdr)


def run(*, now: datetime, settings: Settings | None = None) -> RunReport:
    """Test every survey × rating/NPS/number/ranking question × segment; store new alerts; email subscribed
    managers."""
    settings = _checked(settings or Settings.from_config(current_app.config))
    starts = complete_periods(now, unit=settings.unit, count=settings.window + 1,
                              timezone=current_app.config["TIMEZONE"])
    surveys = db.session.scalars(select(Survey).where(Survey.status != SurveyStatus.DRAFT).order_by(Survey.id)).all()
    series = [s for survey in surveys for s in survey_series(survey, starts, settings.unit, settings.segment_names)]
    # One family for the whole run: the q-values account for every test made.
    detection = detect(series, min_n=settings.min_n, window=settings.window, fdr=settings.fdr)
    by_slug = {survey.slug: survey for survey in surveys}
    new = [alert for finding in detection.findings
           if (alert := _store(finding, by_slug[finding.survey], now)) is not None]
    if new:
        _notify(new, {(s.survey, s.question, s.metric, s.segment): s for s in series}, now=now, settings=settings)
    db.session.commit()
    return RunReport(detection, tuple(new), len(surveys))


def finding_details(finding: Finding) -> dict:
    """What an alert keeps of a finding beyond its evidence columns (Alert.details)."""
    return {"shape": finding.shape, "slope": finding.slope, "window_start": finding.window_start,
            "window_end": finding.window_end, "recovered": finding.recovered,
            "year_over_year": finding.year_over_year.as_json() if finding.year_over_year else None}


def _store(finding: Finding, survey: Survey, now: datetime) -> Alert | None:
    if db.session.scalar(select(Alert.id).where(Alert.fingerprint == fingerprint(finding))):
        return None
    if finding.kind != "change" and db.session.scalar(
            select(Alert.id).where(Alert.series_key == series_key(finding), Alert.status != AlertStatus.RESOLVED)):
        return None  # a drift or gap already raised and not yet resolved is the same news
    alert = Alert(
        fingerprint=fingerprint(finding), series_key=series_key(finding), survey_id=survey.id,
        question_key=finding.question, metric=finding.metric, kind=finding.kind, segment=dict(finding.segment),
        period_before=finding.period_before, period_after=finding.period_after, n_before=finding.n_before,
        n_after=finding.n_after, value_before=finding.value_before, value_after=finding.value_after,
        difference=finding.difference, ci_low=finding.ci_low, ci_high=finding.ci_high, p_value=finding.p_value,
        q_value=finding.q_value, method=finding.method, direction=finding.direction, details=finding_details(finding),
        created_at=now, status=AlertStatus.OPEN)
    try:
        with db.session.begin_nested():  # two detectors at once: the unique fingerprint decides
            db.session.add(alert)
    except IntegrityError:
        return None
    webhooks.alert_raised(alert, survey, now=now)
    _post_to_channels(alert, survey, now)
    return alert


def _post_to_channels(alert: Alert, survey: Survey, now: datetime) -> None:
    """A new alert goes to the organisation's channels, and to the team whose rule its segment matches."""
    segment = dict(alert.segment or {})
    team = teams.team_for(segment) if segment else None
    where = ", ".join(f"{name} {value}" for name, value in segment.items()) or "all customers"
    chat.post("alert", chat.Message(
        f"New alert: {survey.title}", [f"{alert.question_key} ({alert.metric}) {alert.direction} for {where}",
                                       f"{alert.period_before} → {alert.period_after}, q = {format_p(alert.q_value)}"],
        external_url("manage.alerts.alert_detail", alert_id=alert.id)),
        team_id=team.id if team is not None and not team.is_default else None, now=now)


@dataclass(frozen=True)
class ChartBar:
    period: str
    value: float | None  # None: no responses that period
    n: int
    width: int  # percent of the chart's width
    label: str


def chart_bars(series: Series | None, periods: int = 12) -> list[ChartBar]:
    """The series' recent periods as bars: an email-safe chart (HTML table cells, no image to block)."""
    if series is None:
        return []
    bars = []
    for counts in series.periods[-periods:]:
        if not counts.n:
            bars.append(ChartBar(counts.period, None, 0, 0, "no responses"))
            continue
        if series.metric == "nps":
            value = 100 * (counts.successes - counts.detractors) / counts.n
            width = round((value + 100) / 2)
        elif series.metric == "mean":  # a number question's: as long as the largest mean is the chart
            value = counts.total / counts.n
            largest = max((abs(p.total / p.n) for p in series.periods[-periods:] if p.n), default=0.0)
            width = round(100 * abs(value) / largest) if largest else 0
        else:
            value = counts.successes / counts.n
            width = round(value * 100)
        bars.append(ChartBar(counts.period, value, counts.n, max(width, 1), format_value(value, series.metric)))
    return bars


def evidence_of(alert: Alert, *, settings: Settings, today: date) -> evidence.Evidence:
    """What moved with an alert: the segment's other ratings over its two periods (one GROUP BY over the
    rollup) and the words of its comments (survey.alerts.evidence)."""
    periods = evidence.compared_periods(alert)
    # Only the alert's own segment is compared: read as a scope of that segment, which is also what lets a
    # person scoped to it read the rollup (an alert they see is inside their scope).
    segment = Scope.of({name: [value] for name, value in (alert.segment or {}).items()})
    series = survey_series(alert.survey, [periods.before, periods.after], periods.unit, tuple(alert.segment or {}),
                           segment, year_before=False)
    return evidence.gather(alert, periods, series, settings=settings, today=today)


def alerts_around(response, *, settings: Settings, today: date) -> list[tuple[Alert, evidence.Evidence]]:
    """The drops whose segment and latest period include `response`, each with what moved with it (what a
    follow-up case shows its analysts)."""
    return [(alert, evidence_of(alert, settings=settings, today=today))
            for alert in evidence.alerts_covering(response)]


def _notify(alerts: list[Alert], series: dict[tuple, Series], *, now: datetime, settings: Settings) -> None:
    """Email the new alerts to everyone who wants them: to a person with a data scope, only those about a
    segment inside it (one rendering per scope)."""
    recipients = db.session.scalars(select(User).where(User.notify_alerts.is_(True)).order_by(User.id)).all()
    by_scope: dict[Scope | None, list[User]] = {}
    for user in recipients:
        by_scope.setdefault(Scope.of(user.scope), []).append(user)
    for scope, users in by_scope.items():
        shown = [a for a in alerts if scope is None or scope.allows_segment(a.segment or {})]
        if shown:
            _email_alerts(shown, series, users, now=now, settings=settings)


def _email_alerts(alerts: list[Alert], series: dict[tuple, Series], recipients: list[User], *,
                  now: datetime, settings: Settings) -> None:
    mentions = [a for a in alerts if a.metric in RISING_NEWS]
    more = sum(1 for a in mentions if a.direction == "rise")
    fewer = len(mentions) - more
    alerts_of_scores = [a for a in alerts if a.metric not in RISING_NEWS]
    drops = sum(1 for a in alerts_of_scores if a.direction == "drop")
    recoveries = sum(1 for a in alerts_of_scores if is_recovery(a))
    rises = len(alerts_of_scores) - drops - recoveries
    parts = ([f"{drops} drop{'s' if drops != 1 else ''}"] if drops else []) + \
            ([f"{more} theme{'s' if more != 1 else ''} mentioned more"] if more else []) + \
            ([f"{rises} rise{'s' if rises != 1 else ''} to celebrate"] if rises else []) + \
            ([f"{recoveries} recover{'ies' if recoveries != 1 else 'y'}"] if recoveries else []) + \
            ([f"{fewer} theme{'s' if fewer != 1 else ''} mentioned less"] if fewer else [])
    subject = f"Satisfaction: {' and '.join(parts)} — {current_app.config['ORGANISATION_NAME']}"
    def bars(alert: Alert) -> list[ChartBar]:
        key = (alert.survey.slug, alert.question_key, alert.metric, tuple(alert.segment.items()))
        return chart_bars(series.get(key))

    today = local_date(now, current_app.config["TIMEZONE"])
    context = dict(alerts=[(a, describe(a), external_url("manage.alerts.alert_evidence", alert_id=a.id), bars(a),
                            headline(a), evidence_of(a, settings=settings, today=today).summary) for a in alerts],
                   inbox_url=external_url("manage.alerts.inbox"), organisation=current_app.config["ORGANISATION_NAME"])
    rendered = mail.Rendered(subject, render_template("email/alerts.txt", **context),
                             render_template("email/alerts.html", **context), {})
    for user in recipients:
        mail.queue(rendered, kind="alert", recipient=user.email, now=now)


def _details(alert: Alert | Finding) -> dict:
    if isinstance(alert, Finding):
        return finding_details(alert)
    return alert.details or {}


def is_recovery(alert: Alert | Finding) -> bool:
    """A significant rise back to a level the figure already had in the window: not a win."""
    return alert.direction == "rise" and bool(_details(alert).get("recovered"))


def headline(alert: Alert | Finding) -> str:
    """▼ Drop, ▲ Recovered or ▲ Rise — celebrate; for a theme, ▲ More mentions or ▼ Fewer mentions."""
    if alert.metric in RISING_NEWS:
        return "▲ More mentions" if alert.direction == "rise" else "▼ Fewer mentions"
    if alert.direction == "drop":
        return "▼ Drop"
    return "▲ Recovered" if is_recovery(alert) else "▲ Rise — celebrate"


def _unit(period: str) -> str:
    return "week" if "-W" in period else "quarter" if "-Q" in period else "month"


def describe_year(metric: str, year: dict | None, direction: str | None = None) -> str:
    """The latest period against the same period a year earlier, in words."""
    if not year:
        return ""
    unit = _unit(year["period_after"])
    verdict = ("significantly higher" if year["difference"] > 0 else "significantly lower") \
        if year["significant"] else "no significant difference"
    text = f"against the same {unit} a year earlier ({year['period_before']}: " \
           f"{format_value(year['value_before'], metric)} of {year['n_before']}): " \
           f"{format_difference(year['difference'], metric)}"
    if year.get("ci_low") is not None:
        text += f", 95 % interval {format_difference(year['ci_low'], metric)} to " \
                f"{format_difference(year['ci_high'], metric)}"
    text += f", {format_p(year['q_value'], 'q')}: {verdict}"
    if direction == "drop" and not (year["significant"] and year["difference"] < 0):
        text += " — no lower than a year ago, so it may be seasonal"
    return text


METRIC_LABELS = {"top_box": "top-box share", "top2_box": "top-2-box share", "top3_box": "share agreeing (CES)",
                 "nps": "NPS", "mean": "mean", "first": "share ranking it first"}


def describe(alert: Alert | Finding) -> str:
    """One line a manager reads: where, what, from → to, and how sure."""
    metric = alert.metric
    details = _details(alert)
    question = getattr(alert, "question_key", None) or getattr(alert, "question", "")
    subject = f"share of comments mentioning “{question}”" if metric == "mentions" \
        else f"{METRIC_LABELS[metric]} of “{question}”"
    where = segment_label(tuple(alert.segment.items()) if isinstance(alert.segment, dict) else alert.segment)
    values = f"{format_value(alert.value_before, metric)} → {format_value(alert.value_after, metric)}"
    falling = alert.direction == "drop"
    if alert.kind == "change":
        verb = "fell" if falling else "recovered" if is_recovery(alert) else "rose"
        what = f"{subject} {verb} from {alert.period_before} to {alert.period_after}: {values}"
        if is_recovery(alert):
            what += " (back to a level it already had this year, not above it)"
    elif alert.kind == "trend" and details.get("shape") == "step":
        start, end = details.get("window_start"), details.get("window_end")
        before = alert.period_before if start == alert.period_before else f"{start} to {alert.period_before}"
        after = alert.period_after if end == alert.period_after else f"{alert.period_after} to {end}"
        what = f"{subject} changed between {alert.period_before} and {alert.period_after}, " \
               f"{'down' if falling else 'up'} in one step rather than steadily: " \
               f"{format_value(alert.value_before, metric)} in {before} → " \
               f"{format_value(alert.value_after, metric)} in {after}"
    elif alert.kind == "trend":
        slope = details.get("slope")
        pace = ""
        if slope is not None:
            per = _unit(alert.period_after)
            size = f"{abs(slope):.1f} NPS points" if metric == "nps" else f"{abs(slope) * 100:.1f} points"
            pace = f", about {size} a {per}"
        what = f"{subject} has been {'falling' if falling else 'rising'} " \
               f"steadily from {alert.period_before} to {alert.period_after}{pace}: {values}"
    else:
        side = "above" if metric in RISING_NEWS else "below"
        what = f"{subject} in {alert.period_after} is {side} the rest of the organisation: " \
               f"{format_value(alert.value_after, metric)} against {format_value(alert.value_before, metric)}"
    interval = ""
    if alert.ci_low is not None:
        interval = f", 95 % interval {format_difference(alert.ci_low, metric)} to " \
                   f"{format_difference(alert.ci_high, metric)}"
    line = f"{where}: {what} ({format_difference(alert.difference, metric)}{interval}; " \
           f"n = {alert.n_before} and {alert.n_after}; {format_p(alert.q_value, 'q')})"
    year = details.get("year_over_year")
    if year and alert.kind != "gap":
        line += f"; {describe_year(metric, year, alert.direction)}"
    return line
