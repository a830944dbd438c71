"""The one place that reads the wall clock, and the calendar Hearken works in. Everything stored is naive
UTC; domain functions take `now`."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The calendar Hearken works in: wide enough for any feedback, and far enough inside Python's (the years 1 to
# 9999) that a time zone, a period or a 90-day window around any of its days is still a date. A date outside
# it is refused where it comes in (filters, imports, the API, change entries), by name.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def outside_calendar(day: date) -> str | None:
    """Why `day` (a date, or a datetime's .date()) cannot be used, or None when it can."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"{day.isoformat()} is outside the years {FIRST_DAY.year}–{LAST_DAY.year}"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def unix_seconds() -> int:
    """The wall clock in whole Unix seconds, for what a peer checks against its own clock (a webhook
    signature's timestamp) or what runs on the wall clock (the rate limiter's windows, for Retry-After),
    never for business time, which a test or `--now` may move."""
    return int(datetime.now(UTC).timestamp())


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day of a naive-UTC moment in the organisation's time zone: results count a response
    in the month (or week) it was given where the organisation is, not in UTC."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()


def start_of_local_day(day: date, timezone: str) -> datetime:
    """The naive-UTC moment the calendar day `day` begins in `timezone` (local_date's inverse at midnight)."""
    return datetime.combine(day, datetime.min.time(), ZoneInfo(timezone)).astimezone(UTC).replace(tzinfo=None)
