"""The fallback in the YAML (where callers go when the application server is down): every mistake
located at its file:line:column and node path."""

from __future__ import annotations

from pathlib import Path

from dialplans.fallback_models import FallbackHangup, FallbackVoicemail
from dialplans.loader import load_dialplan
from tests.support.dialplans import WriteYaml, messages

BASE = """\
prompts:
  hi: {text: Hello}
  sorry: {text: Nobody can take your call.}
  leave: {text: Please leave a message after the tone.}
agents:
  "1001": {name: Ann}
  "1002": {name: Bea, extension: "+4930100"}
menus:
  main:
    prompt: hi
    options: {"1": {hangup: }}
    fallback: {hangup: }
"""


def fallback_messages(path: Path) -> list[str]:
    """The findings about fallbacks, and any prompt or agent left unused (BASE leaves some unused)."""
    return [m for m in messages(path) if "never used" not in m and "in no queue's tiers" not in m]


def test_a_top_level_fallback_and_a_line_s_own_load_typed(plan_file: WriteYaml) -> None:
    path = plan_file(
        BASE
        + """\
fallback:
  ring: ["1001", 1002]
  ring_timeout: 25
  then: {voicemail: care, greeting: leave}
dids:
  "4001": {menu: main}
  "4002":
    menu: main
    fallback: {then: {hangup: {prompt: sorry, cause: USER_BUSY}}}
"""
    )
    assert messages(path) == []
    model = load_dialplan(path).model
    assert model.fallback is not None
    assert model.fallback.ring == ["1001", "1002"]
    assert model.fallback.ring_timeout == 25
    assert model.fallback.then == FallbackVoicemail(voicemail="care", greeting="leave")
    own = model.dids["4002"].fallback
    assert own is not None
    assert own.ring == []
    assert own.ring_timeout == 20
    assert isinstance(own.then, FallbackHangup)
    assert (own.then.hangup.prompt, own.then.hangup.cause) == ("sorry", "USER_BUSY")
    assert model.dids["4001"].fallback is None


def test_a_plain_hangup_defaults_to_a_temporary_failure(plan_file: WriteYaml) -> None:
    path = plan_file(BASE + 'fallback: {then: {hangup: }}\ndids:\n  "4001": {menu: main}\n')
    assert fallback_messages(path) == []
    fallback = load_dialplan(path).model.fallback
    assert fallback is not None
    assert fallback.then == FallbackHangup()
    assert fallback.then.hangup.cause == "NORMAL_TEMPORARY_FAILURE"


def test_dangling_references_are_errors_where_they_are_written(plan_file: WriteYaml) -> None:
    path = plan_file(
        BASE
        + """\
fallback:
  ring: ["1001", "1009", "1001"]
  then: {voicemail: care, greeting: leav}
dids:
  "4001":
    menu: main
    fallback:
      ring: ["1003"]
      then: {hangup: {prompt: sory, cause: NORMAL_CLEARNG}}
"""
    )
    assert fallback_messages(path) == [
        "plan.yaml:14:18 fallback.ring[1]: unknown agent '1009'; did you mean '1002'?",
        "plan.yaml:14:26 fallback.ring[2]: agent 1001 is listed twice",
        "plan.yaml:15:37 fallback.then.greeting: unknown prompt 'leav'; did you mean 'leave'?",
        "plan.yaml:20:14 dids.\"4001\".fallback.ring[0]: unknown agent '1003'; did you mean '1002'?",
        'plan.yaml:21:31 dids."4001".fallback.then.hangup.prompt: '
        "unknown prompt 'sory'; did you mean 'sorry'?",
        'plan.yaml:21:44 dids."4001".fallback.then.hangup.cause: '
        "warning: FreeSWITCH knows no hangup cause 'NORMAL_CLEARNG'; did you mean NORMAL_CLEARING?",
    ]


def test_then_is_one_of_voicemail_or_hangup(plan_file: WriteYaml) -> None:
    path = plan_file(
        BASE
        + """\
fallback:
  ring: ["1001"]
  then: {voicemail: care, hangup: }
dids:
  "4001": {menu: main, fallback: {then: {transfer: {extension: "0"}}}}
"""
    )
    assert messages(path) == [
        "plan.yaml:15:9 fallback.then: a fallback's `then` does one thing, but this one has voicemail "
        "and hangup; expected one of {voicemail: BOX}, {hangup: {prompt: PROMPT, cause: CAUSE}}",
        "plan.yaml:17:41 dids.\"4001\".fallback.then: not a fallback's `then` (found 'transfer'); "
        "expected one of {voicemail: BOX}, {hangup: {prompt: PROMPT, cause: CAUSE}}",
    ]


def test_values_are_checked_with_their_place(plan_file: WriteYaml) -> None:
    path = plan_file(
        BASE
        + """\
fallback:
  ring: ["1001", x1]
  ring_timeout: 2
  then: {voicemail: "care box"}
  transfer: "0"
dids:
  "4001": {menu: main}
"""
    )
    assert messages(path) == [
        "plan.yaml:14:18 fallback.ring[1]: 'x1' is not an agent id: use 2 to 10 digits, e.g. 1001",
        "plan.yaml:15:17 fallback.ring_timeout: must be at least 5, got '2'",
        "plan.yaml:16:21 fallback.then.voicemail: 'care box' is not a voicemail box: use letters, digits, "
        "'_' or '-' (at most 64 characters)",
        "plan.yaml:17:3 fallback.transfer: unknown key 'transfer'; "
        "the keys here are: ring, ring_timeout, then",
    ]


def test_a_voicemail_without_a_greeting_is_a_warning(plan_file: WriteYaml) -> None:
    path = plan_file(
        BASE + 'fallback: {ring: ["1001"], then: {voicemail: care}}\ndids:\n  "4001": {menu: main}\n'
    )
    assert fallback_messages(path) == [
        "plan.yaml:13:34 fallback.then: warning: no greeting: callers hear only the tone before the "
        "voicemail records; add `greeting: PROMPT` (e.g. 'please leave a message after the tone')"
    ]


def test_a_prompt_only_a_fallback_plays_is_used(plan_file: WriteYaml) -> None:
    path = plan_file(
        BASE.replace("  leave: {text: Please leave a message after the tone.}\n", "")
        + 'dids:\n  "4001": {menu: main, fallback: {then: {hangup: {prompt: sorry}}}}\n'
    )
    found = messages(path)
    assert not [m for m in found if "prompts" in m], found


def test_no_menu_may_transfer_into_the_fallback_context(plan_file: WriteYaml) -> None:
    path = plan_file(
        BASE.replace(
            'options: {"1": {hangup: }}', 'options: {"1": {transfer: {extension: "1", context: cc_fallback}}}'
        )
        + 'dids:\n  "4001": {menu: main}\n'
    )
    assert fallback_messages(path) == [
        'plan.yaml:11:57 menus.main.options."1".transfer.context: '
        "context cc_fallback is reserved for the fallback (top-level `fallback`)"
    ]
