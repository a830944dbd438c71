"""Reporting periods (week, month, quarter) in the organisation's time zone: their starts, labels, and
the SQL that groups a local-date column into them."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Integer, func

from survey.clock import local_date
from survey.extensions import db

PERIOD_UNITS = ("month", "week", "quarter")


def period_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "quarter":
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day.replace(day=1)


def previous_start(start: date, unit: str) -> date:
    if unit == "week":
        return start - timedelta(days=7)
    return period_start(start - timedelta(days=1), unit)


def next_start(start: date, unit: str) -> date:
    if unit == "week":
        return start + timedelta(days=7)
    return period_start(start + timedelta(days=32 if unit == "month" else 93), unit)


def period_label(start: date, unit: str) -> str:
    if unit == "month":
        return f"{start.year}-{start.month:02d}"
    if unit == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def parse_label(label: str) -> tuple[date, str]:
    """A period's start and unit from its label (period_label's inverse): "2026-10", "2026-W05", "2026-Q4".
    Raises ValueError for anything else."""
    year, _, rest = label.partition("-")
    if not (year.isdigit() and len(year) == 4 and rest):
        raise ValueError(f"{label!r} is not a period (YYYY-MM, YYYY-Www or YYYY-Qn)")
    if rest.startswith("W") and rest[1:].isdigit():
        return date.fromisocalendar(int(year), int(rest[1:]), 1), "week"
    if rest.startswith("Q") and rest[1:] in ("1", "2", "3", "4"):
        return date(int(year), 3 * int(rest[1:]) - 2, 1), "quarter"
    if rest.isdigit() and len(rest) == 2:
        return date(int(year), int(rest), 1), "month"
    raise ValueError(f"{label!r} is not a period (YYYY-MM, YYYY-Www or YYYY-Qn)")


def complete_periods(now: datetime, *, unit: str, count: int, timezone: str) -> list[date]:
    """The starts of the last `count` complete periods, oldest first (the current one is not complete)."""
    starts = [previous_start(period_start(local_date(now, timezone), unit), unit)]
    while len(starts) < count:
        starts.insert(0, previous_start(starts[0], unit))
    return starts


def period_expression(unit: str, column):
    """SQL giving the ISO date ('YYYY-MM-DD') of the period start of a date column, on SQLite and
    PostgreSQL alike, so counts are grouped into periods by the database."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.date_trunc(unit, column), "YYYY-MM-DD")
    if unit == "month":
        return func.strftime("%Y-%m-01", column)
    if unit == "quarter":  # the first month of the quarter: ((month - 1) / 3) * 3 + 1
        month = (func.cast(func.strftime("%m", column), Integer) - 1) // 3 * 3 + 1
        return func.printf("%s-%02d-01", func.strftime("%Y", column), month)
    return func.date(column, "weekday 0", "-6 days")  # the Monday of the week


def expressed_start(value) -> date:
    """A period start as `period_expression` gives it back: ISO text, or a date where a driver makes one."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
