"""Per-strategy ranking of eligible agents within one tier level: smaller key rings first.

Tier level always comes first (the board ranks by level, then by these keys); every key ends with the
agent id so equal agents are ordered the same way on every server.

- longest-idle: earliest `idle_since`.
- fewest-calls: fewest `calls_answered`, then longest idle.
- least-talk-time: least `talk_seconds`, then longest idle.
- top-down: lowest tier `position`.
- round-robin: the first tier `position` after the queue's pointer (the last agent given a call in that
  queue), wrapping round to the lowest position.
- skills-based: the highest sum of the agent's levels in the skills the call requires (queue's and the
  call's own); ties go to the longest idle. With no required skill it is longest-idle.
- ring-all: every eligible agent is offered; the order (position) only matters for display and fallbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dialplans.models import Strategy
from ivr_scripts.acd.model import AgentView, Tier

RankKey = tuple[float, float, str]
RoundRobinPointer = tuple[int, str]  # (tier position, agent id) of the last agent given a call


@dataclass(frozen=True, slots=True)
class RankContext:
    """What a key may depend on beyond the agent and its tier: the call's requirements and the RR pointer."""

    required_skills: Mapping[str, int]
    round_robin_pointer: RoundRobinPointer | None = None


def longest_idle(agent: AgentView, tier: Tier, context: RankContext) -> RankKey:
    return (agent.idle_since, 0.0, agent.agent_id)


def fewest_calls(agent: AgentView, tier: Tier, context: RankContext) -> RankKey:
    return (float(agent.calls_answered), agent.idle_since, agent.agent_id)


def least_talk_time(agent: AgentView, tier: Tier, context: RankContext) -> RankKey:
    return (agent.talk_seconds, agent.idle_since, agent.agent_id)


def top_down(agent: AgentView, tier: Tier, context: RankContext) -> RankKey:
    return (float(tier.position), 0.0, agent.agent_id)


def round_robin(agent: AgentView, tier: Tier, context: RankContext) -> RankKey:
    pointer = context.round_robin_pointer
    wrapped = pointer is not None and (tier.position, agent.agent_id) <= pointer
    return (1.0 if wrapped else 0.0, float(tier.position), agent.agent_id)


def skills_based(agent: AgentView, tier: Tier, context: RankContext) -> RankKey:
    score = sum(agent.skills.get(skill, 0) for skill in context.required_skills)
    return (-float(score), agent.idle_since, agent.agent_id)


Ranker = Callable[[AgentView, Tier, RankContext], RankKey]

RANKERS: dict[Strategy, Ranker] = {
    "longest-idle": longest_idle,
    "round-robin": round_robin,
    "ring-all": top_down,
    "fewest-calls": fewest_calls,
    "least-talk-time": least_talk_time,
    "top-down": top_down,
    "skills-based": skills_based,
}
