"""The one place that reads the wall clock. Everything stored is naive UTC; domain functions take `now`."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
