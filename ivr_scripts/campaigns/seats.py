"""Campaign agents' seats: each agent's phone leg, called once and kept up between customers.

A person who answers a campaign call must hear an agent within 2 s, so the dialer does not ring an
agent's phone per call: it calls the phone once when the agent joins the campaign (auto-answered,
docs/campaigns.md "Agents' seats"), keeps that leg parked, and bridges each customer to it. When the
customer hangs up, the switch parks the agent's leg again (park_after_bridge); when the agent hangs
up, the seat is gone. After a customer the seat is in wrap-up for the campaign's `wrap_up` seconds (the
agent closes the call: disposition, answers) before it takes the next. This table follows the legs
only; whether the agent may take a call (ready, break) stays with the agent state machine.

    calling --answered--> waiting --connected--> connected --customer left--> wrap_up --over--> waiting
        \\_______________________________________ agent hung up _______________________________> gone
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class SeatState(StrEnum):
    CALLING = "calling"
    """The agent's phone is being called."""
    WAITING = "waiting"
    """The leg is up and parked: a customer can be bridged to it at once."""
    CONNECTED = "connected"
    WRAP_UP = "wrap_up"
    """The customer left; the agent closes the call until `wrap_up_until`, then the seat waits again."""
    GONE = "gone"


class SeatError(ValueError):
    pass


@dataclass
class Seat:
    agent_id: str
    leg_uuid: str
    state: SeatState
    since: dt.datetime
    customer_uuid: str | None = None
    wrap_up: dt.timedelta = dt.timedelta(0)
    """The wrap-up the connected customer's campaign gives after the call."""
    wrap_up_until: dt.datetime | None = None


class SeatTable:
    def __init__(self) -> None:
        self._by_leg: dict[str, Seat] = {}
        self._by_agent: dict[str, Seat] = {}

    def open(self, agent_id: str, leg_uuid: str, now: dt.datetime) -> Seat:
        """The agent's phone is being called for a seat (SeatError if the agent already has one)."""
        if agent_id in self._by_agent:
            raise SeatError(f"agent {agent_id} already has a seat ({self._by_agent[agent_id].state})")
        if leg_uuid in self._by_leg:
            raise SeatError(f"leg {leg_uuid} already holds a seat")
        seat = Seat(agent_id, leg_uuid, SeatState.CALLING, now)
        self._by_leg[leg_uuid] = self._by_agent[agent_id] = seat
        return seat

    def answered(self, leg_uuid: str, now: dt.datetime) -> Seat | None:
        seat = self._by_leg.get(leg_uuid)
        if seat is not None and seat.state is SeatState.CALLING:
            self._move(seat, SeatState.WAITING, now)
        return seat

    def connected(
        self, leg_uuid: str, customer_uuid: str, now: dt.datetime, wrap_up: dt.timedelta = dt.timedelta(0)
    ) -> Seat:
        """A customer was bridged to the seat, `wrap_up` to follow (SeatError unless it was waiting)."""
        seat = self._by_leg.get(leg_uuid)
        if seat is None or seat.state is not SeatState.WAITING:
            raise SeatError(f"leg {leg_uuid} is not a waiting seat")
        self._move(seat, SeatState.CONNECTED, now)
        seat.customer_uuid, seat.wrap_up = customer_uuid, wrap_up
        return seat

    def parked(self, leg_uuid: str, now: dt.datetime) -> str | None:
        """The seat's leg was parked again: the customer who left, if one was connected (the seat then
        wraps up, or waits at once when the campaign gives no wrap-up)."""
        seat = self._by_leg.get(leg_uuid)
        if seat is None or seat.state is not SeatState.CONNECTED:
            return None
        customer, seat.customer_uuid = seat.customer_uuid, None
        if seat.wrap_up > dt.timedelta(0):
            self._move(seat, SeatState.WRAP_UP, now)
            seat.wrap_up_until = now + seat.wrap_up
        else:
            self._move(seat, SeatState.WAITING, now)
        return customer

    def gone(self, leg_uuid: str, now: dt.datetime) -> Seat | None:
        """The agent's leg hung up; the seat (with the customer it had, if any) is forgotten."""
        seat = self._by_leg.pop(leg_uuid, None)
        if seat is None:
            return None
        del self._by_agent[seat.agent_id]
        self._move(seat, SeatState.GONE, now)
        return seat

    def seat_of(self, agent_id: str) -> Seat | None:
        return self._by_agent.get(agent_id)

    def by_leg(self, leg_uuid: str) -> Seat | None:
        return self._by_leg.get(leg_uuid)

    def waiting(self, now: dt.datetime) -> list[Seat]:
        """Waiting seats at `now` (wrap-ups over by then wait from their end), the longest waiting first."""
        for seat in self._by_leg.values():
            over = seat.wrap_up_until
            if seat.state is SeatState.WRAP_UP and over is not None and over <= now:
                self._move(seat, SeatState.WAITING, over)
                seat.wrap_up_until = None
        seats = [seat for seat in self._by_leg.values() if seat.state is SeatState.WAITING]
        return sorted(seats, key=lambda seat: (seat.since, seat.agent_id))

    def wrap_up_ends(self) -> list[dt.datetime]:
        """When each seat in wrap-up takes customers again."""
        return [
            seat.wrap_up_until
            for seat in self._by_leg.values()
            if seat.state is SeatState.WRAP_UP and seat.wrap_up_until is not None
        ]

    @staticmethod
    def _move(seat: Seat, state: SeatState, now: dt.datetime) -> None:
        seat.state = state
        seat.since = now
