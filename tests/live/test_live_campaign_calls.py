"""Campaign calls on the real switch: agents' seats, and the messages of dropped calls and machines.

test_a_seat_...: an agent's phone called once, people bridged to it one after another.

A SIPp agent phone registers as the example's first agent and is called once with the seat's variables
(esl_handlers.seat_legs); SIPp customers answer: a person, a machine, another person, each hanging up a
few seconds after the agent is connected. The customers are dialled with the call-progress listening
(esl_handlers.call_progress); a person is bridged to the waiting seat, a machine is hung up on. Checked:
both people reach the agent, the machine never does, each within far less than the 2 s a person may wait,
and the agent's leg is parked again after each customer and stays up to the end.

test_dropped_...: a person with no agent to take them hears the identification message to its end and
is hung up on; a machine gets the message after its beep.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import gevent
import pytest

from dialplans.campaign_vocabulary import AttemptOutcome
from esl_handlers.call_progress import (
    event_variables,
    heard_from,
    listening_steps,
    machine_message_steps,
    message_steps,
    originate_timeout,
)
from esl_handlers.campaign_calls import EVENTS as DIALER_EVENTS
from esl_handlers.campaign_calls import CampaignCalls, DialRequest
from esl_handlers.event_listener import EventListener
from esl_handlers.seat_legs import SEAT_EVENTS, seat_fact, seat_variables
from esl_handlers.switch import EslSwitch
from ivr_scripts.campaigns.call_progress import DetectionSettings, Verdict, decide
from ivr_scripts.campaigns.campaign_call import CampaignCall
from ivr_scripts.campaigns.seats import SeatState, SeatTable
from sipp_scenarios.agent_phone import AgentOptions
from sipp_scenarios.audio_pcap import Beep, Silence, wav_samples
from sipp_scenarios.callee import CalleeKind
from tests.support.live.acd import agent_phone
from tests.support.live.callees import Said, Voice, callee_sipp, speech_wav
from tests.support.live.harness import Build, Live, live_switch
from tests.support.live.switch_events import EventRecorder, named, recording_events, timestamp_ms

pytestmark = pytest.mark.live

PERSON_TALKS_MS = 3000
VOICES = {
    1: Voice("person_a", (Silence(300), Said("Hello?"), Silence(20000)), hangs_up_after_ms=5500),
    2: Voice("person_b", (Silence(300), Said("Yes, hello?"), Silence(20000)), hangs_up_after_ms=5500),
    11: Voice("machine", (Silence(300), Said("Sam here. Leave a message."), Beep(), Silence(20000))),
}
EVENTS = sorted({*SEAT_EVENTS, "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_BRIDGE"})
DONE_LISTENING = named("CHANNEL_EXECUTE_COMPLETE", "wait_for_silence")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def live(build: Build | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_switch(tmp_path_factory.mktemp("campaign-calls"), build) as live:
        yield live


def apply_seat_facts(events: EventRecorder, seats: SeatTable, leg: str, seen: int) -> int:
    for headers in events.by_leg[leg][seen:]:
        fact = seat_fact(headers)
        if fact is not None and fact[0] == "answered":
            seats.answered(leg, now())
        elif fact is not None and fact[0] == "parked":
            seats.parked(leg, now())
        elif fact is not None:
            seats.gone(leg, now())
    return len(events.by_leg[leg])


def test_a_seat_takes_people_one_after_another_and_never_a_machine(live: Live, tmp_path: Path) -> None:
    agent_id = sorted(live.loaded.model.agents)[0]
    extension = live.loaded.model.agents[agent_id].extension or agent_id
    seats = SeatTable()
    settings = DetectionSettings()
    switch = EslSwitch(live.settings.esl_host, live.settings.esl_port, live.settings.esl_password)
    seat_leg = str(uuid.uuid4())
    bridged: dict[int, float] = {}
    with (
        recording_events(live, EVENTS) as events,
        agent_phone(live, agent_id, AgentOptions(), "seat-agent"),
        callee_sipp(live, tmp_path / "callees", VOICES, {}) as carrier,
    ):
        seats.open(agent_id, seat_leg, now())
        seat_call = switch.originate(
            f"user/{extension}@{live.settings.domain}",
            caller_id_number="0000",
            caller_id_name="Campaign seat",
            timeout=10,
            variables={"origination_uuid": seat_leg, **seat_variables(agent_id)},
        )
        assert seat_call.result == "answered", seat_call.cause
        events.wait_for(seat_leg, named("CHANNEL_PARK"), 5)
        seen = apply_seat_facts(events, seats, seat_leg, 0)
        for code in (1, 11, 2):
            customer = str(uuid.uuid4())
            switch.originate(
                carrier.endpoint(code),
                caller_id_number="+15550100000",
                caller_id_name="Campaign",
                timeout=originate_timeout(15),
                variables={"origination_uuid": customer},
                then=listening_steps(settings, [("park", "")]),
            )
            decided = events.wait_for(customer, DONE_LISTENING, 10)
            heard = heard_from(event_variables(decided))
            assert heard is not None
            if decide(heard, settings).verdict is not Verdict.PERSON:
                switch.hangup(customer)
                continue
            seat = seats.waiting(dt.datetime.now(dt.UTC))[0]
            switch.bridge(customer, seat.leg_uuid)
            seats.connected(seat.leg_uuid, customer, now())
            bridge = events.wait_for(customer, named("CHANNEL_BRIDGE"), 2)
            assert bridge["Other-Leg-Unique-ID"] == seat_leg
            bridged[code] = timestamp_ms(bridge) - timestamp_ms(decided)
            events.wait_for(seat_leg, named("CHANNEL_PARK"), 15, after=seen)
            seen = apply_seat_facts(events, seats, seat_leg, seen)
            assert seats.by_leg(seat_leg) is not None
        seat_after = seats.seat_of(agent_id)
        assert seat_after is not None
        assert seat_after.state is SeatState.WAITING
        switch.hangup(seat_leg)
        events.wait_for(seat_leg, named("CHANNEL_HANGUP_COMPLETE"), 5)
        apply_seat_facts(events, seats, seat_leg, seen)
    switch.close()
    print(f"\nseat on FreeSWITCH {live.release}: ms from the decision to CHANNEL_BRIDGE: {bridged}")
    assert sorted(bridged) == [1, 2], "both people reach the agent, the machine never"
    assert max(bridged.values()) < 2000
    assert seats.seat_of(agent_id) is None


MESSAGE = "This is Acme Insurance calling about your renewal. Please call us back on 0 8 0 0, 1 2 3 4 5 6."
LONG_GREETING = (
    "Hi, you have reached Sam and Alex. We cannot take your call right now. Please leave a message."
)
HEARERS = {
    1: Voice("person", (Silence(300), Said("Hello?"), Silence(30000))),
    11: Voice("machine", (Silence(300), Said(LONG_GREETING), Silence(300), Beep(), Silence(30000))),
    12: Voice("machine_short", (Silence(300), Said("Sam here. Leave a message."), Beep(), Silence(30000))),
}
MESSAGE_EVENTS = [
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_HANGUP_COMPLETE",
    "CUSTOM",
    "avmd::beep",
]


def test_dropped_people_hear_who_called_and_machines_get_the_message_after_the_beep(
    live: Live, tmp_path: Path
) -> None:
    settings = DetectionSettings()
    message = speech_wav(live, MESSAGE, tmp_path)
    message_ms = len(wav_samples(message)) / 8
    switch = EslSwitch(live.settings.esl_host, live.settings.esl_port, live.settings.esl_password)
    legs: dict[int, str] = {}
    verdicts: dict[int, Verdict] = {}
    with (
        recording_events(live, MESSAGE_EVENTS) as events,
        callee_sipp(live, tmp_path / "callees", HEARERS, {}) as carrier,
    ):
        for code in HEARERS:
            legs[code] = str(uuid.uuid4())
            switch.originate(
                carrier.endpoint(code),
                caller_id_number="+15550100000",
                caller_id_name="Acme",
                timeout=originate_timeout(15),
                variables={"origination_uuid": legs[code]},
                then=listening_steps(settings, [("park", "")]),
            )
        for code, leg in legs.items():
            heard = heard_from(event_variables(events.wait_for(leg, DONE_LISTENING, 10)))
            assert heard is not None
            verdicts[code] = decide(heard, settings).verdict
            steps = message_steps(str(message)) if verdicts[code] is Verdict.PERSON else None
            assert switch.transfer_inline(leg, steps or machine_message_steps(str(message), settings))
        ended = {
            code: events.wait_for(leg, named("CHANNEL_HANGUP_COMPLETE"), 60) for code, leg in legs.items()
        }
    switch.close()
    assert verdicts == {1: Verdict.PERSON, 11: Verdict.MACHINE, 12: Verdict.MACHINE}
    for code, leg in legs.items():
        started = events.wait_for(leg, named("CHANNEL_EXECUTE", "playback"), 0)
        assert started["Application-Data"] == str(message)
        finished = events.wait_for(leg, named("CHANNEL_EXECUTE_COMPLETE", "playback"), 0)
        assert timestamp_ms(finished) - timestamp_ms(started) >= message_ms - 100, (
            "the whole message was played"
        )
        assert ended[code]["variable_sip_hangup_disposition"] == "send_bye", (
            "the switch hung up, not the callee"
        )
    beeps = {code: events.wait_for(legs[code], named("CUSTOM"), 0) for code in (11, 12)}
    after_beep = {
        code: timestamp_ms(events.wait_for(legs[code], named("CHANNEL_EXECUTE", "playback"), 0))
        - timestamp_ms(beep)
        for code, beep in beeps.items()
    }
    print(f"\nmessages on FreeSWITCH {live.release}: ms from the beep to the message: {after_beep}")
    assert all(ms > 0 for ms in after_beep.values()), "the message starts after the beep"


DIALLED = {
    1: Voice("person_a", (Silence(300), Said("Hello?"), Silence(30000)), hangs_up_after_ms=7000),
    2: Voice("person_b", (Silence(300), Said("Hello?"), Silence(30000)), hangs_up_after_ms=7000),
    11: Voice("machine", (Silence(300), Said(LONG_GREETING), Silence(300), Beep(), Silence(30000))),
}
NOT_PICKING_UP: dict[int, CalleeKind] = {31: "busy", 32: "no_answer"}


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        gevent.sleep(0.05)


def test_campaign_calls_bring_only_people_to_the_agent_and_drop_who_finds_no_seat(
    live: Live, tmp_path: Path
) -> None:
    agent_id = sorted(live.loaded.model.agents)[0]
    extension = live.loaded.model.agents[agent_id].extension or agent_id
    message = speech_wav(live, MESSAGE, tmp_path)
    finished: list[CampaignCall] = []
    switch = EslSwitch(live.settings.esl_host, live.settings.esl_port, live.settings.esl_password)
    calls = CampaignCalls(switch, finished.append)
    listener = EventListener(
        calls.on_switch_event,
        live.settings.esl_host,
        live.settings.esl_port,
        live.settings.esl_password,
        DIALER_EVENTS,
    )
    listener.start()
    try:
        assert listener.wait_connected(5)
        with (
            recording_events(live, ["CHANNEL_EXECUTE"]) as executed,
            agent_phone(live, agent_id, AgentOptions(), "dialer-agent"),
            callee_sipp(live, tmp_path / "callees", DIALLED, NOT_PICKING_UP) as carrier,
        ):
            seat_leg = calls.open_seat(agent_id, f"user/{extension}@{live.settings.domain}")
            until(lambda: bool(calls.seats.waiting(dt.datetime.now(dt.UTC))), 10, "the agent's seat waiting")
            dialled = {
                code: calls.dial(
                    DialRequest(
                        "spring",
                        code,
                        f"+1555010{code:02d}",
                        carrier.endpoint(code),
                        "+15550100000",
                        "Acme",
                        str(message),
                        ring_seconds=15,
                    )
                )
                for code in [*DIALLED, *NOT_PICKING_UP]
            }
            until(lambda: len(finished) == len(dialled), 40, "every call finished")
            switch.hangup(seat_leg)
            until(lambda: calls.seats.seat_of(agent_id) is None, 5, "the seat gone")
    finally:
        listener.stop()
        switch.close()
    outcomes = {code: call.outcome for code, call in dialled.items()}
    people = sorted(str(outcomes[code]) for code in (1, 2))
    assert people == [AttemptOutcome.DROPPED, AttemptOutcome.HUMAN]
    assert (outcomes[11], outcomes[31], outcomes[32]) == (
        AttemptOutcome.MACHINE,
        AttemptOutcome.BUSY,
        AttemptOutcome.NO_ANSWER,
    )
    human = next(dialled[code] for code in (1, 2) if outcomes[code] is AttemptOutcome.HUMAN)
    dropped = next(dialled[code] for code in (1, 2) if outcomes[code] is AttemptOutcome.DROPPED)
    assert human.agent_id == agent_id
    assert human.wait_for_agent_ms is not None
    assert human.wait_for_agent_ms < 500
    assert dropped.agent_id is None
    assert dropped.wait_for_agent_ms is not None
    assert dropped.wait_for_agent_ms >= 2000
    for call in (dropped, dialled[11]):
        played = executed.wait_for(call.call_uuid, named("CHANNEL_EXECUTE", "playback"), 0)
        assert played["Application-Data"] == str(message)
    print(f"\ndialer on FreeSWITCH {live.release}: {outcomes}; person to agent {human.wait_for_agent_ms} ms")
