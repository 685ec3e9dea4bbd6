"""The report's figures (`Report`), the period they cover, and how the views' UTC quarter-hours fold
into them.

A period is local dates in a time zone: from `first` 00:00 to the day after `last` 00:00 on that wall
clock, turned into UTC bounds for the views (`Period.utc_bounds`). Hour-of-day figures fold each UTC
quarter-hour into the local hour it starts in (`Period.local_hour`): on the day clocks go back, the
repeated hour's calls add to the same hour; on the day they go forward, the skipped hour gets none.
Rates are recomputed from summed parts, never averaged.
"""

from __future__ import annotations

import datetime as dt
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

HOURS: Final = tuple(range(24))
LONGEST_PERIOD_DAYS: Final = 366
# Upper bounds (seconds, excluded) of the abandon curve's wait buckets; the last bucket is open.
WAIT_BUCKETS_S: Final = (5, 10, 20, 30, 60, 120, 300)


class Period(BaseModel):
    """Local dates `first` to `last` (both included) in the IANA zone `zone`, optionally one queue."""

    model_config = ConfigDict(frozen=True)

    first: dt.date
    last: dt.date
    zone: str
    queue: str | None = None

    def check(self) -> None:
        """ValueError for a range backwards or over a year, or an unknown zone."""
        if self.last < self.first:
            raise ValueError(f"the range ends ({self.last}) before it starts ({self.first})")
        if (self.last - self.first).days >= LONGEST_PERIOD_DAYS:
            raise ValueError(f"a report covers at most {LONGEST_PERIOD_DAYS} days")
        self.tz()

    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.zone)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {self.zone!r} (IANA names, e.g. Europe/London)") from None

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC: local midnight of `first` to local midnight after `last`."""
        zone = self.tz()
        start = dt.datetime.combine(self.first, dt.time(), zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def local_hour(self, utc: dt.datetime) -> int:
        """The local hour of the day (0-23) in which the UTC moment falls."""
        moment = utc if utc.tzinfo is not None else utc.replace(tzinfo=dt.UTC)
        return moment.astimezone(self.tz()).hour


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


class QueueFigures(BaseModel):
    """Summed parts of v_queue_interval (docs/database.md) and the rates made of them."""

    offered: int = 0
    answered: int = 0
    answered_within_threshold: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    answer_wait_s: float = 0.0
    handled: int = 0
    handle_s: float = 0.0

    def plus(self, other: QueueFigures) -> QueueFigures:
        return QueueFigures(
            **{name: getattr(self, name) + getattr(other, name) for name in QueueFigures.model_fields}
        )

    @property
    def service_level(self) -> float | None:
        return ratio(self.answered_within_threshold, self.offered - self.short_abandons)

    @property
    def asa_s(self) -> float | None:
        return ratio(self.answer_wait_s, self.answered)

    @property
    def abandon_rate(self) -> float | None:
        return ratio(self.abandoned - self.short_abandons, self.offered - self.short_abandons)

    @property
    def aht_s(self) -> float | None:
        return ratio(self.handle_s, self.handled)


class HourFigures(BaseModel):
    """One local hour of the day, summed over the period's days."""

    hour: int
    calls: int = 0
    queue: QueueFigures = QueueFigures()


class WaitBucket(BaseModel):
    """Abandons whose wait was in [from_s, to_s); `to_s` None: no upper bound."""

    from_s: int
    to_s: int | None
    abandons: int

    @property
    def label(self) -> str:
        return f"{self.from_s}-{self.to_s} s" if self.to_s is not None else f"{self.from_s} s+"


class AgentRow(BaseModel):
    """One agent's sums over the period (v_agent_interval)."""

    agent_id: str
    name: str | None = None
    offered: int
    answered: int
    talk_s: float
    logged_in_s: float
    on_break_s: float
    busy_s: float  # on_call + wrap_up

    @property
    def occupancy(self) -> float | None:
        return ratio(self.busy_s, self.logged_in_s - self.on_break_s)

    @property
    def average_talk_s(self) -> float | None:
        return ratio(self.talk_s, self.answered)


class FunnelStep(BaseModel):
    label: str
    calls: int


class MenuOption(BaseModel):
    """One menu option's exits (v_ivr_menu_options)."""

    menu: str
    option: str
    presses: int
    exits: int
    contained: int
    dropped: int
    routed: int


class Csat(BaseModel):
    responses: int = 0
    satisfied: int = 0
    score_sum: float = 0.0

    @property
    def rate(self) -> float | None:
        return ratio(self.satisfied, self.responses)

    @property
    def average(self) -> float | None:
        return ratio(self.score_sum, self.responses)


class Report(BaseModel):
    """Everything `callcenter report` shows, for one period."""

    period: Period
    generated_at: dt.datetime
    service_level_s: float
    short_abandon_s: float
    calls: int
    queue: QueueFigures
    hours: list[HourFigures]
    abandons: list[WaitBucket]
    agents: list[AgentRow]
    agents_of_department: str | None = None  # a supervisor's report: only that department's agents
    menu_options: list[MenuOption]
    csat: Csat

    @property
    def funnel(self) -> list[FunnelStep]:
        """IVR calls by exit point: all, those that chose an option, and where the chosen ones ended."""
        exits = sum(option.exits for option in self.menu_options)
        chose = sum(option.exits for option in self.menu_options if option.option)
        return [
            FunnelStep(label="Entered the IVR", calls=exits),
            FunnelStep(label="Chose an option", calls=chose),
            FunnelStep(label="Routed to people", calls=sum(o.routed for o in self.menu_options)),
            FunnelStep(
                label="Contained (IVR finished the call)", calls=sum(o.contained for o in self.menu_options)
            ),
            FunnelStep(label="Dropped in the IVR", calls=sum(o.dropped for o in self.menu_options)),
        ]

    @property
    def containment_rate(self) -> float | None:
        steps = self.funnel
        return ratio(steps[3].calls, steps[0].calls)
