"""Typed models of a line's opening hours and holidays (the dialplan's `schedules`)."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field, field_validator

from dialplans.base import Node, Weekday

_CLOCK_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")


def _clock_time(value: str, *, allow_end_of_day: bool) -> str:
    match = _CLOCK_TIME.match(value)
    if match is None:
        raise ValueError(f"expected a time as HH:MM, got {value!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if allow_end_of_day and (hours, minutes) == (24, 0):
        return "24:00"
    if hours > 23 or minutes > 59:
        raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59)")
    return f"{hours:02d}:{minutes:02d}"


class OpeningHours(Node):
    days: list[Weekday] = Field(min_length=1, description="Weekdays: mon, tue, wed, thu, fri, sat, sun.")
    open: str = Field(description="Opening time, HH:MM, local to the schedule's time zone.")
    close: str = Field(description="Closing time, HH:MM (24:00 for midnight); must be after `open`.")

    @field_validator("open")
    @classmethod
    def _opening_time(cls, value: str) -> str:
        return _clock_time(value, allow_end_of_day=False)

    @field_validator("close")
    @classmethod
    def _closing_time(cls, value: str) -> str:
        return _clock_time(value, allow_end_of_day=True)


class Holiday(Node):
    date: dt.date = Field(description="YYYY-MM-DD; the line is closed all day.")
    name: str = ""


class Schedule(Node):
    timezone: str = Field(default="UTC", description="IANA time zone, e.g. Europe/London.")
    hours: list[OpeningHours] = Field(default_factory=list)
    holidays: list[Holiday] = Field(default_factory=list)
