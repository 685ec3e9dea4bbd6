"""The live dispatch picture with the indexes that keep each decision cheap.

Event driven: ask `offer_for_call` when a caller joins and `offer_for_agent` when an agent becomes free;
there is no polling loop. The board only decides. It never reserves an agent: the caller reserves
atomically in the database (several servers share it), then reports back with `assigned` (or
`remove_call` / `agent_unavailable`), or tries the next of `candidates_for_call` when the reservation lost.

Decision rules (docs/acd.md):
- Eligible agent for a call: listed in the queue's tiers, available, and holding every skill the queue
  and the call require at or above the minimum level.
- Sticky: a call's sticky agent, when eligible, gets the call alone (even in ring-all).
- Otherwise the lowest tier level with an eligible agent wins; the strategy ranks within it
  (`strategies.py`). Ring-all offers every eligible agent, ordered by level then position.
- Waiting calls rank by priority (higher first), then enqueue time, then arrival order on this board.
- A free agent takes the best eligible call across every queue it serves. A call whose sticky agent is
  another eligible, available agent is left to that agent; a call sticky to this agent goes ahead of
  calls of the same priority (never ahead of a higher priority).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, insort
from collections.abc import Mapping
from dataclasses import replace

from ivr_scripts.acd.model import (
    AgentView,
    DispatchError,
    Offer,
    QueueRules,
    Tier,
    UnknownAgent,
    UnknownCall,
    UnknownQueue,
    WaitingCall,
    has_skills,
    merged_skills,
)
from ivr_scripts.acd.strategies import RANKERS, RankContext, RankKey, RoundRobinPointer

CallKey = tuple[int, float, int, str]  # (-priority, enqueued_at, arrival seq, call uuid): smaller is better
PickKey = tuple[int, int, float, int]  # (-priority, 0 if sticky to the agent else 1, enqueued_at, seq)


class DispatchBoard:
    """Queues, agents and waiting calls, indexed for dispatch decisions."""

    def __init__(self) -> None:
        self._queues: dict[str, QueueRules] = {}
        self._tiers: dict[str, dict[str, Tier]] = {}  # queue -> agent id -> tier
        self._agent_tiers: dict[str, dict[str, Tier]] = {}  # agent id -> queue -> tier
        self._agents: dict[str, AgentView] = {}
        self._available: dict[str, dict[int, set[str]]] = {}  # queue -> level -> available agent ids
        self._calls: dict[str, WaitingCall] = {}
        self._call_keys: dict[str, CallKey] = {}
        self._waiting: dict[str, list[CallKey]] = {}  # queue -> call keys, best first
        self._sticky_waiting: dict[str, set[str]] = {}  # agent id -> uuids of waiting calls sticky to it
        self._round_robin: dict[str, RoundRobinPointer] = {}
        self._seq = itertools.count()

    # -- queues -----------------------------------------------------------------------------------

    def set_queue(self, rules: QueueRules) -> None:
        """Add a queue or replace its rules and tiers; waiting calls stay."""
        if rules.name in self._queues:
            self._drop_tiers(rules.name)
        self._queues[rules.name] = rules
        self._tiers[rules.name] = {tier.agent_id: tier for tier in rules.tiers}
        self._available[rules.name] = {}
        self._waiting.setdefault(rules.name, [])
        for tier in rules.tiers:
            self._agent_tiers.setdefault(tier.agent_id, {})[rules.name] = tier
            agent = self._agents.get(tier.agent_id)
            if agent is not None and agent.available:
                self._available[rules.name].setdefault(tier.level, set()).add(tier.agent_id)

    def remove_queue(self, name: str) -> None:
        """Forget a queue; refused while calls wait in it."""
        self._rules(name)
        if self._waiting[name]:
            raise DispatchError(f"queue {name!r} still has {len(self._waiting[name])} waiting calls")
        self._drop_tiers(name)
        for index in (self._queues, self._tiers, self._available, self._waiting, self._round_robin):
            index.pop(name, None)

    def _drop_tiers(self, name: str) -> None:
        for agent_id in self._tiers[name]:
            served = self._agent_tiers[agent_id]
            del served[name]
            if not served:
                del self._agent_tiers[agent_id]

    # -- agents -----------------------------------------------------------------------------------

    def set_agent(self, view: AgentView) -> None:
        """Add an agent or replace everything the board knows about it."""
        old = self._agents.get(view.agent_id)
        if old is not None and old.available:
            self._index_availability(view.agent_id, available=False)
        self._agents[view.agent_id] = view
        if view.available:
            self._index_availability(view.agent_id, available=True)

    def remove_agent(self, agent_id: str) -> None:
        self.agent_unavailable(agent_id)
        del self._agents[agent_id]

    def agent_available(self, agent_id: str, idle_since: float | None = None) -> None:
        """The agent can take a call; `idle_since` (when given) restarts its idle clock."""
        agent = self._agent(agent_id)
        new_idle = agent.idle_since if idle_since is None else idle_since
        if not agent.available:
            self._index_availability(agent_id, available=True)
        self._agents[agent_id] = replace(agent, available=True, idle_since=new_idle)

    def agent_unavailable(self, agent_id: str) -> None:
        agent = self._agent(agent_id)
        if agent.available:
            self._index_availability(agent_id, available=False)
            self._agents[agent_id] = replace(agent, available=False)

    def record_call(self, agent_id: str, talk_seconds: float) -> None:
        """Count one answered call and its talk time towards fewest-calls and least-talk-time."""
        agent = self._agent(agent_id)
        self._agents[agent_id] = replace(
            agent, calls_answered=agent.calls_answered + 1, talk_seconds=agent.talk_seconds + talk_seconds
        )

    def _index_availability(self, agent_id: str, *, available: bool) -> None:
        for queue, tier in self._agent_tiers.get(agent_id, {}).items():
            by_level = self._available[queue]
            if available:
                by_level.setdefault(tier.level, set()).add(agent_id)
                continue
            level_set = by_level[tier.level]
            level_set.discard(agent_id)
            if not level_set:
                del by_level[tier.level]

    # -- calls ------------------------------------------------------------------------------------

    def add_call(self, call: WaitingCall) -> None:
        self._rules(call.queue)
        if call.call_uuid in self._calls:
            raise DispatchError(f"call {call.call_uuid} is already waiting")
        key: CallKey = (-call.priority, call.enqueued_at, next(self._seq), call.call_uuid)
        self._calls[call.call_uuid] = call
        self._call_keys[call.call_uuid] = key
        insort(self._waiting[call.queue], key)
        if call.sticky_agent is not None:
            self._sticky_waiting.setdefault(call.sticky_agent, set()).add(call.call_uuid)

    def remove_call(self, call_uuid: str) -> WaitingCall:
        """The call left the queue (answered, abandoned, overflowed); returns what it was."""
        call = self._call(call_uuid)
        key = self._call_keys.pop(call_uuid)
        del self._calls[call_uuid]
        waiting = self._waiting[call.queue]
        del waiting[bisect_left(waiting, key)]
        if call.sticky_agent is not None:
            sticky = self._sticky_waiting[call.sticky_agent]
            sticky.discard(call_uuid)
            if not sticky:
                del self._sticky_waiting[call.sticky_agent]
        return call

    def assigned(self, call_uuid: str, agent_id: str) -> None:
        """The reservation of `agent_id` for the call succeeded: both leave the board's free sets and the
        queue's round-robin pointer moves to that agent."""
        call = self.remove_call(call_uuid)
        self.agent_unavailable(agent_id)
        tier = self._tiers[call.queue].get(agent_id)
        if tier is not None:
            self._round_robin[call.queue] = (tier.position, agent_id)

    # -- decisions --------------------------------------------------------------------------------

    def offer_for_call(self, call_uuid: str) -> Offer | None:
        """A caller joined: the agent to ring (all of them for ring-all), or None when nobody is free."""
        call = self._call(call_uuid)
        rules = self._queues[call.queue]
        required = merged_skills(rules.required_skills, call.extra_skills)
        sticky = self._eligible_sticky(call, required)
        if sticky is not None:
            return Offer(call_uuid, call.queue, (sticky,), sticky=True)
        if rules.strategy == "ring-all":
            everyone = self._ranked_agents(call.queue, required, levels=None)
            return Offer(call_uuid, call.queue, everyone) if everyone else None
        for level in sorted(self._available[call.queue]):
            ranked = self._ranked_agents(call.queue, required, levels=(level,))
            if ranked:
                return Offer(call_uuid, call.queue, ranked[:1])
        return None

    def candidates_for_call(self, call_uuid: str, limit: int | None = None) -> tuple[str, ...]:
        """Every eligible free agent in the order they should be tried: sticky agent, then by tier level
        and strategy. The fallbacks when a reservation fails."""
        call = self._call(call_uuid)
        required = merged_skills(self._queues[call.queue].required_skills, call.extra_skills)
        ranked = self._ranked_agents(call.queue, required, levels=None)
        sticky = self._eligible_sticky(call, required)
        if sticky is not None:
            ranked = (sticky, *(agent_id for agent_id in ranked if agent_id != sticky))
        return ranked if limit is None else ranked[:limit]

    def offer_for_agent(self, agent_id: str) -> Offer | None:
        """An agent became free: the best call it may take across its queues, or None."""
        agent = self._agent(agent_id)
        if not agent.available:
            return None
        served = self._agent_tiers.get(agent_id, {})
        best: PickKey | None = None
        best_call: WaitingCall | None = None
        for call_uuid in self._sticky_waiting.get(agent_id, ()):
            call = self._calls[call_uuid]
            if call.queue not in served:
                continue
            required = merged_skills(self._queues[call.queue].required_skills, call.extra_skills)
            if not has_skills(agent.skills, required):
                continue
            priority, enqueued_at, seq, _ = self._call_keys[call_uuid]
            pick = (priority, 0, enqueued_at, seq)
            if best is None or pick < best:
                best, best_call = pick, call
        for queue in served:
            if not has_skills(agent.skills, self._queues[queue].required_skills):
                continue
            for priority, enqueued_at, seq, call_uuid in self._waiting[queue]:
                pick = (priority, 1, enqueued_at, seq)
                if best is not None and pick > best:
                    break  # the rest of this queue ranks lower still
                call = self._calls[call_uuid]
                if call.extra_skills and not has_skills(agent.skills, call.extra_skills):
                    continue
                if call.sticky_agent not in (None, agent_id) and self._eligible_sticky(call) is not None:
                    continue
                best, best_call = pick, call
                break
        if best is None or best_call is None:
            return None
        return Offer(best_call.call_uuid, best_call.queue, (agent_id,), sticky=best[1] == 0)

    def _ranked_agents(
        self, queue: str, required: Mapping[str, int], levels: tuple[int, ...] | None
    ) -> tuple[str, ...]:
        rules = self._queues[queue]
        by_level = self._available[queue]
        ranker = RANKERS[rules.strategy]
        context = RankContext(required, self._round_robin.get(queue))
        tiers = self._tiers[queue]
        keyed: list[tuple[int, RankKey]] = []
        for level in sorted(by_level) if levels is None else levels:
            for agent_id in by_level.get(level, ()):
                agent = self._agents[agent_id]
                if has_skills(agent.skills, required):
                    keyed.append((level, ranker(agent, tiers[agent_id], context)))
        keyed.sort()
        return tuple(key[2] for _, key in keyed)

    def _eligible_sticky(self, call: WaitingCall, required: Mapping[str, int] | None = None) -> str | None:
        agent_id = call.sticky_agent
        if agent_id is None or agent_id not in self._tiers[call.queue]:
            return None
        agent = self._agents.get(agent_id)
        if agent is None or not agent.available:
            return None
        if required is None:
            required = merged_skills(self._queues[call.queue].required_skills, call.extra_skills)
        return agent_id if has_skills(agent.skills, required) else None

    # -- reading ----------------------------------------------------------------------------------

    def round_robin_pointer(self, queue: str) -> RoundRobinPointer | None:
        self._rules(queue)
        return self._round_robin.get(queue)

    def waiting_calls(self, queue: str) -> tuple[WaitingCall, ...]:
        """The queue's waiting calls, best first."""
        self._rules(queue)
        return tuple(self._calls[key[3]] for key in self._waiting[queue])

    def agent(self, agent_id: str) -> AgentView:
        return self._agent(agent_id)

    def queues_of(self, agent_id: str) -> tuple[str, ...]:
        return tuple(self._agent_tiers.get(agent_id, {}))

    def _rules(self, name: str) -> QueueRules:
        try:
            return self._queues[name]
        except KeyError:
            raise UnknownQueue(name) from None

    def _agent(self, agent_id: str) -> AgentView:
        try:
            return self._agents[agent_id]
        except KeyError:
            raise UnknownAgent(agent_id) from None

    def _call(self, call_uuid: str) -> WaitingCall:
        try:
            return self._calls[call_uuid]
        except KeyError:
            raise UnknownCall(call_uuid) from None
