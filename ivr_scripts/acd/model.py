"""What dispatch decides over: queue rules, tiers, agents as dispatch sees them, waiting calls, offers.

Plain frozen values; the live picture and its indexes are in `board.py`. Times are epoch seconds
supplied by the caller (the board reads no clock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, get_args

from dialplans.models import Strategy

STRATEGIES: Final[tuple[Strategy, ...]] = get_args(Strategy)


class DispatchError(Exception):
    """Base of the ACD dispatch errors."""


class UnknownQueue(DispatchError):
    """A queue name the board has no rules for."""


class UnknownCall(DispatchError):
    """A call UUID that is not waiting on the board."""


class UnknownAgent(DispatchError):
    """An agent id the board has no view of."""


@dataclass(frozen=True, slots=True)
class Tier:
    """An agent's membership in a queue: lower `level` is tried first; `position` orders within a level."""

    agent_id: str
    level: int = 1
    position: int = 1


@dataclass(frozen=True, slots=True)
class QueueRules:
    """How a queue picks agents. `required_skills` maps skill name to the minimum level an agent needs."""

    name: str
    strategy: Strategy
    tiers: tuple[Tier, ...] = ()
    required_skills: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise DispatchError(f"queue {self.name!r}: unknown strategy {self.strategy!r}")
        agent_ids = [tier.agent_id for tier in self.tiers]
        if len(set(agent_ids)) != len(agent_ids):
            raise DispatchError(f"queue {self.name!r}: an agent appears in more than one tier")


@dataclass(frozen=True, slots=True)
class AgentView:
    """An agent as dispatch sees it. `idle_since`: when it last became free (lower = idle longer)."""

    agent_id: str
    available: bool = False
    idle_since: float = 0.0
    calls_answered: int = 0
    talk_seconds: float = 0.0
    skills: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WaitingCall:
    """A caller waiting in a queue. `sticky_agent`: the returning caller's last agent, if in window."""

    call_uuid: str
    queue: str
    priority: int = 0
    enqueued_at: float = 0.0
    sticky_agent: str | None = None
    extra_skills: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Offer:
    """A decision: ring `agent_ids` for `call_uuid` (one agent, or every eligible one for ring-all)."""

    call_uuid: str
    queue: str
    agent_ids: tuple[str, ...]
    sticky: bool = False


def merged_skills(queue_skills: Mapping[str, int], extra: Mapping[str, int]) -> Mapping[str, int]:
    """Queue and per-call requirements together; the stricter minimum wins when both name a skill."""
    if not extra:
        return queue_skills
    if not queue_skills:
        return extra
    merged = dict(queue_skills)
    for skill, level in extra.items():
        merged[skill] = max(level, merged.get(skill, level))
    return merged


def has_skills(agent_skills: Mapping[str, int], required: Mapping[str, int]) -> bool:
    """Whether the agent lists every required skill at or above its minimum level."""
    for skill, minimum in required.items():
        level = agent_skills.get(skill)
        if level is None or level < minimum:
            return False
    return True
