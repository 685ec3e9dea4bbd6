"""EslSwitch against the stand-in's mod_event_socket and its agent phones, over real TCP."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import gevent
import pytest

from esl_handlers.codec import Event
from esl_handlers.event_listener import EventListener
from esl_handlers.switch import EslSwitch
from esl_handlers.switch_answers import originate_outcome
from ivr_scripts.switch import LiveChannel, Originated, SwitchError
from tests.support.standin import InboundSwitch
from tests.support.standin.agents import AgentPhone
from tests.support.waiting import wait_until

pytestmark = pytest.mark.wire

PASSWORD = "s3cret-pw"
AGENT = "user/1001@callcenter.local"


@pytest.fixture
def switch() -> Iterator[InboundSwitch]:
    switch = InboundSwitch(password=PASSWORD)
    switch.start()
    yield switch
    switch.stop()


@pytest.fixture
def client(switch: InboundSwitch) -> Iterator[EslSwitch]:
    client = EslSwitch(*switch.address, password=PASSWORD, command_timeout=5.0, job_margin=5.0)
    yield client
    client.close()


def ring(client: EslSwitch, endpoint: str = AGENT, timeout: float = 20) -> Originated:
    return client.originate(
        endpoint, caller_id_number="+15551230001", caller_id_name="Jane Doe", timeout=timeout
    )


def test_an_answered_originate_returns_the_parked_leg(switch: InboundSwitch, client: EslSwitch) -> None:
    switch.agents.phone(AGENT, AgentPhone("answer"))
    result = client.originate(
        AGENT,
        caller_id_number="+15551230001",
        caller_id_name="Jane Doe",
        timeout=20,
        variables={"cc_queue": "sales", "cc_caller": "a b"},
    )
    assert result.result == "answered"
    assert result.cause == "SUCCESS"
    assert result.leg_uuid is not None
    assert result.leg_uuid in switch.agents.legs
    session = switch.sessions[0]
    assert [c.line for c in session.commands[:2]] == [f"auth {PASSWORD}", "event plain BACKGROUND_JOB"]
    sent = session.commands[2]
    assert sent.verb == "bgapi"
    assert sent.header("Job-UUID")
    assert sent.argument == (
        "originate {origination_uuid=" + result.leg_uuid + ",origination_caller_id_number=+15551230001,"
        "origination_caller_id_name='Jane Doe',originate_timeout=20,ignore_early_media=true,"
        "cc_queue=sales,cc_caller='a b'}" + AGENT + " &park()"
    )


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        (AgentPhone("no_answer", ring_seconds=0.01), Originated("no_answer", None, "NO_ANSWER")),
        (AgentPhone("busy"), Originated("busy", None, "USER_BUSY")),
        (AgentPhone("unregistered"), Originated("failed", None, "USER_NOT_REGISTERED")),
        (AgentPhone("fail"), Originated("failed", None, "DESTINATION_OUT_OF_ORDER")),
    ],
)
def test_unanswered_originates_map_the_cause(
    switch: InboundSwitch, client: EslSwitch, phone: AgentPhone, expected: Originated
) -> None:
    switch.agents.phone(AGENT, phone)
    assert ring(client) == expected
    assert switch.agents.legs == {}


def test_no_answer_waits_for_the_originate_timeout(switch: InboundSwitch, client: EslSwitch) -> None:
    switch.agents.phone(AGENT, AgentPhone("no_answer"))  # rings for originate_timeout
    assert ring(client, timeout=1).result == "no_answer"


def test_originate_outcome_reads_freeswitch_bodies() -> None:
    leg = str(uuid.uuid4())
    assert originate_outcome(f"+OK {leg}\n") == Originated("answered", leg, "SUCCESS")
    assert originate_outcome("-ERR NO_USER_RESPONSE\n").result == "no_answer"
    assert originate_outcome("-USAGE: <call url> ...\n").result == "failed"
    assert originate_outcome("originate: Command not found!\n").cause == "originate: Command not found!"


def test_bridge_connects_a_waiting_caller_to_the_agent_leg(switch: InboundSwitch, client: EslSwitch) -> None:
    switch.agents.phone(AGENT, AgentPhone("answer"))
    caller = str(uuid.uuid4())
    switch.agents.add_channel(caller)
    leg = ring(client).leg_uuid
    assert leg is not None
    client.bridge(caller, leg)
    assert switch.agents.legs[leg].bridged_to == caller
    assert f"uuid_bridge {caller} {leg}" in [c.argument for c in switch.sessions[0].commands]


def test_a_refused_bridge_raises(switch: InboundSwitch, client: EslSwitch) -> None:
    with pytest.raises(SwitchError, match="Invalid uuid"):
        client.bridge(str(uuid.uuid4()), str(uuid.uuid4()))


def test_hangup_kills_a_leg_and_a_gone_channel_is_no_error(switch: InboundSwitch, client: EslSwitch) -> None:
    switch.agents.phone(AGENT, AgentPhone("answer"))
    leg = ring(client).leg_uuid
    assert leg is not None
    client.hangup(leg, "ORIGINATOR_CANCEL")
    assert leg not in switch.agents.legs
    client.hangup(leg)  # -ERR No such channel!
    lines = [c.argument for c in switch.sessions[0].commands if c.verb == "api"]
    assert lines == [f"uuid_kill {leg} ORIGINATOR_CANCEL", f"uuid_kill {leg} NORMAL_CLEARING"]


def test_channels_show_the_agent_leg_with_its_extension(switch: InboundSwitch, client: EslSwitch) -> None:
    assert client.channels() == []  # {"row_count": 0}
    switch.agents.phone(AGENT, AgentPhone("answer"))
    switch.agents.phone("user/1002@callcenter.local", AgentPhone("answer"))
    caller = str(uuid.uuid4())
    switch.agents.add_channel(caller)
    first = ring(client).leg_uuid
    second = ring(client, "user/1002@callcenter.local").leg_uuid
    assert first is not None
    assert second is not None
    client.bridge(caller, first)
    channels = {c.uuid: c for c in client.channels()}
    assert channels == {
        caller: LiveChannel(caller, None, first, True),
        first: LiveChannel(first, "1001", caller, True),
        second: LiveChannel(second, "1002", None, True),
    }


def test_agent_leg_events_reach_event_listeners(switch: InboundSwitch, client: EslSwitch) -> None:
    events: list[Event] = []
    host, port = switch.address
    listener = EventListener(
        events.append,
        host,
        port,
        password=PASSWORD,
        events=["CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_BRIDGE", "CHANNEL_HANGUP_COMPLETE"],
    )
    listener.start()
    try:
        assert listener.wait_connected(5)
        switch.agents.phone(AGENT, AgentPhone("answer"))
        caller = str(uuid.uuid4())
        switch.agents.add_channel(caller)
        leg = ring(client).leg_uuid
        assert leg is not None
        client.bridge(caller, leg)
        client.hangup(leg)
        wait_until(lambda: len(events) >= 5, what="agent leg events")
    finally:
        listener.stop(timeout=1.0)
    mine = [e for e in events if e.unique_id == leg]
    assert [e.name for e in mine] == [
        "CHANNEL_CREATE",
        "CHANNEL_ANSWER",
        "CHANNEL_BRIDGE",
        "CHANNEL_HANGUP_COMPLETE",
    ]
    assert {e.get("Call-Direction") for e in mine} == {"outbound"}
    assert mine[0].get("Channel-Name") == "sofia/agents/1001@127.0.0.1:5090"
    assert mine[0].get("Caller-Caller-ID-Number") == "+15551230001"
    assert mine[2].get("Other-Leg-Unique-ID") == caller
    assert mine[3].get("Hangup-Cause") == "NORMAL_CLEARING"
    assert [e.unique_id for e in events if e.name == "CHANNEL_HANGUP_COMPLETE"] == [leg, caller]


def test_a_dropped_connection_fails_pending_originates_and_the_next_call_reconnects(
    switch: InboundSwitch, client: EslSwitch
) -> None:
    switch.agents.phone(AGENT, AgentPhone("answer", ring_seconds=30))
    pending = gevent.spawn(ring, client)
    wait_until(lambda: len(switch.agents.originated) == 1, what="the originate to arrive")
    switch.drop_connections()
    with pytest.raises(SwitchError, match="closed"):
        pending.get(timeout=5)
    switch.agents.phone(AGENT, AgentPhone("answer"))
    assert ring(client).result == "answered"
    assert client.connections == 2


def test_an_unreachable_switch_raises_switch_error(switch: InboundSwitch) -> None:
    host, port = switch.address
    switch.stop()
    client = EslSwitch(host, port, password=PASSWORD, connect_timeout=1.0)
    with pytest.raises(SwitchError, match="cannot reach"):
        client.channels()


def test_a_wrong_password_raises_switch_error(switch: InboundSwitch) -> None:
    client = EslSwitch(*switch.address, password="wrong")
    with pytest.raises(SwitchError, match="invalid"):
        client.hangup(str(uuid.uuid4()))


@pytest.mark.parametrize(
    "call",
    [
        lambda c: ring(c, "user/1001 &system(reboot)"),
        lambda c: ring(c, "{origination_uuid=x}user/1001"),
        lambda c: ring(c, "user/1001,user/1002"),
        lambda c: c.originate(AGENT, caller_id_number="1", caller_id_name="x}evil", timeout=5),
        lambda c: c.originate(AGENT, caller_id_number="1", caller_id_name="a,b=c", timeout=5),
        lambda c: c.originate(AGENT, caller_id_number="1", caller_id_name="${x}", timeout=5),
        lambda c: c.originate(
            AGENT, caller_id_number="1", caller_id_name="n", timeout=5, variables={"a b": "c"}
        ),
        lambda c: c.bridge("abc def", str(uuid.uuid4())),
        lambda c: c.hangup(str(uuid.uuid4()) + "\napi shutdown"),
        lambda c: c.hangup(str(uuid.uuid4()), "NORMAL CLEARING"),
    ],
)
def test_arguments_that_would_change_the_command_are_refused(
    switch: InboundSwitch, client: EslSwitch, call: Callable[[EslSwitch], object]
) -> None:
    with pytest.raises(SwitchError, match="refused before sending"):
        call(client)
    assert all(c.verb in ("auth", "event") for s in switch.sessions for c in s.commands)


def test_a_leg_uuid_chosen_by_the_caller_is_the_one_originated(
    switch: InboundSwitch, client: EslSwitch
) -> None:
    switch.agents.phone(AGENT, AgentPhone("answer"))
    chosen = str(uuid.uuid4())
    result = client.originate(
        AGENT, caller_id_number="1", caller_id_name="n", timeout=5, variables={"origination_uuid": chosen}
    )
    assert result.leg_uuid == chosen
    originate = next(c.line for s in switch.sessions for c in s.commands if c.verb == "bgapi")
    assert originate.count("origination_uuid=") == 1
    with pytest.raises(SwitchError, match="refused before sending"):
        client.originate(
            AGENT, caller_id_number="1", caller_id_name="n", timeout=5, variables={"origination_uuid": "x y"}
        )


AGENTS = [f"user/{extension}@callcenter.local" for extension in ("1001", "1002", "1003")]


def ring_all(client: EslSwitch, legs: list[str], timeout: float = 20) -> Originated:
    return client.originate_any(
        list(zip(AGENTS, legs, strict=True)),
        caller_id_number="+15551230001",
        caller_id_name="Jane Doe",
        timeout=timeout,
        variables={"cc_queue": "sales", "origination_uuid": str(uuid.uuid4())},
        leg_variables={legs[0]: {"cc_agent": "1001"}},
    )


def test_ringing_several_agents_the_first_to_answer_wins_and_the_others_lose_the_race(
    switch: InboundSwitch, client: EslSwitch
) -> None:
    switch.agents.phone(AGENTS[0], AgentPhone("no_answer"))
    switch.agents.phone(AGENTS[1], AgentPhone("answer", ring_seconds=0.05))
    switch.agents.phone(AGENTS[2], AgentPhone("answer", ring_seconds=0.5))
    legs = [str(uuid.uuid4()) for _ in AGENTS]
    result = ring_all(client, legs)
    assert result == Originated("answered", legs[1], "SUCCESS")
    assert list(switch.agents.legs) == [legs[1]]
    assert switch.agents.ended == {legs[0]: "LOSE_RACE", legs[2]: "LOSE_RACE"}
    # One originate; the global origination_uuid is dropped, each leg names its own in [...].
    assert switch.sessions[0].commands[2].argument == (
        "originate {origination_caller_id_number=+15551230001,origination_caller_id_name='Jane Doe',"
        "originate_timeout=20,ignore_early_media=true,cc_queue=sales}"
        f"[origination_uuid={legs[0]},cc_agent=1001]{AGENTS[0]},"
        f"[origination_uuid={legs[1]}]{AGENTS[1]},[origination_uuid={legs[2]}]{AGENTS[2]} &park()"
    )


def test_ringing_several_agents_nobody_answers(switch: InboundSwitch, client: EslSwitch) -> None:
    for agent in AGENTS:
        switch.agents.phone(agent, AgentPhone("no_answer"))
    legs = [str(uuid.uuid4()) for _ in AGENTS]
    assert ring_all(client, legs, timeout=1) == Originated("no_answer", None, "NO_ANSWER")
    assert switch.agents.legs == {}
    assert switch.agents.ended == dict.fromkeys(legs, "NO_ANSWER")


def test_ringing_several_agents_a_busy_one_does_not_stop_the_others(
    switch: InboundSwitch, client: EslSwitch
) -> None:
    switch.agents.phone(AGENTS[0], AgentPhone("busy"))
    switch.agents.phone(AGENTS[1], AgentPhone("no_answer"))
    switch.agents.phone(AGENTS[2], AgentPhone("answer", ring_seconds=0.05))
    legs = [str(uuid.uuid4()) for _ in AGENTS]
    assert ring_all(client, legs) == Originated("answered", legs[2], "SUCCESS")
    assert switch.agents.ended == {legs[0]: "USER_BUSY", legs[1]: "LOSE_RACE"}


def test_cancelling_every_leg_ends_a_multi_originate(switch: InboundSwitch, client: EslSwitch) -> None:
    for agent in AGENTS:
        switch.agents.phone(agent, AgentPhone("no_answer"))
    legs = [str(uuid.uuid4()) for _ in AGENTS]
    job = gevent.spawn(ring_all, client, legs)
    wait_until(lambda: len(switch.agents.legs) == 3)
    for leg in legs:
        client.hangup(leg, "ORIGINATOR_CANCEL")
    assert job.get(timeout=5) == Originated("failed", None, "ORIGINATOR_CANCEL")


@pytest.mark.parametrize(
    "endpoints",
    [
        [],
        [(AGENTS[0], "a b,c")],
        [(AGENTS[0] + ",user/1009@x", str(uuid.uuid4()))],
        [
            (AGENTS[0], "6f1c9a62-0d5b-4bb4-9d39-5a0c3e1f2a10"),
            (AGENTS[1], "6f1c9a62-0d5b-4bb4-9d39-5a0c3e1f2a10"),
        ],
    ],
)
def test_a_multi_originate_that_cannot_be_sent_safely_is_refused(
    switch: InboundSwitch, client: EslSwitch, endpoints: list[tuple[str, str]]
) -> None:
    with pytest.raises(SwitchError, match="refused before sending"):
        client.originate_any(endpoints, caller_id_number="1", caller_id_name="x", timeout=5)
    assert switch.sessions == []
