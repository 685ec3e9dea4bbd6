"""EslChannel.say over real TCP against the stand-in switch: what reaches FreeSWITCH's `say` application."""

from __future__ import annotations

import datetime as dt

import gevent
import pytest

from esl_handlers.codec import Event
from esl_handlers.esl_channel import EslChannel
from ivr_scripts.channel import CallerHungUp, SayKind
from tests.support.outbound_servers import Serve
from tests.support.standin import CallScript, Said

pytestmark = pytest.mark.wire

NOON_2024_03_01 = int(dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC).timestamp())  # 1709294400


@pytest.mark.parametrize(
    ("kind", "value", "language", "expected"),
    [
        ("number", "42", "en", Said("en", "NUMBER", "PRONOUNCED", None, "42")),
        ("number", "007", "en", Said("en", "NUMBER", "PRONOUNCED", None, "7")),
        ("digits", "0012345678901", "en", Said("en", "NAME_SPELLED", "ITERATED", None, "0012345678901")),
        ("date", "2024-03-01", "en", Said("en", "CURRENT_DATE", "PRONOUNCED", None, str(NOON_2024_03_01))),
        ("money", "12.5", "en", Said("en", "CURRENCY", "PRONOUNCED", None, "12.50")),
        ("money", "3", "de", Said("de", "CURRENCY", "PRONOUNCED", None, "3.00")),
    ],
)
def test_say_sends_the_type_method_and_text(
    serve: Serve, kind: SayKind, value: str, language: str, expected: Said
) -> None:
    def handler(channel: EslChannel) -> None:
        channel.answer()
        channel.say(kind, value, language=language)
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert call.said == [expected]
    assert [app for app, _ in call.executed] == ["answer", "say"]
    assert call.hung_up_by == "application"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("number", "1234567890"),  # en_say_general_count: at most 9 digits
        ("number", "-3"),
        ("number", "3.5"),
        ("digits", "12a4"),
        ("digits", "12 34"),
        ("date", "2024-02-30"),
        ("date", "20240301"),
        ("date", "2038-01-19"),  # noon UTC is past the int32 epoch en_say_time reads
        ("money", "12.345"),
        ("money", "${api system}"),
        ("number", "1\n2"),
    ],
)
def test_a_value_say_cannot_read_is_refused_before_anything_is_sent(
    serve: Serve, kind: SayKind, value: str
) -> None:
    errors: list[Exception] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        try:
            channel.say(kind, value)
        except ValueError as exc:
            errors.append(exc)
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert len(errors) == 1
    assert [app for app, _ in call.executed] == ["answer"]
    assert call.said == []


def test_a_caller_hanging_up_during_say_ends_it_with_caller_hung_up(serve: Serve) -> None:
    errors: list[CallerHungUp] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        try:
            channel.say("number", "42")
        except CallerHungUp as exc:
            errors.append(exc)

    _, switch = serve(handler)
    call = switch.run_call(CallScript(media_seconds=30, hangup_after=0.05))
    assert [error.cause for error in errors] == ["NORMAL_CLEARING"]
    assert call.hung_up_by == "caller"


def test_interrupt_breaks_a_running_say(serve: Serve) -> None:
    done: list[str] = []

    def handler(channel: EslChannel) -> None:
        def on_event(event: Event) -> None:
            if event.name == "CHANNEL_EXECUTE" and event.get("Application") == "say":
                gevent.spawn(channel.interrupt)

        channel.add_event_listener(on_event)
        channel.say("digits", "1234")
        done.append("said")
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(media_seconds=30))
    assert done == ["said"]
    assert call.breaks_received == 1


def test_a_switch_without_say_sounds_speaks_the_value_by_tts(serve: Serve) -> None:
    """cc_say_by=tts (rendered when the en-us-callie sounds are missing): `say` would be silent."""

    def handler(channel: EslChannel) -> None:
        channel.answer()
        channel.say("date", "2027-03-04")
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(variables={"playback_terminators": "none", "cc_say_by": "tts"}))
    assert call.said == []
    spoken = [data for app, data in call.executed if app == "speak"]
    assert len(spoken) == 1, call.executed
    assert (spoken[0] or "").endswith("|Thursday, March 4th, 2027"), spoken
