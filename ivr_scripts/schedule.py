"""Time-of-day routing: is a line open at a given instant, in its own time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dialplans.base import WEEKDAYS
from dialplans.models import Did
from dialplans.schedule_models import Schedule


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def is_open(schedule: Schedule, at: dt.datetime) -> bool:
    """Whether `at` (timezone-aware) falls in the schedule's opening hours and on no holiday."""
    if at.tzinfo is None:
        raise ValueError("is_open needs a timezone-aware datetime")
    local = at.astimezone(ZoneInfo(schedule.timezone))
    if any(holiday.date == local.date() for holiday in schedule.holidays):
        return False
    weekday = WEEKDAYS[local.weekday()]
    minute_of_day = local.hour * 60 + local.minute
    return any(
        weekday in block.days and _minutes(block.open) <= minute_of_day < _minutes(block.close)
        for block in schedule.hours
    )


def menu_for(did: Did, schedules: dict[str, Schedule], at: dt.datetime) -> tuple[str, bool]:
    """The menu a call to `did` starts in at `at`, and whether the line is open (24x7 lines always are)."""
    if did.schedule is None:
        return did.menu, True
    if is_open(schedules[did.schedule], at):
        return did.menu, True
    # The loader guarantees closed_menu is set whenever a schedule is.
    return did.closed_menu or did.menu, False
