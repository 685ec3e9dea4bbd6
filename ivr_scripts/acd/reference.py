"""The dispatch rules by brute force: every agent and every call scanned, no index, no shortcut.

Slow on purpose and written apart from `board.py` and `strategies.py` (it restates the ranking), so the
randomized tests can hold the board to it and the benchmark can show what the indexes buy.
`calls` is in arrival order: a call's index breaks ties between equal priority and enqueue time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ivr_scripts.acd.model import AgentView, Offer, QueueRules, Tier, WaitingCall, has_skills, merged_skills
from ivr_scripts.acd.strategies import RoundRobinPointer


def _key(
    rules: QueueRules, agent: AgentView, tier: Tier, pointer: RoundRobinPointer | None, call: WaitingCall
) -> tuple[object, ...]:
    strategy = rules.strategy
    if strategy == "longest-idle":
        return (agent.idle_since,)
    if strategy == "fewest-calls":
        return (agent.calls_answered, agent.idle_since)
    if strategy == "least-talk-time":
        return (agent.talk_seconds, agent.idle_since)
    if strategy in ("top-down", "ring-all"):
        return (tier.position,)
    if strategy == "round-robin":
        after_pointer = pointer is None or (tier.position, agent.agent_id) > pointer
        return (0 if after_pointer else 1, tier.position)
    required = merged_skills(rules.required_skills, call.extra_skills)
    return (-sum(agent.skills.get(skill, 0) for skill in required), agent.idle_since)


def _eligible(
    rules: QueueRules, agents: Mapping[str, AgentView], call: WaitingCall
) -> list[tuple[Tier, AgentView]]:
    required = merged_skills(rules.required_skills, call.extra_skills)
    found = []
    for tier in rules.tiers:
        agent = agents.get(tier.agent_id)
        if agent is not None and agent.available and has_skills(agent.skills, required):
            found.append((tier, agent))
    return found


def _sticky(rules: QueueRules, agents: Mapping[str, AgentView], call: WaitingCall) -> str | None:
    eligible_ids = {agent.agent_id for _, agent in _eligible(rules, agents, call)}
    return call.sticky_agent if call.sticky_agent in eligible_ids else None


def candidates_for_call(
    queues: Mapping[str, QueueRules],
    agents: Mapping[str, AgentView],
    pointers: Mapping[str, RoundRobinPointer],
    call: WaitingCall,
) -> tuple[str, ...]:
    rules = queues[call.queue]
    pointer = pointers.get(call.queue)
    eligible = _eligible(rules, agents, call)
    eligible.sort(
        key=lambda pair: (pair[0].level, _key(rules, pair[1], pair[0], pointer, call), pair[1].agent_id)
    )
    ranked = [agent.agent_id for _, agent in eligible]
    sticky = _sticky(rules, agents, call)
    if sticky is not None:
        ranked.remove(sticky)
        ranked.insert(0, sticky)
    return tuple(ranked)


def offer_for_call(
    queues: Mapping[str, QueueRules],
    agents: Mapping[str, AgentView],
    pointers: Mapping[str, RoundRobinPointer],
    call: WaitingCall,
) -> Offer | None:
    rules = queues[call.queue]
    ranked = candidates_for_call(queues, agents, pointers, call)
    if not ranked:
        return None
    sticky = _sticky(rules, agents, call)
    if sticky is not None:
        return Offer(call.call_uuid, call.queue, (sticky,), sticky=True)
    if rules.strategy == "ring-all":
        return Offer(call.call_uuid, call.queue, ranked)
    return Offer(call.call_uuid, call.queue, ranked[:1])


def offer_for_agent(
    queues: Mapping[str, QueueRules],
    agents: Mapping[str, AgentView],
    calls: Sequence[WaitingCall],
    agent_id: str,
) -> Offer | None:
    agent = agents[agent_id]
    if not agent.available:
        return None
    best: tuple[tuple[int, int, float, int], WaitingCall] | None = None
    for arrival, call in enumerate(calls):
        rules = queues[call.queue]
        if agent_id not in {tier.agent_id for tier in rules.tiers}:
            continue
        if not has_skills(agent.skills, merged_skills(rules.required_skills, call.extra_skills)):
            continue
        sticky = _sticky(rules, agents, call)
        if sticky is not None and sticky != agent_id:
            continue
        key = (-call.priority, 0 if call.sticky_agent == agent_id else 1, call.enqueued_at, arrival)
        if best is None or key < best[0]:
            best = (key, call)
    if best is None:
        return None
    key, call = best
    return Offer(call.call_uuid, call.queue, (agent_id,), sticky=key[1] == 0)
