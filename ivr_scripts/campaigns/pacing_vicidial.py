"""The baseline: a pacer after VICIdial's ADAPT_TAPERED dial method, for the benchmark's comparison.

A dial level (lines per agent) is adjusted every 15 s from the drop rate since the start of the day:
above the allowed rate it steps down; otherwise it rises by the share of agents idle at that moment.
TAPERED allows up to twice the target at the start of the shift, narrowing to the target at half-shift
and after. Lines = floor(level * agents not in wrap-up) - calls in progress, waiting or on an agent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dialplans.campaign_vocabulary import AttemptOutcome
from ivr_scripts.campaigns.pacing_model import PacingSnapshot


@dataclass(frozen=True)
class AdaptSettings:
    target_drop_percent: float = 3.0
    interval_seconds: float = 15.0
    shift_seconds: float = 8 * 3600.0
    start_level: float = 1.0
    max_level: float = 3.0
    """VICIdial's adaptive_maximum_level default."""
    step_down: float = 0.2
    """Level removed at an adjustment that finds the drop rate over the allowed rate."""
    min_live_answers: int = 20
    """Below this many live answers today the drop rate is not trusted: the level only rises."""


class VicidialAdaptPacer:
    """Stateful: call `record` with each outcome and `decide` on events and at least every second."""

    def __init__(self, day_start: float, settings: AdaptSettings | None = None) -> None:
        settings = settings if settings is not None else AdaptSettings()
        self.settings = settings
        self.day_start = day_start
        self.level = settings.start_level
        self._next_adjustment = day_start + settings.interval_seconds
        self._live = 0
        self._drops = 0

    def record(self, outcome: AttemptOutcome) -> None:
        if outcome in (AttemptOutcome.HUMAN, AttemptOutcome.DROPPED):
            self._live += 1
        if outcome is AttemptOutcome.DROPPED:
            self._drops += 1

    def drop_rate(self) -> float:
        return self._drops / self._live if self._live else 0.0

    def allowed_rate(self, now: float) -> float:
        """The target, doubled at the start of the shift and tapering to the target at half-shift."""
        elapsed = (now - self.day_start) / self.settings.shift_seconds
        return self.settings.target_drop_percent / 100.0 * (1.0 + max(0.0, 1.0 - 2.0 * elapsed))

    def decide(self, snapshot: PacingSnapshot) -> int:
        while snapshot.now >= self._next_adjustment:
            self._adjust(snapshot)
            self._next_adjustment += self.settings.interval_seconds
        agents = snapshot.agents_not_in_wrap_up
        busy_lines = snapshot.calls_in_progress + snapshot.persons_waiting + len(snapshot.talk_started)
        return max(0, math.floor(self.level * agents) - busy_lines)

    def _adjust(self, snapshot: PacingSnapshot) -> None:
        settings = self.settings
        over = self._live >= settings.min_live_answers and self.drop_rate() > self.allowed_rate(snapshot.now)
        if over:
            self.level = max(1.0, self.level - settings.step_down)
            return
        agents = snapshot.agents_not_in_wrap_up
        if agents:
            self.level = min(settings.max_level, self.level + snapshot.idle_agents / agents)
