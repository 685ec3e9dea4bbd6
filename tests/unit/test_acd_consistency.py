"""The indexed board against the brute-force reference, over many seeded random boards and operations.

Each seed builds a small board with deliberate ties (equal idle times, positions, enqueue times), then
applies random operations; after every one, every call's offer and fallbacks and every agent's offer
must equal what the reference computes from a plain mirror of the state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

import pytest

from ivr_scripts.acd import (
    STRATEGIES,
    AgentView,
    DispatchBoard,
    QueueRules,
    Tier,
    WaitingCall,
    reference,
)
from ivr_scripts.acd.strategies import RoundRobinPointer

SKILLS = ("en", "es", "billing", "tech")
AGENT_POOL = tuple(f"{1000 + n}" for n in range(14))
QUEUE_NAMES = ("sales", "service", "parts", "vip", "claims")
SEEDS = range(300)
OPERATIONS_PER_SEED = 60


def random_skills(rng: random.Random, most: int) -> dict[str, int]:
    return {skill: rng.randint(1, 4) for skill in rng.sample(SKILLS, rng.randint(0, most))}


def random_agent(rng: random.Random, agent_id: str) -> AgentView:
    return AgentView(
        agent_id,
        available=rng.random() < 0.6,
        idle_since=float(rng.randint(0, 5)),
        calls_answered=rng.randint(0, 3),
        talk_seconds=float(rng.randint(0, 3) * 60),
        skills=random_skills(rng, 3),
    )


def random_queue(rng: random.Random, name: str) -> QueueRules:
    members = rng.sample(AGENT_POOL, rng.randint(0, 8))
    tiers = tuple(Tier(agent_id, rng.randint(1, 3), rng.randint(1, 4)) for agent_id in members)
    strategy = rng.choice(STRATEGIES)
    return QueueRules(name, strategy, tiers, random_skills(rng, 1))


@dataclass
class Mirror:
    """The same state kept as plain collections, for the reference."""

    queues: dict[str, QueueRules] = field(default_factory=dict)
    agents: dict[str, AgentView] = field(default_factory=dict)
    calls: list[WaitingCall] = field(default_factory=list)
    pointers: dict[str, RoundRobinPointer] = field(default_factory=dict)


class Scenario:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.board = DispatchBoard()
        self.mirror = Mirror()
        self.next_call = 0
        for agent_id in AGENT_POOL[:10]:
            self.set_agent(random_agent(self.rng, agent_id))
        for name in QUEUE_NAMES:
            self.set_queue(random_queue(self.rng, name))
        for _ in range(self.rng.randint(0, 12)):
            self.add_call()

    def set_agent(self, view: AgentView) -> None:
        self.board.set_agent(view)
        self.mirror.agents[view.agent_id] = view

    def set_queue(self, rules: QueueRules) -> None:
        self.board.set_queue(rules)
        self.mirror.queues[rules.name] = rules

    def add_call(self) -> None:
        rng = self.rng
        self.next_call += 1
        waiting = WaitingCall(
            f"{self.next_call:08d}-0000-0000-0000-000000000000",
            rng.choice(QUEUE_NAMES),
            priority=rng.choice((0, 0, 0, 10, 20)),
            enqueued_at=float(rng.randint(0, 20)),
            sticky_agent=rng.choice(AGENT_POOL) if rng.random() < 0.35 else None,
            extra_skills=random_skills(rng, 1) if rng.random() < 0.3 else {},
        )
        self.board.add_call(waiting)
        self.mirror.calls.append(waiting)

    def remove_call(self, waiting: WaitingCall) -> None:
        assert self.board.remove_call(waiting.call_uuid) == waiting
        self.mirror.calls.remove(waiting)

    def step(self) -> None:
        rng, mirror = self.rng, self.mirror
        agent_ids = sorted(mirror.agents)
        operation = rng.choice(
            ("add", "add", "remove", "available", "unavailable", "record", "agent", "queue", "assign", "drop")
        )
        if operation == "add" or (not mirror.calls and operation in ("remove", "assign")):
            self.add_call()
        elif operation == "remove":
            self.remove_call(rng.choice(mirror.calls))
        elif operation == "assign":
            waiting = rng.choice(mirror.calls)
            candidates = self.board.candidates_for_call(waiting.call_uuid)
            if candidates:
                chosen = rng.choice(candidates)
                self.board.assigned(waiting.call_uuid, chosen)
                mirror.calls.remove(waiting)
                mirror.agents[chosen] = replace(mirror.agents[chosen], available=False)
                tier = next((t for t in mirror.queues[waiting.queue].tiers if t.agent_id == chosen), None)
                if tier is not None:
                    mirror.pointers[waiting.queue] = (tier.position, chosen)
        elif operation == "available" and agent_ids:
            agent_id = rng.choice(agent_ids)
            idle_since = float(rng.randint(0, 8)) if rng.random() < 0.5 else None
            self.board.agent_available(agent_id, idle_since)
            view = mirror.agents[agent_id]
            mirror.agents[agent_id] = replace(
                view, available=True, idle_since=view.idle_since if idle_since is None else idle_since
            )
        elif operation == "unavailable" and agent_ids:
            agent_id = rng.choice(agent_ids)
            self.board.agent_unavailable(agent_id)
            mirror.agents[agent_id] = replace(mirror.agents[agent_id], available=False)
        elif operation == "record" and agent_ids:
            agent_id = rng.choice(agent_ids)
            self.board.record_call(agent_id, 30.0)
            view = mirror.agents[agent_id]
            mirror.agents[agent_id] = replace(
                view, calls_answered=view.calls_answered + 1, talk_seconds=view.talk_seconds + 30.0
            )
        elif operation == "agent":
            self.set_agent(random_agent(rng, rng.choice(AGENT_POOL)))
        elif operation == "queue":
            self.set_queue(random_queue(rng, rng.choice(QUEUE_NAMES)))
        elif operation == "drop" and agent_ids:
            agent_id = rng.choice(agent_ids)
            self.board.remove_agent(agent_id)
            del mirror.agents[agent_id]

    def check(self) -> None:
        board, mirror = self.board, self.mirror
        for waiting in mirror.calls:
            expected = reference.candidates_for_call(mirror.queues, mirror.agents, mirror.pointers, waiting)
            assert board.candidates_for_call(waiting.call_uuid) == expected, waiting
            assert board.offer_for_call(waiting.call_uuid) == reference.offer_for_call(
                mirror.queues, mirror.agents, mirror.pointers, waiting
            ), waiting
        for agent_id in mirror.agents:
            assert board.offer_for_agent(agent_id) == reference.offer_for_agent(
                mirror.queues, mirror.agents, mirror.calls, agent_id
            ), agent_id
        for name in QUEUE_NAMES:
            arrival = {id(waiting): n for n, waiting in enumerate(mirror.calls)}
            expected_order = sorted(
                (waiting for waiting in mirror.calls if waiting.queue == name),
                key=lambda w: (-w.priority, w.enqueued_at, arrival[id(w)]),
            )
            assert list(board.waiting_calls(name)) == expected_order


@pytest.mark.parametrize("seed", SEEDS)
def test_board_agrees_with_brute_force_reference(seed: int) -> None:
    scenario = Scenario(seed)
    scenario.check()
    for _ in range(OPERATIONS_PER_SEED):
        scenario.step()
        scenario.check()


def test_random_scenarios_exercise_every_kind_of_decision() -> None:
    """Guards the generator: the comparisons above must cover offers, sticky picks, ring-all and None."""
    seen: set[str] = set()
    for seed in range(20):
        scenario = Scenario(seed)
        for _ in range(OPERATIONS_PER_SEED):
            scenario.step()
            for waiting in scenario.mirror.calls:
                offer = scenario.board.offer_for_call(waiting.call_uuid)
                if offer is None:
                    seen.add("no agent")
                elif offer.sticky:
                    seen.add("sticky")
                elif len(offer.agent_ids) > 1:
                    seen.add("ring-all")
                else:
                    seen.add(scenario.mirror.queues[waiting.queue].strategy)
            for agent_id in scenario.mirror.agents:
                agent_offer = scenario.board.offer_for_agent(agent_id)
                seen.add("agent offer" if agent_offer is not None else "agent idle")
                if agent_offer is not None and agent_offer.sticky:
                    seen.add("sticky for agent")
    assert seen >= {"no agent", "sticky", "ring-all", "agent offer", "agent idle", "sticky for agent"}
    assert seen >= set(STRATEGIES) - {"ring-all"}
