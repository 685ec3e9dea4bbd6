"""Type-ahead over real TCP: keys a caller presses during a prompt that comes before a question.

The stand-in does what mod_dptools' on_dtmf does (CallScript.prompt_keys): keys that are not
playback_terminators are swallowed, the first that is ends the prompt into playback_terminator_used,
and later keys wait in the DTMF queue for the next play_and_get_digits.
"""

from __future__ import annotations

import pytest

from esl_handlers.esl_channel import EslChannel
from ivr_scripts.channel import Audio
from tests.support.outbound_servers import Serve
from tests.support.standin import CallScript
from tests.support.standin.call import ScriptedCall

pytestmark = pytest.mark.wire

GREETING = Audio("greeting", file="/sounds/greeting.wav")
SPOKEN = Audio("spoken", text="Thank you for calling.")
MENU = Audio("menu", file="/sounds/menu.wav")


def run(
    serve: Serve,
    script: CallScript,
    *,
    type_ahead: bool,
    max_digits: int,
    terminators: str = "#",
    greeting: Audio = GREETING,
) -> tuple[str, ScriptedCall]:
    got: list[str] = []

    def handler(channel: EslChannel) -> None:
        channel.answer()
        channel.play(greeting, type_ahead=type_ahead)
        got.append(
            channel.collect_digits(
                MENU, max_digits=max_digits, timeout=3, digit_timeout=1, terminators=terminators
            )
        )
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(script)
    return got[0], call


@pytest.mark.parametrize("greeting", [GREETING, SPOKEN], ids=["playback", "speak"])
def test_a_key_during_the_greeting_answers_the_menu_without_its_prompt(serve: Serve, greeting: Audio) -> None:
    digits, call = run(
        serve, CallScript(prompt_keys=["2"]), type_ahead=True, greeting=greeting, max_digits=1, terminators=""
    )
    assert digits == "2"
    apps = [app for app, _ in call.executed]
    assert apps == ["answer", "playback" if greeting.file else "speak"]
    assert call.api_sets == [("playback_terminators", "any")]
    assert call.collected == []  # the menu's prompt was never played


def test_without_type_ahead_a_key_during_a_prompt_is_lost_as_on_the_switch(serve: Serve) -> None:
    digits, call = run(serve, CallScript(prompt_keys=["2"], keys=[""]), type_ahead=False, max_digits=1)
    assert digits == ""
    # The rendered dialplan set playback_terminators=none before `socket`: nothing to set again.
    assert [app for app, _ in call.executed][:3] == ["answer", "playback", "play_and_get_digits"]
    assert call.api_sets == []
    assert call.collected[0].keys == ""  # the key was pressed during the prompt, which swallowed it


def test_a_dialplan_that_left_the_default_gets_none_set_before_a_prompt(serve: Serve) -> None:
    script = CallScript(prompt_keys=["*"], keys=[""], variables={})
    digits, call = run(serve, script, type_ahead=False, max_digits=1)
    assert digits == ""
    assert call.api_sets == [("playback_terminators", "none")]
    assert call.executed[1][0] == "playback"


def test_an_entry_typed_ahead_is_read_whole_in_silence(serve: Serve) -> None:
    digits, call = run(
        serve, CallScript(prompt_keys=["4711#"]), type_ahead=True, max_digits=6, terminators="#"
    )
    assert digits == "4711"
    (collected,) = call.collected
    assert collected.prompt == "silence"  # the rest came from the DTMF queue, no prompt played
    assert collected.keys == "711#"
    pagd = call.executed[-1][1] or ""
    assert pagd.startswith("1 5 1 1000 # silence ")


def test_a_terminator_typed_ahead_is_an_empty_entry(serve: Serve) -> None:
    digits, call = run(serve, CallScript(prompt_keys=["#"]), type_ahead=True, max_digits=6, terminators="#")
    assert digits == ""
    assert call.collected == []


def test_without_a_key_the_menu_prompt_plays_as_before(serve: Serve) -> None:
    digits, call = run(serve, CallScript(keys=["5"]), type_ahead=True, max_digits=1, terminators="")
    assert digits == "5"
    assert [c.prompt for c in call.collected] == ["/sounds/menu.wav"]


def test_playback_terminators_are_set_only_when_they_change(serve: Serve) -> None:
    def handler(channel: EslChannel) -> None:
        channel.answer()
        channel.play(GREETING, type_ahead=True)
        channel.play(GREETING, type_ahead=True)
        channel.play(GREETING)
        channel.hangup()

    _, switch = serve(handler)
    call = switch.run_call(CallScript())
    assert call.api_sets == [("playback_terminators", "any"), ("playback_terminators", "none")]
