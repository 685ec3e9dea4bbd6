"""A staffing plan: each interval's expected calls and AHT turned into agents by Erlang C.

Required agents are those answering calls (Erlang C's N); scheduled agents add shrinkage, the paid
time lost to breaks, meetings, training and absence, which the queue never sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from ivr_scripts.forecast.erlang import Staffing, Target, required_staffing, scheduled_agents, traffic_erlangs
from ivr_scripts.forecast.history import IntervalDemand

# A common planning figure for inbound centres (breaks, coaching, training, sickness, holidays), used
# when the centre has not measured its own; it is a setting, not a fact about this centre.
DEFAULT_SHRINKAGE: Final = 0.30


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One interval: `staffing` is None when calls came but none was ever answered (no handle time)."""

    start: dt.time
    end: dt.time
    calls: float
    aht_s: float | None
    staffing: Staffing | None
    scheduled: int | None


def staffing_plan(
    demand: Iterable[IntervalDemand],
    interval_min: int,
    target: Target,
    shrinkage: float = DEFAULT_SHRINKAGE,
) -> list[PlanRow]:
    """Erlang C staffing for each interval of `demand` (intervals without calls need 0 agents)."""
    interval_s = interval_min * 60
    rows = []
    for interval in demand:
        end = _add_minutes(interval.start, interval_min)
        if interval.calls == 0:
            zero = required_staffing(0.0, interval.aht_s or 1.0, target)
            rows.append(PlanRow(interval.start, end, 0.0, interval.aht_s, zero, 0))
            continue
        if interval.aht_s is None or interval.aht_s <= 0:
            rows.append(PlanRow(interval.start, end, interval.calls, interval.aht_s, None, None))
            continue
        traffic = traffic_erlangs(interval.calls, interval_s, interval.aht_s)
        staffing = required_staffing(traffic, interval.aht_s, target)
        scheduled = scheduled_agents(staffing.agents, shrinkage)
        rows.append(PlanRow(interval.start, end, interval.calls, interval.aht_s, staffing, scheduled))
    return rows


def _add_minutes(start: dt.time, minutes: int) -> dt.time:
    total = (start.hour * 60 + start.minute + minutes) % (24 * 60)
    return dt.time(total // 60, total % 60)
