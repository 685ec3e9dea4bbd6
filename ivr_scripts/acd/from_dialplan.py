"""The YAML's queues and agents (`dialplans.models`) as the ACD's values. Pure mapping, no I/O.

Where each field of a `dialplans.models.Queue` lands:
- strategy, tiers, required_skills: `QueueRules` (dispatch), keyed by the queue's YAML key.
- music_on_hold, announce, max_wait, on_max_wait, exit_key, exit_action, callback_key, ring_timeout,
  wrap_up, max_no_answer: `QueueSettings` (the waiting caller, the offer flow, the agent service).
- priorities: `priority_for`; sticky_days: `sticky_since` (the window handed to schema.acd.sticky).
- name, extension: not the ACD's; the renderer and reports read them from the dialplan.
- survey: not the ACD's; the IVR runner runs it after the queue hands the call back (agent hung up first).
"""

from __future__ import annotations

import datetime as dt
from typing import Final, assert_never

from dialplans import models as plan
from ivr_scripts.acd.model import AgentView, QueueRules, Tier
from ivr_scripts.acd.settings import CallbackOverflow, QueueOverflow, QueueSettings, VoicemailOverflow

DEFAULT_PRIORITY: Final = 0
_DEFAULTS: Final = QueueSettings()


def queue_rules(name: str, queue: plan.Queue) -> QueueRules:
    """How queue `name` picks agents: its strategy, its tiers in YAML order, its required skills."""
    return QueueRules(
        name=name,
        strategy=queue.strategy,
        tiers=tuple(Tier(tier.agent, level=tier.level, position=tier.position) for tier in queue.tiers),
        required_skills=dict(queue.required_skills),
    )


def all_queue_rules(dialplan: plan.Dialplan) -> dict[str, QueueRules]:
    """Every queue of the dialplan, by name."""
    return {name: queue_rules(name, queue) for name, queue in dialplan.queues.items()}


def queue_settings(
    queue: plan.Queue,
    *,
    announce_on_entry: bool = False,
    callback_endpoint: str | None = None,
    callback_ring_timeout: float | None = None,
    callback_attempts: int | None = None,
) -> QueueSettings:
    """How the queue treats its callers. The keyword arguments are the server's, not the YAML's;
    None keeps `QueueSettings`' default."""
    announce = queue.announce
    action, overflow = overflow_of(queue.on_max_wait)
    return QueueSettings(
        music_on_hold=queue.music_on_hold,
        announce_every=None if announce is None else float(announce.every),
        announce_on_entry=announce_on_entry and announce is not None,
        announce_position=announce is not None and announce.position,
        announce_expected_wait=announce is not None and announce.expected_wait,
        max_wait=None if queue.max_wait is None else float(queue.max_wait),
        on_max_wait=action,
        max_wait_overflow=overflow,
        exit_key=queue.exit_key,
        on_exit_key=queue.exit_action,
        callback_key=queue.callback_key,
        ring_timeout=float(queue.ring_timeout),
        wrap_up=float(queue.wrap_up),
        max_no_answer=queue.max_no_answer,
        callback_endpoint=_DEFAULTS.callback_endpoint if callback_endpoint is None else callback_endpoint,
        callback_ring_timeout=(
            _DEFAULTS.callback_ring_timeout if callback_ring_timeout is None else callback_ring_timeout
        ),
        callback_attempts=_DEFAULTS.callback_attempts if callback_attempts is None else callback_attempts,
    )


def overflow_of(overflow: plan.Overflow | None) -> tuple[plan.Action | None, QueueOverflow | None]:
    """A YAML `on_max_wait` as (dialplan action, or overflow no action can express); one is None."""
    match overflow:
        case None:
            return None, None
        case plan.OverflowToQueue(queue=target):
            return plan.Transfer(transfer=plan.TransferTarget(queue=target)), None
        case plan.OverflowMessage(play=prompt, then=then):
            return plan.PlayMessage(play=prompt, then=then), None
        case plan.OverflowToVoicemail(voicemail=mailbox):
            return None, VoicemailOverflow(mailbox)
        case plan.OverflowToCallback(callback=spec):
            return None, CallbackOverflow(prompt=spec.prompt)
        case _:
            assert_never(overflow)


def agent_view(
    agent_id: str,
    agent: plan.Agent,
    *,
    available: bool,
    idle_since: float,
    calls_answered: int = 0,
    talk_seconds: float = 0.0,
) -> AgentView:
    """The agent as dispatch sees it: the YAML's skills with the live figures the caller knows."""
    return AgentView(
        agent_id=agent_id,
        available=available,
        idle_since=idle_since,
        calls_answered=calls_answered,
        talk_seconds=talk_seconds,
        skills=dict(agent.skills),
    )


def priority_for(queue: plan.Queue, customer_tier: str | None) -> int:
    """The caller's priority in the queue (higher first); a tier the queue does not list is regular."""
    if customer_tier is None:
        return DEFAULT_PRIORITY
    return queue.priorities.get(customer_tier, DEFAULT_PRIORITY)


def sticky_since(queue: plan.Queue, now: dt.datetime) -> dt.datetime | None:
    """The start of the window in which a returning caller goes back to their agent; None: not sticky."""
    if queue.sticky_days == 0:
        return None
    return now - dt.timedelta(days=queue.sticky_days)
