"""Query parameters, read strictly (a bad value is a 400 naming it), and keyset pages."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import request

from survey.clock import outside_calendar
from survey.database import Page
from survey.views.api.registry import MAX_ID, ApiError, Param

MAX_PAGE = 1000
PAGE_PARAMS = (Param("after", {"type": "string", "pattern": "^[0-9]{0,11}$"}, "the next_cursor of the previous page"),
               Param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "page size (default 100)"))


def query_int(name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) < 12 and low <= int(text) <= high):
        raise ApiError(400, "invalid_parameter", f"{name} must be a whole number from {low} to {high}", name)
    return int(text)


def query_moment(name: str) -> datetime | None:
    """An ISO 8601 date or time as naive UTC (the database's convention); no offset means UTC. None when the
    parameter is not given; given blank, it is refused like any other value that is not a moment."""
    if name not in request.args:
        return None
    text = request.args[name].strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name} must be an ISO 8601 date or time", name) from None
    if problem := outside_calendar(moment.date()):
        raise ApiError(400, "invalid_parameter", f"{name}: {problem}", name)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def flag(name: str) -> bool:
    text = request.args.get(name, "false").strip().lower()
    if text not in ("true", "false", "1", "0"):
        raise ApiError(400, "invalid_parameter", f"{name} must be true or false", name)
    return text in ("true", "1")


def cursor() -> tuple[int, int]:
    """(after, limit) from the page parameters."""
    # Past the largest id there is nothing: clamp, so the database never sees a number wider than its ids.
    return min(query_int("after", 0, 0, 10**11), MAX_ID), query_int("limit", 100, 1, MAX_PAGE)


def page_body(page: Page, represent) -> dict:
    """A keyset page (survey.database.keyset, by id) as the API answers it: the next cursor is the last id."""
    return {"data": [represent(row) for row in page.rows],
            "next_cursor": str(page.rows[-1].id) if page.more else None}
