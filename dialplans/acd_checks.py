"""Checks of queues and agents across the whole dialplan (the ACD part of `checks`).

Like `checks`, every function reports all it finds as `Finding`s and never raises. The
references of a queue's `exit_action` are checked with the menus' actions in `checks`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from dialplans.errors import Finding, NodePath, unknown_reference
from dialplans.fallback_checks import fallbacks
from dialplans.models import (
    Dialplan,
    GotoMenu,
    OverflowMessage,
    OverflowToCallback,
    OverflowToQueue,
    PlayMessage,
    Queue,
    Transfer,
)


def check_acd(plan: Dialplan) -> list[Finding]:
    return [
        *_tiers(plan),
        *_skills(plan),
        *_overflow(plan),
        *_overflow_cycles(plan),
        *_keys(plan),
        *_agent_extensions(plan),
        *_idle(plan),
    ]


def overflow_target(queue: Queue) -> str | None:
    """The queue a caller moves on to when `max_wait` runs out, if any."""
    if queue.max_wait is not None and isinstance(queue.on_max_wait, OverflowToQueue):
        return queue.on_max_wait.queue
    return None


def queue_menus(plan: Dialplan, name: str) -> list[str]:
    """Menus a caller of queue `name` can reach with an exit key, along its overflow chain."""
    menus: list[str] = []
    seen: set[str] = set()
    waiting = [name]
    while waiting:
        current = waiting.pop()
        queue = plan.queues.get(current)
        if current in seen or queue is None:
            continue
        seen.add(current)
        target = overflow_target(queue)
        if target is not None:
            waiting.append(target)
        action = queue.exit_action if queue.exit_key is not None else None
        if isinstance(action, GotoMenu):
            menus.append(action.menu)
        elif isinstance(action, Transfer) and action.transfer.queue is not None:
            waiting.append(action.transfer.queue)
    return menus


def _tiers(plan: Dialplan) -> Iterator[Finding]:
    for name, queue in plan.queues.items():
        placed: dict[str, int] = {}
        for index, tier in enumerate(queue.tiers):
            path: NodePath = ("queues", name, "tiers", index, "agent")
            if tier.agent not in plan.agents:
                yield Finding(path, unknown_reference("agent", tier.agent, plan.agents))
            elif tier.agent in placed:
                yield Finding(
                    path,
                    f"agent {tier.agent!r} is already in this queue at tiers[{placed[tier.agent]}]: "
                    "an agent has one tier per queue",
                )
            else:
                placed[tier.agent] = index


def _skills_text(required: Mapping[str, int]) -> str:
    return " and ".join(f"{skill} {level}" for skill, level in required.items())


def _lacks(skills: Mapping[str, int], required: Mapping[str, int]) -> dict[str, int]:
    return {skill: level for skill, level in required.items() if skills.get(skill, 0) < level}


def _skills(plan: Dialplan) -> Iterator[Finding]:
    """A queue whose required skills no tier agent holds can never be answered."""
    for name, queue in plan.queues.items():
        required = queue.required_skills
        members = [(i, t.agent) for i, t in enumerate(queue.tiers) if t.agent in plan.agents]
        if not required or not members:
            continue
        lacking = {index: _lacks(plan.agents[agent].skills, required) for index, agent in members}
        if all(lacking.values()):
            yield Finding(
                ("queues", name, "required_skills"),
                f"no agent in this queue's tiers has {_skills_text(required)}, "
                "so nobody could ever answer its calls",
            )
            continue
        for index, agent in members:
            if lacking[index]:
                yield Finding(
                    ("queues", name, "tiers", index, "agent"),
                    f"agent {agent!r} lacks {_skills_text(lacking[index])}, which this queue requires: "
                    "it will never be offered this queue's calls",
                    "warning",
                )


def _overflow(plan: Dialplan) -> Iterator[Finding]:
    for name, queue in plan.queues.items():
        path: NodePath = ("queues", name, "on_max_wait")
        overflow = queue.on_max_wait
        if queue.max_wait is not None and overflow is None:
            yield Finding(
                ("queues", name),
                "this queue has max_wait, so it needs on_max_wait: what happens to a caller whose wait "
                "runs out",
            )
        if queue.max_wait is None and overflow is not None:
            yield Finding(
                path, "on_max_wait is never used: without max_wait callers wait until answered", "warning"
            )
        if isinstance(overflow, OverflowToQueue):
            if overflow.queue == name:
                yield Finding((*path, "queue"), "a queue cannot overflow into itself: name another queue")
            elif overflow.queue not in plan.queues:
                yield Finding((*path, "queue"), unknown_reference("queue", overflow.queue, plan.queues))
        elif isinstance(overflow, OverflowMessage) and overflow.play not in plan.prompts:
            yield Finding((*path, "play"), unknown_reference("prompt", overflow.play, plan.prompts))
        elif isinstance(overflow, OverflowToCallback):
            prompt = overflow.callback.prompt
            if prompt is not None and prompt not in plan.prompts:
                yield Finding(
                    (*path, "callback", "prompt"), unknown_reference("prompt", prompt, plan.prompts)
                )


def _overflow_cycles(plan: Dialplan) -> Iterator[Finding]:
    """Each queue overflows into at most one other, so every cycle is found by walking from each queue."""
    reported: set[frozenset[str]] = set()
    for start in plan.queues:
        chain: list[str] = []
        current: str | None = start
        while current is not None and current in plan.queues and current not in chain:
            chain.append(current)
            target = overflow_target(plan.queues[current])
            current = target if target != current else None
        if current is None or current not in chain:
            continue
        cycle = chain[chain.index(current) :]
        if frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        first = min(cycle)
        ordered = cycle[cycle.index(first) :] + cycle[: cycle.index(first)]
        yield Finding(
            ("queues", first, "on_max_wait", "queue"),
            f"overflow goes round in a circle ({' -> '.join([*ordered, first])}): "
            "a caller would be passed on forever; end the chain with a message, voicemail or callback",
        )


def _keys(plan: Dialplan) -> Iterator[Finding]:
    for name, queue in plan.queues.items():
        path: NodePath = ("queues", name)
        if queue.exit_key is not None and queue.exit_action is None:
            yield Finding(path, "this queue has exit_key, so it needs exit_action: what the key does")
        if queue.exit_key is None and queue.exit_action is not None:
            yield Finding(
                (*path, "exit_action"), "exit_action is never used: this queue has no exit_key", "warning"
            )
        if queue.exit_key is not None and queue.exit_key == queue.callback_key:
            yield Finding(
                (*path, "callback_key"),
                f"callback_key and exit_key are both {queue.exit_key!r}: give each its own key",
            )
        action = queue.exit_action
        if isinstance(action, PlayMessage) and action.then == "return":
            yield Finding(
                (*path, "exit_action", "then"),
                "a caller who leaves a queue cannot return to a menu's options; use `then: hangup`, "
                "or {menu: NAME} to send them to a menu",
            )
        if isinstance(action, Transfer) and action.transfer.queue == name:
            yield Finding(
                (*path, "exit_action", "transfer", "queue"),
                "the exit key would put the caller back into the queue they are leaving",
            )


def _agent_extensions(plan: Dialplan) -> Iterator[Finding]:
    """An agent's phone number must ring that agent only: not another agent, not a queue."""
    queues = {queue.extension: name for name, queue in plan.queues.items()}
    owners: dict[str, str] = {}
    for agent_id, agent in plan.agents.items():
        extension = agent.extension or agent_id
        path: NodePath = ("agents", agent_id, "extension")
        if extension in owners:
            yield Finding(
                path, f"extension {extension!r} is already the phone of agent {owners[extension]!r}"
            )
        elif extension in queues:
            yield Finding(
                path, f"extension {extension!r} is already the number of queue {queues[extension]!r}"
            )
        else:
            owners[extension] = agent_id


def _idle(plan: Dialplan) -> Iterator[Finding]:
    placed = {tier.agent for queue in plan.queues.values() for tier in queue.tiers}
    # FreeSWITCH rings a fallback's agents itself when the application server is down.
    placed.update(agent for _, fallback in fallbacks(plan) for agent in fallback.ring)
    placed.update(agent for campaign in plan.campaigns.values() for agent in campaign.agents)
    for agent_id in plan.agents:
        if agent_id not in placed:
            yield Finding(
                ("agents", agent_id),
                f"agent {agent_id!r} is in no queue's tiers: no call will reach it",
                "warning",
            )
    for name, queue in plan.queues.items():
        if not queue.tiers:
            yield Finding(("queues", name), f"queue {name!r} has no tiers: no agent can answer it", "warning")
