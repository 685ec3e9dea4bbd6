"""EslChannel over real TCP against the stand-in switch: one test handler per behaviour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from esl_handlers.call_events import CONNECTION_LOST
from esl_handlers.channel_commands import ChannelTransferred
from esl_handlers.codec import Event
from esl_handlers.esl_channel import EslChannel
from ivr_scripts.channel import Audio, CallerHungUp, ChannelError
from tests.support.outbound_servers import Serve
from tests.support.standin import CallScript
from tests.support.standin.script import BridgeOutcome, NoticePlacement, ParkEvent, Version
from tests.support.waiting import wait_until

pytestmark = pytest.mark.wire

WELCOME = Audio("welcome", file="/sounds/welcome.wav")
MENU = Audio("menu", file="/sounds/menu.wav")


def test_a_menu_call_runs_every_step_in_order(serve: Serve) -> None:
    seen: dict[str, Any] = {}

    def handler(channel: EslChannel) -> None:
        seen["info"] = channel.info
        channel.answer()
        channel.play(WELCOME)
        seen["digits"] = channel.collect_digits(MENU, max_digits=4, timeout=5, digit_timeout=2)
        channel.set_variable("menu_choice", seen["digits"])
        seen["choice"] = channel.get_variable("menu_choice")
        seen["unset"] = channel.get_variable("never_set")
        channel.record("/var/rec/call.wav")
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(keys=["12#"], caller_number="+15550001111", destination="4100"))

    assert seen["info"].uuid == call.uuid
    assert (seen["info"].caller_number, seen["info"].destination) == ("+15550001111", "4100")
    assert seen["digits"] == "12"
    assert seen["choice"] == "12"
    assert seen["unset"] is None
    apps = [app for app, _ in call.executed]
    assert apps == ["answer", "playback", "play_and_get_digits", "record_session"]
    assert call.api_sets == [("menu_choice", "12")]  # uuid_setvar_multi: no application, no events
    pagd = call.executed[2][1] or ""
    assert pagd.startswith("1 4 1 5000 # '/sounds/menu.wav' silence_stream://250 cc_digits_")
    assert pagd.endswith(" ^[0-9*#]+$ 2000")
    assert call.collected[0].read_result == "success"
    assert call.recordings == ["/var/rec/call.wav"]
    assert [c.line for c in call.commands[:4]] == [
        "connect",
        f"filter Unique-ID {call.uuid}",
        "event plain CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE "
        "CHANNEL_UNBRIDGE",
        "linger",
    ]
    uuids = [e.event_uuid for e in call.executions]
    assert None not in uuids
    assert len(set(uuids)) == len(uuids)
    assert call.hung_up_by == "application"
    assert call.hangup_cause == "NORMAL_CLEARING"
    assert call.events_sent[-1] == "CHANNEL_HANGUP_COMPLETE"
    assert call.closed_by_app


@pytest.mark.parametrize(
    ("keys", "max_digits", "terminators", "expected"),
    [
        ("", 4, "#", ""),  # silence: the variable stays unset
        ("#", 4, "#", ""),  # a terminator alone is no input
        ("1234", 4, "#", "1234"),  # max digits reached, no terminator needed
        ("75", 4, "#", "75"),  # inter-digit timeout with digits: accepted
        ("9*", 3, "", "9*"),  # no terminators at all
        ("3#", 1, "#", "3"),
    ],
)
def test_collect_digits_returns_what_freeswitch_leaves_in_the_variable(
    serve: Serve, keys: str, max_digits: int, terminators: str, expected: str
) -> None:
    got: list[str] = []

    def handler(channel: EslChannel) -> None:
        got.append(
            channel.collect_digits(
                MENU, max_digits=max_digits, timeout=3, digit_timeout=1, terminators=terminators
            )
        )
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(keys=[keys]))
    assert got == [expected]
    assert call.collected[0].digits == (expected or None)


def test_speech_prompts_keep_their_spaces_and_quotes(serve: Serve) -> None:
    def handler(channel: EslChannel) -> None:
        channel.play(Audio("hello", text="It's Bob's line;  press\n1"))
        channel.collect_digits(
            Audio("ask", text="Say: 'yes' or \\no"), max_digits=1, timeout=2, digit_timeout=1
        )
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(keys=["1"]))
    assert call.executed[0] == ("speak", "flite|kal|It\\'s Bob\\'s line; press 1")
    assert call.api_sets == [("tts_engine", "flite"), ("tts_voice", "kal")]
    assert call.collected[0].prompt == "say:Say, 'yes' or \\no"


STEPS: dict[str, Callable[[EslChannel], object]] = {
    "answer": lambda c: c.answer(),
    "play": lambda c: c.play(WELCOME),
    "speak": lambda c: c.play(Audio("tts", text="Hello there")),
    "collect": lambda c: c.collect_digits(MENU, max_digits=2, timeout=3, digit_timeout=1),
    "set": lambda c: c.set_variable("x", "1"),
    "record": lambda c: c.record("/var/rec/x.wav"),
    "bridge": lambda c: c.bridge("user/1001", timeout=10),
}
SEQUENCE = ["answer", "play", "speak", "collect", "set", "record", "bridge"]
# Applications each step sends (variables are set with api uuid_setvar_multi, no application), and
# the api commands: `set` one, bridge one (continue_on_fail, hangup_after_bridge) before its application.
APPS_PER_STEP = {"answer": 1, "play": 1, "speak": 1, "collect": 1, "set": 0, "record": 1, "bridge": 1}
APIS_PER_STEP = {"set": 1, "bridge": 1}


@pytest.mark.parametrize("step", [name for name in SEQUENCE if APPS_PER_STEP[name]])
def test_a_caller_hanging_up_ends_the_pending_step_once_and_every_later_one(serve: Serve, step: str) -> None:
    outcomes: list[tuple[str, str]] = []

    def handler(channel: EslChannel) -> None:
        for name in [*SEQUENCE, "get"]:
            try:
                if name == "get":
                    channel.get_variable("x")
                else:
                    STEPS[name](channel)
                outcomes.append((name, "ok"))
            except CallerHungUp as exc:
                outcomes.append((name, exc.cause))
        channel.hangup()

    position = SEQUENCE.index(step)
    app_index = sum(APPS_PER_STEP[name] for name in SEQUENCE[:position]) + APPS_PER_STEP[step] - 1
    _, switch = serve(handler)
    call = switch.run_call(CallScript(keys=["5"], hangup_at=app_index))

    assert outcomes[:position] == [(name, "ok") for name in SEQUENCE[:position]]
    assert outcomes[position:] == [(name, "NORMAL_CLEARING") for name in [*SEQUENCE[position:], "get"]]
    assert len(call.executions) == app_index + 1, "nothing is sent once the caller is gone"
    sent_before = sum(APIS_PER_STEP.get(name, 0) for name in SEQUENCE[: position + 1])
    assert sum(c.verb == "api" for c in call.commands) == sent_before
    assert call.hung_up_by == "caller"
    assert call.events_sent[-1] == "CHANNEL_HANGUP_COMPLETE"


def test_a_hangup_after_some_seconds_ends_the_playing_prompt(serve: Serve) -> None:
    errors: list[CallerHungUp] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        try:
            channel.play(WELCOME)
        except CallerHungUp as exc:
            errors.append(exc)

    _, switch = serve(handler)
    call = switch.run_call(CallScript(media_seconds=30, hangup_after=0.05))
    assert [e.cause for e in errors] == ["NORMAL_CLEARING"]
    assert call.events_sent.index("CHANNEL_HANGUP") < call.events_sent.index(
        "CHANNEL_EXECUTE_COMPLETE:playback"
    )


@pytest.mark.parametrize("park", ["before_first_reply", "after_first_reply", "none"])
def test_events_arriving_before_a_reply_do_not_confuse_the_channel(serve: Serve, park: ParkEvent) -> None:
    done: list[str] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        channel.play(WELCOME)
        done.append("played")
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(park_event=park))
    assert done == ["played"]
    # The socket does not take CHANNEL_PARK (outbound_server.SOCKET_EVENTS): however it races the
    # replies, it never reaches the application.
    assert "CHANNEL_PARK" not in call.events_sent


@pytest.mark.parametrize("version", ["1.10.12", "1.11.2"])
@pytest.mark.parametrize("placement", ["after_hangup", "after_hangup_complete"])
def test_the_server_reads_past_the_linger_notice_until_hangup_complete(
    serve: Serve, version: Version, placement: NoticePlacement
) -> None:
    seen: list[str] = []

    def handler(channel: EslChannel) -> None:
        channel.add_event_listener(lambda event: seen.append(event.name))
        channel.answer()
        channel.bridge("user/1001", timeout=10)

    _, switch = serve(handler)
    call = switch.run_call(
        CallScript(version=version, bridges=["answered"], hangup_at=1, linger_notice=placement)
    )
    assert call.closed_by_app
    assert seen[-1] == "CHANNEL_HANGUP_COMPLETE"
    assert call.events_sent[-1] == "CHANNEL_HANGUP_COMPLETE"
    notice = call.sent.index(b"Content-Disposition: linger")
    complete = call.sent.index(b"Event-Name: CHANNEL_HANGUP_COMPLETE")
    assert (notice < complete) == (placement == "after_hangup")


def test_an_err_reply_raises_channel_error_and_the_call_goes_on(serve: Serve) -> None:
    errors: list[ChannelError] = []
    after: list[str] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        try:
            channel.record("/var/rec/x.wav")
        except ChannelError as exc:
            errors.append(exc)
        channel.play(WELCOME)
        after.append("played")
        channel.hangup()

    _, switch = serve(handler)
    switch.run_call(CallScript(refuse_apps={"record_session": "-ERR memory error"}))
    assert len(errors) == 1
    assert not isinstance(errors[0], CallerHungUp)
    assert "record_session refused by FreeSWITCH: -ERR memory error" in str(errors[0])
    assert after == ["played"]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("answered", "answered"), ("no_answer", "no_answer"), ("busy", "busy"), ("failed", "failed")],
)
def test_bridge_outcomes_and_the_caller_stays(serve: Serve, outcome: BridgeOutcome, expected: str) -> None:
    results: list[str] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        results.append(channel.bridge("{origination_caller_id_number=4001}user/1001", timeout=15))
        channel.play(WELCOME)  # the caller is still there after the bridge
        results.append("after")
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript(bridges=[outcome]))
    assert results == [expected, "after"]
    assert ("bridge", "{call_timeout=15,origination_caller_id_number=4001}user/1001") in call.executed
    assert call.hung_up_by == "application"


def test_without_continue_on_fail_the_switch_would_hang_the_caller_up(serve: Serve) -> None:
    """Guards the stand-in rule the channel relies on (switch_channel_handle_cause)."""
    errors: list[str] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        channel._bridge_ready = True  # skip the channel's own set commands
        try:
            channel.bridge("user/1001", timeout=5)
        except CallerHungUp as exc:
            errors.append(exc.cause)

    _, switch = serve(handler)
    call = switch.run_call(CallScript(bridges=["busy"]))
    assert errors == ["USER_BUSY"]
    assert call.hung_up_by == "switch"


def test_transfer_hands_the_call_over_and_releases_the_socket(serve: Serve) -> None:
    later: list[Exception] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        channel.transfer("5000", "queues")
        try:
            channel.play(WELCOME)
        except ChannelTransferred as exc:
            later.append(exc)

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert call.transferred_to == ("5000", "XML", "queues")
    assert call.commands[-1].line == "exit"
    assert len(later) == 1
    assert call.hangup_cause is None


def test_a_crashing_handler_hands_the_call_back_to_the_dialplan(serve: Serve) -> None:
    def handler(channel: EslChannel) -> None:
        channel.answer()
        raise RuntimeError("bug in the call logic")

    server, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert call.commands[-1].line == "exit"
    assert call.hangup_cause is None
    assert switch.run_call(CallScript()).commands[-1].line == "exit", "the server still serves"
    wait_until(lambda: server.calls_served == 2, what="both calls served")


def test_a_malformed_frame_closes_only_that_call(serve: Serve) -> None:
    causes: list[str] = []
    completed: list[str] = []

    def handler(channel: EslChannel) -> None:
        try:
            channel.answer()
            channel.play(WELCOME)
            channel.hangup()
            completed.append(channel.info.uuid)
        except CallerHungUp as exc:
            causes.append(exc.cause)

    server, switch = serve(handler)
    broken = switch.run_call(CallScript(malformed_at=1))
    healthy = switch.run_call(CallScript())
    assert causes == [CONNECTION_LOST]
    assert broken.closed_by_app
    assert completed == [healthy.uuid]
    wait_until(lambda: server.calls_served == 2, what="both calls served")


def test_arguments_with_line_breaks_are_refused_before_sending(serve: Serve) -> None:
    refused: list[str] = []

    def handler(channel: EslChannel) -> None:
        actions: list[Callable[[], object]] = [
            lambda: channel.play(Audio("x", file="/a.wav\nsendmsg")),
            lambda: channel.set_variable("x", "1\r\nexit"),
            lambda: channel.set_variable("x", "${system(id)}"),
            lambda: channel.record("/a\n.wav"),
            lambda: channel.transfer("50 00", "default"),
        ]
        for action in actions:
            try:
                action()
            except ValueError as exc:
                refused.append(str(exc))
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert len(refused) == 5
    assert call.executions == []


def test_the_server_event_hook_sees_every_event_of_every_call(serve: Serve) -> None:
    seen: list[tuple[str | None, str]] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        channel.collect_digits(MENU, max_digits=1, timeout=2, digit_timeout=1)
        channel.hangup()

    def hook(event: Event) -> None:
        seen.append((event.unique_id, event.name))
        if event.name == "CHANNEL_EXECUTE":
            raise RuntimeError("a broken hook must not break the call")

    _, switch = serve(handler, on_event=hook)
    call = switch.run_call(CallScript(keys=["7"]))
    names = [name for _, name in seen]
    assert names == [role.split(":")[0] for role in call.events_sent]
    assert {uuid for uuid, _ in seen} == {call.uuid}
    assert "CHANNEL_EXECUTE" in names
    assert call.hung_up_by == "application"
