"""Record ids written as text (in forms, query strings, cookies): only ASCII digits, and only numbers a
database integer column can hold.

`str.isdigit()` alone is not enough: it accepts "²" and "٣", which `int()` refuses or reads, and it puts no
bound on the length, so a 40-digit "id" overflowed the database driver.
"""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest value of an INTEGER primary key on PostgreSQL


class IdConverter(IntegerConverter):
    """`<int:…>` in every route (create_app makes it the default): a number above MAX_ID is no record of
    ours, so the address is a 404, not a query the SQLite driver refuses with OverflowError (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 — Werkzeug's names
        super().__init__(map, fixed_digits, min, max, signed)


def parse_id(text: str | None) -> int | None:
    """The id that `text` names (surrounding spaces allowed), or None when it is not one."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
