"""EslChannel's recording, PCI masking and sensitive collects over real TCP against the stand-in switch."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from esl_handlers.codec import Event
from esl_handlers.digit_collection import SENSITIVE_VARIABLE_PREFIX
from esl_handlers.esl_channel import EslChannel
from ivr_scripts.channel import Audio, CallerHungUp, ChannelError
from tests.support.outbound_servers import Serve
from tests.support.standin import CallScript, ScriptedCall
from tests.support.standin.recording import decode_wav

pytestmark = pytest.mark.wire

CARD = "4111111111111111"
ASK = Audio("ask_card", text="Your card number, then hash.")


def lines(call: ScriptedCall, verb: str) -> list[str]:
    """The commands of one verb after the session's own set-up (filter, event, linger), but the
    uuid_setvar_multi of variables (call.api_sets has those)."""
    set_up = next(i for i, c in enumerate(call.commands) if c.verb == "linger") + 1
    return [
        c.line for c in call.commands[set_up:] if c.verb == verb and not c.argument.startswith("uuid_setvar")
    ]


def record_events(seen: list[Event]) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.name, e.get("Record-File-Path"), e.get("Record-Completion-Cause"))
        for e in seen
        if e.name.startswith("RECORD_")
    ]


def test_a_recording_subscribes_the_socket_sets_stereo_then_records(serve: Serve, tmp_path: Path) -> None:
    path = f"{tmp_path}/2026/11/23/call.wav"
    seen: list[Event] = []

    def handler(channel: EslChannel) -> None:
        channel.add_event_listener(seen.append)
        channel.answer()
        channel.leg.recording.start_recording(path, stereo=True)
        channel.play(Audio("hello", text="Hello."))
        channel.leg.recording.start_recording(path.replace("call", "call-2"), stereo=False)
        channel.leg.recording.stop_recording(path)
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(recordings_dir=str(tmp_path)))
    assert lines(call, "event") == ["event plain RECORD_START RECORD_STOP"]  # once per call
    assert call.api_sets == [("RECORD_STEREO", "true"), ("RECORD_STEREO", "false")]
    assert call.executed[1:4] == [
        ("record_session", path),
        ("speak", "flite|kal|Hello."),
        ("record_session", path.replace("call", "call-2")),
    ]
    assert call.executed[4] == ("stop_record_session", path)
    stop = next(e for e in seen if e.name == "RECORD_STOP" and e.get("Record-File-Path") == path)
    assert stop.get("variable_record_ms") == "20"  # one 20 ms frame: the prompt
    assert record_events(seen) == [
        ("RECORD_START", path, None),
        ("RECORD_START", path.replace("call", "call-2"), None),
        ("RECORD_STOP", path, "success-maxtime"),  # stopped while the call was up
        ("RECORD_STOP", path.replace("call", "call-2"), "no-input-timeout"),  # by the hang-up, no audio
    ]
    assert decode_wav(Path(path)) == ["prompt"]


def test_the_hang_up_stops_the_recording_before_hangup_complete(serve: Serve, tmp_path: Path) -> None:
    path = f"{tmp_path}/a.wav"
    seen: list[str] = []

    def handler(channel: EslChannel) -> None:
        channel.add_event_listener(lambda event: seen.append(event.name))
        channel.leg.recording.start_recording(path, stereo=False)
        channel.play(Audio("hello", text="Hello."))

    _, switch = serve(handler)
    switch.run_call(CallScript(hangup_at=1, recordings_dir=str(tmp_path)))  # during the prompt
    assert seen.index("CHANNEL_HANGUP") < seen.index("RECORD_STOP") < seen.index("CHANNEL_HANGUP_COMPLETE")


def test_mask_and_unmask_write_silence_into_the_file(serve: Serve, tmp_path: Path) -> None:
    path = f"{tmp_path}/masked.wav"

    def handler(channel: EslChannel) -> None:
        channel.leg.recording.start_recording(path, stereo=True)
        channel.collect_digits(ASK, max_digits=1, timeout=1, digit_timeout=1)
        channel.leg.recording.mask_recording(path)
        channel.collect_digits(ASK, max_digits=4, timeout=1, digit_timeout=1, terminators="#")
        channel.leg.recording.unmask_recording(path)
        channel.collect_digits(ASK, max_digits=1, timeout=1, digit_timeout=1)
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(keys=["1", "987#", "2"], recordings_dir=str(tmp_path)))
    assert lines(call, "api") == [
        f"api uuid_record {call.uuid} mask {path}",
        f"api uuid_record {call.uuid} unmask {path}",
    ]
    # prompt, key 1 | masked: prompt, 9, 8, 7, # | prompt, key 2
    assert decode_wav(Path(path)) == ["prompt", "1", *["silence"] * 5, "prompt", "2"]


def test_masking_a_path_that_is_not_recording_is_refused(serve: Serve) -> None:
    errors: list[str] = []

    def handler(channel: EslChannel) -> None:
        try:
            channel.leg.recording.mask_recording("/srv/rec/never-started.wav")
        except ChannelError as exc:
            errors.append(str(exc))
        channel.hangup()

    _, switch = serve(handler)
    switch.run_call(CallScript())
    assert errors == [
        "uuid_record mask /srv/rec/never-started.wav refused: -ERR Cannot mask recording session!"
    ]


def test_masking_after_the_caller_left_is_a_hang_up(serve: Serve) -> None:
    raised: list[BaseException] = []

    def handler(channel: EslChannel) -> None:
        channel.leg.recording.start_recording("/srv/rec/a.wav", stereo=False)
        try:
            channel.collect_digits(ASK, max_digits=4, timeout=1, digit_timeout=1)
            channel.leg.recording.mask_recording("/srv/rec/a.wav")
        except CallerHungUp as exc:
            raised.append(exc)

    _, switch = serve(handler)
    switch.run_call(CallScript(hangup_at=1))  # during the collect
    assert len(raised) == 1


def test_a_path_freeswitch_would_misread_is_refused_before_anything_is_sent(serve: Serve) -> None:
    errors: list[str] = []

    def handler(channel: EslChannel) -> None:
        for path in ("/srv/rec/a b.wav", "recordings/a.wav"):
            try:
                channel.leg.recording.start_recording(path, stereo=True)
            except ValueError as exc:
                errors.append(str(exc))
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert len(errors) == 2
    assert call.executed == []
    assert lines(call, "event") == []


def test_a_sensitive_collect_leaves_no_variable_and_no_log_line_with_the_keys(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[str] = []

    def handler(channel: EslChannel) -> None:
        got.append(channel.collect_digits(ASK, max_digits=19, timeout=1, digit_timeout=1, sensitive=True))
        got.append(channel.collect_digits(ASK, max_digits=4, timeout=1, digit_timeout=1))
        channel.hangup()

    _, switch = serve(handler)
    with caplog.at_level(logging.DEBUG):
        call = switch.run_call(CallScript(keys=[CARD + "#", "1234#"]))
    assert got == [CARD, "1234"]
    secret_var = call.collected[0].variable
    assert secret_var.startswith(SENSITIVE_VARIABLE_PREFIX)
    apps = [app for app, _ in call.executed]
    collect = apps.index("play_and_get_digits")
    assert call.executed[collect + 1] == ("unset", secret_var)
    left = {name: value for name, value in call.vars.items() if value is not None}
    assert CARD not in left.values()
    assert left[call.collected[1].variable] == "1234"  # an ordinary collect keeps its variable
    assert CARD not in caplog.text
    assert caplog.records  # the run did log (the test would see the keys if they were logged)


def test_keys_the_digit_pattern_refuses_are_unset_from_the_invalid_variable_too(serve: Serve) -> None:
    got: list[str] = []

    def handler(channel: EslChannel) -> None:
        got.append(channel.collect_digits(ASK, max_digits=8, timeout=1, digit_timeout=1, sensitive=True))
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(keys=["41A1#"]))
    secret_var = call.collected[0].variable
    assert got == [""]
    assert [app for app, _ in call.executed][-2:] == ["play_and_get_digits", "unset"]
    assert call.executed[-1] == ("unset", f"{secret_var}_invalid")  # the variable itself was never set
    assert "41A1" not in [value for value in call.vars.values() if value]
