"""Channel events turned into call-record updates (the CDR side of the calls table).

Both the outbound session (its own channel's events, via myevents) and the inbound event listener
(every channel) feed events through here; the database merges the updates by UUID, so whichever
arrives first, twice, or not at all, the row ends the same.

Only inbound channels are calls here. The legs FreeSWITCH originates to agents are recorded
by the queue layer as agent legs, not as calls of their own.
"""

from __future__ import annotations

import datetime as dt

from esl_handlers.codec import Event
from schema.calls.records import CallUpdate

CDR_EVENTS = ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE")


def from_micros(value: str | None) -> dt.datetime | None:
    """FreeSWITCH's *-Time headers: microseconds since the epoch, "0" when it has not happened."""
    if not value or value == "0":
        return None
    try:
        return dt.datetime.fromtimestamp(int(value) / 1_000_000, tz=dt.UTC)
    except (ValueError, OverflowError):
        return None


def call_update_from_event(event: Event) -> CallUpdate | None:
    name = event.name
    if name not in CDR_EVENTS or event.get("Call-Direction") != "inbound":
        return None
    uuid = event.unique_id
    if not uuid:
        return None
    started_at = from_micros(event.get("Caller-Channel-Created-Time"))
    answered_at = from_micros(event.get("Caller-Channel-Answered-Time"))
    if name == "CHANNEL_CREATE":
        # After a transfer Caller-Destination-Number names the new target, so the dialled number
        # is read only from the event that opens the call (and from cc_did, set before the socket).
        return CallUpdate(
            uuid=uuid,
            direction="inbound",
            caller_number=event.get("Caller-Caller-ID-Number"),
            caller_name=event.get("Caller-Caller-ID-Name"),
            did=event.get("variable_cc_did") or event.get("Caller-Destination-Number"),
            started_at=started_at,
        )
    if name == "CHANNEL_ANSWER":
        return CallUpdate(uuid=uuid, direction="inbound", started_at=started_at, answered_at=answered_at)
    return CallUpdate(
        uuid=uuid,
        direction="inbound",
        did=event.get("variable_cc_did"),
        started_at=started_at,
        answered_at=answered_at,
        ended_at=from_micros(event.get("Caller-Channel-Hangup-Time")),
        hangup_cause=event.get("Hangup-Cause") or event.get("variable_hangup_cause"),
    )
