"""Callbacks end to end over real TCP: the caller keeps their place and hangs up; when their turn comes
the agent is rung first, then the customer is dialled through the callers' trunk and the two legs are
bridged (tests/support/acd_rig.py: queue `callback` with key 9, queue `late` with a callback overflow)."""

from __future__ import annotations

import pytest

from tests.support.acd_rig import (
    DOMAIN,
    Rig,
    RigFactory,
    customer_endpoint,
    endpoint,
    events_of,
    make_rig,
    ready_agents,
)
from tests.support.waiting import wait_until

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire

CUSTOMER = "+15551230042"


def request_callback(rig: Rig, number: str = CUSTOMER) -> str:
    """A caller in queue `callback` presses 9 while on hold; returns the call's uuid once it has ended."""
    call = rig.finish(
        rig.place(keys=["6"], caller_number=number, caller_name="Dana", hold_keys=["9"], hold_key_after=0.2)
    )
    assert events_of(rig.queue_log(call.uuid)) == [("ENTERQUEUE", ""), ("CALLBACK", "")]
    spoken = [arg or "" for app, arg in call.executed if app == "speak"]
    assert any("call you back" in text for text in spoken), spoken
    assert call.hung_up_by == "application"
    assert not call.bridged_legs
    return call.uuid


def test_the_callback_key_keeps_the_place_then_rings_the_agent_first_and_bridges(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(ready=[])  # nobody free: the caller waits, then asks for a callback
    rig.phone("1001", talk_seconds=0.4)
    rig.customer(CUSTOMER)
    call_uuid = request_callback(rig)
    callback_row = rig.queue_log(call_uuid)[1]
    assert callback_row.data == CUSTOMER
    assert rig.call_row(call_uuid).outcome == "callback"
    assert rig.events.agents.originated == []

    ready_agents(rig.database_url, ["1001"])  # the agent becomes free: the callback's turn
    wait_until(lambda: len(rig.queue_log(call_uuid)) == 4, timeout=10, what="the callback completed")
    rows = rig.queue_log(call_uuid)
    assert events_of(rows) == [
        ("ENTERQUEUE", ""),
        ("CALLBACK", ""),
        ("CONNECT", "1001"),
        ("COMPLETEAGENT", "1001"),
    ]
    enter, _, connect, complete = rows
    assert connect.wait_s is not None
    assert callback_row.wait_s is not None
    assert connect.wait_s >= (connect.at - enter.at).total_seconds() - 0.01  # counted from the enqueue
    assert connect.wait_s > callback_row.wait_s
    assert (connect.data, complete.data) == ("callback", "callback")
    assert complete.wait_s == connect.wait_s
    assert complete.talk_s is not None
    assert complete.talk_s >= 0.3

    agent_dial, customer_dial = rig.events.agents.originated
    assert agent_dial.endswith(f"{endpoint('1001')} &park()")  # the agent first
    assert "origination_caller_id_name='Callback Dana'," in agent_dial
    assert f"origination_caller_id_number={CUSTOMER}," in agent_dial
    assert customer_dial.endswith(f"{customer_endpoint(CUSTOMER)} &park()")  # then the customer
    assert "hangup_after_bridge=true" in customer_dial
    assert "origination_caller_id_number=4001," in customer_dial  # the number they had called
    wait_until(lambda: rig.events.agents.legs == {}, what="both legs hung up")
    wait_until(lambda: rig.agent_state("1001") == "available", timeout=5, what="wrap-up to end")
    assert rig.state_log("1001")[-5:] == ["reserved", "ringing", "on_call", "wrap_up", "available"]


def test_an_unanswered_customer_releases_the_agent_without_a_no_answer(make_rig: RigFactory) -> None:
    rig = make_rig(ready=[])
    rig.phone("1001")
    rig.customer(CUSTOMER, "no_answer", ring_seconds=0.2)
    call_uuid = request_callback(rig)
    ready_agents(rig.database_url, ["1001"])
    wait_until(lambda: len(rig.events.agents.originated) == 2, what="the customer dialled")
    wait_until(lambda: rig.agent_state("1001") == "available", what="the agent released")
    assert rig.state_log("1001")[-3:] == ["reserved", "ringing", "available"]
    queues = rig.app.queues
    assert queues is not None

    def waiting() -> list[str]:
        return [call.call_uuid for call in queues.board.waiting_calls("callback")]

    wait_until(lambda: call_uuid not in waiting(), what="the callback given up (one attempt)")
    assert events_of(rig.queue_log(call_uuid)) == [("ENTERQUEUE", ""), ("CALLBACK", "")]  # no RINGNOANSWER
    assert rig.events.agents.legs == {}  # the agent's answered leg was hung up
    assert rig.no_answers("1001") == 0


@pytest.mark.parametrize(("number", "called_back"), [("+15550007777", True), ("anonymous", False)])
def test_max_wait_with_a_callback_overflow_turns_the_wait_into_a_callback(
    make_rig: RigFactory, number: str, called_back: bool
) -> None:
    rig = make_rig(ready=[])
    rig.phone("1002", talk_seconds=0.2)
    rig.customer(number)
    call = rig.finish(rig.place(keys=["7"], caller_number=number))
    rows = rig.queue_log(call.uuid)
    if not called_back:  # a number that cannot be dialled back leaves as before
        assert events_of(rows) == [("ENTERQUEUE", ""), ("EXITWITHTIMEOUT", "")]
        return
    assert events_of(rows) == [("ENTERQUEUE", ""), ("CALLBACK", "")]
    assert rows[1].wait_s is not None
    assert rows[1].wait_s >= 0.5
    assert any("call you back" in (arg or "") for app, arg in call.executed if app == "speak")
    ready_agents(rig.database_url, ["1002"])
    wait_until(lambda: len(rig.queue_log(call.uuid)) == 4, timeout=10, what="the callback completed")
    assert events_of(rig.queue_log(call.uuid))[2:] == [("CONNECT", "1002"), ("COMPLETEAGENT", "1002")]
    assert rig.events.agents.originated[0].endswith(f"user/1002@{DOMAIN} &park()")
