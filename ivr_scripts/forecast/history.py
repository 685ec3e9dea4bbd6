"""A forecast day from a queue's history: calls and handle time per interval of the local day.

The forecast for a weekday is built from the same weekday of each history week (`same_weekdays`):
for each interval of the local day, the calls are the chosen statistic (mean by default, or median,
or max for a cautious plan) of that interval's count over those days, a day without a call counting
as 0. The interval's AHT is pooled: the handle seconds of every call answered in it on those days
over their number; an interval with calls but no answered call takes the AHT of all the days'
calls (a queue's handle time varies less by hour than its arrivals do).

Times are bucketed on the local wall clock of `zone`. On the day clocks go back, the repeated hour's
calls fall in the same intervals (that day counts twice there); on the day they go forward, the
skipped intervals have no calls. Both are one day in the several that are averaged.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal
from zoneinfo import ZoneInfo

Statistic = Literal["mean", "median", "max"]
STATISTICS: Final[dict[Statistic, Callable[[Sequence[int]], float]]] = {
    "mean": statistics.fmean,
    "median": statistics.median,
    "max": max,
}
INTERVALS_MIN: Final = (15, 30, 60)


@dataclass(frozen=True, slots=True)
class HandledCall:
    """A call an agent took: when it was answered (aware), and talk plus wrap-up seconds."""

    answered_at: dt.datetime
    handle_s: float


@dataclass(frozen=True, slots=True)
class QueueHistory:
    """What the database knows of one queue over the history range."""

    arrivals: Sequence[dt.datetime]
    handled: Sequence[HandledCall]


@dataclass(frozen=True, slots=True)
class IntervalDemand:
    """One interval of the forecast day: its local start, expected calls, and AHT (None: no history)."""

    start: dt.time
    calls: float
    aht_s: float | None


def same_weekdays(first: dt.date, last: dt.date, weekday: int) -> list[dt.date]:
    """The dates from `first` to `last` (both included) that fall on `weekday` (Monday = 0)."""
    if last < first:
        raise ValueError(f"the history ends ({last}) before it begins ({first})")
    if not 0 <= weekday <= 6:
        raise ValueError(f"a weekday is 0 (Monday) to 6 (Sunday), got {weekday}")
    start = first + dt.timedelta(days=(weekday - first.weekday()) % 7)
    return (
        [start + dt.timedelta(weeks=k) for k in range((last - start).days // 7 + 1)] if start <= last else []
    )


def forecast_day(
    history: QueueHistory,
    days: Sequence[dt.date],
    zone: ZoneInfo,
    *,
    interval_min: int = 30,
    statistic: Statistic = "mean",
) -> list[IntervalDemand]:
    """Every interval of the local day, from midnight, with its calls and AHT over `days`."""
    if interval_min not in INTERVALS_MIN:
        raise ValueError(f"an interval is one of {INTERVALS_MIN} minutes, got {interval_min}")
    if not days:
        raise ValueError("a forecast needs at least one history day")
    slots = 24 * 60 // interval_min
    chosen = set(days)
    arrivals = Counter(_slot_of(at, zone, interval_min, chosen) for at in history.arrivals)
    handle_s: defaultdict[int, float] = defaultdict(float)
    answered: Counter[int] = Counter()
    for call in history.handled:
        day, slot = _slot_of(call.answered_at, zone, interval_min, chosen)
        if day is not None:
            handle_s[slot] += call.handle_s
            answered[slot] += 1
    overall = sum(handle_s.values()) / answered.total() if answered else None
    pick = STATISTICS[statistic]
    return [
        IntervalDemand(
            start=_slot_start(slot, interval_min),
            calls=float(pick([arrivals[(day, slot)] for day in days])),
            aht_s=handle_s[slot] / answered[slot] if answered[slot] else overall,
        )
        for slot in range(slots)
    ]


def busy_span(demand: Iterable[IntervalDemand]) -> list[IntervalDemand]:
    """The intervals from the first with calls to the last with calls (the opening hours seen)."""
    rows = list(demand)
    busy = [index for index, row in enumerate(rows) if row.calls > 0]
    return rows[busy[0] : busy[-1] + 1] if busy else []


def _slot_of(
    at: dt.datetime, zone: ZoneInfo, interval_min: int, days: set[dt.date]
) -> tuple[dt.date | None, int]:
    if at.tzinfo is None:
        raise ValueError(f"history times need a timezone, got {at.isoformat()}")
    local = at.astimezone(zone)
    day = local.date()
    return (day if day in days else None), (local.hour * 60 + local.minute) // interval_min


def _slot_start(slot: int, interval_min: int) -> dt.time:
    minutes = slot * interval_min
    return dt.time(minutes // 60, minutes % 60)
