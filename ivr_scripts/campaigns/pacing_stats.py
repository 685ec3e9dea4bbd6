"""What the predictive pacer learns from a campaign's recent dials: answer rates, how long dials take to
resolve, talk times. A bounded window of the latest dials and calls; no clock, no I/O."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass, field
from typing import Final

DEFAULT_WINDOW: Final = 500
"""Dials (and talk times) remembered: enough for rates within a few points, recent enough to follow
the list's answer rate through the day."""


@dataclass(frozen=True)
class DialStatistics:
    """Learnt from the latest dials. Rates are per dial placed; times are sorted ascending."""

    dials: int
    """Dials whose outcome is known (the warm-up counts these)."""
    person_rate: float
    """Dials handed to an agent as a person (including machines the AMD took for people)."""
    machine_rate: float
    """Dials the AMD classified as a machine (the UK rule counts a fraction of them as abandons)."""
    connect_times: tuple[float, ...] = ()
    """Seconds from the dial to the handover, of the dials handed to an agent."""
    resolve_times: tuple[float, ...] = ()
    """Seconds from the dial until it left the calls in progress, of every dial (handed over, hung up
    by the AMD, busy, rung out, failed)."""
    talk_seconds: tuple[float, ...] = field(default=())
    """Recent talk times with people (the distribution of when agents come free)."""
    wrap_seconds: float = 0.0
    """Mean wrap-up after a call."""

    @property
    def connect_seconds(self) -> float:
        """Mean seconds from the dial to a person handed over (ringing plus the AMD's decision)."""
        return sum(self.connect_times) / len(self.connect_times) if self.connect_times else 0.0

    @property
    def aht_seconds(self) -> float:
        """Average handle time: mean talk plus wrap-up."""
        talk = sum(self.talk_seconds) / len(self.talk_seconds) if self.talk_seconds else 0.0
        return talk + self.wrap_seconds


class StatisticsLearner:
    """Feeds on outcomes as they happen; `statistics()` is the pacer's input."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window!r}")
        self._dials: deque[tuple[float, bool, bool]] = deque(maxlen=window)  # (seconds, person, machine)
        self._talks: deque[float] = deque(maxlen=window)
        self._wraps: deque[float] = deque(maxlen=window)
        self._latest: DialStatistics | None = None
        # The same values kept sorted as they come and go, so that statistics() only copies them.
        self._connects: list[float] = []
        self._resolves: list[float] = []
        self._talks_sorted: list[float] = []
        self._persons = 0
        self._machines = 0

    def dial_resolved(self, seconds: float, *, person: bool = False, machine: bool = False) -> None:
        """One dial left the calls in progress `seconds` after it was placed: handed to an agent as a
        person, hung up on as a machine, or neither (busy, no answer, failed)."""
        if person and machine:
            raise ValueError("a dial is a person or a machine, not both")
        if not seconds >= 0.0:
            raise ValueError(f"seconds must be >= 0, got {seconds!r}")
        if len(self._dials) == self._dials.maxlen:
            old_seconds, old_person, old_machine = self._dials[0]
            _discard(self._resolves, old_seconds)
            if old_person:
                _discard(self._connects, old_seconds)
            self._persons -= old_person
            self._machines -= old_machine
        self._dials.append((seconds, person, machine))
        insort(self._resolves, seconds)
        if person:
            insort(self._connects, seconds)
        self._persons += person
        self._machines += machine
        self._latest = None

    def call_ended(self, talk_seconds: float, wrap_seconds: float) -> None:
        if len(self._talks) == self._talks.maxlen:
            _discard(self._talks_sorted, self._talks[0])
        self._talks.append(talk_seconds)
        insort(self._talks_sorted, talk_seconds)
        self._wraps.append(wrap_seconds)
        self._latest = None

    def statistics(self) -> DialStatistics:
        """The statistics now (computed again only after something new was learnt)."""
        if self._latest is None:
            self._latest = self._compute()
        return self._latest

    def _compute(self) -> DialStatistics:
        dials = len(self._dials)
        return DialStatistics(
            dials=dials,
            person_rate=self._persons / dials if dials else 0.0,
            machine_rate=self._machines / dials if dials else 0.0,
            connect_times=tuple(self._connects),
            resolve_times=tuple(self._resolves),
            talk_seconds=tuple(self._talks_sorted),
            wrap_seconds=sum(self._wraps) / len(self._wraps) if self._wraps else 0.0,
        )


def _discard(ordered: list[float], value: float) -> None:
    del ordered[bisect_left(ordered, value)]
