"""What the switch saw of a campaign's calls, rebuilt from its events: when each customer leg was created,
how long it was in flight (not yet with an agent), the agents' seats and the customers bridged to them.

Used by the predictive live test to prove from the switch side (not the dialer's memory) that the dialer
had more customer calls in flight than seats waiting, and that no seat had two customers at once.

- A customer leg is one whose events carry `variable_cc_campaign`; a seat leg one with
  `variable_cc_seat_agent` (esl_handlers.campaign_calls, esl_handlers.seat_legs).
- A customer is in flight from its CHANNEL_CREATE until it is bridged to a seat (CHANNEL_BRIDGE), a
  message starts playing to it (a dropped person, a machine) or it ends (CHANNEL_HANGUP_COMPLETE).
- A seat is free while its leg is parked and no customer is bridged to it: from each CHANNEL_PARK of the
  seat leg to the next customer's CHANNEL_BRIDGE naming it. Wrap-up is invisible to the switch, so this
  counts a seat in wrap-up as free: the comparison errs against dialling ahead.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from esl_handlers.campaign_calls import CAMPAIGN_VARIABLE
from esl_handlers.seat_legs import SEAT_AGENT_VARIABLE

Headers = Mapping[str, str]
LEAVING = ("CHANNEL_UNBRIDGE", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE")
EVENTS = (
    "CHANNEL_CREATE",
    "CHANNEL_PARK",
    "CHANNEL_BRIDGE",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    *LEAVING,
)
"""The events `switch_view` reads."""


def at(headers: Headers) -> float:
    """The switch's time of an event, in seconds."""
    return int(headers["Event-Date-Timestamp"]) / 1_000_000


def _first(events: Sequence[Headers], name: str, application: str | None = None) -> Headers | None:
    for headers in events:
        if headers.get("Event-Name") == name and (
            application is None or headers.get("Application") == application
        ):
            return headers
    return None


@dataclass(frozen=True)
class CustomerLeg:
    uuid: str
    created: float
    flight_ends: float
    """Bridged, a message started, or hung up: whichever came first."""
    decided: float | None
    """wait_for_silence completed: the switch heard who answered."""
    bridged: float | None
    seat: str | None
    """The seat leg it was bridged to."""
    ended: float | None
    """It left its seat or hung up (CHANNEL_UNBRIDGE, CHANNEL_HANGUP or its completion)."""
    played: tuple[str, ...]
    """The files played to it."""


@dataclass(frozen=True)
class SwitchView:
    customers: dict[str, CustomerLeg]
    seat_parks: dict[str, list[float]]
    """Each seat leg's CHANNEL_PARK times."""
    seat_agents: dict[str, str]
    """Each seat leg's agent."""

    def in_flight(self, moment: float) -> int:
        return sum(1 for c in self.customers.values() if c.created <= moment < c.flight_ends)

    def seats_free(self, moment: float) -> int:
        free = 0
        for seat, parks in self.seat_parks.items():
            parked = [p for p in parks if p <= moment]
            if not parked:
                continue
            bridges = [c.bridged for c in self.customers.values() if c.seat == seat and c.bridged is not None]
            if not any(parked[-1] < b <= moment for b in bridges):
                free += 1
        return free

    def ahead(self) -> list[tuple[float, int, int]]:
        """At each customer leg's creation: (time, calls in flight, seats free)."""
        moments = sorted(c.created for c in self.customers.values())
        return [(m, self.in_flight(m), self.seats_free(m)) for m in moments]

    def overlapping_customers(self) -> list[tuple[str, str]]:
        """Pairs of customers bridged to one seat at once."""
        clashes: list[tuple[str, str]] = []
        by_seat: dict[str, list[CustomerLeg]] = {}
        for customer in self.customers.values():
            if customer.seat is not None:
                by_seat.setdefault(customer.seat, []).append(customer)
        for legs in by_seat.values():
            legs.sort(key=lambda c: c.bridged or 0.0)
            for before, after in itertools.pairwise(legs):
                if before.ended is None or after.bridged is None or after.bridged < before.ended:
                    clashes.append((before.uuid, after.uuid))
        return clashes


def switch_view(by_leg: Mapping[str, Sequence[Headers]], campaign: str) -> SwitchView:
    customers: dict[str, CustomerLeg] = {}
    seat_parks: dict[str, list[float]] = {}
    seat_agents: dict[str, str] = {}
    for uuid, events in by_leg.items():
        if not events:
            continue
        agents = {agent for h in events if (agent := h.get(f"variable_{SEAT_AGENT_VARIABLE}"))}
        if agents:
            seat_agents[uuid] = min(agents)
            seat_parks[uuid] = [at(h) for h in events if h.get("Event-Name") == "CHANNEL_PARK"]
        elif any(h.get(f"variable_{CAMPAIGN_VARIABLE}") == campaign for h in events):
            customers[uuid] = _customer(uuid, events)
    return SwitchView(customers, seat_parks, seat_agents)


def _customer(uuid: str, events: Sequence[Headers]) -> CustomerLeg:
    created = _first(events, "CHANNEL_CREATE") or events[0]
    decided = _first(events, "CHANNEL_EXECUTE_COMPLETE", "wait_for_silence")
    bridge = _first(events, "CHANNEL_BRIDGE")
    message = _first(events, "CHANNEL_EXECUTE", "playback")
    gone = [at(h) for h in events if h.get("Event-Name") in LEAVING]
    ended = min(gone) if gone else None
    ends = [at(h) for h in (bridge, message) if h is not None] + gone
    played = tuple(
        h.get("Application-Data", "")
        for h in events
        if h.get("Event-Name") == "CHANNEL_EXECUTE" and h.get("Application") == "playback"
    )
    return CustomerLeg(
        uuid,
        at(created),
        min(ends) if ends else float("inf"),
        at(decided) if decided else None,
        at(bridge) if bridge else None,
        bridge.get("Other-Leg-Unique-ID") if bridge else None,
        ended,
        played,
    )
