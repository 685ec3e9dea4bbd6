"""EslChannel.hold and interrupt over real TCP against the stand-in switch."""

from __future__ import annotations

from typing import Any

import gevent
import pytest

from esl_handlers.codec import Event
from esl_handlers.esl_channel import EslChannel
from ivr_scripts.channel import Audio, CallerHungUp
from tests.support.outbound_servers import Serve
from tests.support.standin import CallScript, ScriptedCall

pytestmark = pytest.mark.wire

MOH = "local_stream://moh"


def api_lines(call: ScriptedCall) -> list[str]:
    """The api commands but the uuid_setvar_multi of variables (call.api_sets has those)."""
    return [c.line for c in call.commands if c.verb == "api" and not c.argument.startswith("uuid_setvar")]


def interrupt_once_playing(channel: EslChannel, app: str = "playback") -> None:
    """Call interrupt() from another greenlet as soon as FreeSWITCH reports `app` started."""

    def on_event(event: Event) -> None:
        if event.name == "CHANNEL_EXECUTE" and event.get("Application") == app:
            gevent.spawn(channel.interrupt)

    channel.add_event_listener(on_event)


def test_hold_ends_after_its_time_with_a_uuid_break(serve: Serve) -> None:
    got: list[str] = []

    def handler(channel: EslChannel) -> None:
        got.append(channel.hold(MOH, seconds=0.05))
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert got == [""]
    # The rendered dialplan leaves playback_terminators=none (no exit keys): nothing to set.
    assert call.executed == [("playback", MOH)]
    call = switch.run_call(CallScript(variables={}))
    assert call.api_sets == [("playback_terminators", "none")]
    assert call.executed == [("playback", MOH)]
    assert api_lines(call) == [f"api uuid_break {call.uuid}"]
    assert call.breaks_received == 1
    assert call.hung_up_by == "application"


def test_an_exit_key_ends_the_hold_and_is_returned(serve: Serve) -> None:
    got: list[str] = []

    def handler(channel: EslChannel) -> None:
        got.append(channel.hold(MOH, seconds=30, exit_keys="0*"))
        got.append(channel.hold(MOH, seconds=30, exit_keys="0*"))
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(hold_keys=["*", "50"]))
    assert got == ["*", "0"]
    # The terminators are set once while they stay the same; no break was needed.
    assert call.api_sets == [("playback_terminators", "0*")]
    assert call.executed == [("playback", MOH), ("playback", MOH)]
    assert api_lines(call) == []


def test_a_key_that_is_no_exit_key_does_not_end_the_hold(serve: Serve) -> None:
    got: list[str] = []

    def handler(channel: EslChannel) -> None:
        got.append(channel.hold(MOH, seconds=0.05, exit_keys="9"))
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(hold_keys=["1"]))
    assert got == [""]
    assert call.breaks_received == 1


def test_interrupt_from_another_greenlet_ends_the_hold(serve: Serve) -> None:
    got: list[str] = []

    def handler(channel: EslChannel) -> None:
        interrupt_once_playing(channel)
        got.append(channel.hold(MOH, seconds=60, exit_keys="#"))
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(), timeout=10)
    assert got == [""]
    assert api_lines(call) == [f"api uuid_break {call.uuid}"]


def test_interrupt_also_ends_a_prompt(serve: Serve) -> None:
    def handler(channel: EslChannel) -> None:
        interrupt_once_playing(channel)
        channel.play(Audio("long", file="/sounds/long.wav"))
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(media_seconds=60), timeout=10)
    assert call.breaks_received == 1
    assert call.hung_up_by == "application"


def test_interrupt_with_nothing_playing_sends_nothing(serve: Serve) -> None:
    def handler(channel: EslChannel) -> None:
        channel.interrupt()
        channel.answer()
        channel.interrupt()
        channel.play(Audio("welcome", file="/sounds/welcome.wav"))
        channel.interrupt()
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert api_lines(call) == []
    assert call.events_sent.count("CHANNEL_EXECUTE_COMPLETE:playback") == 1


def test_a_caller_hanging_up_on_hold_raises_caller_hung_up(serve: Serve) -> None:
    seen: dict[str, Any] = {}

    def handler(channel: EslChannel) -> None:
        try:
            channel.hold(MOH, seconds=60)
        except CallerHungUp as exc:
            seen["cause"] = exc.cause
        channel.interrupt()  # a no-op once the call is gone

    _, switch = serve(handler)
    call = switch.run_call(CallScript(hangup_at=0), timeout=10)
    assert seen == {"cause": "NORMAL_CLEARING"}
    assert call.hung_up_by == "caller"
    assert api_lines(call) == []


@pytest.mark.parametrize(
    ("music", "keys", "seconds"),
    [
        ("local_stream://moh\nsendmsg", "", 5),  # would end the command
        ("${system(rm -rf /)}", "", 5),  # FreeSWITCH would expand it
        (MOH, "1x", 5),  # not a DTMF key
        (MOH, "", -1),
    ],
)
def test_hold_refuses_unsafe_arguments_before_sending_anything(
    serve: Serve, music: str, keys: str, seconds: float
) -> None:
    errors: list[Exception] = []

    def handler(channel: EslChannel) -> None:
        try:
            channel.hold(music, seconds=seconds, exit_keys=keys)
        except ValueError as exc:
            errors.append(exc)
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert len(errors) == 1
    assert call.executed == []
