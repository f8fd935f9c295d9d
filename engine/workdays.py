"""Working days on the official Chinese calendar (public holidays and 调休 make-up weekends).

The ``chinese_calendar`` package carries the State Council's announcements; for years it does not
cover yet, Monday to Friday are the working days.
"""

from __future__ import annotations

from datetime import date
from datetime import timedelta

import chinese_calendar


def is_workday(day: date) -> bool:
    """True when ``day`` is an official working day."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: date, count: int) -> date:
    """The date ``count`` working days after ``start`` (``start`` itself is not counted)."""
    day = start
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day
