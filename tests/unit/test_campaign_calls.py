"""CampaignCalls without a switch: the order facts arrive in, the commands it gives, failures it survives."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import MappingProxyType

import gevent
import pytest

from dialplans.campaign_vocabulary import AttemptOutcome
from esl_handlers.campaign_calls import CampaignCalls, DialRequest
from esl_handlers.codec import Event
from esl_handlers.seat_legs import SEAT_AGENT_VARIABLE
from ivr_scripts.campaigns.campaign_call import CampaignCall, Phase
from ivr_scripts.switch import Originated
from tests.fakes.campaign_switch import FakeSwitch


def event(name: str, leg: str, **headers: str) -> Event:
    return Event(MappingProxyType({"Event-Name": name, "Unique-ID": leg, **headers}), None)


def decided(leg: str, listen_frames: int, timed_out: str = "false") -> Event:
    return event(
        "CHANNEL_EXECUTE_COMPLETE",
        leg,
        Application="wait_for_silence",
        variable_wait_for_silence_timeout=timed_out,
        variable_wait_for_silence_listenhits=str(listen_frames),
    )


REQUEST = DialRequest("spring", 7, "+15550100001", "sofia/gateway/pstn/+15550100001", "+15550100000", "Acme",
                      "/srv/sounds/acme-id.wav")  # fmt: skip


@pytest.fixture
def rig() -> tuple[FakeSwitch, CampaignCalls, list[CampaignCall]]:
    switch = FakeSwitch()
    finished: list[CampaignCall] = []
    return switch, CampaignCalls(switch, finished.append), finished


def waiting_seat(switch: FakeSwitch, calls: CampaignCalls) -> str:
    leg = calls.open_seat("1001", "user/1001@callcenter.local")
    gevent.sleep(0)
    switch.originates[leg].set(Originated("answered", leg, "SUCCESS"))
    calls.on_switch_event(event("CHANNEL_PARK", leg, **{f"variable_{SEAT_AGENT_VARIABLE}": "1001"}))
    return leg


def test_a_person_goes_to_the_waiting_seat(rig: tuple[FakeSwitch, CampaignCalls, list[CampaignCall]]) -> None:
    switch, calls, finished = rig
    seat = waiting_seat(switch, calls)
    call = calls.dial(REQUEST)
    gevent.sleep(0)
    switch.originates[call.call_uuid].set(Originated("answered", call.call_uuid, "SUCCESS"))
    gevent.sleep(0)
    calls.on_switch_event(decided(call.call_uuid, 27))
    assert ("bridge", call.call_uuid, seat) in switch.done
    calls.on_switch_event(event("CHANNEL_PARK", seat, **{f"variable_{SEAT_AGENT_VARIABLE}": "1001"}))
    calls.on_switch_event(
        event("CHANNEL_HANGUP_COMPLETE", call.call_uuid, **{"Hangup-Cause": "NORMAL_CLEARING"})
    )
    assert [(c.outcome, c.agent_id) for c in finished] == [(AttemptOutcome.HUMAN, "1001")]
    waiting = calls.seats.waiting(dt.datetime.now(dt.UTC))
    assert [s.leg_uuid for s in waiting] == [seat], "the seat waits for the next customer"
    assert calls.in_progress() == 0


def test_the_decision_may_overtake_the_answer(
    rig: tuple[FakeSwitch, CampaignCalls, list[CampaignCall]], capsys: pytest.CaptureFixture[str]
) -> None:
    switch, calls, _ = rig
    call = calls.dial(REQUEST)
    gevent.sleep(0)
    calls.on_switch_event(decided(call.call_uuid, 146, timed_out="true"))  # a machine, before the job
    assert ("transfer", call.call_uuid, "'wait_for_silence:200 40 0 30000") in switch.done
    switch.originates[call.call_uuid].set(Originated("answered", call.call_uuid, "SUCCESS"))
    gevent.sleep(0)
    assert call.phase is Phase.MESSAGE
    assert "Error" not in capsys.readouterr().err, "the late job neither fails nor changes the call"


def test_the_end_may_overtake_the_originate_job(
    rig: tuple[FakeSwitch, CampaignCalls, list[CampaignCall]], capsys: pytest.CaptureFixture[str]
) -> None:
    switch, calls, finished = rig
    call = calls.dial(REQUEST)
    gevent.sleep(0)
    calls.on_switch_event(event("CHANNEL_HANGUP_COMPLETE", call.call_uuid, **{"Hangup-Cause": "USER_BUSY"}))
    switch.originates[call.call_uuid].set(Originated("busy", None, "USER_BUSY"))
    gevent.sleep(0)
    assert [c.outcome for c in finished] == [AttemptOutcome.BUSY], "reported once"
    assert "Error" not in capsys.readouterr().err


def test_a_person_with_no_seat_is_dropped_after_two_seconds(
    rig: tuple[FakeSwitch, CampaignCalls, list[CampaignCall]], monkeypatch: pytest.MonkeyPatch
) -> None:
    switch, calls, finished = rig
    t = [dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(calls, "_clock", lambda: t[0])
    call = calls.dial(REQUEST)
    gevent.sleep(0)
    switch.originates[call.call_uuid].set(Originated("answered", call.call_uuid, "SUCCESS"))
    gevent.sleep(0)
    calls.on_switch_event(decided(call.call_uuid, 27))
    t[0] += dt.timedelta(seconds=2)
    gevent.sleep(2.05)
    assert ("transfer", call.call_uuid, "'playback:/srv/sounds/acme-id.wav") in switch.done
    calls.on_switch_event(
        event("CHANNEL_HANGUP_COMPLETE", call.call_uuid, **{"Hangup-Cause": "NORMAL_CLEARING"})
    )
    assert [(c.outcome, c.wait_for_agent_ms) for c in finished] == [(AttemptOutcome.DROPPED, 2000)]


def test_a_drop_timer_that_fires_early_by_the_clock_drops_the_person_at_the_deadline(
    rig: tuple[FakeSwitch, CampaignCalls, list[CampaignCall]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen live: gevent's timer ran a little before the clock's 2 s and the person, never dropped, waited
    until they hung up (logged dropped, no message)."""
    switch, calls, finished = rig
    t = [dt.datetime(2026, 12, 7, 15, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(calls, "_clock", lambda: t[0])
    call = person_decided(switch, calls, REQUEST)
    t[0] += dt.timedelta(seconds=1.95)  # the timer fires; by the clock 50 ms remain
    gevent.sleep(2.05)
    assert call.phase is Phase.WAITING_FOR_AGENT
    t[0] += dt.timedelta(seconds=0.05)
    gevent.sleep(0.1)
    assert ("transfer", call.call_uuid, "'playback:/srv/sounds/acme-id.wav") in switch.done
    calls.on_switch_event(
        event("CHANNEL_HANGUP_COMPLETE", call.call_uuid, **{"Hangup-Cause": "NORMAL_CLEARING"})
    )
    assert [(c.outcome, c.wait_for_agent_ms) for c in finished] == [(AttemptOutcome.DROPPED, 2000)]


def person_decided(switch: FakeSwitch, calls: CampaignCalls, request: DialRequest) -> CampaignCall:
    call = calls.dial(request)
    gevent.sleep(0)
    switch.originates[call.call_uuid].set(Originated("answered", call.call_uuid, "SUCCESS"))
    gevent.sleep(0)
    calls.on_switch_event(decided(call.call_uuid, 27))
    return call


def test_the_seat_takes_the_next_person_when_its_wrap_up_is_over(
    rig: tuple[FakeSwitch, CampaignCalls, list[CampaignCall]],
) -> None:
    switch, calls, finished = rig
    seat = waiting_seat(switch, calls)
    with_wrap_up = dataclasses.replace(REQUEST, wrap_up_seconds=1)
    first = person_decided(switch, calls, with_wrap_up)
    assert ("bridge", first.call_uuid, seat) in switch.done
    calls.on_switch_event(event("CHANNEL_PARK", seat, **{f"variable_{SEAT_AGENT_VARIABLE}": "1001"}))
    calls.on_switch_event(
        event("CHANNEL_HANGUP_COMPLETE", first.call_uuid, **{"Hangup-Cause": "NORMAL_CLEARING"})
    )
    assert calls.seats.waiting(dt.datetime.now(dt.UTC)) == [], "the agent wraps up the first call"
    second = person_decided(switch, calls, with_wrap_up)
    assert ("bridge", second.call_uuid, seat) not in switch.done, "no customer during wrap-up"
    gevent.sleep(1.1)
    assert ("bridge", second.call_uuid, seat) in switch.done, "the waiting person once wrap-up is over"
    assert second.phase is Phase.CONNECTED
    assert [c.outcome for c in finished] == [AttemptOutcome.HUMAN]


def test_a_failed_bridge_hangs_the_customer_up(
    rig: tuple[FakeSwitch, CampaignCalls, list[CampaignCall]],
) -> None:
    switch, calls, _ = rig
    waiting_seat(switch, calls)
    switch.fail_bridge = True
    call = calls.dial(REQUEST)
    gevent.sleep(0)
    switch.originates[call.call_uuid].set(Originated("answered", call.call_uuid, "SUCCESS"))
    gevent.sleep(0)
    calls.on_switch_event(decided(call.call_uuid, 27))
    assert ("hangup", call.call_uuid) in switch.done


def test_a_seat_whose_phone_does_not_answer_is_gone(
    rig: tuple[FakeSwitch, CampaignCalls, list[CampaignCall]],
) -> None:
    switch, calls, _ = rig
    leg = calls.open_seat("1001", "user/1001@callcenter.local")
    gevent.sleep(0)
    switch.originates[leg].set(Originated("no_answer", None, "NO_ANSWER"))
    gevent.sleep(0)
    assert calls.seats.seat_of("1001") is None


def test_events_of_other_legs_are_ignored(rig: tuple[FakeSwitch, CampaignCalls, list[CampaignCall]]) -> None:
    _, calls, finished = rig
    calls.on_switch_event(decided("not-ours", 27))
    calls.on_switch_event(event("CHANNEL_HANGUP_COMPLETE", "not-ours"))
    assert finished == []
