"""The pacer's input (a campaign's state at one instant) and its settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from dialplans.campaign_vocabulary import DialMode
from ivr_scripts.campaigns.abandons import AbandonBudget
from ivr_scripts.campaigns.pacing_stats import DialStatistics

ANSWER_GRACE_SECONDS: Final = 2.0
"""A person who answers must reach an agent within this, or the call is an abandon."""


@dataclass(frozen=True)
class PacingSettings:
    warm_up_dials: int = 100
    """Below this many resolved dials the statistics are too few: predictive dials progressively."""
    warm_up_talks: int = 20
    """Nor below this many calls ended (the first to end are the short ones: too hopeful a sample)."""
    target_share: float = 0.7
    """A new call's abandon chance may be this share of the limit while the window's rate is at most
    that share; less, down to 0, as the rate nears the limit."""
    max_lines_per_agent: float = 6.0
    """Never more calls in progress than this per agent not in wrap-up (a bound on any estimate)."""

    def __post_init__(self) -> None:
        if self.warm_up_dials < 0:
            raise ValueError(f"warm_up_dials must be >= 0, got {self.warm_up_dials!r}")
        if self.warm_up_talks < 1:
            raise ValueError(f"warm_up_talks must be >= 1, got {self.warm_up_talks!r}")
        if not 0.0 < self.target_share <= 1.0:
            raise ValueError(f"target_share must be in (0, 1], got {self.target_share!r}")
        if self.max_lines_per_agent < 1.0:
            raise ValueError(f"max_lines_per_agent must be >= 1, got {self.max_lines_per_agent!r}")


DEFAULT_SETTINGS: Final = PacingSettings()


@dataclass(frozen=True)
class PacingSnapshot:
    """One campaign's state at `now`, as the dialer sees it."""

    now: float
    mode: DialMode
    idle_agents: int
    """Ready, with no call."""
    talk_started: tuple[float, ...] = ()
    """One start time per agent on a call."""
    wrap_up_ends: tuple[float, ...] = ()
    """One expected end per agent in wrap-up."""
    calls_dialled_at: tuple[float, ...] = ()
    """When each call in progress was dialled: dialling, ringing, or answered and with the AMD; not yet
    handed to an agent nor ended."""
    persons_waiting: int = 0
    """Answered by a person (AMD done), waiting for an agent within the 2 s grace."""
    statistics: DialStatistics = field(
        default_factory=lambda: DialStatistics(dials=0, person_rate=0.0, machine_rate=0.0)
    )
    budget: AbandonBudget | None = None

    def __post_init__(self) -> None:
        for name in ("idle_agents", "persons_waiting"):
            if getattr(self, name) < 0:
                raise ValueError(f"snapshot {name} must be >= 0, got {getattr(self, name)!r}")

    @property
    def calls_in_progress(self) -> int:
        return len(self.calls_dialled_at)

    @property
    def agents_not_in_wrap_up(self) -> int:
        return self.idle_agents + len(self.talk_started)


def progressive_calls(snapshot: PacingSnapshot) -> int:
    """One call per idle agent, less the calls already on their way to one."""
    return max(0, snapshot.idle_agents - snapshot.calls_in_progress - snapshot.persons_waiting)
