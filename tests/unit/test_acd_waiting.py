"""The waiting caller over a scripted channel and clock: music, announcements, keys, max wait, hang-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from dialplans.models import Hangup, Transfer, TransferTarget
from ivr_scripts.acd.queue_events import MemoryQueueEvents
from ivr_scripts.acd.settings import QueueSettings, QueueSettingsError
from ivr_scripts.acd.waiting import (
    CALLBACK_CONFIRMED,
    IDLE_HOLD_SECONDS,
    QueueTicket,
    WaitOutcome,
    wait_in_queue,
)
from ivr_scripts.channel import CallerHungUp
from tests.fakes.clock import START, FakeClock
from tests.fakes.hold_channel import CALL, HangUp, HoldStep, Meanwhile, Music, Press, ScriptedChannel


@dataclass
class Run:
    clock: FakeClock
    channel: ScriptedChannel
    ticket: QueueTicket
    events: MemoryQueueEvents


def make_run(script: list[HoldStep], *, waited_before: float = 0.0, **channel: Any) -> Run:
    clock = FakeClock()
    chan = ScriptedChannel(clock, script, **channel)
    ticket = QueueTicket.for_call(chan.info, "sales", START - dt.timedelta(seconds=waited_before))
    return Run(clock, chan, ticket, MemoryQueueEvents())


def wait(
    run: Run,
    settings: QueueSettings,
    *,
    position: Callable[[], int] = lambda: 2,
    expected_wait: Callable[[], float | None] = lambda: None,
) -> WaitOutcome:
    return wait_in_queue(
        run.channel,
        run.ticket,
        settings,
        position=position,
        expected_wait=expected_wait,
        clock=run.clock,
        events=run.events,
    )


def plays(run: Run) -> list[tuple[float, str]]:
    return [(at, text) for at, kind, text in run.channel.log if kind == "play"]


def test_announces_position_and_expected_wait_between_slices_of_music() -> None:
    positions = iter([4, 3, 2, 2])
    estimates = iter([150.0, 90.0])
    run = make_run([Music(), Music(), Press("0", 5)])
    settings = QueueSettings(announce_every=30, exit_key="0")

    outcome = wait(run, settings, position=lambda: next(positions), expected_wait=lambda: next(estimates))

    assert plays(run) == [
        (30, "You are caller number 3."),
        (32, "Your expected wait is about 3 minutes."),
        (64, "You are caller number 2."),
        (66, "Your expected wait is about 2 minutes."),
    ]
    # Each slice is a full announce_every of music, counted from the end of the announcements.
    assert [(start, seconds) for start, seconds, _ in run.channel.holds] == [(0, 30), (34, 30), (68, 30)]
    assert outcome == WaitOutcome("exit_key", "EXITWITHKEY", 73.0, key="0")


def test_announce_on_entry_plays_before_the_first_music() -> None:
    run = make_run([Music(), HangUp(1)])
    settings = QueueSettings(announce_every=20, announce_on_entry=True, announce_expected_wait=False)

    wait(run, settings, position=lambda: 1)

    assert plays(run) == [(0, "You are next in line."), (22, "You are next in line.")]


def test_only_enabled_and_known_announcements_are_played() -> None:
    run = make_run([Music(), Music(), HangUp(1)])
    estimates = iter([None, 30.0])
    settings = QueueSettings(announce_every=10, announce_position=False)

    wait(run, settings, expected_wait=lambda: next(estimates))

    assert plays(run) == [(20, "Your expected wait is less than a minute.")]


def test_without_announcements_or_max_wait_the_music_just_goes_on() -> None:
    run = make_run([Music(), Music(), HangUp(3)])
    settings = QueueSettings(announce_every=None)

    outcome = wait(run, settings)

    assert plays(run) == []
    assert [seconds for _, seconds, _ in run.channel.holds] == [IDLE_HOLD_SECONDS] * 3
    assert outcome.wait_s == 2 * IDLE_HOLD_SECONDS + 3


def test_enterqueue_is_recorded_with_the_position() -> None:
    run = make_run([HangUp(1)])
    wait(run, QueueSettings(), position=lambda: 5)
    first = run.events.events[0]
    assert (first.event, first.call_uuid, first.queue, first.position, first.wait_s, first.at) == (
        "ENTERQUEUE",
        CALL,
        "sales",
        5,
        0.0,
        START,
    )


def test_exit_key_leaves_with_the_queue_action() -> None:
    to_operator = Transfer(transfer=TransferTarget(extension="2009"))
    run = make_run([Music(), Press("9", 4)])
    settings = QueueSettings(announce_every=None, exit_key="9", on_exit_key=to_operator)

    outcome = wait(run, settings, position=lambda: 3)

    assert outcome == WaitOutcome(
        "exit_key", "EXITWITHKEY", IDLE_HOLD_SECONDS + 4, key="9", action=to_operator
    )
    assert run.ticket.state == "exited"
    assert run.channel.holds[0][2] == "9"
    left = run.events.events[-1]
    assert (left.event, left.wait_s, left.position, left.data) == (
        "EXITWITHKEY",
        IDLE_HOLD_SECONDS + 4,
        3,
        "9",
    )
    assert run.channel.log == []  # the caller is not hung up: the action decides


def test_callback_keeps_the_place_and_hangs_up_after_the_confirmation() -> None:
    run = make_run([Music(), Press("*", 7)], waited_before=15)
    settings = QueueSettings(announce_every=30, announce_expected_wait=False, exit_key="0", callback_key="*")

    outcome = wait(run, settings, position=lambda: 4)

    assert outcome == WaitOutcome("callback", "CALLBACK", 15 + 30 + 2 + 7, key="*")
    assert run.channel.holds[0][2] == "0*"
    ticket = run.ticket
    assert ticket.state == "waiting"  # still in the queue, same place
    assert ticket.callback is not None
    assert (ticket.callback.number, ticket.callback.caller_id_number) == ("+15551234567", "4001")
    assert run.channel.log[-2:] == [(39, "play", CALLBACK_CONFIRMED.text), (41, "hangup", "NORMAL_CLEARING")]
    recorded = run.events.events[-1]
    assert (recorded.event, recorded.wait_s, recorded.position, recorded.data) == (
        "CALLBACK",
        54,
        4,
        "+15551234567",
    )


def test_hanging_up_during_the_callback_confirmation_keeps_the_callback() -> None:
    run = make_run([Press("*", 3)], hang_up_on_play=True)
    outcome = wait(run, QueueSettings(callback_key="*"))
    assert outcome.kind == "callback"
    assert run.ticket.callback is not None
    assert run.ticket.state == "waiting"
    assert run.events.names() == ["ENTERQUEUE", "CALLBACK"]


@pytest.mark.parametrize("number", ["", "anonymous", "12"])
def test_no_callback_key_for_a_number_that_cannot_be_dialled(number: str) -> None:
    run = make_run([HangUp(1)], caller_number=number)
    wait(run, QueueSettings(exit_key="0", callback_key="*"))
    assert run.channel.holds[0][2] == "0"


def test_max_wait_counts_from_joining_and_returns_the_timeout_action() -> None:
    goodbye = Hangup()
    run = make_run([Music(), Music()], waited_before=10)
    settings = QueueSettings(
        announce_every=30, announce_expected_wait=False, max_wait=50, on_max_wait=goodbye
    )

    outcome = wait(run, settings)

    # 10 s waited before this loop: 30 s of music, a 2 s announcement, then the last 8 s.
    assert [(start, seconds) for start, seconds, _ in run.channel.holds] == [(0, 30), (32, 8)]
    assert outcome == WaitOutcome("timeout", "EXITWITHTIMEOUT", 50.0, action=goodbye)
    assert run.ticket.state == "timed_out"
    assert run.events.names() == ["ENTERQUEUE", "EXITWITHTIMEOUT"]
    assert run.events.events[-1].wait_s == 50.0


def test_hang_up_during_hold_is_an_abandon_with_the_wait() -> None:
    run = make_run([Music(), HangUp(12.5)], waited_before=3)
    outcome = wait(run, QueueSettings(announce_every=20, announce_expected_wait=False), position=lambda: 2)

    assert outcome == WaitOutcome("abandoned", "ABANDON", 3 + 20 + 2 + 12.5)
    assert run.ticket.state == "abandoned"
    abandon = run.events.events[-1]
    assert (abandon.event, abandon.wait_s, abandon.position, abandon.data) == (
        "ABANDON",
        37.5,
        2,
        "NORMAL_CLEARING",
    )


def test_hang_up_during_an_announcement_is_an_abandon_too() -> None:
    run = make_run([Music()], hang_up_on_play=True)
    outcome = wait(run, QueueSettings(announce_every=15))
    assert (outcome.kind, outcome.wait_s) == ("abandoned", 17)


def test_an_agent_taking_the_call_ends_the_wait_without_touching_the_channel_again() -> None:
    run = make_run([Music()], waited_before=5)

    def offer_flow_claims() -> None:
        assert run.ticket.claim("1001")
        run.ticket.wake()

    run.channel.script.append(Meanwhile(12, offer_flow_claims))
    outcome = wait(run, QueueSettings(announce_every=30, announce_expected_wait=False, exit_key="0"))

    assert outcome.kind == "connected"
    assert outcome.event is None  # CONNECT belongs to the offer flow, once the bridge is up
    assert run.channel.interrupts == 1
    assert len(run.channel.holds) == 2
    assert run.events.names() == ["ENTERQUEUE"]


def test_a_key_pressed_as_the_agent_is_claimed_does_not_send_the_caller_away() -> None:
    run = make_run([])

    def offer_flow_claims() -> None:
        run.ticket.claim("1001")

    run.channel.script.append(Meanwhile(1, offer_flow_claims, key="0"))
    outcome = wait(run, QueueSettings(exit_key="0"))
    assert outcome.kind == "connected"
    assert run.ticket.state == "connecting"


def test_hang_up_while_the_agent_is_being_bridged_is_an_abandon() -> None:
    run = make_run([Music()])

    def claim_then_hang_up() -> None:
        run.ticket.claim("1001")
        raise CallerHungUp("NORMAL_CLEARING")

    run.channel.script.insert(0, Meanwhile(4, claim_then_hang_up))
    outcome = wait(run, QueueSettings())
    assert (outcome.kind, outcome.event, outcome.wait_s) == ("abandoned", "ABANDON", 4)
    assert run.ticket.state == "abandoned"


def test_leaving_cancels_an_agent_that_is_ringing() -> None:
    run = make_run([HangUp(2)])
    cancelled: list[str] = []
    run.ticket.cancel_ringing = lambda: cancelled.append("leg")
    wait(run, QueueSettings())
    assert cancelled == ["leg"]
    assert run.ticket.cancel_ringing is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"announce_every": 0},
        {"max_wait": -1},
        {"ring_timeout": 0},
        {"wrap_up": -1},
        {"exit_key": "10"},
        {"callback_key": "a"},
        {"exit_key": "#", "callback_key": "#"},
        {"callback_attempts": 0},
        {"callback_endpoint": "sofia/gateway/pstn/"},
        {"music_on_hold": ""},
    ],
)
def test_settings_that_cannot_work_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(QueueSettingsError):
        QueueSettings(**kwargs)
