"""Working-hours arithmetic: when a standard of so many working minutes, started at some moment, runs out.

Pure (no database, no clock): a `Calendar` is a time zone, opening hours per weekday and holidays, and
`due_time` walks it day by day. Times in and out are naive UTC, as stored; hours are local wall-clock
times, converted to UTC per day, so a day on which the clocks change has one hour more or less of work
in real minutes (a standard counts real minutes, not the labels on the clock).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_MINUTES = 24 * 60
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A calendar with no opening at all would never be due; a year of closed days means the same mistake.
MAX_CLOSED_DAYS = 366


class NeverOpen(ValueError):
    pass


@dataclass(frozen=True)
class Calendar:
    timezone: str
    # Per weekday (Monday first) the opening as (from, until) in minutes after local midnight, until ≤ 1440
    # (24:00, the end of the day); None when closed that day.
    hours: tuple[tuple[int, int] | None, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def opening(self, day: date) -> tuple[datetime, datetime] | None:
        """That local day's opening as naive UTC (from, until), or None when closed."""
        hours = self.hours[day.weekday()]
        if hours is None or day in self.holidays or hours[0] >= hours[1]:
            return None
        return _utc(day, hours[0], self.timezone), _utc(day, hours[1], self.timezone)


def _utc(day: date, minutes: int, timezone: str) -> datetime:
    if minutes >= DAY_MINUTES:  # 24:00 is the next day's midnight
        day, minutes = day + timedelta(days=1), minutes - DAY_MINUTES
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=ZoneInfo(timezone))
    # A wall time the clocks skip (01:30 when they go forward) maps to the instant after the gap.
    return local.astimezone(UTC).replace(tzinfo=None)


def due_time(start: datetime, minutes: int, calendar: Calendar) -> datetime:
    """The moment `minutes` working minutes after `start` (naive UTC) have passed in `calendar`: counting
    begins at `start` if the team is open then, else at the next opening; it pauses while closed."""
    remaining = timedelta(minutes=max(0, minutes))
    day = start.replace(tzinfo=UTC).astimezone(ZoneInfo(calendar.timezone)).date() - timedelta(days=1)
    closed_run = 0
    while True:
        opening = calendar.opening(day)
        day += timedelta(days=1)
        if opening is None:
            closed_run += 1
            if closed_run > MAX_CLOSED_DAYS:
                raise NeverOpen("The team's calendar has no working hours in a whole year.")
            continue
        closed_run = 0
        begin, end = max(opening[0], start), opening[1]
        if begin >= end:
            continue
        if remaining <= end - begin:
            return begin + remaining
        remaining -= end - begin


def default_calendar(timezone: str) -> Calendar:
    """Monday to Friday, all day: the standard before teams existed (HEARKEN_CASE_DUE_BUSINESS_DAYS), in
    which one working day is 24 working hours."""
    return Calendar(timezone, ((0, DAY_MINUTES),) * 5 + (None, None))


def parse_clock(text: str) -> int:
    """"09:00" → 540, "24:00" → 1440; ValueError for anything else."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(text)
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > DAY_MINUTES:
        raise ValueError(text)
    return value


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
