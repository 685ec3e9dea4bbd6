"""Recording how a bridged queue call ended: COMPLETECALLER, COMPLETEAGENT or TRANSFER, and the end of
the answered agent leg."""

from __future__ import annotations

from typing import Final, Literal

from dialplans.clock import Clock
from dialplans.vocabulary import COMPLETEAGENT, COMPLETECALLER, TRANSFER, QueueEventName
from ivr_scripts.acd.agent_legs import AgentLegReport
from ivr_scripts.acd.queue_events import QueueEventReport, QueueEventSink
from ivr_scripts.acd.waiting import QueueTicket

_COMPLETION_EVENTS: Final[dict[str, QueueEventName]] = {
    "caller": COMPLETECALLER,
    "agent": COMPLETEAGENT,
    "transfer": TRANSFER,
}


def complete_call(
    ticket: QueueTicket,
    ended_by: Literal["caller", "agent", "transfer"],
    *,
    events: QueueEventSink,
    clock: Clock,
    leg: AgentLegReport | None = None,
) -> float | None:
    """The bridged call ended: record COMPLETECALLER, COMPLETEAGENT or TRANSFER with the wait and talk
    seconds, and the end of the answered agent `leg` (the offer's `answered_leg`); return the talk seconds
    (None, recording nothing, if the ticket was not connected: a replayed hang-up)."""
    if ticket.connected_at is None or not ticket.complete():
        return None
    now = clock()
    talk_s = max(0.0, (now - ticket.connected_at).total_seconds())
    event = _COMPLETION_EVENTS[ended_by]
    events.record(
        QueueEventReport(
            event=event,
            call_uuid=ticket.call_uuid,
            queue=ticket.queue,
            agent_id=ticket.agent_id,
            wait_s=ticket.wait_s,
            talk_s=talk_s,
            at=now,
            data="callback" if ticket.callback is not None else None,
        )
    )
    if leg is not None:
        events.leg(leg.with_end(now, talk_s))
    return talk_s
