"""The results filter shared by the dashboard, the response browser and the exports: a date range, a
period unit, one segment, a survey version, free-text search and a theme tag.

It travels in the URL (`?from=2026-01-01&to=2026-06-30&period=month&where=location=Leeds&version=2`)
so a view can be bookmarked and shared with staff; `args()` writes it back for links. Parsing never
raises: a bad value is reported by name and left out, so the page still shows something useful.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from survey.accounts import scopes
from survey.accounts.scopes import attribute_is
from survey.clock import outside_calendar
from survey.ids import parse_id
from survey.models import Answer, Response, ResponseTag, SurveyVersion
from survey.results.periods import PERIOD_UNITS, period_start, previous_start

DEFAULT_PERIODS = 12
# The most periods a view splits its range into, the latest kept: five years of weeks, 21 of months. Beyond
# it a page would take seconds and megabytes (a weekly view from the year 1 took 12 s and 21 MB).
MAX_PERIODS = 260
MAX_SEARCH = 200


@dataclass(frozen=True)
class ResultsFilter:
    start: date | None = None  # inclusive, the organisation's local date
    end: date | None = None  # inclusive
    unit: str = "month"
    segment: tuple[str, str] | None = None  # (attribute, value)
    version: int | None = None  # a survey version number
    search: str = ""
    tag: str = ""

    def args(self, **changes) -> dict[str, str]:
        """Query arguments that reproduce this filter (with `changes` applied), for url_for."""
        chosen = replace(self, **changes)
        args = {"from": chosen.start and chosen.start.isoformat(), "to": chosen.end and chosen.end.isoformat(),
                "period": chosen.unit if chosen.unit != "month" else None,
                "where": "=".join(chosen.segment) if chosen.segment else None,
                "version": chosen.version and str(chosen.version), "q": chosen.search or None,
                "tag": chosen.tag or None}
        return {name: value for name, value in args.items() if value}

    def period_starts(self, today: date) -> list[date]:
        """The periods the range covers, oldest first, at most MAX_PERIODS (the latest; `capped` says when
        the range has more); without a start, the last DEFAULT_PERIODS periods up to the end (or today)."""
        starts = [period_start(self.end or today, self.unit)]
        first = period_start(self.start, self.unit) if self.start else None
        most = DEFAULT_PERIODS if first is None else MAX_PERIODS
        while len(starts) < most and (first is None or starts[-1] > first):
            starts.append(previous_start(starts[-1], self.unit))
        return starts[::-1]

    def capped(self, today: date) -> ResultsFilter | None:
        """This filter starting at its latest MAX_PERIODS periods, when its range has more; else None."""
        first = self.period_starts(today)[0]
        if self.start is None or period_start(self.start, self.unit) >= first:
            return None
        return replace(self, start=first)

    def completed(self, today: date) -> ResultsFilter:
        """Without dates, a view ends with the last complete period, as alerts do: a month that has just begun
        would compare a handful of responses with a whole month. The results page, the response browser and
        the API all start from this, so the same address shows the same responses everywhere."""
        if self.start is None and self.end is None:
            return replace(self, end=period_start(today, self.unit) - timedelta(days=1))
        return self

    def date_range(self, today: date) -> tuple[date, date]:
        """Inclusive first and last local dates the filter covers."""
        return self.start or self.period_starts(today)[0], self.end or today

    @property
    def is_narrowed(self) -> bool:
        """True when the filter selects responses beyond a date range and segment (then the page has no
        response rate: invitations belong to no version, text or theme)."""
        return bool(self.version or self.search or self.tag)

    @property
    def needs_answers(self) -> bool:
        """True when the filter selects responses by what they say (search text, a theme): the rollup
        counts per survey, version, day and segment, so only the answers themselves can answer it."""
        return bool(self.search or self.tag)


@dataclass(frozen=True)
class ParsedFilter:
    filter: ResultsFilter
    problems: list[str] = field(default_factory=list)


def _date(args: Mapping[str, str], name: str, problems: list[str]) -> date | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        problems.append(f"{name}: {text[:40]!r} is not a date (use YYYY-MM-DD)")
        return None
    if problem := outside_calendar(day):
        problems.append(f"{name}: {problem}")
        return None
    return day


def parse_filter(args: Mapping[str, str], *, segment_names: tuple[str, ...]) -> ParsedFilter:
    problems: list[str] = []
    start, end = _date(args, "from", problems), _date(args, "to", problems)
    if start and end and start > end:
        problems.append("from: the start is after the end; showing the range up to the end")
        start = None
    unit = (args.get("period") or "month").strip()
    if unit not in PERIOD_UNITS:
        problems.append(f"period: must be one of {', '.join(PERIOD_UNITS)}")
        unit = "month"
    segment = None
    where = (args.get("where") or "").strip()
    if where:
        name, _, value = where.partition("=")
        if name.strip() not in segment_names or not value.strip():
            problems.append(f"where: write ATTRIBUTE=VALUE with one of {', '.join(segment_names) or 'no attributes'}")
        else:
            segment = (name.strip(), value.strip())
    version = None
    if (text := (args.get("version") or "").strip()):
        if (number := parse_id(text)) and number < 100_000:
            version = number
        else:
            problems.append(f"version: {text[:20]!r} is not a version number")
    search = " ".join((args.get("q") or "").split())[:MAX_SEARCH]
    tag = normalise_tag(args.get("tag") or "")
    return ParsedFilter(ResultsFilter(start, end, unit, segment, version, search, tag), problems)


def normalise_tag(text: str) -> str:
    """Themes are compared lower-case with single spaces, so "Delivery " and "delivery" are one tag."""
    return " ".join(text.split()).lower()[:64]


def response_conditions(survey_id: int, chosen: ResultsFilter, today: date, *, whole_range: bool = False) -> list:
    """SQL conditions on Response selecting what the filter shows, inside the active data scope. Pages default
    to the last periods; exports (`whole_range`) are bounded only by the dates the filter names."""
    conditions = [Response.survey_id == survey_id]
    if (scope := scopes.active()) is not None:
        # Also added to every ORM select by the session; written here for the exports' Core streams.
        conditions.append(scopes.condition(Response, scope))
    if whole_range:
        first, last = chosen.start, chosen.end
    else:
        first, last = chosen.date_range(today)
    if first is not None:
        conditions.append(Response.local_date >= first)
    if last is not None:
        conditions.append(Response.local_date <= last)
    if chosen.segment:
        name, value = chosen.segment
        conditions.append(attribute_is(Response.attributes, name, [value]))
    if chosen.version:
        conditions.append(Response.version_id.in_(
            select(SurveyVersion.id).where(SurveyVersion.survey_id == survey_id,
                                           SurveyVersion.number == chosen.version)))
    if chosen.search:
        # Its own alias: the dashboard selects from answers too, and an unaliased Answer here would be
        # correlated with the outer query's, leaving the subquery with no FROM at all.
        # The text is lowered here too, as icontains lowers both sides in SQL: SQLite's lower() folds only
        # ASCII, so "É" would not find "é" otherwise.
        searched = aliased(Answer)
        conditions.append(exists().where(searched.response_id == Response.id,
                                         searched.value_text.icontains(chosen.search.lower(), autoescape=True)))
    if chosen.tag:
        conditions.append(exists().where(ResponseTag.response_id == Response.id, ResponseTag.tag == chosen.tag))
    return conditions
