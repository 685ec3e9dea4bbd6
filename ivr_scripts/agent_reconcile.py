"""The reconciler: derive each agent's true state from the switch's live channels.

Run it after a server restart or an ESL reconnect, when events may have been lost. The switch is the
truth about calls: an agent whose extension is bridged is on a call whatever the stored state says, and an
agent stored as busy with no channel at all is not. Everything else (breaks, logins, a channel that rings
or dials but is not bridged) is left as stored. Each correction is a `force` transition with reason
"reconciled"; write it to the state log like any other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from ivr_scripts.agent_states import AgentState, AgentStatus, Transition, Trigger, apply

RECONCILED: Final = "reconciled"


@dataclass(frozen=True, slots=True)
class LiveAgentChannel:
    """A channel the switch has for an agent's extension (from `show channels` / `show calls`).

    `call_uuid` must name the call the way the ACD does: when bridged, the caller's channel UUID (the call
    the agent was reserved for), not the agent leg's own UUID.
    """

    call_uuid: str
    bridged: bool


# Agent id -> its live channel; an agent with no entry has no channel on the switch.
LiveChannels = Mapping[str, LiveAgentChannel]


def reconcile(
    statuses: Iterable[AgentStatus],
    live: LiveChannels,
    now: dt.datetime,
    *,
    wrap_up_seconds: Mapping[str, int] | None = None,
    settle: dt.timedelta = dt.timedelta(0),
) -> list[Transition]:
    """The corrections that bring stored statuses in line with the live channels, in input order.

    `wrap_up_seconds` gives, per agent id, the wrap-up of the queue of the call it was on (missing: 0);
    the wrap-up starts at `now`, since when the call really ended is unknown. Statuses that changed less
    than `settle` before `now` are skipped: their events may still be in flight (use it when reconciling
    while dispatch runs, where a reservation has no channel yet by design).
    """
    wrap_ups = wrap_up_seconds or {}
    corrections: list[Transition] = []
    for status in statuses:
        if settle > dt.timedelta(0) and now - status.since < settle:
            continue
        seconds = wrap_ups.get(status.agent_id, 0)
        correction = _true_state(status, live.get(status.agent_id), seconds)
        if correction is None:
            continue
        target, call_uuid = correction
        transition = apply(
            status,
            Trigger.FORCE,
            at=now,
            target=target,
            call_uuid=call_uuid,
            reason=RECONCILED,
            wrap_up_seconds=seconds,
        )
        if transition.changed:
            corrections.append(transition)
    return corrections


def _true_state(
    status: AgentStatus, channel: LiveAgentChannel | None, wrap_up_seconds: int
) -> tuple[AgentState, str | None] | None:
    """The state and call the agent is really in, or None when the stored status stands."""
    if channel is not None and channel.bridged:
        if status.state is AgentState.ON_CALL and status.call_uuid == channel.call_uuid:
            return None
        return AgentState.ON_CALL, channel.call_uuid
    if channel is not None:
        return None  # ringing, on hold or dialling: not evidence either way
    if status.state is AgentState.ON_CALL:
        return (AgentState.WRAP_UP if wrap_up_seconds > 0 else AgentState.AVAILABLE), status.call_uuid
    if status.state in (AgentState.RESERVED, AgentState.RINGING):
        return AgentState.AVAILABLE, None  # the offer died with the restart: not the agent's no-answer
    return None
