"""A caller holding on our outbound socket is bridged to an agent leg by EslSwitch (uuid_bridge).

Production pieces only on our side: OutboundServer + EslChannel for the caller, EslSwitch for
originate / uuid_bridge / uuid_kill / show. The stand-in's two sides share one switch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gevent.event import Event as GEvent

from esl_handlers.codec import Event
from esl_handlers.esl_channel import EslChannel
from esl_handlers.outbound_server import SOCKET_EVENTS
from esl_handlers.switch import EslSwitch
from ivr_scripts.channel import CallerHungUp
from ivr_scripts.switch import LiveChannel
from tests.support.outbound_servers import Serve
from tests.support.standin import CallScript, InboundSwitch, OutboundSwitch, ScriptedCall
from tests.support.standin.agents import AgentPhone
from tests.support.standin.transcripts import WireFrame, parse_frames, switch_frames
from tests.support.transcripts import CAPTURES_DIR, VERSIONS, load
from tests.support.waiting import wait_until

pytestmark = pytest.mark.wire

PASSWORD = "bridge-pw"
AGENT = "user/1001@callcenter.local"
MOH = "local_stream://moh"
# These tests check the stand-in's bridge against the captures, so the socket takes what the
# application's does not (CHANNEL_BRIDGE, the park after it).
BRIDGE_TEST_EVENTS = (*SOCKET_EVENTS, "CHANNEL_BRIDGE", "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_STATE")


@pytest.fixture
def inbound() -> Iterator[InboundSwitch]:
    switch = InboundSwitch(password=PASSWORD)
    switch.start()
    yield switch
    switch.stop()


@pytest.fixture
def esl(inbound: InboundSwitch) -> Iterator[EslSwitch]:
    client = EslSwitch(*inbound.address, password=PASSWORD, command_timeout=5.0, job_margin=5.0)
    yield client
    client.close()


class Holder:
    """Our handler: sets the after-bridge variables, answers, holds, then waits for the call to
    park again (and hangs up) or to end; records what it saw."""

    def __init__(self, variables: dict[str, str]) -> None:
        self.variables = variables
        self.hold_results: list[str] = []
        self.events: list[Event] = []
        self.hangup_cause: str | None = None
        self._parked_again = GEvent()
        self._ended = GEvent()

    def _seen(self, event: Event) -> None:
        self.events.append(event)
        if event.name == "CHANNEL_PARK" and "CHANNEL_UNBRIDGE" in self.names():
            self._parked_again.set()
        elif event.name == "CHANNEL_HANGUP":
            self.hangup_cause = event.get("Hangup-Cause")
            self._ended.set()

    def __call__(self, channel: EslChannel) -> None:
        channel.add_event_listener(self._seen)
        try:
            for name, value in self.variables.items():
                channel.set_variable(name, value)
            channel.answer()
            self.hold_results.append(channel.hold(MOH, seconds=60))
            while not self._ended.is_set():
                if self._parked_again.wait(0.01):
                    channel.hangup()
        except CallerHungUp:
            pass

    def names(self) -> list[str]:
        return [e.name for e in self.events]


def captured_roles_after_hold(version: str, *, other_leg: bool = False) -> list[str]:
    """The caller's events from the end of its music on, in agent_answered_outbound.jsonl, named as
    the stand-in names its roles (with `other_leg`, each marked "+other" when it names the leg in
    Other-Leg-Unique-ID)."""
    return roles_after_hold(switch_frames(load(version, "agent_answered_outbound", CAPTURES_DIR)), other_leg)


def roles_after_hold(frames: list[WireFrame], other_leg: bool = False) -> list[str]:
    roles: list[str] = []
    for frame in frames:
        name = frame.event_name
        if name is None or frame.content_type == "command/reply":
            continue
        if name in ("CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE"):
            name = f"{name}:{frame.event_value('Application')}"
        elif name == "CHANNEL_STATE":
            name = f"{name}:{frame.event_value('Channel-State')}"
        if other_leg and frame.event_value("Other-Leg-Unique-ID"):
            name += " +other"
        roles.append(name)
    first = next(i for i, role in enumerate(roles) if role.startswith("CHANNEL_EXECUTE_COMPLETE:playback"))
    return roles[first:]


def frames_of(call: ScriptedCall, name: str) -> list[WireFrame]:
    return [f for f in parse_frames(bytes(call.sent))[0] if f.event_name == name]


def place_holding_call(serve: Serve, inbound: InboundSwitch, holder: Holder, **script: Any) -> ScriptedCall:
    server, _ = serve(holder, socket_events=BRIDGE_TEST_EVENTS)
    switch = OutboundSwitch(server.address, inbound=inbound)
    call = switch.place_call(CallScript(**script))
    wait_until(lambda: call.current_app == ("playback", MOH), what="the caller on hold")
    return call


def ring_agent(inbound: InboundSwitch, esl: EslSwitch, phone: AgentPhone) -> str:
    inbound.agents.phone(AGENT, phone)
    leg = esl.originate(AGENT, caller_id_number="+15551230001", caller_id_name="Jane", timeout=20).leg_uuid
    assert leg is not None
    return leg


def test_the_held_caller_is_bridged_and_parks_again_when_the_agent_hangs_up(
    serve: Serve, inbound: InboundSwitch, esl: EslSwitch
) -> None:
    holder = Holder({"park_after_bridge": "true"})
    call = place_holding_call(serve, inbound, holder)
    leg = ring_agent(inbound, esl, AgentPhone("answer"))
    esl.bridge(call.uuid, leg)
    wait_until(lambda: "CHANNEL_BRIDGE" in call.events_sent, what="CHANNEL_BRIDGE")
    assert holder.hold_results == [""]
    bridges = frames_of(call, "CHANNEL_BRIDGE")
    assert [f.event_value("Other-Leg-Unique-ID") for f in bridges] == [leg]
    assert bridges[0].event_value("Unique-ID") == call.uuid
    assert bridges[0].event_value("Other-Leg-Channel-Name") == "sofia/agents/1001@127.0.0.1:5090"
    inbound.agents.hang_up_leg(leg, "NORMAL_CLEARING")  # the agent hangs up
    assert call.wait(5)
    roles = call.events_sent
    start = roles.index("CHANNEL_EXECUTE_COMPLETE:playback")
    # What both releases sent in the same call (held on music, uuid_bridge, the agent hangs up,
    # park_after_bridge, the application hangs up).
    for version in VERSIONS:
        assert roles[start:] == captured_roles_after_hold(version), version
    # From the uuid_bridge command on, every event names the leg (Other-Leg-*), as in the captures.
    sent = roles_after_hold(parse_frames(bytes(call.sent))[0], other_leg=True)
    assert sent == captured_roles_after_hold("1.10.12", other_leg=True)
    named = {f.event_value("Other-Leg-Unique-ID") for f in parse_frames(bytes(call.sent))[0]}
    assert named == {None, leg}
    playback = frames_of(call, "CHANNEL_EXECUTE_COMPLETE")[-1]
    assert playback.event_value("Application-Response") == "PLAYBACK ERROR"  # not ready: CF_TRANSFER
    assert frames_of(call, "CHANNEL_UNBRIDGE")[0].event_value("variable_bridge_hangup_cause") == (
        "NORMAL_CLEARING"
    )
    assert call.hung_up_by == "application"
    seen = holder.names()
    bridged = seen.index("CHANNEL_BRIDGE")
    assert seen[bridged : bridged + 4] == [
        "CHANNEL_BRIDGE",
        "CHANNEL_UNBRIDGE",
        "CHANNEL_STATE",
        "CHANNEL_PARK",
    ]


def test_hangup_after_bridge_hangs_the_caller_up_with_the_agents_cause(
    serve: Serve, inbound: InboundSwitch, esl: EslSwitch
) -> None:
    holder = Holder({"hangup_after_bridge": "true"})
    call = place_holding_call(serve, inbound, holder)
    leg = ring_agent(inbound, esl, AgentPhone("answer", talk_seconds=0.05))
    esl.bridge(call.uuid, leg)
    assert call.wait(5)
    assert holder.hold_results == [""]
    assert call.hangup_cause == "NORMAL_CLEARING"
    assert call.hung_up_by == "switch"
    tail = call.events_sent[call.events_sent.index("CHANNEL_BRIDGE") :]
    assert tail[:3] == ["CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP"]
    assert "CHANNEL_PARK" not in tail
    assert "CHANNEL_UNPARK" not in tail  # the socket app had already returned


@pytest.mark.parametrize(
    ("after_socket", "transferred", "cause"),
    [(None, None, "NORMAL_CLEARING"), ("operator XML default", ("operator", "XML", "default"), None)],
)
def test_without_after_bridge_variables_the_dialplan_continues(
    serve: Serve,
    inbound: InboundSwitch,
    esl: EslSwitch,
    after_socket: str | None,
    transferred: tuple[str, ...] | None,
    cause: str | None,
) -> None:
    holder = Holder({"hangup_after_bridge": "false"})  # the lab dialplan sets it true before socket
    call = place_holding_call(serve, inbound, holder, after_socket_transfer=after_socket)
    leg = ring_agent(inbound, esl, AgentPhone("answer"))
    esl.bridge(call.uuid, leg)
    wait_until(lambda: call.bridged, what="the bridge")
    esl.hangup(leg, "USER_BUSY")  # uuid_kill of the agent leg
    wait_until(lambda: call.hangup_cause is not None or call.transferred_to is not None, what="the end")
    assert call.transferred_to == transferred
    assert call.hangup_cause == cause
    assert inbound.agents.ended == {leg: "USER_BUSY"}
    unbridge = frames_of(call, "CHANNEL_UNBRIDGE")[0]
    assert unbridge.event_value("variable_bridge_hangup_cause") == "USER_BUSY"
    call.close()


def test_the_caller_hanging_up_while_bridged_ends_the_agent_leg(
    serve: Serve, inbound: InboundSwitch, esl: EslSwitch
) -> None:
    holder = Holder({"park_after_bridge": "true"})
    call = place_holding_call(serve, inbound, holder)
    leg = ring_agent(inbound, esl, AgentPhone("answer"))
    esl.bridge(call.uuid, leg)
    wait_until(lambda: call.bridged, what="the bridge")
    channels = {c.uuid: c for c in esl.channels()}  # show channels + show calls as json
    assert channels == {
        call.uuid: LiveChannel(call.uuid, None, leg, True),
        leg: LiveChannel(leg, "1001", call.uuid, True),
    }
    call.caller_hangup("ORIGINATOR_CANCEL")
    assert call.wait(5)
    assert holder.hangup_cause == "ORIGINATOR_CANCEL"
    assert inbound.agents.ended == {leg: "NORMAL_CLEARING"}  # audio_bridge_on_exchange_media
    assert leg not in inbound.agents.legs
    tail = call.events_sent[call.events_sent.index("CHANNEL_BRIDGE") :]
    assert tail[:3] == ["CHANNEL_BRIDGE", "CHANNEL_HANGUP", "CHANNEL_UNBRIDGE"]
    assert esl.channels() == []


def test_uuid_kill_of_the_bridged_caller_ends_both(
    serve: Serve, inbound: InboundSwitch, esl: EslSwitch
) -> None:
    holder = Holder({"park_after_bridge": "true"})
    call = place_holding_call(serve, inbound, holder)
    leg = ring_agent(inbound, esl, AgentPhone("answer"))
    esl.bridge(call.uuid, leg)
    wait_until(lambda: call.bridged, what="the bridge")
    esl.hangup(call.uuid, "MANAGER_REQUEST")
    assert call.wait(5)
    assert (call.hangup_cause, call.hung_up_by) == ("MANAGER_REQUEST", "api")
    assert inbound.agents.ended == {leg: "NORMAL_CLEARING"}


def test_the_callers_events_reach_the_inbound_event_listeners(
    serve: Serve, inbound: InboundSwitch, esl: EslSwitch
) -> None:
    from esl_handlers.event_listener import EventListener  # noqa: PLC0415

    events: list[Event] = []
    listener = EventListener(
        events.append, *inbound.address, password=PASSWORD, events=["CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE"]
    )
    listener.start()
    try:
        assert listener.wait_connected(5)
        holder = Holder({"hangup_after_bridge": "true"})
        call = place_holding_call(serve, inbound, holder)
        leg = ring_agent(inbound, esl, AgentPhone("answer", talk_seconds=0.01))
        esl.bridge(call.uuid, leg)
        assert call.wait(5)
        wait_until(lambda: len(events) >= 2, what="bridge events on the event listener")
    finally:
        listener.stop(timeout=1.0)
    assert [(e.name, e.unique_id, e.get("Other-Leg-Unique-ID")) for e in events] == [
        ("CHANNEL_BRIDGE", call.uuid, leg),
        ("CHANNEL_UNBRIDGE", call.uuid, leg),
    ]


def test_a_leg_that_is_not_answered_or_unknown_is_refused(
    serve: Serve, inbound: InboundSwitch, esl: EslSwitch
) -> None:
    holder = Holder({"hangup_after_bridge": "true"})
    call = place_holding_call(serve, inbound, holder)
    assert inbound.agents.api("uuid_bridge", f"{call.uuid} {call.uuid}") == "-ERR Invalid uuid\n"
    call.caller_hangup()
    assert call.wait(5)
    assert call.bridged_legs == []


def captured_leg_story(version: str) -> list[tuple[str, str | None]]:
    """The agent leg's events in agent_answered_inbound.jsonl: (name, application or hangup cause)."""
    frames = switch_frames(load(version, "agent_answered_inbound", CAPTURES_DIR))
    job = next(f for f in frames if f.event_name == "BACKGROUND_JOB")
    leg = (job.event_body or b"").decode().removeprefix("+OK ").strip()
    return [
        (name, frame.event_value("Hangup-Cause" if "HANGUP" in name else "Application"))
        for frame in frames
        if (name := frame.event_name) is not None and frame.event_value("Unique-ID") == leg
    ]


