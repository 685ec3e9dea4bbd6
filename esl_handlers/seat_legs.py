"""Agents' seat legs on the switch: how the dialer calls an agent's phone once and keeps it up.

Checked against FreeSWITCH's source and on the real switch (tests/live/test_live_seats.py):
- `park_after_bridge=true` on the agent's leg: when the customer bridged to it hangs up, the leg is
  parked again (switch_ivr_bridge.c) and fires CHANNEL_PARK, instead of hanging up;
- `hangup_after_bridge=false` keeps a dialplan from ending it either;
- `sip_auto_answer=true`: mod_sofia adds `Call-Info: <sip:ip>;answer-after=0` and `intercom=true` to
  the INVITE, so a headset phone answers by itself (mod_sofia.c, sofia_outgoing_channel). It also
  sends an in-dialog NOTIFY "Event: talk" after the 180 (sofia.c, the Snom/Polycom "answer now")
  unless sip_auto_answer_suppress_notify=true; a phone that does not expect it may drop the call (the
  SIPp agent phone did), and the Call-Info header is what phones answer on, so it is suppressed.
A customer is joined with uuid_bridge; 60 ms from the switch's decision to CHANNEL_BRIDGE was measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

SEAT_AGENT_VARIABLE: Final = "cc_seat_agent"
SeatFact = Literal["answered", "parked", "gone"]

_FACTS: Final[Mapping[str, SeatFact]] = {
    "CHANNEL_ANSWER": "answered",
    "CHANNEL_PARK": "parked",
    "CHANNEL_HANGUP": "gone",
    "CHANNEL_HANGUP_COMPLETE": "gone",
}
SEAT_EVENTS: Final = tuple(_FACTS)


def auto_answer_variables() -> dict[str, str]:
    """The originate variables that make an agent's phone answer by itself (Call-Info answer-after=0),
    without the NOTIFY some phones drop the call on: seats, previews, the ACD's headset agents."""
    return {"sip_auto_answer": "true", "sip_auto_answer_suppress_notify": "true"}


def seat_variables(agent_id: str, *, auto_answer: bool = True) -> dict[str, str]:
    """The originate variables of an agent's seat leg."""
    variables = {"park_after_bridge": "true", "hangup_after_bridge": "false", SEAT_AGENT_VARIABLE: agent_id}
    if auto_answer:
        variables.update(auto_answer_variables())
    return variables


def seat_fact(headers: Mapping[str, str]) -> tuple[SeatFact, str] | None:
    """(fact, leg uuid) of an event about a seat leg, None for any other event."""
    fact = _FACTS.get(headers.get("Event-Name", ""))
    if fact is None or not headers.get(f"variable_{SEAT_AGENT_VARIABLE}"):
        return None
    return fact, headers.get("Unique-ID", "")
