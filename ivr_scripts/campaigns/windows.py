"""Calling windows: may a number be called now, and when is the earliest time it may be.

A window is open in a zone exactly when that zone's wall clock shows a time in [start, end) on one
of the window's days. The wall clock is read as it is shown, which settles the DST edge cases:

- spring forward: a start inside the skipped hour (02:30 when clocks jump 02:00 -> 03:00) opens at
  the jump itself, the first instant the wall clock shows a time >= 02:30 (03:00 new time);
- fall back: during the repeated hour the wall clock runs through the same times twice, so an edge
  inside that hour is crossed twice (a window ending at 01:30 closes at the first 01:30 and is open
  again from 01:00 to 01:30 the second time round).

A number whose zone is unsure carries every candidate zone; it may be called only when the window
is open in all of them (the most restrictive wins). A number with no zone at all takes the caller's
fallback: the zone set of the campaign's region. A window with its own `time_zone` uses that one
zone for every number. The database stores a zone set as one text, `zone_key` (sorted, "|" joined).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from dialplans.base import WEEKDAYS
from dialplans.campaign_models import Window

SEARCH_LIMIT = dt.timedelta(days=8)
ZONE_SEPARATOR = "|"
# Offsets are probed this far apart; no zone changes its offset twice within six hours.
_PROBE = dt.timedelta(hours=6)
_SECOND = dt.timedelta(seconds=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class NeverOpen(ValueError):
    """The window is not open in all the zones at once at any time in the next 8 days."""


@dataclass(frozen=True, slots=True)
class CallingWindow:
    start: dt.time
    end: dt.time
    days: frozenset[int] = frozenset(range(7))
    """Weekdays as datetime numbers them: Monday 0 to Sunday 6."""
    time_zone: str | None = None
    """When set, the one zone of every number, whatever zones the number carries."""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(
                f"a calling window ends after it starts, within the day: {self.start:%H:%M} to "
                f"{self.end:%H:%M} would run past midnight"
            )
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError(
                f"a calling window needs weekdays 0 (Monday) to 6 (Sunday), got {sorted(self.days)}"
            )

    @classmethod
    def from_yaml(cls, window: Window) -> CallingWindow:
        return cls(
            start=dt.time.fromisoformat(window.start),
            end=dt.time.fromisoformat(window.end),
            days=frozenset(WEEKDAYS.index(day) for day in window.days),
            time_zone=window.time_zone,
        )

    def open_at(self, wall: dt.datetime) -> bool:
        """Whether a wall-clock reading (naive) is inside the window."""
        return wall.weekday() in self.days and self.start <= wall.time() < self.end

    def next_open_wall(self, wall: dt.datetime) -> dt.datetime:
        """The earliest wall-clock reading >= `wall` inside the window."""
        if self.open_at(wall):
            return wall
        for ahead in range(8):
            day = wall.date() + dt.timedelta(days=ahead)
            opening = dt.datetime.combine(day, self.start)
            if day.weekday() in self.days and opening >= wall:
                return opening
        raise AssertionError("a window with at least one weekday opens within 8 days")  # pragma: no cover


def zone_key(zones: Iterable[str]) -> str:
    """The stored form of a zone set: sorted, without repeats, "|" joined."""
    return ZONE_SEPARATOR.join(sorted(set(zones)))


def zones_of(key: str) -> tuple[str, ...]:
    """The zones of a stored zone set; the empty text is the empty set."""
    return tuple(zone for zone in key.split(ZONE_SEPARATOR) if zone)


def effective_zones(
    window: CallingWindow, zones: Iterable[str], fallback: Iterable[str] = ()
) -> tuple[str, ...]:
    """The zones the window is checked in: its own, else the number's, else the fallback."""
    if window.time_zone is not None:
        return (window.time_zone,)
    chosen = tuple(sorted(set(zones))) or tuple(sorted(set(fallback)))
    if not chosen:
        raise ValueError(
            "a number without a time zone needs a fallback zone set: the campaign region's zones"
        )
    return chosen


def window_open(
    window: CallingWindow, zones: Iterable[str], now: dt.datetime, *, fallback: Iterable[str] = ()
) -> bool:
    """True only if `now` (aware) is inside the window in every zone."""
    instant = _utc(now)
    return all(window.open_at(_wall(zone, instant)) for zone in effective_zones(window, zones, fallback))


def next_opening(
    window: CallingWindow, zones: Iterable[str], now: dt.datetime, *, fallback: Iterable[str] = ()
) -> dt.datetime:
    """The earliest instant >= `now` (UTC, aware) at which `window_open` is True; `NeverOpen` if not
    within 8 days."""
    chosen = effective_zones(window, zones, fallback)
    start = _utc(now)
    limit = start + SEARCH_LIMIT
    instant = start
    while instant <= limit:
        closed = [zone for zone in chosen if not window.open_at(_wall(zone, instant))]
        if not closed:
            return instant
        instant = max(_next_open_in_zone(window, zone, instant, limit) for zone in closed)
    raise NeverOpen(
        f"the window {window.start:%H:%M}-{window.end:%H:%M} is not open in all of {', '.join(chosen)} "
        f"at once at any time in the 8 days from {start:%Y-%m-%d %H:%M} UTC"
    )


def open_zone_keys(
    window: CallingWindow, keys: Iterable[str], now: dt.datetime, *, fallback: Iterable[str] = ()
) -> set[str]:
    """The stored zone sets (see `zone_key`) whose numbers may be called at `now`."""
    return {key for key in keys if window_open(window, zones_of(key), now, fallback=fallback)}


def _utc(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got the naive {instant.isoformat()}")
    return instant.astimezone(dt.UTC)


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'America/Chicago'") from exc


def _wall(zone: str, instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(_zone(zone)).replace(tzinfo=None)


def _offset(zone: str, instant: dt.datetime) -> dt.timedelta:
    return _wall(zone, instant) - instant.replace(tzinfo=None)


def _next_open_in_zone(
    window: CallingWindow, zone: str, instant: dt.datetime, limit: dt.datetime
) -> dt.datetime:
    """The earliest instant >= `instant` when the window is open in `zone`, or just past `limit`.

    Between two offset changes the wall clock is the instant plus a constant offset, so the answer
    within one such stretch is the window's next wall-clock opening minus that offset.
    """
    segment_start = instant
    while segment_start <= limit:
        offset = _offset(zone, segment_start)
        segment_end = _offset_change(zone, segment_start, offset, limit)
        candidate = window.next_open_wall(segment_start.replace(tzinfo=None) + offset) - offset
        opening = candidate.replace(tzinfo=dt.UTC)
        if opening < segment_end:
            return opening
        segment_start = segment_end
    return limit + _SECOND


def _offset_change(zone: str, start: dt.datetime, offset: dt.timedelta, limit: dt.datetime) -> dt.datetime:
    """The first instant after `start` whose offset differs from `offset` (a whole second, as tzdata
    has them), or just past `limit` if none comes before."""
    probe = start
    while probe <= limit:
        ahead = probe + _PROBE
        if _offset(zone, ahead) != offset:
            return _bisect(zone, probe, ahead, offset)
        probe = ahead
    return limit + _SECOND


def _bisect(zone: str, before: dt.datetime, after: dt.datetime, offset: dt.timedelta) -> dt.datetime:
    low = math.floor((before - _EPOCH).total_seconds())
    high = math.ceil((after - _EPOCH).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(zone, _EPOCH + dt.timedelta(seconds=middle)) == offset:
            low = middle
        else:
            high = middle
    return _EPOCH + dt.timedelta(seconds=high)
