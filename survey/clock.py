"""The one place that reads the wall clock. Everything stored is naive UTC; domain functions take `now`."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day of a naive-UTC moment in the organisation's time zone: results count a response
    in the month (or week) it was given where the organisation is, not in UTC."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()