def test_the_agent_legs_own_events_are_the_captured_ones(
    serve: Serve, inbound: InboundSwitch, esl: EslSwitch
) -> None:
    """originate ... &park(), uuid_bridge, the agent hangs up: the leg's CHANNEL_ANSWER, CHANNEL_EXECUTE
    park, EXECUTE_COMPLETE park, CHANNEL_EXECUTE uuid_bridge, CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE,
    as both releases sent them to an inbound listener."""
    from esl_handlers.event_listener import EventListener  # noqa: PLC0415

    names = ["CHANNEL_ANSWER", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP"]
    events: list[Event] = []
    listener = EventListener(
        events.append, *inbound.address, password=PASSWORD, events=[*names, "CHANNEL_HANGUP_COMPLETE"]
    )
    listener.start()
    try:
        assert listener.wait_connected(5)
        holder = Holder({"park_after_bridge": "true"})
        call = place_holding_call(serve, inbound, holder)
        leg = ring_agent(inbound, esl, AgentPhone("answer"))
        esl.bridge(call.uuid, leg)
        wait_until(lambda: "CHANNEL_BRIDGE" in call.events_sent, what="CHANNEL_BRIDGE")
        inbound.agents.hang_up_leg(leg, "NORMAL_CLEARING")  # the agent hangs up
        assert call.wait(5)
        wait_until(
            lambda: any(e.name == "CHANNEL_HANGUP_COMPLETE" and e.unique_id == leg for e in events),
            what="the leg's CHANNEL_HANGUP_COMPLETE",
        )
    finally:
        listener.stop(timeout=1.0)
    ours = [
        (e.name, e.get("Hangup-Cause" if "HANGUP" in e.name else "Application"))
        for e in events
        if e.unique_id == leg
    ]
    for version in VERSIONS:
        assert ours == captured_leg_story(version), version
