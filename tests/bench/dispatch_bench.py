"""Dispatch decision latency: the indexed DispatchBoard against the brute-force reference.

Board: 1,000 agents, 100 queues (each agent in ~3 queues over 3 tier levels, strategies mixed), 10
skills, 10,000 waiting calls (some VIP, some sticky, some needing an extra skill), 30% of agents free.
Measured with time.perf_counter_ns around each decision:
- offer_for_call on random waiting calls (a caller joined);
- offer_for_agent on random agents made free beforehand (an agent became free);
- churn: whole events as the server would handle them (add_call + offer_for_call, or agent_available
  + offer_for_agent, then `assigned` on the offer), the board kept at 10,000 calls.
The reference scans every agent and call per decision; it runs fewer samples.
Target (issue 3): p99 < 5 ms. Run: .venv/bin/python -m tests.bench.dispatch_bench
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from ivr_scripts.acd import (
    STRATEGIES,
    AgentView,
    DispatchBoard,
    QueueRules,
    Tier,
    WaitingCall,
    reference,
)

AGENTS = 1_000
QUEUES = 100
QUEUES_PER_AGENT = 3
WAITING_CALLS = 10_000
SKILLS = tuple(f"skill{n}" for n in range(10))
SAMPLES = 5_000
REFERENCE_SAMPLES = 100
SEED = 3


def build(rng: random.Random) -> tuple[dict[str, QueueRules], dict[str, AgentView], list[WaitingCall]]:
    agent_ids = [f"{1000 + n}" for n in range(AGENTS)]
    agents = {
        agent_id: AgentView(
            agent_id,
            available=rng.random() < 0.3,
            idle_since=rng.uniform(0, 3600),
            calls_answered=rng.randint(0, 40),
            talk_seconds=rng.uniform(0, 20_000),
            skills={skill: rng.randint(1, 5) for skill in rng.sample(SKILLS, rng.randint(2, 5))},
        )
        for agent_id in agent_ids
    }
    members: dict[int, list[Tier]] = {q: [] for q in range(QUEUES)}
    for agent_id in agent_ids:
        for q in rng.sample(range(QUEUES), QUEUES_PER_AGENT):
            members[q].append(Tier(agent_id, rng.randint(1, 3), len(members[q]) + 1))
    queues = {}
    for q, tiers in members.items():
        strategy = STRATEGIES[q % len(STRATEGIES)]
        required = {rng.choice(SKILLS): 1} if rng.random() < 0.3 else {}
        queues[f"queue{q}"] = QueueRules(f"queue{q}", strategy, tuple(tiers), required)
    calls = [random_call(rng, n, agent_ids) for n in range(WAITING_CALLS)]
    return queues, agents, calls


def random_call(rng: random.Random, n: int, agent_ids: list[str]) -> WaitingCall:
    return WaitingCall(
        f"{n:08x}-0000-4000-8000-000000000000",
        f"queue{rng.randrange(QUEUES)}",
        priority=rng.choice((0, 0, 0, 0, 0, 0, 0, 10, 10, 20)),
        enqueued_at=float(n),
        sticky_agent=rng.choice(agent_ids) if rng.random() < 0.2 else None,
        extra_skills={rng.choice(SKILLS): rng.randint(1, 3)} if rng.random() < 0.1 else {},
    )


def percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    """(p50, p99, max) in microseconds."""
    cuts = statistics.quantiles(samples_ns, n=100, method="inclusive")
    return cuts[49] / 1000, cuts[98] / 1000, max(samples_ns) / 1000


def timed(decide: Callable[[], object]) -> int:
    start = time.perf_counter_ns()
    decide()
    return time.perf_counter_ns() - start


def run() -> dict[str, float]:
    rng = random.Random(SEED)
    queues, agents, calls = build(rng)
    board = DispatchBoard()
    for view in agents.values():
        board.set_agent(view)
    for rules in queues.values():
        board.set_queue(rules)
    started = time.perf_counter()
    for waiting in calls:
        board.add_call(waiting)
    load_ms = (time.perf_counter() - started) * 1000
    agent_ids = list(agents)

    picked_calls = [rng.choice(calls) for _ in range(SAMPLES)]
    for_call = [timed(partial(board.offer_for_call, c.call_uuid)) for c in picked_calls]

    picked_agents = [rng.choice(agent_ids) for _ in range(SAMPLES)]
    for_agent: list[int] = []
    for agent_id in picked_agents:
        board.agent_available(agent_id)
        for_agent.append(timed(partial(board.offer_for_agent, agent_id)))
        board.set_agent(agents[agent_id])  # back to the built state

    ref_agents = {agent_id: board.agent(agent_id) for agent_id in agent_ids}
    ref_for_call = [
        timed(partial(reference.offer_for_call, queues, ref_agents, {}, c))
        for c in picked_calls[:REFERENCE_SAMPLES]
    ]
    ref_for_agent: list[int] = []
    for agent_id in picked_agents[:REFERENCE_SAMPLES]:
        free = dict(ref_agents)
        free[agent_id] = replace(agents[agent_id], available=True)
        ref_for_agent.append(timed(partial(reference.offer_for_agent, queues, free, calls, agent_id)))

    churn = churn_events(board, rng, agent_ids)

    figures: dict[str, float] = {"load_10k_calls_ms": load_ms}
    rows: tuple[tuple[str, list[int], list[int]], ...] = (
        ("offer_for_call", for_call, ref_for_call),
        ("offer_for_agent", for_agent, ref_for_agent),
        ("churn_event", churn, []),
    )
    print(
        f"{AGENTS} agents, {QUEUES} queues, {WAITING_CALLS} waiting calls; adding the calls: {load_ms:.0f} ms"
    )
    header = ("decision", "p50 us", "p99 us", "max us", "ref p50 us", "ref p99 us", "speed-up")
    print(
        f"{header[0]:<16}{header[1]:>10}{header[2]:>10}{header[3]:>10}{header[4]:>13}{header[5]:>13}{header[6]:>10}"
    )
    for name, ours, theirs in rows:
        p50, p99, worst = percentiles(ours)
        figures |= {f"{name}_p50_us": p50, f"{name}_p99_us": p99, f"{name}_max_us": worst}
        line = f"{name:<16}{p50:>10.1f}{p99:>10.1f}{worst:>10.1f}"
        if theirs:
            ref_p50, ref_p99, _ = percentiles(theirs)
            figures |= {f"reference_{name}_p50_us": ref_p50, f"reference_{name}_p99_us": ref_p99}
            line += f"{ref_p50:>13.1f}{ref_p99:>13.1f}{ref_p50 / p50:>9.0f}x"
        print(line)
    worst_p99 = max(
        figures["offer_for_call_p99_us"], figures["offer_for_agent_p99_us"], figures["churn_event_p99_us"]
    )
    verdict = "meets" if worst_p99 < 5000 else "MISSES"
    print(f"target p99 < 5 ms per decision: {verdict}")
    return figures


def churn_events(board: DispatchBoard, rng: random.Random, agent_ids: list[str]) -> list[int]:
    """Whole events, decision and bookkeeping, on a live board that stays at WAITING_CALLS calls."""
    samples = []
    next_call = WAITING_CALLS
    for _ in range(SAMPLES):
        start = time.perf_counter_ns()
        if rng.random() < 0.5:
            waiting = random_call(rng, next_call, agent_ids)
            next_call += 1
            board.add_call(waiting)
            offer = board.offer_for_call(waiting.call_uuid)
        else:
            agent_id = rng.choice(agent_ids)
            board.agent_available(agent_id, idle_since=float(next_call))
            offer = board.offer_for_agent(agent_id)
        if offer is not None:
            board.assigned(offer.call_uuid, offer.agent_ids[0])
        samples.append(time.perf_counter_ns() - start)
        if offer is not None:  # keep the board's size: a fresh caller replaces the one answered
            board.add_call(random_call(rng, next_call, agent_ids))
            next_call += 1
    return samples


if __name__ == "__main__":
    run()
