"""Agents' seats: legs called once, customers bridged one after another, the agent hanging up."""

from __future__ import annotations

import datetime as dt

import pytest

from esl_handlers.seat_legs import SEAT_AGENT_VARIABLE, seat_fact, seat_variables
from ivr_scripts.campaigns.seats import SeatError, SeatState, SeatTable

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def at(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_a_seat_goes_round_from_waiting_to_connected_and_back() -> None:
    seats = SeatTable()
    seats.open("1001", "leg-a", at(0))
    assert seats.waiting(T0 + dt.timedelta(days=1)) == []
    seats.answered("leg-a", at(1))
    seats.connected("leg-a", "cust-1", at(5))
    assert seats.waiting(T0 + dt.timedelta(days=1)) == []
    assert seats.parked("leg-a", at(60)) == "cust-1"
    seat = seats.seat_of("1001")
    assert seat is not None
    assert (seat.state, seat.since, seat.customer_uuid) == (SeatState.WAITING, at(60), None)
    assert seats.parked("leg-a", at(61)) is None, "a park of a waiting seat is not a customer leaving"


def test_after_a_customer_the_seat_wraps_up_then_waits_from_the_wrap_up_s_end() -> None:
    seats = SeatTable()
    seats.open("1001", "a", at(0))
    seats.open("1002", "b", at(0))
    seats.answered("a", at(1))
    seats.answered("b", at(2))
    seats.connected("a", "cust-1", at(5), wrap_up=dt.timedelta(seconds=30))
    seats.parked("a", at(60))
    seat = seats.seat_of("1001")
    assert seat is not None
    assert (seat.state, seat.wrap_up_until) == (SeatState.WRAP_UP, at(90))
    assert seats.wrap_up_ends() == [at(90)]
    assert [s.agent_id for s in seats.waiting(at(89))] == ["1002"]
    with pytest.raises(SeatError, match="not a waiting seat"):
        seats.connected("a", "cust-2", at(89))
    assert [s.agent_id for s in seats.waiting(at(95))] == ["1002", "1001"]
    assert (seat.state, seat.since, seats.wrap_up_ends()) == (SeatState.WAITING, at(90), [])
    seats.connected("a", "cust-2", at(96))
    seats.parked("a", at(100))
    assert seat.state is SeatState.WAITING, "a campaign with no wrap-up: the seat waits at once"


def test_the_longest_waiting_seat_comes_first() -> None:
    seats = SeatTable()
    for second, (agent, leg) in enumerate([("1001", "a"), ("1002", "b"), ("1003", "c")]):
        seats.open(agent, leg, at(second))
    seats.answered("b", at(10))
    seats.answered("c", at(11))
    seats.answered("a", at(12))
    assert [seat.agent_id for seat in seats.waiting(T0 + dt.timedelta(days=1))] == ["1002", "1003", "1001"]
    seats.connected("b", "cust", at(13))
    seats.parked("b", at(20))
    assert [seat.agent_id for seat in seats.waiting(T0 + dt.timedelta(days=1))] == ["1003", "1001", "1002"]


def test_an_agent_has_one_seat_and_only_a_waiting_seat_takes_a_customer() -> None:
    seats = SeatTable()
    seats.open("1001", "a", at(0))
    with pytest.raises(SeatError, match="already has a seat"):
        seats.open("1001", "b", at(1))
    with pytest.raises(SeatError, match="already holds a seat"):
        seats.open("1002", "a", at(1))
    with pytest.raises(SeatError, match="not a waiting seat"):
        seats.connected("a", "cust", at(2))
    with pytest.raises(SeatError, match="not a waiting seat"):
        seats.connected("nope", "cust", at(2))


def test_an_agent_hanging_up_frees_the_agent_for_a_new_seat() -> None:
    seats = SeatTable()
    seats.open("1001", "a", at(0))
    seats.answered("a", at(1))
    seats.connected("a", "cust", at(2))
    gone = seats.gone("a", at(3))
    assert gone is not None
    assert (gone.state, gone.customer_uuid) == (SeatState.GONE, "cust")
    assert seats.seat_of("1001") is None
    assert seats.gone("a", at(4)) is None
    seats.open("1001", "b", at(5))


def test_seat_legs_are_parked_after_a_bridge_and_answer_by_themselves() -> None:
    assert seat_variables("1001") == {
        "park_after_bridge": "true",
        "hangup_after_bridge": "false",
        SEAT_AGENT_VARIABLE: "1001",
        "sip_auto_answer": "true",
        "sip_auto_answer_suppress_notify": "true",
    }
    assert "sip_auto_answer" not in seat_variables("1001", auto_answer=False)


@pytest.mark.parametrize(
    ("name", "fact"),
    [("CHANNEL_ANSWER", "answered"), ("CHANNEL_PARK", "parked"), ("CHANNEL_HANGUP_COMPLETE", "gone")],
)
def test_switch_events_of_seat_legs_become_facts(name: str, fact: str) -> None:
    headers = {"Event-Name": name, "Unique-ID": "leg-a", f"variable_{SEAT_AGENT_VARIABLE}": "1001"}
    assert seat_fact(headers) == (fact, "leg-a")
    assert seat_fact({"Event-Name": name, "Unique-ID": "leg-b"}) is None, "not a seat leg"
    assert seat_fact({**headers, "Event-Name": "CHANNEL_BRIDGE"}) is None
