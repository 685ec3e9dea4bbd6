"""Queued calls end to end over real TCP: stand-in switch -> IVR -> ACD -> agent phones -> database rows.

The application runs in-process as `callcenter serve` wires it with the ACD on (tests/support/acd_rig.py),
against the stand-in switch on both sides, on SQLite and PostgreSQL; each call takes a second or two.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from esl_handlers.control import send_agent_changed
from ivr_scripts.runner import utc_now
from schema.acd.agents import reserve_agent
from schema.db import create_engine_from_url
from tests.support.acd_rig import RigFactory, endpoint, events_of, make_rig, ready_agents
from tests.support.waiting import wait_until

__all__ = ["make_rig"]  # the fixture, used by name

pytestmark = pytest.mark.wire


def test_an_answered_call_is_bridged_and_logged_end_to_end(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001"])
    rig.phone("1001", talk_seconds=0.4)
    call = rig.finish(rig.place(keys=["1"], caller_number="+15551230042"))
    assert call.bridged_legs, "the caller was never bridged to the agent"
    assert ("park_after_bridge", "true") in call.api_sets
    assert call.hung_up_by == "application"  # parked again after the agent hung up, then hung up by us
    rows = rig.queue_log(call.uuid)
    assert events_of(rows) == [("ENTERQUEUE", ""), ("CONNECT", "1001"), ("COMPLETEAGENT", "1001")]
    connect, complete = rows[1], rows[2]
    assert connect.wait_s is not None
    assert connect.wait_s >= 0
    assert complete.wait_s == connect.wait_s
    assert complete.talk_s is not None
    assert complete.talk_s >= 0.3
    assert rig.call_row(call.uuid).outcome == "answered"
    wait_until(lambda: rig.agent_state("1001") == "available", timeout=5, what="wrap-up to end")
    assert rig.state_log("1001")[-5:] == ["reserved", "ringing", "on_call", "wrap_up", "available"]
    assert rig.events.agents.originated[0].endswith(f"{endpoint('1001')} &park()")


def test_the_caller_hanging_up_while_bridged_completes_by_the_caller(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001"])
    rig.phone("1001")
    call = rig.place(keys=["1"])
    wait_until(lambda: call.bridged, what="the bridge")
    call.caller_hangup("NORMAL_CLEARING")
    rig.finish(call)
    wait_until(lambda: len(rig.queue_log(call.uuid)) == 3, what="the completion row")
    assert events_of(rig.queue_log(call.uuid))[-1] == ("COMPLETECALLER", "1001")
    wait_until(lambda: rig.agent_state("1001") == "available", timeout=5, what="wrap-up to end")


def test_a_caller_hanging_up_while_waiting_is_an_abandon(make_rig: RigFactory) -> None:
    rig = make_rig(ready=[])
    call = rig.finish(rig.place(keys=["1"], hangup_after=0.6))
    rows = rig.queue_log(call.uuid)
    assert events_of(rows) == [("ENTERQUEUE", ""), ("ABANDON", "")]
    assert rows[1].wait_s is not None
    assert rows[1].wait_s >= 0.3
    assert rig.call_row(call.uuid).outcome == "abandoned"
    assert rig.events.agents.originated == []


def test_no_answer_moves_on_to_the_next_agent(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001", "1002"])  # 1001 idle longest: rung first
    rig.phone("1001", "no_answer", ring_seconds=0.05)
    rig.phone("1002", talk_seconds=0.2)
    call = rig.finish(rig.place(keys=["1"]))
    assert events_of(rig.queue_log(call.uuid)) == [
        ("ENTERQUEUE", ""),
        ("RINGNOANSWER", "1001"),
        ("CONNECT", "1002"),
        ("COMPLETEAGENT", "1002"),
    ]
    assert rig.state_log("1001")[-3:] == ["reserved", "ringing", "available"]
    assert rig.agent_state("1001") == "available"
    legs = rig.agent_legs(call.uuid)
    assert [(leg.agent_id, leg.outcome, leg.answered_at is None) for leg in legs] == [
        ("1001", "no_answer", True),
        ("1002", "answered", False),
    ]
    no_answer, answered = legs
    assert no_answer.leg_uuid != answered.leg_uuid
    assert no_answer.ended_at is not None
    assert no_answer.ring_ms is not None
    assert no_answer.talk_ms is None
    assert answered.ring_ms is not None
    assert answered.ring_ms >= 0
    assert answered.ended_at is not None
    assert answered.talk_ms is not None
    assert answered.talk_ms >= 150
    assert {leg.server for leg in legs} == {"wire-test"}


@pytest.mark.parametrize(
    ("queue_key", "ready", "expected"),
    [
        ("1", ["1002", "1001"], "1002"),  # longest-idle: readied first
        ("1", ["1001", "1002"], "1001"),
        ("2", ["1002", "1001"], "1001"),  # top-down: position 1 although 1002 idled longer
    ],
)
def test_strategies_pick_the_expected_agent(
    make_rig: RigFactory, queue_key: str, ready: list[str], expected: str
) -> None:
    rig = make_rig(ready=ready)
    for agent_id in ready:
        rig.phone(agent_id, talk_seconds=0.1)
    call = rig.finish(rig.place(keys=[queue_key]))
    assert ("CONNECT", expected) in events_of(rig.queue_log(call.uuid))


def test_a_returning_caller_gets_their_last_agent(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001"])
    rig.phone("1001", talk_seconds=0.1)
    rig.phone("1002", talk_seconds=0.1)
    first = rig.finish(rig.place(keys=["3"], caller_number="+15550001111"))
    assert ("CONNECT", "1001") in events_of(rig.queue_log(first.uuid))
    ready_agents(rig.database_url, ["1002"])  # now 1002 has idled longest; the tick puts it on the board
    wait_until(lambda: rig.agent_state("1001") == "available", timeout=5, what="1001 free again")
    wait_until(lambda: rig.app.queues is not None and rig.app.queues.board.agent("1002").available)
    second = rig.finish(rig.place(keys=["3"], caller_number="+15550001111"))
    assert ("CONNECT", "1001") in events_of(rig.queue_log(second.uuid))
    other = rig.finish(rig.place(keys=["3"], caller_number="+15550002222"))
    assert ("CONNECT", "1002") in events_of(rig.queue_log(other.uuid))


def test_a_diamond_caller_passes_a_waiting_regular(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1003"])
    rig.phone("1003", talk_seconds=0.8)
    busy = rig.place(keys=["4"], caller_number="+15550000001")
    wait_until(lambda: busy.bridged, what="the agent busy")
    regular = rig.place(keys=["4"], caller_number="+15550000002")
    wait_until(lambda: len(rig.queue_log(regular.uuid)) == 1, what="the regular waiting")
    diamond = rig.place(keys=["4"], caller_number="+15550000003", variables={"cc_customer_tier": "diamond"})
    wait_until(lambda: len(rig.queue_log(diamond.uuid)) == 1, what="the diamond waiting")
    for call in (busy, diamond, regular):
        rig.finish(call, timeout=20)
    connects = [row for row in rig.queue_log() if row.event == "CONNECT"]
    assert [row.call_uuid for row in connects] == [busy.uuid, diamond.uuid, regular.uuid]


def test_max_wait_overflows_after_announcements(make_rig: RigFactory) -> None:
    rig = make_rig(ready=[])
    call = rig.finish(rig.place(keys=["5"]))
    rows = rig.queue_log(call.uuid)
    assert events_of(rows) == [("ENTERQUEUE", ""), ("EXITWITHTIMEOUT", "")]
    assert rows[1].wait_s is not None
    assert rows[1].wait_s >= 1.0
    spoken = [arg or "" for app, arg in call.executed if app == "speak"]
    assert any("You are next in line." in text for text in spoken), spoken
    assert any("everyone is busy" in text for text in spoken), spoken
    assert call.executed[-1][0] != "playback"
    assert rig.call_row(call.uuid).outcome == "hangup"


def test_a_caller_leaving_while_the_agent_rings_frees_the_agent(make_rig: RigFactory) -> None:
    rig = make_rig(ready=["1001"])
    rig.phone("1001", ring_seconds=5.0)
    call = rig.place(keys=["1"])
    wait_until(lambda: rig.agent_state("1001") == "ringing", what="the agent ringing")
    call.caller_hangup("NORMAL_CLEARING")
    rig.finish(call)
    assert events_of(rig.queue_log(call.uuid)) == [("ENTERQUEUE", ""), ("ABANDON", "")]
    wait_until(lambda: rig.agent_state("1001") == "available", what="the agent released")
    assert rig.state_log("1001")[-3:] == ["reserved", "ringing", "available"]
    assert rig.events.agents.legs == {}  # the ringing leg was torn down (uuid_kill), not left to answer
    wait_until(lambda: len(rig.agent_legs(call.uuid)) == 1, what="the abandoned leg written")
    [leg] = rig.agent_legs(call.uuid)
    assert (leg.agent_id, leg.outcome, leg.answered_at, leg.talk_ms) == (
        "1001",
        "caller_abandoned",
        None,
        None,
    )


def test_an_agent_left_reserved_by_a_crash_is_reconciled_at_start(
    make_rig: RigFactory, database_url: str
) -> None:
    ready_agents(database_url, ["1001"])
    engine = create_engine_from_url(database_url)
    try:
        lost_call = "00000000-0000-4000-8000-000000000001"
        assert reserve_agent(engine, lost_call, ["1001"], "crashed-server", utc_now()) == "1001"
    finally:
        engine.dispose()
    rig = make_rig()
    assert rig.agent_state("1001") == "available"
    assert rig.state_log("1001")[-2:] == ["reserved", "available"]
    rig.phone("1001", talk_seconds=0.1)
    call = rig.finish(rig.place(keys=["1"]))
    assert ("CONNECT", "1001") in events_of(rig.queue_log(call.uuid))


def test_an_agent_made_ready_by_another_process_wakes_dispatch_at_once(
    make_rig: RigFactory, tmp_path: Path
) -> None:
    # The timer that re-reads agents is pushed out of reach: only the notification can wake dispatch
    # (the control socket here; on PostgreSQL the NOTIFY of the same commit as well).
    control = tmp_path / "control.sock"
    rig = make_rig(ready=[], tick=600, control_socket=control)
    rig.phone("1001", talk_seconds=0.2)
    call = rig.place(keys=["1"])
    wait_until(lambda: events_of(rig.queue_log(call.uuid)) == [("ENTERQUEUE", "")], what="the caller queued")
    ready_agents(rig.database_url, ["1001"])  # what `callcenter agent login/ready 1001` writes
    assert send_agent_changed(control, "1001")  # and what it says to the local server afterwards
    rig.finish(call, timeout=10)
    assert ("CONNECT", "1001") in events_of(rig.queue_log(call.uuid))
