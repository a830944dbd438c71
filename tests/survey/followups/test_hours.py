"""The working-hours arithmetic as a truth table: start, working minutes, calendar → due time."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from survey.followups.hours import Calendar, NeverOpen, default_calendar, due_time, format_clock, parse_clock

NINE_TO_FIVE = ((540, 1020),) * 5 + (None, None)
LONDON = Calendar("Europe/London", NINE_TO_FIVE)
UTC_OFFICE = Calendar("UTC", NINE_TO_FIVE)
CHRISTMAS = Calendar("UTC", NINE_TO_FIVE, frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
SATURDAY_MORNINGS = Calendar("UTC", ((540, 1020),) * 5 + ((540, 720), None))


@pytest.mark.parametrize(("start", "minutes", "calendar", "due"), [
    # Friday 16:30 with 2 working hours: half an hour on Friday, an hour and a half on Monday.
    (datetime(2026, 11, 6, 16, 30), 120, UTC_OFFICE, datetime(2026, 11, 9, 10, 30)),
    # Inside one day.
    (datetime(2026, 11, 4, 10, 0), 120, UTC_OFFICE, datetime(2026, 11, 4, 12, 0)),
    # Exactly filling the day ends at closing time, not at the next opening.
    (datetime(2026, 11, 4, 15, 0), 120, UTC_OFFICE, datetime(2026, 11, 4, 17, 0)),
    # Opened outside hours: counting starts at the next opening (before opening, after closing, weekend).
    (datetime(2026, 11, 4, 6, 0), 60, UTC_OFFICE, datetime(2026, 11, 4, 10, 0)),
    (datetime(2026, 11, 4, 19, 0), 60, UTC_OFFICE, datetime(2026, 11, 5, 10, 0)),
    (datetime(2026, 11, 7, 12, 0), 60, UTC_OFFICE, datetime(2026, 11, 9, 10, 0)),
    # Several days of work.
    (datetime(2026, 11, 4, 9, 0), 3 * 480, UTC_OFFICE, datetime(2026, 11, 6, 17, 0)),
    # Holidays are skipped: Christmas Friday, then the Monday bank holiday.
    (datetime(2026, 12, 24, 16, 0), 120, CHRISTMAS, datetime(2026, 12, 29, 10, 0)),
    # A short Saturday counts.
    (datetime(2026, 11, 6, 16, 0), 300, SATURDAY_MORNINGS, datetime(2026, 11, 9, 10, 0)),
    # Europe/London: 09:00 local is 09:00 UTC in winter, 08:00 UTC in summer.
    (datetime(2026, 7, 1, 7, 0), 60, LONDON, datetime(2026, 7, 1, 9, 0)),
    # The clocks go back on Sunday 25 October 2026: Friday 16:30 BST (15:30 UTC) + 2 h → Monday 10:30 GMT.
    (datetime(2026, 10, 23, 15, 30), 120, LONDON, datetime(2026, 10, 26, 10, 30)),
    # They go forward on Sunday 29 March 2026: Friday 16:30 GMT + 2 h → Monday 10:30 BST (09:30 UTC).
    (datetime(2026, 3, 27, 16, 30), 120, LONDON, datetime(2026, 3, 30, 9, 30)),
    # The day the clocks go back, open all day, has 25 real hours.
    (datetime(2026, 10, 24, 23, 0), 25 * 60, Calendar("Europe/London", ((0, 1440),) * 7),
     datetime(2026, 10, 26, 0, 0)),
    # Zero minutes: the next opening.
    (datetime(2026, 11, 7, 12, 0), 0, UTC_OFFICE, datetime(2026, 11, 9, 9, 0)),
    # The default calendar (Monday to Friday, all day) keeps "one working day later, same time".
    (datetime(2026, 11, 6, 15, 0), 1440, default_calendar("UTC"), datetime(2026, 11, 9, 15, 0)),
    (datetime(2026, 11, 5, 9, 0), 1440, default_calendar("UTC"), datetime(2026, 11, 6, 9, 0)),
])
def test_due_time(start, minutes, calendar, due):
    assert due_time(start, minutes, calendar) == due


def test_a_calendar_that_never_opens_is_refused():
    with pytest.raises(NeverOpen):
        due_time(datetime(2026, 11, 4), 60, Calendar("UTC", (None,) * 7))


@pytest.mark.parametrize(("text", "minutes"), [("09:00", 540), ("9:30", 570), ("24:00", 1440), ("00:00", 0)])
def test_clock_times_are_read(text, minutes):
    assert parse_clock(text) == minutes and parse_clock(format_clock(minutes)) == minutes


@pytest.mark.parametrize("text", ["", "9", "09:60", "24:01", "25:00", "ab:cd", "9:5", "-1:00"])
def test_bad_clock_times_are_refused(text):
    with pytest.raises(ValueError):
        parse_clock(text)
